"""Rules of issue 3 beyond the runbook: the execution role (EN5001), the S3 gateway endpoint's
policy against the ECR layer bucket (EN3002), deployment safety (WN6001, EN6002) and the `nofile`
ulimit (IN6003).

Each function takes one scenario's :class:`~ecsnetpolicy.engine.Analysis` and yields
:class:`~ecsnetpolicy.checks.Raw`; ``checks.py`` merges :data:`MORE_CHECKS` into its registry.
Every value goes through the scenario's Resolver: a value the template set cannot decide makes
the rule silent for it (never an error resting on an unknown), and odd input (wrong types
anywhere) is skipped, never raised on.  No cfn-lint import here.

What a need asks of the execution role is data: ``execution_role_actions``,
``execution_role_when`` and ``execution_role_symptoms`` of the needs in ``policies/*.yaml``, and
the actions of AWS managed policies under ``managed_policies`` there.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple


from ..engine import Analysis, container_facts
from ..phrasing import join as _join, short_image as _short_image, subnets as _subnets
from ..findings import Fix
from ..state import Endpoint
from ..load.policy import Need, _matches
from ..values import MARK, NOVALUE, Partial, Path, ResAtt, ResRef, Unknown, as_bool, as_int, is_known

if TYPE_CHECKING:  # checks.py imports this module at its end: import Raw lazily
    from . import Raw


def _raw(*args: Any) -> "Raw":
    from . import Raw

    return Raw(*args)

# ------------------------------------------------------------------------------------ phrasing










def _describe(need: Need, image: str = "", detail: str = "") -> str:
    try:
        return need.description.format(image=_short_image(image) or "(image)", detail=detail or "its registry")
    except (KeyError, IndexError, ValueError, AttributeError):
        return need.description


def _props_path(lid: str) -> Path:
    return ("Resources", lid, "Properties")


def _int(value: Any) -> Optional[int]:
    """An integer from a CloudFormation number (1, 1.0, "1"); None for anything else (a number
    too large to read, "0x10", "４", " 1", inf, nan: see values.as_int)."""
    number = as_int(value)
    return None if isinstance(number, Unknown) else number


def _as_list(value: Any) -> List[Any]:
    if isinstance(value, list):
        return value
    return [value]


def role_actions(need: Need) -> List[str]:
    return list(need.execution_role_actions)


EXECUTION_POLICY = "service-role/AmazonECSTaskExecutionRolePolicy"


# ------------------------------------------------------------------------------------ IAM
def _wild(pattern: str, value: str, ignore_case: bool) -> bool:
    """IAM wildcard match: `*` any run of characters, `?` one character, nothing else special.

    Greedy with backtracking to the last `*` only: O(len(pattern) * len(value)) at worst, where a
    regular expression of the pattern (".*.?.*.?...") backtracks exponentially."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if "?" not in pattern:  # the usual forms: "ecr:GetAuthorizationToken", "ecr:*", "*"
        stars = pattern.count("*")
        if stars == 0:
            return pattern == value
        if stars == 1 and pattern.endswith("*"):
            return value.startswith(pattern[:-1])
    p = v = 0
    star = -1  # position in the pattern after the last `*`, and where in the value it resumes
    resume = 0
    while v < len(value):
        if p < len(pattern) and pattern[p] == "*":
            star, resume = p + 1, v
            p += 1
        elif p < len(pattern) and (pattern[p] == "?" or pattern[p] == value[v]):
            p += 1
            v += 1
        elif star >= 0:
            resume += 1
            p, v = star, resume
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _match_any(patterns: Any, value: str, ignore_case: bool) -> Optional[bool]:
    """Does one of the patterns match?  None when an undecidable pattern might."""
    if not isinstance(patterns, list):
        patterns = [patterns]
    result: Optional[bool] = False
    for p in patterns:
        if isinstance(p, str):
            if _wild(p, value, ignore_case):
                return True
        else:
            result = None
    return result


def _tri_and(*values: Optional[bool]) -> Optional[bool]:
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


