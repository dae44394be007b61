"""What a Fix means on the template's data, independent of its text: `apply` gives the template a
fixed file must load to, which verifies every text edit the planner makes (suggestions.py), and
JSON files are edited through it (re-written with their own indentation when the file is in the
layout json.dumps gives, so only the changed lines differ)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Optional

from ..findings import Fix


def load(text: str) -> Optional[Any]:
    """The template as plain data (our CloudFormation loader: short tags become their long form),
    or None when it does not load."""
    from ..load.template import LoadError, loads

    try:
        return _plain(loads(text))
    except (LoadError, RecursionError):
        return None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def apply(data: Any, fix: Fix) -> Optional[Any]:
    """The data with the one edit `fix` made (a copy), the same data when it is already there, or
    None when the path is missing or holds something the edit cannot go into."""
    data = copy.deepcopy(data)
    if fix.kind == "resource":
        resources = _at(data, fix.path[:-1])
        if not isinstance(resources, dict) or fix.path[-1] not in resources:
            return None
        if fix.key in resources:
            return data if resources[fix.key] == fix.value else None
        items = list(resources.items())
        at = [k for k, _ in items].index(fix.path[-1]) + 1
        resources.clear()
        resources.update(items[:at] + [(fix.key, copy.deepcopy(fix.value))] + items[at:])
        return data
    mapping = _at(data, fix.path)
    if not isinstance(mapping, dict):
        return None
    if fix.kind == "set":
        mapping[fix.key] = copy.deepcopy(fix.value)
        return data
    if fix.kind == "append":
        items = mapping.setdefault(fix.key, [])
        if not isinstance(items, list):
            return None
        if fix.value not in items:
            items.append(copy.deepcopy(fix.value))
        return data
    return None


def _at(data: Any, path: Any) -> Any:
    for elem in path:
        if isinstance(data, dict) and isinstance(elem, str) and elem in data:
            data = data[elem]
        elif isinstance(data, list) and isinstance(elem, int) and 0 <= elem < len(data):
            data = data[elem]
        else:
            return None
    return data


_INDENT_RE = re.compile(r"^[{\[]\r?\n([ \t]+)\S")


def json_edit(text: str, fix: Fix) -> Optional[str]:
    """The JSON text with the edit made, keeping its indentation and key order, or None when the
    file's layout is not the one json.dumps writes (then re-writing it would touch lines the fix
    does not need: the edit is left to the user)."""
    body = text.lstrip("\ufeff")
    bom = text[: len(text) - len(body)]
    try:
        data = json.loads(body)
    except ValueError:
        return None
    eol = "\r\n" if "\r\n" in body else "\n"
    trail = body[len(body.rstrip("\r\n")):]
    m = _INDENT_RE.match(body)
    indent = m.group(1) if m else None
    for ascii_only in (False, True):
        if _dump(data, indent, ascii_only, eol) == body.rstrip("\r\n"):
            break
    else:
        return None
    new = apply(data, fix)
    if new is None:
        return None
    return bom + _dump(new, indent, ascii_only, eol) + trail


def _dump(data: Any, indent: Optional[str], ascii_only: bool, eol: str) -> str:
    text = json.dumps(data, indent=indent, ensure_ascii=ascii_only)
    return text.replace("\n", eol) if eol != "\n" else text
