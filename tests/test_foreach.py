"""Fn::ForEach (Transform AWS::LanguageExtensions) in our command (issue 9).

cfn-lint expands the transform before any rule runs, so the plugin judges the resources a
Fn::ForEach generates; our command must judge them too, with the same findings (rule, line,
column, message), and must refuse -- never pass -- a template whose transform cfn-lint cannot
apply.  The fixtures are in tests/fixtures/foreach/ (each says what it expects); a template that
does not declare the transform must still be judged without importing cfn-lint.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List

import pytest

from ecsnetpolicy import cli
from ecsnetpolicy.load import transforms
from ecsnetpolicy.api import raw_for
from ecsnetpolicy.load.template import LoadError, load_file

from helpers import OUR_RULE, ROOT, ours, plugin_run

FOREACH = ROOT / "tests" / "fixtures" / "foreach"
S3 = FOREACH / "bad_s3_route_table_of_generated_subnet.yaml"
SERVICES = FOREACH / "bad_deployment_of_generated_service.yaml"
GOOD = FOREACH / "good_generated_subnets_all_routed.yaml"
BROKEN = FOREACH / "bad_transform_fails.yaml"
EXPANDABLE = [S3, SERVICES, GOOD]
WITHOUT_TRANSFORM = ROOT / "tests" / "fixtures" / "templates" / "runbook_incident.yaml"


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.chdir(ROOT)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "ECSNETPOLICY_POLICIES", "ECSNETPOLICY_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def plugin_results():
    return plugin_run(EXPANDABLE + [BROKEN])


def run(*argv: str):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def command_rows(path: Path) -> List[tuple]:
    """`ecsnetpolicy check PATH --format json`: our (rule, line, column, message) rows."""
    rc, out, err = run("check", str(path), "--format", "json", "--fail-on", "none")
    assert rc == 0, (rc, err)
    return sorted(
        (d["Rule"]["Id"], d["Location"]["Start"]["LineNumber"], d["Location"]["Start"]["ColumnNumber"], d["Message"])
        for d in json.loads(out)
        if OUR_RULE.match(d["Rule"]["Id"])
    )


# ------------------------------------------------------------------------------ both paths agree
@pytest.mark.parametrize("path", EXPANDABLE, ids=lambda p: p.name)
def test_command_equals_plugin_on_generated_resources(path, plugin_results):
    matches = plugin_results[str(path)]
    assert not [m for m in matches if m.rule.id in ("E0000", "E0001", "E0002")], [m.message for m in matches]
    assert command_rows(path) == ours(matches)


def test_the_faults_are_found_in_generated_resources():
    """What the fixtures say they hold (so the comparison above is not vacuous)."""
    s3 = command_rows(S3)
    assert [(r[0], r[1], r[2]) for r in s3] == [("EN3001", 127, 7)]
    assert "subnet PrivateSubnetB" in s3[0][3] and "route table PrivateRouteTableB" in s3[0][3]
    services = command_rows(SERVICES)
    assert [r[0] for r in services] == ["EN6002"]
    assert services[0][3].startswith("Service workerService has DesiredCount 1")
    assert command_rows(GOOD) == []


@pytest.mark.parametrize("path", [S3, SERVICES], ids=lambda p: p.name)
def test_without_the_expansion_the_fault_is_not_seen(path):
    """The template as written (what the command judged before): no E or W finding at all --
    the faults exist only in the generated resources."""
    raws = raw_for(load_file(str(path)), params={}, region="us-east-1", stack_name=path.stem)
    assert not [r for r in raws if r.rule_id[0] in "EW"], [(r.rule_id, r.message[:80]) for r in raws]


def test_exit_codes():
    assert run("check", str(S3))[0] == 2
    assert run("check", str(SERVICES))[0] == 2
    assert run("check", str(GOOD))[0] == 0


def test_graph_draws_generated_resources():
    rc, out, err = run("graph", str(S3))
    assert rc == 0, err
    assert "PrivateSubnetB  PrivateRouteTableB  NOT in RouteTableIds of S3GatewayEndpoint" in out


# ------------------------------------------------------------------------------ the transform fails
def test_a_failing_transform_is_refused_by_both_paths(plugin_results):
    matches = plugin_results[str(BROKEN)]
    assert [m.rule.id for m in matches] == ["E0001"]  # cfn-lint: an error, and no rule ran
    plugin_line = matches[0].linenumber
    rc, out, err = run("check", str(BROKEN), "--format", "json")
    assert rc == 1  # never a pass
    (finding,) = json.loads(out)
    assert finding["Rule"]["Id"] == "EN9000"
    assert finding["Location"]["Start"]["LineNumber"] == plugin_line
    assert "AWS::LanguageExtensions" in finding["Message"] and "3 elements" in finding["Message"]
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_graph_refuses_a_failing_transform_in_one_line():
    rc, out, err = run("graph", str(BROKEN))
    assert rc == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "3 elements" in err


def test_expand_raises_load_error_with_the_line():
    with pytest.raises(LoadError) as info:
        transforms.expand(load_file(str(BROKEN)), str(BROKEN))
    assert info.value.line == 30
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------ expand itself
def test_expand_leaves_other_templates_alone():
    template = load_file(str(WITHOUT_TRANSFORM))
    assert transforms.expand(template, str(WITHOUT_TRANSFORM)) is template
    for declared in ("AWS::Serverless-2016-10-31", ["AWS::Serverless-2016-10-31"], 7, None):
        assert not transforms.declares({"Transform": declared, "Resources": {}})
    assert transforms.declares({"Transform": ["AWS::Serverless-2016-10-31", "AWS::LanguageExtensions"]})


def test_expanded_nodes_keep_the_marks_of_what_they_came_from():
    from ecsnetpolicy.load.template import DictNode, StrNode

    template = transforms.expand(load_file(str(S3)), str(S3))
    resources = template["Resources"]
    assert "Fn::ForEach::PrivateSubnets" not in resources
    keys = {str(k): k for k in resources}
    assert {"PrivateSubnetA", "PrivateSubnetB", "PrivateRouteTableB", "PrivateSubnetBRouteTableAssociation"} <= set(keys)
    key = keys["PrivateSubnetB"]
    written = S3.read_text(encoding="utf-8").splitlines().index("    - PrivateSubnet${Az}:") + 1
    assert isinstance(key, StrNode) and key.start_mark.line + 1 == written  # marks of the key it came from
    assert isinstance(resources["PrivateSubnetB"], DictNode)
    assert resources["PrivateSubnetB"]["Properties"]["CidrBlock"] == "10.0.2.0/24"  # Fn::FindInMap resolved


UNRESOLVED = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: '2010-09-09'
    Transform: AWS::LanguageExtensions
    Parameters:
      Names:
        Type: CommaDelimitedList
    Resources:
      Fn::ForEach::Topics:
        - Name
        - !Ref Names
        - Topic${Name}:
            Type: AWS::SNS::Topic
    """
)


