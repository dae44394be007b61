"""Output formats for findings: text, json (cfn-lint's shape), sarif, github, rdjson, markdown
(one module each), and the graph (graph.py).

The format modules must stay light: they run inside a pre-commit hook, so they import no cfn-lint
and import PyYAML only when an rdjson suggestion has to be built (suggestions.py).

Entry point: ``render(findings, fmt, *, color=False, summary=None) -> str``. The returned
document always ends with a newline (write it as is; don't ``print()`` it, which would add a
second one). Template-controlled text (messages, file names, paths, workload names, summary
values) goes through one sanitising step per format: ``_clean`` (phrasing.safe: no control
characters, C1 controls, ESC, NEL, U+2028/2029 or bidi overrides, no line-start ``::`` workflow
command, bounded length) for every finding, whatever the format, then that format's own escaping
of its sink (GitHub workflow-command encoding, Markdown/HTML in ``escape_markdown``).  File names
are read and linked (SARIF URIs, rdjson suggestions) by their real name, shown by their safe one.
"""

from __future__ import annotations

import importlib
from typing import Iterable, Optional

from ..findings import Finding
from .common import _REAL_NAME, _ROOT_CACHE, _clean

FORMATS = ("text", "json", "sarif", "github", "rdjson", "markdown")


def render(
    findings: Iterable[Finding],
    fmt: str,
    *,
    color: bool = False,
    summary: Optional[dict] = None,
    quiet: bool = False,
) -> str:
    """Render findings in format ``fmt`` (one of FORMATS). Findings are sorted by Finding.sort_key.
    Only the module of the format asked for is imported (a pre-commit run pays for one)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    _ROOT_CACHE.clear()
    _REAL_NAME.clear()
    ordered = sorted((_clean(f) for f in findings), key=lambda f: f.sort_key())
    renderer = getattr(importlib.import_module(f"{__name__}.{fmt}"), f"render_{fmt}")
    if fmt == "text":
        return renderer(ordered, color=color, quiet=quiet)
    if fmt == "markdown":
        return renderer(ordered, summary=summary)
    return renderer(ordered)