class Stmt:
    """One policy statement, resolved; `ok` is False when it could not be read at all."""

    def __init__(self, raw: Any, where: str, index: int):
        self.where = where
        self.ok = isinstance(raw, Mapping)
        raw = raw if isinstance(raw, Mapping) else {}
        sid = raw.get("Sid")
        self.label = f"{sid}" if isinstance(sid, str) and sid else f"#{index + 1}"
        self.effect = raw.get("Effect") if isinstance(raw.get("Effect"), str) else None
        self.action = raw.get("Action")
        self.not_action = "NotAction" in raw
        self.resource = raw.get("Resource")
        self.not_resource = "NotResource" in raw
        self.principal = raw.get("Principal")
        self.not_principal = "NotPrincipal" in raw
        self.condition = raw.get("Condition")
        if self.action is None and not self.not_action:
            self.ok = False
        if self.effect not in ("Allow", "Deny"):
            self.ok = False

    def action_matches(self, action: str) -> Optional[bool]:
        if self.not_action:
            return None  # NotAction: treated as undecidable
        if not isinstance(self.action, (str, list)):
            return None
        return _match_any(self.action, action, ignore_case=True)

    def covers_all_resources(self) -> Optional[bool]:
        if self.not_resource:
            return None
        res = self.resource
        if res is None:
            return None
        return True if any(r == "*" for r in _as_list(res)) else None