def test_a_collection_cfn_lint_cannot_resolve_expands_the_same_every_run(tmp_path):
    """cfn-lint makes up two names for it (random in the plugin); ours are the same every run."""
    path = tmp_path / "unresolved.yaml"
    path.write_text(UNRESOLVED, encoding="utf-8")
    first = transforms.expand(load_file(str(path)), str(path))
    second = transforms.expand(load_file(str(path)), str(path))
    names = sorted(first["Resources"])
    assert len(names) == 2 and all(n.startswith("Topic") for n in names)
    assert names == sorted(second["Resources"])


def test_a_fan_out_bomb_is_refused_before_it_is_expanded(tmp_path):
    """Three nested loops over 100 names each would make a million resources: refused in one line."""
    names = "[" + ", ".join(f"N{i}" for i in range(100)) + "]"
    text = textwrap.dedent(
        f"""\
        AWSTemplateFormatVersion: '2010-09-09'
        Transform: AWS::LanguageExtensions
        Resources:
          Fn::ForEach::A:
            - A
            - {names}
            - Fn::ForEach::B:
                - B
                - {names}
                - Fn::ForEach::C:
                    - C
                    - {names}
                    - Topic${{A}}${{B}}${{C}}:
                        Type: AWS::SNS::Topic
                        Properties:
                          TopicName: !Sub ${{A}}-${{B}}-${{C}}
        """
    )
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "ecsnetpolicy", "check", str(path), "--format", "json"],
        capture_output=True, text=True, timeout=600, cwd=str(ROOT),
    )
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "expanding Fn::ForEach here would take too long" in proc.stderr
    (finding,) = json.loads(proc.stdout)
    assert finding["Rule"]["Id"] == "EN9000"


