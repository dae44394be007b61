"""The edits a Fix turns into: the fixed text (`fixed_text`: YAML edits planned line by line on the
composed document and spliced into the original text, JSON through fixdata.py; each verified by
loading the result), and the same change as a line-based suggestion (reviewdog's rdjson shape) and
as a SARIF fix.  `ecsnetpolicy fix`, rdjson and SARIF all use these: one source of truth."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Sequence

from ..findings import Fix, Finding


class FileCache:
    """File texts read once per report (several findings of one file), None when unreadable."""

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


# -- suggestions --------------------------------------------------------------------------
#
# A suggestion is line-based (columns omitted): its text replaces lines start..end whole, without
# their final line break. That is what reviewdog turns into a GitHub ```suggestion block.


def _split_lines(text: str) -> List[str]:
    return re.split(r"\r\n|\r|\n", text)


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
    """An rdjson suggestion implementing ``fix`` (all of its edits) against a YAML or JSON
    document: the lines `fixed_text` changes, replaced whole.  None when the fix makes no edit,
    the location can't be found, or the edit would not be a clean one."""
    new = fixed_text(text, fix, filename=filename)
    if new is None or new == text:
        return None
    return line_change(text, new)


def fixed_text(text: str, fix: Fix, *, filename: Optional[str] = None) -> Optional[str]:
    """The text with every edit of ``fix`` made, or None when one cannot be made cleanly.  The one
    planner behind `ecsnetpolicy fix`, rdjson suggestions and SARIF fixes.  Each edit is verified:
    the new text must load to exactly the old template with the edit applied (fixdata.apply)."""
    if fix.kind == "manual":
        return None
    for edit in fix.edits():
        text = _one_edit(text, edit, filename)
        if text is None:
            return None
    return text


def _one_edit(text: str, fix: Fix, filename: Optional[str]) -> Optional[str]:
    from . import fixdata

    if _is_json(filename, text):
        return fixdata.json_edit(text, fix)
    if any(c in text for c in "\x85\u2028\u2029"):
        return None
    before = fixdata.load(text)
    if before is None:
        return None
    expected = fixdata.apply(before, fix)
    if expected is None:
        return None
    if expected == before:
        return text  # already there: nothing to write (a second `fix` changes nothing)
    root = _compose(text)
    if root is None:
        return None
    try:
        if fix.kind == "resource":
            sugg = _plan_resource(text, root, fix)
        else:
            sugg = _plan(text, root, fix)
    except (IndexError, ValueError, AttributeError, TypeError):
        sugg = None
    new = apply_suggestion(text, sugg) if sugg is not None else _round_trip_edit(text, fix)
    return new if new is not None and fixdata.load(new) == expected else None