def parse_document(doc: Any, where: str) -> Tuple[List[Stmt], bool]:
    """(statements, unknown): unknown when some part of the document could not be read."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return [], True
    if not isinstance(doc, Mapping):
        return [], True
    st = doc.get("Statement")
    if isinstance(st, Mapping):
        st = [st]
    if not isinstance(st, list):
        return [], True
    out = [Stmt(s, where, i) for i, s in enumerate(st)]
    return [s for s in out if s.ok], any(not s.ok for s in out)


def _attached(r: Any, value: Any, role: str, role_name: Any) -> Optional[bool]:
    """Does a `Roles`/`RoleName` entry name the role?  None when it cannot be decided."""
    if isinstance(value, ResRef):
        return value.logical_id == role
    if isinstance(value, str):
        if role_name is None:
            return False  # a generated role name cannot be written literally
        if isinstance(role_name, str):
            return value == role_name
        return None
    if isinstance(value, ResAtt):
        return False if value.logical_id != role else None
    return None


def _standalone_policies(a: Analysis) -> List[Tuple[str, str, Any]]:
    """(logical id, type, the roles it names as (value, path) or an Unknown) of every standalone
    IAM policy, resolved once per scenario (per role would be quadratic in the template)."""
    found = a.__dict__.get("_standalone_policies")
    if found is None:
        r, by_type = a.resolver, a.by_type
        found = []
        for rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"):
            for lid in by_type.get(rtype, []):
                p = _props_path(lid)
                pprops = r.properties(lid)
                if rtype == "AWS::IAM::RolePolicy":
                    entries: Any = [(r.resolve(pprops.get("RoleName"), p + ("RoleName",)), p + ("RoleName",))]
                else:
                    entries = r.items(pprops.get("Roles", []), p + ("Roles",))
                found.append((lid, rtype, entries))
        a.__dict__["_standalone_policies"] = found
    return found


class RolePolicies:
    """Every statement that applies to a template role, and whether some could not be read."""

    def __init__(self, a: Analysis, role: str):
        self.statements: List[Stmt] = []
        self.unknown = False
        self.has_execution_policy = False
        r = a.resolver
        base = _props_path(role)
        props = r.properties(role)
        role_name = r.resolve(props.get("RoleName"), base + ("RoleName",)) if "RoleName" in props else None
        managed = a.policy.managed_policies
        # managed policies
        items = r.items(props.get("ManagedPolicyArns", []), base + ("ManagedPolicyArns",))
        if isinstance(items, Unknown):
            self.unknown = True
            items = []
        for value, _path in items:
            self._managed(a, value, managed)
        # inline policies
        items = r.items(props.get("Policies", []), base + ("Policies",))
        if isinstance(items, Unknown):
            self.unknown = True
            items = []
        for value, _path in items:
            if not isinstance(value, Mapping):
                self.unknown = True
                continue
            name = value.get("PolicyName") if isinstance(value.get("PolicyName"), str) else "?"
            self._add(value.get("PolicyDocument"), f"inline policy {name} of {role}")
        # standalone policies attached to the role
        for lid, rtype, entries in _standalone_policies(a):
            p = _props_path(lid)
            pprops = r.properties(lid)
            if isinstance(entries, Unknown):
                self.unknown = True
                continue
            hits = [_attached(r, v, role, role_name) for v, _ in entries]
            if any(h is True for h in hits):
                what = "managed policy" if rtype == "AWS::IAM::ManagedPolicy" else "policy"
                self._add(r.resolve(pprops.get("PolicyDocument"), p + ("PolicyDocument",)), f"{what} {lid}")
            elif any(h is None for h in hits):
                self.unknown = True

    def _add(self, doc: Any, where: str) -> None:
        stmts, unknown = parse_document(doc, where)
        self.statements.extend(stmts)
        self.unknown = self.unknown or unknown

    def _managed(self, a: Analysis, value: Any, managed: Mapping[str, List[str]]) -> None:
        r = a.resolver
        if isinstance(value, ResRef) and r.resource_type(value.logical_id) == "AWS::IAM::ManagedPolicy":
            if r.present(value.logical_id):
                lid = value.logical_id
                self._add(r.resolve(r.properties(lid).get("PolicyDocument"), _props_path(lid) + ("PolicyDocument",)), f"managed policy {lid}")
            return  # a policy not created in this scenario: the stack fails elsewhere
        if isinstance(value, str):
            m = re.fullmatch(r"arn:aws[a-z-]*:iam::aws:policy/(.+)", value)
            if m and m.group(1) in managed:
                if m.group(1) == EXECUTION_POLICY:
                    self.has_execution_policy = True
                stmt = Stmt({"Effect": "Allow", "Action": managed[m.group(1)], "Resource": "*"}, f"managed policy {m.group(1)}", 0)
                self.statements.append(stmt)
                return
        self.unknown = True  # another AWS managed policy, a customer policy by ARN, a parameter...

    def decide(self, action: str) -> Tuple[str, Optional[Stmt]]:
        """("allowed" | "denied" | "missing" | "unknown", the deciding Deny statement)."""
        allow: Optional[bool] = False
        deny_maybe = False
        for s in self.statements:
            m = s.action_matches(action)
            if m is False:
                continue
            if s.effect == "Deny":
                if m is True and not s.condition and s.covers_all_resources() is True:
                    return "denied", s
                deny_maybe = True
            elif m is True:
                allow = True  # a conditional or resource-limited Allow counts: lean to silence
            elif allow is False:
                allow = None
        if deny_maybe:
            return "unknown", None
        if allow is True:
            return "allowed", None
        if allow is None or self.unknown:
            return "unknown", None
        return "missing", None


# ------------------------------------------------------------------------------------ task definitions
def task_definition_users(a: Analysis, td: str) -> List[Tuple[str, Any]]:
    """(label, launch type or None) of everything in the template that starts tasks of `td`: the
    model's workloads, plus services and task sets without awsvpc networking (never Fargate)."""
    model, r = a.state, a.resolver
    out: List[Tuple[str, Any]] = []
    for w in model.workloads.values():
        if w.task_definition == td:
            out.append((w.label, w.launch_type if isinstance(w.launch_type, str) else None))
    others = a.__dict__.get("_non_awsvpc_users")
    if others is None:  # resolved once per scenario, not once per task definition
        others = {}
        for rtype, kind in (("AWS::ECS::Service", "service"), ("AWS::ECS::TaskSet", "task set")):
            for lid in a.by_type.get(rtype, []):
                props = r.properties(lid)
                if "NetworkConfiguration" in props:
                    continue  # a workload of the model (above)
                ref = r.resolve(props.get("TaskDefinition"), _props_path(lid) + ("TaskDefinition",))
                if isinstance(ref, ResRef):
                    others.setdefault(ref.logical_id, []).append(f"{kind} {lid}")
        a.__dict__["_non_awsvpc_users"] = others
    out.extend((label, "EC2") for label in others.get(td, []))  # bridge or host networking: not Fargate
    return out


def _td_launch_type(a: Analysis, td: str, users: Sequence[Tuple[str, Any]]) -> Optional[str]:
    """FARGATE when some of its tasks surely run on Fargate, EC2 when all surely do not."""
    r = a.resolver
    if any(lt == "FARGATE" for _, lt in users):
        return "FARGATE"
    compat = r.resolve(r.properties(td).get("RequiresCompatibilities"), _props_path(td) + ("RequiresCompatibilities",))
    if isinstance(compat, list) and compat and all(c == "FARGATE" for c in compat):
        return "FARGATE"
    if users and all(lt == "EC2" for _, lt in users):
        return "EC2"
    return None


