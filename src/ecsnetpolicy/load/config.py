"""`.ecsnetpolicy.yaml`: the stacks of a deployment, extra policies, per-rule options.

Found from the working directory upward, never above the repository root (the first folder that
holds `.git`; outside a repository only the working directory is looked at), or given with
--config.  Read as a regular file of bounded size with the template loader's YAML guards,
validated strictly against config.schema.json; `stacks[].template` and `policies[]` must lead
inside the folder of the configuration or its repository unless `allow_paths_outside: true` (or
the caller's allow_outside).  An error is one line naming the file, the line and the field, with
at most a short excerpt of the offending value."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..phrasing import safe
from .files import FileRefused, excerpt, file_problem, repository_root, resolve_inside, schema_error_text

CONFIG_NAME = ".ecsnetpolicy.yaml"


class ConfigError(Exception):
    """One line: file, line, field, what is wrong."""


@dataclass
class StackConfig:
    name: str
    template: str  # absolute path
    parameters: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Config:
    path: Optional[str] = None
    region: Optional[str] = None
    stacks: List[StackConfig] = field(default_factory=list)
    policies: List[str] = field(default_factory=list)
    rules: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    # paths may lead outside the folder of the configuration and its repository (the file's
    # allow_paths_outside, or the caller's allow_outside): also meant for nested stacks' TemplateURLs
    allow_outside: bool = False
    aws_snapshot: Optional[str] = None  # absolute path of the account snapshot folder
    fail_on: Optional[str] = None  # the lowest severity that fails a run when the command line does not say

    def disabled(self) -> List[str]:
        return [rid for rid, opts in self.rules.items() if opts.get("enabled") is False]

    def stack_for(self, filename: str) -> Optional[StackConfig]:
        target = os.path.realpath(filename)
        for s in self.stacks:
            if os.path.realpath(s.template) == target:
                return s
        return None


def find_config(start: Optional[str] = None) -> Optional[str]:
    """The configuration file from `start` (default: the working directory) upward, stopping at
    the repository root (the first folder that holds `.git`, a folder or a file); outside any
    repository only `start` itself is looked at, so a file planted higher up (/tmp, a home
    folder) is never picked up."""
    here = os.path.abspath(start or os.getcwd())
    root = repository_root(here)
    folder = here
    while True:
        candidate = os.path.join(folder, CONFIG_NAME)
        if os.path.lexists(candidate):
            return candidate
        if root is None or folder == root:
            return None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _error(path: str, line: Optional[int], field_name: Optional[str], message: str) -> ConfigError:
    where = safe(path, 500) + (f":{line}" if line else "")
    what = f" field {field_name}:" if field_name else ""
    return ConfigError(f"{where}:{what} {message}")


def load_config(path: Optional[str] = None, *, search: bool = True, allow_outside: bool = False) -> Config:
    """The configuration at `path`, else the one found from the working directory upward (see
    find_config), else empty.  `allow_outside` lets its paths lead outside its folder and
    repository (as `allow_paths_outside: true` in the file does)."""
    if path is None and search:
        path = find_config()
    if path is None:
        return Config(allow_outside=allow_outside)
    from .data import DataError, line_of, load_data_file, plain  # the YAML loader: only when a file is read

    path = str(path)
    try:
        data = load_data_file(path)
    except FileRefused as exc:
        raise _error(path, None, None, f"cannot read configuration file: {exc.reason}") from None
    except DataError as exc:
        raise _error(path, exc.line or 1, None, ("not valid YAML: " if exc.syntax else "") + exc.problem) from None
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parent.parent / "config.schema.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.validators.validator_for(schema)(schema).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        where = list(err.absolute_path)
        field_name = "/".join(safe(str(p), 40) for p in where) or "(top level)"
        raise _error(path, line_of(data, where), field_name, schema_error_text(err))
    allow = allow_outside or data.get("allow_paths_outside") is True
    base = os.path.dirname(os.path.abspath(path))
    how = "set allow_paths_outside: true in this file (or pass --allow-outside) to allow it"

    def resolved(value: str, at: List[Any], folders_too: bool) -> str:
        target, refused = resolve_inside(base, value, allow)
        line, field_name = line_of(data, at), "/".join(map(str, at))
        if refused is not None:
            raise _error(path, line, field_name, f"{excerpt(value)} is {refused}; {how}")
        if folders_too and os.path.isdir(target):
            return target
        problem = file_problem(target)
        if problem is not None:
            raise _error(path, line, field_name, f"{excerpt(value)}: {'does not exist' if problem == 'no such file' else problem}")
        return target

    stacks = []
    for i, s in enumerate(data.get("stacks") or []):
        tpath = resolved(s["template"], ["stacks", i, "template"], False)
        stacks.append(StackConfig(str(s.get("name") or Path(tpath).stem), tpath, plain(dict(s.get("parameters") or {}))))
    policies = [resolved(p, ["policies", i], True) for i, p in enumerate(data.get("policies") or [])]
    region = data.get("region")
    snapshot = resolved(data["aws_snapshot"], ["aws_snapshot"], True) if data.get("aws_snapshot") else None
    if snapshot is not None and not os.path.isdir(snapshot):
        raise _error(path, line_of(data, ["aws_snapshot"]), "aws_snapshot", f"{excerpt(data['aws_snapshot'])} is not a folder")
    return Config(path, str(region) if region is not None else None, stacks, policies, plain(dict(data.get("rules") or {})), allow, snapshot,
                  data.get("fail_on"))
