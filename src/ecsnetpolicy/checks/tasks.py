"""Task definitions as the rules see them: who starts their tasks and how (launch type), their
containers, and the needs of those containers that ask something of the execution role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..engine import EXPRESS, Analysis, container_facts, task_containers
from ..load.policy import Need, _matches
from ..values import Path, Unknown
from .base import _props


def task_definition_users(a: Analysis, td: str) -> List[Tuple[str, Any]]:
    """(label, launch type or None) of everything in the template that starts tasks of `td`: the
    state's workloads, which since issue 14 include bridge and host services and task sets (on
    their container instances), daemons and Express services (their own PrimaryContainer)."""
    out: List[Tuple[str, Any]] = []
    for w in a.state.workloads.values():
        if w.task_definition == td:
            label = w.label
            if (label, w.launch_type) not in out:
                out.append((label, w.launch_type if isinstance(w.launch_type, str) else None))
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
    """The containers of a task definition, daemon task definition or Express service (its
    PrimaryContainer, as engine.express_container shapes it); [] when not decidable."""
    r = a.resolver
    if r.resource_type(td) == EXPRESS:
        found = task_containers(a, td)
        if isinstance(found, Unknown):
            return []
        # without its log group name: EN5002 anchors inside LogConfiguration, which an Express
        # service does not have (its AwsLogsConfiguration is not judged against the account yet)
        return [({**c, "LogConfiguration": {"LogDriver": "awslogs"}}, cpath) for c, cpath in found]
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
