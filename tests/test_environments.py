"""Issue 14, part 3: deployments as users lay them out.  Nested stacks (two levels deep, exports
read with what parents pass, hints a user can follow), Fn::GetStackOutput, several environments
exporting the same names in one repository (a folder run finds what each environment's run
finds: a hypothesis property), the same file reached twice, and the cfn-lint plugin on parents
and children."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecsnetpolicy.cli import main
from helpers import ROOT, ours, plugin_run

DEP = ROOT / "tests" / "fixtures" / "deployments"
ENVS = DEP / "envs"

EN3001_B = (
    "Tasks of service Service in subnet PrivateSubnetB pull image api:1.0 from ECR (the image layers come from S3), "
    "but route table PrivateRouteTableB of that subnet is not in RouteTableIds of S3 gateway endpoint "
    "S3GatewayEndpoint and it has no internet path, so those tasks fail with CannotPullContainerError; add "
    "PrivateRouteTableB to RouteTableIds of S3GatewayEndpoint."
)
EN2001_LOGS = (
    "Tasks of service Service in subnets PrivateSubnetA and PrivateSubnetB send logs to CloudWatch Logs, but these "
    "subnets have no internet path because route table PrivateRouteTableA has no default route to 0.0.0.0/0, and VPC "
    "Vpc has no logs endpoint, so they fail with ResourceInitializationError; add to VPC Vpc an Interface VPC endpoint "
    "for com.amazonaws.<region>.logs with PrivateDnsEnabled: true, a subnet in each task Availability Zone and a "
    "security group admitting TCP 443 from the tasks"
)


@pytest.fixture(autouse=True)
def _no_config(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .ecsnetpolicy.yaml found upward from here


def run(capsys, *args):
    """(exit code, sorted (real path, rule, line, message)) of `ecsnetpolicy check --format json`."""
    code = main(["check", "--format", "json", "--fail-on", "none", *map(str, args)])
    out = capsys.readouterr().out
    rows = {(os.path.realpath(m["Filename"]), m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"], m["Message"]) for m in json.loads(out)}
    return code, sorted(rows)


def line_of(path: Path, start: str, key: str) -> int:
    lines = path.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    return next(i for i in range(first, len(lines)) if lines[i].strip().startswith(key)) + 1


def real(p: Path) -> str:
    return os.path.realpath(p)


# ---------------------------------------------------------------- several environments
def test_environments_are_never_merged_and_never_crossed(capsys):
    dev_net = ENVS / "dev" / "network.yaml"
    want = [(real(dev_net), "EN3001", line_of(dev_net, "  S3GatewayEndpoint:", "RouteTableIds:"), EN3001_B)]
    assert run(capsys, ENVS)[1] == want  # prod's service is judged with prod's network only
    assert run(capsys, ENVS / "dev")[1] == want
    assert run(capsys, ENVS / "prod")[1] == []


def test_a_shared_importer_is_judged_against_each_environment_saying_which(capsys):
    shared = DEP / "shared_importer"
    dev_net, svc = shared / "dev" / "network.yaml", shared / "service.yaml"
    rows = run(capsys, shared)[1]
    subnets_line = next(i for i, line in enumerate(svc.read_text().splitlines(), 1) if line.strip() == "Subnets:")
    label = f" (judged with the exports of {os.path.relpath(dev_net)})."
    assert rows == sorted([
        (real(dev_net), "EN3001", line_of(dev_net, "  S3GatewayEndpoint:", "RouteTableIds:"), EN3001_B),
        (real(svc), "EN2001", subnets_line, EN2001_LOGS + label),  # only with dev: says so
    ])


def test_too_many_environments_to_try_leave_the_imports_unknown(capsys, monkeypatch):
    from ecsnetpolicy.load import deployment

    monkeypatch.setattr(deployment, "MAX_VARIANTS", 1)
    shared = DEP / "shared_importer"
    rows = run(capsys, shared)[1]
    assert {r[1] for r in rows} == {"IN9001"}
    assert all(r[0] == real(shared / "service.yaml") for r in rows)
    assert any("is exported by 2 templates" in r[3] and "which are different environments" in r[3]
               and "check each environment's folder on its own" in r[3] for r in rows)


# the fixture deployments an environment is copied from: (folder or file, what to copy)
KINDS = {
    "split": [DEP / "split" / "network.yaml", DEP / "split" / "service.yaml"],
    "prod": [ENVS / "prod" / "network.yaml", ENVS / "prod" / "service.yaml"],
    "nologs": [DEP / "shared_importer" / "dev" / "network.yaml", DEP / "shared_importer" / "service.yaml"],
    "cdk": [DEP / "cdk" / "cdk.out"],
    "nested": [DEP / "nested_deep"],
    "single": [ROOT / "tests" / "fixtures" / "templates" / "runbook_incident.yaml"],
}


def _copy_env(kind: str, target: Path) -> None:
    target.mkdir(parents=True)
    for src in KINDS[kind]:
        if src.is_dir():
            shutil.copytree(src, target / src.name)
        else:
            shutil.copy(src, target / src.name)


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(sorted(KINDS)), min_size=2, max_size=4))
def test_a_folder_run_finds_what_each_environment_run_finds(kinds):
    """Property: for a folder of environments copied from the fixtures (the same export names in
    several of them), the findings of the folder run equal the union of the per-environment runs."""
    from contextlib import redirect_stdout
    from io import StringIO

    def rows(*paths):
        buf = StringIO()
        with redirect_stdout(buf):
            main(["check", "--format", "json", "--fail-on", "none", *map(str, paths)])
        return {(os.path.realpath(m["Filename"]), m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"], m["Message"])
                for m in json.loads(buf.getvalue())}

    with tempfile.TemporaryDirectory() as tmp:
        envs = Path(tmp) / "envs"
        for i, kind in enumerate(kinds):
            _copy_env(kind, envs / f"e{i}-{kind}")
        folder = rows(envs)
        union = set().union(*(rows(envs / f"e{i}-{kind}") for i, kind in enumerate(kinds)))
        assert folder == union


# ---------------------------------------------------------------- nested stacks
def test_nested_two_levels_deep_with_exports_named_from_passed_parameters(capsys):
    deep = DEP / "nested_deep"
    net = deep / "stacks" / "network.yaml"
    want = [(real(net), "EN3001", line_of(net, "  S3GatewayEndpoint:", "RouteTableIds:"), EN3001_B)]
    assert run(capsys, deep / "root.yaml", deep / "service.yaml")[1] == want
    assert run(capsys, deep)[1] == want  # the nested files reached again as top-level files: once


def test_a_single_value_passed_to_a_nested_list_parameter_is_one_item(capsys):
    child = DEP / "nested" / "service-child.yaml"
    subnets_line = next(i for i, line in enumerate(child.read_text().splitlines(), 1) if line.strip() == "Subnets: !Ref Subnets")
    msg = (
        "Tasks of service Service in subnet PrivateSubnetA send logs to CloudWatch Logs, but the subnet has no internet path "
        "because route table PrivateRouteTableA has no default route to 0.0.0.0/0, and VPC Vpc has no logs endpoint, so they "
        "fail with ResourceInitializationError; add to VPC Vpc an Interface VPC endpoint for com.amazonaws.<region>.logs with "
        "PrivateDnsEnabled: true, a subnet in each task Availability Zone and a security group admitting TCP 443 from the tasks."
    )
    assert run(capsys, DEP / "one_subnet" / "parent.yaml")[1] == [(real(child), "EN2001", subnets_line, msg)]


def test_the_hint_for_a_nested_parameter_says_where_to_pass_it(capsys):
    parent = DEP / "nested_hint" / "parent.yaml"
    child = DEP / "nested" / "service-child.yaml"
    rows = [r for r in run(capsys, parent)[1] if r[1] == "IN9001"]
    assert [(r[0], r[2]) for r in rows] == [(real(child), 79)]
    assert rows[0][3] == (
        "Could not verify the security group rules of tasks of service Service: parameter TaskSecurityGroup of nested stack "
        f"Api has no value; pass TaskSecurityGroup in the Parameters of nested stack Api in {parent}, or give "
        f"it a Default in {child}."
    )
    assert "--parameter" not in rows[0][3]  # the command's parameters are the top-level stack's


# ---------------------------------------------------------------- Fn::GetStackOutput
def test_get_stack_output_is_unknown_unless_that_stack_is_in_the_set(capsys):
    svc = DEP / "stack_output" / "service.yaml"
    net = DEP / "split" / "network.yaml"
    rows = run(capsys, svc)[1]
    assert {r[1] for r in rows} == {"IN9001"}
    assert all("Fn::GetStackOutput reads output" in r[3] and "of stack network, which is not in the template set; pass that "
               "stack's template too" in r[3] for r in rows)
    assert run(capsys, svc, net)[1] == [(real(net), "EN3001", line_of(net, "  S3GatewayEndpoint:", "RouteTableIds:"), EN3001_B)]


# ---------------------------------------------------------------- the same file twice
def test_the_same_file_reached_twice_is_reported_once_under_one_path(capsys):
    split = DEP / "split"
    net, svc = split / "network.yaml", split / "service.yaml"
    rel_net = os.path.relpath(net)
    code = main(["check", "--format", "json", "--fail-on", "none", str(split), str(net), rel_net, str(svc), os.path.relpath(svc)])
    found = json.loads(capsys.readouterr().out)
    en3001 = [m for m in found if m["Rule"]["Id"] == "EN3001"]
    assert len(en3001) == 1 and code == 0
    assert en3001[0]["Filename"] == str(net)  # the first spelling given


def test_a_nested_child_given_again_is_shown_as_given(capsys):
    net = DEP / "split" / "network.yaml"
    code = main(["check", "--format", "json", "--fail-on", "none", os.path.relpath(DEP / "nested" / "parent.yaml"), str(net)])
    names = {m["Filename"] for m in json.loads(capsys.readouterr().out)}
    assert names == {str(net)}


# ---------------------------------------------------------------- the cfn-lint plugin
def test_plugin_reports_nested_children_on_the_parents_stack_resource():
    parent = DEP / "nested_hint" / "parent.yaml"
    got = ours(plugin_run([parent])[str(parent)])
    lines = parent.read_text().splitlines()
    network = next(i for i, line in enumerate(lines, 1) if line.startswith("  Network:"))
    api = next(i for i, line in enumerate(lines, 1) if line.startswith("  Api:"))
    assert [(r, line) for r, line, _c, _m in got] == [("EN3001", network), ("IN9001", api)]
    assert got[0][3] == f"In nested stack Network (../split/network.yaml, line 134, resource S3GatewayEndpoint): {EN3001_B}"
    assert got[1][3].startswith("In nested stack Api (../nested/service-child.yaml, line 79, resource Service): Could not verify")


def test_plugin_lints_a_child_within_the_configured_deployment(tmp_path, monkeypatch):
    child = DEP / "nested" / "service-child.yaml"
    alone = ours(plugin_run([child])[str(child)])
    assert [r for r, *_ in alone] == ["IN9001"]  # alone: its parameters are unknown
    configured = tmp_path / "configured"
    configured.mkdir()
    monkeypatch.chdir(configured)  # the plugin reads the configuration of its working directory
    (configured / ".ecsnetpolicy.yaml").write_text(textwrap.dedent(f"""\
        version: 1
        allow_paths_outside: true
        stacks:
          - name: api
            template: {DEP / 'nested_hint' / 'parent.yaml'}
        """))
    got = ours(plugin_run([child])[str(child)])
    # judged as nested stack Api of the configured parent: Subnets passed, TaskSecurityGroup not
    assert [(r, line) for r, line, _c, _m in got] == [("IN9001", 79)]
    assert "parameter TaskSecurityGroup of nested stack Api has no value; pass TaskSecurityGroup in the Parameters" in got[0][3]


def test_two_importers_of_one_name_in_two_folders_are_never_one_stack(capsys, tmp_path):
    # a/service.yaml and b/service.yaml (one stack name) import from one network: two services
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(DEP / "split" / "network.yaml", tmp_path / "network.yaml")
    for sub in ("a", "b"):
        shutil.copy(DEP / "split" / "service.yaml", tmp_path / sub / "service.yaml")
    rows = run(capsys, tmp_path)[1]
    assert [(r[1], r[2]) for r in rows] == [("EN3001", 134), ("EN3001", 134)]
    assert {r[3].split(" in subnet")[0] for r in rows} == {"Tasks of service Service@service", "Tasks of service Service@service-2"}