def _containers(a: Analysis, td: str) -> List[Tuple[Mapping[str, Any], Path]]:
    r = a.resolver
    base = _props_path(td)
    items = r.items(r.properties(td).get("ContainerDefinitions", []), base + ("ContainerDefinitions",))
    if isinstance(items, Unknown):
        return []
    return [(c, p) for c, p in items if isinstance(c, Mapping)]


class NeedHit:
    def __init__(self, need: Need, image: str, detail: str):
        self.need = need
        self.image = image
        self.detail = detail


def execution_needs(a: Analysis, td: str, launch_type: Optional[str]) -> List[NeedHit]:
    """The needs of the task definition's containers that ask something of the execution role."""
    hits: Dict[str, NeedHit] = {}
    for c, _cpath in _containers(a, td):
        cf = container_facts(a, c, a.region)
        facts = {**cf.facts, "launch_type": launch_type}
        for need in a.policy.needs_for(facts):
            if not need.execution_role_actions:
                continue
            if need.execution_role_when and not _matches(need.execution_role_when, facts):
                continue
            if need.need_id not in hits:
                hits[need.need_id] = NeedHit(need, cf.image, cf.detail)
    return list(hits.values())


_RESOURCE_WORDS = {
    "secretsmanager": "the secret's ARN",
    "ssm": "the parameter's ARN",
    "s3": "the environment file's object ARN",
    "logs": "the log group's ARN",
    "kms": "the key's ARN",
    "ecr": "the repository's ARN",
}


def _resource_words(actions: Sequence[str]) -> str:
    words = [_RESOURCE_WORDS.get(x.split(":", 1)[0].lower(), "the resources the task definition names") for x in actions]
    return _join(words)


def _symptom(need: Need, action: str) -> str:
    syms = need.execution_role_symptoms
    for key in (action, "*"):
        if isinstance(syms.get(key), str):
            return syms[key]
    return need.symptom


def en5001(a: Analysis) -> Iterator[Raw]:
    model, r = a.state, a.resolver
    managed = a.policy.managed_policies
    execution_actions = {x.lower() for x in managed.get(EXECUTION_POLICY, [])}
    for td in model.task_definitions:
        users = task_definition_users(a, td)
        if not users:
            continue  # run from elsewhere: who runs it, and how, is not in the template
        hits = execution_needs(a, td, _td_launch_type(a, td, users))
        if not hits:
            continue
        base = _props_path(td)
        props = r.properties(td)
        who = f"used by {_join([label for label, _ in users])}"
        anchor = base + ("ExecutionRoleArn",) if "ExecutionRoleArn" in props else ("Resources", td)
        value = r.resolve(props.get("ExecutionRoleArn"), base + ("ExecutionRoleArn",)) if "ExecutionRoleArn" in props else None
        if value is None or value is NOVALUE or value == "":
            for hit in hits:
                actions = role_actions(hit.need)
                if actions and all(x.lower() in execution_actions for x in actions):
                    grant = "the AWS managed policy AmazonECSTaskExecutionRolePolicy"
                else:
                    grant = f"{_join(actions)} allowed on {_resource_words(actions)} only"
                yield _raw(
                    "EN5001",
                    anchor,
                    f"Task definition {td} ({who}) has no ExecutionRoleArn, but its tasks {_describe(hit.need, hit.image, hit.detail)}, "
                    f"which needs an execution role allowing {_join(actions)}, so ECS rejects the task definition or its tasks "
                    f"fail with {_symptom(hit.need, actions[0])}; set ExecutionRoleArn to a role that ecs-tasks.amazonaws.com "
                    f"can assume with {grant}.",
                    None,
                )
            continue
        if isinstance(value, (ResAtt, ResRef)) and (not isinstance(value, ResAtt) or value.attribute == "Arn"):
            role = value.logical_id
        else:
            continue  # a role this template does not define: unknown
        if r.resource_type(role) != "AWS::IAM::Role" or not r.present(role):
            continue
        perms = RolePolicies(a, role)
        for hit in hits:
            actions = role_actions(hit.need)
            missing: List[str] = []
            denied: List[str] = []
            deny_where: List[str] = []
            for action in actions:
                state, stmt = perms.decide(action)
                if state == "missing":
                    missing.append(action)
                elif state == "denied":
                    denied.append(action)
                    if stmt is not None:
                        deny_where.append(f"statement {stmt.label} of {stmt.where}")
            if not missing and not denied:
                continue
            problems = []
            fixes = []
            if missing:
                problems.append(f"does not allow {_join(missing)}")
                in_managed = [x for x in missing if x.lower() in execution_actions]
                others = [x for x in missing if x.lower() not in execution_actions]
                if in_managed and not perms.has_execution_policy:
                    fixes.append(f"attach the AWS managed policy AmazonECSTaskExecutionRolePolicy to {role}")
                else:
                    others = missing
                if others:
                    fixes.append(f"allow {_join(others)} on {_resource_words(others)} only in a policy of {role}")
            if denied:
                problems.append(f"explicitly denies {_join(denied)} ({_join(deny_where)})")
                fixes.append(f"narrow that Deny so it no longer covers {'them' if len(denied) > 1 else 'it'}")
            first = next(x for x in actions if x in missing or x in denied)
            yield _raw(
                "EN5001",
                anchor,
                f"Execution role {role} of task definition {td} ({who}) {' and '.join(problems)}, which its tasks need to "
                f"{_describe(hit.need, hit.image, hit.detail)}, so they fail with {_symptom(hit.need, first)} (not authorized "
                f"to perform: {first}); {' and '.join(fixes)}.",
                None,
            )


