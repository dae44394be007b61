"""Issue 16: the CloudFormation Lambda hook (``ecsnetpolicy.hook.handler``).

Invocations are the fixtures under tests/fixtures/hook/, in the shapes and with the field names of
"Create Lambda functions to evaluate resources for Lambda Hooks" (CloudFormation Hooks User Guide).
The account is moto's (``mock_aws``): the runbook-incident fixture account rebuilt by
tests/accounts_moto.py, the template payloads put in a moto S3 bucket and read back through their
presigned URLs.  No test reaches the network (requests go to a dead local proxy if moto does not
answer them) and none asserts a duration.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest

from helpers import ROOT

pytest.importorskip("moto")
pytest.importorskip("boto3")
requests = pytest.importorskip("requests")

FIXTURES = ROOT / "tests" / "fixtures" / "hook"
ACCOUNT = ROOT / "tests" / "fixtures" / "accounts" / "runbook-incident"
INCIDENT = ROOT / "tests" / "fixtures" / "templates" / "runbook_incident.yaml"
REGION = "eu-west-1"
PLACEHOLDER = "{{changeSet:KNOWN_AFTER_APPLY}}"
S3_FIX = "      RouteTableIds:\n        - !Ref PrivateRouteTableA\n"  # the incident's S3 endpoint: one route table of two
SERVICE_SUBNETS_LINE = 85  # accounts/runbook-incident/service.yaml: the service's Subnets


# ------------------------------------------------------------------ set-up


@pytest.fixture
def aws(monkeypatch, tmp_path):
    """Fake credentials, no AWS files, moto started, the hook's settings cleared, payload URLs
    served by moto's S3 (requests is what moto intercepts; the Lambda uses urllib)."""
    from moto import mock_aws

    for key in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_PROFILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "ECSNETPOLICY_DEBUG",
                "ECSNETPOLICY_FAILURE_MODE", "ECSNETPOLICY_FAIL_ON", "ECSNETPOLICY_POLICIES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # anything moto does not answer fails here, offline
    monkeypatch.setenv("NO_PROXY", "")
    from ecsnetpolicy.hook import invocation

    monkeypatch.setattr(invocation, "download", lambda url: requests.get(url, timeout=5).content)
    with mock_aws():
        yield


def _fixture(name: str) -> Dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _put_payload(doc: Dict[str, Any], key: str = "payload.json") -> str:
    """The payload stored in (moto's) S3 and its presigned URL, as CloudFormation hands it over."""
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="hook-payloads")
    s3.put_object(Bucket="hook-payloads", Key=key, Body=json.dumps(doc).encode("utf-8"))
    return s3.generate_presigned_url("get_object", Params={"Bucket": "hook-payloads", "Key": key}, ExpiresIn=300)


def _event(fixture: str, payload: Any = None, **changes: Any) -> Dict[str, Any]:
    event = _fixture(fixture)
    if payload is not None:
        event["requestData"]["payload"] = _put_payload(payload)
    event.update(changes)
    return event


def _call(event: Dict[str, Any], mode: str, monkeypatch, context: Any = None) -> Dict[str, Any]:
    from ecsnetpolicy import hook

    monkeypatch.setenv("ECSNETPOLICY_FAILURE_MODE", mode)
    return hook.handler(event, context)


def _rules(answer: Dict[str, Any]) -> List[str]:
    return re.findall(r"^([EWI]N\d{4}) ", answer["message"], re.M)


def _moto_s3_prefix_list() -> str:
    import boto3

    lists = boto3.client("ec2", region_name=REGION).describe_prefix_lists()["PrefixLists"]
    return next(p["PrefixListId"] for p in lists if p["PrefixListName"].endswith(".s3"))


def _incident(fixed: bool = False) -> str:
    """tests/fixtures/templates/runbook_incident.yaml, its S3 prefix list parameter set to moto's
    (the default is us-east-1's real ID, which moto's account does not have); `fixed`: the S3
    endpoint lists both route tables."""
    text = INCIDENT.read_text(encoding="utf-8").replace("pl-63a5400a", _moto_s3_prefix_list())
    if fixed:
        assert S3_FIX in text
        text = text.replace(S3_FIX, S3_FIX + "        - !Ref PrivateRouteTableB\n")
    return text


