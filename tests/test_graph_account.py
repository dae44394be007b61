"""`ecsnetpolicy graph` and the markdown coverage summary with an AWS account (issue 11, item 6):
resources the account adapter read are marked (``†`` and a legend line in the text graph and the
coverage summary, ``(account)`` in Mermaid labels); template resources render as before, and a
graph that shows no account resource has no marker and no legend line."""

from __future__ import annotations

import re
import textwrap

import pytest

from ecsnetpolicy import cli
from ecsnetpolicy.engine import analyse
from ecsnetpolicy.load.snapshot import read_snapshot
from ecsnetpolicy.load.template import loads
from ecsnetpolicy.report.graph import ACCOUNT_LEGEND, ACCOUNT_MARK, account_ids, build_summary, render_graph

from helpers import FIXTURES, ROOT

ACCOUNT_DIR = ROOT / "tests" / "fixtures" / "accounts" / "runbook-incident"
SUBNET_A, SUBNET_B = "subnet-08a8015e8a269c406", "subnet-029a9b4a85f46e476"
PARAMS = ["-p", f"PrivateSubnetIds={SUBNET_A},{SUBNET_B}", "-p", "TaskSecurityGroupIds=sg-0f9749c0703d1ee0b"]
LEGEND_LINE = "†         a resource of the AWS account (from the snapshot or read live), not of the template"


@pytest.fixture(autouse=True)
def _account_dir(monkeypatch):
    monkeypatch.chdir(ACCOUNT_DIR)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "ECSNETPOLICY_POLICIES", "ECSNETPOLICY_DEBUG"):
        monkeypatch.delenv(var, raising=False)


def run(capsys, *argv):
    rc = cli.main(list(argv))
    out, _err = capsys.readouterr()
    return rc, out


# ------------------------------------------------------------------------------ runbook incident
RUNBOOK_TEXT = """\
service.yaml

service Service
  coverage (Availability Zone x what the tasks need)
    AZ          subnets                    ecr.api  ecr.dkr  logs  s3
    eu-west-1a  subnet-08a8015e8a269c406†  ok       ok       ok    ok
    eu-west-1b  subnet-029a9b4a85f46e476†  ok       ok       ok    NO ROUTE
  route tables (S3 gateway endpoint)
    subnet                     route table             S3 gateway
    subnet-08a8015e8a269c406†  rtb-011ca185d7ef273ff†  in RouteTableIds of vpce-0b79f30ab61dc3231†
    subnet-029a9b4a85f46e476†  rtb-05de2e2478e7b3cc2†  NOT in RouteTableIds of vpce-0b79f30ab61dc3231†
  internet path
    subnet                     internet
    subnet-08a8015e8a269c406†  none: route table rtb-011ca185d7ef273ff† has no default route to 0.0.0.0/0
    subnet-029a9b4a85f46e476†  none: route table rtb-05de2e2478e7b3cc2† has no default route to 0.0.0.0/0

ok        served in that AZ (an endpoint subnet in the AZ, or the gateway endpoint on the route table)
NO ROUTE  the gateway endpoint is not on the subnet's route table, and no internet path
†         a resource of the AWS account (from the snapshot or read live), not of the template
"""

RUNBOOK_MERMAID = """\
flowchart LR
  %% service.yaml
  subgraph az_eu_west_1a["eu-west-1a"]
    subnet_subnet_08a8015e8a269c406["subnet subnet-08a8015e8a269c406 (account)"]
  end
  subgraph az_eu_west_1b["eu-west-1b"]
    subnet_subnet_029a9b4a85f46e476["subnet subnet-029a9b4a85f46e476 (account)"]
  end
  workload_Service(["service Service"])
  rt_rtb_011ca185d7ef273ff["route table rtb-011ca185d7ef273ff (account)"]
  rt_rtb_05de2e2478e7b3cc2["route table rtb-05de2e2478e7b3cc2 (account)"]
  ep_vpce_0e10c0e5998577ae0[["ecr.api interface endpoint vpce-0e10c0e5998577ae0 (account)"]]
  ep_vpce_00025d9a2f2f16c2c[["ecr.dkr interface endpoint vpce-00025d9a2f2f16c2c (account)"]]
  ep_vpce_0b79f30ab61dc3231(["s3 gateway endpoint vpce-0b79f30ab61dc3231 (account)"])
  ep_vpce_0066ad6ed02c8dd46[["logs interface endpoint vpce-0066ad6ed02c8dd46 (account)"]]
  workload_Service --> subnet_subnet_08a8015e8a269c406
  subnet_subnet_08a8015e8a269c406 --> rt_rtb_011ca185d7ef273ff
  workload_Service --> subnet_subnet_029a9b4a85f46e476
  subnet_subnet_029a9b4a85f46e476 --> rt_rtb_05de2e2478e7b3cc2
  subnet_subnet_08a8015e8a269c406 -->|"ecr.api"| ep_vpce_0e10c0e5998577ae0
  subnet_subnet_08a8015e8a269c406 -->|"ecr.dkr"| ep_vpce_00025d9a2f2f16c2c
  rt_rtb_011ca185d7ef273ff -->|"s3"| ep_vpce_0b79f30ab61dc3231
  subnet_subnet_08a8015e8a269c406 -->|"logs"| ep_vpce_0066ad6ed02c8dd46
  subnet_subnet_029a9b4a85f46e476 -->|"ecr.api"| ep_vpce_0e10c0e5998577ae0
  subnet_subnet_029a9b4a85f46e476 -->|"ecr.dkr"| ep_vpce_00025d9a2f2f16c2c
  rt_rtb_05de2e2478e7b3cc2 -.->|"s3: NO ROUTE"| ep_vpce_0b79f30ab61dc3231
  subnet_subnet_029a9b4a85f46e476 -->|"logs"| ep_vpce_0066ad6ed02c8dd46
"""

