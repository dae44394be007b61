"""What every rule family shares: the phrasing of a verdict (what the tasks need, how they fail),
the paths findings anchor on, and small readers of template values."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from ..engine import Analysis, Verdict
from ..load.policy import Need
from ..phrasing import join as _join, short_image as _short_image
from ..values import Path, Unknown, as_int


def _need(v: Verdict) -> str:
    use = v.need
    return use.need.description.format(image=_short_image(use.image) or "(image)", detail=use.detail or "its registry")


def _symptom(v: Verdict) -> str:
    return v.need.need.symptom_for(v.service)


def _note(a: Analysis, v: Verdict) -> str:
    return v.need.need.notes.get(v.service) or f"which needs {a.policy.service_description(v.service)}"


def _describe(need: Need, image: str = "", detail: str = "") -> str:
    try:
        return need.description.format(image=_short_image(image) or "(image)", detail=detail or "its registry")
    except (KeyError, IndexError, ValueError, AttributeError):
        return need.description


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


def _int(value: Any) -> Optional[int]:
    """An integer from a CloudFormation number (1, 1.0, "1"); None for anything else (a number
    too large to read, "0x10", "４", " 1", inf, nan: see values.as_int)."""
    number = as_int(value)
    return None if isinstance(number, Unknown) else number


def _as_list(value: Any) -> List[Any]:
    if isinstance(value, list):
        return value
    return [value]


# ------------------------------------------------------------------ account facts
def in_template(fact: Any) -> bool:
    """Is this fact the template's own (a fix edits the template), rather than the AWS account's
    (the fix is made in the account, outside the template)?"""
    origin = getattr(fact, "origin", None)
    return origin is None or origin.source != "account"


def anchor(fact: Any, *keys: Any) -> Path:
    """Where a finding about `fact` anchors: below its resource in the template, or, for an
    account fact, the template property that brought it in (which has no sub-keys of its own)."""
    return tuple(fact.path) if not in_template(fact) else tuple(fact.path) + keys


def key_anchor(a: Analysis, fact: Any, key: str) -> Path:
    """_key_path for template facts; the property that brought an account fact in otherwise."""
    return _key_path(a, fact.lid, key) if in_template(fact) else tuple(fact.path)


def subnet_anchor(v: Verdict) -> Path:
    """The workload's entry naming the verdict's subnet (its Subnets item, or the property that
    uses the parameter carrying it): where findings about account resources of that subnet anchor."""
    subnets = v.workload.subnets
    if isinstance(subnets, list):
        for sid, spath in subnets:
            if sid == v.subnet:
                return tuple(spath)
    return tuple(v.workload.subnets_path)


def ref_or_id(fact_id: str, fact: Any) -> Any:
    """The value a template Fix writes for a resource: a Ref to the template's own, the literal ID
    of the account's."""
    return {"Ref": fact_id} if in_template(fact) else fact_id
