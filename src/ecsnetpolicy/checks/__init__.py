"""One small function per rule: each turns the engine's verdicts into raw findings
(rule id, path, message).  :func:`findings` runs them over every scenario and merges the results,
naming the scenario when a fault exists in only some.  No cfn-lint import here."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from ..engine import Analysis, Report, Verdict
from ..findings import Finding, Fix
from ..phrasing import safe, join as _join, short_image as _short_image, subnets as _subnets
import ipaddress

from ..state import ANY_V4, Endpoint, az_label, same_az, tri_all, tri_any
from ..values import as_network

EPHEMERAL = (1024, 65535)  # return ports NACLs must let through (fact 21)
from ..values import Path, Unknown, describe_scenarios


@dataclass(frozen=True)
class Raw:
    """A finding before it has a file and a line.  The message is made safe here, once, for every
    output channel (plugin messages in all of cfn-lint's formats, and ours): template text inside
    it cannot carry control characters or a line-start workflow command."""

    rule_id: str
    path: Path
    message: str
    workload: Optional[str] = None
    fix: Optional[Fix] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", safe(self.message))
        if self.workload is not None:
            object.__setattr__(self, "workload", safe(self.workload, 300))


# ----------------------------------------------------------------------------- phrasing helpers






def _need(v: Verdict) -> str:
    use = v.need
    return use.need.description.format(image=_short_image(use.image) or "(image)", detail=use.detail or "its registry")


def _symptom(v: Verdict) -> str:
    return v.need.need.symptom_for(v.service)


def _note(a: Analysis, v: Verdict) -> str:
    return v.need.need.notes.get(v.service) or f"which needs {a.policy.service_description(v.service)}"


def _props(lid: str) -> Path:
    return ("Resources", lid, "Properties")


def _key_path(a: Analysis, lid: str, key: str) -> Path:
    props = a.resolver.properties(lid)
    return _props(lid) + (key,) if key in props else ("Resources", lid)


def _group(verdicts: Iterable[Verdict], key: Callable[[Verdict], Any]) -> Dict[Any, List[Verdict]]:
    out: Dict[Any, List[Verdict]] = {}
    for v in verdicts:
        out.setdefault(key(v), []).append(v)
    return out


def _sg_label(a: Analysis, sgs: Sequence[str]) -> str:
    return _join([f"the default security group of VPC {s.split(':', 1)[1]}" if s.startswith("default-sg:") else s for s in sgs])


def _workload_sgs(a: Analysis, v: Verdict) -> Any:
    return a.state.sg_list(v.workload, v.vpc)


# ----------------------------------------------------------------------------- rules
def en2001(a: Analysis) -> Iterator[Raw]:
    missing = [v for v in a.verdicts if v.outcome == "missing"]
    for (w, svc), vs in _group(missing, lambda v: (v.workload.lid, v.service)).items():
        v = vs[0]
        kind = a.policy.kind(svc)
        if kind == "gateway":
            how = f"a Gateway VPC endpoint for com.amazonaws.<region>.{svc} with the route tables of these subnets in RouteTableIds"
        else:
            how = (f"an Interface VPC endpoint for com.amazonaws.<region>.{svc} with PrivateDnsEnabled: true, a subnet in each "
                   "task Availability Zone and a security group admitting TCP 443 from the tasks")
        extra = ""
        if "cannot serve ECR image layers" in v.why:
            extra = " (" + v.why.split("; ", 1)[1] + ")"
        yield Raw(
            "EN2001",
            v.workload.subnets_path,
            f"Tasks of {v.workload.label} in {_subnets([x.subnet for x in vs])} {_need(v)}, but "
            f"{'the subnet has' if len({x.subnet for x in vs}) == 1 else 'these subnets have'} no internet path "
            f"because {v.why.split('; ', 1)[0]}, and VPC {v.vpc} has no {svc} endpoint{extra}, so they fail with "
            f"{_symptom(v)}; add to VPC {v.vpc} {how}.",
            w,
        )


def en3001(a: Analysis) -> Iterator[Raw]:
    bad = [v for v in a.verdicts if v.outcome == "s3-route"]
    for (ep_lid, w, rt), vs in _group(bad, lambda v: (v.via.lid, v.workload.lid, a.state.subnets[v.subnet].route_table)).items():
        v = vs[0]
        subnets = [x.subnet for x in vs]
        one = len(set(subnets)) == 1
        path = _key_path(a, ep_lid, "RouteTableIds")
        if rt is None:
            yield Raw(
                "EN3001",
                path,
                f"Tasks of {v.workload.label} in {_subnets(subnets)} {_need(v)} ({_note(a, v)}), but "
                f"{'that subnet has' if one else 'those subnets have'} no route "
                f"table association (the VPC main route table, which S3 gateway endpoint {ep_lid} does not list) and no internet "
                f"path, so those tasks fail with {_symptom(v)}; associate a route table with "
                f"{'it' if one else 'them'} and add it to RouteTableIds of {ep_lid}.",
                w,
            )
            continue
        yield Raw(
            "EN3001",
            path,
            f"Tasks of {v.workload.label} in {_subnets(subnets)} {_need(v)} ({_note(a, v)}), but route table {rt} of {'that subnet' if one else 'those subnets'} "
            f"is not in RouteTableIds of S3 gateway endpoint {ep_lid} and {'it has' if one else 'they have'} no internet "
            f"path, so those tasks fail with {_symptom(v)}; add {rt} to RouteTableIds of {ep_lid}.",
            w,
            Fix(_props(ep_lid), "RouteTableIds", {"Ref": rt}, "append"),
        )


def en2003(a: Analysis) -> Iterator[Raw]:
    bad = [v for v in a.verdicts if v.outcome == "no-private-dns"]
    for (ep_lid, w), vs in _group(bad, lambda v: (v.via.lid, v.workload.lid)).items():
        v = vs[0]
        yield Raw(
            "EN2003",
            _key_path(a, ep_lid, "PrivateDnsEnabled"),
            f"Interface endpoint {ep_lid} ({v.service}) does not set PrivateDnsEnabled: true (CloudFormation's default is "
            f"false), so tasks of {v.workload.label} in {_subnets([x.subnet for x in vs])}, which have no internet path, "
            f"resolve the public {v.service} name and cannot {_need(v)}: they fail with {_symptom(v)}; set "
            f"PrivateDnsEnabled: true on {ep_lid}.",
            w,
            Fix(_props(ep_lid), "PrivateDnsEnabled", True),
        )


def en2004(a: Analysis) -> Iterator[Raw]:
    model = a.state
    for vpc in model.vpcs.values():
        eps = [ep for ep in model.endpoints.values() if ep.vpc == vpc.lid and ep.type == "Interface" and ep.private_dns is True]
        if not eps:
            continue
        problems = []
        if vpc.dns_hostnames is False:
            problems.append("does not set EnableDnsHostnames: true (CloudFormation's default is false)")
        if vpc.dns_support is False:
            problems.append("sets EnableDnsSupport: false")
        if not problems:
            continue
        users = sorted({v.workload.label for v in a.verdicts if isinstance(v.via, Endpoint) and v.via.vpc == vpc.lid})
        who = f"tasks of {_join(users)}" if users else "tasks in the VPC"
        yield Raw(
            "EN2004",
            vpc.path,
            f"VPC {vpc.lid} has interface endpoint{'s' if len(eps) > 1 else ''} {_join([e.lid for e in eps])} with private DNS "
            f"but {' and '.join(problems)}, so the endpoint cannot be created with private DNS and {who} cannot resolve it "
            f"(CannotPullContainerError, ResourceInitializationError); set EnableDnsHostnames: true and EnableDnsSupport: "
            f"true on {vpc.lid}.",
            None,
            Fix(_props(vpc.lid), "EnableDnsHostnames", True) if vpc.dns_support is not False else None,
        )


def en2005(a: Analysis) -> Iterator[Raw]:
    via_ep = [v for v in a.verdicts if v.outcome == "ok" and isinstance(v.via, Endpoint) and v.via.type == "Interface"]
    for (ep_lid, w), vs in _group(via_ep, lambda v: (v.via.lid, v.workload.lid)).items():
        v = vs[0]
        sgs = _workload_sgs(a, v)
        if isinstance(sgs, Unknown):
            continue
        refused = [x for x in vs if a.state.endpoint_admits(x.via, sgs, x.subnet) is False]
        if not refused:
            continue
        ep = v.via
        subnets = [x.subnet for x in refused]
        source = f"security group {sgs[0]}" if not sgs[0].startswith("default-sg:") else "the tasks' subnets"
        if ep.security_groups is None:
            yield Raw(
                "EN2005",
                ep.path,
                f"Interface endpoint {ep_lid} ({v.service}) has no SecurityGroupIds, so it uses the default security group "
                f"of VPC {ep.vpc}, which admits only its own members and refuses tasks of {v.workload.label} "
                f"({_sg_label(a, sgs)}) in {_subnets(subnets)}, so they cannot {_need(v)} and fail with "
                f"{_symptom(v)}; set SecurityGroupIds to a group that allows TCP 443 in from {source}.",
                w,
            )
            continue
        ep_sgs = a.state.endpoint_sgs(ep)
        yield Raw(
            "EN2005",
            _props(ep_lid) + ("SecurityGroupIds",),
            f"Security group{'s' if len(ep_sgs) > 1 else ''} {_sg_label(a, ep_sgs)} of interface endpoint {ep_lid} "
            f"({v.service}) {'do' if len(ep_sgs) > 1 else 'does'} not allow TCP 443 in from tasks of {v.workload.label} "
            f"({_sg_label(a, sgs)}) in {_subnets(subnets)}, so they cannot {_need(v)} and fail with "
            f"{_symptom(v)}; add an ingress rule for TCP 443 from {source} to {_sg_label(a, ep_sgs[:1])}.",
            w,
        )


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
        for key, v in blocked.items():
            kind, target = v.dest
            if kind == "endpoint":
                dests.append(f"interface endpoint {key} ({v.service})")
                vpc = a.state.vpcs.get(v.vpc)
                cidr = vpc.cidrs[0] if vpc and vpc.cidrs and not isinstance(vpc.cidrs[0], Unknown) else None
                fixes.append(f"the VPC CIDR {cidr}" if cidr else "the endpoint subnets' CIDRs")
            elif kind == "s3":
                dests.append("the S3 gateway endpoint" if isinstance(v.via, Endpoint) else "S3")
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
        )


def wn2002(a: Analysis) -> Iterator[Raw]:
    via_ep = [v for v in a.verdicts if v.outcome == "ok" and isinstance(v.via, Endpoint) and v.via.type == "Interface"]
    for (ep_lid, w), vs in _group(via_ep, lambda v: (v.via.lid, v.workload.lid)).items():
        ep = vs[0].via
        if isinstance(ep.subnets, Unknown):
            continue
        ep_azs = [a.state.az_of(s) for s, _ in ep.subnets]
        uncovered: Dict[str, Verdict] = {}
        for v in vs:
            az = a.state.az_of(v.subnet)
            if tri_any([same_az(az, e) for e in ep_azs]) is False and v.subnet not in uncovered:
                uncovered[v.subnet] = v
        if not uncovered:
            continue
        v = next(iter(uncovered.values()))
        azs = _join([az_label(a.state.az_of(s)) for s in uncovered])
        path = _key_path(a, ep_lid, "SubnetIds")
        yield Raw(
            "WN2002",
            path,
            f"Interface endpoint {ep_lid} ({v.service}) has no subnet in the Availability Zone of {_subnets(list(uncovered))} "
            f"({azs}), where tasks of {v.workload.label} run, so those tasks reach it across AZs (cross-AZ data charges, and "
            f"they cannot {_need(v)} if the endpoint's AZ fails: {_symptom(v)}); add a subnet in that AZ to "
            f"SubnetIds of {ep_lid}.",
            w,
            Fix(_props(ep_lid), "SubnetIds", {"Ref": next(iter(uncovered))}, "append"),
        )


def en2006(a: Analysis) -> Iterator[Raw]:
    for ep in a.state.endpoints.values():
        if not ep.type_known or ep.type == "Interface" or not isinstance(ep.service, str):
            continue
        if not a.policy.interface_only(ep.service):
            continue
        users = [v for v in a.verdicts if v.outcome == "wrong-type" and v.via is ep]
        props = a.resolver.properties(ep.lid)
        said = f"sets VpcEndpointType: {ep.type}" if "VpcEndpointType" in props else "does not set VpcEndpointType: Interface (the default is Gateway)"
        impact = f" and tasks of {users[0].workload.label} cannot {_need(users[0])} ({_symptom(users[0])})" if users else ""
        yield Raw(
            "EN2006",
            ep.path,
            f"VPC endpoint {ep.lid} is for {ep.service}, which is offered only as an Interface endpoint, but it {said}, so the "
            f"stack fails to create it{impact}; set VpcEndpointType: Interface with SubnetIds, SecurityGroupIds and "
            f"PrivateDnsEnabled: true.",
            users[0].workload.lid if users else None,
            Fix(_props(ep.lid), "VpcEndpointType", "Interface"),
        )


def en2007(a: Analysis) -> Iterator[Raw]:
    for ep in a.state.endpoints.values():
        if ep.type != "Interface" or isinstance(ep.subnets, Unknown):
            continue
        seen: List[Tuple[str, Any]] = []
        for sn, spath in ep.subnets:
            if isinstance(sn, Unknown):
                continue
            az = a.state.az_of(sn)
            dup = next((s for s, z in seen if same_az(z, az) is True and s != sn), None)
            if dup is not None:
                yield Raw(
                    "EN2007",
                    spath,
                    f"Interface endpoint {ep.lid} lists subnets {dup} and {sn}, both in {az_label(az)}, so the create call "
                    f"fails with DuplicateSubnetsInSameZone and tasks that rely on it cannot start; keep one subnet per "
                    f"Availability Zone in SubnetIds.",
                )
            seen.append((sn, az))


def en4001(a: Analysis) -> Iterator[Raw]:
    bad = [v for v in a.verdicts if v.outcome == "no-internet"]
    for (w, need_id), vs in _group(bad, lambda v: (v.workload.lid, v.need.need.need_id)).items():
        v = vs[0]
        why = v.why
        if "no public IP" in why and "EC2" not in why:
            fix = "set AssignPublicIp: ENABLED (public subnets), or route 0.0.0.0/0 through a public NAT gateway"
        elif "private NAT" in why:
            fix = "route 0.0.0.0/0 to a public NAT gateway in a subnet with an internet gateway route"
        else:
            fix = "add a 0.0.0.0/0 route to a public NAT gateway, or serve the image from ECR in this region"
        yield Raw(
            "EN4001",
            v.workload.net_path,
            f"Tasks of {v.workload.label} in {_subnets([x.subnet for x in vs])} {_need(v)}, which only the internet can "
            f"serve, but {why}, so they fail with {_symptom(v)}; {fix}.",
            w,
        )


def _strip_intrinsic(path: Path) -> Path:
    """Anchor an unknown on the property that holds it, not inside its Ref/Fn:: wrapper."""
    path = tuple(path)
    for i, part in enumerate(path):
        if isinstance(part, str) and (part == "Ref" or part.startswith("Fn::")) and i >= 2:
            return path[:i]
    return path


def _blockers(unknown: Unknown) -> Tuple[Unknown, ...]:
    """Every unknown value that kept a decision open (tri_any / tri_all keep them all): IN9001 names
    each, so which ones it reports does not depend on the order of the template's lists."""
    return tuple(getattr(unknown, "blockers", None) or (unknown,))


def in9001(a: Analysis) -> Iterator[Raw]:
    items: List[Tuple[Unknown, Any, str]] = list(a.unknowns)
    for v in a.verdicts:
        if v.outcome == "unknown" and v.unknown is not None:
            items.append((v.unknown, v.workload, f"that tasks of {{w}} in subnet {v.subnet} can {_need(v)}"))
    # decisions of the ok verdicts that rested on unknown security groups
    for v in a.verdicts:
        if v.outcome == "ok":
            sgs = _workload_sgs(a, v)
            if isinstance(sgs, Unknown):
                items.append((sgs, v.workload, "the security group rules of tasks of {w}"))
    for v in a.verdicts:
        if v.outcome != "ok":
            continue
        sgs = _workload_sgs(a, v)
        if not isinstance(sgs, Unknown):
            # unknowns that kept EN1001 / EN2005 from a decision
            egress = a.state.egress_allows(sgs, v.dest)
            if isinstance(egress, Unknown):
                items.extend((u, v.workload, "that tasks of {w} may send HTTPS out to what they need") for u in _blockers(egress) if u.path)
            if isinstance(v.via, Endpoint) and v.via.type == "Interface":
                admits = a.state.endpoint_admits(v.via, sgs, v.subnet)
                if isinstance(admits, Unknown):
                    items.extend((u, v.workload, f"that endpoint {v.via.lid} admits tasks of {{w}}") for u in _blockers(admits) if u.path)
        dns = _dns_targets(a, v.vpc)
        if isinstance(dns, Unknown):
            items.extend((u, v.workload, "the DNS egress of tasks of {w}") for u in _blockers(dns) if u.path)
        acl = a.state.subnet_nacl.get(v.subnet)
        if isinstance(acl, Unknown):
            items.extend((u, v.workload, f"the network ACL of subnet {v.subnet} of {{w}}") for u in _blockers(acl) if u.path)
        elif isinstance(acl, str) and a.state.nacls[acl].unknown is not None:
            items.append((a.state.nacls[acl].unknown, v.workload, f"the network ACL of subnet {v.subnet} of {{w}}"))
        if a.state.subnet_nacl:
            # unknowns that kept EN1003 from a decision (a malformed entry, a partial match)
            for subnet, egress, ports, peer, _label in _nacl_flows(a, v):
                allowed, _entry = a.state.nacl_decision(subnet, egress, ports, peer, public=peer is ANY_V4)
                if isinstance(allowed, Unknown):
                    items.extend((u, v.workload, f"that network ACLs pass the HTTPS traffic of tasks of {{w}} in subnet {v.subnet}") for u in _blockers(allowed) if u.path)
    seen = set()
    for unk, w, what in ((u, w, what) for blocked, w, what in items for u in _blockers(blocked)):
        path = _strip_intrinsic(unk.path) or w.path
        key = (path, unk.why, w.lid)
        if key in seen:
            continue
        seen.add(key)
        hint = unk.hint or "supply parameter values (ecsnetpolicy check --parameter NAME=VALUE, cfn-lint --parameters) or pass the templates that define it"
        yield Raw(
            "IN9001",
            path,
            f"Could not verify {what.format(w=w.label)}: {unk.why}; {hint}.",
            w.lid,
        )


def _dns_targets(a: Analysis, vpc: str) -> Any:
    """(label, networks) of the DNS servers the tasks must reach on port 53, None when security
    groups do not filter them (AmazonProvidedDNS: fact 15), or Unknown."""
    found = a.state.dns_servers(vpc)
    if found is not None:
        opts, servers = found
        if isinstance(servers, Unknown):
            return servers
        v = a.state.vpcs.get(vpc)
        amazon = {"AmazonProvidedDNS", "169.254.169.253"}
        if v is not None and v.cidrs and not isinstance(v.cidrs[0], Unknown):
            amazon.add(str(v.cidrs[0].network_address + 2))  # the VPC resolver, by its address
        custom = [x for x in servers if not (isinstance(x, str) and x in amazon)]
        for x in custom:
            if isinstance(x, Unknown):
                return x
        if custom:
            nets = [as_network(x, ("Resources", opts, "Properties", "DomainNameServers")) for x in custom]
            for n in nets:
                if isinstance(n, Unknown):
                    return n
            return (f"DNS servers {_join(custom)} (DHCP options {opts} of VPC {vpc})", nets)
    if a.policy.options.get("dns_egress") == "always":
        v = a.state.vpcs.get(vpc)
        if v is None or not v.cidrs or isinstance(v.cidrs[0], Unknown):
            return Unknown(f"the CIDR of VPC {vpc} is not known")
        resolver = ipaddress.ip_network(f"{v.cidrs[0].network_address + 2}/32")
        return (f"the VPC resolver {resolver.network_address} of VPC {vpc}", [resolver])
    return None


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
        )


