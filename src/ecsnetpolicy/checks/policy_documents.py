"""IAM policy documents read and evaluated: wildcard matching, statements, and parsing, shared by
the execution role's policies (EN5001) and the S3 gateway endpoint's policy (EN3002)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, List, Optional, Tuple

from .base import _as_list


def _wild(pattern: str, value: str, ignore_case: bool) -> bool:
    """IAM wildcard match: `*` any run of characters, `?` one character, nothing else special.

    Greedy with backtracking to the last `*` only: O(len(pattern) * len(value)) at worst, where a
    regular expression of the pattern (".*.?.*.?...") backtracks exponentially."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if "?" not in pattern:  # the usual forms: "ecr:GetAuthorizationToken", "ecr:*", "*"
        stars = pattern.count("*")
        if stars == 0:
            return pattern == value
        if stars == 1 and pattern.endswith("*"):
            return value.startswith(pattern[:-1])
    p = v = 0
    star = -1  # position in the pattern after the last `*`, and where in the value it resumes
    resume = 0
    while v < len(value):
        if p < len(pattern) and pattern[p] == "*":
            star, resume = p + 1, v
            p += 1
        elif p < len(pattern) and (pattern[p] == "?" or pattern[p] == value[v]):
            p += 1
            v += 1
        elif star >= 0:
            resume += 1
            p, v = star, resume
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _match_any(patterns: Any, value: str, ignore_case: bool) -> Optional[bool]:
    """Does one of the patterns match?  None when an undecidable pattern might."""
    if not isinstance(patterns, list):
        patterns = [patterns]
    result: Optional[bool] = False
    for p in patterns:
        if isinstance(p, str):
            if _wild(p, value, ignore_case):
                return True
        else:
            result = None
    return result


def _tri_and(*values: Optional[bool]) -> Optional[bool]:
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


class Stmt:
    """One policy statement, resolved; `ok` is False when it could not be read at all."""

    def __init__(self, raw: Any, where: str, index: int):
        self.where = where
        self.ok = isinstance(raw, Mapping)
        raw = raw if isinstance(raw, Mapping) else {}
        sid = raw.get("Sid")
        self.label = f"{sid}" if isinstance(sid, str) and sid else f"#{index + 1}"
        self.effect = raw.get("Effect") if isinstance(raw.get("Effect"), str) else None
        self.action = raw.get("Action")
        self.not_action = "NotAction" in raw
        self.resource = raw.get("Resource")
        self.not_resource = "NotResource" in raw
        self.principal = raw.get("Principal")
        self.not_principal = "NotPrincipal" in raw
        self.condition = raw.get("Condition")
        if self.action is None and not self.not_action:
            self.ok = False
        if self.effect not in ("Allow", "Deny"):
            self.ok = False

    def action_matches(self, action: str) -> Optional[bool]:
        if self.not_action:
            return None  # NotAction: treated as undecidable
        if not isinstance(self.action, (str, list)):
            return None
        return _match_any(self.action, action, ignore_case=True)

    def covers_all_resources(self) -> Optional[bool]:
        if self.not_resource:
            return None
        res = self.resource
        if res is None:
            return None
        return True if any(r == "*" for r in _as_list(res)) else None


def parse_document(doc: Any, where: str) -> Tuple[List[Stmt], bool]:
    """(statements, unknown): unknown when some part of the document could not be read."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return [], True
    if not isinstance(doc, Mapping):
        return [], True
    st = doc.get("Statement")
    if isinstance(st, Mapping):
        st = [st]
    if not isinstance(st, list):
        return [], True
    out = [Stmt(s, where, i) for i, s in enumerate(st)]
    return [s for s in out if s.ok], any(not s.ok for s in out)
