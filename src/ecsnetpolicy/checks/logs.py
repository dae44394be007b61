"""Rule 5002, container logs (EN5002): the awslogs group a container writes to must exist when its
tasks start: created by the template, auto-created (awslogs-create-group with logs:CreateLogGroup
on the execution role), or already in the AWS account.  Judged only when the account's log groups
are known (an account snapshot that captured them); the cases it cannot decide (all those the
template set does not settle, when no account is given) go to IN9001 through
:func:`log_group_unknowns`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Iterator, List, NamedTuple, Optional, Tuple

from ..engine import Analysis
from ..findings import Raw
from ..phrasing import join as _join
from ..state import tri_any
from ..values import NOVALUE, Path, Partial, ResRef, Unknown, as_bool, first_unknown
from .base import _props
from .fixes import log_group
from .iam import execution_role_allows
from .tasks import _containers, task_definition_users

CREATE_ACTION = "logs:CreateLogGroup"
LISTING_HINT = "capture the account's log groups with aws logs describe-log-groups --output json into the --aws-snapshot directory"


class LogGroupCase(NamedTuple):
    """One awslogs container judged: outcome "missing" (EN5002) or "unknown" (IN9001)."""

    outcome: str
    anchor: Path  # the container's LogConfiguration
    td: str
    container: str
    group: Any  # the group name (str), or what the template gave
    create: Any  # awslogs-create-group as read: True, False or an Unknown
    role_allows: Any  # whether the execution role allows logs:CreateLogGroup (when create is True)
    unknown: Optional[Unknown] = None
    workload: Optional[str] = None


def _account_log_groups(a: Analysis) -> Any:
    """The account's log group names (a set), an Unknown (an account without that listing), or
    None (no account given: the rule says nothing)."""
    groups = getattr(a.state, "log_groups", None)
    if groups is None or isinstance(groups, Unknown):
        return groups
    return groups if isinstance(groups, (set, frozenset)) else set(groups)


def _template_log_groups(a: Analysis) -> List[Tuple[str, Any]]:
    """(logical id, resolved LogGroupName or None when generated) of the scenario's log groups."""
    found = a.__dict__.get("_template_log_groups")
    if found is None:
        r = a.resolver
        found = []
        for lid in a.by_type.get("AWS::Logs::LogGroup", []):
            if not r.present(lid):
                continue
            props = r.properties(lid)
            name = r.resolve(props.get("LogGroupName"), _props(lid) + ("LogGroupName",)) if "LogGroupName" in props else None
            found.append((lid, None if name is NOVALUE else name))
        a.__dict__["_template_log_groups"] = found
    return found


def _created(a: Analysis, group: Any, path: Path) -> Any:
    """Does the template create this group?  True, False or an Unknown."""
    r = a.resolver
    if isinstance(group, ResRef):  # Ref to a resource: its name, when it is a log group
        if r.resource_type(group.logical_id) == "AWS::Logs::LogGroup":
            return True if r.present(group.logical_id) else False  # absent: the stack fails elsewhere
        return Unknown(f"the awslogs group is the Ref of {group.logical_id}, which is not an AWS::Logs::LogGroup", path)
    results: List[Any] = []
    for lid, name in _template_log_groups(a):
        if name is None:
            continue  # a generated name: only a Ref can name it
        if isinstance(name, str):
            results.append(isinstance(group, str) and name == group)
        else:
            results.append(first_unknown(name) or Unknown(f"the LogGroupName of {lid} is not known", _props(lid) + ("LogGroupName",)))
    return tri_any(results)


def _raw_value(a: Analysis, td: str, cpath: Path) -> Any:
    """The awslogs-group option as written (before resolution), or None."""
    node: Any = a.resolver.properties(td)
    for key in cpath[3:] + ("LogConfiguration", "Options", "awslogs-group"):
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return node


def _in_account(a: Analysis, group: Any, groups: Any, td: str, cpath: Path, region: Any) -> Any:
    """Is the group among the account's log groups?  True, False or an Unknown."""
    opath = cpath + ("LogConfiguration", "Options", "awslogs-group")
    if isinstance(group, (Partial, Unknown)) or not isinstance(group, str):
        return first_unknown(group) or Unknown("the awslogs group name is not known", opath)
    if isinstance(groups, Unknown):
        return groups if groups.hint else Unknown(groups.why, groups.path, LISTING_HINT)
    if isinstance(region, str) and region != a.region:
        return Unknown(f"the group is in region {region} (awslogs-region), while the account's log groups are those of {a.region}", opath)
    if not isinstance(region, str):
        return first_unknown(region) or Unknown("the awslogs-region is not known", opath)
    if group in groups:
        return True
    pending = getattr(groups, "unresolved", ())  # groups another stack creates under a name it cannot resolve
    if pending:
        return Unknown(f"{pending[0]}, which may be this group", opath, "supply that stack's parameters so its log group's name is known")
    raw = _raw_value(a, td, cpath)
    try:
        stack_named = "AWS::StackName" in json.dumps(raw, default=str)
    except (TypeError, ValueError):
        stack_named = True
    if stack_named:  # checked under an assumed stack name: the account may hold it by the real one
        return Unknown(f"the name is built from AWS::StackName, taken as {a.resolver.stack_name!r} here, and no such group is in the account", opath,
                       "create the group in the template (AWS::Logs::LogGroup), or check it under the stack's real name")
    return False


