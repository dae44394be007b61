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


def render_github(findings: Sequence[Finding]) -> str:
    out = []
    for f in findings:
        sev = _severity(f)
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
    return "".join(line + "\n" for line in out)