RUNBOOK_COVERAGE = """\
### Coverage

**Workload Service**

| Availability Zone | ecr\\.api | ecr\\.dkr | logs | s3 |
| --- | --- | --- | --- | --- |
| eu\\-west\\-1a | ✅ ok | ✅ ok | ✅ ok | ✅ ok |
| eu\\-west\\-1b | ✅ ok | ✅ ok | ✅ ok | ❌ NO ROUTE |

- Route tables: subnet\\-08a8015e8a269c406†: rtb\\-011ca185d7ef273ff† \\(in RouteTableIds of vpce\\-0b79f30ab61dc3231†\\); \
subnet\\-029a9b4a85f46e476†: rtb\\-05de2e2478e7b3cc2† \\(NOT in RouteTableIds of vpce\\-0b79f30ab61dc3231†\\)
- template: service\\.yaml
- subnets: eu\\-west\\-1a: subnet\\-08a8015e8a269c406†; eu\\-west\\-1b: subnet\\-029a9b4a85f46e476†
- internet path: subnet\\-08a8015e8a269c406†: none\\: route table rtb\\-011ca185d7ef273ff† has no default route to 0\\.0\\.0\\.0/0; \
subnet\\-029a9b4a85f46e476†: none\\: route table rtb\\-05de2e2478e7b3cc2† has no default route to 0\\.0\\.0\\.0/0

- legend: ok: served in that AZ \\(an endpoint subnet in the AZ, or the gateway endpoint on the route table\\); \
NO ROUTE: the gateway endpoint is not on the subnet's route table, and no internet path; \
†: a resource of the AWS account \\(from the snapshot or read live\\), not of the template
"""


def test_text_graph_marks_the_account_resources(capsys):
    rc, out = run(capsys, "graph", "service.yaml", "--aws-snapshot", ".", *PARAMS)
    assert rc == 0
    assert out == RUNBOOK_TEXT


def test_mermaid_graph_marks_the_account_resources(capsys):
    rc, out = run(capsys, "graph", "service.yaml", "--aws-snapshot", ".", *PARAMS, "--format", "mermaid")
    assert rc == 0
    assert out == RUNBOOK_MERMAID
    # node IDs stay ours ([A-Za-z0-9_]); the mark sits inside the quoted, escaped label
    for line in out.splitlines()[2:]:
        assert re.fullmatch(
            r'\s*(end|subgraph \w+\["[^"]*"\]|\w+(\[|\(\[|\[\[)"[^"]*"(\]|\]\)|\]\])|\w+ -\.?->(\|"[^"]*"\|)? \w+)', line
        ), line


def test_markdown_coverage_marks_the_account_resources(capsys):
    rc, out = run(capsys, "check", "service.yaml", "--aws-snapshot", ".", *PARAMS, "--format", "markdown")
    assert rc == 2 and "EN3001" in out  # the incident: an error finding
    assert out[out.index("### Coverage"):] == RUNBOOK_COVERAGE


# ------------------------------------------------------------------------------ template only
@pytest.mark.parametrize("fixture", ["runbook_incident.yaml", "graph/three_az.yaml"])
def test_template_only_graph_has_no_marker_and_no_legend(fixture):
    from ecsnetpolicy.load.template import load_file

    report = analyse(load_file(str(FIXTURES / fixture)))
    assert account_ids(report.analyses[0].state) == frozenset()
    text = render_graph(report, fixture)
    mermaid = render_graph(report, fixture, "mermaid")
    assert "served in that AZ" in text  # the status legend is there; the account line is not
    assert ACCOUNT_MARK not in text and ACCOUNT_LEGEND not in text
    assert "(account)" not in mermaid and ACCOUNT_MARK not in mermaid
    summary = build_summary(report, fixture)
    assert ACCOUNT_MARK not in repr(summary) and ACCOUNT_MARK not in summary["legend"]