# ------------------------------------------------------------------------------------ EN3002
_ACCOUNT_KEYS = {"aws:principalaccount": "aws:PrincipalAccount", "aws:principalorgid": "aws:PrincipalOrgID", "s3:resourceaccount": "s3:ResourceAccount"}


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
        for key in block:
            name = _ACCOUNT_KEYS.get(key.lower()) if isinstance(key, str) else None
            if name is None or op.startswith("Null"):
                verdicts.append(None)
                continue
            key_seen = key_seen or name
            verdicts.append(negative)
    if any(v is False for v in verdicts):
        return False, key_seen
    if all(v is True for v in verdicts):
        return True, key_seen
    return None, key_seen


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


def layer_bucket_access(doc: Any, region: str) -> Tuple[Optional[bool], str]:
    """(allowed?, why not) for s3:GetObject on the ECR layer bucket under an endpoint policy."""
    stmts, unknown = parse_document(doc, "the endpoint policy")
    if unknown:
        return None, ""
    target = f"arn:{_partition(region)}:s3:::prod-{region}-starport-layer-bucket/*"
    allowed: Optional[bool] = False
    deny_maybe = False
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
            continue
        if applies is True:
            allowed = True
        elif applies is None:
            allowed = None if allowed is False else allowed
        elif act is True and res is True and pri is True and cond is False and key:
            reasons.append(f"statement {s.label} allows it only under an {key} condition, which ECR's requests to the AWS-owned bucket never meet")
    if deny_maybe:
        return None, ""
    if allowed is True:
        return True, ""
    if allowed is None:
        return None, ""
    return False, reasons[0] if reasons else "no statement allows it"


def _is_ecr_pull(need: Need) -> bool:
    regs = need.when.get("image_registry") if isinstance(need.when, Mapping) else None
    return "ecr" in _as_list(regs) and "s3" in need.requires


def en3002(a: Analysis) -> Iterator[Raw]:
    model, r = a.state, a.resolver
    for ep in model.endpoints.values():
        if ep.service != "s3" or ep.type != "Gateway":
            continue
        props = r.properties(ep.lid)
        if "PolicyDocument" not in props:
            continue  # no policy: full access
        users = [
            v for v in a.verdicts
            if v.service == "s3" and v.outcome == "ok" and isinstance(v.via, Endpoint) and v.via.lid == ep.lid and _is_ecr_pull(v.need.need)
        ]
        if not users:
            continue
        path = _props_path(ep.lid) + ("PolicyDocument",)
        doc = r.resolve(props.get("PolicyDocument"), path)
        if doc is NOVALUE or doc is None:
            continue
        allowed, why = layer_bucket_access(doc, a.region)
        if allowed is not False:
            continue
        bucket = f"arn:{_partition(a.region)}:s3:::prod-{a.region}-starport-layer-bucket/*"
        v = users[0]
        online = any(model.internet_path(x.subnet, x.workload)[0] is True for x in users)
        route = " rather than through their internet path (the endpoint route wins for S3)" if online else ""
        labels = _join([x.workload.label for x in users])
        need = v.need.need
        symptom = need.symptom_for("s3") if hasattr(need, "symptom_for") else need.symptom
        yield _raw(
            "EN3002",
            path,
            f"The PolicyDocument of S3 gateway endpoint {ep.lid} does not allow s3:GetObject on {bucket} ({why}), and tasks "
            f"of {labels} in {_subnets([x.subnet for x in users])} reach S3 through it{route}, so "
            f"they cannot {_describe(need, v.need.image, v.need.detail)} and fail with {symptom}; add a statement allowing "
            f"s3:GetObject on {bucket} for Principal \"*\" with no aws:PrincipalAccount, aws:PrincipalOrgID or "
            f"s3:ResourceAccount condition.",
            v.workload.lid if len({x.workload.lid for x in users}) == 1 else None,
        )


