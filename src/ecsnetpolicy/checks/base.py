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
