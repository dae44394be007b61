"""Rule 5xxx, the execution role (EN5001): every policy statement that applies to a template role,
and what it allows.  What a need asks of the role is data: ``execution_role_actions``,
``execution_role_when`` and ``execution_role_symptoms`` of the needs in ``policies/*.yaml``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from ..engine import Analysis
from ..findings import Raw
from ..load.policy import Need
from ..phrasing import join as _join
from ..values import NOVALUE, ResAtt, ResRef, Unknown
from .base import _describe, _props
from .policy_documents import Stmt, parse_document
from .tasks import _td_launch_type, execution_needs, task_definition_users


def role_actions(need: Need) -> List[str]:
    return list(need.execution_role_actions)


EXECUTION_POLICY = "service-role/AmazonECSTaskExecutionRolePolicy"


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
                p = _props(lid)
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
        base = _props(role)
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
            p = _props(lid)
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
                self._add(r.resolve(r.properties(lid).get("PolicyDocument"), _props(lid) + ("PolicyDocument",)), f"managed policy {lid}")
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


def _role_symptom(need: Need, action: str) -> str:
    syms = need.execution_role_symptoms
    for key in (action, "*"):
        if isinstance(syms.get(key), str):
            return syms[key]
    return need.symptom


def en5001(a: Analysis) -> Iterator[Raw]:
    net, r = a.state, a.resolver
    managed = a.policy.managed_policies
    execution_actions = {x.lower() for x in managed.get(EXECUTION_POLICY, [])}
    for td in net.task_definitions:
        users = task_definition_users(a, td)
        if not users:
            continue  # run from elsewhere: who runs it, and how, is not in the template
        hits = execution_needs(a, td, _td_launch_type(a, td, users))
        if not hits:
            continue
        base = _props(td)
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
                yield Raw(
                    "EN5001",
                    anchor,
                    f"Task definition {td} ({who}) has no ExecutionRoleArn, but its tasks {_describe(hit.need, hit.image, hit.detail)}, "
                    f"which needs an execution role allowing {_join(actions)}, so ECS rejects the task definition or its tasks "
                    f"fail with {_role_symptom(hit.need, actions[0])}; set ExecutionRoleArn to a role that ecs-tasks.amazonaws.com "
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
            yield Raw(
                "EN5001",
                anchor,
                f"Execution role {role} of task definition {td} ({who}) {' and '.join(problems)}, which its tasks need to "
                f"{_describe(hit.need, hit.image, hit.detail)}, so they fail with {_role_symptom(hit.need, first)} (not authorized "
                f"to perform: {first}); {' and '.join(fixes)}.",
                None,
            )


def execution_role_allows(a: Analysis, td: str, action: str) -> Any:
    """Does the execution role of task definition `td` allow `action`?  True, False, or an Unknown
    (a role given as an ARN or a parameter, a policy that cannot be read: EN5001's evaluation,
    reused by EN5002 for logs:CreateLogGroup)."""
    r = a.resolver
    base = _props(td)
    props = r.properties(td)
    if "ExecutionRoleArn" not in props:
        return False
    value = r.resolve(props.get("ExecutionRoleArn"), base + ("ExecutionRoleArn",))
    if value is None or value is NOVALUE or value == "":
        return False
    if isinstance(value, (ResAtt, ResRef)) and (not isinstance(value, ResAtt) or value.attribute == "Arn"):
        role = value.logical_id
        if r.resource_type(role) == "AWS::IAM::Role" and r.present(role):
            state, _stmt = RolePolicies(a, role).decide(action)
            if state == "allowed":
                return True
            if state in ("missing", "denied"):
                return False
            return Unknown(f"whether execution role {role} allows {action} cannot be decided", base + ("ExecutionRoleArn",))
    shown = value if isinstance(value, str) else "a role this template does not define"
    return Unknown(f"whether execution role {shown} allows {action} is not known", base + ("ExecutionRoleArn",),
                   "aws iam get-account-authorization-details --filter Role (in the --aws-snapshot directory)")
