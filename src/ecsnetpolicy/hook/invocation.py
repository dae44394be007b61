"""What a CloudFormation Lambda hook invocation proposes, read as AWS documents it.

Source: "Create Lambda functions to evaluate resources for Lambda Hooks", CloudFormation Hooks
User Guide (https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/lambda-hooks-create-lambda-function.html):

- every target: ``clientRequestToken``, ``awsAccountId``, ``stackId``, ``changeSetId``,
  ``actionInvocationPoint`` (``CREATE_PRE_PROVISION`` | ``UPDATE_PRE_PROVISION`` |
  ``DELETE_PRE_PROVISION``), ``requestData`` (``targetName``, ``targetType``, ``targetLogicalId``)
  and ``requestContext`` (``invocation``, ``callbackContext``).  The page's syntax blocks spell two
  keys ``clientRequesttoken`` and ``stackID`` while its examples spell ``clientRequestToken`` and
  ``stackId``: both spellings are read.
- ``STACK``: ``requestData.payload`` is an S3 presigned URL of ``{"template", "previousTemplate"}``,
  each a JSON or YAML string (empty on delete).
- ``CHANGE_SET``: the same URL holds ``{"template", "changedResources": [{"action",
  "beforeContext", "afterContext", "lineNumber", "logicalResourceId", "resourceType"}]}``, where
  ``afterContext`` is a JSON string whose boolean and number values are all strings.
- ``RESOURCE``: ``requestData.targetModel.resourceProperties`` (the proposed properties, values
  resolved by CloudFormation), ``targetName`` the resource type.

Nothing here calls AWS except the download of the presigned URL (plain HTTPS, no credentials).
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional

from ..load.template import LoadError, loads
from ..load.transforms import expand

MAX_PAYLOAD_BYTES = 8 * 1024 * 1024  # template + previous template, each at most 1 MB (CloudFormation quotas); generous
DOWNLOAD_TIMEOUT = 10.0
KNOWN_AFTER_APPLY = "{{changeSet:"  # a value a change set cannot know before it runs (assumed spelling; see docs/hook.md)
# The resource types the hook judges as RESOURCE targets (the example's TargetFilters name them).
RESOURCE_TYPES = ("AWS::ECS::Service", "AWS::ECS::TaskSet", "AWS::ECS::ExpressGatewayService")
_S3_HOST = re.compile(r"(^|\.)s3[.-]([a-z0-9-]+\.)*amazonaws\.com(\.cn)?$")


class HookInputError(Exception):
    """The invocation or its payload cannot be read; str() is one line for the caller, `subject`
    what was being read ("stack api") when known."""

    subject = ""


@dataclass
class Proposal:
    """What the engine judges for one invocation: a template (line-marked when it came as text),
    the parameter values known so far, and where it deploys."""

    target: str  # STACK | CHANGE_SET | RESOURCE
    template: Any
    stack_name: str
    region: str
    account_id: Optional[str]
    stack_id: Optional[str]
    change_set_id: Optional[str]
    params: Dict[str, Any] = field(default_factory=dict)
    subject: str = ""  # "stack api", "change set cs1 of stack api", "resource Service (AWS::ECS::Service)"
    task_definition_arns: Dict[str, str] = field(default_factory=dict)  # logical ID -> ARN to read live (RESOURCE)
    lines: Dict[str, int] = field(default_factory=dict)  # logical ID -> line CloudFormation gave (CHANGE_SET)
    labels: Dict[str, str] = field(default_factory=dict)  # logical ID -> how messages name it (a resource read live)
    express: Optional[str] = None  # the logical ID of an Express service judged as a service and task definition
    skip: Optional[str] = None  # set when there is nothing to judge (a delete, a type not judged)


def _get(event: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if event.get(name) is not None:
            return event[name]
    return None


def token_of(event: Any) -> Optional[str]:
    return _get(event, "clientRequestToken", "clientRequesttoken") if isinstance(event, Mapping) else None


def download(url: str, timeout: float = DOWNLOAD_TIMEOUT) -> bytes:
    """The body of the presigned URL (stdlib HTTPS: `requests` is not in the Lambda runtime).
    Tests replace this function to serve the URL from moto's S3."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - https only, checked by the caller
        body = resp.read(MAX_PAYLOAD_BYTES + 1)
    return body