def _account() -> Dict[str, str]:
    """The runbook-incident fixture account in moto, with what the stack's earlier resources made
    (its log group, its execution role) and its task definition registered; fixture ID -> moto ID."""
    import boto3

    from accounts_moto import build_in_moto

    ids = build_in_moto(ACCOUNT)
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="/ecs/api/api")
    iam = boto3.client("iam", region_name=REGION)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="api-execution", AssumeRolePolicyDocument=json.dumps(trust))
    pull = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
        "logs:CreateLogStream", "logs:PutLogEvents"]}]}
    iam.put_role_policy(RoleName="api-execution", PolicyName="pull-and-log", PolicyDocument=json.dumps(pull))
    boto3.client("ecs", region_name=REGION).register_task_definition(
        family="api-api", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        executionRoleArn="arn:aws:iam::123456789012:role/api-execution",
        containerDefinitions=[{"name": "api", "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.0", "essential": True,
                               "portMappings": [{"containerPort": 8080}],
                               "logConfiguration": {"logDriver": "awslogs", "options": {
                                   "awslogs-group": "/ecs/api/api", "awslogs-region": REGION, "awslogs-stream-prefix": "api"}}}])
    return ids


def _fix_account(ids: Dict[str, str]) -> None:
    """The incident's fix, made in the account: subnet B's route table added to the S3 endpoint."""
    import boto3

    boto3.client("ec2", region_name=REGION).modify_vpc_endpoint(
        VpcEndpointId=ids["vpce-0b79f30ab61dc3231"], AddRouteTableIds=[ids["rtb-05de2e2478e7b3cc2"]])


def _change_set(ids: Dict[str, str]) -> Dict[str, str]:
    """A change set of the account's service stack created in moto (so DescribeChangeSet gives its
    parameters, as CloudFormation would); returns its and its stack's IDs."""
    import boto3

    from accounts_moto import remap

    cf = boto3.client("cloudformation", region_name=REGION)
    made = cf.create_change_set(
        StackName="api", ChangeSetName="deploy-api", ChangeSetType="CREATE", Capabilities=["CAPABILITY_IAM"],
        TemplateBody=remap((ACCOUNT / "service.yaml").read_text(encoding="utf-8"), ids),
        Parameters=[{"ParameterKey": "PrivateSubnetIds", "ParameterValue": remap("subnet-08a8015e8a269c406,subnet-029a9b4a85f46e476", ids)},
                    {"ParameterKey": "TaskSecurityGroupIds", "ParameterValue": remap("sg-0f9749c0703d1ee0b", ids)}])
    return {"changeSetId": made["Id"], "stackId": made["StackId"]}


def _stringified(template_text: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """The change set payload CloudFormation would send to create every resource of the template:
    each resource's afterContext a JSON string of its properties, parameters and pseudo parameters
    resolved, every boolean and number a string, what only the deployment can know a placeholder
    (the documented shape; written by hand for the test)."""
    from ecsnetpolicy.load.template import loads

    pseudo = {"AWS::StackName": "api", "AWS::Region": REGION, "AWS::AccountId": "123456789012"}

    def after(v: Any) -> Any:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, list):
            return [after(x) for x in v]
        if isinstance(v, dict) and len(v) == 1 and next(iter(v)) in ("Ref", "Fn::Sub"):
            (fn, arg), = v.items()
            if fn == "Ref":
                return params.get(arg, pseudo.get(arg, PLACEHOLDER))
            text = re.sub(r"\$\{([^}]+)\}", lambda m: str(params.get(m.group(1), pseudo.get(m.group(1), "\0"))), arg)
            return PLACEHOLDER if "\0" in text else text
        if isinstance(v, dict) and any(str(k).startswith("Fn::") for k in v):
            return PLACEHOLDER
        if isinstance(v, dict):
            return {str(k): after(x) for k, x in v.items()}
        return str(v) if isinstance(v, str) else v

    resources = loads(template_text, "template")["Resources"]
    return {"template": template_text, "changedResources": [
        {"logicalResourceId": str(lid), "resourceType": str(r["Type"]), "action": "CREATE", "lineNumber": r.start_mark.line,
         "beforeContext": None, "afterContext": json.dumps({"Properties": after(r.get("Properties", {}))})}
        for lid, r in resources.items()]}


