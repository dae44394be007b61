"""Rule 9xxx, what could not be verified (IN9001): every unknown value that kept a decision open,
the template-wide limits (the resolve budget) past which nothing was checked, and what the account
rules (EN2008, EN5002, EN5001 for an execution role given as an ARN) could not decide."""

from __future__ import annotations

from typing import Any, Iterator, List, Optional, Set, Tuple

from ..engine import Analysis
from ..findings import Raw
from ..state import ANY_V4, Endpoint
from ..values import Path, Unknown
from .base import _need, _workload_sgs
from .endpoints import service_az_unknowns
from .flows import _dns_targets, _nacl_flows
from .iam import execution_role_unknowns
from .inbound import inbound_unknowns
from .logs import log_group_unknowns
from .s3 import layer_policy_unknowns


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


def _account_paths(a: Analysis) -> Set[Path]:
    """The template paths that brought account facts into the state (an account fact, and what
    the network around it needs, carries the path of the first property that referenced it)."""
    st = a.state
    out: Set[Path] = set()
    for table in (st.vpcs, st.subnets, st.route_tables, st.nats, st.igws, st.sgs, st.endpoints, st.nacls, st.dhcp_by_vpc):
        for fact in table.values():
            origin = getattr(fact, "origin", None)
            if origin is not None and origin.source == "account":
                out.add(tuple(origin.path))
    return out


def _entries(value: Any) -> List[Tuple[Any, Path]]:
    return [(x, tuple(p)) for x, p in value] if isinstance(value, list) else []


def _workload_anchor(a: Analysis, path: Path, w: Any, subnet: Any) -> Path:
    """Issue 11 point 5: an unknown about an account resource anchors on the property that brought
    it in for *this* workload.  An account fact keeps the path of the first property that referenced
    it, which may be another resource's (a template group's VpcId that brought the VPC, hence its
    endpoints) or another workload's entry: such a path becomes this workload's entry naming the
    same subnet or group, else its entry for the verdict's subnet, else its Subnets."""
    subnets = _entries(w.subnets)
    groups = _entries(w.security_groups)

    def subnet_path(sid: Any) -> Optional[Path]:
        return next((p for s, p in subnets if s == sid), None)

    own_subnet_paths = {p for _, p in subnets} | {tuple(w.subnets_path)}
    if path in own_subnet_paths:
        # this workload's own subnet entry: the verdict's subnet entry when it names another one
        return (subnet_path(subnet) or path) if subnet is not None else path
    if tuple(path[:2]) == tuple(w.path[:2]):
        return path  # another property of the workload itself (its security groups...)
    verdict_path = subnet_path(subnet) if subnet is not None else None
    for other in a.state.workloads.values():
        if other is w:
            continue
        for sid, p in _entries(other.subnets):
            if p == path:
                return verdict_path or subnet_path(sid) or tuple(w.subnets_path)
        for gid, p in _entries(other.security_groups):
            if p == path:
                mine = next((q for g, q in groups if g == gid), None)
                if mine is not None:
                    return mine
    return verdict_path or tuple(w.subnets_path)


