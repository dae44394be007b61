"""The reachability engine: per workload, per need, per subnet, can the tasks reach it, through
what, and if not, why.  Rules (checks/) only translate these verdicts into findings.

Entry point: :func:`analyse` (one template, all scenarios) -> :class:`Report`, built once per
template and shared by every rule.  Imports nothing from cfn-lint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Tuple

from .adapters.cloudformation import build as build_state
from .state import Endpoint, NetworkState, Workload, tri_any
from .load.policy import Need, Policy, load_policy
from .values.conditions import plan as plan_scenarios
from .values import (
    MARK,
    Partial,
    ResRef,
    Budget,
    Resolver,
    as_bool,
    Scenario,
    Unknown,
    first_unknown,
    may_name,
)

_ECR_HOST = re.compile(r"^[^./]+\.dkr\.ecr(?:-fips)?\.([a-z0-9\x00-]+)\.amazonaws\.com(?:\.cn)?$")


@dataclass
class NeedUse:
    need: Need
    image: str = ""
    detail: str = ""


@dataclass
class Verdict:
    """Can `workload` reach `service` (or the internet) for `need` from `subnet`?"""

    workload: Workload
    need: NeedUse
    service: str  # a policy service name, or "internet"
    subnet: str
    vpc: str
    outcome: str  # ok | missing | s3-route | no-private-dns | wrong-type | no-internet | unknown
    via: Any = None  # Endpoint, or "internet"
    why: str = ""
    unknown: Optional[Unknown] = None

    @property
    def dest(self) -> Tuple[str, Any]:
        """Where TCP 443 must be allowed to for this (ok) verdict."""
        if isinstance(self.via, Endpoint) and self.via.type == "Interface":
            return ("endpoint", self.via)
        if self._gateway:
            return ("s3", None)
        return ("internet", None)

    _gateway: bool = False


@dataclass
class Analysis:
    """One scenario: the network state, how to read the rest of the template, and the verdicts."""

    scenario: Scenario
    state: NetworkState
    resolver: Resolver
    by_type: Mapping[str, List[str]]
    policy: Policy
    verdicts: List[Verdict] = field(default_factory=list)
    unknowns: List[Tuple[Unknown, Workload, str]] = field(default_factory=list)
    region: str = "us-east-1"

    def note_unknown(self, unknown: Unknown, workload: Workload, what: str) -> None:
        self.unknowns.append((unknown, workload, what))


@dataclass
class Report:
    """Every scenario's analysis of one template."""

    analyses: List[Analysis]
    exploration: Any = None  # scenarios.Exploration: which scenarios these are, and what was left out

    @property
    def scenarios(self) -> List[Scenario]:
        return [a.scenario for a in self.analyses]


# ---------------------------------------------------------------------------------- needs
def classify_image(image: Any, region: str) -> Tuple[Any, str]:
    """(registry kind or Unknown, human detail).  Kinds match the policy schema's registry names."""
    if isinstance(image, Partial):
        text = image.text
    elif isinstance(image, str):
        text = image
    else:
        return (first_unknown(image) or Unknown("the image is not known")), ""
    first, _, rest = text.partition("/")
    if not rest or not ("." in first or ":" in first or first == "localhost"):
        if MARK in first:
            return first_unknown(image), ""
        return "docker-hub", "Docker Hub"
    host = first.lower()
    if MARK in host and not _ECR_HOST.match(host):
        return first_unknown(image) or Unknown("the image's registry is not known"), ""
    m = _ECR_HOST.match(host)
    if m:
        img_region = m.group(1)
        if MARK in img_region:
            return first_unknown(image) or Unknown("the image's ECR region is not known"), ""
        if img_region == region:
            return "ecr", "ECR"
        return "ecr-other-region", f"ECR in {img_region} (another region)"
    if host == "public.ecr.aws":
        return "public-ecr", "ECR Public (public.ecr.aws)"
    if host in ("docker.io", "registry-1.docker.io", "index.docker.io"):
        return "docker-hub", "Docker Hub"
    return "other-registry", f"registry {host}"