# ------------------------------------------------------------------ STACK


@pytest.mark.parametrize("mode", ["FAIL", "WARN"])
def test_stack_incident_fails_in_fail_mode_and_warns_in_warn_mode(aws, monkeypatch, mode):
    event = _event("stack_invocation.json", {"template": _incident(), "previousTemplate": ""})
    answer = _call(event, mode, monkeypatch)
    assert answer["clientRequestToken"] == "f8da6d11-b23f-48f4-814c-0fb6a667f50e"
    assert _rules(answer) == ["EN3001"]
    line = answer["message"].splitlines()[1]
    assert line.startswith("EN3001 error [S3GatewayEndpoint, line 137, RouteTableIds]: ")
    assert "route table PrivateRouteTableB" in line and line.endswith("add PrivateRouteTableB to RouteTableIds of S3GatewayEndpoint.")
    if mode == "FAIL":
        assert (answer["hookStatus"], answer["errorCode"]) == ("FAILED", "NonCompliant")
        assert "blocked (FAIL mode)" in answer["message"]
    else:
        assert answer["hookStatus"] == "SUCCESS" and "errorCode" not in answer
        assert "would block in FAIL mode (WARN mode: allowed)" in answer["message"]


def test_stack_fixed_incident_succeeds(aws, monkeypatch):
    event = _event("stack_invocation.json", {"template": _incident(fixed=True), "previousTemplate": _incident()})
    answer = _call(event, "FAIL", monkeypatch)
    assert answer["hookStatus"] == "SUCCESS" and _rules(answer) == []
    assert "no finding" in answer["message"]


@pytest.mark.parametrize("mode", ["FAIL", "WARN"])
def test_stack_of_the_account_incident_reads_parameters_and_network_live(aws, monkeypatch, mode):
    """The service stack alone (network in the account): parameters from the change set that
    started the stack operation, the network read live."""
    from accounts_moto import remap

    ids = _account()
    event = _event("stack_invocation.json", {"template": (ACCOUNT / "service.yaml").read_text(encoding="utf-8"), "previousTemplate": ""},
                   **_change_set(ids))
    answer = _call(event, mode, monkeypatch)
    assert _rules(answer) == ["EN3001"]
    line = answer["message"].splitlines()[1]
    assert line.startswith(f"EN3001 error [Service, line {SERVICE_SUBNETS_LINE}, NetworkConfiguration.AwsvpcConfiguration.Subnets]: ")
    for fixture_id in ("subnet-029a9b4a85f46e476", "rtb-05de2e2478e7b3cc2", "vpce-0b79f30ab61dc3231"):
        assert remap(fixture_id, ids) in line
    assert answer["hookStatus"] == ("FAILED" if mode == "FAIL" else "SUCCESS")
    _fix_account(ids)
    event["clientRequestToken"] += "-after-fix"
    fixed = _call(event, mode, monkeypatch)
    assert fixed["hookStatus"] == "SUCCESS" and _rules(fixed) == [], fixed["message"]


def test_stack_being_deleted_is_not_judged(aws, monkeypatch):
    event = _event("stack_invocation.json", actionInvocationPoint="DELETE_PRE_PROVISION")
    answer = _call(event, "FAIL", monkeypatch)
    assert answer["hookStatus"] == "SUCCESS" and "being deleted" in answer["message"]


# ------------------------------------------------------------------ CHANGE_SET


