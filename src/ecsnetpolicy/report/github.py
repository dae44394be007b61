"""The github format: GitHub Actions workflow commands (``::error file=...::message``), with the
escaping of @actions/core."""

from __future__ import annotations

from typing import Any, List, Sequence, Tuple

from ..findings import Finding
from ..phrasing import safe
from .common import _posix, _real, _severity, _span, relative_to_root, rule_info, safe_name

_GITHUB_COMMAND = {"error": "error", "warning": "warning", "informational": "notice"}


def escape_data(s: Any) -> str:
    """@actions/core toCommandValue + escapeData."""
    return str(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: Any) -> str:
    """@actions/core escapeProperty."""
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


# GitHub shows 10 annotations of each kind (error, warning, notice) per step and drops the rest
# silently (actions/toolkit docs/problem-matchers.md, "Limitations"): the 10th of a kind says how
# many more there are, and those are printed as plain `ecsnetpolicy: path:line:col: ID message` log lines.
ANNOTATIONS_PER_KIND = 10


def render_github(findings: Sequence[Finding]) -> str:
    out = []
    shown = {kind: 0 for kind in _GITHUB_COMMAND.values()}
    total = {kind: sum(1 for f in findings if _GITHUB_COMMAND[_severity(f)] == kind) for kind in shown}
    rest: List[str] = []
    for f in findings:
        sev = _severity(f)
        kind = _GITHUB_COMMAND[sev]
        if total[kind] > ANNOTATIONS_PER_KIND and shown[kind] >= ANNOTATIONS_PER_KIND - 1:
            if shown[kind] == ANNOTATIONS_PER_KIND - 1:
                more = total[kind] - shown[kind]
                out.append(f"::{kind} title=ecsnetpolicy::{escape_data(f'{more} more {sev} findings than GitHub shows as annotations in one step; they follow in this log, and are in the job summary and the SARIF upload')}")
                shown[kind] += 1
            line, col, _el, _ec = _span(f)
            where = safe_name(relative_to_root(_real(f.filename)) or _posix(_real(f.filename))) if f.filename else "-"
            # (prefixed: a line starting with the file name could start a workflow command)
            rest.append(f"ecsnetpolicy: {where}:{line}:{col}: {f.rule_id} {sev} {safe(f.message, 4000)}")
            continue
        shown[kind] += 1
        line, col, end_line, end_col = _span(f)
        props: List[Tuple[str, Any]] = []
        if f.filename:
            real = _real(f.filename)
            props.append(("file", safe_name(relative_to_root(real) or _posix(real))))
        props += [("line", line), ("endLine", end_line)]
        # GitHub ignores/rejects columns on multi-line annotations.
        if line == end_line:
            props += [("col", col), ("endColumn", end_col)]
        props.append(("title", safe(f"{f.rule_id} {rule_info(f.rule_id).name}", 200)))
        prop_s = ",".join(f"{k}={escape_property(v)}" for k, v in props)
        out.append(f"::{_GITHUB_COMMAND[sev]} {prop_s}::{escape_data(f.message)}")
    return "".join(line + "\n" for line in out + rest)
