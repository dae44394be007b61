"""The account rules EN2008 (endpoint-service-az) and EN5002 (log-group-exists): small inline
templates analysed by the normal engine, with the account's facts (NetworkState.service_azs and
NetworkState.log_groups) set on the state the adapter built.  Exact rule, anchor, line and message;
silence without the account; IN9001, never an E, for what cannot be decided.  The fixture accounts
(tests/fixtures/accounts/endpoint-service-az, missing-log-group) prove the same end to end."""

from __future__ import annotations

import textwrap

import pytest

from ecsnetpolicy import engine
from ecsnetpolicy.checks import raw_findings, to_findings
from ecsnetpolicy.load.template import loads, locate
from ecsnetpolicy.values import Unknown


def run(monkeypatch, text, *, log_groups=None, service_azs=None, region="us-east-1", params=None, az_names=None):
    """(rule, line, dotted path, message) of the findings EN2008/EN5002 own, and of the IN9001s
    they give, with the account facts set on every scenario's state."""
    original = engine.build_state

    def build(resolver, **kwargs):
        state, by_type = original(resolver, **kwargs)
        state.log_groups = log_groups
        state.service_azs = service_azs
        state.az_names = az_names
        return state, by_type

    monkeypatch.setattr(engine, "build_state", build)
    template = loads(textwrap.dedent(text), "t.yaml")
    report = engine.analyse(template, params=params or {}, region=region, stack_name="svc")
    out = []
    for f in to_findings(raw_findings(report), template, "t.yaml", locate):
        if f.rule_id in ("EN2008", "EN5002") or (f.rule_id == "IN9001" and ("(EN2008)" in f.message or "(EN5002)" in f.message)):
            out.append((f.rule_id, f.line, ".".join(map(str, f.path)), f.message))
    return out


def rule_ids(monkeypatch, text, **kw):
    return [r for r, *_ in run(monkeypatch, text, **kw)]


# ------------------------------------------------------------------------------------- EN2008
ENDPOINT = """\
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
      EnableDnsHostnames: true
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.0.0/24
      AvailabilityZone: us-east-1a
  SubnetE:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: {az_e}
  Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${{AWS::Region}}.secretsmanager
      VpcEndpointType: Interface
      PrivateDnsEnabled: true
      SubnetIds:
        - !Ref SubnetA
        - !Ref SubnetE
"""

SECRETS = "com.amazonaws.us-east-1.secretsmanager"


def test_en2008_subnet_in_an_az_where_the_service_is_not_offered(monkeypatch):
    got = run(monkeypatch, ENDPOINT.format(az_e="us-east-1e"), service_azs={SECRETS: {"us-east-1a", "us-east-1b"}})
    assert got == [(
        "EN2008", 28, "Resources.Endpoint.Properties.SubnetIds.1",
        "Interface endpoint Endpoint (secretsmanager) lists subnet SubnetE in us-east-1e, where the account's "
        "describe-vpc-endpoint-services does not offer com.amazonaws.us-east-1.secretsmanager (it is offered in "
        "us-east-1a and us-east-1b), so the create call fails and the stack rolls back; remove subnet SubnetE from "
        "SubnetIds of Endpoint (tasks in us-east-1e then reach the endpoint across AZs) or use a subnet in an "
        "Availability Zone where the service is offered.",
    )]


def test_en2008_service_keyed_by_its_normalised_name(monkeypatch):
    got = run(monkeypatch, ENDPOINT.format(az_e="us-east-1e"), service_azs={"secretsmanager": {"us-east-1a"}})
    assert [(r, line, p) for r, line, p, _m in got] == [("EN2008", 28, "Resources.Endpoint.Properties.SubnetIds.1")]


def test_en2008_every_subnet_offered_is_clean(monkeypatch):
    assert run(monkeypatch, ENDPOINT.format(az_e="us-east-1e"), service_azs={SECRETS: {"us-east-1a", "us-east-1e"}}) == []


def test_en2008_silent_without_the_account(monkeypatch):
    assert run(monkeypatch, ENDPOINT.format(az_e="us-east-1e"), service_azs=None) == []


