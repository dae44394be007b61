"""An independent oracle for the property tests.

It does NOT import ecsnetpolicy.state, .engine or .checks: it works from the topology generator's
own description (a :class:`Topo`, plain data), brute-forcing every (task subnet, need, service)
with the catalogue's definitions (/work/shared/spec/rules.md, aws-facts.md), and returns the
findings the catalogue says must exist, as a multiset of (rule id, subject):

    EN1001 -> the task security group the finding is anchored on
    EN2001 -> (workload, missing service)
    EN2003 / EN2005 / EN2006 / WN2002 -> the endpoint
    EN2004 -> the VPC
    EN2007 -> (endpoint, the second subnet in the same AZ)
    EN3001 -> (S3 gateway endpoint, the route table it misses, or "main")
    EN4001 -> the workload
    EN5001 -> the task definition (one per need the execution role does not serve)
    WN6001 / EN6002 -> the service

:func:`subject_of` turns one engine finding (rule_id, path, message) into the same key, so the two
can be compared without comparing full messages.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

VPC_CIDR = "10.0.0.0/16"
EXECUTION_POLICY = (  # fact 25, exactly
    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
    "logs:CreateLogStream", "logs:PutLogEvents",
)
INTERFACE_ONLY = ("ecr.api", "ecr.dkr", "logs")
PRIVATE = [ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]


# ------------------------------------------------------------------------------- description
@dataclass
class RuleD:
    """One security group rule.  proto: "tcp", "6" (string), 6 (int), "-1", "udp".
    Exactly one of cidr / prefix_list / peer (a security group name, or "default" for the VPC's
    default group) is set."""

    proto: Any
    from_port: Any
    to_port: Any
    cidr: Optional[str] = None
    prefix_list: bool = False
    peer: Optional[str] = None
    cidr_as_getatt: bool = False  # write the VPC CIDR as !GetAtt Vpc.CidrBlock


@dataclass
class SgD:
    name: str
    ingress: List[RuleD] = field(default_factory=list)
    egress: Optional[List[RuleD]] = None  # None: property absent (allow-all unless standalone)
    standalone_egress: List[RuleD] = field(default_factory=list)  # AWS::EC2::SecurityGroupEgress
    standalone_ingress: List[RuleD] = field(default_factory=list)


@dataclass
class SubnetD:
    name: str
    az: int
    cidr: str
    route_table: Optional[str]  # None: no association, the VPC main route table


@dataclass
class RouteTableD:
    name: str
    default: Optional[str] = None  # None | "igw" | "nat"


@dataclass
class EndpointD:
    name: str
    service: str  # ecr.api | ecr.dkr | logs | s3
    type: Optional[str]  # "Interface" | "Gateway" | None (absent: CloudFormation's default Gateway)
    private_dns: Optional[bool] = None  # None: absent (false)
    subnets: List[str] = field(default_factory=list)
    sgs: Optional[List[str]] = None  # None: absent (the VPC default group)
    route_tables: List[str] = field(default_factory=list)

    @property
    def effective_type(self) -> str:
        return self.type or "Gateway"


@dataclass
class Topo:
    vpc: str = "Vpc"
    dns_support: Optional[bool] = True
    dns_hostnames: Optional[bool] = True
    n_az: int = 2
    subnets: List[SubnetD] = field(default_factory=list)
    route_tables: List[RouteTableD] = field(default_factory=list)
    igw: bool = False
    nat: Optional[str] = None  # None | "public" | "private"
    nat_subnet: str = "NatSubnet"
    nat_subnet_route_table: Optional[str] = None  # a route table name (its default route decides)
    endpoints: List[EndpointD] = field(default_factory=list)
    sgs: Dict[str, SgD] = field(default_factory=dict)
    # the workload
    service: str = "Service"
    task_subnets: List[str] = field(default_factory=list)
    task_sgs: List[str] = field(default_factory=list)  # [] -> the VPC default group
    public_ip: Optional[bool] = False  # None: AssignPublicIp absent (DISABLED)
    platform_version: Optional[str] = None  # None: LATEST
    ecr_image: bool = True
    awslogs: bool = True
    internet_image: Optional[str] = None  # a second container's image needing the internet
    awslogs_create_group: bool = False  # awslogs-create-group: "true"
    execution_role: str = "managed"  # none | managed (AmazonECSTaskExecutionRolePolicy) | empty (no policy)
    desired: int = 2
    circuit_breaker: Optional[bool] = True  # None: no DeploymentCircuitBreaker
    min_healthy: Optional[int] = None  # None: absent (100)
    max_percent: Optional[int] = None  # None: absent (200)

    # lookups
    def subnet(self, name: str) -> SubnetD:
        return next(s for s in self.subnets if s.name == name)

    def route_table(self, name: Optional[str]) -> Optional[RouteTableD]:
        return next((r for r in self.route_tables if r.name == name), None)


# ------------------------------------------------------------------------------- the oracle
def _net(cidr: str):
    return ipaddress.ip_network(cidr)


def _covers(rule_cidr: str, target: str) -> bool:
    return _net(target).subnet_of(_net(rule_cidr))


def _is_public(cidr: str) -> bool:
    n = _net(cidr)
    return not any(n.subnet_of(p) for p in PRIVATE)


def allows_443(rule: RuleD) -> bool:
    """Fact 18: -1 (and protocols other than tcp/udp/icmp/icmpv6) allow every port."""
    proto = str(rule.proto).lower()
    proto = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}.get(proto, proto)
    if proto not in ("6", "17", "1", "58"):
        return True
    if proto != "6":
        return False
    lo, hi = int(rule.from_port), int(rule.to_port)
    if lo == -1 and hi == -1:
        return True
    return lo <= 443 <= hi


def has_internet(t: Topo, subnet: SubnetD) -> bool:
    """The catalogue's "internet path" of a task subnet (Fargate)."""
    rt = t.route_table(subnet.route_table)
    if rt is None or rt.default is None:  # the main route table holds only the local route
        return False
    if rt.default == "igw":
        return t.public_ip is True
    if rt.default == "nat":
        if t.nat != "public":
            return False
        up = t.route_table(t.nat_subnet_route_table)
        return up is not None and up.default == "igw"
    raise AssertionError(rt.default)