def _payload(url: Any, fetch: Callable[[str], bytes]) -> Dict[str, Any]:
    if not isinstance(url, str) or not url:
        raise HookInputError("the invocation has no requestData.payload URL")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not _S3_HOST.search(parts.hostname or ""):
        raise HookInputError("requestData.payload is not an https URL of Amazon S3")
    try:
        body = fetch(url)
    except HookInputError:
        raise
    except Exception as exc:  # urllib's errors, timeouts: one line
        raise HookInputError(f"the template payload could not be downloaded ({type(exc).__name__}: {_short(exc)})") from None
    if len(body) > MAX_PAYLOAD_BYTES:
        raise HookInputError(f"the template payload is larger than {MAX_PAYLOAD_BYTES // (1024 * 1024)} MB")
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise HookInputError(f"the template payload is not JSON ({_short(exc)})") from None
    if not isinstance(doc, dict):
        raise HookInputError("the template payload is not a JSON object")
    return doc


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def _template(text: Any, region: str) -> Any:
    """The template string of a payload, loaded with our line-marked loader (YAML or JSON)."""
    if not isinstance(text, str) or not text.strip():
        raise HookInputError("the payload holds no template")
    try:
        return expand(loads(text, "template"), "template", region)
    except LoadError as exc:
        raise HookInputError(f"the template cannot be parsed: {exc}") from None


def _region(stack_id: Optional[str], default: str) -> str:
    parts = (stack_id or "").split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else default


def _stack_name(stack_id: Optional[str], fallback: str) -> str:
    """arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID -> NAME."""
    tail = (stack_id or "").split(":", 5)[-1]
    bits = tail.split("/")
    return bits[1] if len(bits) >= 2 and bits[0] == "stack" and bits[1] else fallback


def read(event: Any, default_region: str, fetch: Callable[[str], bytes] = None) -> Proposal:
    """The Proposal of one invocation; HookInputError (one line) when it cannot be read."""
    fetch = fetch or download
    if not isinstance(event, Mapping):
        raise HookInputError("the invocation is not a JSON object")
    data = event.get("requestData")
    if not isinstance(data, Mapping):
        raise HookInputError("the invocation has no requestData")
    target = str(data.get("targetType") or "")
    name = str(data.get("targetName") or "")
    stack_id = _get(event, "stackId", "stackID")
    change_set_id = event.get("changeSetId") or None
    region = _region(stack_id, default_region)
    point = str(event.get("actionInvocationPoint") or "")
    common = dict(region=region, account_id=event.get("awsAccountId"), stack_id=stack_id, change_set_id=change_set_id)
    if target in ("STACK", "CHANGE_SET") or name in ("STACK", "CHANGE_SET"):
        target = target if target in ("STACK", "CHANGE_SET") else name
        stack = _stack_name(stack_id, str(data.get("targetLogicalId") or "stack"))
        if point == "DELETE_PRE_PROVISION":
            return Proposal(target, None, stack, skip=f"stack {stack} is being deleted: nothing to check", **common)
        subject = f"stack {stack}"
        if target == "CHANGE_SET":
            cs = str(data.get("targetLogicalId") or change_set_id or "")
            subject = f"change set {cs.split('/')[1] if ':changeSet/' in cs else cs} of stack {stack}"
        try:
            doc = _payload(data.get("payload"), fetch)
            proposal = Proposal(target, _template(doc.get("template"), region), stack, subject=subject, **common)
            if target == "CHANGE_SET":
                _apply_changes(proposal, doc.get("changedResources"))
        except HookInputError as exc:
            exc.subject = subject
            raise
        return proposal
    resource_type = name if name.startswith("AWS::") else target
    if resource_type.startswith("AWS::") or target == "RESOURCE":
        return _resource(data, resource_type, point, stack_id, common)
    raise HookInputError(f"unknown hook target {target or name!r} (expected STACK, CHANGE_SET or a resource type)")


# --------------------------------------------------------------------------- change sets


