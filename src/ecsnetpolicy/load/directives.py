"""cfn-lint's suppressions written in a template's `Metadata`, honoured by our command exactly as
cfn-lint honours them for the plugin (issue 15: the same answer everywhere).

cfn-lint reads two places (cfnlint/config.py `set_template_args`, cfnlint/template/template.py
`get_directives` and cfnlint/runner/template/runner.py `_check_metadata_directives`):

- the template's ``Metadata: cfn-lint: config: ignore_checks: [...]`` is a template-level
  setting, like ``--ignore-checks``: rule IDs or prefixes (``EN2001``, ``WN``), used when the
  command line gives none;
- a resource's ``Metadata: cfn-lint: config: ignore_checks: [...]`` suppresses the listed rule IDs
  (exact IDs, no prefixes) on findings whose path lies inside that resource.

Read by hand because cfn-lint's own readers need its Template object (and importing cfn-lint costs
over a second); the rules above are the whole of what it does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, List, Sequence, Set


def _ignore_checks(metadata: Any) -> Any:
    if not isinstance(metadata, Mapping):
        return None
    lint = metadata.get("cfn-lint")
    config = lint.get("config") if isinstance(lint, Mapping) else None
    return config.get("ignore_checks") if isinstance(config, Mapping) else None


def template_ignores(template: Any) -> List[str]:
    """The template-level ignore_checks (rule IDs or prefixes); [] when absent or not a list
    (cfn-lint ignores a value of another type)."""
    if not isinstance(template, Mapping):
        return []
    value = _ignore_checks(template.get("Metadata"))
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def resource_ignores(template: Any) -> Dict[str, Set[str]]:
    """{rule ID: the logical IDs of the resources whose Metadata ignores it}."""
    out: Dict[str, Set[str]] = {}
    resources = template.get("Resources") if isinstance(template, Mapping) else None
    if not isinstance(resources, Mapping):
        return out
    for lid, resource in resources.items():
        value = _ignore_checks(resource.get("Metadata")) if isinstance(resource, Mapping) else None
        if isinstance(value, list):
            for rule_id in value:
                if isinstance(rule_id, str):
                    out.setdefault(rule_id, set()).add(lid)
    return out


class Suppressions:
    """What one template's Metadata suppresses, with the command line's own --ignore taking the
    template-level setting's place when given (as cfn-lint's command line does)."""

    def __init__(self, template: Any, cli_ignores: Sequence[str] = ()) -> None:
        self.prefixes = list(cli_ignores) if cli_ignores else template_ignores(template)
        self.by_resource = resource_ignores(template)

    def suppressed(self, rule_id: str, path: Sequence[Any]) -> bool:
        if any(rule_id.startswith(p) for p in self.prefixes):
            return True
        resources = self.by_resource.get(rule_id)
        return bool(resources) and len(path) >= 2 and path[0] == "Resources" and path[1] in resources
