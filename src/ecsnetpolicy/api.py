"""The one entry both paths use: template mapping in, findings out, the analysis built once per
template and shared by every rule (cfn-lint reuses rule instances across templates, so the cache
is keyed on the template object itself).  No cfn-lint import here."""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from .checks import raw_findings
from .engine import Report, analyse
from .findings import Raw
from .load.policy import load_policy

if TYPE_CHECKING:  # pragma: no cover
    from .load.deployment import Stack

_CACHE: "OrderedDict[Tuple, Tuple[Any, Report, List[Raw], Any]]" = OrderedDict()
_CACHE_SIZE = 8


def _analysed(template: Mapping[str, Any], params: Mapping[str, Any], region: str, stack_name: str, policy_files: Sequence[str], account: Any = None):
    """(report, raw findings) of one template, computed once and cached on the template object
    (and the account snapshot object, when one is given)."""
    key = (id(template), region, stack_name, tuple(sorted((k, str(v)) for k, v in params.items())), tuple(policy_files), id(account))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is template and hit[3] is account:
        _CACHE.move_to_end(key)
        return hit[1], hit[2]
    policy = load_policy(policy_files)
    report = analyse(template, params=params, region=region, stack_name=stack_name, policy=policy, account=account)
    raws = raw_findings(report)
    _CACHE[key] = (template, report, raws, account)
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
    account: Any = None,
) -> List[Raw]:
    """All raw findings (every rule) for one template; computed once and cached.  `account`: the
    AWS account snapshot the template deploys into (adapters/account), or None."""
    return _analysed(template, dict(params or {}), region, stack_name, policy_files, account)[1]


def report_for(
    template: Mapping[str, Any],
    *,
    params: Optional[Mapping[str, Any]] = None,
    region: str = "us-east-1",
    stack_name: str = "stack",
    policy_files: Sequence[str] = (),
    account: Any = None,
) -> Report:
    """The engine's report for one template (the same cached analysis raw_for words)."""
    return _analysed(template, dict(params or {}), region, stack_name, policy_files, account)[0]


def _input_errors() -> Tuple[type, ...]:
    """The exceptions that mean "this input cannot be judged" (a file that cannot be loaded, a
    policy or configuration that cannot be used, a deployment over a limit): their text is one
    line for the user.  Imported late: api is imported by both paths before they need these."""
    from .load.config import ConfigError
    from .load.deployment import DeploymentError
    from .load.template import LoadError
    from .load.policy import PolicyError

    return (LoadError, PolicyError, ConfigError, DeploymentError)


def not_analysed(reason: str) -> Raw:
    """EN9000: the template was not judged.  An error, so no path (command, plugin, any format)
    can pass a template it did not look at."""
    return Raw("EN9000", (), f"Could not analyse this template: {reason}; nothing in it was verified, so this run fails instead of passing.")


def failure_reason(exc: BaseException) -> str:
    """One line saying what went wrong, for EN9000 and stderr."""
    if isinstance(exc, _input_errors()):
        return " ".join(str(exc).split())
    if isinstance(exc, RecursionError):
        return "it nests or refers to itself too deeply"
    if isinstance(exc, MemoryError):
        return "it needs more memory than this machine gave the analysis"
    detail = " ".join(str(exc).split())[:200]
    return f"internal error {exc.__class__.__name__}{': ' + detail if detail else ''} (please report it; ECSNETPOLICY_DEBUG=1 raises it)"


def safe_raw_for(template: Mapping[str, Any], **kwargs: Any) -> List[Raw]:
    """raw_for, failing closed: any error while judging becomes one EN9000 (an error-level finding
    anchored on the template), never a crash in the user's linter and never a silent pass."""
    try:
        return raw_for(template, **kwargs)
    except Exception as exc:  # every failure is reported as EN9000, whatever raised it
        if os.environ.get("ECSNETPOLICY_DEBUG") and not isinstance(exc, _input_errors()):
            raise
        return [not_analysed(failure_reason(exc))]