def test_en2008_service_missing_from_the_snapshot_is_in9001_not_an_error(monkeypatch):
    got = run(monkeypatch, ENDPOINT.format(az_e="us-east-1e"), service_azs={"com.amazonaws.us-east-1.logs": {"us-east-1a"}})
    assert got == [(
        "IN9001", 26, "Resources.Endpoint.Properties.SubnetIds",
        "Could not verify that com.amazonaws.us-east-1.secretsmanager, the service of interface endpoint Endpoint, is "
        "offered in the Availability Zones of its subnets (EN2008): the account snapshot does not say in which "
        "Availability Zones com.amazonaws.us-east-1.secretsmanager is offered; capture it with aws ec2 "
        "describe-vpc-endpoint-services --service-names com.amazonaws.us-east-1.secretsmanager --output json into the "
        "--aws-snapshot directory.",
    )]


def test_en2008_zone_not_known_by_name_stays_silent(monkeypatch):
    # an index into GetAZs cannot be compared with the account's zone names
    text = ENDPOINT.format(az_e="!Select [4, !GetAZs '']")
    assert run(monkeypatch, text, service_azs={SECRETS: {"us-east-1a"}}) == []


def test_en2008_subnet_given_by_az_id_is_judged_by_the_accounts_name_for_it(monkeypatch):
    # AZ IDs name the same zone in every account; names differ per account, and
    # describe-vpc-endpoint-services lists names: the account's subnets say which name an ID has
    text = ENDPOINT.format(az_e="us-east-1e").replace("AvailabilityZone: us-east-1e", "AvailabilityZoneId: use1-az3")
    got = run(monkeypatch, text, service_azs={SECRETS: {"us-east-1a", "us-east-1b"}}, az_names={"use1-az3": "us-east-1e"})
    assert got == [(
        "EN2008", 28, "Resources.Endpoint.Properties.SubnetIds.1",
        "Interface endpoint Endpoint (secretsmanager) lists subnet SubnetE in us-east-1e (use1-az3), where the account's "
        "describe-vpc-endpoint-services does not offer com.amazonaws.us-east-1.secretsmanager (it is offered in "
        "us-east-1a and us-east-1b), so the create call fails and the stack rolls back; remove subnet SubnetE from "
        "SubnetIds of Endpoint (tasks in us-east-1e (use1-az3) then reach the endpoint across AZs) or use a subnet in an "
        "Availability Zone where the service is offered.",
    )]
    offered = run(monkeypatch, text, service_azs={SECRETS: {"us-east-1a", "us-east-1e"}}, az_names={"use1-az3": "us-east-1e"})
    assert offered == []


def test_en2008_az_id_the_account_does_not_name_is_in9001_not_silence(monkeypatch):
    text = ENDPOINT.format(az_e="us-east-1e").replace("AvailabilityZone: us-east-1e", "AvailabilityZoneId: use1-az9")
    got = run(monkeypatch, text, service_azs={SECRETS: {"us-east-1a"}}, az_names={"use1-az3": "us-east-1e"})
    assert got == [(
        "IN9001", 28, "Resources.Endpoint.Properties.SubnetIds.1",
        "Could not verify that com.amazonaws.us-east-1.secretsmanager, the service of interface endpoint Endpoint, is "
        "offered in the Availability Zones of its subnets (EN2008): subnet SubnetE is given by Availability Zone ID "
        "use1-az9, and no subnet of the account snapshot is in that zone, so its name in this account (which "
        "describe-vpc-endpoint-services uses) is not known; give the subnet's AvailabilityZone by name, or capture the "
        "account's subnets with aws ec2 describe-subnets --output json into the --aws-snapshot directory.",
    )]


def test_en2008_gateway_endpoints_are_not_judged(monkeypatch):
    text = ENDPOINT.format(az_e="us-east-1e").replace("VpcEndpointType: Interface", "VpcEndpointType: Gateway")
    assert "EN2008" not in rule_ids(monkeypatch, text, service_azs={SECRETS: {"us-east-1a"}})


# ------------------------------------------------------------------------------------- EN5002
TASK = """\
Parameters:
  GroupName:
    Type: String
Resources:
{extra}
  TaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: '256'
      Memory: '512'
{role}
      ContainerDefinitions:
        - Name: app
          Image: public.ecr.aws/nginx/nginx:1
          LogConfiguration:
            LogDriver: awslogs
            Options:
              awslogs-group: {group}
              awslogs-region: !Ref AWS::Region
              awslogs-stream-prefix: app
{create}
"""

