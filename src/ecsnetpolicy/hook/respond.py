"""The hook's answer, in the shape CloudFormation documents for Lambda hooks: ``hookStatus``
(``SUCCESS`` | ``FAILED`` | ``IN_PROGRESS``), ``errorCode`` (``NonCompliant`` | ``InternalFailure``,
required when failed), ``message`` (truncated by CloudFormation at 4096 characters), the
``clientRequestToken`` of the request, and for ``IN_PROGRESS`` ``callbackContext`` and
``callbackDelaySeconds`` (docs/hook.md cites the page).

The failure mode (``ECSNETPOLICY_FAILURE_MODE``, like the hook's own ``FailureMode``):

- ``WARN`` (default): the answer is always ``SUCCESS``; findings and problems are in the message;
- ``FAIL``: findings at or above ``ECSNETPOLICY_FAIL_ON`` (default ``error``) answer ``FAILED``
  with ``NonCompliant``; a template that could not be judged (unparseable, account calls denied,
  internal error, out of time) answers ``FAILED`` with ``InternalFailure`` and the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from ..findings import Finding

MESSAGE_LIMIT = 4096  # CloudFormation truncates longer messages (Cloud Control: 1024)
LEVELS = {"error": 3, "warning": 2, "informational": 1}
MODES = ("WARN", "FAIL")


@dataclass(frozen=True)
class Config:
    """The hook's settings, from its environment variables."""

    mode: str = "WARN"
    fail_on: str = "error"
    problems: tuple = ()  # settings that were not understood (said in every answer)

    @classmethod
    def from_env(cls, env: Optional[Dict[str, str]] = None) -> "Config":
        env = os.environ if env is None else env
        problems = []
        mode = (env.get("ECSNETPOLICY_FAILURE_MODE") or "WARN").strip().upper()
        if mode not in MODES:
            problems.append(f"ECSNETPOLICY_FAILURE_MODE={mode!r} is not WARN or FAIL: WARN used")
            mode = "WARN"
        fail_on = (env.get("ECSNETPOLICY_FAIL_ON") or "error").strip().lower()
        if fail_on not in LEVELS:
            problems.append(f"ECSNETPOLICY_FAIL_ON={fail_on!r} is not error, warning or informational: error used")
            fail_on = "error"
        return cls(mode, fail_on, tuple(problems))


def _answer(token: Optional[str], status: str, message: str, code: Optional[str] = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {"hookStatus": status, "message": fit(message), "clientRequestToken": token}
    if code:
        out["errorCode"] = code
    return out


def fit(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """The message cut to CloudFormation's limit, on a line boundary where one is near."""
    if len(message) <= limit:
        return message
    cut = message[: limit - 1]
    nl = cut.rfind("\n")
    return (cut[:nl] if nl > limit // 2 else cut) + "…"


def finding_line(f: Finding, lines: Optional[Dict[str, int]] = None, labels: Optional[Dict[str, str]] = None) -> str:
    """One finding: rule and severity, the resource and where, the message (which names the fix)."""
    resource = f.path[1] if len(f.path) > 1 and f.path[0] == "Resources" else None
    where = []
    if resource:
        where.append((labels or {}).get(str(resource), str(resource)))
    line = f.line if f.line > 1 or not lines or not resource else lines.get(str(resource), f.line)
    if line > 1:
        where.append(f"line {line}")
    if len(f.path) > 3:
        where.append(".".join(str(p) for p in f.path[3:]))
    return f"{f.rule_id} {f.severity} [{', '.join(where) or 'template'}]: {f.message}"


def verdict(token: Optional[str], config: Config, subject: str, findings: Sequence[Finding],
            lines: Optional[Dict[str, int]] = None, notes: Sequence[str] = (), labels: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """The answer for a judged template: the findings, worst first, as many as fit, and a count
    of those left out."""
    threshold = LEVELS[config.fail_on]
    blocking = [f for f in findings if LEVELS[f.severity] >= threshold]
    counts = {s: sum(1 for f in findings if f.severity == s) for s in LEVELS}
    summary = f"{_count(counts['error'], 'error')}, {_count(counts['warning'], 'warning')}, {counts['informational']} informational"
    if not findings:
        head = f"ecsnetpolicy: {subject}: no finding, every ECS task's network needs are met."
    elif blocking and config.mode == "FAIL":
        head = f"ecsnetpolicy: {subject}: {summary}; {len(blocking)} at or above {config.fail_on}: blocked (FAIL mode)."
    elif blocking:
        head = f"ecsnetpolicy: {subject}: {summary}; {len(blocking)} at or above {config.fail_on} would block in FAIL mode (WARN mode: allowed)."
    else:
        head = f"ecsnetpolicy: {subject}: {summary}; none at or above {config.fail_on}."
    extra = [*notes, *config.problems]
    ordered = sorted(findings, key=lambda f: (-LEVELS[f.severity], f.line, f.rule_id, f.message))
    message = _compose(head, [finding_line(f, lines, labels) for f in ordered], extra)
    if blocking and config.mode == "FAIL":
        return _answer(token, "FAILED", message, "NonCompliant")
    return _answer(token, "SUCCESS", message)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _compose(head: str, items: List[str], tail: List[str]) -> str:
    """head, then items while they fit, then "and N more", then tail lines (always kept)."""
    tail_text = "".join("\n" + t for t in tail)
    budget = MESSAGE_LIMIT - len(head) - len(tail_text) - 80
    body: List[str] = []
    used = 0
    for i, item in enumerate(items):
        if used + len(item) + 1 > budget:
            body.append(f"... and {len(items) - i} more findings (all are in the hook's CloudWatch log)")
            break
        body.append(item)
        used += len(item) + 1
    return head + "".join("\n" + b for b in body) + tail_text


def problem(token: Optional[str], config: Config, subject: str, reason: str) -> Dict[str, Any]:
    """The answer when the template was not judged: per the failure mode, with the reason."""
    reason = " ".join(str(reason).split())
    if config.mode == "FAIL":
        message = f"ecsnetpolicy: {subject or 'the invocation'} was not checked: {reason} (FAIL mode: blocked)."
        return _answer(token, "FAILED", "\n".join([message, *config.problems]), "InternalFailure")
    message = f"ecsnetpolicy: {subject or 'the invocation'} was not checked: {reason} (WARN mode: allowed)."
    return _answer(token, "SUCCESS", "\n".join([message, *config.problems]))


def skipped(token: Optional[str], reason: str) -> Dict[str, Any]:
    return _answer(token, "SUCCESS", f"ecsnetpolicy: {reason}.")


def in_progress(token: Optional[str], context: Dict[str, Any], delay: int) -> Dict[str, Any]:
    return {"hookStatus": "IN_PROGRESS", "message": "ecsnetpolicy: still checking", "clientRequestToken": token,
            "callbackContext": context, "callbackDelaySeconds": delay}