@pytest.mark.parametrize("mode", ["FAIL", "WARN"])
def test_change_set_of_the_account_incident(aws, monkeypatch, mode):
    """The stored change set payload (fixture IDs remapped to moto's): afterContext values are
    strings, as CloudFormation sends them."""
    from accounts_moto import remap

    ids = _account()
    payload = remap(_fixture("change_set_payload.json"), ids)
    made = _change_set(ids)
    event = _event("change_set_invocation.json", payload, **made)
    event["requestData"]["targetLogicalId"] = made["changeSetId"]
    answer = _call(event, mode, monkeypatch)
    assert _rules(answer) == ["EN3001"], answer["message"]
    assert answer["message"].startswith("ecsnetpolicy: change set deploy-api of stack api: 1 error,")
    # the change set resolved the parameter: the finding names the entry (subnet B), on the template's line
    assert f"[Service, line {SERVICE_SUBNETS_LINE}, NetworkConfiguration.AwsvpcConfiguration.Subnets.1]" in answer["message"]
    assert (answer["hookStatus"], answer.get("errorCode")) == (("FAILED", "NonCompliant") if mode == "FAIL" else ("SUCCESS", None))
    _fix_account(ids)
    event["clientRequestToken"] += "-after-fix"
    assert _call(event, mode, monkeypatch)["hookStatus"] == "SUCCESS"


def _messages(answer: Dict[str, Any]) -> List[str]:
    return [re.sub(r"\[([^,\]]+), line \d+", r"[\1", m) for m in answer["message"].splitlines()[1:]]


@pytest.mark.parametrize("fixed", [False, True])
def test_string_valued_change_set_is_judged_like_the_template(aws, monkeypatch, fixed):
    """Every boolean and number of the change set's afterContext is a string ("true", "443",
    "10.0.1.0/24"...), references to other resources are placeholders: the findings are the
    template's own (lines aside: a change set names the resource's line)."""
    text = _incident(fixed)
    stack = _call(_event("stack_invocation.json", {"template": text, "previousTemplate": ""}), "FAIL", monkeypatch)
    payload = _stringified(text, {"S3PrefixListId": _moto_s3_prefix_list()})
    assert '"EnableDnsSupport": "true"' in payload["changedResources"][0]["afterContext"]
    change_set = _call(_event("change_set_invocation.json", payload), "FAIL", monkeypatch)
    assert _messages(change_set) == _messages(stack)
    assert change_set["hookStatus"] == stack["hookStatus"] == ("SUCCESS" if fixed else "FAILED")


def test_string_false_in_a_change_set_counts_as_false(aws, monkeypatch):
    """"false" is false: private DNS switched off on the ECR endpoint as a string gives the same
    finding as the template's own false."""
    text = _incident(fixed=True)
    off = text.replace("      ServiceName: !Sub com.amazonaws.${AWS::Region}.ecr.dkr\n      VpcEndpointType: Interface\n      PrivateDnsEnabled: true",
                       "      ServiceName: !Sub com.amazonaws.${AWS::Region}.ecr.dkr\n      VpcEndpointType: Interface\n      PrivateDnsEnabled: false")
    assert off != text
    stack = _call(_event("stack_invocation.json", {"template": off, "previousTemplate": ""}), "FAIL", monkeypatch)
    payload = _stringified(text, {"S3PrefixListId": _moto_s3_prefix_list()})
    for change in payload["changedResources"]:
        if change["logicalResourceId"] == "EcrDkrEndpoint":
            assert '"PrivateDnsEnabled": "true"' in change["afterContext"]
            change["afterContext"] = change["afterContext"].replace('"PrivateDnsEnabled": "true"', '"PrivateDnsEnabled": "false"')
    change_set = _call(_event("change_set_invocation.json", payload), "FAIL", monkeypatch)
    assert _rules(stack) and _messages(change_set) == _messages(stack)
    assert change_set["hookStatus"] == "FAILED"


# ------------------------------------------------------------------ RESOURCE


@pytest.mark.parametrize("fixture", ["resource_service_invocation.json", "resource_taskset_invocation.json",
                                     "resource_express_invocation.json"])
