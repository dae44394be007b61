"""CDK cloud assemblies (`cdk.out`): which files are templates, and of which stacks and regions.

A cloud assembly folder holds `manifest.json` (its artifacts: each `aws:cloudformation:stack` with
its `templateFile`, `environment` ``aws://ACCOUNT/REGION`` and `stackName`; nested assemblies of
CDK stages as `cdk:cloud-assembly` with their `directoryName`), `tree.json`, `*.assets.json` and
`asset.*` folders of arbitrary files.  Only the stack templates are CloudFormation: the rest is
left out quietly instead of being read as templates and reported as skipped or unreadable.

The manifest's schema belongs to the CDK (`@aws-cdk/cloud-assembly-schema`); only the fields above
are read, by hand, because no Python library reads it without the CDK itself."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set

MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class CdkStack:
    template: str  # path of the template file
    name: str  # the stack name CloudFormation will see
    region: Optional[str]  # None when the stack is environment-agnostic


@functools.lru_cache(maxsize=4096)
def _manifest(folder: str) -> Optional[dict]:
    path = os.path.join(folder, MANIFEST)
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > MAX_MANIFEST_BYTES:
            return None
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("artifacts"), dict) and "version" in data else None


def assembly_root(path: str) -> Optional[str]:
    """The innermost cloud assembly folder holding `path`, or None."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        if _manifest(folder) is not None:
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def stacks(folder: str, _depth: int = 0) -> List[CdkStack]:
    """The stacks of the assembly in `folder`, nested stage assemblies included."""
    data = _manifest(folder)
    if data is None or _depth > 8:
        return []
    out: List[CdkStack] = []
    for artifact_id, artifact in data["artifacts"].items():
        if not isinstance(artifact, dict):
            continue
        props = artifact.get("properties") if isinstance(artifact.get("properties"), dict) else {}
        if artifact.get("type") == "aws:cloudformation:stack" and isinstance(props.get("templateFile"), str):
            env = artifact.get("environment")
            region = env.rsplit("/", 1)[-1] if isinstance(env, str) and env.startswith("aws://") else None
            if region in ("unknown-region", ""):
                region = None
            name = props.get("stackName") if isinstance(props.get("stackName"), str) else str(artifact_id)
            out.append(CdkStack(os.path.join(folder, props["templateFile"]), name, region))
        elif artifact.get("type") == "cdk:cloud-assembly" and isinstance(props.get("directoryName"), str):
            out.extend(stacks(os.path.join(folder, props["directoryName"]), _depth + 1))
    return out


def select(files: Sequence[str]) -> tuple:
    """(the files to judge, {real path of a template: its CdkStack}): files inside a cloud
    assembly are kept only when its manifest names them as a stack template."""
    assemblies: Dict[str, Set[str]] = {}
    known: Dict[str, CdkStack] = {}
    kept: List[str] = []
    for f in files:
        root = assembly_root(f)
        if root is None:
            kept.append(f)
            continue
        if root not in assemblies:
            found = stacks(root)
            assemblies[root] = {os.path.realpath(s.template) for s in found}
            known.update({os.path.realpath(s.template): s for s in found})
        if os.path.realpath(f) in assemblies[root]:
            kept.append(f)
    return kept, known
