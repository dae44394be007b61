"""The edits a Fix turns into: a line-based suggestion (reviewdog's rdjson shape) planned on the
composed YAML document and verified by applying it, plus applying one to a text."""

from __future__ import annotations

import json
import re
from typing import Any, List, Optional, Sequence

from ..findings import Fix

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
