"""Parameter values as users have them (issue 15): ``--parameter NAME=VALUE`` (a value written as a
JSON list is a list) and ``--parameter-file FILE`` in the formats in use:

- the AWS CLI's ``[{"ParameterKey": "Name", "ParameterValue": "value"}, ...]`` (``aws cloudformation
  create-stack --parameters file://params.json``; an entry with ``UsePreviousValue`` supplies no value);
- a CodePipeline template configuration file, ``{"Parameters": {"Name": "value"}, "Tags": {...}}``;
- a cfn-lint deployment file (``template-file-path``, ``parameters``, ``tags``);
- a plain mapping, ``Name: value``, in YAML or JSON.

Each file is one parameter set, as with cfn-lint's ``--parameter-files``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Dict, List, Sequence

from .data import DataError, load_data_file, plain
from .files import MAX_CONFIG_BYTES, FileRefused, read_text_bounded


class ParameterError(ValueError):
    """One line saying what is wrong (with the file name when a file is at fault)."""


def _value(name: str, value: Any, where: str) -> Any:
    """A parameter value as CloudFormation takes it: text, or a list of texts."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    raise ParameterError(f"{where}: the value of parameter {name} is not text or a list of texts")


def parse_assignment(item: str) -> tuple:
    """``NAME=VALUE`` as (name, value); a VALUE written as a JSON list (``["a","b"]``) is a list."""
    if "=" not in item:
        raise ParameterError(f"--parameter takes NAME=VALUE, got {item!r}")
    key, value = item.split("=", 1)
    key = key.strip()
    if not key:
        raise ParameterError(f"--parameter takes NAME=VALUE, got {item!r}")
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            data = json.loads(text)
        except ValueError:
            return key, value  # text that only looks like a list
        return key, _value(key, data, f"--parameter {key}")
    return key, value


def read_parameter_file(path: str) -> Dict[str, Any]:
    """The parameter values of one file, or ParameterError (one line naming the file)."""
    try:
        text = read_text_bounded(path, MAX_CONFIG_BYTES, f"file is larger than the {MAX_CONFIG_BYTES // 1024} KB limit for parameter files")
    except FileRefused as exc:
        raise ParameterError(f"{path}: {exc.reason}") from None
    if text.lstrip().startswith("["):
        try:
            data: Any = json.loads(text)
        except ValueError as exc:
            raise ParameterError(f"{path}: invalid JSON: {exc}") from None
    else:
        try:
            data = plain(load_data_file(path))
        except FileRefused as exc:
            raise ParameterError(f"{path}: {exc.reason}") from None
        except DataError as exc:
            line = f" (line {exc.line})" if exc.line else ""
            raise ParameterError(f"{path}: {exc.problem}{line}") from None
    return _parameters_of(data, path)


def _parameters_of(data: Any, path: str) -> Dict[str, Any]:
    if isinstance(data, list):  # the AWS CLI's shape
        out: Dict[str, Any] = {}
        for i, entry in enumerate(data):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("ParameterKey"), str):
                raise ParameterError(f"{path}: entry {i + 1} is not a {{\"ParameterKey\": ..., \"ParameterValue\": ...}} mapping")
            name = entry["ParameterKey"]
            if "ParameterValue" in entry:
                out[name] = _value(name, entry["ParameterValue"], path)
            elif not entry.get("UsePreviousValue"):
                raise ParameterError(f"{path}: parameter {name} has no ParameterValue")
        return out
    if not isinstance(data, Mapping):
        raise ParameterError(f"{path}: not a parameter file (expected a mapping or a list of ParameterKey/ParameterValue)")
    for key in ("Parameters", "parameters"):  # CodePipeline template configuration; cfn-lint deployment file
        inner = data.get(key)
        if isinstance(inner, Mapping) and (key == "Parameters" or "template-file-path" in data or set(data) <= {"parameters", "tags"}):
            data = inner
            break
    return {str(name): _value(str(name), value, path) for name, value in data.items()}


def parameter_sets(files: Sequence[str], assignments: Sequence[str]) -> List[tuple]:
    """[(label, values)]: one set per file (labelled as cfn-lint labels it in the plugin), each
    with the command line's NAME=VALUE assignments on top; one set without files."""
    given = dict(parse_assignment(a) for a in assignments)
    if not files:
        return [("", given)]
    return [(f"parameters from {f}", {**read_parameter_file(f), **given}) for f in files]
