"""Rule 5xxx, the execution role (EN5001): every policy statement that applies to a template role,
or to a role given as an ARN that the account snapshot holds (its inline and attached policies),
and what it allows.  What a need asks of the role is data: ``execution_role_actions``,
``execution_role_when`` and ``execution_role_symptoms`` of the needs in ``policies/*.yaml``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import unquote

from ..engine import Analysis
from ..findings import Fix, Raw
from ..load.policy import Need
from ..phrasing import join as _join
from ..values import NOVALUE, Path, ResAtt, ResRef, Unknown, excerpt, first_unknown, short_name
from .base import _describe, _props
from .fixes import execution_policy
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


class _Grants:
    """Policy statements of one role, whether some could not be read, and what they decide."""

    def __init__(self) -> None:
        self.statements: List[Stmt] = []
        self.unknown = False
        self.has_execution_policy = False
        # what made the grants unknown: (why, hint, template path or None), for IN9001
        self.unknown_why: List[Tuple[str, str, Optional[Path]]] = []

    def _undecided(self, why: str, hint: str = "", path: Optional[Path] = None) -> None:
        self.unknown = True
        self.unknown_why.append((why, hint, path))

    def _add(self, doc: Any, where: str, path: Optional[Path] = None) -> None:
        stmts, unknown = parse_document(doc, where)
        self.statements.extend(stmts)
        if unknown:
            self._undecided(f"{where} cannot be read", "write its PolicyDocument as literal statements", path)

    def _aws_managed(self, value: Any, managed: Mapping[str, List[str]]) -> bool:
        """Add an AWS managed policy known by name (policies/*.yaml `managed_policies`); False
        when `value` is not one of them."""
        if not isinstance(value, str):
            return False
        m = re.fullmatch(r"arn:aws[a-z-]*:iam::aws:policy/(.+)", value)
        if not (m and m.group(1) in managed):
            return False
        if m.group(1) == EXECUTION_POLICY:
            self.has_execution_policy = True
        stmt = Stmt({"Effect": "Allow", "Action": managed[m.group(1)], "Resource": "*"}, f"managed policy {m.group(1)}", 0)
        self.statements.append(stmt)
        return True

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


class RolePolicies(_Grants):
    """Every statement that applies to a template role, and whether some could not be read."""

    def __init__(self, a: Analysis, role: str):
        super().__init__()
        r = a.resolver
        base = _props(role)
        props = r.properties(role)
        role_name = r.resolve(props.get("RoleName"), base + ("RoleName",)) if "RoleName" in props else None
        managed = a.policy.managed_policies
        # managed policies
        items = r.items(props.get("ManagedPolicyArns", []), base + ("ManagedPolicyArns",))
        if isinstance(items, Unknown):
            self._undecided(f"its ManagedPolicyArns are not known ({items.why})", items.hint, base + ("ManagedPolicyArns",))
            items = []
        for value, path in items:
            self._managed(a, value, managed, path)
        # inline policies
        items = r.items(props.get("Policies", []), base + ("Policies",))
        if isinstance(items, Unknown):
            self._undecided(f"its inline Policies are not known ({items.why})", items.hint, base + ("Policies",))
            items = []
        for value, path in items:
            if not isinstance(value, Mapping):
                self._undecided(f"an inline policy of {role} is not known", "", path)
                continue
            name = value.get("PolicyName") if isinstance(value.get("PolicyName"), str) else "?"
            self._add(value.get("PolicyDocument"), f"inline policy {name} of {role}", path)
        # standalone policies attached to the role
        for lid, rtype, entries in _standalone_policies(a):
            p = _props(lid)
            pprops = r.properties(lid)
            if isinstance(entries, Unknown):
                self._undecided(f"the roles policy {lid} attaches to are not known ({entries.why})", entries.hint, p)
                continue
            hits = [_attached(r, v, role, role_name) for v, _ in entries]
            if any(h is True for h in hits):
                what = "managed policy" if rtype == "AWS::IAM::ManagedPolicy" else "policy"
                self._add(r.resolve(pprops.get("PolicyDocument"), p + ("PolicyDocument",)), f"{what} {lid}", p + ("PolicyDocument",))
            elif any(h is None for h in hits):
                self._undecided(f"whether policy {lid} attaches to {role} cannot be decided", "", p)

    def _managed(self, a: Analysis, value: Any, managed: Mapping[str, List[str]], path: Optional[Path] = None) -> None:
        r = a.resolver
        if isinstance(value, ResRef) and r.resource_type(value.logical_id) == "AWS::IAM::ManagedPolicy":
            if r.present(value.logical_id):
                lid = value.logical_id
                self._add(r.resolve(r.properties(lid).get("PolicyDocument"), _props(lid) + ("PolicyDocument",)), f"managed policy {lid}",
                          _props(lid) + ("PolicyDocument",))
            return  # a policy not created in this scenario: the stack fails elsewhere
        if self._aws_managed(value, managed):
            return
        # another AWS managed policy, a customer policy by ARN, a parameter...
        self._undecided(*_unknown_policy(value), path)


def _unknown_policy(value: Any) -> Tuple[str, str]:
    """(why, hint) for a managed policy ARN whose grants are not known."""
    if isinstance(value, str) and re.match(r"arn:aws[a-z-]*:iam::aws:policy/", value):
        return (f"AWS managed policy {short_name(value)} is not among those whose grants ecsnetpolicy knows (policies/*.yaml)",
                "list its actions under managed_policies in a policy file of yours (ecsnetpolicy check --policy FILE)")
    if isinstance(value, str):
        return (f"managed policy {short_name(value)} is not defined in the templates given",
                "pass the template that defines it, or an account snapshot that holds it (ecsnetpolicy check --aws-snapshot DIR)")
    unk = first_unknown(value)
    if unk is not None:
        return f"a managed policy ARN is not known ({unk.why})", unk.hint
    return "a managed policy ARN is not known", ""


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


def _judge(perms: _Grants, actions: Sequence[str]) -> Tuple[List[str], List[str], List[str]]:
    """(missing, denied, where each deciding Deny is) of the actions a need asks of a role."""
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
    return missing, denied, deny_where


# ------------------------------------------------------------------ execution roles of the AWS account
ROLE_ARN = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})")


def _account_of(a: Analysis) -> Any:
    """The account snapshot the analysis reads (adapters/account/view.py: `roles`,
    `managed_policies`, `has`, `capture_command`), or None.  The resolver holds it (engine.py
    hands the same view to the resolver and to the account adapter)."""
    return getattr(a.resolver, "account", None)


def _role_fields(rec: Any) -> Tuple[str, Optional[str], Mapping[str, Any], Sequence[Any]]:
    """(name, ARN, inline policy documents by name, attached policy ARNs) of a role of the
    snapshot: a load/snapshot/ `Role`, or a RoleDetailList entry as the AWS CLI prints it."""
    if isinstance(rec, Mapping):
        inline = {str(p.get("PolicyName")): p.get("PolicyDocument") for p in rec.get("RolePolicyList") or [] if isinstance(p, Mapping)}
        attached = [p.get("PolicyArn") for p in rec.get("AttachedManagedPolicies") or [] if isinstance(p, Mapping)]
        return str(rec.get("RoleName")), rec.get("Arn"), inline, attached
    return str(rec.name), rec.arn, rec.inline_policies or {}, tuple(rec.attached_policy_arns or ())


def _decoded(doc: Any) -> Any:
    """A policy document as get-account-authorization-details prints it: a mapping, or a JSON
    string, URL-encoded or not (load/snapshot/ already decodes; stand-ins may not)."""
    if isinstance(doc, str):
        for text in (doc, unquote(doc)):
            try:
                return json.loads(text)
            except (ValueError, RecursionError):
                continue
    return doc


def _managed_document(rec: Any) -> Any:
    """The default version's document of a customer managed policy of the snapshot (a
    load/snapshot/ `ManagedPolicy` or a get-account-authorization-details entry), or None."""
    if rec is None:
        return None
    if isinstance(rec, Mapping):
        for v in rec.get("PolicyVersionList") or []:
            if isinstance(v, Mapping) and (v.get("IsDefaultVersion") or v.get("VersionId") == rec.get("DefaultVersionId")):
                return _decoded(v.get("Document"))
        return None
    return _decoded(getattr(rec, "document", None))


class AccountRolePolicies(_Grants):
    """Every statement of a role of the AWS account, evaluated as for a template role: its inline
    policies and its attached managed policies (customer managed ones from the snapshot, AWS
    managed ones known by name).  `lacking`: attached customer managed policies the snapshot
    does not hold (their grants are unknown)."""

    def __init__(self, account: Any, rec: Any, managed: Mapping[str, List[str]]):
        super().__init__()
        self.name, self.arn, inline, attached = _role_fields(rec)
        self.lacking: List[str] = []
        for pname, doc in inline.items():
            self._add(_decoded(doc), f"inline policy {pname} of role {self.name}")
        table = getattr(account, "managed_policies", None) or {}
        for arn in attached:
            if self._aws_managed(arn, managed):
                continue
            if not isinstance(arn, str) or re.match(r"arn:aws[a-z-]*:iam::aws:policy/", arn):
                self.unknown = True  # another AWS managed policy: its grants are not known here
                continue
            found = table.get(arn)
            doc = _managed_document(found)
            if doc is None:
                self.unknown = True
                self.lacking.append(arn)
                continue
            pname = found.get("PolicyName") if isinstance(found, Mapping) else getattr(found, "name", None)
            self._add(doc, f"managed policy {pname or arn}")


def _account_role(a: Analysis, value: Any, path: Any, must: str = "", subject: str = "") -> Any:
    """The execution role `value` (a role ARN) as the account snapshot shows it: its
    AccountRolePolicies, an Unknown saying why it cannot be read (and how to capture it), or
    None (no account, or not a role ARN: nothing to judge).  `must` words what the role must allow;
    `subject` how the Unknown names the role (default "execution role ARN")."""
    account = _account_of(a)
    m = ROLE_ARN.fullmatch(value) if isinstance(value, str) else None
    if account is None or m is None:
        return None
    cache = a.__dict__.setdefault("_account_roles", {})
    if value in cache:
        return cache[value]
    roles = getattr(account, "roles", None) or {}
    rec = roles.get(value)
    if rec is None:
        by_name = roles.get(m.group(3))
        if by_name is not None and _role_fields(by_name)[1] in (None, value):
            rec = by_name
    if rec is not None:
        cache[value] = AccountRolePolicies(account, rec, a.policy.managed_policies)
        return cache[value]
    what = (subject or f"execution role {value}") + (f", which must allow {must}," if must else "")
    command = account.capture_command("roles")
    acct = getattr(account, "account_id", None)
    place = getattr(account, "directory", None)
    where = (f"account {acct}" if acct else "the account") + (f" (snapshot {place})" if place else "")
    snapshot = getattr(account, "snapshot", account)
    if not account.has("roles"):
        return Unknown(f"{what} is not in the snapshot, which holds no IAM roles", path, f"add the output of `{command}` to the snapshot directory")
    if acct and m.group(2) != acct:
        return Unknown(f"{what} is in account {m.group(2)}, not in {where}", path,
                       f"take the snapshot in account {m.group(2)} (`{command}`), or check the ARN")
    if getattr(snapshot, "known_absent", None) is not None and snapshot.known_absent("roles", value):
        return Unknown(f"{what} is not in {where}", path, f"check the ARN, or take the snapshot (`{command}`) in the account the template deploys into")
    return Unknown(f"{what} is not in the snapshot", path, f"add the output of `{command}` to the snapshot directory")


def _account_en5001(a: Analysis, td: str, who: str, anchor: Any, value: Any, hits: Sequence[Any], execution_actions: Any) -> Iterator[Raw]:
    """EN5001 for an execution role given as an ARN, judged from the account snapshot's IAM
    details.  Anchored on ExecutionRoleArn; the fix is made in the account, not in the template."""
    perms = _account_role(a, value, anchor)
    if not isinstance(perms, AccountRolePolicies):
        return  # no account, or the role is not in it: IN9001 (execution_role_unknowns)
    name = perms.name
    partition = ROLE_ARN.fullmatch(value).group(1)
    yield from _role_raws(
        perms, hits, execution_actions, anchor, f"Execution role {value} (account role {name}) of task definition {td} ({who})",
        attach=(f"attach the AWS managed policy AmazonECSTaskExecutionRolePolicy to role {name} (aws iam attach-role-policy "
                f"--role-name {name} --policy-arn arn:{partition}:iam::aws:policy/{EXECUTION_POLICY})"),
        allow=lambda others: (f"allow {_join(others)} on {_resource_words(others)} only in a policy of role {name} (aws iam put-role-policy "
                              f"--role-name {name} --policy-name POLICY_NAME --policy-document file://policy.json)"),
        where="in the account, ",
    )


def _role_raws(perms: Any, hits: Sequence[Any], execution_actions: Any, anchor: Any, subject: str, *, attach: str,
               allow: Any, where: str = "", attach_fix: Optional[Fix] = None) -> Iterator[Raw]:
    """EN5001 per need an execution role (of the template or of the account) does not grant:
    `subject` names the role and its task definition, `attach`/`allow` word the two fixes."""
    for hit in hits:
        actions = role_actions(hit.need)
        missing, denied, deny_where = _judge(perms, actions)
        if not missing and not denied:
            continue
        problems = []
        fixes = []
        if missing:
            problems.append(f"does not allow {_join(missing)}")
            in_managed = [x for x in missing if x.lower() in execution_actions]
            others = [x for x in missing if x.lower() not in execution_actions]
            if in_managed and not perms.has_execution_policy:
                fixes.append(attach)
            else:
                others = missing
            if others:
                fixes.append(allow(others))
        if denied:
            problems.append(f"explicitly denies {_join(denied)} ({_join(deny_where)})")
            fixes.append(f"narrow that Deny so it no longer covers {'them' if len(denied) > 1 else 'it'}")
        first = next(x for x in actions if x in missing or x in denied)
        yield Raw(
            "EN5001",
            anchor,
            f"{subject} {' and '.join(problems)}, which its tasks need to {_describe(hit.need, hit.image, hit.detail)}, so they "
            f"fail with {_role_symptom(hit.need, first)} (not authorized to perform: {first}); {where}{' and '.join(fixes)}.",
            None,
            attach_fix if fixes == [attach] else None,
        )


def execution_role_unknowns(a: Analysis) -> Iterator[Raw]:
    """IN9001 for every execution role given as an ARN that EN5001 could not judge from the
    account snapshot: the role, or a customer managed policy it attaches, is not in the snapshot
    (called by checks.coverage.in9001); and, with or without an account, every execution role whose
    grants the template set cannot decide (template_role_unknowns)."""
    yield from template_role_unknowns(a)
    if _account_of(a) is None:
        return
    r = a.resolver
    for td in a.state.task_definitions:
        props = r.properties(td)
        if "ExecutionRoleArn" not in props:
            continue
        anchor = _props(td) + ("ExecutionRoleArn",)
        value = r.resolve(props.get("ExecutionRoleArn"), anchor)
        perms = _account_role(a, value, anchor, subject="it")
        if perms is None or (isinstance(perms, AccountRolePolicies) and not perms.lacking):
            continue
        users = task_definition_users(a, td)
        if not users:
            continue
        hits = execution_needs(a, td, _td_launch_type(a, td, users))
        if not hits:
            continue
        if isinstance(perms, AccountRolePolicies):
            if all(perms.decide(x)[0] != "unknown" for hit in hits for x in role_actions(hit.need)):
                continue  # what the tasks need is decided without the missing policies
            many = len(perms.lacking) > 1
            why = (f"managed polic{'ies' if many else 'y'} {_join(perms.lacking)} attached to role {perms.name} "
                   f"{'are' if many else 'is'} not in the snapshot")
            hint = f"add the output of `{_account_of(a).capture_command('managed_policies')}` to the snapshot directory"
        else:
            why, hint = perms.why, perms.hint
        who = f"used by {_join([label for label, _ in users])}"
        yield Raw(
            "IN9001",
            anchor,
            f"Could not verify that execution role {value} of task definition {td} ({who}) allows what its tasks need (EN5001): "
            f"{why}; {hint}.",
            None,
        )


def template_role_unknowns(a: Analysis) -> Iterator[Raw]:
    """IN9001 for each task definition whose execution role EN5001 could not judge from the
    template set: a template role attaching a policy whose grants are not known, or (with no
    account snapshot) a role the template set does not define.  Never silence."""
    r = a.resolver
    for td in a.state.task_definitions:
        props = r.properties(td)
        if "ExecutionRoleArn" not in props:
            continue
        users = task_definition_users(a, td)
        if not users:
            continue
        hits = execution_needs(a, td, _td_launch_type(a, td, users))
        actions = list(dict.fromkeys(x for hit in hits for x in role_actions(hit.need)))
        if not actions:
            continue
        anchor = _props(td) + ("ExecutionRoleArn",)
        value = r.resolve(props.get("ExecutionRoleArn"), anchor)
        who = f"used by {_join([label for label, _ in users])}"
        if isinstance(value, (ResAtt, ResRef)) and (not isinstance(value, ResAtt) or value.attribute == "Arn"):
            role = value.logical_id
            if r.resource_type(role) != "AWS::IAM::Role" or not r.present(role):
                continue
            perms = RolePolicies(a, role)
            open_ = [x for x in actions if perms.decide(x)[0] == "unknown"]
            if not open_:
                continue
            why, hint, path = perms.unknown_why[0] if perms.unknown_why else (
                f"a statement of its policies that may allow or deny {'them' if len(open_) > 1 else 'it'} uses NotAction, NotResource or a "
                f"Condition, which ecsnetpolicy does not evaluate", "", None)
            yield Raw(
                "IN9001",
                path or _props(role),
                f"Could not verify that execution role {role} of task definition {td} ({who}) allows {_join(open_)}, which its "
                f"tasks need (EN5001): {why}; {hint or 'grant them by name (Action) in a policy of ' + role}.",
                None,
            )
            continue
        if _account_of(a) is not None or value is None or value is NOVALUE or value == "":
            continue  # judged from the account (execution_role_unknowns), or no role at all (EN5001)
        if isinstance(value, str):
            why, hint = (f"role {short_name(value)} is not defined in the templates given",
                         "pass the template that defines it, or an account snapshot that holds it (ecsnetpolicy check --aws-snapshot DIR)")
        elif isinstance(value, ResAtt) and value.attribute.startswith("Outputs."):
            why, hint = (f"the role is output {value.attribute[8:]} of nested stack {value.logical_id}, whose template was not loaded",
                         "give the nested stack a local TemplateURL (ecsnetpolicy loads it), or supply the value")
        else:
            unk = first_unknown(value) or Unknown(f"the role is {excerpt(value)}, which the template set does not define as a role")
            why, hint = unk.why, unk.hint or "pass the template that defines it, or an account snapshot that holds it (ecsnetpolicy check --aws-snapshot DIR)"
        yield Raw(
            "IN9001",
            anchor,
            f"Could not verify that the execution role of task definition {td} ({who}) allows {_join(actions)}, which its "
            f"tasks need (EN5001): {why}; {hint}.",
            None,
        )


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
            # a role this template does not define: judged from the account, when one is given
            yield from _account_en5001(a, td, who, anchor, value, hits, execution_actions)
            continue
        if r.resource_type(role) != "AWS::IAM::Role" or not r.present(role):
            continue
        perms = RolePolicies(a, role)
        yield from _role_raws(
            perms, hits, execution_actions, anchor, f"Execution role {role} of task definition {td} ({who})",
            attach=f"attach the AWS managed policy AmazonECSTaskExecutionRolePolicy to {role}",
            allow=lambda others, role=role: f"allow {_join(others)} on {_resource_words(others)} only in a policy of {role}",
            attach_fix=execution_policy(role),
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
    perms = _account_role(a, value, base + ("ExecutionRoleArn",), action)
    if isinstance(perms, Unknown):
        return perms
    if isinstance(perms, AccountRolePolicies):
        state, _stmt = perms.decide(action)
        if state == "allowed":
            return True
        if state in ("missing", "denied"):
            return False
        return Unknown(f"whether execution role {value} allows {action} cannot be decided from its policies in the account", base + ("ExecutionRoleArn",))
    shown = value if isinstance(value, str) else "a role this template does not define"
    return Unknown(f"whether execution role {shown} allows {action} is not known", base + ("ExecutionRoleArn",),
                   "aws iam get-account-authorization-details --filter Role (in the --aws-snapshot directory)")
