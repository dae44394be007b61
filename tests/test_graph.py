"""`ecsnetpolicy graph` and the coverage summary of the markdown report.

Golden files: ``tests/golden/graph_three_az.txt`` and ``.mmd`` hold exactly what
``ecsnetpolicy graph tests/fixtures/templates/graph/three_az.yaml [--format mermaid]`` prints
when run from the repository root.  After an intended change of the output, rewrite them and
review the diff:

    UPDATE_GOLDEN=1 python -m pytest tests/test_cli.py tests/test_graph.py -k golden
"""

from __future__ import annotations

import re

import pytest

from ecsnetpolicy import cli
from ecsnetpolicy.engine import analyse
from ecsnetpolicy.report import render
from ecsnetpolicy.report.graph import (
    LEGEND,
    _Ids,
    build_summary,
    mermaid_label,
    render_graph,
    workload_views,
)

from helpers import FIXTURES, ROOT
from test_cli import assert_one_line_error, check_golden, run

THREE_AZ = "tests/fixtures/templates/graph/three_az.yaml"
INCIDENT = "tests/fixtures/templates/runbook_incident.yaml"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "ECSNETPOLICY_POLICIES", "ECSNETPOLICY_DEBUG"):
        monkeypatch.delenv(var, raising=False)


def load(path):
    from ecsnetpolicy.load.template import load_file

    return load_file(str(path))


def view_of(path, **kwargs):
    report = analyse(load(path), **kwargs)
    views = workload_views(report.analyses[0])
    assert len(views) == 1
    return views[0]


def matrix(view):
    return {label: {s: view.cells.get((label, s)) for s in view.services} for label, _ in view.rows}


# ------------------------------------------------------------------------------ the matrix
def test_three_az_matrix():
    view = view_of(THREE_AZ)
    assert view.services == ["ecr.api", "ecr.dkr", "logs", "s3"]
    assert view.rows == [
        ("AZ #1 of the region", ["PrivateSubnetA"]),
        ("AZ #2 of the region", ["PrivateSubnetB"]),
        ("AZ #3 of the region", ["PrivateSubnetC"]),
    ]
    ok = {"ecr.api": "ok", "ecr.dkr": "ok", "logs": "ok", "s3": "ok"}
    assert matrix(view) == {
        "AZ #1 of the region": ok,
        "AZ #2 of the region": ok,
        "AZ #3 of the region": {"ecr.api": "cross-AZ", "ecr.dkr": "cross-AZ", "logs": "cross-AZ", "s3": "ok"},
    }
    assert [s.s3_ok for s in view.subnets] == [True, True, True]
    assert [s.internet for s in view.subnets] == [False, False, False]


def test_three_az_findings_are_the_cross_az_warnings():
    from helpers import standalone

    rows = standalone(FIXTURES / "graph" / "three_az.yaml")
    assert [r[0] for r in rows] == ["WN2002"] * 3
    assert all("PrivateSubnetC (AZ #3 of the region)" in r[3] for r in rows)


def test_incident_no_route_in_second_az():
    view = view_of(INCIDENT)
    m = matrix(view)
    assert m["AZ #1 of the region"]["s3"] == "ok"
    assert m["AZ #2 of the region"]["s3"] == "NO ROUTE"
    assert {m["AZ #2 of the region"][s] for s in ("ecr.api", "ecr.dkr", "logs")} == {"ok"}
    b = view.subnets[1]
    assert (b.lid, b.route_table, b.s3_ok) == ("PrivateSubnetB", "PrivateRouteTableB", False)
    assert b.s3 == "NOT in RouteTableIds of S3GatewayEndpoint"
    assert b.internet is False and "no default route" in b.internet_text


@pytest.mark.parametrize(
    "fixture, service, status",
    [
        ("EN2001/bad_missing_logs_endpoint.yaml", "logs", "MISSING"),
        ("EN2003/bad_private_dns_false.yaml", "ecr.dkr", "NO DNS"),
        ("EN2006/bad_logs_endpoint_no_type.yaml", "logs", "WRONG TYPE"),
        ("EN3001/bad_subnet_on_main_route_table.yaml", "s3", "NO ROUTE"),
        ("EN4001/bad_dockerhub_image_no_internet.yaml", "internet", "NO INTERNET"),
        ("good_public_nat.yaml", "ecr.dkr", "internet"),
        ("WN2002/bad_ecr_dkr_endpoint_one_az.yaml", "ecr.dkr", "cross-AZ"),
    ],
)
def test_failing_and_other_cells(fixture, service, status):
    view = view_of(FIXTURES / fixture)
    assert status in [view.cells.get((label, service)) for label, _ in view.rows]


