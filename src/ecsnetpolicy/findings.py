"""The one shape a finding has, whichever path (cfn-lint plugin or our own command) produced it,
and the same finding before it is located in a file (Raw)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

from .phrasing import safe

SEVERITIES = {"E": "error", "W": "warning", "I": "informational"}


@dataclass(frozen=True)
class Fix:
    """A mechanical fix: set `key` to `value` in the mapping at `path` (reviewdog suggestions, SARIF
    fixes and `ecsnetpolicy fix` all write this one record; report/suggestions.py plans the edit).

    kind is "set" (add or replace the key's value), "append" (add an item to the list at
    path/key, creating the list when absent), "resource" (add the resource `key` with body `value`
    next to the resource `path` names: path is ("Resources", <an existing logical ID>)), or
    "manual" (no edit: `reason` says which value only the user knows).  safety is "safe" (applied
    by default) or "unsafe" (adds a billed resource or widens permissions: only with
    --unsafe-fixes).  `more` are edits made together with this one (one finding, several keys),
    in the same file.  `filename`: set where a deployment's finding is in one stack's file and
    its fix in another's (the network stack gets the endpoint, the service stack the rule).
    """

    path: Tuple[Any, ...]
    key: str
    value: Any
    kind: str = "set"
    safety: str = "safe"
    reason: Optional[str] = None
    more: Tuple["Fix", ...] = ()
    filename: Optional[str] = None  # the file the path is in, when not the finding's (a deployment)

    def edits(self) -> Tuple["Fix", ...]:
        """This edit and those made with it, in order."""
        return (self,) + tuple(e for m in self.more for e in m.edits())


def manual(reason: str) -> Fix:
    """A finding whose fix needs a value only the user knows: no edit, and why."""
    return Fix((), "", None, "manual", "none", reason)


@dataclass(frozen=True)
class Finding:
    rule_id: str
    message: str
    path: Tuple[Any, ...]
    filename: Optional[str] = None
    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 1
    workload: Optional[str] = None
    fix: Optional[Fix] = field(default=None, compare=False)

    @property
    def severity(self) -> str:
        return SEVERITIES[self.rule_id[0]]

    def sort_key(self):
        return (self.filename or "", self.line, self.column, self.rule_id, self.message)


@dataclass(frozen=True)
class Raw:
    """A finding before it has a file and a line.  The message is made safe here, once, for every
    output channel (plugin messages in all of cfn-lint's formats, and ours): template text inside
    it cannot carry control characters or a line-start workflow command."""

    rule_id: str
    path: Tuple[Any, ...]
    message: str
    workload: Optional[str] = None
    fix: Optional[Fix] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", safe(self.message))
        if self.workload is not None:
            object.__setattr__(self, "workload", safe(self.workload, 300))
