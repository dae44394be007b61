"""Task definitions as the rules see them: who starts their tasks and how (launch type), their
containers, and the needs of those containers that ask something of the execution role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..engine import Analysis, container_facts
from ..load.policy import Need, _matches
from ..values import Path, ResRef, Unknown
from .base import _props


def task_definition_users(a: Analysis, td: str) -> List[Tuple[str, Any]]:
    """(label, launch type or None) of everything in the template that starts tasks of `td`: the
    state's workloads, plus services and task sets without awsvpc networking (never Fargate)."""
    net, r = a.state, a.resolver
    out: List[Tuple[str, Any]] = []
    for w in net.workloads.values():
        if w.task_definition == td:
            out.append((w.label, w.launch_type if isinstance(w.launch_type, str) else None))
    others = a.__dict__.get("_non_awsvpc_users")
    if others is None:  # resolved once per scenario, not once per task definition
        others = {}
        for rtype, kind in (("AWS::ECS::Service", "service"), ("AWS::ECS::TaskSet", "task set")):
            for lid in a.by_type.get(rtype, []):
                props = r.properties(lid)
                if "NetworkConfiguration" in props:
                    continue  # a workload of the state (above)
                ref = r.resolve(props.get("TaskDefinition"), _props(lid) + ("TaskDefinition",))
                if isinstance(ref, ResRef):
                    others.setdefault(ref.logical_id, []).append(f"{kind} {lid}")
        a.__dict__["_non_awsvpc_users"] = others
    out.extend((label, "EC2") for label in others.get(td, []))  # bridge or host networking: not Fargate
    return out


def _td_launch_type(a: Analysis, td: str, users: Sequence[Tuple[str, Any]]) -> Optional[str]:
    """FARGATE when some of its tasks surely run on Fargate, EC2 when all surely do not."""
    r = a.resolver
    if any(lt == "FARGATE" for _, lt in users):
        return "FARGATE"
    compat = r.resolve(r.properties(td).get("RequiresCompatibilities"), _props(td) + ("RequiresCompatibilities",))
    if isinstance(compat, list) and compat and all(c == "FARGATE" for c in compat):
        return "FARGATE"
    if users and all(lt == "EC2" for _, lt in users):
        return "EC2"
    return None


def _containers(a: Analysis, td: str) -> List[Tuple[Mapping[str, Any], Path]]:
    r = a.resolver
    base = _props(td)
    items = r.items(r.properties(td).get("ContainerDefinitions", []), base + ("ContainerDefinitions",))
    if isinstance(items, Unknown):
        return []
    return [(c, p) for c, p in items if isinstance(c, Mapping)]


class NeedHit:
    def __init__(self, need: Need, image: str, detail: str):
        self.need = need
        self.image = image
        self.detail = detail


def execution_needs(a: Analysis, td: str, launch_type: Optional[str]) -> List[NeedHit]:
    """The needs of the task definition's containers that ask something of the execution role."""
    hits: Dict[str, NeedHit] = {}
    for c, _cpath in _containers(a, td):
        cf = container_facts(a, c, a.region)
        facts = {**cf.facts, "launch_type": launch_type}
        for need in a.policy.needs_for(facts):
            if not need.execution_role_actions:
                continue
            if need.execution_role_when and not _matches(need.execution_role_when, facts):
                continue
            if need.need_id not in hits:
                hits[need.need_id] = NeedHit(need, cf.image, cf.detail)
    return list(hits.values())
