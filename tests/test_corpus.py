"""The real-world corpus (../shared/corpus, never copied into the project).

- Every template through cfn-lint with our rules: no rule crash (E0002), no traceback.
- A reviewed snapshot of everything we say about each template alone and about the templates that
  belong together (tests/corpus/deployments.yaml): `tests/corpus/snapshot.json`.  Each finding has a
  one-line justification in `tests/corpus/REVIEW.md`; a test keeps the two in step.

After a deliberate change: `UPDATE_SNAPSHOT=1 python -m pytest tests/test_corpus.py`, then review the
diff and update REVIEW.md.
"""

from __future__ import annotations

import json
import os
import shutil


import pytest
import yaml

from ecsnetpolicy.cli import main
from helpers import CORPUS, ROOT, corpus_files, ours, plugin_run

HERE = ROOT / "tests" / "corpus"
SNAPSHOT = HERE / "snapshot.json"
REVIEW = HERE / "REVIEW.md"
DEPLOYMENTS = yaml.safe_load((HERE / "deployments.yaml").read_text(encoding="utf-8"))

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the project")


def _rel(path) -> str:
    return os.path.relpath(str(path), CORPUS)


@pytest.fixture(scope="module")
def plugin_results():
    return plugin_run(corpus_files())


@pytest.fixture(scope="module")
def snapshot():
    return json.loads(SNAPSHOT.read_text(encoding="utf-8")) if SNAPSHOT.is_file() else {"single": {}, "deployments": {}}


def test_no_rule_crash_on_any_corpus_template(plugin_results):
    for path, matches in plugin_results.items():
        crashes = [m.message for m in matches if m.rule.id == "E0002"]
        assert not crashes, (path, crashes)


def _single(plugin_results):
    return {_rel(p): [list(r) for r in ours(ms)] for p, ms in sorted(plugin_results.items())}


def _deployment(name, spec, tmp_path, capsys):
    work = tmp_path / name
    work.mkdir()
    if isinstance(spec, dict) and "nested" in spec:
        for local, src in spec["nested"].items():
            shutil.copyfile(CORPUS / src, work / local)
        args = [str(work / spec["top"])]
        for k, v in (spec.get("parameters") or {}).items():
            args += ["--parameter", f"{k}={v}"]
        base = work
    else:
        stacks = [{**s, "template": str(CORPUS / s["template"])} for s in spec]
        (work / ".ecsnetpolicy.yaml").write_text(yaml.safe_dump({"version": 1, "allow_paths_outside": True, "stacks": stacks}))
        args = [s["template"] for s in stacks]
        base = CORPUS
    cwd = os.getcwd()
    os.chdir(work)
    try:
        code = main(["check", "--format", "json", "--fail-on", "none", *args])
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert code == 0, out
    rows = [[os.path.relpath(m["Filename"], base), m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"], m["Message"]] for m in json.loads(out)]
    return sorted(rows)


def test_corpus_snapshot(plugin_results, snapshot, tmp_path, capsys):
    current = {"single": _single(plugin_results), "deployments": {}}
    for name, spec in DEPLOYMENTS.items():
        current["deployments"][name] = _deployment(name, spec, tmp_path, capsys)
    if os.environ.get("UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert current == snapshot


def test_every_snapshot_finding_is_reviewed(snapshot):
    review = REVIEW.read_text(encoding="utf-8")
    for section in ("single", "deployments"):
        for key, rows in snapshot[section].items():
            for row in rows:
                file, rule, line = (key, row[0], row[1]) if section == "single" else (row[0], row[1], row[2])
                assert f"`{file}:{line}` {rule}" in review, f"not reviewed: {section} {key} {file}:{line} {rule}"


def test_no_error_or_warning_on_the_corpus_rests_on_an_unknown(snapshot):
    """Every E/W finding on the corpus is one we defend in REVIEW.md; today that is WN6001 only,
    and no reachability error fires on these working templates."""
    rules = {row[0] for rows in snapshot["single"].values() for row in rows}
    rules |= {row[1] for rows in snapshot["deployments"].values() for row in rows}
    assert not {r for r in rules if r[0] == "E"}, rules
