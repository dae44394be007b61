"""A rule's documentation page (docs/rules/<ID>.md) as plain text for a terminal: `ecsnetpolicy
explain ID` prints this, so a reader sees prose, not `#`, backticks, `**` or link syntax.

Written by hand rather than with a Markdown library: the pages use a small, known subset
(headings, paragraphs, lists, fenced code, pipe tables, inline code, bold, links), and the command
must not pull a dependency (or a second of import time) in for it."""

from __future__ import annotations

import re
import textwrap
from typing import List

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_CODE = re.compile(r"(`+)(.+?)\1", re.S)  # a span may cross a line break within a paragraph
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_EM = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")

# Files the pages cite that a wheel does not ship (they live in the project's specification, beside
# the repository): named by what they are, so the reader is never sent to a file they do not have.
_UNSHIPPED = [
    (re.compile(r"`(?:\.\./shared/spec/)?aws-facts\.md`(?: facts?(?= \d))?"), "ecsnetpolicy's AWS facts"),
    (re.compile(r"`(?:\.\./shared/spec/)?rules\.md`"), "ecsnetpolicy's rule catalogue (`ecsnetpolicy rules`)"),
    (re.compile(r"\[(?:docs/)?fix\.md\]\((?:\.\./|docs/)?fix\.md\)"), "`ecsnetpolicy fix --help`"),
]


def _inline(text: str) -> str:
    """Inline Markdown to plain text: links keep their text (and a web address), code and
    emphasis lose their markers."""
    for pattern, words in _UNSHIPPED:
        text = pattern.sub(words, text)
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2).startswith(("http://", "https://")) else m.group(1), text)
    spans: List[str] = []

    def hold(m: "re.Match[str]") -> str:  # emphasis markers inside code are literal
        spans.append(m.group(2).strip())
        return f"\x00{len(spans) - 1}\x00"

    text = _emphasis(_CODE.sub(hold, text))
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


def _emphasis(text: str) -> str:
    return _EM.sub(r"\1", _BOLD.sub(r"\2", text))


def _cells(row: str) -> List[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [_inline(c.strip()) for c in re.split(r"(?<!\\)\|", row)]


WIDTH = 100  # the pages are wrapped at 100 columns; a table's last column is wrapped to match


def _table(rows: List[str]) -> List[str]:
    """A pipe table as aligned columns (the |---| rule becomes a line of dashes); the last
    column wraps so that a row fits in WIDTH columns where the others leave room."""
    cells = [_cells(r) for r in rows if not _TABLE_RULE.match(r)]
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    sizes = [max(len(r[i]) for r in cells) for i in range(width)]
    room = WIDTH - sum(sizes[:-1]) - 2 * (width - 1)
    if sizes[-1] > room >= 20:
        sizes[-1] = room
    out: List[str] = []
    for n, row in enumerate(cells):
        tail = textwrap.wrap(row[-1], sizes[-1], break_long_words=False) or [""]
        for k, piece in enumerate(tail):
            lead = row[:-1] if k == 0 else [""] * (width - 1)
            out.append("  ".join(c.ljust(s) for c, s in zip(lead + [piece], sizes)).rstrip())
        if n == 0 and len(cells) > 1:
            out.append("  ".join("-" * s for s in sizes))
    return out


def _heading(level: int, title: str) -> List[str]:
    title = _inline(title)
    if level == 1:
        return [title, "=" * len(title)]
    if level == 2:
        return [title, "-" * len(title)]
    return [title]


def _special(line: str) -> bool:
    return bool(_FENCE.match(line) or _HEADING.match(line) or line.lstrip().startswith("|"))


def markdown_to_text(markdown: str) -> str:
    """The page as plain text: headings underlined, code blocks indented, tables aligned."""
    out: List[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                out.append("    " + lines[i] if lines[i].strip() else "")
                i += 1
            i += 1  # the closing fence
            continue
        heading = _HEADING.match(line)
        if heading:
            out.extend(_heading(len(heading.group(1)), heading.group(2)))
        elif line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out.extend(_table(rows))
            continue
        elif line.strip():
            block = []  # a paragraph (or list) whole, so inline code and bold may cross lines
            while i < len(lines) and lines[i].strip() and not _special(lines[i]):
                block.append(lines[i])
                i += 1
            out.extend(part.rstrip() for part in _inline("\n".join(block)).split("\n"))
            continue
        else:
            out.append("")
        i += 1
    return "\n".join(out).rstrip("\n") + "\n"
