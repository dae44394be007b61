"""Rules 1xxx, what the tasks may send out: HTTPS through their security group (EN1001), DNS
(EN1002), and both ways through the network ACLs of their subnets (EN1003)."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

from ..engine import Analysis, Verdict
from ..findings import Fix, Raw
from ..phrasing import join as _join, subnets as _subnets
from ..state import ANY_V4, Endpoint, tri_all
from ..values import Path, Unknown
from .base import _group, _need, _symptom, _workload_sgs, in_template
from .fixes import dns_egress, endpoint_destination, first_manual, https_rule, inline, own_sg
from .flows import _dns_targets, _nacl_flows


def _egress_anchor(a: Analysis, sgs: Sequence[str]) -> Tuple[Optional[str], Path]:
    for sid in sgs:
        sg = a.state.sgs.get(sid)
        if sg is not None and not sid.startswith("default-sg:"):
            return sid, sg.egress_path or sg.path
    return None, ()


def en1001(a: Analysis) -> Iterator[Raw]:
    ok = [v for v in a.verdicts if v.outcome == "ok"]
    for w, vs in _group(ok, lambda v: v.workload.lid).items():
        sgs = _workload_sgs(a, vs[0])
        if isinstance(sgs, Unknown):
            continue
        blocked: Dict[str, Verdict] = {}
        for v in vs:
            dest = v.dest
            key = dest[1].lid if dest[0] == "endpoint" else dest[0]
            if key in blocked:
                continue
            if a.state.egress_allows(sgs, dest) is False:
                blocked[key] = v
        if not blocked:
            continue
        anchor_sg, path = _egress_anchor(a, sgs)
        if anchor_sg is None:
            continue
        dests, fixes, symptoms, needs = [], [], [], []
        peers: list = []  # what the Fix writes, per destination: a rule's peer, or why none can be written
        for key, v in blocked.items():
            kind, target = v.dest
            peers.append(_egress_peer(a, kind, target, anchor_sg if own_sg(a, anchor_sg) and inline(a, anchor_sg, "egress") else None))
            if kind == "endpoint":
                dests.append(f"interface endpoint {key} ({v.service})")
                vpc = a.state.vpcs.get(v.vpc)
                cidr = vpc.cidrs[0] if vpc and vpc.cidrs and not isinstance(vpc.cidrs[0], Unknown) else None
                fixes.append(f"the VPC CIDR {cidr}" if cidr else "the endpoint subnets' CIDRs")
            elif kind == "s3":
                dests.append("the S3 gateway endpoint" if isinstance(v.via, Endpoint) else "S3")
                s3_list = a.state.s3_prefix_list()  # known from the account snapshot: prefix list IDs differ per region
                if s3_list:
                    wrong = sorted({r.prefix_list for g in sgs if g in a.state.sgs for r in a.state.sgs[g].egress
                                    if isinstance(r.prefix_list, str) and r.prefix_list != s3_list})
                    instead = f", not {_join(wrong)}, which is no S3 prefix list of {a.state.region}" if wrong else ""
                    fixes.append(f"the S3 prefix list of {a.state.region} (DestinationPrefixListId {s3_list}, com.amazonaws.{a.state.region}.s3{instead})")
                else:
                    fixes.append("the S3 prefix list (DestinationPrefixListId of com.amazonaws.<region>.s3)")
            else:
                dests.append(f"the internet ({v.need.detail or 'needed by ' + v.need.need.need_id})")
                fixes.append("0.0.0.0/0, which the registry on the internet requires")
            symptoms.append(_symptom(v))
            needs.append(_need(v))
        vs0 = vs[0]
        yield Raw(
            "EN1001",
            path,
            f"Security group {anchor_sg} of {vs0.workload.label} does not allow TCP 443 out to {_join(dests)}, so tasks "
            f"cannot {_join(needs)} and fail with {_join(symptoms)}; add egress rules for TCP 443 to {_join(fixes)}"
            f"{'' if any('0.0.0.0/0' in f for f in fixes) else ' rather than 0.0.0.0/0'}.",
            w,
            _egress_fix(a, anchor_sg, peers),
        )


def _egress_peer(a: Analysis, kind: str, target: Any, sg_id: Optional[str]) -> Any:
    """The destination of the TCP 443 egress rule the fix adds for one blocked flow, or why only
    the user can name it."""
    if kind == "endpoint":
        return endpoint_destination(a, target, sg_id)
    if kind == "s3":
        s3_list = a.state.s3_prefix_list()
        if s3_list:
            return {"DestinationPrefixListId": s3_list}
        return (f"the S3 prefix list ID of {a.region} (com.amazonaws.{a.region}.s3) differs per region and is not "
                "in the template: add the egress rule with its DestinationPrefixListId (aws ec2 describe-managed-prefix-lists)")
    return {"CidrIp": "0.0.0.0/0"}


def _egress_fix(a: Analysis, sg_id: Any, peers: list) -> Optional[Fix]:
    """Egress rules for TCP 443 to each blocked destination.  0.0.0.0/0 only for the internet,
    where no narrower destination serves, and then an unsafe fix (it widens egress)."""
    if not own_sg(a, sg_id):
        return None
    reason = first_manual(peers)
    known = [p for p in peers if isinstance(p, dict)]
    if not known:
        return reason
    wide = any(p.get("CidrIp") == "0.0.0.0/0" for p in known)
    fix = https_rule(a, sg_id, "egress", known, safety="unsafe" if wide else "safe")
    return dataclasses.replace(fix, reason=reason.reason) if reason is not None else fix  # partly: the rest is the user's


def en1002(a: Analysis) -> Iterator[Raw]:
    for w, vs in _group(a.verdicts, lambda v: v.workload.lid).items():
        v = vs[0]
        targets = _dns_targets(a, v.vpc)
        if targets is None or isinstance(targets, Unknown):
            continue
        label, nets = targets
        sgs = _workload_sgs(a, v)
        if isinstance(sgs, Unknown):
            continue
        missing = []
        for proto, name in (("17", "UDP"), ("6", "TCP")):
            allowed = tri_all([a.state.egress_to(sgs, net, 53, proto) for net in nets])
            if allowed is False:
                missing.append(name)
        if not missing:
            continue
        anchor_sg, path = _egress_anchor(a, sgs)
        if anchor_sg is None:
            continue
        cidrs = _join([str(n) for n in nets])
        yield Raw(
            "EN1002",
            path,
            f"Security group {anchor_sg} of {v.workload.label} does not allow {' and '.join(missing)} 53 out to {label}, so "
            f"tasks cannot resolve the names of ECR, CloudWatch Logs or any endpoint and fail with "
            f"CannotPullContainerError (lookup ... i/o timeout); add egress rules for UDP and TCP 53 to {cidrs}.",
            w,
            dns_egress(a, anchor_sg, nets, missing),
        )


def _ports(ports: Tuple[int, int]) -> str:
    return f"TCP {ports[0]}" if ports[0] == ports[1] else f"TCP {ports[0]}-{ports[1]}"


def en1003(a: Analysis) -> Iterator[Raw]:
    if not a.state.subnet_nacl:
        return
    blocked: Dict[Tuple[Path, str], Dict[str, Any]] = {}
    for v in a.verdicts:
        if v.outcome != "ok":
            continue
        for subnet, egress, ports, peer, peer_label in _nacl_flows(a, v):
            public = peer is ANY_V4
            allowed, entry = a.state.nacl_decision(subnet, egress, ports, peer, public=public)
            if allowed is not False:
                continue
            acl = a.state.subnet_nacl[subnet]
            anchor = entry.path if entry is not None else ("Resources", acl)
            group = blocked.setdefault((anchor, v.workload.lid), {"v": v, "acl": acl, "entry": entry, "flows": {}, "uses": {}})
            peer_text = f"public addresses ({peer_label})" if public else str(peer)
            flow = group["flows"].setdefault((egress, ports), {"peers": [], "subnets": []})
            flow["peers"].append(peer_text)
            flow["subnets"].append(subnet)
            group["uses"].setdefault(v.need.need.need_id + v.service, v)
    for (anchor, w), g in blocked.items():
        v, entry = g["v"], g["entry"]
        flows = []
        for (egress, ports), f in sorted(g["flows"].items(), key=lambda kv: (kv[0][0], kv[0][1])):
            flows.append(
                f"{'outbound' if egress else 'inbound'} {'' if ports == (443, 443) else 'return traffic on '}{_ports(ports)} "
                f"{'to' if egress else 'from'} {_join(f['peers'])} {'out of' if egress else 'into'} {_subnets(f['subnets'])}"
            )
        cause = (f"entry {entry.path[1]} (rule {entry.number}) denies {'it' if len(flows) == 1 else 'them'}"
                 if entry is not None else f"no entry allows {'it' if len(flows) == 1 else 'them'}")
        what = "an allow entry for it" if len(flows) == 1 else "allow entries for them"
        fix = f"add {what} with a rule number below {entry.number}" if entry is not None else f"add {what}"
        acl_fact = a.state.nacls.get(g["acl"]) if isinstance(g["acl"], str) else None
        if acl_fact is not None and not in_template(acl_fact):
            anchor = acl_fact.path
            cause = (f"its rule {entry.number} denies {'it' if len(flows) == 1 else 'them'}" if entry is not None
                     else f"no entry allows {'it' if len(flows) == 1 else 'them'}")
            fix = f"in the account, {fix} to network ACL {g['acl']}"
        needs = _join([_need(x) for x in g["uses"].values()])
        symptoms = _join([_symptom(x) for x in g["uses"].values()])
        yield Raw(
            "EN1003",
            anchor,
            f"Network ACL {g['acl']} blocks {'; '.join(flows)}: {cause}, and network ACLs are stateless, so tasks of "
            f"{v.workload.label} cannot {needs} and fail with {symptoms}; {fix}.",
            w,
        )