@dataclass
class Unit:
    """What the engine analyses for a group of stacks judged together: one template (a lone
    stack's own, or the merge of the group) with its parameters, and the merge when there is one.
    `error` is set when the group could not be put together (a cycle, a limit, an unreadable file):
    then every top-level stack of the group gets EN9000 saying so."""

    stacks: List["Stack"]
    template: Mapping[str, Any]
    params: Dict[str, Any]
    stack_name: str
    merged: Any = None  # deployment.Merged
    error: Optional[str] = None
    plan: Any = None  # deployment.Plan: which exporter each shared export name comes from, and its label

    def translate(self, path: Sequence[Any]) -> Tuple[Optional["Stack"], Tuple[Any, ...]]:
        if self.merged is None:
            return self.stacks[0], tuple(path)
        return self.merged.translate(path)


def deployment_units(stacks: Sequence["Stack"], *, region: str = "us-east-1", load: Any = None, allow_outside: Optional[bool] = None) -> List[Unit]:
    """Stacks that import from each other (or nest) are judged together, merged; the rest alone.
    A group that cannot be merged becomes a Unit with `error` set (never an exception), so one bad
    deployment never hides the findings of the others."""
    from .load.deployment import Plan, merge, merged_params, needs_merge, plan

    try:
        plans = plan(stacks, region, load, allow_outside) if len(stacks) > 1 else [Plan(list(stacks))]
    except Exception as exc:  # planning reads the templates' Outputs and imports (and nested exports)
        if os.environ.get("ECSNETPOLICY_DEBUG") and not isinstance(exc, _input_errors()):
            raise
        return [Unit([s], s.template, dict(s.params), s.name, error=failure_reason(exc)) for s in stacks]
    units = []
    for p in plans:
        group = p.stacks
        if not group:
            continue
        if not needs_merge(group) and not p.choose:
            s = group[0]
            units.append(Unit(group, s.template, dict(s.params), s.name, plan=p))
            continue
        try:
            merged = merge(group, region, load, allow_outside=allow_outside, choose=p.choose, ambiguous=p.ambiguous)
        except Exception as exc:
            if os.environ.get("ECSNETPOLICY_DEBUG") and not isinstance(exc, _input_errors()):
                raise
            units.append(Unit(group, group[0].template, dict(group[0].params), group[0].name, error=failure_reason(exc), plan=p))
            continue
        units.append(Unit(group, merged.template, merged_params(merged), group[0].name, merged, plan=p))
    return units


def deployment_raws(
    stacks: Sequence["Stack"],
    *,
    region: str = "us-east-1",
    policy_files: Sequence[str] = (),
    load: Any = None,
    allow_outside: Optional[bool] = None,
    account: Any = None,
) -> List[Tuple["Stack", Raw]]:
    """Findings of a set of stacks judged as one deployment, each with the stack (file) it is in,
    its path translated back to that file.  Fails closed: a group that cannot be judged gives
    EN9000 on each of its top-level stacks."""
    from .load.deployment import unloaded_raws

    account = _with_deployment_log_groups(account, stacks)
    per_unit: List[Tuple[Unit, List[Tuple["Stack", Raw]]]] = []
    for unit in deployment_units(stacks, region=region, load=load, allow_outside=allow_outside):
        found: List[Tuple["Stack", Raw]] = []
        per_unit.append((unit, found))
        if unit.error is not None:
            found.extend((s, not_analysed(unit.error)) for s in unit.stacks if s.parent is None)
            continue
        found.extend(unloaded_raws(unit.merged))  # nested stacks left unknown: IN9001 on their TemplateURL
        raws = safe_raw_for(unit.template, params=unit.params, region=region, stack_name=unit.stack_name, policy_files=policy_files, account=account)
        for r in raws:
            if r.rule_id == "EN9000":
                # the analysis of the whole unit failed: every top-level stack of it is unjudged
                found.extend((s, r) for s in unit.stacks if s.parent is None)
                continue
            stack, path = unit.translate(r.path)
            if stack is None:
                continue
            if unit.merged is not None:
                r = Raw(r.rule_id, path, r.message, r.workload, _translate_fix(r.fix, unit.merged))
            found.append((stack, r))
    return _combine(per_unit)


def _top_of(stack: "Stack") -> "Stack":
    while stack.parent is not None:
        stack = stack.parent[0]
    return stack