def effective_egress(t: Topo, sg_name: str) -> Optional[List[RuleD]]:
    """None = allow-all (no egress rule at all, fact 16; an empty list keeps it too)."""
    if sg_name == "default":
        return None
    sg = t.sgs[sg_name]
    rules = list(sg.egress or []) + list(sg.standalone_egress)
    if not rules:
        return None
    return rules


def _endpoint_sgs(ep: EndpointD) -> List[str]:
    return list(ep.sgs) if ep.sgs is not None else ["default"]


def _egress_dest(t: Topo, rule: RuleD, dest: Tuple[str, Any]) -> Any:
    """True / False / "unknown" for one egress rule and one destination."""
    kind, target = dest
    if kind == "endpoint":
        if rule.peer is not None:
            return rule.peer in _endpoint_sgs(target)
        if rule.cidr is not None:
            return all(_covers(rule.cidr, t.subnet(s).cidr) for s in target.subnets)
        return False  # a prefix list is not an interface endpoint
    if kind == "s3":
        if rule.prefix_list:
            return True
        if rule.cidr is not None:
            return _is_public(rule.cidr)
        return False
    # internet
    if rule.cidr is not None:
        return _is_public(rule.cidr)
    if rule.prefix_list:
        return "unknown"  # a literal pl- id the template set cannot look into
    return False


def egress_allows(t: Topo, sgs: Sequence[str], dest: Tuple[str, Any]) -> Any:
    verdicts = []
    for name in sgs:
        rules = effective_egress(t, name)
        if rules is None:
            return True
        for rule in rules:
            if not allows_443(rule):
                continue
            verdicts.append(_egress_dest(t, rule, dest))
    if True in verdicts:
        return True
    if "unknown" in verdicts:
        return "unknown"
    return False


def endpoint_admits(t: Topo, ep: EndpointD, task_sgs: Sequence[str], subnet: SubnetD) -> bool:
    """Fact 11/12: the endpoint's groups must admit TCP 443 from the tasks' groups or subnet."""
    for name in _endpoint_sgs(ep):
        if name == "default":
            # admits only members of the same (default) group
            if "default" in task_sgs:
                return True
            continue
        sg = t.sgs[name]
        for rule in list(sg.ingress) + list(sg.standalone_ingress):
            if not allows_443(rule):
                continue
            if rule.peer is not None and rule.peer in task_sgs:
                return True
            if rule.cidr is not None and _covers(rule.cidr, subnet.cidr):
                return True
    return False


