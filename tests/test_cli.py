"""The `ecsnetpolicy` command as a user meets it: exit codes, --fail-on, path expansion, --ignore,
--output, `rules`, `explain`, one-line errors, and golden files of every output format.

Golden files: ``tests/golden/runbook_incident.<format>`` hold exactly what
``ecsnetpolicy check tests/fixtures/templates/runbook_incident.yaml --format <format>`` prints when
run from the repository root (only the tool version in SARIF is normalised, to ``<version>``).
After an intended change of the output, rewrite them and review the diff:

    UPDATE_GOLDEN=1 python -m pytest tests/test_cli.py tests/test_graph.py -k golden
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ecsnetpolicy import __version__, cli
from ecsnetpolicy.catalogue import RULES

from helpers import FIXTURES, ROOT

GOLDEN = ROOT / "tests" / "golden"
INCIDENT = "tests/fixtures/templates/runbook_incident.yaml"
CLEAN = "tests/fixtures/templates/good_private_endpoints.yaml"
WARNING_ONLY = "tests/fixtures/templates/WN2002/bad_ecr_dkr_endpoint_one_az.yaml"
INFO_ONLY = "tests/fixtures/templates/IN9001/bad_image_parameter_no_default.yaml"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    """Relative paths as a user at the repository root types them; no region, colour or
    extra-policy settings leaking in from the environment."""
    monkeypatch.chdir(ROOT)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "ECSNETPOLICY_POLICIES", "ECSNETPOLICY_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


def run(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc, out, err):
    assert rc == 1
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("ecsnetpolicy: ") and err.endswith("\n") and err.count("\n") == 1, err


def assert_one_bad_file(rc, out, err):
    """A file that cannot be judged is one EN9000 finding (as cfn-lint reports E0000), one line on
    stderr, and exit 1 (issue 9: fail closed; the other files would still be judged)."""
    assert rc == 1
    assert out.count("EN9000") == 1 and "1 finding (1 error" in out, out
    assert "Traceback" not in out + err
    assert err.startswith("ecsnetpolicy: ") and err.endswith("\n") and err.count("\n") == 1, err


# ------------------------------------------------------------------------------ exit codes
def test_clean_template_exits_0_quietly(capsys):
    rc, out, err = run(capsys, "check", CLEAN)
    assert rc == 0
    assert out == "0 findings\n"
    assert err == ""


def test_error_finding_exits_2_quietly(capsys):
    rc, out, err = run(capsys, "check", INCIDENT)
    assert rc == 2
    assert "EN3001" in out
    assert err == ""  # quiet by default: no progress output


@pytest.mark.parametrize(
    "argv, words",
    [
        (["check", "--format", "xml", INCIDENT], "xml"),
        (["check", "--parameter", "NoEqualsSign", INCIDENT], "NoEqualsSign"),
        (["check", "--fail-on", "fatal", INCIDENT], "fatal"),
        (["check", "tests/fixtures/templates/nothing_*.yaml"], "no file matches"),
        (["check"], "PATH"),
        (["explain", "EN0000"], "EN0000"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_usage_and_input_errors_are_one_line_exit_1(capsys, argv, words):
    rc, out, err = run(capsys, *argv)
    assert_one_line_error(rc, out, err)
    assert words in err


def test_directory_without_templates_is_an_error(capsys, tmp_path):
    (tmp_path / "README.md").write_text("not a template\n")
    rc, out, err = run(capsys, "check", str(tmp_path))
    assert_one_line_error(rc, out, err)
    assert "no templates found" in err and str(tmp_path) in err


@pytest.mark.parametrize(
    "text",
    [
        "Resources:\n  Vpc: [\n",  # broken YAML
        "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n   Properties: {}\n",  # bad indentation
        '{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC",}}',  # broken JSON
        "Resources:\n  A: !Ref\n    - x\n    - y\n  B: !GetAtt [x\n",
    ],
)
def test_unparsable_template_is_one_line_exit_1(capsys, tmp_path, text):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    rc, out, err = run(capsys, "check", str(path))
    assert_one_bad_file(rc, out, err)
    assert "broken.yaml" in err


def test_binary_file_is_one_line_exit_1(capsys, tmp_path):
    path = tmp_path / "blob.yaml"
    path.write_bytes(b"\xff\xfe\x00\x01Resources\x00\x9c")
    rc, out, err = run(capsys, "check", str(path))
    assert_one_bad_file(rc, out, err)


def test_missing_file_is_one_bad_file_exit_1(capsys):
    rc, out, err = run(capsys, "check", "tests/fixtures/templates/no_such_file.yaml")
    assert_one_bad_file(rc, out, err)
    assert "no_such_file.yaml" in err


def test_unwritable_output_is_one_line_exit_1(capsys, tmp_path):
    rc, out, err = run(capsys, "check", INCIDENT, "--output", str(tmp_path))  # a directory
    assert_one_line_error(rc, out, err)
    assert "cannot write" in err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"ecsnetpolicy {__version__}"


# ------------------------------------------------------------------------------ --fail-on
@pytest.mark.parametrize(
    "path, fail_on, expected",
    [
        (INCIDENT, None, 2),
        (INCIDENT, "error", 2),
        (INCIDENT, "warning", 2),
        (INCIDENT, "none", 0),
        (WARNING_ONLY, None, 0),
        (WARNING_ONLY, "error", 0),
        (WARNING_ONLY, "warning", 2),
        (WARNING_ONLY, "informational", 2),
        (WARNING_ONLY, "none", 0),
        (INFO_ONLY, None, 0),
        (INFO_ONLY, "warning", 0),
        (INFO_ONLY, "informational", 2),
        (INFO_ONLY, "none", 0),
        (CLEAN, "informational", 0),
    ],
)
def test_fail_on(capsys, path, fail_on, expected):
    argv = ["check", path] + (["--fail-on", fail_on] if fail_on else [])
    rc, out, err = run(capsys, *argv)
    assert rc == expected
    assert err == ""


def test_fixtures_have_the_severities_the_fail_on_tests_assume(capsys):
    for path, rule in ((WARNING_ONLY, "WN2002"), (INFO_ONLY, "IN9001")):
        rc, out, _ = run(capsys, "check", path, "--format", "json")
        assert [r["Rule"]["Id"] for r in json.loads(out)] == [rule]


# ------------------------------------------------------------------------------ paths
def _files(out: str):
    return sorted({r["Filename"] for r in json.loads(out)})


def test_directory_expands_recursively(capsys):
    rc, out, err = run(capsys, "check", "tests/fixtures/templates/EN2003", "--format", "json")
    assert rc == 2 and err == ""
    assert _files(out) == [
        os.path.join("tests/fixtures/templates/EN2003", "bad_private_dns_false.yaml"),
        os.path.join("tests/fixtures/templates/EN2003", "bad_private_dns_omitted.yaml"),
    ]


def test_glob_expands(capsys):
    rc, out, err = run(capsys, "check", "tests/fixtures/templates/EN2003/bad_*.yaml", "--format", "json")
    assert rc == 2 and err == ""
    assert _files(out) == [
        "tests/fixtures/templates/EN2003/bad_private_dns_false.yaml",
        "tests/fixtures/templates/EN2003/bad_private_dns_omitted.yaml",
    ]


def test_recursive_glob_and_several_paths(capsys):
    rc, out, err = run(capsys, "check", "tests/fixtures/templates/**/bad_private_dns_*.yaml", INCIDENT, "--format", "json")
    assert rc == 2 and err == ""
    assert _files(out) == [
        "tests/fixtures/templates/EN2003/bad_private_dns_false.yaml",
        "tests/fixtures/templates/EN2003/bad_private_dns_omitted.yaml",
        INCIDENT,
    ]


def test_whole_fixture_tree(capsys):
    import yaml

    expectations = yaml.safe_load((FIXTURES / "expectations.yaml").read_text(encoding="utf-8"))
    with_findings = sorted(os.path.join("tests/fixtures/templates", name) for name, items in expectations.items() if items)
    rc, out, err = run(capsys, "check", "tests/fixtures/templates", "--format", "json")
    assert rc == 2
    # YAML that is not CloudFormation is skipped, with one line saying so
    lines = err.splitlines()
    assert lines[0] == "ecsnetpolicy: tests/fixtures/templates/expectations.yaml: skipped, not a CloudFormation template (no Resources section)"
    # many files: a closing line counts them (issue 15)
    assert len(lines) == 2 and re.fullmatch(r"ecsnetpolicy: \d+ files: \d+ templates checked, 1 skipped \(not CloudFormation\), 0 failed", lines[1])
    assert _files(out) == [os.path.normpath(p) for p in with_findings]


# ------------------------------------------------------------------------------ --ignore
@pytest.mark.parametrize("ignore", ["EN3001", "EN", "E"])
def test_ignore_rule_or_prefix(capsys, ignore):
    rc, out, err = run(capsys, "check", INCIDENT, "--ignore", ignore)
    assert rc == 0 and out == "0 findings\n" and err == ""


def test_ignore_another_rule_keeps_the_finding(capsys):
    rc, out, _ = run(capsys, "check", INCIDENT, "--ignore", "EN2001", "--ignore", "WN")
    assert rc == 2 and "EN3001" in out


def test_ignore_keeps_other_rules(capsys):
    rc, out, _ = run(capsys, "check", WARNING_ONLY, "--ignore", "EN", "--fail-on", "warning")
    assert rc == 2 and "WN2002" in out
    rc, out, _ = run(capsys, "check", WARNING_ONLY, "-i", "EN", "-i", "WN", "--fail-on", "warning")
    assert rc == 0 and out == "0 findings\n"


# ------------------------------------------------------------------------------ --output
def test_output_file(capsys, tmp_path):
    target = tmp_path / "results.json"
    rc, out, err = run(capsys, "check", INCIDENT, "--format", "json", "--output", str(target))
    assert rc == 2
    assert out == "" and err == ""
    data = json.loads(target.read_text(encoding="utf-8"))
    assert [r["Rule"]["Id"] for r in data] == ["EN3001"]


def test_output_file_is_never_coloured(capsys, tmp_path):
    target = tmp_path / "results.txt"
    rc, out, _ = run(capsys, "check", INCIDENT, "--output", str(target))
    assert rc == 2 and out == ""
    written = target.read_text(encoding="utf-8")
    assert "\033[" not in written
    assert written == run(capsys, "check", INCIDENT)[1]


def test_color_always(capsys):
    rc, out, _ = run(capsys, "check", INCIDENT, "--color", "always")
    assert rc == 2 and "\033[31m" in out


# ------------------------------------------------------------------------------ rules / explain
def test_rules_lists_the_whole_catalogue(capsys):
    rc, out, err = run(capsys, "rules")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == sorted(RULES)  # sorted by ID, like cfn-lint's list
    for line, info in zip(lines, sorted(RULES.values(), key=lambda info: info.rule_id)):
        assert info.severity in line and info.name in line and info.shortdesc in line


@pytest.mark.parametrize("rule_id", list(RULES))
def test_explain_prints_the_rule_page(capsys, rule_id):
    rc, out, err = run(capsys, "explain", rule_id, "--markdown")
    assert (rc, err) == (0, ""), f"docs/rules/{rule_id}.md: {err}"
    assert out == (ROOT / "docs" / "rules" / f"{rule_id}.md").read_text(encoding="utf-8")
    assert rule_id in out


def test_explain_is_case_insensitive(capsys):
    rc, out, _ = run(capsys, "explain", "en3001", "--markdown")
    assert rc == 0 and out == (ROOT / "docs" / "rules" / "EN3001.md").read_text(encoding="utf-8")


def test_explain_unknown_rule(capsys):
    rc, out, err = run(capsys, "explain", "XN1234")
    assert_one_line_error(rc, out, err)
    assert "ecsnetpolicy rules" in err


# ------------------------------------------------------------------------------ markdown summary
def test_markdown_has_findings_per_workload_and_the_coverage_matrix(capsys):
    rc, out, _ = run(capsys, "check", INCIDENT, "--format", "markdown")
    assert rc == 2
    lines = out.splitlines()
    assert lines.count("**Workload Service**") == 2  # the findings, then the coverage
    assert any(line.startswith("| [EN3001](") and "add PrivateRouteTableB to RouteTableIds" in line for line in lines)
    assert "### Coverage" in lines
    assert "| AZ \\#\u20602 of the region | ✅ ok | ✅ ok | ✅ ok | ❌ NO ROUTE |" in lines


def test_summary_is_built_only_for_markdown(capsys, monkeypatch):
    import ecsnetpolicy.report.graph as graph

    def boom(*a, **k):
        raise AssertionError("the coverage summary was built for a format that does not show it")

    monkeypatch.setattr(graph, "deployment_summary", boom)
    for fmt in ("text", "json", "sarif", "github", "rdjson"):
        rc, _out, err = run(capsys, "check", INCIDENT, "--format", fmt)
        assert rc == 2 and err == "", fmt


def test_markdown_without_workloads_has_no_coverage_section(capsys, tmp_path):
    path = tmp_path / "vpc.yaml"
    path.write_text("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.0.0.0/16\n")
    rc, out, err = run(capsys, "check", str(path), "--format", "markdown")
    assert rc == 0 and err == ""
    assert "Coverage" not in out and "no findings" in out


# ------------------------------------------------------------------------------ golden files
FORMATS = ("text", "json", "sarif", "github", "rdjson", "markdown")


def normalise(fmt: str, text: str) -> str:
    if fmt == "sarif":
        text = re.sub(
            r'^(\s*"(?:version|semanticVersion)": )"' + re.escape(__version__) + '"',
            r'\1"<version>"',
            text,
            flags=re.M,
        )
    return text


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.is_file(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)"


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_runbook_incident(capsys, fmt):
    rc, out, err = run(capsys, "check", INCIDENT, "--format", fmt)
    assert rc == 2 and err == ""
    check_golden(f"runbook_incident.{fmt}", normalise(fmt, out))


def test_sarif_normalisation_touches_only_the_tool_version(capsys):
    _rc, out, _ = run(capsys, "check", INCIDENT, "--format", "sarif")
    norm = normalise("sarif", out)
    assert json.loads(out)["version"] == "2.1.0" == json.loads(norm)["version"]
    driver = json.loads(norm)["runs"][0]["tool"]["driver"]
    assert driver["version"] == driver["semanticVersion"] == "<version>"
    assert sum(a != b for a, b in zip(out.splitlines(), norm.splitlines())) == 2
