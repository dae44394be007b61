"""The json format: exactly cfn-lint's ``--format json`` (to_cfnlint_json, one match per finding)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

from ..catalogue import RuleInfo
from ..findings import Finding
from .common import _severity, rule_info


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


def render_json(findings: Sequence[Finding]) -> str:
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
