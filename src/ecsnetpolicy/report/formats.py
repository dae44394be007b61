"""Output formats for findings: text, json (cfn-lint's shape), sarif, github, rdjson, markdown.

This module must stay light: it runs inside a pre-commit hook, so it imports no cfn-lint and
imports PyYAML only when an rdjson suggestion has to be built.

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

import dataclasses
import hashlib
import json
import os
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..catalogue import DOCS_BASE, RULES, RuleInfo
from ..findings import Finding, Fix
from ..phrasing import safe

FORMATS = ("text", "json", "sarif", "github", "rdjson", "markdown")

TOOL_NAME = "ecsnetpolicy"
INFORMATION_URI = DOCS_BASE.split("/blob/")[0]
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "ecsnetpolicy/v1"

_SEVERITY_ORDER = ("error", "warning", "informational")
_SARIF_LEVEL = {"error": "error", "warning": "warning", "informational": "note"}
_RDJSON_SEVERITY = {"error": "ERROR", "warning": "WARNING", "informational": "INFO"}
_GITHUB_COMMAND = {"error": "error", "warning": "warning", "informational": "notice"}
_RULE_ID_RE = re.compile(r"^[EWI][A-Z]*\d{4}$")


def render(
    findings: Iterable[Finding],
    fmt: str,
    *,
    color: bool = False,
    summary: Optional[dict] = None,
) -> str:
    """Render findings in format ``fmt`` (one of FORMATS). Findings are sorted by Finding.sort_key."""
    _ROOT_CACHE.clear()
    _REAL_NAME.clear()
    ordered = sorted((_clean(f) for f in findings), key=lambda f: f.sort_key())
    if fmt == "text":
        return _render_text(ordered, color=color)
    if fmt == "json":
        return _render_json(ordered)
    if fmt == "sarif":
        return _render_sarif(ordered)
    if fmt == "github":
        return _render_github(ordered)
    if fmt == "rdjson":
        return _render_rdjson(ordered)
    if fmt == "markdown":
        return _render_markdown(ordered, summary=summary)
    raise ValueError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")


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
# text

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


def _render_text(findings: Sequence[Finding], *, color: bool) -> str:
    def paint(s: str, style: str) -> str:
        return f"{_ANSI[style]}{s}{_ANSI['reset']}" if color else s

    lines: List[str] = []
    grouped = _grouped(findings)
    for fname, groups in grouped:
        lines.append(paint(fname or "-", "bold"))
        for workload, items in groups:
            label = f"workload {workload}" if workload is not None else "template"
            lines.append(" " + paint(label, "bold"))
            for f in items:
                line, col, _, _ = _span(f)
                sev = _severity(f)
                lines.append(
                    f"  {line}:{col}  {paint(f.rule_id, sev)} "
                    f"{paint(sev, sev)}  {f.message}"
                )
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


# --------------------------------------------------------------------------------------------
# json (exactly cfn-lint's --format json)


def _cfnlint_match_id(f: Finding, info: RuleInfo, line: int) -> str:
    """cfn-lint's Match.id: uuid of md5(repr(match)), repr = '[ID: shortdesc] (msg) matched file:line'."""
    import pathlib
    import uuid

    file_str = pathlib.Path(f.filename).as_posix() + ":" if f.filename else ""
    text = f"[{info.rule_id}: {info.shortdesc}] ({f.message}) matched {file_str}{line}"
    digest = hashlib.md5(text.encode("UTF-8")).hexdigest()  # noqa: S324 - not security
    return str(uuid.UUID(hex=digest))


def to_cfnlint_json(f: Finding) -> dict:
    info = rule_info(f.rule_id)
    return {
        "Id": _cfnlint_match_id(f, info, f.line),
        "ParentId": None,
        "Rule": {
            "Id": f.rule_id,
            "Description": info.description,
            "ShortDescription": info.shortdesc,
            "Source": info.source_url,
        },
        "Location": {
            "Start": {"ColumnNumber": f.column, "LineNumber": f.line},
            "End": {"ColumnNumber": f.end_column, "LineNumber": f.end_line},
            "Path": list(f.path) if f.path is not None else None,
        },
        "Level": _severity(f).capitalize(),
        "Message": f.message,
        "Filename": f.filename,
    }


def _json_default(o: Any) -> Any:
    # what cfn-lint's encoder does with objects it doesn't know, else their text
    if hasattr(o, "__dict__"):
        return {f"__{o.__class__.__name__}__": o.__dict__}
    return str(o)


