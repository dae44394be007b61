"""Rules 3xxx, S3 through its gateway endpoint: the route tables it lists (EN3001) and its policy
against the ECR layer bucket (EN3002)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator, List, NamedTuple, Optional, Tuple

from ..engine import Analysis
from ..findings import Fix, Raw
from ..load.policy import Need
from ..phrasing import join as _join, subnets as _subnets
from ..state import Endpoint
from ..values import MARK, NOVALUE, Partial, Path, Unknown, first_unknown
from .fixes import layer_bucket_statement
from .base import _as_list, _describe, _group, _key_path, _need, _note, _props, _symptom, in_template, ref_or_id, subnet_anchor
from .policy_documents import _match_any, _tri_and, parse_document


def en3001(a: Analysis) -> Iterator[Raw]:
    bad = [v for v in a.verdicts if v.outcome == "s3-route"]
    for (ep_lid, w, rt), vs in _group(bad, lambda v: (v.via.lid, v.workload.lid, a.state.subnets[v.subnet].route_table)).items():
        v = vs[0]
        subnets = [x.subnet for x in vs]
        one = len(set(subnets)) == 1
        ep = v.via
        if not in_template(ep):
            # the endpoint is the account's: the fix is made there, the finding anchors where the
            # template names the subnet
            where = f"of subnet {subnets[0]}" if one else f"of {_subnets(subnets)}"
            yield Raw(
                "EN3001",
                subnet_anchor(v),
                f"Tasks of {v.workload.label} in {_subnets(subnets)} {_need(v)} ({_note(a, v)}), but route table {rt} {where} "
                f"is not in the route tables of S3 gateway endpoint {ep_lid} (account resources) and {'it has' if one else 'they have'} "
                f"no internet path, so those tasks fail with {_symptom(v)}; in the account, add {rt} to the route tables of S3 gateway "
                f"endpoint {ep_lid} (aws ec2 modify-vpc-endpoint --vpc-endpoint-id {ep_lid} --add-route-table-ids {rt}).",
                w,
            )
            continue
        path = _key_path(a, ep_lid, "RouteTableIds")
        if rt is None:
            yield Raw(
                "EN3001",
                path,
                f"Tasks of {v.workload.label} in {_subnets(subnets)} {_need(v)} ({_note(a, v)}), but "
                f"{'that subnet has' if one else 'those subnets have'} no route "
                f"table association (the VPC main route table, which S3 gateway endpoint {ep_lid} does not list) and no internet "
                f"path, so those tasks fail with {_symptom(v)}; associate a route table with "
                f"{'it' if one else 'them'} and add it to RouteTableIds of {ep_lid}.",
                w,
            )
            continue
        yield Raw(
            "EN3001",
            path,
            f"Tasks of {v.workload.label} in {_subnets(subnets)} {_need(v)} ({_note(a, v)}), but route table {rt} of {'that subnet' if one else 'those subnets'} "
            f"is not in RouteTableIds of S3 gateway endpoint {ep_lid} and {'it has' if one else 'they have'} no internet "
            f"path, so those tasks fail with {_symptom(v)}; add {rt} to RouteTableIds of {ep_lid}.",
            w,
            Fix(_props(ep_lid), "RouteTableIds", ref_or_id(rt, a.state.route_tables.get(rt)), "append"),
        )


# Condition keys that restrict by account or organisation, of the principal or of the resource:
# ECR's layer requests are made by AWS for a bucket AWS owns (fact 23), so a positive test of any
# of them against the user's own account or organisation never holds.  Written out by hand: IAM
# publishes no machine-readable list of which keys name an account.
_ACCOUNT_KEYS = {k.lower(): k for k in (
    "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
    "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths",
    "s3:ResourceAccount",
)}
# ... of which these are absent from a request when that account is in no organisation: with an
# ...IfExists operator the test then holds, and whether AWS's accounts are in one is not known.
_ORG_KEYS = {k.lower() for k in ("aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:ResourceOrgID", "aws:ResourceOrgPaths")}


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _principal_any(principal: Any) -> Optional[bool]:
    """Does the statement's Principal take in every principal (ECR's, which is AWS's own)?"""
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        values = [v for k, vs in principal.items() if k == "AWS" for v in _as_list(vs)]
        if any(v == "*" for v in values):
            return True
        if all(isinstance(v, str) or (isinstance(v, Partial) and v.text != MARK) for v in values):
            return False  # named accounts, roles, services: not ECR's principal
        return None
    if isinstance(principal, Partial) and principal.text != MARK:
        return False  # an ARN with some deploy-time piece: a specific principal
    return None


