"""The account a hook invocation deploys into, read live with the hook's own read-only role.

Three kinds of read, all describe/list/get (docs/hook.md lists the IAM policy):

- the parameter values of the stack or change set (``cloudformation:DescribeStacks``,
  ``cloudformation:DescribeChangeSet``): a hook payload carries the template, not its parameters;
- for a RESOURCE target, its task definition (``ecs:DescribeTaskDefinition``): by then the
  service names it by ARN;
- the network the template names, through the live adapter of ``ecsnetpolicy check --aws``
  (``load/aws.py`` ``fetch_live``, only the IDs the template references).

A call the role may not make is never silently skipped: it is collected in ``Reads.denied`` and
the handler answers as the failure mode says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..load.aws import AwsError, fetch_live
from ..load.references import template_references
from ..load.template import LoadError, loads
from ..load.snapshot import AccountSnapshot, SnapshotError, check_matches
from .invocation import Proposal, task_definition_properties

DENIED_CODES = frozenset(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
                          "AuthorizationError"])
NO_ECHO = "****"  # how DescribeStacks shows a NoEcho parameter's value


@dataclass
class Reads:
    """What was read, and the calls that were refused (one line each)."""

    account: Optional[AccountSnapshot] = None
    denied: List[str] = field(default_factory=list)
    skip: Optional[str] = None  # why the invocation is not judged here (and where it is)


_SESSIONS: Dict[str, Any] = {}


def session_for(region: str) -> Any:
    """The boto3 session of the Lambda's role, one per region for the life of the execution
    environment: a new session re-reads botocore's service models (a few hundred milliseconds for
    EC2) on every invocation.  Tests run it inside moto's mock_aws."""
    if region not in _SESSIONS:
        try:
            import boto3
        except ImportError:
            raise AwsError("boto3 is not installed (the Lambda Python runtime provides it)") from None
        _SESSIONS[region] = boto3.session.Session(region_name=region)
    return _SESSIONS[region]


def _client_error(exc: Exception) -> Optional[str]:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Code") or "")
    return None


def _call(reads: Reads, what: str, fn: Any, **kwargs: Any) -> Optional[Dict[str, Any]]:
    """One read-only call; None when it is denied (named in reads.denied) or the thing is gone."""
    try:
        return fn(**kwargs)
    except Exception as exc:  # botocore ClientError / BotoCoreError: one line, never a traceback
        code = _client_error(exc)
        if code in DENIED_CODES:
            reads.denied.append(f"{what}: {code}")
            return None
        if code and ("NotFound" in code or code == "ValidationError"):
            return None
        raise AwsError(f"{what}: {code or type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from None


def stack_parameters(proposal: Proposal, session: Any, reads: Reads) -> Dict[str, str]:
    """The parameter values CloudFormation holds for the stack or change set.  A NoEcho value
    (shown as ****) is left out: it stays unknown."""
    cfn = session.client("cloudformation")
    found: List[Dict[str, Any]] = []
    if proposal.change_set_id:
        doc = _call(reads, "cloudformation describe-change-set", cfn.describe_change_set, ChangeSetName=proposal.change_set_id)
        found = list((doc or {}).get("Parameters") or [])
    if not found and proposal.stack_id:
        doc = _call(reads, "cloudformation describe-stacks", cfn.describe_stacks, StackName=proposal.stack_id)
        stacks = (doc or {}).get("Stacks") or [{}]
        found = list(stacks[0].get("Parameters") or [])
    out: Dict[str, str] = {}
    for p in found:
        key, value = p.get("ParameterKey"), p.get("ParameterValue")
        if isinstance(key, str) and isinstance(value, str) and value != NO_ECHO:
            out[key] = value
    return out


def add_task_definitions(proposal: Proposal, session: Any, reads: Reads) -> None:
    """RESOURCE targets: each task definition ARN read with ecs describe-task-definition and put
    in the one-resource template as an AWS::ECS::TaskDefinition (absent when denied: unknown)."""
    if not proposal.task_definition_arns:
        return
    ecs = session.client("ecs")
    resources = proposal.template["Resources"]
    for lid, arn in proposal.task_definition_arns.items():
        doc = _call(reads, f"ecs describe-task-definition --task-definition {arn}", ecs.describe_task_definition, taskDefinition=arn)
        td = (doc or {}).get("taskDefinition")
        if isinstance(td, dict):
            resources[lid] = {"Type": "AWS::ECS::TaskDefinition", "Properties": task_definition_properties(td)}


def network(proposal: Proposal, session: Any, reads: Reads) -> AccountSnapshot:
    """The account's facts for what the template names (fetch_live, as ``check --aws`` reads
    them): exports and SSM parameters first, then the IDs their values hold with the rest."""
    def warn(text: str) -> None:
        if "not allowed" in text:
            reads.denied.append(text.split(": not allowed")[0])

    refs = template_references([(proposal.template, proposal.params)])
    wanted = refs.as_kwargs()
    names = {k: wanted[k] for k in ("export_names", "ssm_names") if wanted.get(k)}
    if names:
        first = fetch_live(proposal.region, session=session, warn=warn, **names)
        values = list(first.exports.values()) + [v for v in first.ssm_parameters.values() if isinstance(v, str)]
        for keyword, ids in template_references([({"Resources": {"Values": values}}, {})]).as_kwargs().items():
            wanted[keyword] = sorted(set(wanted.get(keyword, [])) | set(ids))
    account = fetch_live(proposal.region, session=session, warn=warn, **wanted)
    try:
        check_matches(account, proposal.region, sorted(refs.arns))
    except SnapshotError as exc:
        raise AwsError(str(exc)) from None
    return account


def network_built_alongside(proposal: Proposal, session: Any, reads: Reads) -> Optional[str]:
    """For a RESOURCE target: why it is not judged alone when its stack also creates network
    resources (``cloudformation get-template``).  CloudFormation creates a service as soon as what
    it references exists; a route, endpoint or rule of the same stack that it does not reference
    may come later, and judged against the account before then its absence would read as a fault
    (docs/hook.md).  The STACK and CHANGE_SET hook judges the whole template instead."""
    if proposal.target != "RESOURCE" or not proposal.stack_id:
        return None
    cfn = session.client("cloudformation")
    doc = _call(reads, "cloudformation get-template", cfn.get_template, StackName=proposal.stack_id, TemplateStage="Original")
    body = (doc or {}).get("TemplateBody")
    if isinstance(body, str):
        try:
            body = loads(body, "stack template")
        except LoadError:
            return None
    resources = body.get("Resources") if isinstance(body, dict) else None
    network = sorted({str(r.get("Type")) for r in (resources or {}).values() if isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::EC2::")})
    if not network:
        return None
    shown = ", ".join(network[:3]) + (", ..." if len(network) > 3 else "")
    return (f"{proposal.subject}: not judged alone, because its stack also creates network resources ({shown}) that may not "
            "exist yet when it is created; activate the hook on STACK and CHANGE_SET operations to judge them together")


def read_account(proposal: Proposal, session: Any) -> Reads:
    """Everything the invocation needs from the account; AwsError (one line) when it cannot be read."""
    reads = Reads()
    reads.skip = network_built_alongside(proposal, session, reads)
    if reads.skip or reads.denied:
        return reads
    if proposal.target in ("STACK", "CHANGE_SET"):
        proposal.params.update(stack_parameters(proposal, session, reads))
    add_task_definitions(proposal, session, reads)
    reads.account = network(proposal, session, reads)
    return reads
