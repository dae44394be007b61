"""EN5001 for an execution role given as an ARN (issue 11): judged from the account snapshot's IAM
details (get-account-authorization-details: inline policies, attached managed policies), with the
same evaluation as a template role.  Small inline templates, snapshots built from AWS CLI shapes
by load/snapshot.build_snapshot; exact rule, line and message.  A role the snapshot lacks gives
IN9001 naming it and the command that captures it, never an error."""

from __future__ import annotations

import json
import textwrap
from urllib.parse import quote

from ecsnetpolicy.api import raw_for
from ecsnetpolicy.checks import to_findings
from ecsnetpolicy.load.snapshot import build_snapshot
from ecsnetpolicy.load.template import loads, locate

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/platform-exec"
EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
CUSTOMER_POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/ecs-pull-and-log"
COMMAND = f"aws iam get-account-authorization-details --filter Role LocalManagedPolicy --region {REGION} --output json > iam-authorization-details.json"
ECR_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/api:1.0"

TEMPLATE = """\
Parameters:
  RoleArn:
    Type: String
    Default: {role}
Resources:
  TaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: '256'
      Memory: '512'
      ExecutionRoleArn: {value}
      ContainerDefinitions:
        - Name: app
          Image: {image}
          LogConfiguration:
            LogDriver: awslogs
            Options:
              awslogs-group: /ecs/app
              awslogs-region: !Ref AWS::Region
              awslogs-stream-prefix: app
{create}
  Service:
    Type: AWS::ECS::Service
    Properties:
      LaunchType: FARGATE
      TaskDefinition: !Ref TaskDefinition
      DesiredCount: 1
      DeploymentConfiguration:
        DeploymentCircuitBreaker: {{Enable: true, Rollback: true}}
      NetworkConfiguration:
        AwsvpcConfiguration:
          Subnets: [subnet-0a]
"""

ROLE_LINE = 13  # "      ExecutionRoleArn: ..."
ROLE_PATH = "Resources.TaskDefinition.Properties.ExecutionRoleArn"


def template(value: str = ROLE_ARN, image: str = ECR_IMAGE, create: str = "") -> str:
    return TEMPLATE.format(role=ROLE_ARN, value=value, image=image, create=create)


def log_groups(*names: str) -> dict:
    """describe-log-groups (it also tells the snapshot its region and account)."""
    return {"logGroups": [{"logGroupName": n, "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{n}:*"} for n in names]}


def role(*, inline=(), attached=(), name="platform-exec") -> dict:
    """One RoleDetailList entry; inline documents are URL-encoded JSON strings, as AWS returns them."""
    return {
        "RoleName": name, "Path": "/", "RoleId": "AROAEXAMPLE", "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "AssumeRolePolicyDocument": quote(json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})),
        "RolePolicyList": [{"PolicyName": pname, "PolicyDocument": quote(json.dumps(doc))} for pname, doc in inline],
        "AttachedManagedPolicies": [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in attached],
    }