def _condition_effect(cond: Any, effect: str) -> Tuple[Optional[bool], str]:
    """Does the statement's Condition hold for ECR's requests for the AWS-owned layer bucket?

    Account/organisation keys with a positive operator never hold (the bucket and the principal
    are AWS's, fact 23); with a negative operator they always hold.  Anything else: undecidable."""
    if cond is None or cond == {}:
        return True, ""
    if not isinstance(cond, Mapping):
        return None, ""
    verdicts: List[Optional[bool]] = []
    key_seen = ""
    for op, block in cond.items():
        if not isinstance(op, str) or not isinstance(block, Mapping):
            return None, ""
        negative = "Not" in op
        for key, values in block.items():
            name = _ACCOUNT_KEYS.get(key.lower()) if isinstance(key, str) else None
            if name is None or op.startswith("Null") or _matches_anything(op, values):
                verdicts.append(None)
                continue
            key_seen = key_seen or name
            if op.endswith("IfExists") and key.lower() in _ORG_KEYS:
                verdicts.append(True if negative else None)  # absent outside an organisation: holds
                continue
            verdicts.append(negative)
    if any(v is False for v in verdicts):
        return False, key_seen
    if all(v is True for v in verdicts):
        return True, key_seen
    return None, key_seen


def _matches_anything(op: str, values: Any) -> bool:
    """A `*Like` test with a bare "*" (or an undecided value): it may hold for AWS's account too."""
    items = values if isinstance(values, list) else [values]
    if "Like" not in op:
        return False  # an exact account or organisation: the user's, never AWS's
    return any(not isinstance(v, str) or v.strip("*/") == "" for v in items)


def _resource_pattern(value: Any) -> Any:
    """A Resource entry as a pattern: deploy-time identities of this template (its buckets, the
    account id) cannot spell the AWS-owned bucket, so they become a character no ARN holds."""
    if isinstance(value, Partial):
        text = value.text
        for unk in value.unknowns:
            token = "\x01" if unk.why.endswith("is only known at deploy time") else MARK
            text = text.replace(MARK, token, 1)
        if MARK in text:
            return value
        return text
    return value


def _first_unknown(node: Any, depth: int = 0) -> Optional[Unknown]:
    if isinstance(node, (Unknown, Partial)) or depth > 20:
        return first_unknown(node) if depth <= 20 else None
    items = node.values() if isinstance(node, Mapping) else node if isinstance(node, (list, tuple)) else ()
    return next((u for u in (_first_unknown(x, depth + 1) for x in items) if u is not None), None)


def _undecided(s: Any, verb: str) -> str:
    """Why a statement may or may not apply to ECR's layer requests: the unknown value it rests
    on (a parameter with no value, ...), else its undecidable condition."""
    unk = next((u for u in (_first_unknown(x) for x in (s.resource, s.principal, s.condition)) if u is not None), None)
    if unk is not None:
        return f"whether statement {s.label} {verb} it is not known, because {unk.why}"
    return f"whether statement {s.label} {verb} it cannot be decided (its Condition uses keys ecsnetpolicy does not evaluate)"


def layer_bucket_access(doc: Any, region: str) -> Tuple[Optional[bool], str]:
    """(allowed?, why not) for s3:GetObject on the ECR layer bucket under an endpoint policy."""
    stmts, unknown = parse_document(doc, "the endpoint policy")
    if unknown:
        return None, "its policy document cannot be read"
    target = f"arn:{_partition(region)}:s3:::prod-{region}-starport-layer-bucket/*"
    allowed: Optional[bool] = False
    deny_maybe = False
    undecided = ""
    reasons: List[str] = []
    for s in stmts:
        act = s.action_matches("s3:GetObject")
        if s.not_resource or s.resource is None:
            res: Optional[bool] = None
        else:
            res = _match_any([_resource_pattern(x) for x in _as_list(s.resource)], target, ignore_case=False)
        pri = None if s.not_principal else _principal_any(s.principal)
        cond, key = _condition_effect(s.condition, s.effect or "")
        applies = _tri_and(act, res, pri, cond)
        if s.effect == "Deny":
            if applies is True:
                return False, f"statement {s.label} denies it"
            if applies is None:
                deny_maybe = True
                undecided = undecided or _undecided(s, "denies")
            continue
        if applies is True:
            allowed = True
        elif applies is None:
            allowed = None if allowed is False else allowed
            undecided = undecided or _undecided(s, "allows")
        elif act is True and res is True and pri is True and cond is False and key:
            reasons.append(f"statement {s.label} allows it only under an {key} condition, which ECR's requests to the AWS-owned bucket never meet")
    if deny_maybe:
        return None, undecided
    if allowed is True:
        return True, ""
    if allowed is None:
        return None, undecided
    return False, reasons[0] if reasons else "no statement allows it"


def _key_of(why: str) -> str:
    """The account or organisation key a reason of layer_bucket_access names, if any."""
    return next((k for k in _ACCOUNT_KEYS.values() if f"an {k} condition" in why and k != "s3:ResourceAccount"), "")


