"""Shared test helpers: run both paths (cfn-lint plugin, standalone) and compare."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "templates"
CORPUS = ROOT.parent / "shared" / "corpus"
OUR_RULE = re.compile(r"^[EWI]N\d{4}$")

Row = Tuple[str, int, int, str]  # rule, line, column, message


def fixture_files() -> List[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.name != "expectations.yaml")


def corpus_files() -> List[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))


def plugin_run(paths: Sequence[Path], extra: Sequence[str] = ()) -> Dict[str, list]:
    """cfn-lint in-process with our rules appended (informational included); all matches per file."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    config = ConfigMixIn(["--append-rules=ecsnetpolicy.rules", "--include-checks", "I", *extra, "--", *map(str, paths)])
    out: Dict[str, list] = {str(p): [] for p in paths}
    for match in Runner(config).run():
        out.setdefault(str(match.filename), []).append(match)
    return out


def ours(matches: Iterable) -> List[Row]:
    return sorted(
        (m.rule.id, m.linenumber, m.columnnumber, m.message) for m in matches if OUR_RULE.match(m.rule.id)
    )


def standalone(path: Path, params: Optional[dict] = None, region: str = "us-east-1") -> List[Row]:
    from ecsnetpolicy.api import raw_for
    from ecsnetpolicy.checks import to_findings
    from ecsnetpolicy.load.template import load_file, locate

    template = load_file(str(path))
    raws = raw_for(template, params=params or {}, region=region, stack_name=path.stem)
    return sorted((f.rule_id, f.line, f.column, f.message) for f in to_findings(raws, template, str(path), locate))
