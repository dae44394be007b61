"""Both paths agree: for every fixture and every corpus template, the standalone path and the
cfn-lint plugin (`helpers.ours(helpers.plugin_run(...))`) give identical (rule, line, column,
message) lists.  Templates cfn-lint cannot parse (E0000) are left out of the comparison, but
neither path may crash on them.  And the standalone command imports no cfnlint module.

"The standalone path" is checked twice: as the command itself (`ecsnetpolicy check FILE --format
json`, in-process through `cli.main`), which judges a template within its deployment exactly as the
plugin does, and as `helpers.standalone` (api.raw_for on the one template) for the fixtures, whose
templates import nothing, so that judging them alone or within a deployment is the same."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from helpers import FIXTURES, OUR_RULE, ROOT, corpus_files, fixture_files, ours, plugin_run, standalone

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
FIXTURE_FILES = fixture_files()
CORPUS_FILES = corpus_files() if CORPUS.is_dir() else []
ALL = FIXTURE_FILES + CORPUS_FILES


def _id(path: Path) -> str:
    for base in (FIXTURES, CORPUS):
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return path.name


@pytest.fixture(scope="module")
def plugin_results() -> Dict[str, list]:
    """One cfn-lint run over every file (cfn-lint's start-up is paid once)."""
    return plugin_run(ALL)


def _unparsable(matches: List) -> bool:
    return any(m.rule.id == "E0000" for m in matches)


def _no_crash(matches: List) -> None:
    crashes = [m.message for m in matches if m.rule.id == "E0002"]
    assert not crashes, crashes
    internal = [m.message for m in matches if m.rule.id.startswith("IN") and "internal error" in m.message]
    assert not internal, internal


def command_rows(path: Path):
    """`ecsnetpolicy check PATH --format json` in-process: our rows, or None when it refuses the
    file (exit 1, one line on stderr)."""
    from ecsnetpolicy.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["check", str(path), "--format", "json", "--fail-on", "none", "--color", "never"])
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), err.getvalue()
    if rc == 1:
        assert len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
        return None
    assert rc == 0, (rc, err.getvalue())
    text = out.getvalue().strip()
    data = json.loads(text) if text else []
    return sorted(
        (d["Rule"]["Id"], d["Location"]["Start"]["LineNumber"], d["Location"]["Start"]["ColumnNumber"], d["Message"])
        for d in data
        if OUR_RULE.match(d["Rule"]["Id"])
    )


def _compare(path: Path, plugin_results: Dict[str, list]) -> None:
    matches = plugin_results[str(path)]
    _no_crash(matches)
    rows = command_rows(path)
    if _unparsable(matches):
        return  # cfn-lint cannot parse it: nothing to compare, but the standalone path did not crash
    assert rows is not None, f"{path}: cfn-lint parses it but the standalone command refuses it"
    assert rows == ours(matches)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=_id)
def test_fixture_paths_agree(path, plugin_results):
    _compare(path, plugin_results)


@pytest.mark.skipif(not CORPUS_FILES, reason="no corpus at ../shared/corpus")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=_id)
def test_corpus_paths_agree(path, plugin_results):
    _compare(path, plugin_results)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=_id)
def test_fixture_helpers_standalone_agrees(path, plugin_results):
    assert standalone(path) == ours(plugin_results[str(path)])


def test_something_was_compared(plugin_results):
    compared = [p for p in ALL if not _unparsable(plugin_results[str(p)])]
    assert len(compared) >= len(FIXTURE_FILES)
    assert any(ours(plugin_results[str(p)]) for p in compared), "no finding of ours anywhere: the comparison is vacuous"


def test_standalone_check_imports_no_cfnlint():
    fixture = FIXTURES / "runbook_incident.yaml"
    code = textwrap.dedent(
        f"""
        import io, sys, contextlib
        from ecsnetpolicy.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main(["check", {str(fixture)!r}])
        loaded = sorted(m for m in sys.modules if m == "cfnlint" or m.startswith("cfnlint."))
        print(rc, len(loaded), loaded[:5])
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr
    rc, count, *_ = proc.stdout.split(" ", 2)
    assert rc == "2", proc.stdout  # the runbook incident has an error-level finding: check really ran
    assert count == "0", proc.stdout