LOG_CONFIG_PATH = "Resources.TaskDefinition.Properties.ContainerDefinitions.0.LogConfiguration"


def task(group="/ecs/app", extra="", role="", create=""):
    return TASK.format(group=group, extra=extra, role=role, create=create)


def test_en5002_group_nobody_creates(monkeypatch):
    text = task()
    line = text.splitlines().index("          LogConfiguration:") + 1
    got = run(monkeypatch, text, log_groups={"/ecs/other", "/ecs/app-worker"})
    assert got == [(
        "EN5002", line, LOG_CONFIG_PATH,
        "Container app of task definition TaskDefinition sends its logs with awslogs to log group /ecs/app, which does "
        "not exist: no AWS::Logs::LogGroup of the template has that LogGroupName, awslogs-create-group is not true, and "
        "the account has no log group of that name in us-east-1, so its tasks fail with ResourceInitializationError (the "
        "specified log group does not exist); add an AWS::Logs::LogGroup with LogGroupName: /ecs/app to the template (or "
        "create it: aws logs create-log-group --log-group-name /ecs/app).",
    )]


def test_en5002_silent_without_the_account(monkeypatch):
    # no EN5002 without the account, but said (issue 14: a group nobody creates is IN9001, never silence)
    got = run(monkeypatch, task(), log_groups=None)
    assert [(r, p) for r, _line, p, _m in got] == [("IN9001", LOG_CONFIG_PATH)]
    assert "log group /ecs/app" in got[0][3] and "--aws-snapshot" in got[0][3]


def test_en5002_group_in_the_account(monkeypatch):
    assert run(monkeypatch, task(), log_groups={"/ecs/app"}) == []


LOG_GROUP = """\
  LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: {name}"""


@pytest.mark.parametrize("group, name", [
    ("/ecs/app", "/ecs/app"),
    ("!Ref LogGroup", "/ecs/anything"),
    ("!Sub /ecs/${AWS::StackName}/app", "!Sub /ecs/${AWS::StackName}/app"),
])
def test_en5002_group_created_by_the_template(monkeypatch, group, name):
    assert run(monkeypatch, task(group=group, extra=LOG_GROUP.format(name=name)), log_groups=set()) == []


def test_en5002_template_group_of_another_name_does_not_count(monkeypatch):
    got = rule_ids(monkeypatch, task(extra=LOG_GROUP.format(name="/ecs/other")), log_groups=set())
    assert got == ["EN5002"]


ROLE = """\
  ExecutionRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{Service: ecs-tasks.amazonaws.com}}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
{inline}"""
INLINE_CREATE = """\
      Policies:
        - PolicyName: create-group
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: logs:CreateLogGroup
                Resource: '*'"""
CREATE = "              awslogs-create-group: 'true'"
USES_ROLE = "      ExecutionRoleArn: !GetAtt ExecutionRole.Arn"


def test_en5002_auto_created_with_the_permission(monkeypatch):
    text = task(extra=ROLE.format(inline=INLINE_CREATE), role=USES_ROLE, create=CREATE)
    assert run(monkeypatch, text, log_groups=set()) == []


def test_en5002_create_group_without_the_permission(monkeypatch):
    text = task(extra=ROLE.format(inline=""), role=USES_ROLE, create=CREATE)
    got = run(monkeypatch, text, log_groups=set())
    assert [(r, p) for r, _l, p, _m in got] == [("EN5002", LOG_CONFIG_PATH)]
    assert ("it sets awslogs-create-group: true but its execution role does not allow logs:CreateLogGroup, so ECS "
            "cannot create it") in got[0][3]


def test_en5002_create_group_with_a_role_given_by_arn_is_unknown(monkeypatch):
    role = "      ExecutionRoleArn: arn:aws:iam::123456789012:role/platform-exec"
    got = run(monkeypatch, task(role=role, create=CREATE), log_groups=set())
    assert [(r, p) for r, _l, p, _m in got] == [("IN9001", LOG_CONFIG_PATH)]
    assert "arn:aws:iam::123456789012:role/platform-exec allows logs:CreateLogGroup" in got[0][3]