@pytest.mark.parametrize("mode", ["FAIL", "WARN"])
def test_resource_target_judged_with_the_account(aws, monkeypatch, fixture, mode):
    """An ECS service, task set or Express service alone: its resolved properties, its task
    definition (or primary container) and the account read live."""
    from accounts_moto import remap

    ids = _account()
    event = remap(_fixture(fixture), ids)
    answer = _call(event, mode, monkeypatch)
    assert _rules(answer) == ["EN3001"], answer["message"]
    lid = event["requestData"]["targetLogicalId"]
    assert answer["message"].startswith(f"ecsnetpolicy: resource {lid} ({event['requestData']['targetName']}) of stack api: 1 error,")
    assert f"EN3001 error [{lid}, " in answer["message"] and remap("rtb-05de2e2478e7b3cc2", ids) in answer["message"]
    assert answer["hookStatus"] == ("FAILED" if mode == "FAIL" else "SUCCESS")
    _fix_account(ids)
    event["clientRequestToken"] += "-after-fix"
    fixed = _call(event, mode, monkeypatch)
    assert fixed["hookStatus"] == "SUCCESS" and not re.search(r"^[EW]N\d{4} ", fixed["message"], re.M), fixed["message"]


def test_resource_whose_stack_also_builds_network_is_left_to_the_stack_hook(aws, monkeypatch):
    """A service judged alone before its own stack's route or endpoint exists would be blamed for
    their absence: when the stack's template creates EC2 resources, the RESOURCE answer says it is
    not judged alone (no false finding), and names the STACK/CHANGE_SET hook."""
    import boto3

    from accounts_moto import remap

    ids = _account()
    stack = boto3.client("cloudformation", region_name=REGION).create_stack(StackName="api", TemplateBody=(
        "Resources:\n  EndpointRule:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n"
        f"      GroupId: {ids['sg-0f9749c0703d1ee0b']}\n      IpProtocol: tcp\n      FromPort: 443\n      ToPort: 443\n"
        "      CidrIp: 10.0.0.0/16\n"))
    event = remap(_fixture("resource_service_invocation.json"), ids)
    event["stackId"] = stack["StackId"]
    answer = _call(event, "FAIL", monkeypatch)
    assert answer["hookStatus"] == "SUCCESS" and _rules(answer) == []
    assert "not judged alone, because its stack also creates network resources (AWS::EC2::SecurityGroupIngress)" in answer["message"]
    assert "activate the hook on STACK and CHANGE_SET operations" in answer["message"]


def test_resource_type_not_judged_says_so(aws, monkeypatch):
    event = _fixture("resource_service_invocation.json")
    event["requestData"].update(targetName="AWS::S3::Bucket", targetType="AWS::S3::Bucket")
    answer = _call(event, "FAIL", monkeypatch)
    assert answer["hookStatus"] == "SUCCESS" and "not a type ecsnetpolicy judges" in answer["message"]


# ------------------------------------------------------------------ failures per mode, no traceback


def _no_traceback(caplog) -> None:
    assert caplog.records
    for record in caplog.records:
        assert record.exc_info is None and "Traceback" not in record.getMessage()


@pytest.mark.parametrize("mode", ["FAIL", "WARN"])
def test_unparseable_template_answers_per_mode(aws, monkeypatch, caplog, mode):
    caplog.set_level(logging.INFO, logger="ecsnetpolicy.hook")
    event = _event("stack_invocation.json", {"template": "Resources:\n  Bad: [unclosed\n", "previousTemplate": ""})
    answer = _call(event, mode, monkeypatch)
    first = answer["message"].splitlines()[0]
    assert "stack api was not checked: the template cannot be parsed" in first and "line" in first
    if mode == "FAIL":
        assert (answer["hookStatus"], answer["errorCode"]) == ("FAILED", "InternalFailure") and first.endswith("(FAIL mode: blocked).")
    else:
        assert answer["hookStatus"] == "SUCCESS" and "errorCode" not in answer and first.endswith("(WARN mode: allowed).")
    _no_traceback(caplog)