def _combine(per_unit: Sequence[Tuple[Unit, List[Tuple["Stack", Raw]]]]) -> List[Tuple["Stack", Raw]]:
    """The findings of every unit, each once (a stack judged in several units, as the exporter of
    several environments' importers, reports a finding once).  An importer judged against each of
    several environments (deployment.plan) reports what holds in all of them once, and what holds
    in only some with the words saying which."""
    variants: Dict[Any, int] = {}
    for unit, _found in per_unit:
        key = getattr(unit.plan, "variant_of", None)
        if key is not None:
            variants[key] = variants.get(key, 0) + 1
    seen_in: Dict[Tuple[Any, ...], set] = {}
    for unit, found in per_unit:
        p = unit.plan
        if p is None or p.variant_of is None:
            continue
        for stack, r in found:
            if id(_top_of(stack)) in p.importers:
                seen_in.setdefault((p.variant_of, id(stack), r.rule_id, tuple(r.path), r.message), set()).add(id(unit))
    out: List[Tuple["Stack", Raw]] = []
    done = set()
    for unit, found in per_unit:
        p = unit.plan
        for stack, r in found:
            if p is not None and p.variant_of is not None and p.label and id(_top_of(stack)) in p.importers:
                everywhere = len(seen_in.get((p.variant_of, id(stack), r.rule_id, tuple(r.path), r.message), ())) == variants[p.variant_of]
                if not everywhere:
                    text = r.message[:-1] + f" ({p.label})." if r.message.endswith(".") else f"{r.message} ({p.label})"
                    r = Raw(r.rule_id, r.path, text, r.workload, r.fix)
            key = (os.path.realpath(stack.filename), r.rule_id, tuple(r.path), r.message)
            if key in done:
                continue
            done.add(key)
            out.append((stack, r))
    return out


def _with_deployment_log_groups(account: Any, stacks: Sequence["Stack"]) -> Any:
    """The account, with the log groups another stack of the deployment creates (their
    LogGroupName as that stack resolves it, with its parameters and name): they exist once that
    stack is deployed, so EN5002 must not call them missing, even when the stacks are judged apart
    (no import links them)."""
    import dataclasses

    if account is None or len(stacks) < 2 or not dataclasses.is_dataclass(account) or not isinstance(getattr(account, "log_groups", None), set):
        return account
    names, unresolved = created_log_groups(stacks, getattr(account, "region", None) or "us-east-1")
    return with_log_groups(account, names, unresolved)


def with_log_groups(account: Any, names: Any, unresolved: Sequence[str]) -> Any:
    """The account with these log groups too (created by stacks of the deployment), and the
    descriptions of those created under names that do not resolve (kept with any it had)."""
    import dataclasses

    if account is None or not dataclasses.is_dataclass(account) or not isinstance(getattr(account, "log_groups", None), set):
        return account
    if set(names) <= account.log_groups and not unresolved:
        return account
    groups = _LogGroups(account.log_groups | set(names))
    groups.unresolved = tuple(dict.fromkeys(tuple(getattr(account.log_groups, "unresolved", ())) + tuple(unresolved)))
    return dataclasses.replace(account, log_groups=groups)


def created_log_groups(stacks: Sequence["Stack"], region: str) -> Tuple[set, List[str]]:
    """(the LogGroupName of every AWS::Logs::LogGroup the stacks create, as each stack resolves
    it with its parameters and name; descriptions of those whose name does not resolve)."""
    from .values import Resolver

    names = set()
    unresolved: List[str] = []
    for stack in stacks:
        resources = stack.template.get("Resources") if isinstance(stack.template, Mapping) else None
        resolver = None
        for lid, res in (resources.items() if isinstance(resources, Mapping) else ()):
            props = res.get("Properties") if isinstance(res, Mapping) and res.get("Type") == "AWS::Logs::LogGroup" else None
            if not isinstance(props, Mapping) or "LogGroupName" not in props:
                continue
            resolver = resolver or Resolver(stack.template, params=stack.params, region=region, stack_name=stack.name)
            name = resolver.resolve(props["LogGroupName"], ("Resources", lid, "Properties", "LogGroupName"))
            if isinstance(name, str):
                names.add(name)
            else:
                unresolved.append(f"stack {stack.name} ({stack.filename}) creates log group {lid}, whose name is not known")
    return names, unresolved


