"""Policies: which need requires which endpoint, as data (policies/*.yaml), validated with jsonschema."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from ..phrasing import safe
from .files import FileRefused, excerpt, file_problem, schema_error_text

ENV_VAR = "ECSNETPOLICY_POLICIES"


class PolicyError(Exception):
    """A policy file that cannot be used; str() is one line naming the file and the field."""


def policies_dir() -> Path:
    """The shipped policies: inside the installed package, or the repository's top-level folder."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "policies", package.parent.parent / "policies"):
        if (candidate / "policy.schema.json").is_file():
            return candidate
    raise PolicyError("ecsnetpolicy: the shipped policies/ folder is missing from the installation")


@dataclass(frozen=True)
class Need:
    need_id: str
    description: str
    symptom: str
    when: Mapping[str, Any]
    unless: Mapping[str, Any]
    requires: Tuple[str, ...]
    source: str
    symptoms: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    execution_role_actions: Tuple[str, ...] = ()
    execution_role_when: Mapping[str, Any] = field(default_factory=dict)
    execution_role_symptoms: Mapping[str, str] = field(default_factory=dict)

    def symptom_for(self, service: str) -> str:
        return self.symptoms.get(service, self.symptom)


@dataclass
class Policy:
    services: Dict[str, Mapping[str, Any]] = field(default_factory=dict)
    needs: Dict[str, Need] = field(default_factory=dict)
    options: Dict[str, Any] = field(default_factory=dict)
    # AWS managed policy (as after `policy/` in its ARN) -> the actions it allows
    managed_policies: Dict[str, List[str]] = field(default_factory=dict)
    # region -> AWS-managed prefix list ID -> the service it holds (policies/*.yaml aws_prefix_lists)
    aws_prefix_lists: Dict[str, Dict[str, str]] = field(default_factory=dict)

    def kind(self, service: str) -> Optional[str]:
        spec = self.services.get(service)
        return spec.get("kind") if spec else None

    def interface_only(self, service: str) -> bool:
        """Whether an endpoint for `service` (region-agnostic, `sqs`) must be an Interface one.
        Only the services the policies list as `gateway` (S3, S3 Express, DynamoDB) offer gateway
        endpoints; every other AWS service fails to create as a Gateway endpoint (the default
        VpcEndpointType), whether or not the policies describe it."""
        return self.kind(service) != "gateway"

    def service_description(self, service: str) -> str:
        spec = self.services.get(service) or {}
        return spec.get("description", service)

    def needs_for(self, facts: Mapping[str, Any]) -> List[Need]:
        return [n for n in self.needs.values() if _matches(n.when, facts) and not (n.unless and _matches(n.unless, facts))]