def _render_json(findings: Sequence[Finding]) -> str:
    return (
        json.dumps(
            [to_cfnlint_json(f) for f in findings],
            indent=4,
            sort_keys=True,
            separators=(",", ": "),
            default=_json_default,
        )
        + "\n"
    )


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


def _artifact_location(filename: str) -> dict:
    from urllib.parse import quote

    rel = relative_to_root(filename)
    if rel is not None:
        return {"uri": quote(rel, safe="/"), "uriBaseId": "%SRCROOT%"}
    import pathlib

    return {"uri": pathlib.Path(os.path.abspath(filename)).as_uri()}


# --------------------------------------------------------------------------------------------
# sarif


def fingerprint(f: Finding, uri: str) -> str:
    """Stable across runs and line shifts: rule id, file, template path and message."""
    payload = json.dumps(
        [f.rule_id, uri, [str(p) for p in (f.path or ())], f.message],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _sarif_rule(info: RuleInfo) -> dict:
    try:
        level = _SARIF_LEVEL[info.severity]
    except KeyError:
        level = "error"
    rule = {
        "id": info.rule_id,
        "name": info.name,
        "shortDescription": {"text": info.shortdesc or info.rule_id},
        "fullDescription": {"text": info.description or info.shortdesc or info.rule_id},
        "helpUri": info.source_url,
        "help": {
            "text": f"{info.description or info.shortdesc} See {info.source_url}",
            "markdown": f"{info.description or info.shortdesc} [{info.rule_id}]({info.source_url})",
        },
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["cloudformation", "ecs", "network"]},
    }
    return rule


def _render_sarif(findings: Sequence[Finding]) -> str:
    from .. import __version__

    infos = list(RULES.values())
    extra = sorted({f.rule_id for f in findings} - set(RULES))
    infos += [rule_info(r) for r in extra]
    index = {info.rule_id: i for i, info in enumerate(infos)}

    results = []
    for f in findings:
        sev = _severity(f)
        result: Dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": _SARIF_LEVEL[sev],
            "message": {"text": f.message},
        }
        uri = ""
        if f.filename:
            line, col, end_line, end_col = _span(f)
            artifact = _artifact_location(_real(f.filename))  # percent-encoded: safe, and the real file
            uri = artifact["uri"]
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {
                            "startLine": line,
                            "startColumn": col,
                            "endLine": end_line,
                            "endColumn": end_col,
                        },
                    }
                }
            ]
        result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(f, uri)}
        props: Dict[str, Any] = {"path": [p if isinstance(p, (int, str)) else str(p) for p in f.path or ()]}
        if f.workload is not None:
            props["workload"] = f.workload
        result["properties"] = props
        results.append(result)

    doc = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_sarif_rule(i) for i in infos],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# github workflow commands


def escape_data(s: Any) -> str:
    """@actions/core toCommandValue + escapeData."""
    return str(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: Any) -> str:
    """@actions/core escapeProperty."""
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def _render_github(findings: Sequence[Finding]) -> str:
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


# --------------------------------------------------------------------------------------------
# rdjson (reviewdog diagnostic format) with suggestions


class _FileCache:
    def __init__(self) -> None:
        self._texts: Dict[str, Optional[str]] = {}

    def text(self, filename: str) -> Optional[str]:
        if filename not in self._texts:
            try:
                with open(filename, encoding="utf-8", newline="") as fh:
                    self._texts[filename] = fh.read()
            except (OSError, UnicodeDecodeError):
                self._texts[filename] = None
        return self._texts[filename]


def _split_lines(text: str) -> List[str]:
    return re.split(r"\r\n|\r|\n", text)


def _byte_column(lines: Optional[List[str]], line: int, col: int) -> int:
    """Convert a 1-based code-point column into rdjson's 1-based UTF-8 byte column."""
    if not lines or line < 1 or line > len(lines):
        return col
    content = lines[line - 1]
    if line == 1 and content.startswith("\ufeff"):
        content = content[1:]
    return len(content[: col - 1].encode("utf-8")) + 1 + max(0, col - 1 - len(content))