# ------------------------------------------------------------------------------------ deployments
def _services(a: Analysis) -> Iterator[Tuple[str, Mapping[str, Any]]]:
    r = a.resolver
    for lid in a.by_type.get("AWS::ECS::Service", []):
        yield lid, r.properties(lid)


def _rolling(a: Analysis, lid: str, props: Mapping[str, Any], dcfg: Any) -> Optional[bool]:
    """Does the service deploy with ECS rolling updates?  None when it cannot be decided."""
    r = a.resolver
    p = _props_path(lid)
    ctrl = r.resolve(props.get("DeploymentController"), p + ("DeploymentController",))
    if ctrl is not None and ctrl is not NOVALUE:
        if not isinstance(ctrl, Mapping):
            return None
        ctype = ctrl.get("Type", "ECS")
        if not isinstance(ctype, str):
            return None
        if ctype != "ECS":
            return False
    if isinstance(dcfg, Mapping) and "Strategy" in dcfg:
        strategy = dcfg.get("Strategy")
        if not isinstance(strategy, str):
            return None
        return strategy == "ROLLING"
    return True


def _deployment_configuration(a: Analysis, lid: str, props: Mapping[str, Any]) -> Any:
    if "DeploymentConfiguration" not in props:
        return {}
    value = a.resolver.resolve(props.get("DeploymentConfiguration"), _props_path(lid) + ("DeploymentConfiguration",))
    if value is NOVALUE or value is None:
        return {}
    return value if isinstance(value, Mapping) else None


def wn6001(a: Analysis) -> Iterator[Raw]:
    for lid, props in _services(a):
        dcfg = _deployment_configuration(a, lid, props)
        if dcfg is None or _rolling(a, lid, props, dcfg) is not True:
            continue
        fix = None
        dpath = _props_path(lid) + ("DeploymentConfiguration",)
        if "DeploymentCircuitBreaker" in dcfg:
            cb = dcfg.get("DeploymentCircuitBreaker")
            if not isinstance(cb, Mapping):
                continue
            enable = as_bool(cb.get("Enable"), False)
            if enable is not False:
                continue  # enabled, or not known
            said = "its DeploymentCircuitBreaker does not set Enable: true"
            if isinstance(props.get("DeploymentConfiguration"), Mapping) and isinstance(props["DeploymentConfiguration"].get("DeploymentCircuitBreaker"), Mapping):
                fix = Fix(dpath + ("DeploymentCircuitBreaker",), "Enable", True)
        else:
            said = "it has no DeploymentCircuitBreaker"
            if isinstance(props.get("DeploymentConfiguration"), Mapping) and props["DeploymentConfiguration"]:
                fix = Fix(dpath, "DeploymentCircuitBreaker", {"Enable": True, "Rollback": True})
        anchor = dpath if "DeploymentConfiguration" in props else ("Resources", lid)
        yield _raw(
            "WN6001",
            anchor,
            f"Service {lid} deploys with rolling updates but {said}, so a deployment whose tasks cannot start "
            f"(CannotPullContainerError, ResourceInitializationError) keeps launching replacements for hours until "
            f"CloudFormation gives up instead of failing after a few tasks; set DeploymentConfiguration.DeploymentCircuitBreaker "
            f"to Enable: true and Rollback: true.",
            lid,
            fix,
        )


