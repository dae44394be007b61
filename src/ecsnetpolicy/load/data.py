"""Configuration and policy files (YAML or JSON) read as line-marked data: read bounded (files.py),
parsed with the template loader's guards (template.py); errors as DataError."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from .files import MAX_CONFIG_BYTES, read_text_bounded, shorten_quoted
from .template import LoadError, loads, locate


class DataError(Exception):
    """A configuration or policy file that is not usable data: ``problem`` is one line (no file
    name), ``line`` 1-based or None, ``syntax`` whether YAML/JSON itself is broken."""

    def __init__(self, problem: str, line: Optional[int] = None, syntax: bool = True):
        self.problem = problem
        self.line = line
        self.syntax = syntax
        super().__init__(problem)


_PARSE_PREFIX = "Template could not be parsed: "


def load_data_file(path: Any, limit: int = MAX_CONFIG_BYTES) -> Any:
    """A configuration or policy file (YAML or JSON) as the loader's line-marked mapping (dict,
    list and str subclasses: `plain` converts, `line_of` finds a line), read with
    read_text_bounded and parsed with the template loader's guards (alias bombs, nesting depth,
    duplicate keys); FileRefused or DataError otherwise.  The top level must be a mapping.
    Errors never quote more than a short excerpt of the file."""
    text = read_text_bounded(path, limit, f"file is larger than the {limit // 1024} KB limit for configuration and policy files")
    try:
        data = loads(text, str(path))
    except LoadError as exc:
        problem = exc.problem
        if problem == "empty template":
            raise DataError("the file is empty", None, syntax=False) from None
        if problem.startswith("template is not a mapping"):
            found = problem[problem.find("(found ") + 7:-1] if "(found " in problem else "something else"
            raise DataError(f"the top level is not a mapping (found {found})", 1, syntax=False) from None
        if problem.startswith(_PARSE_PREFIX):
            problem = problem[len(_PARSE_PREFIX):]
        problem = problem.replace("template is nested", "the file is nested")
        raise DataError(shorten_quoted(problem), exc.line) from None
    return data


def plain(node: Any) -> Any:
    """The loader's line-marked nodes as plain dict / list / str (aliases copied out: bounded by
    the loader's alias limits)."""
    if isinstance(node, dict):
        return {str(k) if isinstance(k, str) else k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def line_of(data: Any, path: Sequence[Any]) -> int:
    """The 1-based line of the node at `path` in data from load_data_file (1 if unknown)."""
    return locate(data, list(path))[0] if path else 1


__all__ = ["DataError", "load_data_file", "plain", "line_of"]
