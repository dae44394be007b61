"""What several output formats share: the one sanitising step every finding goes through (safe
names, real file names), rule lookup, severity and span, counts and grouping, repository-relative
paths."""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..catalogue import DOCS_BASE, RULES, RuleInfo
from ..findings import Finding
from ..phrasing import safe

TOOL_NAME = "ecsnetpolicy"
INFORMATION_URI = DOCS_BASE.split("/blob/")[0]

_SEVERITY_ORDER = ("error", "warning", "informational")


# --------------------------------------------------------------------------------------------
# the one sanitising step every format starts from

MAX_NAME = 1000  # characters of a file name or template path element shown
_NAME_BREAKS = re.compile(r"[\t\n\r]")
# safe name shown -> real file name (to read the file, to link it); filled by render()
_REAL_NAME: Dict[str, str] = {}


def safe_name(name: Any) -> str:
    """A file name or logical ID, safe to show: like phrasing.safe, but a tab or line break is
    escaped (``\\x0a``) rather than made a space, so that two names stay two names."""
    return safe(_NAME_BREAKS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(name)), MAX_NAME)


def _clean(f: Finding) -> Finding:
    """The finding with every template- or user-controlled text made safe (phrasing.safe): the
    message, the workload, the template path and the file name (remembered by its real name)."""
    filename = f.filename
    if filename:
        filename = safe_name(f.filename)
        _REAL_NAME.setdefault(filename, f.filename)
    return dataclasses.replace(
        f,
        rule_id=safe(f.rule_id, 100),
        message=safe(f.message),
        path=None if f.path is None else tuple(safe_name(p) if isinstance(p, str) else p for p in f.path),
        filename=filename,
        workload=None if f.workload is None else safe(f.workload, 300),
    )


def _real(filename: str) -> str:
    """The real name of a file a cleaned finding names."""
    return _REAL_NAME.get(filename, filename)


# --------------------------------------------------------------------------------------------
# shared helpers


def rule_info(rule_id: str) -> RuleInfo:
    """The catalogue entry, or a stand-in for an ID the catalogue doesn't (yet) describe."""
    info = RULES.get(rule_id)
    if info is not None:
        return info
    return RuleInfo(rule_id, rule_id.lower(), "", "")


def _severity(f: Finding) -> str:
    try:
        return f.severity
    except (KeyError, IndexError):
        return "error"


def _span(f: Finding) -> Tuple[int, int, int, int]:
    """(line, col, end_line, end_col), 1-based, with the end never before the start."""
    line = max(int(f.line or 1), 1)
    col = max(int(f.column or 1), 1)
    end_line = max(int(f.end_line or 1), 1)
    end_col = max(int(f.end_column or 1), 1)
    if (end_line, end_col) < (line, col):
        end_line, end_col = line, col + 1
    return line, col, end_line, end_col


def _counts(findings: Sequence[Finding]) -> Dict[str, int]:
    counts = {s: 0 for s in _SEVERITY_ORDER}
    for f in findings:
        counts[_severity(f)] = counts.get(_severity(f), 0) + 1
    return counts


def _plural(n: int, word: str) -> str:
    if word == "informational":
        return f"{n} informational"
    return f"{n} {word}" + ("" if n == 1 else "s")


def _count_phrase(counts: Dict[str, int]) -> str:
    return ", ".join(_plural(counts[s], s) for s in _SEVERITY_ORDER)


def _grouped(findings: Sequence[Finding]):
    """[(filename, [(workload or None, [findings])])], files sorted, workloads by name with the
    template-level group last; findings inside a group keep sort_key order."""
    files: Dict[str, Dict[Optional[str], List[Finding]]] = {}
    for f in findings:
        files.setdefault(f.filename or "", {}).setdefault(f.workload, []).append(f)
    out = []
    for fname in sorted(files):
        groups = files[fname]
        names = sorted(groups, key=lambda w: (w is None, w or ""))
        out.append((fname, [(w, groups[w]) for w in names]))
    return out


def _posix(path: str) -> str:
    return path.replace(os.sep, "/") if os.sep != "/" else path


# --------------------------------------------------------------------------------------------
# file locations: repository roots and URIs

_ROOT_CACHE: Dict[str, str] = {}


def _repo_root(abs_dir: str) -> Optional[str]:
    """The git top-level containing abs_dir (a directory holding a .git dir or file), or None."""
    if abs_dir in _ROOT_CACHE:
        return _ROOT_CACHE[abs_dir] or None
    d = abs_dir
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            _ROOT_CACHE[abs_dir] = d
            return d
        parent = os.path.dirname(d)
        if parent == d:
            _ROOT_CACHE[abs_dir] = ""
            return None
        d = parent


def relative_to_root(filename: str) -> Optional[str]:
    """filename relative to its repository root (else the cwd), with forward slashes; None when
    it lies outside that root."""
    abs_path = os.path.abspath(filename)
    root = _repo_root(os.path.dirname(abs_path)) or os.getcwd()
    try:
        rel = os.path.relpath(abs_path, root)
    except ValueError:  # another drive on Windows
        return None
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return _posix(rel)