def _apply_changes(proposal: Proposal, changes: Any) -> None:
    """The change set's proposed properties over the template's: a changed resource's
    `afterContext` holds the values the change set resolved (parameters, mappings...), as strings
    for booleans and numbers, which the engine reads as CloudFormation does ("true", "80").  A value
    the change set cannot know yet keeps the template's expression."""
    if changes is None:
        return
    if not isinstance(changes, list):
        raise HookInputError("changedResources of the change set payload is not a list")
    resources = proposal.template.get("Resources") if isinstance(proposal.template, Mapping) else None
    if not isinstance(resources, dict):
        return
    for change in changes:
        if not isinstance(change, Mapping):
            continue
        lid = change.get("logicalResourceId")
        if not isinstance(lid, str) or change.get("action") == "DELETE" or lid not in resources:
            continue
        if isinstance(change.get("lineNumber"), int):
            proposal.lines[lid] = change["lineNumber"]
        after = change.get("afterContext")
        if isinstance(after, str):
            try:
                after = json.loads(after)
            except ValueError:
                raise HookInputError(f"afterContext of {lid} in the change set payload is not JSON") from None
        props = after.get("Properties") if isinstance(after, Mapping) else None
        resource = resources[lid]
        if isinstance(props, Mapping) and isinstance(resource, dict):
            resource["Properties"] = _merge(props, resource.get("Properties"))


def _merge(after: Any, before: Any) -> Any:
    """`after` (the change set's value), with the template's `before` where the change set has
    only a placeholder.  Written by hand: a structural merge with one rule is shorter than a
    dependency."""
    if isinstance(after, str) and after.startswith(KNOWN_AFTER_APPLY):
        return before if before is not None else after
    if isinstance(after, Mapping):
        b = before if isinstance(before, Mapping) and not _is_function(before) else {}
        keys = {k: k for k in b}  # the template's own keys carry their lines: findings still point at them
        return {keys.get(k, k): _merge(v, b.get(k)) for k, v in after.items()}
    if isinstance(after, list):
        b = before if isinstance(before, list) and len(before) == len(after) else [None] * len(after)
        return [_merge(v, w) for v, w in zip(after, b)]
    return after


def _is_function(value: Mapping[str, Any]) -> bool:
    return len(value) == 1 and next(iter(value)) in ("Ref", "Condition") or any(str(k).startswith("Fn::") for k in value)


# --------------------------------------------------------------------------- one resource


def _resource(data: Mapping[str, Any], resource_type: str, point: str, stack_id: Optional[str], common: Dict[str, Any]) -> Proposal:
    """A RESOURCE target as a one-resource template: the resource with its resolved properties;
    its task definition (an ARN by then) is read live and added as a second resource."""
    lid = str(data.get("targetLogicalId") or "Resource")
    stack = _stack_name(stack_id, "stack")
    subject = f"resource {lid} ({resource_type}) of stack {stack}"
    if point == "DELETE_PRE_PROVISION":
        return Proposal("RESOURCE", None, stack, subject=subject, skip=f"{subject} is being deleted: nothing to check", **common)
    if resource_type not in RESOURCE_TYPES:
        return Proposal("RESOURCE", None, stack, subject=subject, skip=f"{resource_type} is not a type ecsnetpolicy judges: not checked", **common)
    model = data.get("targetModel")
    props = model.get("resourceProperties") if isinstance(model, Mapping) else None
    if not isinstance(props, Mapping):
        raise HookInputError(f"requestData.targetModel.resourceProperties of {lid} is missing")
    props = dict(props)
    arns: Dict[str, str] = {}
    if resource_type == "AWS::ECS::ExpressGatewayService":
        resources = _express(lid, props, arns)
    else:
        resources = {lid: {"Type": resource_type, "Properties": props}}
        td = props.get("TaskDefinition")
        if isinstance(td, str) and td:
            props["TaskDefinition"] = {"Ref": TASK_DEFINITION}
            arns[TASK_DEFINITION] = td
    labels = {TASK_DEFINITION: f"task definition {arns[TASK_DEFINITION]}" if TASK_DEFINITION in arns else f"{lid} primary container"}
    template: Dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    if resource_type == "AWS::ECS::ExpressGatewayService":
        template["Parameters"] = dict(EXPRESS_PARAMETERS)
    return Proposal("RESOURCE", template, stack, subject=subject, task_definition_arns=arns, labels=labels,
                    express=lid if resource_type == "AWS::ECS::ExpressGatewayService" else None, **common)


TASK_DEFINITION = "TaskDefinitionOfTheResource"  # logical ID of the task definition read live


