"""The cfn-lint side: a rule class turns the shared engine's findings for its id into RuleMatches.

Kept out of ecsnetpolicy.rules' namespace so cfn-lint's rule discovery (every class of the module
that subclasses CloudFormationLintRule) does not instantiate the base itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ..api import safe_raw_for, select
from ..catalogue import RULES


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


def _stack_name(filename: Any) -> str:
    if isinstance(filename, str) and filename not in ("-", ""):
        return Path(filename).stem
    return "stack"


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
        filename = getattr(cfn, "filename", None)
        regions = getattr(cfn, "regions", None) or ["us-east-1"]
        raws = safe_raw_for(
            cfn.template,
            params=_params(cfn),
            region=regions[0],
            stack_name=_stack_name(filename),
            policy_files=(),
        )
        return [RuleMatch(list(r.path), r.message) for r in select(raws, self.id)]