def test_internet_path_through_nat():
    view = view_of(FIXTURES / "EN1001" / "bad_https_egress_vpc_only_behind_nat.yaml")
    assert set(view.cells.values()) == {"internet"}
    assert [s.internet_text for s in view.subnets] == ["yes, through NAT gateway NatGateway"] * 2
    assert all(s.s3 == "no S3 gateway endpoint in VPC Vpc" for s in view.subnets)


def test_undecidable_cell_is_a_question_mark(tmp_path):
    text = (FIXTURES / "runbook_incident.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "      RouteTableIds:\n        - !Ref PrivateRouteTableA\n",
        "      RouteTableIds: !Ref RouteTableIds\n",
    ).replace("Parameters:\n", "Parameters:\n  RouteTableIds:\n    Type: CommaDelimitedList\n", 1)
    path = tmp_path / "unknown_rts.yaml"
    path.write_text(text, encoding="utf-8")
    view = view_of(path)
    assert {view.cells[(label, "s3")] for label, _ in view.rows} == {"?"}
    assert all(s.s3.startswith("?") for s in view.subnets)
    out = render_graph(analyse(load(path)), "unknown_rts.yaml")
    assert re.search(r"^\?\s+" + re.escape(LEGEND["?"]) + "$", out, re.M)


def test_unknown_subnets_are_explained_not_drawn(capsys):
    rc, out, err = run(capsys, "graph", "tests/fixtures/templates/traps/e_subnets_parameter_no_default.yaml")
    assert rc == 0 and err == ""
    assert "not shown: where tasks of service Service run: parameter SubnetIds has no value" in out
    assert "coverage" not in out


def test_parameter_makes_it_decidable(capsys):
    path = "tests/fixtures/templates/IN9001/bad_image_parameter_no_default.yaml"
    rc, out, _ = run(capsys, "graph", path)
    assert rc == 0 and "not shown: which registry the image" in out
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.0"
    rc, out, _ = run(capsys, "graph", path, "--parameter", f"ImageUri={image}")
    assert rc == 0 and "not shown" not in out
    assert "ecr.dkr" in out


def test_region_decides_whether_the_image_needs_the_internet(capsys):
    path = "tests/fixtures/templates/IN9001/bad_image_parameter_no_default.yaml"
    image = "ImageUri=123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.0"
    rc, out, _ = run(capsys, "graph", path, "-p", image, "--region", "eu-west-1")
    assert rc == 0 and "NO INTERNET" not in out and "internet" not in out.split("internet path")[0]
    rc, out, _ = run(capsys, "graph", path, "-p", image, "--region", "us-east-1")
    assert rc == 0 and "NO INTERNET" in out  # ECR of another region is reached over the internet


def test_several_scenarios_use_the_first_and_say_so(capsys):
    rc, out, _ = run(capsys, "graph", "tests/fixtures/templates/traps/f_conditional_route_tables.yaml")
    assert rc == 0
    assert out.splitlines()[1] == "(2 condition scenarios; showing the first (TwoRouteTables true))"
    rc, out, _ = run(capsys, "graph", "tests/fixtures/templates/traps/f_conditional_route_tables.yaml", "-f", "mermaid")
    assert "%% 2 condition scenarios; showing the first" in out


def test_template_without_workloads(capsys, tmp_path):
    path = tmp_path / "vpc.yaml"
    path.write_text("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.0.0.0/16\n")
    rc, out, _ = run(capsys, "graph", str(path))
    assert rc == 0 and "no ECS service or task set with awsvpc networking" in out
    rc, out, _ = run(capsys, "graph", str(path), "--format", "mermaid")
    assert rc == 0 and out.startswith("flowchart LR\n")


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "argv",
    [
        ["graph", "tests/fixtures/templates/no_such_file.yaml"],
        ["graph", THREE_AZ, "--format", "dot"],
        ["graph", THREE_AZ, "--parameter", "oops"],
        ["graph"],
        ["graph", "tests/fixtures/no_such_folder/*.yaml"],
    ],
)
def test_graph_errors_are_one_line(capsys, argv):
    assert_one_line_error(*run(capsys, *argv))