def secret_source(value: Any, r: Resolver) -> Any:
    if isinstance(value, ResRef):
        rtype = r.resource_type(value.logical_id)
        if rtype == "AWS::SecretsManager::Secret":
            return "secretsmanager"
        if rtype == "AWS::SSM::Parameter":
            return "ssm"
        return Unknown(f"secret from {value.logical_id} ({rtype})")
    text = value.text if isinstance(value, Partial) else value
    if not isinstance(text, str):
        return first_unknown(value) or Unknown("the secret's source is not known")
    if text.startswith("arn:") or (isinstance(value, Partial) and text.startswith(MARK) and ":" in text):
        parts = text.split(":")
        if len(parts) > 2 and parts[2] in ("secretsmanager", "ssm"):
            return parts[2]
        return first_unknown(value) or Unknown(f"secret ARN {text} names neither Secrets Manager nor SSM")
    if MARK in text:
        return first_unknown(value) or Unknown("the secret's source is not known")
    return "ssm"  # a bare parameter name (also /aws/reference/secretsmanager/...: read through SSM)


def _pull_through_cache(a: "Analysis", image: Any) -> bool:
    """Is this ECR image served by a pull-through cache rule of the template (first pull needs
    the internet: aws-facts 5)?"""
    text = image.text if isinstance(image, Partial) else image
    if not isinstance(text, str) or "/" not in text:
        return False
    repo = text.split("/", 1)[1]
    for lid in a.by_type.get("AWS::ECR::PullThroughCacheRule", []):
        prefix = a.resolver.resolve(a.resolver.properties(lid).get("EcrRepositoryPrefix"), ("Resources", lid))
        if isinstance(prefix, str) and prefix and repo.startswith(prefix.rstrip("/") + "/"):
            return True
    return False


@dataclass
class ContainerFacts:
    facts: Dict[str, Any]
    image: str
    detail: str
    unknowns: List[Tuple[Unknown, Tuple[Any, ...], str]]  # (unknown, path below the container, what it blocked)


def container_facts(a: "Analysis", c: Mapping[str, Any], region: str) -> ContainerFacts:
    """The facts of one (resolved) container definition that policies match needs on."""
    facts: Dict[str, Any] = {}
    unknowns: List[Tuple[Unknown, Tuple[Any, ...], str]] = []
    kind, detail = classify_image(c.get("Image"), region)
    raw_image = c.get("Image")
    image_text = raw_image if isinstance(raw_image, str) else (raw_image.text.replace(MARK, "…") if isinstance(raw_image, Partial) else "")
    if isinstance(kind, Unknown):
        unknowns.append((kind, ("Image",), "which registry the image of tasks of {w} comes from"))
        detail = ""
    else:
        facts["image_registry"] = kind
        if kind == "ecr" and _pull_through_cache(a, raw_image):
            facts["pull_through_cache"] = True
    log = c.get("LogConfiguration")
    if isinstance(log, Mapping) and isinstance(log.get("LogDriver"), str):
        facts["log_driver"] = log["LogDriver"]
        opts = log.get("Options")
        if isinstance(opts, Mapping):
            if log["LogDriver"] == "awsfirelens" and isinstance(opts.get("Name"), str):
                facts["firelens_output"] = opts["Name"].lower()
            create = as_bool(opts.get("awslogs-create-group"), False)
            if isinstance(create, bool):  # not known: that need is not judged
                facts["log_create_group"] = create
    sources = set()
    secret_lists = [(("Secrets",), c.get("Secrets"))]
    if isinstance(log, Mapping):
        secret_lists.append((("LogConfiguration", "SecretOptions"), log.get("SecretOptions")))
    for where, secrets in secret_lists:
        if not isinstance(secrets, list):
            continue
        for j, s in enumerate(secrets):
            if not isinstance(s, Mapping):
                continue
            src = secret_source(s.get("ValueFrom"), a.resolver)
            if isinstance(src, Unknown):
                unknowns.append((src, where + (j, "ValueFrom"), "where a secret of tasks of {w} is read from"))
            else:
                sources.add(src)
    facts["secret_source"] = sorted(sources)
    facts["repository_credentials"] = "RepositoryCredentials" in c
    facts["environment_files"] = bool(c.get("EnvironmentFiles"))
    return ContainerFacts(facts, image_text, detail, unknowns)


