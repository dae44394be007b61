"""The rdjson format (reviewdog's diagnostic format): UTF-8 byte columns, and a suggestion for each
finding whose Fix can be written into its YAML file."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from ..findings import Finding
from .common import INFORMATION_URI, TOOL_NAME, _posix, _real, _severity, _span, rule_info
from .suggestions import FileCache, _split_lines, build_suggestion

_RDJSON_SEVERITY = {"error": "ERROR", "warning": "WARNING", "informational": "INFO"}


def _byte_column(lines: Optional[List[str]], line: int, col: int) -> int:
    """Convert a 1-based code-point column into rdjson's 1-based UTF-8 byte column."""
    if not lines or line < 1 or line > len(lines):
        return col
    content = lines[line - 1]
    if line == 1 and content.startswith("\ufeff"):
        content = content[1:]
    return len(content[: col - 1].encode("utf-8")) + 1 + max(0, col - 1 - len(content))


def render_rdjson(findings: Sequence[Finding]) -> str:
    files = FileCache()
    diagnostics = []
    for f in findings:
        sev = _severity(f)
        line, col, end_line, end_col = _span(f)
        text = files.text(_real(f.filename)) if f.filename else None
        lines = _split_lines(text) if text is not None else None
        diag: Dict[str, Any] = {
            "message": f.message,
            "location": {
                "path": _posix(f.filename) if f.filename else "",
                "range": {
                    "start": {"line": line, "column": _byte_column(lines, line, col)},
                    "end": {"line": end_line, "column": _byte_column(lines, end_line, end_col)},
                },
            },
            "severity": _RDJSON_SEVERITY[sev],
            "code": {"value": f.rule_id, "url": rule_info(f.rule_id).source_url},
        }
        if f.fix is not None and text is not None and f.fix.filename in (None, f.filename):  # rdjson: the diagnostic's own file
            suggestion = build_suggestion(text, f.fix, filename=_real(f.filename))
            if suggestion is not None:
                diag["suggestions"] = [suggestion]
        diagnostics.append(diag)
    doc = {
        "source": {"name": TOOL_NAME, "url": INFORMATION_URI},
        "diagnostics": diagnostics,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