def judge_log_groups(a: Analysis) -> List[LogGroupCase]:
    """Every awslogs container that EN5002 reports or could not decide, once per scenario."""
    cached = a.__dict__.get("_log_group_cases")
    if cached is not None:
        return cached
    cases: List[LogGroupCase] = []
    a.__dict__["_log_group_cases"] = cases
    groups = _account_log_groups(a)
    if groups is None:
        # no account: a group the template set neither creates nor auto-creates may still be in
        # the account; only it can say (issue 14: IN9001, never silence)
        groups = Unknown("no template of the set creates it, it is not auto-created, and whether the account holds it is not known "
                         "without an account snapshot", (),
                         "create it in the template (AWS::Logs::LogGroup), or give an account snapshot holding the account's log "
                         "groups (ecsnetpolicy check --aws-snapshot DIR)")
    net = a.state
    for td in net.task_definitions:
        users = None
        for c, cpath in _containers(a, td):
            log = c.get("LogConfiguration")
            if not isinstance(log, Mapping) or log.get("LogDriver") != "awslogs":
                continue
            opts = log.get("Options")
            if not isinstance(opts, Mapping) or "awslogs-group" not in opts:
                continue  # ECS refuses the task definition: not this rule's fault
            group = opts["awslogs-group"]
            anchor = cpath + ("LogConfiguration",)
            opath = anchor + ("Options",)
            created = _created(a, group, opath + ("awslogs-group",))
            if created is True:
                continue
            create = as_bool(opts.get("awslogs-create-group"), False, opath + ("awslogs-create-group",))
            role_allows: Any = None
            if create is True:
                role_allows = execution_role_allows(a, td, CREATE_ACTION)
                auto = role_allows
            else:
                auto = create
            if auto is True:
                continue
            region = opts.get("awslogs-region", a.region)
            account = _in_account(a, group, groups, td, cpath, region)
            verdict = tri_any([created, auto, account])
            if verdict is True:
                continue
            if users is None:
                users = [w.lid for w in net.workloads.values() if w.task_definition == td]
            name = c.get("Name") if isinstance(c.get("Name"), str) else f"#{cpath[-1] + 1 if isinstance(cpath[-1], int) else '?'}"
            wl = users[0] if users else None
            if verdict is False:
                cases.append(LogGroupCase("missing", anchor, td, name, group, create, role_allows, None, wl))
            else:
                cases.append(LogGroupCase("unknown", anchor, td, name, group, create, role_allows, verdict, wl))
    return cases


def _group_label(group: Any) -> str:
    if isinstance(group, str):
        return group
    if isinstance(group, Partial):
        return group.text.replace("\x00", "…")
    if isinstance(group, ResRef):
        return f"Ref {group.logical_id}"
    return "(not known)"


def en5002(a: Analysis) -> Iterator[Raw]:
    for case in judge_log_groups(a):
        if case.outcome != "missing":
            continue
        users = task_definition_users(a, case.td)
        who = f" (used by {_join([label for label, _ in users])})" if users else ""
        if case.create is True:
            auto = (f"it sets awslogs-create-group: true but its execution role does not allow {CREATE_ACTION}, so ECS "
                    f"cannot create it")
        else:
            auto = "awslogs-create-group is not true"
        group = case.group
        yield Raw(
            "EN5002",
            case.anchor,
            f"Container {case.container} of task definition {case.td}{who} sends its logs with awslogs to log group "
            f"{group}, which does not exist: no AWS::Logs::LogGroup of the template has that LogGroupName, {auto}, "
            f"and the account has no log group of that name in {a.region}, so its tasks fail with ResourceInitializationError "
            f"(the specified log group does not exist); add an AWS::Logs::LogGroup with LogGroupName: {group} to the "
            f"template (or create it: aws logs create-log-group --log-group-name {group}).",
            case.workload,
            log_group(a, case.td, case.anchor),
        )


def log_group_unknowns(a: Analysis) -> Iterator[Raw]:
    """IN9001 for every awslogs group EN5002 could not decide (called by checks.coverage.in9001)."""
    seen = set()
    for case in judge_log_groups(a):
        if case.outcome != "unknown" or case.unknown is None:
            continue
        for u in getattr(case.unknown, "blockers", None) or (case.unknown,):
            key = (case.anchor, u.why)
            if key in seen:
                continue
            seen.add(key)
            hint = u.hint or "supply parameter values (ecsnetpolicy check --parameter NAME=VALUE, cfn-lint --parameters) or pass the templates that define it"
            yield Raw(
                "IN9001",
                case.anchor,
                f"Could not verify that log group {_group_label(case.group)} of container {case.container} of task definition "
                f"{case.td} exists (EN5002): {u.why}; {hint}.",
                case.workload,
            )