EXPRESS = "AWS::ECS::ExpressGatewayService"


def express_container(pc: Mapping[str, Any]) -> Dict[str, Any]:
    """An Express service's (resolved) PrimaryContainer as the container definition it stands for,
    so that the same container facts and needs apply: its image, secrets and repository
    credentials, and awslogs, which Express services always use (ECS creates the log group when
    AwsLogsConfiguration names none: ECS API "ManagedLogGroup")."""
    c: Dict[str, Any] = {"Name": "PrimaryContainer", "Image": pc.get("Image")}
    for key in ("Secrets", "RepositoryCredentials", "Environment"):
        if key in pc:
            c[key] = pc[key]
    logs = pc.get("AwsLogsConfiguration")
    options: Dict[str, Any] = {}
    if isinstance(logs, Mapping) and "LogGroup" in logs:
        options["awslogs-group"] = logs["LogGroup"]
    c["LogConfiguration"] = {"LogDriver": "awslogs", "Options": options}
    return c


def task_containers(a: "Analysis", td_lid: str) -> Any:
    """[(resolved container definition, its template path)] of a task definition, a daemon task
    definition or an Express service (its PrimaryContainer), or an Unknown when not decidable."""
    r = a.resolver
    base = ("Resources", td_lid, "Properties")
    if r.resource_type(td_lid) == EXPRESS:
        cpath = base + ("PrimaryContainer",)
        pc = r.resolve(r.properties(td_lid).get("PrimaryContainer"), cpath)
        if not isinstance(pc, Mapping):
            return first_unknown(pc) or Unknown(f"the primary container of Express service {td_lid} is not known", cpath)
        return [(express_container(pc), cpath)]
    td = r.resolve(a.state.task_definitions[td_lid], base)
    if not isinstance(td, Mapping):
        return first_unknown(td) or Unknown(f"task definition {td_lid} is not known", base)
    containers = td.get("ContainerDefinitions")
    if not isinstance(containers, list):
        return first_unknown(containers) or Unknown(f"containers of task definition {td_lid} are not known", base)
    return [(c, base + ("ContainerDefinitions", i)) for i, c in enumerate(containers) if isinstance(c, Mapping)]


def workload_needs(a: Analysis, w: Workload) -> Any:
    """The needs of a workload's task definition (list of NeedUse), or an Unknown."""
    policy = a.policy
    if isinstance(w.task_definition, Unknown):
        return w.task_definition
    found = task_containers(a, w.task_definition)
    if isinstance(found, Unknown):
        return found
    pv = w.platform_version
    common: Dict[str, Any] = {
        "execute_command": w.execute_command is True,
        "launch_type": w.launch_type if isinstance(w.launch_type, str) else None,
        "platform_version_below": pv if isinstance(pv, str) and re.fullmatch(r"\d+\.\d+\.\d+", pv) else None,
    }
    uses: Dict[str, NeedUse] = {}
    for c, cpath in found:
        cf = container_facts(a, c, a.region)
        facts = {**common, **cf.facts}
        image_text, detail = cf.image, cf.detail
        for unknown, sub, what in cf.unknowns:
            a.note_unknown(unknown if unknown.path else Unknown(unknown.why, cpath + sub, unknown.hint), w, what)
        for need in policy.needs_for(facts):
            if need.need_id not in uses:
                uses[need.need_id] = NeedUse(need, image_text, detail)
    for need in policy.needs_for({**common, "always": True}):
        if need.when.get("always") and need.need_id not in uses:
            uses[need.need_id] = NeedUse(need)
    return list(uses.values())