# ------------------------------------------------------------------------------ import cost
def _imported_modules(path: Path) -> List[str]:
    """The modules `python -X importtime -m ecsnetpolicy check PATH` imports."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ecsnetpolicy", "check", str(path), "--fail-on", "none"],
        capture_output=True, text=True, timeout=600, cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:") and "|" in line]


def test_a_template_without_the_transform_imports_no_cfnlint():
    modules = _imported_modules(WITHOUT_TRANSFORM)
    assert "ecsnetpolicy.engine" in modules  # the check really ran
    assert not [m for m in modules if m == "cfnlint" or m.startswith("cfnlint.")]


def test_a_template_with_the_transform_imports_cfnlint_for_it():
    modules = _imported_modules(GOOD)
    assert "cfnlint.template.transforms._language_extensions" in modules


# ------------------------------------------------------------------------------ nested stacks
def test_a_nested_stack_with_fn_foreach_is_expanded(tmp_path):
    child = tmp_path / "child.yaml"
    shutil.copyfile(S3, child)
    parent = tmp_path / "parent.yaml"
    parent.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n"
        "    Properties:\n      TemplateURL: ./child.yaml\n",
        encoding="utf-8",
    )
    rc, out, err = run("check", str(parent), "--format", "json")
    rows = [(d["Rule"]["Id"], Path(d["Filename"]).name, d["Location"]["Start"]["LineNumber"]) for d in json.loads(out)]
    assert ("EN3001", "child.yaml", 127) in rows, (rows, err)


# ------------------------------------------------------------------------------ malformed loops
MALFORMED = {
    "not-a-list": "Fn::ForEach::X: just a string",
    "two-items": "Fn::ForEach::X: [Name, [a, b]]",
    "output-not-a-mapping": "Fn::ForEach::X: [Name, [a, b], [1, 2]]",
    "collection-not-a-list": "Fn::ForEach::X: [Name, 7, {'Topic${Name}': {Type: AWS::SNS::Topic}}]",
    "collection-of-mappings": "Fn::ForEach::X: [Name, [{a: 1}], {'Topic${Name}': {Type: AWS::SNS::Topic}}]",
    "duplicate-output": "Fn::ForEach::X: [Name, [a, a], {'Topic${Name}': {Type: AWS::SNS::Topic}}]",
    "identifier-a-mapping": "Fn::ForEach::X: [{Ref: N}, [a], {Topic: {Type: AWS::SNS::Topic}}]",
    "fine": "Fn::ForEach::X: [Name, [a, b], {'Topic${Name}': {Type: AWS::SNS::Topic}}]",
}


@pytest.fixture(scope="module")
def malformed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("malformed")
    paths = {}
    for name, loop in MALFORMED.items():
        path = folder / f"{name}.yaml"
        path.write_text(
            "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::LanguageExtensions\nResources:\n"
            f"  Keep:\n    Type: AWS::SNS::Topic\n  {loop}\n",
            encoding="utf-8",
        )
        paths[name] = path
    return paths, plugin_run(list(paths.values()))


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_loops_have_the_same_outcome_in_both_paths(name, malformed):
    """Where cfn-lint's transform fails (E0001: nothing judged), the command refuses the template
    (EN9000, exit 1); where it succeeds, the command judges it.  Never a traceback."""
    paths, results = malformed
    path = paths[name]
    plugin_failed = any(m.rule.id == "E0001" for m in results[str(path)])
    rc, out, err = run("check", str(path), "--format", "json")
    assert "Traceback" not in err and "internal error" not in err, err
    ids = [d["Rule"]["Id"] for d in json.loads(out)]
    if plugin_failed:
        assert rc == 1 and ids == ["EN9000"], (rc, ids, err)
        assert len(err.strip().splitlines()) == 1
    else:
        assert rc == 0 and "EN9000" not in ids, (rc, ids, err)
    assert plugin_failed == (name != "fine")  # the cases are what their names say
