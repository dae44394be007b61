"""Issue 15, the conventions of cfn-lint users: several outputs from one run, --quiet, the
-c/--include-checks and -i/--ignore-checks spellings, report files readable like any new file."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
from pathlib import Path

import pytest

from ecsnetpolicy import cli
from helpers import FIXTURES

INCIDENT = str(FIXTURES / "runbook_incident.yaml")


def _run(*argv: str):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", *argv])
    return code, out.getvalue(), err.getvalue()


def test_several_outputs_from_one_run(tmp_path: Path) -> None:
    sarif, summary = tmp_path / "r.sarif", tmp_path / "summary.md"
    code, out, _err = _run(INCIDENT, "-f", "github", "--output", f"sarif={sarif}", "--output", f"markdown={summary}")
    assert code == 2
    assert out.startswith("::error file=") and "EN3001" in out  # --format's report still on stdout
    data = json.loads(sarif.read_text())
    assert [r["ruleId"] for r in data["runs"][0]["results"]] == ["EN3001"]
    text = summary.read_text()
    assert text.startswith("## ") and "EN3001" in text and "PrivateSubnetB" in text  # with the coverage matrix
    assert stat.S_IMODE(os.stat(sarif).st_mode) == 0o666 & ~_umask()


def test_a_plain_output_file_takes_the_report_off_stdout(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    code, out, _err = _run(INCIDENT, "-f", "json", "--output", str(target), "--output", f"text={tmp_path / 'r.txt'}")
    assert code == 2 and out == ""
    assert json.loads(target.read_text())[0]["Rule"]["Id"] == "EN3001"
    assert (tmp_path / "r.txt").read_text().startswith(f"{INCIDENT}:137:7: EN3001 error ")
    code, out, err = _run(INCIDENT, "--output", str(target), "--output", str(tmp_path / "other"))
    assert code == 1 and out == "" and "give it once" in err
    code, out, err = _run(INCIDENT, "--output", "sarif=")
    assert code == 1 and "give a file after sarif=" in err


def test_quiet_prints_the_findings_only(tmp_path: Path) -> None:
    not_cfn = tmp_path / "values.yaml"
    not_cfn.write_text("replicas: 2\n")
    code, out, err = _run(INCIDENT, str(not_cfn), "--quiet")
    assert code == 2 and err == ""
    assert out.splitlines() == [line for line in out.splitlines() if line.startswith(f"{INCIDENT}:137:7: EN3001 ")]
    code, out, err = _run(INCIDENT, str(not_cfn))
    assert "skipped, not a CloudFormation template" in err and out.rstrip().endswith("in 1 file")


def test_cfn_lint_spellings() -> None:
    assert _run(INCIDENT, "-c", "I", "--ignore-checks", "EN3,WN")[0] == 0
    assert _run("-i", "EN3", INCIDENT)[0] == 0
    assert _run(INCIDENT, "-i", "EN3001")[0] == 0
    assert _run(INCIDENT, "--include-checks", "I")[0] == 2


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_a_report_to_a_device_or_fifo_leaves_it_in_place(tmp_path: Path) -> None:
    """`--output /dev/null` (or a FIFO) is written to, never replaced by a regular file."""
    fifo = tmp_path / "pipe"
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(fifo)
    import threading

    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    code, out, err = _run(INCIDENT, "-f", "json", "--output", str(fifo))
    reader.join(timeout=600)
    assert code == 2 and out == "" and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(got[0])[0]["Rule"]["Id"] == "EN3001"
    if os.path.exists(os.devnull):
        before = os.stat(os.devnull)
        assert _run(INCIDENT, "--output", os.devnull)[0] == 2
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode) and os.stat(os.devnull).st_ino == before.st_ino
    link = tmp_path / "link.json"
    real = tmp_path / "real.json"
    real.write_text("old")
    link.symlink_to(real)
    assert _run(INCIDENT, "-f", "json", "--output", str(link))[0] == 2
    assert link.is_symlink() and json.loads(real.read_text())[0]["Rule"]["Id"] == "EN3001"
