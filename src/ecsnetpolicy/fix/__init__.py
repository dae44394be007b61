"""`ecsnetpolicy fix`: the findings' Fix records written into the templates (issue 13).

The command takes check's inputs whole (the CLI hands it check's collect step), so templates,
deployments, parameters and the configuration are handled the same.  The edits themselves come
from report/suggestions.py (`fixed_text`), the planner behind rdjson suggestions and SARIF fixes
too: one source of truth.  This package decides which fixes to make (safe ones, unsafe ones with
--unsafe-fixes, --select), where a file may be written (files.py), and what to say (docs/fix.md).
"""

from __future__ import annotations

from .command import add_parser, run

__all__ = ["add_parser", "run"]