def _is_ecr_pull(need: Need) -> bool:
    regs = need.when.get("image_registry") if isinstance(need.when, Mapping) else None
    return "ecr" in _as_list(regs) and "s3" in need.requires


class PolicyCase(NamedTuple):
    """One S3 gateway endpoint with a policy that ECR-pulling workloads route through."""

    endpoint: Endpoint
    users: List[Any]  # the ok verdicts of those workloads through it
    path: Path
    ours: bool
    allowed: Optional[bool]
    why: str


def policy_cases(a: Analysis) -> Iterator[PolicyCase]:
    """The S3 gateway endpoints ECR-pulling tasks route through, with what their policy decides
    for the AWS-owned layer bucket (None: undecided, IN9001; an Unknown policy is reported where
    it arose)."""
    net, r = a.state, a.resolver
    for ep in net.endpoints.values():
        if ep.service != "s3" or ep.type != "Gateway":
            continue
        ours = in_template(ep)
        if ours and "PolicyDocument" not in r.properties(ep.lid):
            continue  # no policy: full access
        users = [
            v for v in a.verdicts
            if v.service == "s3" and v.outcome == "ok" and isinstance(v.via, Endpoint) and v.via.lid == ep.lid and _is_ecr_pull(v.need.need)
        ]
        if not users:
            continue
        if ours:
            path = _props(ep.lid) + ("PolicyDocument",)
            doc = r.resolve(r.properties(ep.lid).get("PolicyDocument"), path)
        else:  # an endpoint of the account: its policy as the snapshot holds it, anchored where its users run
            path, doc = subnet_anchor(users[0]), ep.policy
        if doc is NOVALUE or doc is None or isinstance(doc, Unknown):
            continue
        allowed, why = layer_bucket_access(doc, a.region)
        yield PolicyCase(ep, users, path, ours, allowed, why)


def layer_policy_unknowns(a: Analysis) -> Iterator[Raw]:
    """IN9001 where an S3 endpoint policy's statements cannot be decided for ECR's layer
    requests (a condition key we cannot evaluate, a principal or resource not known): never
    silence."""
    for case in policy_cases(a):
        if case.allowed is not None:
            continue
        bucket = f"arn:{_partition(a.region)}:s3:::prod-{a.region}-starport-layer-bucket/*"
        labels = _join([x.workload.label for x in case.users])
        yield Raw(
            "IN9001",
            case.path,
            f"Could not verify that S3 gateway endpoint {case.endpoint.lid} lets tasks of {labels} download image layers "
            f"from {bucket}: {case.why or 'its policy allows or denies that only under conditions, principals or resources that cannot be decided'}; "
            f"supply the values the policy uses (ecsnetpolicy check --parameter NAME=VALUE, cfn-lint --parameters), or allow "
            f"s3:GetObject on {bucket} for Principal \"*\" with no account or organisation condition.",
            case.users[0].workload.lid if len({x.workload.lid for x in case.users}) == 1 else None,
        )


def en3002(a: Analysis) -> Iterator[Raw]:
    net = a.state
    for case in policy_cases(a):
        ep, users, path, ours, allowed, why = case
        if allowed is not False:
            continue
        bucket = f"arn:{_partition(a.region)}:s3:::prod-{a.region}-starport-layer-bucket/*"
        v = users[0]
        online = any(net.internet_path(x.subnet, x.workload)[0] is True for x in users)
        route = " rather than through their internet path (the endpoint route wins for S3)" if online else ""
        labels = _join([x.workload.label for x in users])
        need = v.need.need
        symptom = need.symptom_for("s3") if hasattr(need, "symptom_for") else need.symptom
        keys = ", ".join(dict.fromkeys(k for k in (_key_of(why), "aws:PrincipalAccount", "aws:PrincipalOrgID") if k))
        statement = (f"a statement allowing s3:GetObject on {bucket} for Principal \"*\" with no {keys} "
                     f"or s3:ResourceAccount condition")
        where = "The PolicyDocument of S3 gateway endpoint" if ours else "The policy of S3 gateway endpoint"
        fix = (f"add {statement}." if ours else
               f"in the account, add {statement} to the policy of {ep.lid} (aws ec2 modify-vpc-endpoint --vpc-endpoint-id {ep.lid} "
               f"--policy-document file://policy.json).")
        yield Raw(
            "EN3002",
            path,
            f"{where} {ep.lid}{'' if ours else ' in the account'} does not allow s3:GetObject on {bucket} ({why}), and tasks "
            f"of {labels} in {_subnets([x.subnet for x in users])} reach S3 through it{route}, so "
            f"they cannot {_describe(need, v.need.image, v.need.detail)} and fail with {symptom}; {fix}",
            v.workload.lid if len({x.workload.lid for x in users}) == 1 else None,
            layer_bucket_statement(ep) if ours else None,
        )