def en6002(a: Analysis) -> Iterator[Raw]:
    r = a.resolver
    for lid, props in _services(a):
        p = _props_path(lid)
        dcfg = _deployment_configuration(a, lid, props)
        if dcfg is None or _rolling(a, lid, props, dcfg) is not True:
            continue
        strategy = r.resolve(props.get("SchedulingStrategy", "REPLICA"), p + ("SchedulingStrategy",))
        if strategy != "REPLICA":
            continue
        if "DesiredCount" not in props:
            continue  # absent: scaling decides (or CloudFormation's default); not judged
        dpath = p + ("DeploymentConfiguration",)
        numbers: List[Any] = []
        unreadable: Optional[Unknown] = None
        for value, vpath, what in (
            (r.resolve(props.get("DesiredCount"), p + ("DesiredCount",)), p + ("DesiredCount",), "DesiredCount"),
            (dcfg.get("MinimumHealthyPercent", 100), dpath + ("MinimumHealthyPercent",), "MinimumHealthyPercent"),
            (dcfg.get("MaximumPercent", 200), dpath + ("MaximumPercent",), "MaximumPercent"),
        ):
            number = as_int(value, vpath, what)
            if isinstance(number, Unknown) and is_known(value) and value is not NOVALUE and value is not None and unreadable is None:
                unreadable = number  # written, but not as a number CloudFormation reads
            numbers.append(number)
        if unreadable is not None:
            yield _raw(
                "IN9001",
                unreadable.path,
                f"Could not verify that deployments of service {lid} can stop and start tasks (EN6002): "
                f"{unreadable.why}; {unreadable.hint or 'write it as a whole number'}.",
                lid,
            )
            continue
        if any(isinstance(n, Unknown) for n in numbers):
            continue  # a parameter without value, an import...: not judged
        d, m, big_m = numbers
        if d <= 0 or m < 0 or big_m < 0:
            continue
        low = math.ceil(d * m / 100)
        high = math.floor(d * big_m / 100)
        if not (low >= d and high <= d):
            continue
        raise_max = math.ceil(100 * (d + 1) / d)
        lower_min = math.floor(100 * (d - 1) / d)
        min_said = f"MinimumHealthyPercent {m}" + (" (the default)" if "MinimumHealthyPercent" not in dcfg else "")
        max_said = f"MaximumPercent {big_m}" + (" (the default)" if "MaximumPercent" not in dcfg else "")
        fix = None
        raw_dcfg = props.get("DeploymentConfiguration")
        if isinstance(raw_dcfg, Mapping) and raw_dcfg and not isinstance(raw_dcfg.get("MaximumPercent"), Mapping):
            fix = Fix(dpath, "MaximumPercent", raise_max)
        yield _raw(
            "EN6002",
            dpath if "DeploymentConfiguration" in props else ("Resources", lid),
            f"Service {lid} has DesiredCount {d} with {min_said} and {max_said}, so during a deployment at least {low} "
            f"task{'s' if low != 1 else ''} must keep running and at most {high} may run: the scheduler can neither stop an "
            f"old task nor start a new one, and every deployment hangs until CloudFormation gives up; raise MaximumPercent "
            f"to {raise_max} or lower MinimumHealthyPercent to {lower_min}.",
            lid,
            fix,
        )


# ------------------------------------------------------------------------------------ IN6003
FARGATE_NOFILE = 65535  # fact 28


def in6003(a: Analysis) -> Iterator[Raw]:
    for td in a.state.task_definitions:
        for i, (c, cpath) in enumerate(_containers(a, td)):
            ulimits = c.get("Ulimits")
            if not isinstance(ulimits, list):
                continue
            lows = [
                _int(u.get("SoftLimit")) for u in ulimits
                if isinstance(u, Mapping) and u.get("Name") == "nofile" and _int(u.get("SoftLimit")) is not None
            ]
            lows = [x for x in lows if x is not None and x < FARGATE_NOFILE]
            if not lows:
                continue
            name = c.get("Name") if isinstance(c.get("Name"), str) else f"#{i + 1}"
            yield _raw(
                "IN6003",
                tuple(cpath) + ("Ulimits",),
                f"Container {name} of task definition {td} sets a nofile soft limit of {min(lows)}, below the "
                f"{FARGATE_NOFILE} Fargate gives by default, so a busy task can run out of file descriptors and sockets "
                f"(\"Too many open files\"); raise SoftLimit and HardLimit to {FARGATE_NOFILE} or drop the nofile entry "
                f"(\"Cannot assign requested address\" is ephemeral-port exhaustion, which this limit does not cause).",
            )


MORE_CHECKS = {
    "EN3002": en3002,
    "EN5001": en5001,
    "WN6001": wn6001,
    "EN6002": en6002,
    "IN6003": in6003,
}
