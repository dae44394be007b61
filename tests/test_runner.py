"""Issue 15, many templates: judged group by group (and in several processes with --jobs), a
folder gets exactly the findings it gets judged whole."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from ecsnetpolicy import cli, runner
from helpers import CORPUS, ROOT

FOLDERS = [ROOT / "tests" / "fixtures" / "templates", ROOT / "tests" / "fixtures" / "deployments", ROOT / "tests" / "fixtures" / "fail_closed"]


def _rows(monkeypatch, minimum: int, *argv: str):
    monkeypatch.setattr(runner, "PARTITION_MIN", minimum)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", *argv, "--format", "json", "--fail-on", "none"])
    rows = sorted((r["Filename"], r["Rule"]["Id"], r["Location"]["Start"]["LineNumber"], r["Message"]) for r in json.loads(out.getvalue() or "[]"))
    notes = sorted(line for line in err.getvalue().splitlines() if " files: " not in line)
    return code, rows, notes


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_group_by_group_equals_whole(monkeypatch, jobs: str) -> None:
    paths = [str(p.relative_to(ROOT)) for p in FOLDERS]
    monkeypatch.chdir(ROOT)
    whole = _rows(monkeypatch, 10 ** 9, *paths)
    grouped = _rows(monkeypatch, 0, *paths, "--jobs", jobs)
    assert whole[1], "the fixtures have findings"
    assert grouped == whole


def test_corpus_group_by_group_equals_whole(monkeypatch) -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside the repository")
    whole = _rows(monkeypatch, 10 ** 9, str(CORPUS))
    assert _rows(monkeypatch, 0, str(CORPUS), "--jobs", "2") == whole


def test_jobs_must_be_positive() -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["check", str(ROOT / "tests" / "fixtures" / "templates" / "runbook_incident.yaml"), "--jobs", "0"]) == 1
    assert "--jobs takes a number of processes" in err.getvalue()