def test_graph_of_a_non_template(capsys, tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text("replicaCount: 2\nimage: nginx\n")
    rc, out, err = run(capsys, "graph", str(path))
    assert_one_line_error(rc, out, err)
    assert "not a CloudFormation template" in err


def test_graph_of_an_unparsable_file(capsys, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("Resources:\n  Vpc: [\n")
    assert_one_line_error(*run(capsys, "graph", str(path)))


# ------------------------------------------------------------------------------ mermaid
def test_mermaid_structure(capsys):
    rc, out, err = run(capsys, "graph", INCIDENT, "--format", "mermaid")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "flowchart LR"
    subgraphs = [line.strip() for line in lines if line.strip().startswith("subgraph ")]
    assert subgraphs == [
        'subgraph az_AZ__1_of_the_region["AZ #35;1 of the region"]',
        'subgraph az_AZ__2_of_the_region["AZ #35;2 of the region"]',
    ]
    assert lines.count("  end") == 2
    # the failing edge is dashed and labelled; the working ones are solid
    assert '  rt_PrivateRouteTableB -.->|"s3: NO ROUTE"| ep_S3GatewayEndpoint' in lines
    assert '  rt_PrivateRouteTableA -->|"s3"| ep_S3GatewayEndpoint' in lines
    assert '  subnet_PrivateSubnetB -->|"ecr.dkr"| ep_EcrDkrEndpoint' in lines
    assert sum("-.->" in line for line in lines) == 1


def test_mermaid_nat_and_internet_gateway(capsys):
    rc, out, _ = run(capsys, "graph", "tests/fixtures/templates/EN1001/bad_https_egress_vpc_only_behind_nat.yaml", "-f", "mermaid")
    lines = out.splitlines()
    assert '  rt_PrivateRouteTable -->|"0.0.0.0/0: ecr.api, ecr.dkr, s3, logs"| nat_NatGateway' in lines
    assert "  nat_NatGateway --> igw_InternetGateway" in lines
    assert "  igw_InternetGateway --> internet" in lines


def test_mermaid_missing_endpoint_is_a_dashed_edge(capsys):
    rc, out, _ = run(capsys, "graph", "tests/fixtures/templates/EN2001/bad_missing_logs_endpoint.yaml", "-f", "mermaid")
    assert '  subnet_PrivateSubnetA -.->|"logs: MISSING"| missing_logs' in out.splitlines()


def test_mermaid_label_escaping():
    assert mermaid_label('a"b') == '"a#quot;b"'
    assert mermaid_label("x<img src=1>#y`z") == '"x#lt;img src=1#gt;#35;y#96;z"'
    assert mermaid_label("two\nlines\r\nhere") == '"two lines here"'


def test_mermaid_ids():
    ids = _Ids()
    assert ids("subnet", "Private-Subnet A") == "subnet_Private_Subnet_A"
    assert ids("subnet", "Private_Subnet_A") == "subnet_Private_Subnet_A_2"  # collides after escaping
    assert ids("subnet", "Private-Subnet A") == "subnet_Private_Subnet_A"  # stable
    assert ids("rt", "end") == "rt_end"


EVIL = 'Evil"Sub<b>net#1 end'


def test_mermaid_escapes_template_controlled_names(capsys, tmp_path):
    text = (FIXTURES / "runbook_incident.yaml").read_text(encoding="utf-8")
    path = tmp_path / "evil.yaml"
    path.write_text(text.replace("PrivateSubnetB", "'" + EVIL + "'").replace("'" + EVIL + "'RouteTableAssociation", "EvilAssoc"), encoding="utf-8")
    rc, out, err = run(capsys, "graph", str(path), "-f", "mermaid")
    assert rc == 0 and err == "", err
    assert "subnet Evil#quot;Sub#lt;b#gt;net#35;1 end" in out
    for line in out.splitlines()[2:]:
        for label in re.findall(r'"([^"]*)"', line):
            assert "<" not in label and ">" not in label
        assert line.count('"') % 2 == 0, line
        stripped = re.sub(r'"[^"]*"', '""', line)
        for token in re.findall(r"[A-Za-z0-9_]+(?=[\[\(\{])", stripped):
            assert re.fullmatch(r"[A-Za-z0-9_]+", token)
    assert "subnet_Evil_Sub_b_net_1_end" in out


# ------------------------------------------------------------------------------ summary
def test_build_summary_shape():
    summary = build_summary(analyse(load(FIXTURES / "runbook_incident.yaml")), INCIDENT)
    (wl,) = summary["workloads"]
    assert wl["name"] == "Service"
    assert wl["matrix"] == {
        "AZ #1 of the region": {"ecr.api": "ok", "ecr.dkr": "ok", "logs": "ok", "s3": "ok"},
        "AZ #2 of the region": {"ecr.api": "ok", "ecr.dkr": "ok", "logs": "ok", "s3": "❌ NO ROUTE"},
    }
    assert wl["route_tables"] == {
        "PrivateSubnetA": "PrivateRouteTableA (in RouteTableIds of S3GatewayEndpoint)",
        "PrivateSubnetB": "PrivateRouteTableB (NOT in RouteTableIds of S3GatewayEndpoint)",
    }
    assert wl["template"] == INCIDENT
    assert set(summary["legend"]) == {"ok", "NO ROUTE"}


def test_summary_statuses_get_icons_in_markdown():
    summary = build_summary(analyse(load(FIXTURES / "graph" / "three_az.yaml")), THREE_AZ)
    out = render([], "markdown", summary=summary)
    row = next(line for line in out.splitlines() if line.startswith("| AZ \\#\u20603"))
    assert row == "| AZ \\#\u20603 of the region | ⚠️ cross\\-AZ | ⚠️ cross\\-AZ | ⚠️ cross\\-AZ | ✅ ok |"


def test_summary_of_a_template_without_workloads_is_empty():
    template = {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}}
    assert build_summary(analyse(template)) == {}


def test_markdown_summary_of_several_templates(capsys):
    rc, out, _ = run(capsys, "check", INCIDENT, THREE_AZ, "--format", "markdown")
    assert rc == 2
    coverage = out.split("### Coverage", 1)[1]
    assert coverage.count("**Workload Service**") == 2
    assert "- template: tests/fixtures/templates/graph/three\\_az\\.yaml" in coverage
    assert "- template: tests/fixtures/templates/runbook\\_incident\\.yaml" in coverage


def test_markdown_summary_of_a_deployment_names_the_service_template(capsys):
    rc, out, _ = run(capsys, "check", "tests/fixtures/deployments/split/network.yaml", "tests/fixtures/deployments/split/service.yaml", "--format", "markdown")
    assert rc == 2
    coverage = out.split("### Coverage", 1)[1]
    assert "- template: tests/fixtures/deployments/split/service\\.yaml" in coverage
    assert "❌ NO ROUTE" in coverage


# ------------------------------------------------------------------------------ golden files
@pytest.mark.parametrize("fmt, suffix", [("text", "txt"), ("mermaid", "mmd")])
def test_golden_graph_three_az(capsys, fmt, suffix):
    rc, out, err = run(capsys, "graph", THREE_AZ, "--format", fmt)
    assert rc == 0 and err == ""
    check_golden(f"graph_three_az.{suffix}", out)


def test_graph_takes_several_files_and_folders_like_check(capsys):
    """Issue 15: `graph` over files and folders; each template judged with the others given."""
    rc, out, err = run(capsys, "graph", THREE_AZ, INCIDENT)
    assert rc == 0, err
    assert out.startswith(f"{THREE_AZ}\n") and f"\n{INCIDENT}\n" in out
    rc, out, _ = run(capsys, "graph", "tests/fixtures/deployments/split")
    assert rc == 0
    # the service's graph knows the network stack it imports from (the folder is one deployment)
    service = out[out.index("tests/fixtures/deployments/split/service.yaml\n"):]
    assert "NOT in RouteTableIds of S3GatewayEndpoint" in service.split("tests/fixtures/deployments/split/service_wrong_export.yaml")[0]
    rc, out, _ = run(capsys, "graph", "tests/fixtures/deployments/split", "--format", "mermaid")
    assert rc == 0 and out.count("```mermaid\n") == 3 and out.startswith("### tests/fixtures/deployments/split/network.yaml\n")
