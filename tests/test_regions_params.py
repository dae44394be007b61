"""Issue 15, "the same answer everywhere": several regions (like cfn-lint's --regions, a region
that does not exist is a one-line error), parameter files in the formats users have, and a
`--parameter` value written as a JSON list."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from ecsnetpolicy import cli
from ecsnetpolicy.load.parameters import ParameterError, parse_assignment, read_parameter_file
from ecsnetpolicy.load.regions import REGIONS, check_regions
from helpers import FIXTURES, ours, plugin_run

INCIDENT = (FIXTURES / "runbook_incident.yaml").read_text()
ROUTES = "      RouteTableIds:\n        - !Ref PrivateRouteTableA\n"
assert ROUTES in INCIDENT


def _conditional(condition: str) -> str:
    """The incident, its fault only when `condition` is false (both route tables otherwise)."""
    text = INCIDENT.replace(ROUTES, "      RouteTableIds: !If\n        - Fixed\n        - [!Ref PrivateRouteTableA, !Ref PrivateRouteTableB]\n"
                                    "        - [!Ref PrivateRouteTableA]\n", 1)
    return text.replace("Resources:\n", f"Conditions:\n  Fixed: {condition}\n\nResources:\n", 1)


def _run(*argv: str):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", *argv])
    return code, out.getvalue(), err.getvalue()


def _rows(*argv: str):
    code, out, err = _run(*argv, "--format", "json", "--fail-on", "none")
    assert code == 0, err
    return sorted((r["Rule"]["Id"], r["Location"]["Start"]["LineNumber"], r["Location"]["Start"]["ColumnNumber"], r["Message"])
                  for r in json.loads(out or "[]"))


def _service_in_subnets_parameter(tmp_path: Path) -> Path:
    """A Fargate service whose subnets are the List<AWS::EC2::Subnet::Id> parameter Subnets."""
    path = tmp_path / "t.yaml"
    path.write_text(
        "Parameters:\n  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}\n"
        "Resources:\n"
        "  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      RequiresCompatibilities: [FARGATE]\n"
        "      NetworkMode: awsvpc\n      Cpu: '256'\n      Memory: '512'\n"
        "      ContainerDefinitions:\n        - Name: app\n          Image: public.ecr.aws/nginx/nginx:1\n"
        "  Service:\n    Type: AWS::ECS::Service\n    Properties:\n      LaunchType: FARGATE\n      TaskDefinition: !Ref Task\n"
        "      NetworkConfiguration:\n        AwsvpcConfiguration:\n          Subnets: !Ref Subnets\n")
    return path


def test_our_regions_are_cfn_lints() -> None:
    from cfnlint.helpers import REGIONS as THEIRS

    assert sorted(REGIONS) == sorted(THEIRS)


def test_a_region_that_does_not_exist_is_one_line_and_exit_1() -> None:
    code, out, err = _run(str(FIXTURES / "runbook_incident.yaml"), "--region", "us-eest-1")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == ["ecsnetpolicy: 'us-eest-1' is not an AWS region (did you mean us-west-1 or us-east-1?)"]
    code, out, err = _run(str(FIXTURES / "runbook_incident.yaml"), "--regions", "eu-west-1", "mars-north-1")
    assert code == 1 and out == "" and "'mars-north-1' is not an AWS region" in err and len(err.strip().splitlines()) == 1
    assert check_regions(["eu-west-1", "eu-west-1", "us-east-1"]) == ["eu-west-1", "us-east-1"]


def test_several_regions_say_where_a_finding_holds_like_the_plugin(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(_conditional("!Equals [!Ref 'AWS::Region', eu-west-1]"))
    mine = _rows(str(path), "--regions", "us-east-1", "eu-west-1")
    # the route table is missing only in us-east-1; the template's S3 prefix list is us-east-1's,
    # so in eu-west-1 the egress rule does not reach S3 (prefix lists are per region, issue 14)
    assert [r[0] for r in mine] == ["EN1001", "EN3001"]
    assert mine[0][3].endswith("(in region eu-west-1).")
    assert mine[1][3].endswith("add PrivateRouteTableB to RouteTableIds of S3GatewayEndpoint (in region us-east-1).")
    assert mine == ours(plugin_run([path], ["--regions", "us-east-1", "eu-west-1"])[str(path)])
    assert [r[0] for r in _rows(str(path), "--region", "eu-west-1")] == ["EN1001"]
    assert [r[0] for r in _rows(str(path), "--region", "us-east-1")] == ["EN3001"]
    # a finding in every region says nothing of regions
    path.write_text(INCIDENT)
    both = _rows(str(path), "--regions", "us-east-1", "eu-west-1")
    en3001 = [r for r in both if r[0] == "EN3001"]
    assert len(en3001) == 1 and "(in region" not in en3001[0][3]


def test_parameter_files_in_every_format_each_one_set(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(_conditional("!Equals [!Ref Env, prod]").replace(
        "Parameters:\n", "Parameters:\n  Env:\n    Type: String\n    AllowedValues: [dev, prod]\n", 1))
    files = {
        "aws-cli.json": json.dumps([{"ParameterKey": "Env", "ParameterValue": "prod"}]),
        "pipeline.json": json.dumps({"Parameters": {"Env": "prod"}, "Tags": {"team": "a"}}),
        "deployment.yaml": "template-file-path: t.yaml\nparameters:\n  Env: prod\ntags:\n  team: a\n",
        "plain.yaml": "Env: dev\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for name in ("aws-cli.json", "pipeline.json", "deployment.yaml"):
        assert read_parameter_file(str(tmp_path / name)) == {"Env": "prod"}
        assert _rows(str(path), "--parameter-file", str(tmp_path / name)) == []
    assert [r[0] for r in _rows(str(path), "--parameter-file", str(tmp_path / "plain.yaml"))] == ["EN3001"]
    # two files: two sets; the finding holds with one of them and says which
    both = _rows(str(path), "--parameter-files", str(tmp_path / "aws-cli.json"), str(tmp_path / "plain.yaml"))
    assert [r[0] for r in both] == ["EN3001"]
    assert both[0][3].endswith(f"(parameters from {tmp_path / 'plain.yaml'}).")
    # --parameter applies on top of every file
    assert _rows(str(path), "--parameter-file", str(tmp_path / "plain.yaml"), "-p", "Env=prod") == []


@pytest.mark.parametrize("text, error", [
    ("[{\"ParameterKey\": \"Env\"}]", "parameter Env has no ParameterValue"),
    ("[1]", "entry 1 is not a"),
    ("Env: {a: b}\n", "the value of parameter Env is not text or a list of texts"),
    ("[not json", "invalid JSON"),
    ("- a\n- b\n", "the top level is not a mapping"),
])
def test_a_broken_parameter_file_is_one_line_and_exit_1(tmp_path: Path, text: str, error: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    with pytest.raises(ParameterError, match=None) as info:
        read_parameter_file(str(bad))
    assert error in str(info.value) and str(bad) in str(info.value)
    code, out, err = _run(str(FIXTURES / "runbook_incident.yaml"), "--parameter-file", str(bad))
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1 and error in err


def test_a_parameter_written_as_a_json_list_is_a_list(tmp_path: Path) -> None:
    assert parse_assignment('Subnets=["subnet-a", "subnet-b"]') == ("Subnets", ["subnet-a", "subnet-b"])
    assert parse_assignment("Subnets=subnet-a,subnet-b") == ("Subnets", "subnet-a,subnet-b")
    assert parse_assignment("Name=[not json]") == ("Name", "[not json]")
    assert parse_assignment("Ports=[80, 443]") == ("Ports", ["80", "443"])
    with pytest.raises(ParameterError):
        parse_assignment("novalue")
    # through the command: each subnet of the list is its own unknown (two IN9001), not one odd string
    path = _service_in_subnets_parameter(tmp_path)
    rows = _rows(str(path), "-p", 'Subnets=["subnet-0aaa", "subnet-0bbb"]')
    named = [m for _r, _l, _c, m in rows if "subnet-0aaa" in m or "subnet-0bbb" in m]
    assert any("subnet-0aaa" in m and "subnet-0bbb" not in m for m in named), rows
    assert any("subnet-0bbb" in m and "subnet-0aaa" not in m for m in named), rows
    assert not any('"' in m or "[" in m.split(":")[0] for m in named), rows


def test_an_aws_id_the_templates_do_not_define_asks_for_the_account(tmp_path: Path) -> None:
    """A literal or parameter AWS ID (subnet-...) exists in the account: IN9001 says how to give it."""
    path = _service_in_subnets_parameter(tmp_path)
    rows = _rows(str(path), "-p", "Subnets=subnet-0aaa1111bbbb22223")
    (msg,) = [m for _r, _l, _c, m in rows if "subnet-0aaa1111bbbb22223" in m]
    assert msg.endswith("is not defined in the templates given; give the AWS account it is in (ecsnetpolicy check "
                        "--aws-snapshot DIR, written by ecsnetpolicy snapshot; or --aws), or pass the template that defines it.")