# ---------------------------------------------------------------------------------- verdicts
def _decide(a: Analysis, w: Workload, use: NeedUse, service: str, subnet: str, vpc: str, internet: Any, why: str) -> Verdict:
    net, policy = a.state, a.policy
    v = Verdict(w, use, service, subnet, vpc, "ok")
    if service == "internet":
        if internet is True:
            v.via = "internet"
        elif internet is False:
            v.outcome, v.why = "no-internet", why
        else:
            v.outcome, v.unknown = "unknown", internet
        return v
    in_vpc = [ep for ep in net.endpoints.values() if ep.vpc == vpc]
    matching = [ep for ep in in_vpc if ep.service == service]
    # endpoints that might serve this need but whose VPC, service or type cannot be decided
    undecided = [ep for ep in in_vpc if isinstance(ep.service, Unknown) or not ep.type_known]
    undecided += [
        ep for ep in net.endpoints.values()
        if isinstance(ep.vpc, Unknown) and may_name(ep.vpc, _created_here(net.vpcs, vpc))
        and (ep.service == service or isinstance(ep.service, Unknown))
    ]
    if policy.kind(service) == "gateway":
        v._gateway = True
        gateways = [ep for ep in matching if ep.type == "Gateway"]
        # a gateway endpoint whose VPC is unknown still serves a route table it lists
        gateways += [ep for ep in undecided if ep.service == service and ep.type == "Gateway" and ep not in gateways]
        rt = net.subnets[subnet].route_table
        unknown_rts = None
        for gw in gateways:
            if isinstance(gw.route_tables, Unknown):
                unknown_rts = unknown_rts or gw.route_tables
                continue
            ids = [x for x, _ in gw.route_tables]
            if isinstance(rt, str) and rt in ids:
                v.via = gw
                return v
            unknown_rts = unknown_rts or next((x for x in ids if isinstance(x, Unknown) and may_name(x, _created_here(net.route_tables, rt))), None)
        if internet is True:
            v.via = "internet"
            return v
        if isinstance(internet, Unknown):
            v.outcome, v.unknown = "unknown", internet
            return v
        if isinstance(rt, Unknown):
            v.outcome, v.unknown = "unknown", rt
            return v
        if unknown_rts is not None:
            v.outcome, v.unknown = "unknown", unknown_rts
            return v
        known_gateways = [ep for ep in gateways if ep.vpc == vpc]
        if known_gateways and len(known_gateways) == len(gateways):
            v.outcome, v.via, v.why = "s3-route", known_gateways[0], why
            return v
        if undecided:
            v.outcome, v.unknown = "unknown", _undecided_why(undecided[0])
            return v
        v.outcome, v.why = "missing", why
        if matching:
            v.why = why + f"; endpoint {matching[0].lid} is an Interface endpoint, which cannot serve ECR image layers"
        return v
    interface = [ep for ep in matching if ep.type == "Interface"]
    usable = [ep for ep in interface if ep.private_dns is True]
    if usable:
        v.via = usable[0]
        return v
    if internet is True:
        v.via = "internet"
        return v
    if isinstance(internet, Unknown):
        v.outcome, v.unknown = "unknown", internet
        return v
    dns_unknown = [ep for ep in interface if isinstance(ep.private_dns, Unknown)]
    if dns_unknown:
        v.outcome, v.unknown = "unknown", dns_unknown[0].private_dns
        return v
    if interface:
        v.outcome, v.via, v.why = "no-private-dns", interface[0], why
        return v
    if matching:
        v.outcome, v.via, v.why = "wrong-type", matching[0], why
        return v
    if undecided:
        v.outcome, v.unknown = "unknown", _undecided_why(undecided[0])
        return v
    v.outcome, v.why = "missing", why
    return v


def _created_here(facts: Mapping[Any, Any], key: Any) -> bool:
    """Whether `key` names a resource the template set creates (a literal ID never names one)."""
    fact = facts.get(key) if isinstance(key, str) else None
    return fact is not None and getattr(getattr(fact, "origin", None), "source", None) == "template"