class _LogGroups(set):
    """Log group names, and what the deployment creates under names it cannot resolve."""

    unresolved: Tuple[str, ...] = ()


def _translate_fix(fix: Any, merged: Any) -> Any:
    """The fix in the terms of the file its path is in: the path, and the logical IDs its value
    refers to (a Ref to a resource of another stack cannot be written: then no edit, and why)."""
    if fix is None or fix.kind == "manual":
        return fix
    import dataclasses

    from .findings import manual

    stack, path = merged.translate(fix.path)
    value, other = _translate_refs(fix.value, merged, stack)
    if other is not None:
        return manual(f"the fix refers to {other}, which another stack of the deployment creates; export it there and import it here")
    more = tuple(_translate_fix(m, merged) for m in fix.more)
    if any(m.kind == "manual" for m in more):
        return next(m for m in more if m.kind == "manual")
    if any(m.filename != getattr(stack, "filename", None) for m in more):
        return manual("the fix edits several stacks of the deployment at once; make it by hand")
    return dataclasses.replace(fix, path=path, value=value, more=more, filename=getattr(stack, "filename", None))


def _translate_refs(value: Any, merged: Any, stack: Any) -> Tuple[Any, Optional[str]]:
    """(value with the merged names its Ref, GetAtt and Sub use turned back into `stack`'s own,
    the first name that is not `stack`'s or None).  A name the merge brought in from another
    stack (an import resolved, a parent's parameter value) cannot be written into this file."""
    if isinstance(value, list):
        out = [_translate_refs(v, merged, stack) for v in value]
        return [v for v, _ in out], next((o for _, o in out if o), None)
    if not isinstance(value, Mapping):
        return value, None
    if len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref" and isinstance(arg, str):
            own = _own_name(arg, merged, stack)
            return ({fn: own}, None) if own else (value, arg)
        if fn == "Fn::GetAtt" and isinstance(arg, list) and arg and isinstance(arg[0], str):
            own = _own_name(arg[0], merged, stack)
            return ({fn: [own, *arg[1:]]}, None) if own else (value, arg[0])
        if fn == "Fn::Sub" and isinstance(arg, str):
            text = arg
            for name in set(re.findall(r"\$\{([A-Za-z0-9:]+)\}", arg)):
                own = _own_name(name, merged, stack)
                if own is None:
                    return value, name
                text = text.replace("${" + name + "}", "${" + own + "}")
            return {fn: text}, None
    out = {k: _translate_refs(v, merged, stack) for k, v in value.items()}
    return {k: v for k, (v, _) in out.items()}, next((o for _, o in out.values() if o), None)


def _own_name(name: str, merged: Any, stack: Any) -> Optional[str]:
    """`stack`'s own name for a merged resource or parameter name (pseudo parameters as they are),
    or None when it is another stack's or the merge made it up."""
    if name.startswith("AWS::"):
        return name
    for section in ("Resources", "Parameters"):
        hit = merged.origin.get((section, name))
        if hit is not None:
            return hit[1] if hit[0] is stack else None
    return None


def with_variants(raw: Raw, where: Sequence[int], region_labels: Sequence[str], set_labels: Sequence[str]) -> Raw:
    """A finding that holds in only some of the (region, parameter set) combinations a template is
    judged with says in which: ``(in region us-west-2)``, ``(parameters from prod.json)``.  The
    labels are per combination (``in region R``; the set's label); both entry points word it so."""
    if len(where) >= len(region_labels):
        return raw
    parts = []
    for labels in (region_labels, set_labels):
        if len(set(labels)) > 1:
            parts.append(" and ".join(dict.fromkeys(labels[i] for i in where)))
    if not parts:
        return raw
    desc = ", ".join(parts)
    msg = raw.message[:-1] + f" ({desc})." if raw.message.endswith(".") else f"{raw.message} ({desc})"
    return Raw(raw.rule_id, raw.path, msg, raw.workload, raw.fix)
