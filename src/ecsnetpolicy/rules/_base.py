"""The cfn-lint side: a rule class turns the shared engine's findings for its id into RuleMatches.

Kept out of ecsnetpolicy.rules' namespace so cfn-lint's rule discovery (every class of the module
that subclasses CloudFormationLintRule) does not instantiate the base itself."""

from __future__ import annotations

import functools
import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ..api import deployment_raws, failure_reason, not_analysed
from ..catalogue import RULES
from ..findings import Raw
from ..load.config import ConfigError, load_config
from ..load.deployment import Stack


def too_large(filename: str) -> Optional[str]:
    """Why a template file is refused before analysis (over CloudFormation's size limit), else None."""
    from ..load.template import check_template_file

    return check_template_file(filename)

# cfn-lint reuses rule instances across templates: per-template results are keyed on the template
_RESULTS: "OrderedDict[int, Tuple[Any, List[Raw]]]" = OrderedDict()
_CONFIG: Dict[str, Any] = {}  # working directory -> Config, or why it cannot be used
_TEMPLATES: Dict[Tuple[str, float, str], Any] = {}


def _parameter_sets(cfn: Any) -> List[Tuple[str, Dict[str, Any]]]:
    """Every parameter set cfn-lint lints the template with (--parameters, each of several
    --parameter-files, deployment files), as (label, values); one empty set when none is given."""
    out: List[Tuple[str, Dict[str, Any]]] = []
    context = getattr(cfn, "context", None)
    for i, pset in enumerate(getattr(context, "parameter_sets", None) or []):
        values = getattr(pset, "parameters", None)
        if isinstance(values, dict):
            source = getattr(pset, "source", None)
            out.append((f"parameters from {source}" if source else f"parameter set {i + 1}", dict(values)))
    return out or [("", {})]


def _config() -> Any:
    """The configuration, or the one-line reason it cannot be used (then every template this
    plugin judges gets EN9000: a broken configuration never turns our rules off silently)."""
    cwd = os.getcwd()
    if cwd not in _CONFIG:
        try:
            _CONFIG[cwd] = load_config()
        except ConfigError as exc:
            _CONFIG[cwd] = f"the configuration cannot be used: {exc}"
    return _CONFIG[cwd]


_SNAPSHOTS: Dict[Tuple[str, float], Any] = {}


def _snapshot(config: Any) -> Any:
    """The account snapshot the configuration names (aws_snapshot), None without one, or the
    one-line reason it cannot be used (then EN9000, as for a broken configuration)."""
    if not config.aws_snapshot:
        return None
    from ..load.snapshot import SnapshotError, read_snapshot

    key = (config.aws_snapshot, os.path.getmtime(config.aws_snapshot))
    if key not in _SNAPSHOTS:
        try:
            _SNAPSHOTS[key] = read_snapshot(config.aws_snapshot)  # skipped files are not reported here: cfn-lint owns stderr
        except SnapshotError as exc:
            _SNAPSHOTS[key] = f"the account snapshot cannot be used: {exc}"
    return _SNAPSHOTS[key]


def _load(path: str, region: str = "us-east-1") -> Any:
    from ..load.transforms import load_file

    key = (path, os.path.getmtime(path), region)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = load_file(path, region)
    return _TEMPLATES[key]


def _variants(labels: Sequence[str], where: Sequence[int]) -> str:
    """Words for the (region, parameter set) combinations a finding holds in, when not all."""
    return " and ".join(dict.fromkeys(labels[i] for i in where))


def _deployment_partners(filename: Any, others: Sequence[Stack], region: str) -> List[Stack]:
    """The other templates `ecsnetpolicy lint` (the cfn-lint pre-commit hook) judges this one
    with: the whole deployments of the changed files, as our command judges them
    (precommit.DEPLOYMENT_ENV; unset in a plain cfn-lint run)."""
    from ..precommit import DEPLOYMENT_ENV

    try:
        listed = json.loads(os.environ.get(DEPLOYMENT_ENV) or "[]")
    except ValueError:
        return []
    own = os.path.realpath(filename) if isinstance(filename, str) else None
    known = {os.path.realpath(o.filename) for o in others}
    out = []
    for path in listed if isinstance(listed, list) else []:
        if not isinstance(path, str) or os.path.realpath(path) in known or os.path.realpath(path) == own:
            continue
        try:
            template = _load(path, region)
        except Exception:  # cfn-lint reports a file it cannot read itself
            continue
        if isinstance(template, dict) and isinstance(template.get("Resources"), dict):
            out.append(Stack(Path(path).stem, path, template, {}))
    return out


def raws_for_cfn(cfn: Any) -> List[Raw]:
    """This template's findings, judged within the deployment the configuration describes, in
    every region and with every parameter set cfn-lint lints it with.  A finding that holds in
    only some of them says in which."""
    template = cfn.template
    hit = _RESULTS.get(id(template))
    if hit is not None and hit[0] is template:
        return hit[1]
    raws = _judge(cfn, template)
    _RESULTS[id(template)] = (template, raws)
    while len(_RESULTS) > 8:
        _RESULTS.popitem(last=False)
    return raws


