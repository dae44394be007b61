"""Rule 9xxx, what could not be verified (IN9001): every unknown value that kept a decision open,
the template-wide limits (the resolve budget) past which nothing was checked, and what the account
rules (EN2008, EN5002, EN5001 for an execution role given as an ARN) could not decide."""

from __future__ import annotations

from typing import Any, Iterator, List, Tuple

from ..engine import Analysis
from ..findings import Raw
from ..state import ANY_V4, Endpoint
from ..values import Path, Unknown
from .base import _need, _workload_sgs
from .endpoints import service_az_unknowns
from .flows import _dns_targets, _nacl_flows
from .iam import execution_role_unknowns
from .logs import log_group_unknowns


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
    # what the account rules (EN2008, EN5002, EN5001) could not decide: they run after this rule, so it asks them
    yield from service_az_unknowns(a)
    yield from log_group_unknowns(a)
    yield from execution_role_unknowns(a)


TOO_COSTLY_MESSAGE = (
    "Could not verify the whole template: its intrinsic functions (Fn::FindInMap, Fn::Join, Fn::Split, Fn::Sub, "
    "Fn::GetAtt chains) expand to more than ecsnetpolicy evaluates for one template, so every value past that point "
    "was treated as unknown and nothing that rests on them was checked; simplify the intrinsic functions that build "
    "the network values."
)
