"""Whole deployments: template sets judged as one, findings anchored in the file to edit."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from ecsnetpolicy.cli import main
from helpers import ROOT, ours, plugin_run

DEP = ROOT / "tests" / "fixtures" / "deployments"
NETWORK = DEP / "split" / "network.yaml"
SERVICE = DEP / "split" / "service.yaml"

EN3001_SPLIT = (
    "Tasks of service Service in subnet PrivateSubnetB pull image api:1.0 from ECR (the image layers come from S3), "
    "but route table PrivateRouteTableB of that subnet is not in RouteTableIds of S3 gateway endpoint "
    "S3GatewayEndpoint and it has no internet path, so those tasks fail with CannotPullContainerError; add "
    "PrivateRouteTableB to RouteTableIds of S3GatewayEndpoint."
)


def _route_table_ids_line(path: Path) -> int:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  S3GatewayEndpoint:"))
    return next(i for i in range(start, len(lines)) if lines[i].strip().startswith("RouteTableIds:")) + 1


def run_json(capsys, *args):
    code = main(["check", "--format", "json", *map(str, args)])
    out = capsys.readouterr().out
    rows = [(os.path.relpath(m["Filename"], ROOT), m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"], m["Message"]) for m in json.loads(out)]
    return code, sorted(rows)


@pytest.fixture(autouse=True)
def _no_config(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .ecsnetpolicy.yaml found upward from here


def rel(p: Path) -> str:
    return os.path.relpath(p, ROOT)


def test_split_network_and_service_en3001_in_network_file(capsys):
    code, rows = run_json(capsys, NETWORK, SERVICE)
    assert code == 2
    assert rows == [(rel(NETWORK), "EN3001", _route_table_ids_line(NETWORK), EN3001_SPLIT)]


def test_service_alone_is_unknown_not_wrong(capsys):
    code, rows = run_json(capsys, SERVICE)
    assert code == 0
    assert {r[1] for r in rows} == {"IN9001"}
    assert all("comes from a template not given" in r[3] for r in rows)


def test_wrong_export_name_is_in9001_naming_the_export(capsys):
    wrong = DEP / "split" / "service_wrong_export.yaml"
    code, rows = run_json(capsys, NETWORK, wrong)
    assert code == 0
    line = next(i for i, l in enumerate(wrong.read_text().splitlines(), 1) if "ImportValue" in l and "PrivateSubnetBB" in l)
    assert rows == [(
        rel(wrong), "IN9001", line,
        "Could not verify where tasks of service Service run: no template of the deployment (network, "
        "service_wrong_export) exports network-PrivateSubnetBB; check the export name, or pass the exporting "
        "template too.",
    )]


def test_nested_parent_with_two_children(capsys):
    parent = DEP / "nested" / "parent.yaml"
    code, rows = run_json(capsys, parent)
    assert code == 2
    assert rows == [(rel(NETWORK), "EN3001", _route_table_ids_line(NETWORK), EN3001_SPLIT)]


def test_cdk_json_deployment(capsys):
    cdk = DEP / "cdk" / "cdk.out"
    code, rows = run_json(capsys, cdk)
    assert code == 2
    net = cdk / "NetworkStack.template.json"
    lines = net.read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if '"VpcS3EndpointE3B4C5D6": {' in l)
    line = next(i for i in range(start, len(lines)) if '"RouteTableIds"' in lines[i]) + 1
    assert rows == [(rel(net), "EN3001", line,
        "Tasks of service ApiService2E1A6A3C in subnet VpcPrivateSubnet2Subnet3788AAA1 pull image api:1.0 from ECR "
        "(the image layers come from S3), but route table VpcPrivateSubnet2RouteTableA678073B of that subnet is not "
        "in RouteTableIds of S3 gateway endpoint VpcS3EndpointE3B4C5D6 and it has no internet path, so those tasks "
        "fail with CannotPullContainerError; add VpcPrivateSubnet2RouteTableA678073B to RouteTableIds of "
        "VpcS3EndpointE3B4C5D6.")]


def test_unrelated_templates_in_one_run_are_judged_alone(capsys):
    # two copies of a complete template: same logical IDs, no imports between them
    incident = ROOT / "tests" / "fixtures" / "templates" / "runbook_incident.yaml"
    good = ROOT / "tests" / "fixtures" / "templates" / "good_private_endpoints.yaml"
    code, rows = run_json(capsys, incident, good)
    assert [r[1] for r in rows] == ["EN3001"]
    assert "@" not in rows[0][3]  # no qualified names: judged as it is


def _config(tmp_path, text):
    cfg = tmp_path / ".ecsnetpolicy.yaml"
    cfg.write_text(textwrap.dedent(text))
    return cfg


def test_config_lists_stacks_and_plugin_resolves_imports(tmp_path, capsys):
    _config(tmp_path, f"""\
        version: 1
        allow_paths_outside: true  # the templates live in the repository's fixtures, outside tmp_path
        stacks:
          - name: network
            template: {NETWORK}
          - name: api
            template: {SERVICE}
        """)
    # our command on the service alone: the network comes from the config, the finding is in network
    code, rows = run_json(capsys, SERVICE)
    assert rows == [] and code == 0  # findings are reported for the files given
    code, rows = run_json(capsys, NETWORK)
    assert [r[1:3] for r in rows] == [("EN3001", _route_table_ids_line(NETWORK))]
    # cfn-lint on the network file alone, config in the working directory: same finding
    got = ours(plugin_run([NETWORK])[str(NETWORK)])
    assert [(r, l, m) for r, l, _c, m in got] == [("EN3001", _route_table_ids_line(NETWORK), EN3001_SPLIT)]
    # and the service file: its imports resolve, nothing of ours is wrong there
    assert ours(plugin_run([SERVICE])[str(SERVICE)]) == []


def test_config_errors_name_file_line_and_field(tmp_path, capsys):
    cfg = _config(tmp_path, """\
        version: 1
        stacks:
          - name: network
            tempalte: network.yaml
        """)
    code = main(["check", str(NETWORK)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and f"{cfg}:3:" in err and "stacks/0" in err


def test_config_parameter_values_decide(tmp_path, capsys):
    wrong = DEP / "split" / "service_wrong_export.yaml"
    # with NetworkStack pointing at a stack name nobody exports under, everything imported is unknown
    _config(tmp_path, f"""\
        version: 1
        allow_paths_outside: true  # the templates live in the repository's fixtures, outside tmp_path
        stacks:
          - {{name: net, template: {NETWORK}}}
          - {{name: svc, template: {SERVICE}, parameters: {{NetworkStack: net}}}}
        """)
    code, rows = run_json(capsys, NETWORK, SERVICE)
    assert [(r[0], r[1]) for r in rows] == [(rel(NETWORK), "EN3001")]
    del wrong


def test_cfn_lint_parameter_sources_reach_the_engine(tmp_path):
    """--parameters (one string for a list parameter), --parameter-files and --deployment-files."""
    from helpers import FIXTURES

    trap_e = FIXTURES / "traps" / "e_subnets_parameter_no_default.yaml"
    got = ours(plugin_run([trap_e], ["--parameters", "SubnetIds=subnet-aaa,subnet-bbb"])[str(trap_e)])
    assert [r[0] for r in got] == ["IN9001", "IN9001"]
    assert "subnet-aaa" in got[0][3] + got[1][3] and "subnet-bbb" in got[0][3] + got[1][3]
    pfile = tmp_path / "params.json"
    pfile.write_text(json.dumps([{"ParameterKey": "SubnetIds", "ParameterValue": "subnet-aaa,subnet-bbb"}]))
    # (cfn-lint 1.x lints the template a second time without the parameter file: its findings add)
    assert set(got) <= set(ours(plugin_run([trap_e], ["--parameter-files", str(pfile)])[str(trap_e)]))
    trap_f = FIXTURES / "traps" / "f_conditional_route_tables.yaml"
    for mode, expected in (("ha", []), ("single", ["EN3001"])):
        dfile = tmp_path / f"deploy-{mode}.yaml"
        dfile.write_text(f"template-file-path: {trap_f}\nparameters:\n  Mode: {mode}\n")
        from cfnlint.config import ConfigMixIn
        from cfnlint.runner import Runner

        matches = list(Runner(ConfigMixIn(["--append-rules=ecsnetpolicy.rules", "--include-checks", "I", "--deployment-files", str(dfile)])).run())
        rows = ours(matches)
        assert [r[0] for r in rows] == expected
        assert all("when condition" not in r[3] for r in rows)  # the value decides the scenario