def in9001(a: Analysis) -> Iterator[Raw]:
    # (unknown, workload, what it blocked, the subnet of the verdict it blocked or None)
    items: List[Tuple[Unknown, Any, str, Any]] = [(u, w, what, None) for u, w, what in a.unknowns]
    for v in a.verdicts:
        if v.outcome == "unknown" and v.unknown is not None:
            items.append((v.unknown, v.workload, f"that tasks of {{w}} in subnet {v.subnet} can {_need(v)}", v.subnet))
    # decisions of the ok verdicts that rested on unknown security groups
    for v in a.verdicts:
        if v.outcome == "ok":
            sgs = _workload_sgs(a, v)
            if isinstance(sgs, Unknown):
                items.append((sgs, v.workload, "the security group rules of tasks of {w}", v.subnet))
    for v in a.verdicts:
        if v.outcome != "ok":
            continue
        sgs = _workload_sgs(a, v)
        if not isinstance(sgs, Unknown):
            # unknowns that kept EN1001 / EN2005 from a decision
            egress = a.state.egress_allows(sgs, v.dest)
            if isinstance(egress, Unknown):
                items.extend((u, v.workload, "that tasks of {w} may send HTTPS out to what they need", v.subnet) for u in _blockers(egress) if u.path)
            if isinstance(v.via, Endpoint) and v.via.type == "Interface":
                admits = a.state.endpoint_admits(v.via, sgs, v.subnet)
                if isinstance(admits, Unknown):
                    items.extend((u, v.workload, f"that endpoint {v.via.lid} admits tasks of {{w}}", v.subnet) for u in _blockers(admits) if u.path)
        dns = _dns_targets(a, v.vpc)
        if isinstance(dns, Unknown):
            items.extend((u, v.workload, "the DNS egress of tasks of {w}", v.subnet) for u in _blockers(dns) if u.path)
        acl = a.state.subnet_nacl.get(v.subnet)
        if isinstance(acl, Unknown):
            items.extend((u, v.workload, f"the network ACL of subnet {v.subnet} of {{w}}", v.subnet) for u in _blockers(acl) if u.path)
        elif isinstance(acl, str) and a.state.nacls[acl].unknown is not None:
            items.append((a.state.nacls[acl].unknown, v.workload, f"the network ACL of subnet {v.subnet} of {{w}}", v.subnet))
        if a.state.subnet_nacl:
            # unknowns that kept EN1003 from a decision (a malformed entry, a partial match)
            for subnet, egress, ports, peer, _label in _nacl_flows(a, v):
                allowed, _entry = a.state.nacl_decision(subnet, egress, ports, peer, public=peer is ANY_V4)
                if isinstance(allowed, Unknown):
                    items.extend((u, v.workload, f"that network ACLs pass the HTTPS traffic of tasks of {{w}} in subnet {v.subnet}", v.subnet) for u in _blockers(allowed) if u.path)
    items.extend(inbound_unknowns(a))  # traffic into the tasks (issue 12)
    account_paths = _account_paths(a)
    placed = []  # (anchor, unknown, workload, what, re-anchored)
    for unk, w, what, subnet in ((u, w, what, sn) for blocked, w, what, sn in items for u in _blockers(blocked)):
        path = _strip_intrinsic(unk.path) or w.path
        if path in account_paths:
            anchored = _workload_anchor(a, path, w, subnet)
            placed.append((anchored, unk, w, what, True))
        else:
            placed.append((path, unk, w, what, False))
    # one IN9001 per unknown value per workload: an unknown about an account resource (its `why`
    # names the resource) reached through several subnets or questions, re-anchored on this
    # workload's property, is reported once, and not at all when it is reported where it arose
    direct = {(unk.why, w.lid) for _p, unk, w, _what, moved in placed if not moved}
    seen = set()
    for path, unk, w, what, moved in placed:
        key = (path, unk.why, w.lid)
        if key in seen or (moved and ((unk.why, w.lid) in direct or ("moved", unk.why, w.lid) in seen)):
            continue
        seen.add(key)
        if moved:
            seen.add(("moved", unk.why, w.lid))
        hint = unk.hint or (NACL_HINT if "network ACL" in what else
                            "supply parameter values (ecsnetpolicy check --parameter NAME=VALUE, cfn-lint --parameters) or pass the templates that define it")
        yield Raw(
            "IN9001",
            path,
            f"Could not verify {what.format(w=w.label)}: {unk.why}; {hint}.",
            w.lid,
        )
    # what the account rules (EN2008, EN5002, EN5001) could not decide: they run after this rule, so it asks them
    yield from service_az_unknowns(a)
    yield from log_group_unknowns(a)
    yield from execution_role_unknowns(a)
    yield from layer_policy_unknowns(a)


# an ACL entry that covers part of a service's addresses: S3 and registries use many ranges, which change
NACL_HINT = ("allow TCP 443 out to 0.0.0.0/0 and TCP 1024-65535 back in from it in that network ACL (AWS services use many "
             "address ranges, and they change), or check those ranges by hand")

TOO_COSTLY_MESSAGE = (
    "Could not verify the whole template: its intrinsic functions (Fn::FindInMap, Fn::Join, Fn::Split, Fn::Sub, "
    "Fn::GetAtt chains) expand to more than ecsnetpolicy evaluates for one template, so every value past that point "
    "was treated as unknown and nothing that rests on them was checked; simplify the intrinsic functions that build "
    "the network values."
)
