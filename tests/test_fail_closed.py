"""Fail closed (issue 9): a green result means "checked and fine", never "did not look".

Each case was seen to pass (exit 0, or no finding from the plugin) while nothing was judged:
an internal error turned into an informational note, a broken policy or configuration switched
the plugin's rules off, a folder run stopped at the first bad file, the plugin judged one region
and one parameter set.  Now each ends in EN9000 (error) or in findings for every variant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecsnetpolicy import cli, engine
from helpers import FIXTURES, ROOT, ours, plugin_run

INCIDENT = FIXTURES / "runbook_incident.yaml"
OTHER_REGION = FIXTURES / "needs" / "bad_ecr_other_region.yaml"
HANG_GUARD = 600  # seconds; a guard against hangs, not a timing assertion
CFN_LINT = [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]
FORMATS = ("text", "json", "sarif", "github", "rdjson", "markdown")


def run_cli(*args: str, cwd: Path = ROOT, env: dict = None):
    full_env = {**os.environ, **(env or {})}
    full_env.pop("ECSNETPOLICY_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "ecsnetpolicy", *args],
        capture_output=True, text=True, cwd=str(cwd), env=full_env, timeout=HANG_GUARD, errors="replace",
    )


@pytest.fixture
def broken_engine(monkeypatch):
    """Any exception inside the analysis (a bug) - the engine's entry raises."""
    from ecsnetpolicy import api

    def boom(*_a, **_k):
        raise RuntimeError("simulated engine bug")

    monkeypatch.setattr(api, "analyse", boom)
    api._CACHE.clear()
    yield
    api._CACHE.clear()


