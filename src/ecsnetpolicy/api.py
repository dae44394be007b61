"""The one entry both paths use: template mapping in, findings out, the analysis built once per
template and shared by every rule (cfn-lint reuses rule instances across templates, so the cache
is keyed on the template object itself).  No cfn-lint import here."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from .checks import Raw, raw_findings
from .engine import analyse
from .policy import load_policy

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .deployment import Stack

_CACHE: "OrderedDict[Tuple, Tuple[Any, List[Raw]]]" = OrderedDict()
_CACHE_SIZE = 8


def raw_for(
    template: Mapping[str, Any],
    *,
    params: Optional[Mapping[str, Any]] = None,
    region: str = "us-east-1",
    stack_name: str = "stack",
    policy_files: Sequence[str] = (),
) -> List[Raw]:
    """All raw findings (every rule) for one template; computed once and cached."""
    params = dict(params or {})
    key = (id(template), region, stack_name, tuple(sorted((k, str(v)) for k, v in params.items())), tuple(policy_files))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is template:
        _CACHE.move_to_end(key)
        return hit[1]
    policy = load_policy(policy_files)
    raws = raw_findings(analyse(template, params=params, region=region, stack_name=stack_name, policy=policy))
    _CACHE[key] = (template, raws)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return raws


def safe_raw_for(template: Mapping[str, Any], **kwargs: Any) -> List[Raw]:
    """raw_for, but an internal error becomes one IN9001 instead of a crash in the user's linter."""
    try:
        return raw_for(template, **kwargs)
    except RecursionError:
        return [Raw("IN9001", (), "Could not analyse this template: it nests or refers to itself too deeply; nothing was verified.")]
    except Exception as exc:  # pragma: no cover - reached only through engine bugs
        print(f"ecsnetpolicy: internal error while analysing the template: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return [Raw("IN9001", (), f"Could not analyse this template (internal error {exc.__class__.__name__}); nothing was verified.")]


def select(raws: Iterable[Raw], rule_id: str) -> List[Raw]:
    return [r for r in raws if r.rule_id == rule_id]


def deployment_raws(
    stacks: Sequence["Stack"],
    *,
    region: str = "us-east-1",
    policy_files: Sequence[str] = (),
    load: Any = None,
    grouped: bool = False,
) -> List[Tuple["Stack", Raw]]:
    """Findings of a set of stacks judged as one deployment, each with the stack (file) it is in.

    A lone template without nested stacks is judged as it is; otherwise the stacks are merged
    (deployment.py) and each finding is translated back to its own file and path."""
    from .deployment import groups, merge, merged_params, needs_merge

    if len(stacks) > 1 and not grouped:
        return [
            pair
            for group in groups(stacks, region)
            for pair in deployment_raws(group, region=region, policy_files=policy_files, load=load, grouped=True)
        ]
    if not stacks:
        return []
    if not needs_merge(stacks):
        s = stacks[0]
        return [(s, r) for r in safe_raw_for(s.template, params=s.params, region=region, stack_name=s.name, policy_files=policy_files)]
    merged = merge(stacks, region, load)
    raws = safe_raw_for(merged.template, params=merged_params(merged), region=region, stack_name=stacks[0].name, policy_files=policy_files)
    out = []
    for r in raws:
        stack, path = merged.translate(r.path)
        if stack is None:
            continue
        out.append((stack, Raw(r.rule_id, path, r.message, r.workload, _translate_fix(r.fix, merged))))
    return out


def _translate_fix(fix: Any, merged: Any) -> Any:
    if fix is None:
        return None
    from .findings import Fix

    _stack, path = merged.translate(fix.path)
    return Fix(path, fix.key, fix.value, fix.kind)