def _judge(cfn: Any, template: Any) -> List[Raw]:
    filename = getattr(cfn, "filename", None)
    config = _config()
    if isinstance(config, str):
        return [not_analysed(config)]
    refused = too_large(filename) if isinstance(filename, str) and os.path.isfile(filename) else None
    if refused:
        return [not_analysed(refused)]
    sc = config.stack_for(filename) if isinstance(filename, str) and os.path.isfile(filename) else None
    name = sc.name if sc else (Path(filename).stem if isinstance(filename, str) and filename not in ("", "-") else "stack")
    regions = [config.region] if config.region else list(getattr(cfn, "regions", None) or ["us-east-1"])
    others: List[Stack] = []
    problems: List[Raw] = []
    for other in config.stacks:
        if sc is None or other is not sc:
            try:
                others.append(Stack(other.name, other.template, _load(other.template, regions[0]), dict(other.parameters)))
            except Exception as exc:  # the deployment is incomplete: say so, never pass silently
                problems.append(not_analysed(f"stack {other.name} of the configured deployment ({other.template}) cannot be loaded: {failure_reason(exc)}"))
    others.extend(_deployment_partners(filename, others, regions[0]))
    psets = _parameter_sets(cfn)
    account = _snapshot(config)
    if isinstance(account, str):
        return [not_analysed(account)]
    if account is not None:  # one snapshot is of one region and one account: never a silent mix
        from ..load.references import template_references
        from ..load.snapshot import SnapshotError, check_matches

        arns = sorted(template_references([(template, params) for _l, params in psets] + [(o.template, o.params) for o in others]).arns)
        try:
            for region in regions:
                check_matches(account, region, arns)
        except SnapshotError as exc:
            return [not_analysed(str(exc))]
    # a file the configured deployment nests (and does not list): judged as that nested stack,
    # with what its parent passes, never alone with unknown parameters
    nested_in = _nested_in(others, filename, regions[0], config.allow_outside) if sc is None and isinstance(filename, str) else False
    combos = [(region, label, params) for region in regions for label, params in psets]
    labels_r = [f"in region {region}" for region, _l, _p in combos]
    labels_p = [label for _r, label, _p in combos]
    disabled = set(config.disabled())
    found: "OrderedDict[Tuple[str, Tuple[Any, ...], str], Tuple[Raw, List[int]]]" = OrderedDict()
    for i, (region, _label, params) in enumerate(combos):
        own = Stack(name, filename or "-", template, {**(sc.parameters if sc else {}), **params})
        judged = others if nested_in else [own, *others]
        for stack, raw in deployment_raws(judged, region=region, policy_files=config.policies,
                                      load=functools.partial(_load, region=region), allow_outside=config.allow_outside,
                                      account=account):
            if raw.rule_id in disabled:
                continue
            if nested_in:
                if not _same_file(stack.filename, filename):
                    continue
            elif stack is not own:
                raw = _from_child(stack, raw, own)
                if raw is None:
                    continue
            key = (raw.rule_id, raw.path, raw.message)
            found.setdefault(key, (raw, []))[1].append(i)
    raws = list(problems)
    for raw, where in found.values():
        if len(where) < len(combos):
            parts = []
            if len(regions) > 1:
                parts.append(_variants(labels_r, where))
            if len(psets) > 1:
                parts.append(_variants(labels_p, where))
            desc = ", ".join(parts)
            msg = raw.message[:-1] + f" ({desc})." if raw.message.endswith(".") else f"{raw.message} ({desc})"
            raw = Raw(raw.rule_id, raw.path, msg, raw.workload, raw.fix)
        raws.append(raw)
    return raws


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def _nested_in(others: Sequence[Stack], filename: str, region: str, allow_outside: Any) -> bool:
    """Whether a stack of the configured deployment nests `filename` (directly or deeper)."""
    from ..load.deployment import nested_files

    if not others or not os.path.isfile(filename):
        return False
    try:
        return os.path.realpath(filename) in nested_files(others, region, functools.partial(_load, region=region), allow_outside)
    except Exception:  # noqa: BLE001 - a deployment that cannot be put together: judged alone (and EN9000 from the merge)
        return False


def _shown_path(child: str, parent: str) -> str:
    """The child template's path as the parent's TemplateURL would spell it (from the parent's folder)."""
    try:
        return os.path.relpath(os.path.realpath(child), os.path.dirname(os.path.realpath(parent)))
    except ValueError:  # another drive (Windows)
        return child


def _from_child(stack: Stack, raw: Raw, own: Stack) -> Optional[Raw]:
    """A finding inside a nested child of the linted template, anchored on the
    AWS::CloudFormation::Stack resource that nests it (cfn-lint reports only on the file it
    lints), naming the child's file, line and resource; None for a finding of another stack."""
    from ..checks import to_findings
    from ..load.template import locate

    chain = []
    top = stack
    while top.parent is not None:
        chain.append(top.parent[1])
        top = top.parent[0]
    if top is not own or not chain:
        return None
    line = to_findings([raw], stack.template, stack.filename, locate)[0].line
    resource = raw.path[1] if len(raw.path) > 1 and raw.path[0] == "Resources" else None
    where = f"{_shown_path(stack.filename, own.filename)}, line {line}" + (f", resource {resource}" if resource else "")
    via = " > ".join(reversed(chain))
    return Raw(raw.rule_id, ("Resources", chain[-1]), f"In nested stack {via} ({where}): {raw.message}", raw.workload, None)


class EngineRule(CloudFormationLintRule):
    """Base for every ecsnetpolicy rule: metadata from the catalogue, findings from the engine."""

    id = ""
    tags = ["ecs", "networking", "ecsnetpolicy"]

    def __init__(self) -> None:
        super().__init__()
        info = RULES[self.id]
        self.shortdesc = info.shortdesc
        self.description = info.description
        self.source_url = info.source_url

    def match(self, cfn: Any) -> List[RuleMatch]:
        return [RuleMatch(list(r.path), r.message) for r in raws_for_cfn(cfn) if r.rule_id == self.id]