def needs(t: Topo) -> List[Tuple[str, List[str]]]:
    """(need id, services) of the workload's task definition (policies/ecs.yaml, by hand)."""
    out = []
    if t.ecr_image:
        pv = t.platform_version
        legacy = pv is not None and re.fullmatch(r"\d+\.\d+\.\d+", pv) is not None and tuple(map(int, pv.split("."))) < (1, 4, 0)
        out.append(("ecr-image", ["ecr.dkr", "s3"] if legacy else ["ecr.api", "ecr.dkr", "s3"]))
    if t.internet_image:
        out.append(("internet-registry-image", ["internet"]))
    if t.awslogs:
        out.append(("awslogs", ["logs"]))
    return out


@dataclass
class Verdict:
    subnet: SubnetD
    service: str
    outcome: str  # ok | missing | s3-route | no-private-dns | wrong-type | no-internet
    via: Any = None  # EndpointD | "internet"


def verdict(t: Topo, subnet: SubnetD, service: str) -> Verdict:
    internet = has_internet(t, subnet)
    if service == "internet":
        return Verdict(subnet, service, "ok" if internet else "no-internet", "internet" if internet else None)
    eps = [e for e in t.endpoints if e.service == service]
    if service == "s3":
        gateways = [e for e in eps if e.effective_type == "Gateway"]
        for gw in gateways:
            if subnet.route_table is not None and subnet.route_table in gw.route_tables:
                return Verdict(subnet, service, "ok", gw)
        if internet:
            return Verdict(subnet, service, "ok", "internet")
        if gateways:
            return Verdict(subnet, service, "s3-route", gateways[0])
        return Verdict(subnet, service, "missing")  # none, or S3 only as Interface (fact 3)
    interface = [e for e in eps if e.effective_type == "Interface"]
    usable = [e for e in interface if e.private_dns is True]
    if usable:
        return Verdict(subnet, service, "ok", usable[0])
    if internet:
        return Verdict(subnet, service, "ok", "internet")
    if interface:
        return Verdict(subnet, service, "no-private-dns", interface[0])
    if eps:
        return Verdict(subnet, service, "wrong-type", eps[0])  # reported by EN2006
    return Verdict(subnet, service, "missing")


def _dest(v: Verdict) -> Tuple[str, Any]:
    if v.service == "s3":
        return ("s3", None)
    if isinstance(v.via, EndpointD):
        return ("endpoint", v.via)
    return ("internet", None)


