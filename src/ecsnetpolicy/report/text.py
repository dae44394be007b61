"""The text format: one ``path:line:col: ID severity message`` line per finding (the shape editors,
terminals and cfn-lint's parseable output users open at the place), sorted by file and line, then
a count; optionally in colour."""

from __future__ import annotations

from typing import List, Sequence

from ..findings import Finding
from ..phrasing import safe
from .common import _SEVERITY_ORDER, _count_phrase, _counts, _grouped, _plural, _severity, _span

_ANSI = {
    "error": "\033[31m",
    "warning": "\033[33m",
    "informational": "\033[34m",
    "bold": "\033[1m",
    "dim": "\033[2m",
    "reset": "\033[0m",
}


def sanitize_terminal(text: str) -> str:
    """Make template text safe for a terminal: one line, no escape sequences or control chars
    (phrasing.safe; what ``_clean`` already did to every finding)."""
    return safe(text)


def render_text(findings: Sequence[Finding], *, color: bool, quiet: bool = False) -> str:
    """quiet: the finding lines only, without the count."""
    def paint(s: str, style: str) -> str:
        return f"{_ANSI[style]}{s}{_ANSI['reset']}" if color else s

    lines: List[str] = []
    grouped = _grouped(findings)
    for fname, groups in grouped:
        items = sorted((f for _workload, fs in groups for f in fs), key=lambda f: (_span(f)[0], _span(f)[1]))
        for f in items:
            line, col, _, _ = _span(f)
            sev = _severity(f)
            place = f"{fname or '-'}:{line}:{col}:"
            lines.append(f"{paint(place, 'bold')} {paint(f.rule_id, sev)} {paint(sev, sev)} {f.message}")
    if quiet:
        return "".join(f"{line}\n" for line in lines)
    if lines:
        lines.append("")
    counts = _counts(findings)
    total = len(findings)
    if total:
        nfiles = len(grouped)
        tail = f"{_plural(total, 'finding')} ({_count_phrase(counts)}) in {_plural(nfiles, 'file')}"
        worst = next(s for s in _SEVERITY_ORDER if counts[s])
        lines.append(paint(tail, worst))
    else:
        lines.append(paint("0 findings", "dim") if color else "0 findings")
    return "\n".join(lines) + "\n"
