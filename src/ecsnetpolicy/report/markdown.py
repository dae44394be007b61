"""The markdown format: the pull-request summary (tables of findings, the coverage summary),
escaped for GitHub Markdown and bounded to GitHub's job-summary limit."""

from __future__ import annotations

import re
from typing import Any, List, Optional, Sequence

from ..findings import Finding
from ..phrasing import safe
from .common import _count_phrase, _counts, _grouped, _severity, _span, rule_info

_RULE_ID_RE = re.compile(r"^[EWI][A-Z]*\d{4}$")
_MD_PUNCT = set("\\`*_{}[]()#+-.!|~$:")
_WJ = "\u2060"  # word joiner: invisible, breaks @mentions, #refs and autolinks


def escape_markdown(value: Any) -> str:
    """Inline-safe Markdown for template-controlled text: no control characters (phrasing.safe
    first), no HTML, links, images, mentions, autolinks, line breaks or table breaks."""
    s = safe(value)
    out = []
    for ch in s:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == '"':
            out.append("&quot;")
        elif ch in _MD_PUNCT:
            out.append("\\" + ch)
        else:
            out.append(ch)
    s = "".join(out)
    # @mentions and team mentions, #123 / GH-123 references
    s = s.replace("@", "@" + _WJ)
    s = s.replace("\\#", "\\#" + _WJ)
    # autolinks: scheme://, www., and bare e-mail addresses (the @ above already breaks those)
    s = re.sub(r"\\:(?=//)", "\\:" + _WJ, s)
    s = re.sub(r"(?i)\bwww\\\.", lambda m: m.group()[:3] + _WJ + m.group()[3:], s)
    return s


_STATUS_ICON = {"ok": "✅", "missing": "❌", "cross-az": "⚠️", "unknown": "❔"}


def _md_value(v: Any) -> str:
    if isinstance(v, dict):
        return "; ".join(f"{escape_markdown(k)}: {_md_value(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple, set)):
        return ", ".join(_md_value(x) for x in v)
    if v is None:
        return "–"
    return escape_markdown(v)


def _md_status(v: Any) -> str:
    if isinstance(v, str) and v.lower() in _STATUS_ICON:
        return f"{_STATUS_ICON[v.lower()]} {escape_markdown(v)}"
    return _md_value(v)


def _md_rule_link(rule_id: str) -> str:
    if _RULE_ID_RE.match(rule_id):
        return f"[{rule_id}]({rule_info(rule_id).source_url})"
    return escape_markdown(rule_id)


# GitHub keeps at most 1 MiB of a step's job summary ($GITHUB_STEP_SUMMARY) and drops a bigger
# one whole: ours stays below, with room for what else the step appends, and says what it cut.
MARKDOWN_LIMIT = 1024 * 1024 - 64 * 1024  # bytes, UTF-8


def _bounded_markdown(lines: List[str], limit: int) -> List[str]:
    """The lines, cut at a line boundary so that the document stays within ``limit`` bytes, with
    a note saying how much was left out."""
    size = sum(len(line.encode("utf-8")) + 1 for line in lines)
    if size <= limit:
        return lines
    budget = limit - 1024  # room for the note
    kept: List[str] = []
    used = 0
    for line in lines:
        n = len(line.encode("utf-8")) + 1
        if used + n > budget:
            break
        kept.append(line)
        used += n
    left = lines[len(kept):]
    rows = sum(1 for line in left if line.startswith("| ") and not line.startswith("| Rule |") and not line.startswith("| Availability Zone |"))
    kept += [
        "",
        f"> **Cut:** this summary stops here to stay under GitHub's 1 MiB job-summary limit; "
        f"{len(left)} more lines ({rows} table rows) are not shown. "
        "The text, JSON or SARIF report holds every finding.",
    ]
    return kept


def render_markdown(findings: Sequence[Finding], *, summary: Optional[dict], limit: int = MARKDOWN_LIMIT) -> str:
    counts = _counts(findings)
    icon = "❌" if counts["error"] else ("⚠️" if counts["warning"] else "✅")
    out: List[str] = []
    if findings:
        out.append(f"## {icon} ecsnetpolicy: {_count_phrase(counts)}")
    else:
        out.append(f"## {icon} ecsnetpolicy: no findings")
    out.append("")
    for fname, groups in _grouped(findings):
        out.append(f"### {escape_markdown(fname or '-')}")
        out.append("")
        for workload, items in groups:
            if workload is None:
                out.append("**Template**")
            else:
                out.append(f"**Workload {escape_markdown(workload)}**")
            out.append("")
            out.append("| Rule | Severity | Line | Message |")
            out.append("| --- | --- | ---: | --- |")
            for f in items:
                line = _span(f)[0]
                out.append(
                    f"| {_md_rule_link(f.rule_id)} | {_severity(f)} | {line} | {escape_markdown(f.message)} |"
                )
            out.append("")
    if summary:
        out.extend(_markdown_summary(summary))
    while out and not out[-1]:
        out.pop()
    return "\n".join(_bounded_markdown(out, limit)) + "\n"


def _markdown_summary(summary: dict) -> List[str]:
    out = ["### Coverage", ""]
    for wl in summary.get("workloads") or []:
        if not isinstance(wl, dict):
            out.append(f"- {_md_value(wl)}")
            continue
        out.append(f"**Workload {escape_markdown(wl.get('name', '?'))}**")
        out.append("")
        matrix = wl.get("matrix") or {}
        if isinstance(matrix, dict) and matrix:
            needs: List[str] = []
            for row in matrix.values():
                if isinstance(row, dict):
                    for need in row:
                        if need not in needs:
                            needs.append(need)
            needs.sort(key=str)
            out.append("| Availability Zone | " + " | ".join(escape_markdown(n) for n in needs) + " |")
            out.append("| --- |" + " --- |" * len(needs))
            for az in sorted(matrix, key=str):
                row = matrix[az] if isinstance(matrix[az], dict) else {}
                cells = [_md_status(row[n]) if n in row else "–" for n in needs]
                out.append(f"| {escape_markdown(az)} | " + " | ".join(cells) + " |")
            out.append("")
        if "route_tables" in wl:
            out.append(f"- Route tables: {_md_value(wl['route_tables']) or '–'}")
        for key, val in wl.items():
            if key in ("name", "matrix", "route_tables"):
                continue
            out.append(f"- {escape_markdown(key)}: {_md_value(val)}")
        out.append("")
    for key, val in summary.items():
        if key == "workloads":
            continue
        out.append(f"- {escape_markdown(key)}: {_md_value(val)}")
    return out