def _round_trip_edit(text: str, fix: Fix) -> Optional[str]:
    """The edit made by ruamel.yaml's round trip, for what the line planner does not do (a flow
    mapping, a value spanning lines): only when the file round-trips byte for byte, so that the
    dump differs from it in the edited place alone.  Line planning comes first because the round
    trip reformats many real templates (docs/fix.md)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    step, seq, offset = _indent_style(text)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=step, sequence=seq, offset=offset)

    def dump(doc: Any) -> str:
        out = io.StringIO()
        yaml.dump(doc, out)
        return out.getvalue()

    try:
        doc = yaml.load(text)
        if dump(doc) != text:
            return None
        node = doc
        for elem in fix.path[:-1] if fix.kind == "resource" else fix.path:
            node = node[elem]
        if fix.kind == "resource":
            keys = list(node.keys())
            node.insert(keys.index(fix.path[-1]) + 1, fix.key, _tagged(fix.value))
        elif fix.kind == "set" and isinstance(node, CommentedMap) and not isinstance(node.get(fix.key), (dict, list)):
            node[fix.key] = _tagged(fix.value)
        elif fix.kind == "append" and isinstance(node, CommentedMap) and isinstance(node.get(fix.key), list):
            node[fix.key].append(_tagged(fix.value))
        else:
            return None
        return dump(doc)
    except Exception:  # noqa: BLE001 - any failure of the fallback is "no clean edit", never a crash
        return None


def sarif_fix(finding: Finding, files: FileCache, artifact: dict, filename: str) -> Optional[dict]:
    """The SARIF `fix` of a finding (in the real file `filename`): its suggestion as one
    replacement of whole lines."""
    text = files.text(filename) if finding.fix is not None else None
    sugg = build_suggestion(text, finding.fix, filename=filename) if text is not None else None
    if sugg is None:
        return None
    lines = _split_lines(text)
    start, end = sugg["range"]["start"]["line"], sugg["range"]["end"]["line"]
    safety = "a safe fix" if finding.fix.safety == "safe" else "an unsafe fix (ecsnetpolicy fix --unsafe-fixes)"
    return {
        "description": {"text": f"{finding.rule_id}: {safety}"},
        "artifactChanges": [{
            "artifactLocation": artifact,
            "replacements": [{
                "deletedRegion": {"startLine": start, "startColumn": 1, "endLine": end, "endColumn": len(lines[end - 1]) + 1},
                "insertedContent": {"text": sugg["text"]},
            }],
        }],
    }


def line_change(old: str, new: str) -> dict:
    """The line-based suggestion turning `old` into `new`: the changed lines, whole (a pure
    insertion takes the line before it along, as a line range cannot be empty)."""
    a, b = _split_lines(old), _split_lines(new)
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    q = 0
    while q < min(len(a), len(b)) - p and a[-1 - q] == b[-1 - q]:
        q += 1
    start, end_a, end_b = p, len(a) - q, len(b) - q
    if end_a <= start:  # nothing removed: take the line before (or after) along
        if start > 0:
            start -= 1
        else:
            end_a, end_b = end_a + 1, end_b + 1
    eol = "\r\n" if "\r\n" in old else "\n"
    return {"range": {"start": {"line": start + 1}, "end": {"line": end_a}}, "text": eol.join(b[start:end_b])}


def _indent_style(text: str):
    """(mapping indent, sequence indent, dash offset) of the file, guessed as ruamel.yaml does,
    so that inserted blocks look like their neighbours."""
    step = 2
    for line in _split_lines(text):
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith(("#", "-")) and len(line) > len(stripped):
            step = len(line) - len(stripped)
            break
    try:
        from ruamel.yaml.util import load_yaml_guess_indent

        _, seq, offset = load_yaml_guess_indent(text)
    except Exception:  # noqa: BLE001 - a guess: any failure keeps the defaults
        seq, offset = None, None
    if not isinstance(seq, int) or not isinstance(offset, int) or seq < offset + 2:
        seq, offset = step + 2, step
    return step, seq, offset


def _block(value: Any, text: str) -> List[str]:
    """A value in block style, as ruamel.yaml writes it with the file's indentation; CloudFormation
    functions in their short form (!Ref, !GetAtt, !Sub...)."""
    import io

    from ruamel.yaml import YAML

    step, seq, offset = _indent_style(text)
    yaml = YAML()
    yaml.indent(mapping=step, sequence=seq, offset=offset)
    yaml.width = 4096
    out = io.StringIO()
    try:
        yaml.dump(_tagged(value), out)
    except Exception as exc:  # noqa: BLE001 - a value ruamel cannot write: no edit (never a crash)
        raise ValueError(f"cannot render {type(value).__name__}") from exc
    return out.getvalue().rstrip("\n").split("\n")


def _tagged(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, TaggedScalar

    if isinstance(value, dict):
        if len(value) == 1:
            (k, v), = value.items()
            tag = _SHORT_TAGS.get(k)
            if tag == "!GetAtt" and isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v):
                v = f"{v[0]}.{v[1]}"
            if tag and isinstance(v, str):
                return TaggedScalar(v, tag=tag)
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _tagged(v)
        return out
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, str):
        return str(value)  # our loader's line-marked strings: ruamel writes plain ones only
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    return float(value) if isinstance(value, float) else value


def _plan_resource(text: str, root, fix: Fix) -> Optional[dict]:
    """A new resource `fix.key` inserted after the resource `fix.path` names."""
    import yaml

    lines = _split_lines(text)
    eol = "\r\n" if "\r\n" in text else "\n"
    resources = _walk(root, fix.path[:-1])
    if not isinstance(resources, yaml.MappingNode) or resources.flow_style or not resources.value:
        return None
    entry = _entry(resources, str(fix.path[-1]))
    if entry is None:
        return None
    indent = " " * entry[0].start_mark.column
    last = _last_line(entry[1], lines)
    block = [indent + ln if ln else ln for ln in _block({fix.key: fix.value}, text)]
    return _line_edit(last, eol.join([lines[last], ""] + block))


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

    def block(value: Any, prefix: str) -> List[str]:
        return [prefix + ln if ln else ln for ln in _block(value, text)]

    if fix.kind == "set":
        if entry is None:
            if not _inline(fix.value):
                return insert_after_mapping(block({fix.key: fix.value}, indent))
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
            return insert_after_mapping(block({fix.key: [fix.value]}, indent))
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
        gap = max(first.start_mark.column - dash - 1, 1)
        item = [rendered] if _inline(fix.value) else _block(fix.value, text)
        item_lines = [" " * dash + "-" + " " * gap + item[0]] + [" " * (dash + 1 + gap) + ln if ln else ln for ln in item[1:]]
        last = _last_line(seq, lines)
        return _line_edit(last, eol.join([lines[last]] + item_lines))
    return None


def _inline(value: Any) -> bool:
    """Does the value fit on one line in block YAML (a scalar, or a function in its short form)?"""
    return not isinstance(value, (dict, list)) or yaml_scalar(value).startswith("!")