def _version(text: str) -> Tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def _matches(cond: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    for key, want in cond.items():
        have = facts.get(key)
        if key == "always":
            continue
        if key == "platform_version_below":
            if not isinstance(have, str):  # LATEST or unknown: current platforms
                return False
            try:
                if not _version(have) < _version(want):
                    return False
            except ValueError:
                return False
            continue
        wants = want if isinstance(want, list) else [want]
        haves = have if isinstance(have, (list, set, tuple, frozenset)) else [have]
        if not any(h in wants for h in haves):
            return False
    return True


_SCHEMA_CACHE: Dict[str, Any] = {}


def _validator():
    if "v" not in _SCHEMA_CACHE:
        import jsonschema  # imported lazily: only needed when a policy is read

        schema = json.loads((policies_dir() / "policy.schema.json").read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        _SCHEMA_CACHE["v"] = cls(schema)
    return _SCHEMA_CACHE["v"]


def _field(error: Any) -> str:
    parts = [safe(str(p), 40) for p in error.absolute_path]
    return "/".join(parts) if parts else "(top level)"


def _where(path: Any) -> str:
    return safe(str(path), 500)


def load_policy_file(path: Path) -> Dict[str, Any]:
    """A user's policy file, validated: a regular file of at most files.MAX_CONFIG_BYTES, parsed
    with the loader's guards (alias bombs, depth), checked against policy.schema.json.  A
    PolicyError names the file, the line and the field, never more of the file than a short
    excerpt of the offending value."""
    return _load_user_file(path)[0]


def _load_user_file(path: Path) -> Tuple[Dict[str, Any], Dict[str, Tuple[int, int]]]:
    """(data, {need id: (index, line of its `requires`)})."""
    from .data import DataError, line_of, load_data_file, plain  # the YAML loader: only when a user's file is read

    where = _where(path)
    try:
        data = load_data_file(path)
    except FileRefused as exc:
        reason = "no such file" if exc.reason == "no such file" else exc.reason
        raise PolicyError(f"{where}: cannot read policy file: {reason}") from None
    except DataError as exc:
        if exc.syntax:
            line = f" (line {exc.line})" if exc.line is not None else ""
            raise PolicyError(f"{where}: not valid YAML{line}: {exc.problem}") from None
        raise PolicyError(f"{where}:{exc.line or 1}: not a policy file: {exc.problem}") from None
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        line = line_of(data, list(err.absolute_path))
        raise PolicyError(f"{where}:{line}: field {_field(err)}: {schema_error_text(err)}")
    lines = {str(raw.get("id")): (i, line_of(data, ["needs", i, "requires"])) for i, raw in enumerate(data.get("needs") or [])}
    return plain(data), lines


def _merge(policy: Policy, data: Mapping[str, Any], source: str) -> None:
    policy.options.update(data.get("options") or {})
    for region, lists in (data.get("aws_prefix_lists") or {}).items():
        policy.aws_prefix_lists.setdefault(region, {}).update(lists)
    for name, actions in (data.get("managed_policies") or {}).items():
        policy.managed_policies[name] = list(actions)
    for name, spec in (data.get("services") or {}).items():
        policy.services[name] = spec
    for raw in data.get("needs") or []:
        policy.needs[raw["id"]] = Need(
            need_id=raw["id"],
            description=raw["description"],
            symptom=raw["symptom"],
            when=raw["when"],
            unless=raw.get("unless") or {},
            requires=tuple(raw["requires"]),
            source=source,
            symptoms=raw.get("symptoms") or {},
            notes=raw.get("notes") or {},
            execution_role_actions=tuple(raw.get("execution_role_actions") or ()),
            execution_role_when=raw.get("execution_role_when") or {},
            execution_role_symptoms=raw.get("execution_role_symptoms") or {},
        )


def extra_only(path: Path, extra: Sequence[str]) -> bool:
    return str(path) in extra


def _read_shipped(path: Path) -> Dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


def extra_policy_paths() -> List[str]:
    env = os.environ.get(ENV_VAR, "")
    return [p for p in env.split(os.pathsep) if p.strip()]


_LOADED: Dict[Tuple[str, ...], Policy] = {}


def load_policy(extra: Sequence[str] = ()) -> Policy:
    """The shipped policies plus the user's files (later files override needs with the same id).
    A user's path (--policy, ECSNETPOLICY_POLICIES, `policies:` of the configuration) is a policy
    file or a folder of them; a missing one is a PolicyError, as is anything but a regular file
    (a FIFO, a device, /proc/...) among them."""
    extra = tuple(list(extra) + extra_policy_paths())
    if extra in _LOADED:
        return _LOADED[extra]
    policy = Policy()
    files: List[Path] = sorted(p for p in policies_dir().glob("*.yaml"))
    shipped_files = list(files)
    for item in extra:
        p = Path(item)
        if os.path.isdir(item):
            files.extend(sorted(f for f in p.glob("*.y*ml") if not f.name.startswith(".")))
            continue
        problem = file_problem(item)
        if problem is not None:
            raise PolicyError(f"{_where(item)}: cannot read policy file: {problem}")
        files.append(p)
    shipped = set(shipped_files)
    where: Dict[str, Tuple[str, int, int]] = {}  # need id -> (file, index, line of requires)
    for path in files:
        # the shipped files are validated by the test suite; user files on every load
        if path in shipped and not extra_only(path, extra):
            data, found = _read_shipped(path), {}
        else:
            data, found = _load_user_file(path)
        _merge(policy, data, str(path))
        for need_id, (index, line) in found.items():
            where[need_id] = (str(path), index, line)
    for need in policy.needs.values():
        for req in need.requires:
            if req != "internet" and req not in policy.services:
                if need.need_id in where:
                    source, index, line = where[need.need_id]
                    at, field_name = f"{_where(source)}:{line}", f"needs/{index}/requires"
                else:
                    at, field_name = _where(need.source), f"needs/{excerpt(need.need_id)[1:-1]}/requires"
                raise PolicyError(f"{at}: field {field_name}: unknown service {excerpt(req)} (define it under services)")
    _LOADED[extra] = policy
    return policy