# ------------------------------------------------------------------------------ internal errors
@pytest.mark.parametrize("fmt", FORMATS)
def test_internal_error_is_an_error_finding_and_a_failing_exit_in_every_format(broken_engine, fmt, capsys):
    rc = cli.main(["check", str(INCIDENT), "--format", fmt, "--fail-on", "none"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "EN9000" in out
    assert "simulated engine bug" in out
    assert "Traceback" not in out + err
    assert len([line for line in err.splitlines() if line]) == 1


def test_memory_error_is_en9000_not_a_pass(monkeypatch, capsys):
    from ecsnetpolicy import api

    def oom(*_a, **_k):
        raise MemoryError()

    monkeypatch.setattr(api, "analyse", oom)
    api._CACHE.clear()
    try:
        rc = cli.main(["check", str(INCIDENT), "--format", "json"])
    finally:
        api._CACHE.clear()
    out, _ = capsys.readouterr()
    rows = json.loads(out)
    assert rc == 1
    assert [r["Rule"]["Id"] for r in rows] == ["EN9000"]
    assert "more memory" in rows[0]["Message"]


def test_internal_error_through_the_plugin_is_an_error_without_include_checks(broken_engine):
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    config = ConfigMixIn(["--append-rules=ecsnetpolicy.rules", "--", str(INCIDENT)])
    matches = [m for m in Runner(config).run() if m.rule.id.startswith(("EN", "WN", "IN"))]
    assert [m.rule.id for m in matches] == ["EN9000"]
    assert matches[0].rule.severity == "error"
    from ecsnetpolicy.load.template import load_file, locate

    assert matches[0].linenumber == locate(load_file(str(INCIDENT)), [])[0]  # where our command anchors it too


def test_en9000_is_in_the_catalogue_with_a_page():
    from ecsnetpolicy.catalogue import RULES

    assert RULES["EN9000"].severity == "error"
    assert (ROOT / "docs" / "rules" / "EN9000.md").is_file()


# ------------------------------------------------------------------------------ plugin config and policies
def test_plugin_with_a_broken_policy_file_fails_visibly(tmp_path):
    bad = tmp_path / "ours.yaml"
    bad.write_text("schema_version: 1\nneeds: [{id: x}]\n")
    env = {**os.environ, "ECSNETPOLICY_POLICIES": str(bad)}
    proc = subprocess.run(
        CFN_LINT + ["--append-rules=ecsnetpolicy.rules", "--format", "parseable", "--", str(INCIDENT)],
        capture_output=True, text=True, cwd=str(tmp_path), env=env, timeout=HANG_GUARD,
    )
    assert proc.returncode != 0
    assert "EN9000" in proc.stdout
    assert str(bad) in proc.stdout


def test_plugin_with_a_missing_policy_file_fails_visibly(tmp_path):
    env = {**os.environ, "ECSNETPOLICY_POLICIES": str(tmp_path / "does-not-exist.yaml")}
    proc = subprocess.run(
        CFN_LINT + ["--append-rules=ecsnetpolicy.rules", "--format", "parseable", "--", str(INCIDENT)],
        capture_output=True, text=True, cwd=str(tmp_path), env=env, timeout=HANG_GUARD,
    )
    assert proc.returncode != 0
    assert "EN9000" in proc.stdout


@pytest.mark.parametrize("config_text", [
    "version: 1\nrules:\n  WN6001: {enable: false}\n",   # a typo of `enabled`
    "version: 1\nregion: 42\n",
    "version: 1\nstacks: nope\n",
])
def test_plugin_with_a_config_failing_its_schema_fails_visibly(tmp_path, config_text):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".ecsnetpolicy.yaml").write_text(config_text)
    proc = subprocess.run(
        CFN_LINT + ["--append-rules=ecsnetpolicy.rules", "--format", "parseable", "--", str(INCIDENT)],
        capture_output=True, text=True, cwd=str(tmp_path), timeout=HANG_GUARD,
    )
    assert proc.returncode != 0
    assert "EN9000" in proc.stdout
    assert ".ecsnetpolicy.yaml" in proc.stdout


def test_command_with_a_config_failing_its_schema_is_a_one_line_error(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".ecsnetpolicy.yaml").write_text("version: 1\nrules:\n  WN6001: {enable: false}\n")
    proc = run_cli("check", str(INCIDENT), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "enable" in lines[0] and ":3" in lines[0]


# ------------------------------------------------------------------------------ folders with bad files
def test_folder_run_judges_every_file_despite_bad_ones_and_writes_the_report(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "a_unparsable.yaml").write_text("Resources: [\n")
    (folder / "b_service.yaml").write_text(INCIDENT.read_text())
    os.symlink(str(tmp_path / "nowhere.yaml"), str(folder / "c_dangling.yaml"))
    (folder / "d_binary.json").write_bytes(b"{\x00}")
    report = tmp_path / "out.sarif"
    proc = run_cli("check", str(folder), "--format", "sarif", "--output", str(report))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    results = json.loads(report.read_text())["runs"][0]["results"]
    by_file = {}
    for r in results:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        by_file.setdefault(Path(uri).name, []).append(r["ruleId"])
    assert by_file["a_unparsable.yaml"] == ["EN9000"]
    assert by_file["b_service.yaml"] == ["EN3001"]
    assert by_file["c_dangling.yaml"] == ["EN9000"]
    assert by_file["d_binary.json"] == ["EN9000"]
    # one stderr line per file that was not judged
    assert len(proc.stderr.splitlines()) == 3


def test_unparsable_file_anchors_where_parsing_failed(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources:\n  A:\n    Type: x\n  B: [\n")
    proc = run_cli("check", str(bad), "--format", "json")
    rows = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert [r["Rule"]["Id"] for r in rows] == ["EN9000"]
    assert rows[0]["Location"]["Start"]["LineNumber"] >= 4


def test_en9000_exits_non_zero_even_with_fail_on_none(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources: [\n")
    assert run_cli("check", str(bad), "--fail-on", "none").returncode == 1


def test_broken_pipe_ends_quietly_and_not_as_a_pass(tmp_path):
    for i in range(120):  # enough output to fill the pipe
        (tmp_path / f"s{i:03}.yaml").write_text(INCIDENT.read_text())
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecsnetpolicy", "check", str(tmp_path), "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT),
    )
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace")
    rc = proc.wait(timeout=HANG_GUARD)
    assert rc != 0
    assert "Traceback" not in err and "Exception ignored" not in err


# ------------------------------------------------------------------------------ every region, every parameter set
def test_plugin_judges_every_region_and_says_which():
    matches = plugin_run([OTHER_REGION], ["--regions", "us-east-1", "eu-central-1"])
    rows = ours(matches[str(OTHER_REGION)])
    en4001 = [r for r in rows if r[0] == "EN4001"]
    assert en4001, rows
    assert all(r[3].endswith("(in region us-east-1).") for r in en4001)
    # eu-central-1 first: the cfn-lint default of judging only the first region would miss it
    matches = plugin_run([OTHER_REGION], ["--regions", "eu-central-1", "us-east-1"])
    assert [r for r in ours(matches[str(OTHER_REGION)]) if r[0] == "EN4001"] == en4001


def test_plugin_judges_every_parameter_file_and_says_which(tmp_path):
    text = OTHER_REGION.read_text()
    text = text.replace("Image: !Sub ${AWS::AccountId}.dkr.ecr.eu-central-1.amazonaws.com/api:1.0", "Image: !Ref Image")
    text = text.replace("Parameters:\n", "Parameters:\n  Image:\n    Type: String\n", 1)
    template = tmp_path / "svc.yaml"
    template.write_text(text)
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"ParameterKey": "Image", "ParameterValue": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1"}]))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"ParameterKey": "Image", "ParameterValue": "nginx:latest"}]))
    matches = plugin_run([template], ["--parameter-files", str(good), str(bad)])
    rows = ours(matches[str(template)])
    en4001 = [r for r in rows if r[0] == "EN4001"]
    assert en4001, rows
    assert all("parameters from" in r[3] and "bad.json" in r[3] and "good.json" not in r[3] for r in en4001)


# ------------------------------------------------------------------------------ the EN9000 fixture
CYCLE = ROOT / "tests" / "fixtures" / "fail_closed" / "bad_nested_cycle.yaml"
CYCLE_MESSAGE = (
    "Could not analyse this template: {path}: nested stack Again nests bad_nested_cycle.yaml inside itself "
    "(bad_nested_cycle.yaml -> bad_nested_cycle.yaml); CloudFormation would create stacks without end, so this "
    "deployment is not analysed; nothing in it was verified, so this run fails instead of passing."
)


def test_nested_cycle_fixture_is_exactly_one_en9000_through_both_paths(monkeypatch):
    monkeypatch.chdir(ROOT)
    rel = "tests/fixtures/fail_closed/bad_nested_cycle.yaml"
    proc = run_cli("check", rel, "--format", "json")
    rows = [(r["Rule"]["Id"], r["Location"]["Start"]["LineNumber"], r["Message"]) for r in json.loads(proc.stdout)]
    assert proc.returncode == 1
    assert rows == [("EN9000", 3, CYCLE_MESSAGE.format(path=rel))]
    plugin = ours(plugin_run([Path(rel)])[rel])
    assert [(r, line, m) for r, line, _c, m in plugin] == rows


def test_good_fixtures_never_give_en9000():
    from helpers import fixture_files, standalone

    for path in fixture_files():
        assert all(r[0] != "EN9000" for r in standalone(path)), path