def _nacl_flows(a: Analysis, v: Verdict) -> List[Tuple[str, bool, Tuple[int, int], Any, str]]:
    """The stateless legs of a verdict's HTTPS flow: (subnet, egress?, ports, peer network, peer label)."""
    model = a.state
    src = model.subnets[v.subnet].cidr
    legs: List[Tuple[str, bool, Tuple[int, int], Any, str]] = []
    kind, target = v.dest
    if kind == "endpoint":
        if isinstance(target.subnets, Unknown):
            return legs
        for sn, _ in target.subnets:
            if not isinstance(sn, str) or sn == v.subnet:
                continue  # traffic inside one subnet does not cross its network ACL
            dst = model.subnets[sn].cidr
            label = f"endpoint {target.lid}"
            legs.append((v.subnet, True, (443, 443), dst, label))
            legs.append((v.subnet, False, EPHEMERAL, dst, label))
            legs.append((sn, False, (443, 443), src, f"the tasks in {v.subnet}"))
            legs.append((sn, True, EPHEMERAL, src, f"the tasks in {v.subnet}"))
    else:
        label = "S3" if kind == "s3" else "the internet"
        legs.append((v.subnet, True, (443, 443), ANY_V4, label))
        legs.append((v.subnet, False, EPHEMERAL, ANY_V4, label))
    return legs


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
        needs = _join([_need(x) for x in g["uses"].values()])
        symptoms = _join([_symptom(x) for x in g["uses"].values()])
        yield Raw(
            "EN1003",
            anchor,
            f"Network ACL {g['acl']} blocks {'; '.join(flows)}: {cause}, and network ACLs are stateless, so tasks of "
            f"{v.workload.label} cannot {needs} and fail with {symptoms}; {fix}.",
            w,
        )

