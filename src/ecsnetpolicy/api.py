"""The one entry both paths use: template mapping in, findings out, the analysis built once per
template and shared by every rule (cfn-lint reuses rule instances across templates, so the cache
is keyed on the template object itself).  No cfn-lint import here."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from .checks import Raw, raw_findings
from .engine import Report, analyse
from .policy import load_policy

if TYPE_CHECKING:  # pragma: no cover
    from .deployment import Stack

_CACHE: "OrderedDict[Tuple, Tuple[Any, Report, List[Raw]]]" = OrderedDict()
_CACHE_SIZE = 8


def _analysed(template: Mapping[str, Any], params: Mapping[str, Any], region: str, stack_name: str, policy_files: Sequence[str]):
    """(report, raw findings) of one template, computed once and cached on the template object."""
    key = (id(template), region, stack_name, tuple(sorted((k, str(v)) for k, v in params.items())), tuple(policy_files))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is template:
        _CACHE.move_to_end(key)
        return hit[1], hit[2]
    policy = load_policy(policy_files)
    report = analyse(template, params=params, region=region, stack_name=stack_name, policy=policy)
    raws = raw_findings(report)
    _CACHE[key] = (template, report, raws)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return report, raws


def raw_for(
    template: Mapping[str, Any],
    *,
    params: Optional[Mapping[str, Any]] = None,
    region: str = "us-east-1",
    stack_name: str = "stack",
    policy_files: Sequence[str] = (),
) -> List[Raw]:
    """All raw findings (every rule) for one template; computed once and cached."""
    return _analysed(template, dict(params or {}), region, stack_name, policy_files)[1]


def report_for(
    template: Mapping[str, Any],
    *,
    params: Optional[Mapping[str, Any]] = None,
    region: str = "us-east-1",
    stack_name: str = "stack",
    policy_files: Sequence[str] = (),
) -> Report:
    """The engine's report for one template (the same cached analysis raw_for words)."""
    return _analysed(template, dict(params or {}), region, stack_name, policy_files)[0]


def safe_raw_for(template: Mapping[str, Any], **kwargs: Any) -> List[Raw]:
    """raw_for, but an internal error becomes one IN9001 instead of a crash in the user's linter."""
    try:
        return raw_for(template, **kwargs)
    except RecursionError:
        return [Raw("IN9001", (), "Could not analyse this template: it nests or refers to itself too deeply; nothing was verified.")]
    except Exception as exc:  # pragma: no cover - reached only through engine bugs
        print(f"ecsnetpolicy: internal error while analysing the template: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return [Raw("IN9001", (), f"Could not analyse this template (internal error {exc.__class__.__name__}); nothing was verified.")]


@dataclass
class Unit:
    """What the engine analyses for a group of stacks judged together: one template (a lone
    stack's own, or the merge of the group) with its parameters, and the merge when there is one."""

    stacks: List["Stack"]
    template: Mapping[str, Any]
    params: Dict[str, Any]
    stack_name: str
    merged: Any = None  # deployment.Merged

    def translate(self, path: Sequence[Any]) -> Tuple[Optional["Stack"], Tuple[Any, ...]]:
        if self.merged is None:
            return self.stacks[0], tuple(path)
        return self.merged.translate(path)


def deployment_units(stacks: Sequence["Stack"], *, region: str = "us-east-1", load: Any = None) -> List[Unit]:
    """Stacks that import from each other (or nest) are judged together, merged; the rest alone."""
    from .deployment import groups, merge, merged_params, needs_merge

    units = []
    for group in (groups(stacks, region) if len(stacks) > 1 else [list(stacks)]):
        if not group:
            continue
        if not needs_merge(group):
            s = group[0]
            units.append(Unit(group, s.template, dict(s.params), s.name))
            continue
        merged = merge(group, region, load)
        units.append(Unit(group, merged.template, merged_params(merged), group[0].name, merged))
    return units


def deployment_raws(
    stacks: Sequence["Stack"],
    *,
    region: str = "us-east-1",
    policy_files: Sequence[str] = (),
    load: Any = None,
) -> List[Tuple["Stack", Raw]]:
    """Findings of a set of stacks judged as one deployment, each with the stack (file) it is in,
    its path translated back to that file."""
    out = []
    for unit in deployment_units(stacks, region=region, load=load):
        raws = safe_raw_for(unit.template, params=unit.params, region=region, stack_name=unit.stack_name, policy_files=policy_files)
        for r in raws:
            stack, path = unit.translate(r.path)
            if stack is None:
                continue
            if unit.merged is not None:
                r = Raw(r.rule_id, path, r.message, r.workload, _translate_fix(r.fix, unit.merged))
            out.append((stack, r))
    return out


def _translate_fix(fix: Any, merged: Any) -> Any:
    if fix is None:
        return None
    from .findings import Fix

    _stack, path = merged.translate(fix.path)
    return Fix(path, fix.key, fix.value, fix.kind)