def _render_rdjson(findings: Sequence[Finding]) -> str:
    files = _FileCache()
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
        if f.fix is not None and text is not None:
            suggestion = build_suggestion(text, f.fix, filename=_real(f.filename))
            if suggestion is not None:
                diag["suggestions"] = [suggestion]
        diagnostics.append(diag)
    doc = {
        "source": {"name": TOOL_NAME, "url": INFORMATION_URI},
        "diagnostics": diagnostics,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# -- suggestions --------------------------------------------------------------------------
#
# A suggestion is line-based (columns omitted): its text replaces lines start..end whole, without
# their final line break. That is what reviewdog turns into a GitHub ```suggestion block.


def apply_suggestion(text: str, suggestion: dict) -> str:
    """Apply one rdjson suggestion to text (line-based, or column-based with UTF-8 byte columns)."""
    rng = suggestion["range"]
    start = rng["start"]
    end = rng.get("end") or start
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = _split_lines(text)
    if not start.get("column") and not end.get("column"):
        s, e = start["line"], end.get("line") or start["line"]
        new_lines = lines[: s - 1] + [suggestion["text"]] + lines[e:]
        return eol.join(new_lines)

    # column-based: translate (line, byte column) to string offsets
    def offset(pos: dict) -> int:
        ln = pos["line"]
        before = sum(len(l) + len(eol) for l in lines[: ln - 1])
        b = lines[ln - 1].encode("utf-8")[: max(pos.get("column", 1), 1) - 1]
        return before + len(b.decode("utf-8", errors="ignore"))

    a, b = offset(start), offset(end)
    return text[:a] + suggestion["text"] + text[b:]


_PLAIN_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")
_SHORT_TAGS = {
    "Ref": "!Ref",
    "Fn::GetAtt": "!GetAtt",
    "Fn::Sub": "!Sub",
    "Fn::ImportValue": "!ImportValue",
    "Fn::Base64": "!Base64",
    "Fn::GetAZs": "!GetAZs",
}


def yaml_scalar(value: Any) -> str:
    """A YAML rendering of a value, on one line."""
    import yaml

    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if _PLAIN_RE.match(value):
            try:
                if yaml.safe_load(value) == value:
                    return value
            except yaml.YAMLError:
                pass
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict) and len(value) == 1:
        (k, v), = value.items()
        tag = _SHORT_TAGS.get(k)
        if tag == "!GetAtt" and isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v):
            v = f"{v[0]}.{v[1]}"
        if tag and isinstance(v, str):
            return f"{tag} {yaml_scalar(v)}"
    return json.dumps(value, ensure_ascii=False)


def _compose(text: str):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return None


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


def _walk(node, path: Sequence[Any]):
    import yaml

    for elem in path:
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP_TAG:
            found = None
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(elem):
                    found = v
            if found is None:
                return None
            node = found
        elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG and isinstance(elem, int):
            if not 0 <= elem < len(node.value):
                return None
            node = node.value[elem]
        else:
            return None
    return node


def _entry(mapping, key: str):
    import yaml

    found = None
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            found = (k, v)
    return found


def _last_line(node, lines: List[str]) -> int:
    """0-based line of the last character of a node's content."""
    import yaml

    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return max(node.start_mark.line, _last_line(node.value[-1][1], lines), node.value[-1][0].end_mark.line)
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return max(node.start_mark.line, _last_line(node.value[-1], lines))
    end = node.end_mark
    ln = end.line
    # a block scalar's end mark sits on the next content line (after its indentation)
    if ln > node.start_mark.line and (ln >= len(lines) or not lines[ln][: end.column].strip()):
        ln -= 1
    while ln > node.start_mark.line and not lines[ln].strip():
        ln -= 1
    return ln


def _is_json(filename: Optional[str], text: str) -> bool:
    if filename and filename.lower().endswith(".json"):
        return True
    return text.lstrip("\ufeff \t\r\n").startswith(("{", "["))


def build_suggestion(text: str, fix: Fix, *, filename: Optional[str] = None) -> Optional[dict]:
    """An rdjson suggestion implementing ``fix`` against a YAML document, or None when the file is
    JSON, the location can't be found, or the edit would not be a clean one."""
    if _is_json(filename, text) or any(c in text for c in "\x85\u2028\u2029"):
        return None
    root = _compose(text)
    if root is None:
        return None
    try:
        sugg = _plan(text, root, fix)
    except (IndexError, ValueError, AttributeError, TypeError):
        return None
    if sugg is None or not _verify(text, sugg, fix, root):
        return None
    return sugg


def _line_edit(line0: int, new_text: str) -> dict:
    return {"range": {"start": {"line": line0 + 1}, "end": {"line": line0 + 1}}, "text": new_text}


