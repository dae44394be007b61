"""The one shape a finding has, whichever path (cfn-lint plugin or our own command) produced it,
and the same finding before it is located in a file (Raw)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

from .phrasing import safe

SEVERITIES = {"E": "error", "W": "warning", "I": "informational"}


@dataclass(frozen=True)
class Fix:
    """A mechanical fix: set `key` to `value` in the mapping at `path` (for reviewdog suggestions).

    kind is "set" (add or replace a scalar key) or "append" (add an item to the list at path/key).
    """

    path: Tuple[Any, ...]
    key: str
    value: Any
    kind: str = "set"


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