def expected(t: Topo) -> "Counter[Tuple[str, Any]]":
    """The multiset of (rule id, subject) the catalogue demands for this topology."""
    found: Counter = Counter()
    verdicts: List[Tuple[str, Verdict]] = []
    for sname in t.task_subnets:
        for need_id, services in needs(t):
            for svc in services:
                verdicts.append((need_id, verdict(t, t.subnet(sname), svc)))
    task_sgs = list(t.task_sgs) if t.task_sgs else ["default"]
    w = t.service

    # EN2001: per workload and missing service
    for svc in {v.service for _, v in verdicts if v.outcome == "missing"}:
        found[("EN2001", (w, svc))] += 1
    # EN3001: per S3 gateway endpoint and missed route table
    for key in {(v.via.name, v.subnet.route_table or "main") for _, v in verdicts if v.outcome == "s3-route"}:
        found[("EN3001", key)] += 1
    # EN2003: per endpoint without private DNS a subnet without internet relies on
    for ep in {v.via.name for _, v in verdicts if v.outcome == "no-private-dns"}:
        found[("EN2003", ep)] += 1
    # EN4001: per need only the internet serves
    for _ in {need for need, v in verdicts if v.outcome == "no-internet"}:
        found[("EN4001", w)] += 1

    ok = [v for _, v in verdicts if v.outcome == "ok"]
    # EN1001: one per workload, anchored on its first own security group
    blocked = [v for v in ok if egress_allows(t, task_sgs, _dest(v)) is False]
    anchor = next((s for s in task_sgs if s != "default"), None)
    if blocked and anchor is not None:
        found[("EN1001", anchor)] += 1
    # EN2005 / WN2002: per interface endpoint the tasks rely on
    via_ep = [v for v in ok if isinstance(v.via, EndpointD) and v.via.effective_type == "Interface"]
    for ep_name in sorted({v.via.name for v in via_ep}):
        vs = [v for v in via_ep if v.via.name == ep_name]
        ep = vs[0].via
        if any(not endpoint_admits(t, ep, task_sgs, v.subnet) for v in vs):
            found[("EN2005", ep_name)] += 1
        ep_azs = {t.subnet(s).az for s in ep.subnets}
        if any(v.subnet.az not in ep_azs for v in vs):
            found[("WN2002", ep_name)] += 1

    # EN5001: fact 25; one per need whose actions the execution role does not grant
    role_needs = []
    if t.ecr_image:
        role_needs.append({"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"})
    if t.awslogs:
        role_needs.append({"logs:CreateLogStream", "logs:PutLogEvents"})
        if t.awslogs_create_group:
            role_needs.append({"logs:CreateLogGroup"})
    granted = set(EXECUTION_POLICY) if t.execution_role == "managed" else set()
    for actions in role_needs:
        if not actions <= granted:
            found[("EN5001", "TaskDefinition")] += 1
    # WN6001 / EN6002: rolling updates (the default controller)
    if t.circuit_breaker is not True:
        found[("WN6001", w)] += 1
    low = math.ceil(t.desired * (100 if t.min_healthy is None else t.min_healthy) / 100)
    high = math.floor(t.desired * (200 if t.max_percent is None else t.max_percent) / 100)
    if low >= t.desired and high <= t.desired:
        found[("EN6002", w)] += 1

    # endpoint and VPC defects, whatever the workload
    if any(e.effective_type == "Interface" and e.private_dns is True for e in t.endpoints):
        if t.dns_hostnames is not True or t.dns_support is False:
            found[("EN2004", t.vpc)] += 1
    for ep in t.endpoints:
        if ep.service in INTERFACE_ONLY and ep.effective_type != "Interface":
            found[("EN2006", ep.name)] += 1
        if ep.effective_type == "Interface":
            seen: List[str] = []
            for s in ep.subnets:
                if any(t.subnet(p).az == t.subnet(s).az and p != s for p in seen):
                    found[("EN2007", (ep.name, s))] += 1
                seen.append(s)
    return found


def undecided(t: Topo) -> bool:
    """True when the catalogue leaves a check of this topology undecided (an unknown the oracle
    does not model): egress to a literal prefix list is all that might let the tasks out to an
    internet registry."""
    task_sgs = list(t.task_sgs) if t.task_sgs else ["default"]
    for sname in t.task_subnets:
        for _need, services in needs(t):
            for svc in services:
                v = verdict(t, t.subnet(sname), svc)
                if v.outcome == "ok" and egress_allows(t, task_sgs, _dest(v)) == "unknown":
                    return True
    return False


# ------------------------------------------------------------------------------- engine side
_EN2001 = re.compile(r"has no (\S+) endpoint")
_EN2007 = re.compile(r"lists subnets (\S+) and (\S+), both")
_EN3001_RT = re.compile(r"but route table (\S+) of (?:that subnet|those subnets)")


def subject_of(rule_id: str, path: Sequence[Any], message: str) -> Any:
    """The oracle's key for one finding of the engine (from its anchor, and its message where
    the anchor alone does not say which service / subnet / route table)."""
    lid = path[1] if len(path) > 1 and path[0] == "Resources" else tuple(path)
    if rule_id == "EN2001":
        m = _EN2001.search(message)
        return (lid, m.group(1) if m else message)
    if rule_id == "EN2007":
        m = _EN2007.search(message)
        return (lid, m.group(2) if m else message)
    if rule_id == "EN3001":
        if "no route table association" in message:
            return (lid, "main")
        m = _EN3001_RT.search(message)
        return (lid, m.group(1) if m else message)
    if rule_id == "IN9001":
        return (tuple(path), message)
    return lid


# every rule the oracle decides (EN3002 and IN6003 are silent by construction: no endpoint policy,
# no ulimits; IN9001 must be silent: every value is known); rules added later are not compared
MODELED = {"EN1001", "EN2001", "WN2002", "EN2003", "EN2004", "EN2005", "EN2006", "EN2007", "EN3001", "EN3002",
           "EN4001", "EN5001", "WN6001", "EN6002", "IN6003", "IN9001"}


def engine_subjects(raws: Sequence[Any]) -> "Counter[Tuple[str, Any]]":
    return Counter((r.rule_id, subject_of(r.rule_id, r.path, r.message)) for r in raws if r.rule_id in MODELED)