def _plan(text: str, root, fix: Fix) -> Optional[dict]:
    import yaml

    lines = _split_lines(text)
    eol = "\r\n" if "\r\n" in text else "\n"
    mapping = _walk(root, fix.path)
    if not isinstance(mapping, yaml.MappingNode) or mapping.tag != _MAP_TAG or mapping.flow_style:
        return None
    if not mapping.value:
        return None
    key_col = mapping.value[0][0].start_mark.column
    indent = " " * key_col
    rendered = yaml_scalar(fix.value)
    entry = _entry(mapping, fix.key)
    key_s = yaml_scalar(fix.key)

    def insert_after_mapping(new_lines: List[str]) -> dict:
        last = _last_line(mapping, lines)
        return _line_edit(last, eol.join([lines[last]] + new_lines))

    if fix.kind == "set":
        if entry is None:
            return insert_after_mapping([f"{indent}{key_s}: {rendered}"])
        k, v = entry
        if not isinstance(v, yaml.ScalarNode):
            return None
        if v.value == "" and v.style is None and v.tag == "tag:yaml.org,2002:null":
            # `Key:` with no value
            ln = k.start_mark.line
            line = lines[ln]
            return _line_edit(ln, line[: k.start_mark.column] + f"{key_s}: {rendered}")
        if v.start_mark.line != v.end_mark.line:
            return None
        ln = v.start_mark.line
        line = lines[ln]
        return _line_edit(ln, line[: v.start_mark.column] + rendered + line[v.end_mark.column :])

    if fix.kind == "append":
        if entry is None:
            return insert_after_mapping([f"{indent}{key_s}:", f"{indent}  - {rendered}"])
        k, seq = entry
        if not isinstance(seq, yaml.SequenceNode) or seq.tag != _SEQ_TAG:
            return None
        if seq.flow_style:
            if seq.start_mark.line != seq.end_mark.line:
                return None
            ln = seq.end_mark.line
            line = lines[ln]
            close = seq.end_mark.column - 1
            if line[close] != "]":
                return None
            item = f", {rendered}" if seq.value else rendered
            return _line_edit(ln, line[:close] + item + line[close:])
        if not seq.value:
            return None
        first = seq.value[0]
        fl = lines[first.start_mark.line]
        dash = fl.rfind("-", 0, first.start_mark.column)
        if dash < 0 or fl[dash + 1 : first.start_mark.column].strip():
            return None
        gap = first.start_mark.column - dash - 1
        item_line = " " * dash + "-" + " " * max(gap, 1) + rendered
        last = _last_line(seq, lines)
        return _line_edit(last, eol.join([lines[last], item_line]))
    return None


def _verify(text: str, sugg: dict, fix: Fix, old_root) -> bool:
    """Apply the suggestion and check the result parses and carries the fix."""
    import yaml

    new_root = _compose(apply_suggestion(text, sugg))
    if new_root is None:
        return False
    mapping = _walk(new_root, fix.path)
    if not isinstance(mapping, yaml.MappingNode):
        return False
    entry = _entry(mapping, fix.key)
    if entry is None:
        return False
    _, v = entry
    expected = _compose(yaml_scalar(fix.value))
    if fix.kind == "set":
        return _node_eq(v, expected)
    if not isinstance(v, yaml.SequenceNode):
        return False
    old_mapping = _walk(old_root, fix.path)
    old_entry = _entry(old_mapping, fix.key) if old_mapping is not None else None
    old_len = len(old_entry[1].value) if old_entry and isinstance(old_entry[1], yaml.SequenceNode) else 0
    return len(v.value) == old_len + 1 and _node_eq(v.value[-1], expected)


def _node_eq(a, b) -> bool:
    import yaml

    if a is None or b is None or type(a) is not type(b) or a.tag != b.tag:
        return False
    if isinstance(a, yaml.ScalarNode):
        return a.value == b.value
    if len(a.value) != len(b.value):
        return False
    if isinstance(a, yaml.MappingNode):
        return all(_node_eq(ka, kb) and _node_eq(va, vb) for (ka, va), (kb, vb) in zip(a.value, b.value))
    return all(_node_eq(x, y) for x, y in zip(a.value, b.value))


# --------------------------------------------------------------------------------------------
# markdown (pull-request summary)

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


def _render_markdown(findings: Sequence[Finding], *, summary: Optional[dict], limit: int = MARKDOWN_LIMIT) -> str:
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