def _express(lid: str, props: Mapping[str, Any], arns: Dict[str, str]) -> Dict[str, Any]:
    """An Express service as the service and task definition it makes (AWS::ECS::ExpressGatewayService,
    CloudFormation Template Reference): Fargate tasks of its PrimaryContainer in its
    NetworkConfiguration's subnets and groups, its ExecutionRoleArn, awslogs from
    PrimaryContainer.AwsLogsConfiguration.  Whether its tasks get a public IP is not stated by the
    resource: left to a parameter with no value, so no finding rests on it."""
    container = props.get("PrimaryContainer") if isinstance(props.get("PrimaryContainer"), Mapping) else {}
    c: Dict[str, Any] = {"Name": "primary", "Essential": True}
    for key in ("Image", "Secrets", "RepositoryCredentials", "Environment", "Command"):
        if key in container:
            c[key] = container[key]
    logs = container.get("AwsLogsConfiguration")
    if isinstance(logs, Mapping):
        options = {"awslogs-group": logs.get("LogGroup"), "awslogs-region": {"Ref": "AWS::Region"}}
        if logs.get("LogStreamPrefix"):
            options["awslogs-stream-prefix"] = logs["LogStreamPrefix"]
        c["LogConfiguration"] = {"LogDriver": "awslogs", "Options": options}
    td: Dict[str, Any] = {"RequiresCompatibilities": ["FARGATE"], "NetworkMode": "awsvpc", "ContainerDefinitions": [c]}
    for key in ("Cpu", "Memory", "ExecutionRoleArn", "TaskRoleArn"):
        if key in props:
            td[key] = props[key]
    net = props.get("NetworkConfiguration") if isinstance(props.get("NetworkConfiguration"), Mapping) else {}
    awsvpc: Dict[str, Any] = {"AssignPublicIp": {"Ref": "ExpressServiceAssignsPublicIp"}}
    if "Subnets" in net:
        awsvpc["Subnets"] = net["Subnets"]
    if "SecurityGroups" in net:
        awsvpc["SecurityGroups"] = net["SecurityGroups"]
    service = {"LaunchType": "FARGATE", "TaskDefinition": {"Ref": TASK_DEFINITION},
               "NetworkConfiguration": {"AwsvpcConfiguration": awsvpc}}
    return {lid: {"Type": "AWS::ECS::Service", "Properties": service},
            TASK_DEFINITION: {"Type": "AWS::ECS::TaskDefinition", "Properties": td}}


EXPRESS_PARAMETERS = {"ExpressServiceAssignsPublicIp": {
    "Type": "String", "AllowedValues": ["ENABLED", "DISABLED"],
    "Description": "whether the Express service's tasks get a public IP (the resource does not say)"}}


# Rules an Express service cannot act on: ECS runs its deployments (no DeploymentConfiguration to set).
EXPRESS_NOT_APPLICABLE = ("WN6001", "EN6002", "IN6003")


def express_path(path: Any, lid: str) -> Any:
    """A finding's path in the service and task definition an Express service was judged as,
    back in the Express service's own properties (NetworkConfiguration.Subnets,
    PrimaryContainer.AwsLogsConfiguration, ExecutionRoleArn...)."""
    path = tuple(path)
    props = ("Resources", lid, "Properties")
    if path[:5] == props + ("NetworkConfiguration", "AwsvpcConfiguration"):
        return props + ("NetworkConfiguration",) + path[5:]
    if path[:2] == ("Resources", TASK_DEFINITION):
        rest = path[3:]
        if rest[:2] == ("ContainerDefinitions", 0):
            rest = ("PrimaryContainer",) + tuple("AwsLogsConfiguration" if p == "LogConfiguration" else p for p in rest[2:3])
        return props + rest
    return path


def task_definition_properties(api: Mapping[str, Any]) -> Dict[str, Any]:
    """ecs describe-task-definition's `taskDefinition` as AWS::ECS::TaskDefinition properties:
    the API's camelCase keys capitalised (the CloudFormation names are the same words), except
    inside maps whose keys are the user's (log driver options, Docker labels).  Written by hand:
    no library maps ECS API shapes to CloudFormation."""
    skip = {"taskDefinitionArn", "revision", "status", "compatibilities", "requiresAttributes", "registeredAt",
            "registeredBy", "deregisteredAt"}
    return {_pascal(k): _cfn(k, v) for k, v in api.items() if k not in skip}


_USER_MAPS = {"options", "dockerLabels", "driverOpts", "labels"}


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def _cfn(key: str, value: Any) -> Any:
    if key in _USER_MAPS and isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Mapping):
        return {_pascal(k): _cfn(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cfn("", v) for v in value]
    return value