CHECKS: Dict[str, Callable[[Analysis], Iterator[Raw]]] = {
    "EN1001": en1001,
    "EN1002": en1002,
    "EN1003": en1003,
    "EN2001": en2001,
    "WN2002": wn2002,
    "EN2003": en2003,
    "EN2004": en2004,
    "EN2005": en2005,
    "EN2006": en2006,
    "EN2007": en2007,
    "EN3001": en3001,
    "EN4001": en4001,
    "IN9001": in9001,
}


def raw_findings(report: Report, rule_ids: Optional[Iterable[str]] = None) -> List[Raw]:
    """Findings over all scenarios; those present in only some say in which."""
    ids = list(rule_ids) if rule_ids is not None else list(CHECKS)
    scenarios = report.scenarios
    occurrences: Dict[Tuple[str, Path, str], Tuple[Raw, List[int]]] = {}
    for i, a in enumerate(report.analyses):
        for rid in ids:
            check = CHECKS.get(rid)
            if check is None:
                continue
            for raw in check(a):
                key = (raw.rule_id, raw.path, raw.message)
                if key not in occurrences:
                    occurrences[key] = (raw, [])
                if i not in occurrences[key][1]:
                    occurrences[key][1].append(i)
    out = []
    for raw, where in occurrences.values():
        if len(where) < len(scenarios):
            desc = describe_scenarios([scenarios[i] for i in where], scenarios)
            msg = raw.message[:-1] + f" ({desc})." if raw.message.endswith(".") else raw.message + f" ({desc})"
            raw = Raw(raw.rule_id, raw.path, msg, raw.workload, raw.fix)
        out.append(raw)
    # the combinations of conditions that were not analysed (a cap): said, never dropped silently
    exploration = getattr(report, "exploration", None)
    unexplored = exploration.unexplored_finding() if exploration is not None and "IN9001" in ids else None
    if unexplored is not None:
        out.append(Raw("IN9001", unexplored[0], unexplored[1]))
    # the resolve budget ran out (values.Budget): what was left unevaluated is said, never passed
    budget = getattr(report, "budget", None)
    if budget is not None and budget.left < 0 and "IN9001" in ids:
        out.append(Raw("IN9001", ("Resources",), TOO_COSTLY_MESSAGE))
    return out


TOO_COSTLY_MESSAGE = (
    "Could not verify the whole template: its intrinsic functions (Fn::FindInMap, Fn::Join, Fn::Split, Fn::Sub, "
    "Fn::GetAtt chains) expand to more than ecsnetpolicy evaluates for one template, so every value past that point "
    "was treated as unknown and nothing that rests on them was checked; simplify the intrinsic functions that build "
    "the network values."
)


def to_findings(raws: Iterable[Raw], template: Mapping[str, Any], filename: Optional[str], locate: Callable) -> List[Finding]:
    out = []
    for raw in raws:
        line, col, eline, ecol = locate(template, list(raw.path))
        out.append(Finding(raw.rule_id, raw.message, tuple(raw.path), filename, line, col, eline, ecol, raw.workload, raw.fix))
    out.sort(key=Finding.sort_key)
    return out


from .more import MORE_CHECKS  # noqa: E402  (rules of issue 3)

CHECKS.update(MORE_CHECKS)
