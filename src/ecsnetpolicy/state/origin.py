"""Where a fact of the network state came from: one template resource (by logical ID and path),
or later one resource of an AWS account (by its ID)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..values import Path


@dataclass(frozen=True)
class Origin:
    """The source of one fact: `source` says which adapter read it ("template"; "account" later),
    `logical_id` and `path` where it sits in the template (the path a finding anchors on),
    `resource_id` the AWS resource ID when one is known, `file` the file it was read from."""

    source: str
    logical_id: Optional[str]
    path: Path
    resource_id: Optional[str] = None
    file: Optional[str] = None