def statement(effect: str, *actions: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": list(actions), "Resource": "*"}]}


LOGS_ONLY = ("logs", statement("Allow", "logs:CreateLogStream", "logs:PutLogEvents"))


def customer_policy(doc: dict) -> dict:
    return {"PolicyName": "ecs-pull-and-log", "Arn": CUSTOMER_POLICY_ARN, "DefaultVersionId": "v2", "PolicyVersionList": [
        {"VersionId": "v1", "IsDefaultVersion": False, "Document": quote(json.dumps(statement("Allow", "s3:GetObject")))},
        {"VersionId": "v2", "IsDefaultVersion": True, "Document": quote(json.dumps(doc))},
    ]}


def snapshot(roles=None, policies=()):
    """A snapshot with the task's log group; with get-account-authorization-details when `roles` is a list."""
    docs = [("log-groups.json", log_groups("/ecs/app"))]
    if roles is not None:
        docs.append(("iam.json", {"RoleDetailList": list(roles), "Policies": list(policies), "UserDetailList": [], "GroupDetailList": []}))
    return build_snapshot(docs, source="snap")


def rows(text: str, account, params=None):
    """(rule, line, dotted path, message) of EN5001 and of the IN9001s about it (the network's
    own IN9001s, for subnet-0a that these snapshots do not hold, are not the subject here)."""
    parsed = loads(textwrap.dedent(text), "t.yaml")
    raws = raw_for(parsed, params=params or {}, region=REGION, stack_name="t", account=account)
    out = []
    for f in to_findings(raws, parsed, "t.yaml", locate):
        if f.rule_id in ("EN5001", "EN5002") or (f.rule_id == "IN9001" and "(EN5001)" in f.message):
            out.append((f.rule_id, f.line, ".".join(map(str, f.path)), f.message))
    return out, raws


def test_role_lacking_the_ecr_pull_is_en5001_with_the_fix_in_the_account():
    got, raws = rows(template(), snapshot([role(inline=[LOGS_ONLY])]))
    assert got == [(
        "EN5001", ROLE_LINE, ROLE_PATH,
        f"Execution role {ROLE_ARN} (account role platform-exec) of task definition TaskDefinition (used by service Service) does "
        "not allow ecr:GetAuthorizationToken, ecr:BatchCheckLayerAvailability, ecr:GetDownloadUrlForLayer and ecr:BatchGetImage, "
        "which its tasks need to pull image api:1.0 from ECR, so they fail with ResourceInitializationError: unable to pull secrets "
        "or registry auth (not authorized to perform: ecr:GetAuthorizationToken); in the account, attach the AWS managed policy "
        "AmazonECSTaskExecutionRolePolicy to role platform-exec (aws iam attach-role-policy --role-name platform-exec --policy-arn "
        f"{EXECUTION_POLICY_ARN}).",
    )]
    assert [r.fix for r in raws if r.rule_id == "EN5001"] == [None]  # the edit is outside the template


def test_role_given_by_a_parameter_anchors_on_the_property_that_uses_it():
    got, _ = rows(template(value="!Ref RoleArn"), snapshot([role(inline=[LOGS_ONLY])]))
    assert [(r, line, p) for r, line, p, _m in got] == [("EN5001", ROLE_LINE, ROLE_PATH)]


def test_role_with_the_aws_managed_policy_is_silent():
    assert rows(template(), snapshot([role(attached=[EXECUTION_POLICY_ARN])]))[0] == []


def test_customer_managed_policy_granting_the_actions_is_silent():
    doc = statement("Allow", "ecr:*", "logs:CreateLogStream", "logs:PutLogEvents")
    assert rows(template(), snapshot([role(attached=[CUSTOMER_POLICY_ARN])], [customer_policy(doc)]))[0] == []


def test_customer_managed_policy_reads_its_default_version_only():
    # v1 (not the default) would not grant the pull either; v2 grants only the logs
    doc = statement("Allow", "logs:CreateLogStream", "logs:PutLogEvents")
    got, _ = rows(template(), snapshot([role(attached=[CUSTOMER_POLICY_ARN])], [customer_policy(doc)]))
    assert [r for r, *_ in got] == ["EN5001"]
    assert "does not allow ecr:GetAuthorizationToken," in got[0][3]


def test_explicit_deny_in_an_inline_policy():
    deny = ("no-ecr", {"Version": "2012-10-17", "Statement": [{"Sid": "NoEcr", "Effect": "Deny", "Action": "ecr:*", "Resource": "*"}]})
    got, _ = rows(template(), snapshot([role(attached=[EXECUTION_POLICY_ARN], inline=[deny])]))
    assert [(r, line) for r, line, _p, _m in got] == [("EN5001", ROLE_LINE)]
    assert ("explicitly denies ecr:GetAuthorizationToken, ecr:BatchCheckLayerAvailability, ecr:GetDownloadUrlForLayer and "
            "ecr:BatchGetImage (statement NoEcr of inline policy no-ecr of role platform-exec)") in got[0][3]
    assert got[0][3].endswith("; in the account, narrow that Deny so it no longer covers them.")


def test_role_missing_from_a_snapshot_with_roles_is_in9001():
    got, raws = rows(template(), snapshot([role(name="someone-else", attached=[EXECUTION_POLICY_ARN])]))
    assert got == [(
        "IN9001", ROLE_LINE, ROLE_PATH,
        f"Could not verify that execution role {ROLE_ARN} of task definition TaskDefinition (used by service Service) allows what "
        f"its tasks need (EN5001): it is not in account {ACCOUNT} (snapshot snap); check the ARN, or take the snapshot (`{COMMAND}`) "
        "in the account the template deploys into.",
    )]
    assert not [r for r in raws if r.rule_id[0] in "EW"]


def test_roles_not_captured_is_in9001_naming_the_command():
    got, raws = rows(template(), snapshot(roles=None))
    assert got == [(
        "IN9001", ROLE_LINE, ROLE_PATH,
        f"Could not verify that execution role {ROLE_ARN} of task definition TaskDefinition (used by service Service) allows what "
        f"its tasks need (EN5001): it is not in the snapshot, which holds no IAM roles; add the output of `{COMMAND}` to the "
        "snapshot directory.",
    )]
    assert not [r for r in raws if r.rule_id[0] in "EW"]


def test_attached_customer_policy_missing_from_the_snapshot_is_in9001():
    got, _ = rows(template(), snapshot([role(attached=[CUSTOMER_POLICY_ARN])]))
    assert [(r, line) for r, line, _p, _m in got] == [("IN9001", ROLE_LINE)]
    assert (f"(EN5001): managed policy {CUSTOMER_POLICY_ARN} attached to role platform-exec is not in the snapshot; add the output "
            f"of `{COMMAND}` to the snapshot directory.") in got[0][3]


def test_without_an_account_a_role_arn_is_not_judged():
    # not judged, and said so (issue 14: a role the template set cannot see is IN9001, never silence)
    got = rows(template(), None)[0]
    assert [(r, line) for r, line, _p, _m in got] == [("IN9001", ROLE_LINE)]
    assert "is not defined in the templates given; pass the template that defines it, or an account snapshot" in got[0][3]


def test_a_role_needing_nothing_from_the_role_is_not_reported():
    # a public image and no awslogs: the tasks ask nothing of the execution role
    text = template(image="public.ecr.aws/nginx/nginx:1").replace("          LogConfiguration:\n            LogDriver: awslogs\n", "          LogConfiguration:\n            LogDriver: none\n")
    assert rows(text, snapshot(roles=None))[0] == []


CREATE = "              awslogs-create-group: 'true'"


def test_awslogs_create_group_reads_the_account_role_for_en5002():
    text = template(create=CREATE).replace("awslogs-group: /ecs/app", "awslogs-group: /ecs/new")
    got, _ = rows(text, snapshot([role(attached=[EXECUTION_POLICY_ARN])]))
    assert sorted(r for r, *_ in got) == ["EN5001", "EN5002"]
    en5002 = next(m for r, _l, _p, m in got if r == "EN5002")
    assert "it sets awslogs-create-group: true but its execution role does not allow logs:CreateLogGroup, so ECS cannot create it" in en5002
    en5001 = next(m for r, _l, _p, m in got if r == "EN5001")
    assert en5001.endswith("in the account, allow logs:CreateLogGroup on the log group's ARN only in a policy of role platform-exec "
                           "(aws iam put-role-policy --role-name platform-exec --policy-name POLICY_NAME --policy-document file://policy.json).")
    # granted in the account: the group is auto-created, nothing to report
    grant = ("create-group", statement("Allow", "logs:CreateLogGroup"))
    assert rows(text, snapshot([role(attached=[EXECUTION_POLICY_ARN], inline=[grant])]))[0] == []