def _denying(operation: str):
    """A boto3 session (moto behind it) whose calls of `operation` are denied."""
    import boto3
    from botocore.exceptions import ClientError

    def session_for(region: str):
        session = boto3.session.Session(region_name=region)

        def deny(**_: Any):
            raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "You are not authorized"}}, operation)

        session.events.register(f"before-call.ec2.{operation}", deny)
        return session

    return session_for


@pytest.mark.parametrize("mode", ["FAIL", "WARN"])
def test_denied_account_calls_answer_per_mode(aws, monkeypatch, caplog, mode):
    import ecsnetpolicy.hook as hook
    from accounts_moto import remap

    caplog.set_level(logging.INFO, logger="ecsnetpolicy.hook")
    ids = _account()
    monkeypatch.setattr(hook, "session_for", _denying("DescribeRouteTables"))
    answer = _call(remap(_fixture("resource_service_invocation.json"), ids), mode, monkeypatch)
    first = answer["message"].splitlines()[0]
    assert "was not checked: the hook's role may not read the account (aws ec2 describe-route-tables" in first
    assert "UnauthorizedOperation" in first and "docs/hook.md" in first
    assert answer["hookStatus"] == ("FAILED" if mode == "FAIL" else "SUCCESS")
    assert answer.get("errorCode") == ("InternalFailure" if mode == "FAIL" else None)
    _no_traceback(caplog)


def test_denied_task_definition_read_is_named(aws, monkeypatch, caplog):
    import boto3
    import ecsnetpolicy.hook as hook
    from botocore.exceptions import ClientError

    from accounts_moto import remap

    caplog.set_level(logging.INFO, logger="ecsnetpolicy.hook")
    ids = _account()

    def session_for(region: str):
        session = boto3.session.Session(region_name=region)

        def deny(**_: Any):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeTaskDefinition")

        session.events.register("before-call.ecs.DescribeTaskDefinition", deny)
        return session

    monkeypatch.setattr(hook, "session_for", session_for)
    answer = _call(remap(_fixture("resource_service_invocation.json"), ids), "FAIL", monkeypatch)
    assert "ecs describe-task-definition --task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/api-api:1: AccessDeniedException" in answer["message"]
    assert answer["errorCode"] == "InternalFailure"
    _no_traceback(caplog)


@pytest.mark.parametrize("mode", ["FAIL", "WARN"])
def test_internal_error_answers_per_mode(aws, monkeypatch, caplog, mode):
    import ecsnetpolicy.hook as hook

    caplog.set_level(logging.INFO, logger="ecsnetpolicy.hook")

    def broken(*_: Any, **__: Any):
        raise KeyError("boom")

    monkeypatch.setattr(hook, "read_account", broken)
    answer = _call(_event("stack_invocation.json", {"template": _incident(), "previousTemplate": ""}), mode, monkeypatch)
    assert "was not checked: internal error KeyError: 'boom'" in answer["message"]
    assert answer["hookStatus"] == ("FAILED" if mode == "FAIL" else "SUCCESS")
    _no_traceback(caplog)


def test_payload_url_that_is_not_s3_is_refused(aws, monkeypatch):
    event = _fixture("stack_invocation.json")
    event["requestData"]["payload"] = "https://example.com/template.json"
    answer = _call(event, "FAIL", monkeypatch)
    assert answer["errorCode"] == "InternalFailure" and "not an https URL of Amazon S3" in answer["message"]


def test_unknown_settings_are_said_and_safe_defaults_used(aws, monkeypatch):
    monkeypatch.setenv("ECSNETPOLICY_FAIL_ON", "sometimes")
    answer = _call(_event("stack_invocation.json", {"template": _incident(), "previousTemplate": ""}), "BLOCK", monkeypatch)
    assert answer["hookStatus"] == "SUCCESS"
    assert "ECSNETPOLICY_FAILURE_MODE='BLOCK' is not WARN or FAIL: WARN used" in answer["message"]
    assert "ECSNETPOLICY_FAIL_ON='sometimes' is not error, warning or informational: error used" in answer["message"]


# ------------------------------------------------------------------ time budget


