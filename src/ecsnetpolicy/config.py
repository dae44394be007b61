"""`.ecsnetpolicy.yaml`: the stacks of a deployment, extra policies, per-rule options.

Found from the working directory upward (or given with --config); validated against
config.schema.json with jsonschema; an error names the file, the line and the field."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

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

    def disabled(self) -> List[str]:
        return [rid for rid, opts in self.rules.items() if opts.get("enabled") is False]

    def stack_for(self, filename: str) -> Optional[StackConfig]:
        target = os.path.realpath(filename)
        for s in self.stacks:
            if os.path.realpath(s.template) == target:
                return s
        return None


def find_config(start: Optional[str] = None) -> Optional[str]:
    here = Path(start or os.getcwd()).resolve()
    for folder in [here, *here.parents]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return str(candidate)
    return None


def load_config(path: Optional[str] = None, *, search: bool = True) -> Config:
    """The configuration at `path`, else the one found from the working directory upward, else empty."""
    if path is None and search:
        path = find_config()
    if path is None:
        return Config()
    from .loader import LoadError, load_file, locate

    try:
        data = load_file(path)
    except LoadError as exc:
        raise ConfigError(str(exc)) from None
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parent / "config.schema.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.validators.validator_for(schema)(schema).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        where = list(err.absolute_path)
        line = locate(data, where)[0] if where else 1
        field_name = "/".join(map(str, where)) or "(top level)"
        msg = err.message.replace("\n", " ")
        raise ConfigError(f"{path}:{line}: field {field_name}: {msg[:200]}")
    base = os.path.dirname(os.path.abspath(path))
    stacks = []
    for i, s in enumerate(data.get("stacks") or []):
        tpath = os.path.normpath(os.path.join(base, s["template"]))
        if not os.path.isfile(tpath):
            line = locate(data, ["stacks", i, "template"])[0]
            raise ConfigError(f"{path}:{line}: field stacks/{i}/template: {s['template']} does not exist")
        stacks.append(StackConfig(s.get("name") or Path(tpath).stem, tpath, dict(s.get("parameters") or {})))
    policies = [os.path.normpath(os.path.join(base, p)) for p in data.get("policies") or []]
    return Config(path, data.get("region"), stacks, policies, dict(data.get("rules") or {}))