def test_en5002_unresolvable_group_name_is_in9001_not_an_error(monkeypatch):
    got = run(monkeypatch, task(group="!Ref GroupName"), log_groups={"/ecs/other"})
    assert [(r, p) for r, _l, p, _m in got] == [("IN9001", LOG_CONFIG_PATH)]
    assert got[0][3].startswith("Could not verify that log group (not known) of container app of task definition TaskDefinition exists (EN5002): ")
    # with a value, it is judged
    assert rule_ids(monkeypatch, task(group="!Ref GroupName"), log_groups={"/ecs/other"}, params={"GroupName": "/ecs/x"}) == ["EN5002"]


def test_en5002_name_from_the_stack_name_is_not_judged_against_the_account(monkeypatch):
    # the stack name of the check may not be the deployed one: never an error on it
    got = run(monkeypatch, task(group="!Sub /ecs/${AWS::StackName}"), log_groups={"/ecs/other"})
    assert [(r, p) for r, _l, p, _m in got] == [("IN9001", LOG_CONFIG_PATH)]
    assert "built from AWS::StackName" in got[0][3]


def test_en5002_log_groups_not_captured_in_a_snapshot_is_in9001(monkeypatch):
    got = run(monkeypatch, task(), log_groups=Unknown("the account snapshot holds no log groups"))
    assert got == [(
        "IN9001", got[0][1], LOG_CONFIG_PATH,
        "Could not verify that log group /ecs/app of container app of task definition TaskDefinition exists (EN5002): "
        "the account snapshot holds no log groups; capture the account's log groups with aws logs describe-log-groups "
        "--output json into the --aws-snapshot directory.",
    )]


def test_en5002_other_log_drivers_are_not_judged(monkeypatch):
    text = task().replace("LogDriver: awslogs", "LogDriver: splunk")
    assert run(monkeypatch, text, log_groups=set()) == []


def test_en5002_names_the_workload_that_runs_the_task_definition(monkeypatch):
    service = """\
  Service:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: !Ref TaskDefinition
      LaunchType: FARGATE
      NetworkConfiguration:
        AwsvpcConfiguration:
          Subnets: [subnet-0123456789abcdef0]"""
    got = run(monkeypatch, task(extra=service), log_groups=set())
    assert [r for r, *_ in got] == ["EN5002"]
    assert got[0][3].startswith("Container app of task definition TaskDefinition (used by service Service) sends its logs")


def test_en2008_az_id_named_by_the_snapshots_subnets(tmp_path, capsys):
    """End to end: the account adapter reads the ID -> name pairs from the snapshot's subnets."""
    import json

    from ecsnetpolicy.cli import main
    from helpers import ROOT

    snapshot = ROOT / "tests" / "fixtures" / "accounts" / "endpoint-service-az"
    template = tmp_path / "t.yaml"
    template.write_text(textwrap.dedent("""\
        Resources:
          SubnetA:
            Type: AWS::EC2::Subnet
            Properties:
              VpcId: vpc-0e4cd9ed0d4c05537
              CidrBlock: 10.120.64.0/24
              AvailabilityZoneId: use1-az6
          SubnetE:
            Type: AWS::EC2::Subnet
            Properties:
              VpcId: vpc-0e4cd9ed0d4c05537
              CidrBlock: 10.120.65.0/24
              AvailabilityZoneId: use1-az3
          Endpoint:
            Type: AWS::EC2::VPCEndpoint
            Properties:
              VpcId: vpc-0e4cd9ed0d4c05537
              ServiceName: !Sub com.amazonaws.${AWS::Region}.secretsmanager
              VpcEndpointType: Interface
              PrivateDnsEnabled: true
              SubnetIds: [!Ref SubnetA, !Ref SubnetE]
        """))
    assert main(["check", str(template), "--aws-snapshot", str(snapshot), "--region", "us-east-1", "-f", "json", "--fail-on", "none"]) == 0
    found = [(f["Rule"]["Id"], f["Location"]["Start"]["LineNumber"], f["Message"]) for f in json.loads(capsys.readouterr().out)
             if f["Rule"]["Id"] == "EN2008" or "(EN2008)" in f["Message"]]
    assert [(rule, line) for rule, line, _ in found] == [("EN2008", 21)]
    assert "lists subnet SubnetE in us-east-1e (use1-az3)" in found[0][2]