class _Context:
    """A Lambda context with little time left."""

    def __init__(self, millis: int):
        self.millis = millis

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


def test_slow_check_answers_in_progress_then_the_verdict(aws, monkeypatch):
    import ecsnetpolicy.hook as hook

    release = threading.Event()
    real = hook.judge

    def slow(event: Any, config: Any):
        release.wait(10)
        return real(event, config)

    monkeypatch.setattr(hook, "judge", slow)
    monkeypatch.setattr(hook, "SAFETY_SECONDS", 0.0)
    event = _event("stack_invocation.json", {"template": _incident(), "previousTemplate": ""})
    first = _call(event, "FAIL", monkeypatch, _Context(50))
    assert first["hookStatus"] == "IN_PROGRESS" and first["clientRequestToken"] == event["clientRequestToken"]
    assert first["callbackContext"] == {"ecsnetpolicy": "checking", "invocation": 1} and first["callbackDelaySeconds"] >= 0
    release.set()
    again = dict(event, requestContext={"invocation": 2, "callbackContext": first["callbackContext"]})
    second = _call(again, "FAIL", monkeypatch, _Context(20_000))
    assert second["hookStatus"] == "FAILED" and _rules(second) == ["EN3001"]


@pytest.mark.parametrize("mode", ["FAIL", "WARN"])
def test_check_out_of_time_on_the_last_invocation_answers_per_mode(aws, monkeypatch, mode):
    import ecsnetpolicy.hook as hook

    release = threading.Event()
    monkeypatch.setattr(hook, "judge", lambda event, config: release.wait(10) and {})
    monkeypatch.setattr(hook, "SAFETY_SECONDS", 0.0)
    event = _event("stack_invocation.json", {"template": _incident(), "previousTemplate": ""})
    event["requestContext"] = {"invocation": 3, "callbackContext": {"ecsnetpolicy": "checking", "invocation": 2}}
    try:
        answer = _call(event, mode, monkeypatch, _Context(50))
    finally:
        release.set()
    assert "did not finish within CloudFormation's time for a hook (3 invocations of 30 seconds)" in answer["message"]
    assert answer["hookStatus"] == ("FAILED" if mode == "FAIL" else "SUCCESS")


# ------------------------------------------------------------------ message size


def test_message_fits_cloudformation_limit_with_a_count_of_the_rest():
    from ecsnetpolicy.findings import Finding
    from ecsnetpolicy.hook.respond import MESSAGE_LIMIT, Config, verdict

    findings = [Finding("EN2001", f"finding {i}: " + "x" * 300, ("Resources", f"Service{i}", "Properties", "NetworkConfiguration"), "t", i + 2)
                for i in range(40)]
    answer = verdict("tok", Config("FAIL", "error"), "stack big", findings)
    assert len(answer["message"]) <= MESSAGE_LIMIT and answer["hookStatus"] == "FAILED"
    shown = len(re.findall(r"^EN2001 ", answer["message"], re.M))
    assert 0 < shown < 40
    assert answer["message"].splitlines()[-1] == f"... and {40 - shown} more findings (all are in the hook's CloudWatch log)"


def test_warnings_below_the_threshold_do_not_fail():
    from ecsnetpolicy.findings import Finding
    from ecsnetpolicy.hook.respond import Config, verdict

    warning = [Finding("WN2002", "one AZ without an endpoint subnet", ("Resources", "LogsEndpoint", "Properties", "SubnetIds"), "t", 9)]
    assert verdict("t", Config("FAIL", "error"), "stack s", warning)["hookStatus"] == "SUCCESS"
    answer = verdict("t", Config("FAIL", "warning"), "stack s", warning)
    assert (answer["hookStatus"], answer["errorCode"]) == ("FAILED", "NonCompliant")


# ------------------------------------------------------------------ the Lambda artefact