def _undecided_why(ep: Endpoint) -> Unknown:
    for value in (ep.vpc, ep.service):
        if isinstance(value, Unknown):
            return value if value.path else Unknown(f"endpoint {ep.lid}: {value.why}", ep.path, value.hint)
    return Unknown(f"the type of endpoint {ep.lid} is not known", ep.path)


def _account(account: Any) -> Any:
    """The account adapter over a snapshot (an AccountSnapshot, or an Account already built);
    imported only when an account is given (a template-only run never loads it)."""
    if account is None:
        return None
    from .adapters.account import Account
    from .adapters.account.view import view_of

    if isinstance(account, Account):
        return account
    return Account(view_of(account))


def analyse_scenario(template: Mapping[str, Any], scenario: Scenario, policy: Policy, *, params: Mapping[str, Any], region: str, stack_name: str, budget: Optional[Budget] = None, account: Any = None) -> Analysis:
    account = _account(account)
    snapshot = account.snapshot if account is not None else None
    resolver = Resolver(template, params={**params, **scenario.params}, region=region, stack_name=stack_name, scenario=scenario.conditions, budget=budget, account=snapshot)
    state, by_type = build_state(resolver, account=account)
    if state.prefix_lists is None:  # no account: the prefix lists AWS manages in this region, as the policies know them
        state.known_prefix_lists, state.judged_region = policy.aws_prefix_lists.get(region), region
    a = Analysis(scenario, state, resolver, by_type, policy, region=region)
    for w in state.workloads.values():
        needs = workload_needs(a, w)
        if isinstance(needs, Unknown):
            a.note_unknown(needs, w, "what tasks of {w} need")
            continue
        if not needs:
            continue
        if isinstance(w.subnets, Unknown):
            a.note_unknown(w.subnets if w.subnets.path else Unknown(w.subnets.why, w.subnets_path, w.subnets.hint), w, "where tasks of {w} run")
            continue
        for subnet, spath in w.subnets:
            if isinstance(subnet, Unknown):
                a.note_unknown(subnet if subnet.path else Unknown(subnet.why, spath), w, "where tasks of {w} run")
                continue
            vpc = state.subnets[subnet].vpc
            if isinstance(vpc, Unknown):
                a.note_unknown(vpc, w, f"which VPC subnet {subnet} of {{w}} is in")
                continue
            internet, why = state.internet_path(subnet, w)
            for use in needs:
                for service in use.need.requires:
                    a.verdicts.append(_decide(a, w, use, service, subnet, vpc, internet, why))
    return a


def analyse(
    template: Mapping[str, Any],
    *,
    params: Optional[Mapping[str, Any]] = None,
    region: str = "us-east-1",
    stack_name: str = "stack",
    policy: Optional[Policy] = None,
    account: Any = None,
) -> Report:
    """Analyse a template under every scenario its conditions allow.  `account` (an account
    snapshot, see adapters/account) adds the facts of the AWS account the template deploys into."""
    params = dict(params or {})
    account = _account(account)
    snapshot = account.snapshot if account is not None else None
    policy = policy or load_policy()
    if not isinstance(template, Mapping):
        return Report([])

    budget = Budget()  # the resolve steps this template may take, over all its scenarios (values/budget.py)

    def factory(extra: Mapping[str, Any]) -> Resolver:
        return Resolver(template, params={**params, **extra}, region=region, stack_name=stack_name, budget=budget, account=snapshot)

    # only the conditions that can change what the engine reads, in a covering order under a cap
    # that says what it left out (values/conditions.py)
    exploration = plan_scenarios(template, factory, params)
    result = []
    for scen in exploration.scenarios:
        result.append(analyse_scenario(template, scen, policy, params=params, region=region, stack_name=stack_name, budget=budget, account=account))
    report = Report(result, exploration)
    report.budget = budget  # spent (left < 0): some values were too costly to evaluate (checks.raw_findings says so)
    return report


def workload_sgs(a: Analysis, w: Workload, vpc: str) -> Any:
    return a.state.sg_list(w, vpc)


__all__ = ["analyse", "Report", "Analysis", "Verdict", "tri_any"]
