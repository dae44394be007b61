"""The sarif format (SARIF 2.1.0): rules, results with repository-relative artifact locations, and
stable fingerprints."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Dict, Sequence

from ..catalogue import RULES, RuleInfo
from ..findings import Finding
from .suggestions import FileCache, sarif_fix
from .common import INFORMATION_URI, TOOL_NAME, _real, _severity, _span, relative_to_root, rule_info

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "ecsnetpolicy/v1"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "informational": "note"}


def _artifact_location(filename: str) -> dict:
    from urllib.parse import quote

    rel = relative_to_root(filename)
    if rel is not None:
        return {"uri": quote(rel, safe="/"), "uriBaseId": "%SRCROOT%"}
    import pathlib

    return {"uri": pathlib.Path(os.path.abspath(filename)).as_uri()}


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


def render_sarif(findings: Sequence[Finding]) -> str:
    from .. import __version__

    infos = list(RULES.values())
    extra = sorted({f.rule_id for f in findings} - set(RULES))
    infos += [rule_info(r) for r in extra]
    index = {info.rule_id: i for i, info in enumerate(infos)}

    results = []
    files = FileCache()
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
            fix = None
            if f.fix is not None:  # in the file holding the fix's anchor (another stack's, in a deployment)
                where = _real(f.fix.filename or f.filename)
                fix = sarif_fix(f, files, _artifact_location(where) if f.fix.filename else artifact, where)
            if fix is not None:  # the same edit as rdjson's suggestion and `ecsnetpolicy fix`
                result["fixes"] = [fix]
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