def test_built_artefact_imports_the_handler_without_cfn_lint(tmp_path):
    """The zip built offline from this environment: the handler imports from the zip alone (no
    site packages) and loads neither cfn-lint nor boto3 (python -X importtime lists the modules)."""
    import zipfile

    from ecsnetpolicy.hook.build import HANDLER, ZIP_NAME, build, imports_of_handler

    sizes = build(tmp_path / "out", from_environment=True)
    assert sizes["handler"] == HANDLER and 0 < sizes["zipped_bytes"] < sizes["limit_zipped_bytes"]
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(tmp_path / "out" / ZIP_NAME) as zf:
        names = zf.namelist()
        zf.extractall(unpacked)
    assert "ecsnetpolicy/hook/__init__.py" in names and "ecsnetpolicy/policies/policy.schema.json" in names
    assert not [n for n in names if n.startswith(("cfnlint/", "boto3/", "botocore/", "ecsnetpolicy/rules/", "click/"))]
    loaded = imports_of_handler(unpacked)
    assert "ecsnetpolicy.hook" in loaded and "jsonschema" not in {m.split(".")[0] for m in loaded if m.startswith("cfnlint")}
    assert not [m for m in loaded if m.split(".")[0] in ("cfnlint", "boto3", "botocore")]
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import ecsnetpolicy.hook as h; "
            "print(h.handler({'clientRequestToken': 't', 'requestData': {'targetType': 'STACK', 'targetName': 'STACK'},"
            " 'actionInvocationPoint': 'DELETE_PRE_PROVISION'}, None)['hookStatus'])")
    done = subprocess.run([sys.executable, "-S", "-c", code, str(unpacked)], capture_output=True, text=True)
    assert done.stdout.strip() == "SUCCESS", done.stderr


# ------------------------------------------------------------------ the example deployment


def test_example_template_passes_cfn_lint():
    """examples/cloudformation-hook/template.yaml: cfn-lint reports nothing (no error, no warning)."""
    from cfnlint.api import ManualArgs, lint_file

    template = ROOT / "examples" / "cloudformation-hook" / "template.yaml"
    matches = lint_file(template, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [str(m) for m in matches] == []
    text = template.read_text(encoding="utf-8")
    for needed in ("Type: AWS::CloudFormation::LambdaHook", "FailureMode: !Ref FailureMode", "Default: WARN",
                   "Handler: ecsnetpolicy.hook.handler", "Timeout: 30", "Service: hooks.cloudformation.amazonaws.com",
                   "TargetName: AWS::ECS::ExpressGatewayService", "ECSNETPOLICY_FAILURE_MODE: !Ref FailureMode"):
        assert needed in text
    # read-only: every action the function's role is given is a describe, list or get (and its own logs)
    actions = re.findall(r"^ {18}- ([a-z0-9]+:[A-Za-z]+)$", text, re.M)
    assert actions and all(re.match(r"^[a-z0-9]+:(Describe|List|Get)", a) or a in ("logs:CreateLogStream", "logs:PutLogEvents")
                           for a in actions), actions
    assert "s3:GetObject" not in text


def test_stack_parameters_come_from_describe_stacks_and_no_echo_stays_unknown():
    """create-stack and update-stack start a STACK hook without a change set: the values are the
    stack's; a NoEcho value (****) is left out, so whatever rests on it stays unknown."""
    from ecsnetpolicy.hook.account import Reads, stack_parameters
    from ecsnetpolicy.hook.invocation import Proposal

    class _Cfn:
        def describe_stacks(self, StackName: str) -> Dict[str, Any]:
            assert StackName.endswith(":stack/api/1")
            return {"Stacks": [{"Parameters": [{"ParameterKey": "PrivateSubnetIds", "ParameterValue": "subnet-1,subnet-2"},
                                               {"ParameterKey": "Token", "ParameterValue": "****"}]}]}

    class _Session:
        def client(self, name: str) -> Any:
            assert name == "cloudformation"
            return _Cfn()

    proposal = Proposal("STACK", {}, "api", REGION, "123456789012", "arn:aws:cloudformation:eu-west-1:123456789012:stack/api/1", None)
    assert stack_parameters(proposal, _Session(), Reads()) == {"PrivateSubnetIds": "subnet-1,subnet-2"}
