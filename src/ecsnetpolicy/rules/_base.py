"""The cfn-lint side: a rule class turns the shared engine's findings for its id into RuleMatches.

Kept out of ecsnetpolicy.rules' namespace so cfn-lint's rule discovery (every class of the module
that subclasses CloudFormationLintRule) does not instantiate the base itself."""

from __future__ import annotations

import os
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Tuple

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ..api import deployment_raws
from ..catalogue import RULES
from ..checks import Raw
from ..config import Config, ConfigError, load_config
from ..deployment import Stack

# cfn-lint reuses rule instances across templates: per-template results are keyed on the template
_RESULTS: "OrderedDict[int, Tuple[Any, List[Raw]]]" = OrderedDict()
_CONFIG: Dict[str, Config] = {}
_TEMPLATES: Dict[Tuple[str, float], Any] = {}


def _params(cfn: Any) -> Dict[str, Any]:
    """Parameter values the user gave cfn-lint (--parameters / --parameter-files / deployment files)."""
    out: Dict[str, Any] = {}
    context = getattr(cfn, "context", None)
    for pset in getattr(context, "parameter_sets", None) or []:
        values = getattr(pset, "parameters", None)
        if isinstance(values, dict):
            out.update(values)
        break  # the first set; findings name no set, so judge one
    return out


def _config() -> Config:
    cwd = os.getcwd()
    if cwd not in _CONFIG:
        try:
            _CONFIG[cwd] = load_config()
        except ConfigError as exc:
            print(f"ecsnetpolicy: {exc} (configuration ignored)", file=sys.stderr)
            _CONFIG[cwd] = Config()
    return _CONFIG[cwd]


def _load(path: str) -> Any:
    from ..loader import load_file

    key = (path, os.path.getmtime(path))
    if key not in _TEMPLATES:
        _TEMPLATES[key] = load_file(path)
    return _TEMPLATES[key]


def raws_for_cfn(cfn: Any) -> List[Raw]:
    """This template's findings, judged within the deployment the configuration describes."""
    template = cfn.template
    hit = _RESULTS.get(id(template))
    if hit is not None and hit[0] is template:
        return hit[1]
    filename = getattr(cfn, "filename", None)
    regions = getattr(cfn, "regions", None) or ["us-east-1"]
    config = _config()
    sc = config.stack_for(filename) if isinstance(filename, str) and os.path.isfile(filename) else None
    name = sc.name if sc else (Path(filename).stem if isinstance(filename, str) and filename not in ("", "-") else "stack")
    own = Stack(name, filename or "-", template, {**(sc.parameters if sc else {}), **_params(cfn)})
    stacks = [own]
    for other in config.stacks:
        if sc is None or other is not sc:
            try:
                stacks.append(Stack(other.name, other.template, _load(other.template), dict(other.parameters)))
            except Exception as exc:  # an unreadable context stack only leaves imports unknown
                print(f"ecsnetpolicy: {other.template}: {exc}", file=sys.stderr)
    pairs = deployment_raws(stacks, region=config.region or regions[0], policy_files=config.policies, load=_load)
    disabled = config.disabled()
    raws = [raw for stack, raw in pairs if stack is own and raw.rule_id not in disabled]
    _RESULTS[id(template)] = (template, raws)
    while len(_RESULTS) > 8:
        _RESULTS.popitem(last=False)
    return raws


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