# ------------------------------------------------------------------------------ template + account
MIXED = textwrap.dedent("""\
    Resources:
      TaskSubnet:
        Type: AWS::EC2::Subnet
        Properties:
          VpcId: vpc-0ee230b0f33235338
          CidrBlock: 10.20.48.0/20
          AvailabilityZone: eu-west-1a
      TaskRouteTable:
        Type: AWS::EC2::RouteTable
        Properties:
          VpcId: vpc-0ee230b0f33235338
      TaskSubnetRouteTable:
        Type: AWS::EC2::SubnetRouteTableAssociation
        Properties:
          SubnetId: !Ref TaskSubnet
          RouteTableId: !Ref TaskRouteTable
      S3Endpoint:
        Type: AWS::EC2::VPCEndpoint
        Properties:
          VpcId: vpc-0ee230b0f33235338
          ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
          VpcEndpointType: Gateway
          RouteTableIds: [!Ref TaskRouteTable]
      TaskDefinition:
        Type: AWS::ECS::TaskDefinition
        Properties:
          RequiresCompatibilities: [FARGATE]
          NetworkMode: awsvpc
          Cpu: '256'
          Memory: '512'
          ExecutionRoleArn: arn:aws:iam::123456789012:role/exec
          ContainerDefinitions:
            - Name: app
              Image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1
      Service:
        Type: AWS::ECS::Service
        Properties:
          TaskDefinition: !Ref TaskDefinition
          LaunchType: FARGATE
          NetworkConfiguration:
            AwsvpcConfiguration:
              Subnets: [!Ref TaskSubnet]
    """)


def test_template_resources_in_an_account_vpc_are_not_marked():
    """The template adds a subnet, its route table and the S3 gateway endpoint to the account's
    VPC; the ECR endpoints are the account's.  Only those are marked; the text graph, which shows
    no account resource here, has no legend line for the mark."""
    account = read_snapshot(".", warn=lambda _line: None)
    report = analyse(loads(MIXED, "mixed.yaml"), region="eu-west-1", account=account)
    ids = account_ids(report.analyses[0].state)
    assert {"vpce-0e10c0e5998577ae0", "vpce-00025d9a2f2f16c2c"} <= ids
    assert not ids & {"TaskSubnet", "TaskRouteTable", "S3Endpoint"}
    text = render_graph(report, "mixed.yaml")
    assert "    TaskSubnet  TaskRouteTable  in RouteTableIds of S3Endpoint" in text.splitlines()
    assert ACCOUNT_MARK not in text
    mermaid = render_graph(report, "mixed.yaml", "mermaid").splitlines()
    assert '    subnet_TaskSubnet["subnet TaskSubnet"]' in mermaid
    assert '  rt_TaskRouteTable["route table TaskRouteTable"]' in mermaid
    assert '  ep_S3Endpoint(["s3 gateway endpoint S3Endpoint"])' in mermaid
    assert '  ep_vpce_0e10c0e5998577ae0[["ecr.api interface endpoint vpce-0e10c0e5998577ae0 (account)"]]' in mermaid
    assert '  ep_vpce_00025d9a2f2f16c2c[["ecr.dkr interface endpoint vpce-00025d9a2f2f16c2c (account)"]]' in mermaid
    assert sum("(account)" in line for line in mermaid) == 2
    assert ACCOUNT_MARK not in build_summary(report, "mixed.yaml").get("legend", {})


def test_text_legend_line_is_the_last_line(capsys):
    _rc, out = run(capsys, "graph", "service.yaml", "--aws-snapshot", ".", *PARAMS)
    assert out.splitlines()[-1] == LEGEND_LINE
    assert out.count(ACCOUNT_LEGEND) == 1


def test_nat_and_internet_gateways_of_the_account_are_marked(capsys, monkeypatch):
    monkeypatch.chdir(ACCOUNT_DIR.parent / "clean-nat")
    params = ["-p", "VpcId=vpc-09f9fcf285bcddf5f", "-p", "PrivateSubnetIds=subnet-095c66777cd6d863d,subnet-06aae3c09735f3a5d"]
    _rc, text = run(capsys, "graph", "service.yaml", "--aws-snapshot", ".", *params)
    assert "    subnet-095c66777cd6d863d†  yes, through NAT gateway nat-0fb71fd52c33c9373†" in text.splitlines()
    assert text.splitlines()[-1] == LEGEND_LINE
    _rc, mermaid = run(capsys, "graph", "service.yaml", "--aws-snapshot", ".", *params, "--format", "mermaid")
    lines = mermaid.splitlines()
    assert '  nat_nat_0fb71fd52c33c9373["NAT gateway nat-0fb71fd52c33c9373 (account)"]' in lines
    assert '  igw_igw_082e326fe55bbe5e3["internet gateway igw-082e326fe55bbe5e3 (account)"]' in lines
    assert '  internet(("internet"))' in lines  # not a resource: unmarked
    assert "  nat_nat_0fb71fd52c33c9373 --> igw_igw_082e326fe55bbe5e3" in lines
