"""The network model of one template under one scenario.

Built once (per scenario) from a plain template mapping; imports nothing from cfn-lint.  It
answers the questions the rules ask: which route a subnet's traffic takes, what a set of security
groups lets out, what an endpoint lets in, which AZ a subnet is in.  Every answer is True, False
or an Unknown (never an error resting on an undecidable value).
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..values import (
    AZ,
    NOVALUE,
    Partial,
    Path,
    ResAtt,
    ResRef,
    Resolver,
    Unknown,
    as_bool,
    as_int,
    as_network,
    excerpt,
    first_unknown,
    short_name,
    TOO_COSTLY,
    TOO_LARGE,
)

Tri = Union[bool, Unknown]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

ANY_V4 = ipaddress.ip_network("0.0.0.0/0")
PRIVATE_V4 = [ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]


def default_sg_id(vpc: str) -> str:
    return f"default-sg:{vpc}"


@dataclass
class Vpc:
    lid: str
    cidrs: List[Any]
    dns_support: Tri
    dns_hostnames: Tri
    path: Path


@dataclass
class Subnet:
    lid: str
    vpc: Any  # logical id or Unknown
    az: Any  # AZ token, literal zone name, or Unknown
    cidr: Any  # network or Unknown
    path: Path
    route_table: Any = None  # logical id, None (main table) or Unknown
    map_public_ip: Any = False  # MapPublicIpOnLaunch: EC2 instances get a public IP there


@dataclass
class Route:
    destination: Any
    target: str  # igw | nat | other
    target_id: Any
    detail: str
    path: Path


@dataclass
class RouteTable:
    lid: str
    vpc: Any
    routes: List[Route] = field(default_factory=list)


@dataclass
class Rule:
    protocol: Any  # normalised: "-1", "6", "17", "1", "58", other numbers as str; or Unknown
    from_port: Any
    to_port: Any
    cidr: Any = None  # network, Unknown or None
    prefix_list: Any = None
    peer_sg: Any = None  # sg id (logical id or default-sg:<vpc>), Unknown, or None
    path: Path = ()


@dataclass
class SecurityGroup:
    lid: str
    vpc: Any
    path: Path
    ingress: List[Rule] = field(default_factory=list)
    egress: List[Rule] = field(default_factory=list)
    default_egress: bool = True  # the allow-all rule CloudFormation leaves without egress rules
    egress_path: Optional[Path] = None
    standalone_egress: bool = False


@dataclass
class NaclEntry:
    number: Any
    egress: bool
    allow: Any  # True allow, False deny, Unknown
    protocol: Any
    ports: Any  # (from, to) or None for all, or Unknown
    cidr: Any
    path: Path


@dataclass
class Nacl:
    lid: str
    vpc: Any
    path: Path
    entries: List[NaclEntry] = field(default_factory=list)
    unknown: Optional[Unknown] = None  # an entry that may belong here could not be read


@dataclass
class Endpoint:
    lid: str
    vpc: Any
    service: Any  # normalised service ("ecr.dkr") or Unknown
    service_raw: str
    type: str  # Interface | Gateway | GatewayLoadBalancer | Unknown text
    type_known: bool
    private_dns: Tri
    subnets: Any  # list of (subnet id or Unknown, path) or Unknown
    route_tables: Any
    security_groups: Any  # list of (sg id, path) or Unknown; None when absent
    policy: Any
    path: Path


@dataclass
class Workload:
    lid: str
    kind: str  # "service", "task set"
    path: Path
    net_path: Path
    subnets: Any  # list of (subnet id | Unknown | literal, path) or Unknown
    subnets_path: Path
    security_groups: Any  # list of (sg id | Unknown, path), Unknown; [] -> VPC default
    public_ip: Tri
    launch_type: Any  # FARGATE | EC2 | Unknown
    platform_version: Any
    execute_command: Tri
    task_definition: Any  # logical id or Unknown
    instances: Optional[str] = None  # EC2: the Auto Scaling group whose instances pull (fact 2)

    @property
    def label(self) -> str:
        if self.instances:
            return f"{self.kind} {self.lid} (on container instances of Auto Scaling group {self.instances})"
        return f"{self.kind} {self.lid}"


_SERVICE_RE = re.compile(r"^(?:aws\.api\.)?(?:com\.amazonaws\.)(?:[^.]+\.)?(.+)$")
_REGION_RE = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$")


def normalise_service(name: Any) -> Any:
    """`com.amazonaws.<region>.ecr.dkr` -> `ecr.dkr` (region-agnostic), from literals or Partials."""
    if isinstance(name, Partial):
        text = name.text
        # com.amazonaws.<unknown>.ecr.dkr: the unknown piece is the region
        m = re.match(r"^com\.amazonaws\.\x00\.(.+)$", text)
        if m and "\x00" not in m.group(1):
            return m.group(1)
        return first_unknown(name)
    if not isinstance(name, str):
        return first_unknown(name) or Unknown("the endpoint's service name is not known")
    parts = name.split(".")
    if len(parts) >= 4 and parts[0] == "com" and parts[1] == "amazonaws" and _REGION_RE.match(parts[2]):
        return ".".join(parts[3:])
    if len(parts) >= 3 and parts[0] == "com" and parts[1] == "amazonaws":
        return ".".join(parts[2:])  # global services, e.g. com.amazonaws.s3-global.accesspoint
    return name  # a partner or private service: compare as written


def _whole(value: Any) -> Any:
    """An int from an int or a whole finite float, else None (inf, nan, 1.5, bools)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


_PROTOCOL_NAMES = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": "-1"}
_PROTOCOL_NUMBER = re.compile(r"-1|[0-9]{1,3}")
_PROTOCOL_HINT = "write tcp, udp, icmp, icmpv6, -1 or a protocol number (0-255)"


def _proto(value: Any, path: Path = ()) -> Any:
    """The protocol of a rule as a number string ("6", "-1", ...), else an Unknown with `path`.

    EC2 takes tcp, udp, icmp, icmpv6 in any case (it stores them lowercased), -1, or a protocol
    number 0-255.  Anything else (" tcp ", "6.0", 6.0, "0x6", "６", nan) is not read as a protocol:
    it is unknown, never "all traffic"."""
    if isinstance(value, bool) or isinstance(value, float):
        return Unknown(f"protocol {excerpt(value)} is not tcp, udp, icmp, icmpv6, -1 or a protocol number", path, _PROTOCOL_HINT)
    if isinstance(value, int):
        if -1 <= value <= 255:
            return str(value)
        return Unknown(f"protocol {excerpt(value)} is not a protocol number (0-255, or -1)", path, _PROTOCOL_HINT)
    if not isinstance(value, str):
        return _port_unknown(value, path, "protocol")
    name = _PROTOCOL_NAMES.get(value.lower()) if value.isascii() else None
    if name is not None:
        return name
    if _PROTOCOL_NUMBER.fullmatch(value) and int(value) <= 255:
        return str(int(value))
    return Unknown(f"protocol {excerpt(value)} is not tcp, udp, icmp, icmpv6, -1 or a protocol number", path, _PROTOCOL_HINT)


def _port_unknown(value: Any, path: Path, what: str) -> Unknown:
    unk = first_unknown(value)
    if unk is None:
        return Unknown(f"{what} is missing" if value is None else f"{what} is not known", path)
    return unk if unk.path or not path else Unknown(unk.why, path, unk.hint)


def _port(value: Any, path: Path = (), what: str = "port") -> Any:
    """A port (or ICMP type/code), -1 to 65535, else an Unknown with `path`; None when absent."""
    if value is None:
        return None
    return as_int(value, path, what, -1, 65535)


_PREFIX_LIST_ID = re.compile(r"pl-[0-9a-f]{1,17}")


def _prefix_list(value: Any, path: Path) -> Any:
    """A rule's prefix list: an id ("pl-..."), a template resource, or an Unknown with `path`
    (a parameter without value, a malformed id)."""
    if value is None or value is NOVALUE:
        return None
    if isinstance(value, str):
        return value if _PREFIX_LIST_ID.fullmatch(value) else Unknown(f"{excerpt(value)} is not a prefix list ID", path, "write a prefix list ID (pl-...)")
    if isinstance(value, (ResRef, ResAtt)):
        return value
    return _port_unknown(value, path, "the prefix list")


def rule_allows_tcp(rule: Rule, port: int, protocol: str = "6") -> Tri:
    """Does this rule admit `protocol` (TCP by default) on `port`?  (-1 and protocols other than
    tcp/udp/icmp/icmpv6 allow all ports whatever the range: fact 18.)"""
    proto = rule.protocol
    if isinstance(proto, Unknown):
        return proto
    if proto == "-1" or proto not in ("6", "17", "1", "58"):
        return True
    if proto != protocol:
        return False
    lo, hi = rule.from_port, rule.to_port
    if isinstance(lo, Unknown):
        return lo
    if isinstance(hi, Unknown):
        return hi
    if lo is None and hi is None:
        return True
    lo = -1 if lo is None else lo
    hi = lo if hi is None else hi
    if lo == -1 and hi == -1:
        return True
    return lo <= port <= hi


def covers(rule_cidr: Any, target: Any) -> Tri:
    if isinstance(rule_cidr, Unknown):
        return rule_cidr
    if isinstance(target, Unknown):
        return target
    if rule_cidr is None or target is None:
        return False
    if rule_cidr.version != target.version:
        return False
    return target.subnet_of(rule_cidr)


def is_public_cidr(net: Any) -> Tri:
    """Could this CIDR hold public addresses (S3, registries)?  Leans to yes: only private ranges
    are definitely not."""
    if isinstance(net, Unknown):
        return net
    if net is None:
        return False
    if net.version == 6:
        return not net.is_private
    return not any(net.subnet_of(p) for p in PRIVATE_V4)


class Undecided(Unknown):
    """What tri_any / tri_all return when several unknowns keep a decision open: it reads as the
    first of them, and `blockers` holds every one, so that IN9001 can name each value that blocked
    the decision whatever the order of the template's lists (checks.in9001)."""

    __slots__ = ("blockers",)


def _undecided(unknowns: List[Unknown]) -> Unknown:
    flat: List[Unknown] = []
    seen = set()
    for u in unknowns:
        for b in getattr(u, "blockers", (u,)):
            if b not in seen:
                seen.add(b)
                flat.append(b)
    if len(flat) == 1:
        return flat[0]
    out = Undecided(flat[0].why, flat[0].path, flat[0].hint)
    out.blockers = tuple(flat)
    return out


def tri_any(values: Sequence[Tri]) -> Tri:
    """True if any is True; else undecided if any is Unknown (each of them blocks); else False."""
    unknowns: List[Unknown] = []
    for v in values:
        if v is True:
            return True
        if isinstance(v, Unknown):
            unknowns.append(v)
    return _undecided(unknowns) if unknowns else False


def tri_all(values: Sequence[Tri]) -> Tri:
    """False if any is False; else undecided if any is Unknown (each of them blocks); else True."""
    unknowns: List[Unknown] = []
    for v in values:
        if v is False:
            return False
        if isinstance(v, Unknown):
            unknowns.append(v)
    return _undecided(unknowns) if unknowns else True


def _literal_id_unknown(value: Any, what: str, path: Path) -> Unknown:
    if isinstance(value, ResAtt):
        if value.attribute.startswith("Outputs."):
            return Unknown(
                f"the {what} is output {value.attribute[8:]} of nested stack {value.logical_id}, whose template was not loaded",
                path,
                "give the nested stack a local TemplateURL (ecsnetpolicy loads it) or supply the value",
            )
        return Unknown(f"the {what} is attribute {value.attribute} of {value.logical_id}", path)
    if isinstance(value, str):
        return Unknown(f"{what} {short_name(value)} is not defined in the templates given", path, "pass the template that defines it")
    return first_unknown(value) or Unknown(f"{what} is not known", path)


class Model:
    """Network model of a template under one scenario (see module docstring)."""

    def __init__(self, template: Mapping[str, Any], resolver: Resolver):
        self.template = template
        self.r = resolver
        self.vpcs: Dict[str, Vpc] = {}
        self.subnets: Dict[str, Subnet] = {}
        self.route_tables: Dict[str, RouteTable] = {}
        self.nats: Dict[str, Dict[str, Any]] = {}
        self.igws: set = set()
        self.sgs: Dict[str, SecurityGroup] = {}
        self.endpoints: Dict[str, Endpoint] = {}
        self.workloads: Dict[str, Workload] = {}
        self.task_definitions: Dict[str, Mapping[str, Any]] = {}
        self.dhcp_by_vpc: Dict[str, Any] = {}  # vpc -> (dhcp options lid, servers list or Unknown)
        self.nacls: Dict[str, Nacl] = {}
        self.subnet_nacl: Dict[str, Any] = {}  # subnet -> nacl lid or Unknown (absent: the default NACL)
        resolver.register_getatt("AWS::EC2::VPC", self._getatt_vpc)
        resolver.register_getatt("AWS::EC2::Subnet", self._getatt_subnet)
        resolver.register_getatt("AWS::EC2::SecurityGroup", self._getatt_sg)
        self._build()

    # ------------------------------------------------------------------ GetAtt meanings
    def _getatt_vpc(self, r: Resolver, lid: str, attr: str, path: Path) -> Any:
        props = r.properties(lid)
        if attr == "CidrBlock":
            if "CidrBlock" in props:
                return r.resolve(props["CidrBlock"], ("Resources", lid, "Properties", "CidrBlock"))
            return Unknown(f"VPC {lid} takes its CIDR from an IPAM pool", path)
        if attr == "DefaultSecurityGroup":
            return default_sg_id(lid)
        if attr == "VpcId":
            return ResRef(lid)
        return None

    def _getatt_subnet(self, r: Resolver, lid: str, attr: str, path: Path) -> Any:
        props = r.properties(lid)
        if attr == "AvailabilityZone" and "AvailabilityZone" in props:
            return r.resolve(props["AvailabilityZone"], ("Resources", lid, "Properties", "AvailabilityZone"))
        if attr == "SubnetId":
            return ResRef(lid)
        if attr == "VpcId" and "VpcId" in props:
            return r.resolve(props["VpcId"], ("Resources", lid, "Properties", "VpcId"))
        if attr == "CidrBlock" and "CidrBlock" in props:
            return r.resolve(props["CidrBlock"], ("Resources", lid, "Properties", "CidrBlock"))
        return None

    def _getatt_sg(self, r: Resolver, lid: str, attr: str, path: Path) -> Any:
        if attr == "GroupId":
            return ResRef(lid)
        if attr == "VpcId":
            return r.resolve(r.properties(lid).get("VpcId"), ("Resources", lid, "Properties", "VpcId"))
        return None

    # ------------------------------------------------------------------ helpers
    def _ref_of(self, value: Any, types: Sequence[str]) -> Any:
        """A logical id of one of `types`, or an Unknown (literal ids, parameters, imports)."""
        if isinstance(value, ResRef) and self.r.resource_type(value.logical_id) in types:
            return value.logical_id if self.r.present(value.logical_id) else Unknown(f"{value.logical_id} is not created in this scenario")
        if isinstance(value, ResRef):
            return Unknown(f"{value.logical_id} is a {self.r.resource_type(value.logical_id)}")
        return value if isinstance(value, Unknown) else (first_unknown(value) or Unknown(f"{excerpt(value)} is not a reference to a resource of this template"))

    def _vpc_of(self, value: Any, path: Path) -> Any:
        ref = self._ref_of(value, ("AWS::EC2::VPC",))
        if isinstance(ref, Unknown) and isinstance(value, (str, ResAtt)):
            return _literal_id_unknown(value, "VPC", path)
        return ref

    def _id_of(self, value: Any, path: Path, rtype: str, what: str) -> Any:
        """The logical id of a template resource of `rtype`, else an Unknown saying why."""
        if isinstance(value, ResRef) and self.r.resource_type(value.logical_id) == rtype:
            return value.logical_id if self.r.present(value.logical_id) else Unknown(f"{value.logical_id} is not created in this scenario", path)
        if isinstance(value, (str, ResAtt)):
            return _literal_id_unknown(value, what, path)
        return first_unknown(value) or Unknown(f"{what} is not known", path)

    def _sg_id(self, value: Any, path: Path) -> Any:
        if isinstance(value, str) and value.startswith("default-sg:"):
            return value
        return self._id_of(value, path, "AWS::EC2::SecurityGroup", "security group")

    def _subnet_id(self, value: Any, path: Path) -> Any:
        return self._id_of(value, path, "AWS::EC2::Subnet", "subnet")

    def _rt_id(self, value: Any, path: Path) -> Any:
        return self._id_of(value, path, "AWS::EC2::RouteTable", "route table")

    def _id_list(self, node: Any, path: Path, conv) -> Any:
        items = self.r.items(node, path)
        if isinstance(items, Unknown):
            return items
        return [(conv(v, p), p) for v, p in items]

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        r = self.r
        by_type: Dict[str, List[str]] = {}
        for lid, res in r.resources.items():
            if isinstance(res, Mapping) and isinstance(res.get("Type"), str) and r.present(lid):
                by_type.setdefault(res["Type"], []).append(lid)
        self.by_type = by_type
        for lid in by_type.get("AWS::EC2::VPC", []):
            self._add_vpc(lid)
        for lid in by_type.get("AWS::EC2::InternetGateway", []):
            self.igws.add(lid)
        for lid in by_type.get("AWS::EC2::Subnet", []):
            self._add_subnet(lid)
        for lid in by_type.get("AWS::EC2::RouteTable", []):
            p = ("Resources", lid, "Properties")
            self.route_tables[lid] = RouteTable(lid, self._vpc_of(r.resolve(r.properties(lid).get("VpcId"), p + ("VpcId",)), p + ("VpcId",)))
        for lid in by_type.get("AWS::EC2::NatGateway", []):
            p = ("Resources", lid, "Properties")
            props = r.properties(lid)
            conn = r.resolve(props.get("ConnectivityType", "public"), p + ("ConnectivityType",))
            subnet = self._subnet_id(r.resolve(props.get("SubnetId"), p + ("SubnetId",)), p + ("SubnetId",))
            self.nats[lid] = {"connectivity": conn, "subnet": subnet}
        for lid in by_type.get("AWS::EC2::Route", []):
            self._add_route(lid)
        for lid in by_type.get("AWS::EC2::SubnetRouteTableAssociation", []):
            p = ("Resources", lid, "Properties")
            props = r.properties(lid)
            subnet = self._subnet_id(r.resolve(props.get("SubnetId"), p + ("SubnetId",)), p + ("SubnetId",))
            rt = self._rt_id(r.resolve(props.get("RouteTableId"), p + ("RouteTableId",)), p + ("RouteTableId",))
            if isinstance(subnet, str) and subnet in self.subnets:
                self.subnets[subnet].route_table = rt
        for lid in by_type.get("AWS::EC2::SecurityGroup", []):
            self._add_sg(lid)
        for lid in by_type.get("AWS::EC2::SecurityGroupIngress", []):
            self._add_standalone_rule(lid, ingress=True)
        for lid in by_type.get("AWS::EC2::SecurityGroupEgress", []):
            self._add_standalone_rule(lid, ingress=False)
        for lid in by_type.get("AWS::EC2::VPCEndpoint", []):
            self._add_endpoint(lid)
        self._add_dhcp()
        self._add_nacls()
        for lid in by_type.get("AWS::ECS::TaskDefinition", []):
            self.task_definitions[lid] = r.properties(lid)
        for lid in by_type.get("AWS::ECS::Service", []):
            self._add_workload(lid, "service")
        for lid in by_type.get("AWS::ECS::TaskSet", []):
            self._add_workload(lid, "task set")
        for lid in by_type.get("AWS::Events::Rule", []) + by_type.get("AWS::Scheduler::Schedule", []):
            self._add_scheduled(lid)

    def _add_dhcp(self) -> None:
        r = self.r
        for lid in self.by_type.get("AWS::EC2::VPCDHCPOptionsAssociation", []):
            p = ("Resources", lid, "Properties")
            props = r.properties(lid)
            vpc = self._vpc_of(r.resolve(props.get("VpcId"), p + ("VpcId",)), p + ("VpcId",))
            if not isinstance(vpc, str):
                continue
            opts = r.resolve(props.get("DhcpOptionsId"), p + ("DhcpOptionsId",))
            if isinstance(opts, ResRef) and r.resource_type(opts.logical_id) == "AWS::EC2::DHCPOptions":
                op = ("Resources", opts.logical_id, "Properties")
                servers = r.items(r.properties(opts.logical_id).get("DomainNameServers", []), op + ("DomainNameServers",))
                if not isinstance(servers, Unknown):
                    servers = [v if isinstance(v, str) else (first_unknown(v) or Unknown("a DNS server is not known", sp)) for v, sp in servers]
                self.dhcp_by_vpc[vpc] = (opts.logical_id, servers)
            elif isinstance(opts, str) and opts == "default":
                continue
            else:
                self.dhcp_by_vpc[vpc] = (None, _literal_id_unknown(opts, "DHCP options set", p + ("DhcpOptionsId",)))

    def _add_nacls(self) -> None:
        r = self.r
        for lid in self.by_type.get("AWS::EC2::NetworkAcl", []):
            p = ("Resources", lid, "Properties")
            self.nacls[lid] = Nacl(lid, self._vpc_of(r.resolve(r.properties(lid).get("VpcId"), p + ("VpcId",)), p), ("Resources", lid))
        for lid in self.by_type.get("AWS::EC2::NetworkAclEntry", []):
            p = ("Resources", lid, "Properties")
            props = r.resolve(r.properties(lid), p)
            if not isinstance(props, Mapping):
                continue
            acl = props.get("NetworkAclId")
            if not (isinstance(acl, (ResRef, ResAtt)) and acl.logical_id in self.nacls):
                continue  # (an ACL not defined here cannot be one of ours)
            action = props.get("RuleAction")
            if isinstance(action, str) and action.lower() in ("allow", "deny"):
                allow = action.lower() == "allow"
            elif isinstance(action, str):
                allow = Unknown(f"RuleAction {excerpt(action)} is neither allow nor deny", p + ("RuleAction",))
            else:
                allow = _port_unknown(action, p + ("RuleAction",), "the rule action")
            egress = as_bool(props.get("Egress"), False, p + ("Egress",))
            if isinstance(egress, Unknown):
                nacl = self.nacls[acl.logical_id]
                nacl.unknown = nacl.unknown or Unknown(f"the direction (Egress) of network ACL entry {lid} is not known", p + ("Egress",))
                continue
            pr = props.get("PortRange")
            if isinstance(pr, Mapping):
                pp = p + ("PortRange",)
                ports: Any = (_port(pr.get("From"), pp + ("From",), "From"), _port(pr.get("To"), pp + ("To",), "To"))
                bad = next((x for x in ports if isinstance(x, Unknown)), None)
                if bad is not None:
                    ports = bad
                elif any(x is None for x in ports):
                    ports = Unknown("the port range of a network ACL entry is not known", pp)
            else:
                ports = None
            if "CidrBlock" in props:
                cidr = as_network(props["CidrBlock"], p + ("CidrBlock",))
            elif "Ipv6CidrBlock" in props:
                cidr = as_network(props["Ipv6CidrBlock"], p + ("Ipv6CidrBlock",))
            else:
                cidr = Unknown("entry without CIDR", p)
            number = props.get("RuleNumber")
            number = as_int(number, p + ("RuleNumber",), "RuleNumber", 1, 32766) if number is not None else Unknown("rule number missing", p)
            self.nacls[acl.logical_id].entries.append(
                NaclEntry(number, egress, allow, _proto(props.get("Protocol"), p + ("Protocol",)), ports, cidr, ("Resources", lid))
            )
        for lid in self.by_type.get("AWS::EC2::SubnetNetworkAclAssociation", []):
            p = ("Resources", lid, "Properties")
            props = r.properties(lid)
            subnet = self._subnet_id(r.resolve(props.get("SubnetId"), p + ("SubnetId",)), p + ("SubnetId",))
            acl = r.resolve(props.get("NetworkAclId"), p + ("NetworkAclId",))
            if isinstance(subnet, str):
                if isinstance(acl, (ResRef, ResAtt)) and acl.logical_id in self.nacls:
                    self.subnet_nacl[subnet] = acl.logical_id
                else:
                    self.subnet_nacl[subnet] = _literal_id_unknown(acl, "network ACL", p + ("NetworkAclId",))

    def nacl_decision(self, subnet: str, egress: bool, ports: Tuple[int, int], peer: Any, public: bool = False) -> Tuple[Tri, Any]:
        """Does the subnet's network ACL let TCP `ports` out to (egress) or in from `peer` (a
        network)?  (decision, deciding entry or None).  Entries apply in rule-number order, first
        match wins, and what no entry allows is denied; a subnet without an association has the
        VPC's default ACL, which allows everything (fact 21).  An entry that covers only part of
        the ports or addresses makes the answer unknown unless a full match comes first.  With
        `public`, the peer is an unknown public address (S3, a registry): entries for private
        ranges do not concern it, and entries for part of the public space leave it unknown.
        Memoised: EN1003 and IN9001 ask the same questions."""
        key = (subnet, egress, ports, peer, public)
        cache = self.__dict__.setdefault("_nacl_cache", {})
        if key not in cache:
            cache[key] = self._nacl_decision(subnet, egress, ports, peer, public)
        return cache[key]

    def _nacl_decision(self, subnet: str, egress: bool, ports: Tuple[int, int], peer: Any, public: bool) -> Tuple[Tri, Any]:
        acl_id = self.subnet_nacl.get(subnet)
        if acl_id is None:
            return True, None
        if isinstance(acl_id, Unknown):
            return acl_id, None
        if isinstance(peer, Unknown):
            return peer, None
        acl = self.nacls[acl_id]
        if acl.unknown is not None:
            return acl.unknown, None
        entries = [e for e in acl.entries if e.egress == egress]
        for e in entries:
            if isinstance(e.number, Unknown):
                return Unknown(f"the rule number of entry {e.path[1]} of network ACL {acl_id} is not known: {e.number.why}", e.number.path or e.path, e.number.hint), None
        partial: Optional[Unknown] = None
        for e in sorted(entries, key=lambda x: x.number):
            bad = next((x for x in (e.protocol, e.allow, e.cidr, e.ports) if isinstance(x, Unknown)), None)
            if bad is not None:
                return Unknown(f"entry {e.path[1]} of network ACL {acl_id} is not known: {bad.why}", bad.path or e.path, bad.hint), e
            if e.protocol not in ("-1", "6"):
                continue
            if e.cidr.version != peer.version:
                continue
            if not e.cidr.overlaps(peer):
                continue
            if public and e.cidr.version == 4 and any(e.cidr.subnet_of(p) for p in PRIVATE_V4):
                continue  # the peer is somewhere in public address space (S3, registries)
            full_cidr = peer.subnet_of(e.cidr)
            if e.protocol == "-1" or e.ports is None:
                full_ports, overlap = True, True
            else:
                lo, hi = e.ports
                full_ports = lo <= ports[0] and ports[1] <= hi
                overlap = not (hi < ports[0] or lo > ports[1])
            if not overlap:
                continue
            if full_cidr and full_ports:
                if e.allow is False and partial is not None:
                    return partial, e  # part allowed above, the rest denied here
                return e.allow, e
            if e.allow is False:
                return Unknown(f"entry {e.path[1]} of network ACL {acl_id} denies part of the traffic", e.path), e
            partial = partial or Unknown(f"network ACL {acl_id} allows only part of the traffic", e.path)
        return (partial if partial is not None else False), None

    def dns_servers(self, vpc: str) -> Any:
        """(dhcp options lid, list of server strings) of the VPC, or None for AmazonProvidedDNS."""
        return self.dhcp_by_vpc.get(vpc)

    def _by_attached(self, rtype: str, key: str, as_vpc: bool = True) -> Dict[Any, List[str]]:
        """The resources of `rtype` grouped by what their `key` property resolves to (a VPC's
        logical id with `as_vpc`, else the resolved value), in template order.  Resolved once per
        model: asking per VPC or per workload would make the model quadratic in the template."""
        cache = self.__dict__.setdefault("_attached_cache", {})
        if (rtype, key, as_vpc) not in cache:
            r = self.r
            index: Dict[Any, List[str]] = {}
            for lid in self.by_type.get(rtype, []):
                p = ("Resources", lid, "Properties")
                value = r.resolve(r.properties(lid).get(key), p + (key,))
                if as_vpc:
                    value = self._vpc_of(value, p)
                try:
                    index.setdefault(value, []).append(lid)
                except TypeError:  # unhashable (a mapping, a list): equal to no id
                    continue
            cache[(rtype, key, as_vpc)] = index
        return cache[(rtype, key, as_vpc)]

    def _add_vpc(self, lid: str) -> None:
        r = self.r
        p = ("Resources", lid, "Properties")
        props = r.properties(lid)
        cidrs = [as_network(r.resolve(props["CidrBlock"], p + ("CidrBlock",)), p + ("CidrBlock",))] if "CidrBlock" in props else [Unknown(f"VPC {lid} takes its CIDR from an IPAM pool", ("Resources", lid))]
        for other in self._by_attached("AWS::EC2::VPCCidrBlock", "VpcId").get(lid, []):
            op = ("Resources", other, "Properties")
            oprops = r.properties(other)
            if "CidrBlock" in oprops:
                cidrs.append(as_network(r.resolve(oprops["CidrBlock"], op + ("CidrBlock",)), op + ("CidrBlock",)))
        self.vpcs[lid] = Vpc(
            lid,
            cidrs,
            as_bool(r.resolve(props.get("EnableDnsSupport"), p + ("EnableDnsSupport",)), True, p + ("EnableDnsSupport",)),
            as_bool(r.resolve(props.get("EnableDnsHostnames"), p + ("EnableDnsHostnames",)), False, p + ("EnableDnsHostnames",)),
            ("Resources", lid),
        )
        # the VPC's default security group: admits only its own members, lets everything out
        sg = SecurityGroup(default_sg_id(lid), lid, ("Resources", lid))
        sg.ingress.append(Rule("-1", None, None, peer_sg=default_sg_id(lid)))
        self.sgs[sg.lid] = sg

    def _add_subnet(self, lid: str) -> None:
        r = self.r
        p = ("Resources", lid, "Properties")
        props = r.properties(lid)
        vpc = self._vpc_of(r.resolve(props.get("VpcId"), p + ("VpcId",)), p + ("VpcId",))
        if "AvailabilityZone" in props:
            az = r.resolve(props["AvailabilityZone"], p + ("AvailabilityZone",))
            if not isinstance(az, (str, AZ)):
                az = first_unknown(az) or Unknown(f"the Availability Zone of subnet {lid} is not known", p + ("AvailabilityZone",))
        elif "AvailabilityZoneId" in props:
            azid = r.resolve(props["AvailabilityZoneId"], p + ("AvailabilityZoneId",))
            az = ("id", azid) if isinstance(azid, str) else (first_unknown(azid) or Unknown("AZ id not known"))
        else:
            az = Unknown(f"subnet {lid} has no AvailabilityZone (AWS picks one)", ("Resources", lid))
        cidr: Any = Unknown(f"subnet {lid} has no IPv4 CIDR block", ("Resources", lid))
        if "CidrBlock" in props:
            cidr = as_network(r.resolve(props["CidrBlock"], p + ("CidrBlock",)), p + ("CidrBlock",))
        self.subnets[lid] = Subnet(lid, vpc, az, cidr, ("Resources", lid))
        self.subnets[lid].map_public_ip = as_bool(r.resolve(props.get("MapPublicIpOnLaunch"), p + ("MapPublicIpOnLaunch",)), False, p + ("MapPublicIpOnLaunch",))

    def _add_route(self, lid: str) -> None:
        r = self.r
        p = ("Resources", lid, "Properties")
        props = r.properties(lid)
        rt = self._rt_id(r.resolve(props.get("RouteTableId"), p + ("RouteTableId",)), p)
        if not isinstance(rt, str) or rt not in self.route_tables:
            return
        if "DestinationCidrBlock" in props:
            dest = as_network(r.resolve(props["DestinationCidrBlock"], p + ("DestinationCidrBlock",)), p + ("DestinationCidrBlock",))
        else:
            dest = None  # IPv6 or prefix-list destinations do not carry IPv4 default traffic
        route: Optional[Route] = None
        if "GatewayId" in props:
            gw = r.resolve(props["GatewayId"], p + ("GatewayId",))
            if isinstance(gw, ResRef) and r.resource_type(gw.logical_id) == "AWS::EC2::InternetGateway":
                route = Route(dest, "igw", gw.logical_id, f"internet gateway {gw.logical_id}", ("Resources", lid))
            elif isinstance(gw, str) and gw.startswith("igw-"):
                route = Route(dest, "igw", gw, f"internet gateway {gw}", ("Resources", lid))
            else:
                name = gw.logical_id if isinstance(gw, ResRef) else (gw if isinstance(gw, str) else "a gateway")
                route = Route(dest, "other", gw, f"gateway {name}", ("Resources", lid))
        elif "NatGatewayId" in props:
            nat = r.resolve(props["NatGatewayId"], p + ("NatGatewayId",))
            if isinstance(nat, ResRef) and nat.logical_id in self.nats:
                route = Route(dest, "nat", nat.logical_id, f"NAT gateway {nat.logical_id}", ("Resources", lid))
            else:
                name = nat if isinstance(nat, str) else "a NAT gateway not defined here"
                route = Route(dest, "other", nat, f"NAT gateway {name}", ("Resources", lid))
        else:
            for key, what in (
                ("TransitGatewayId", "transit gateway"),
                ("VpcPeeringConnectionId", "VPC peering connection"),
                ("InstanceId", "instance"),
                ("NetworkInterfaceId", "network interface"),
                ("VpcEndpointId", "Gateway Load Balancer endpoint"),
                ("LocalGatewayId", "local gateway"),
                ("CarrierGatewayId", "carrier gateway"),
                ("CoreNetworkArn", "core network"),
                ("EgressOnlyInternetGatewayId", "egress-only internet gateway"),
            ):
                if key in props:
                    route = Route(dest, "other", None, what, ("Resources", lid))
                    break
        if route is not None:
            self.route_tables[rt].routes.append(route)

    def _rules(self, node: Any, path: Path, ingress: bool) -> List[Rule]:
        items = self.r.items(node, path)
        if isinstance(items, Unknown):
            return [Rule(items, None, None, path=path)]
        out = []
        for value, ipath in items:
            if not isinstance(value, Mapping):
                out.append(Rule(first_unknown(value) or Unknown("rule is not known", ipath), None, None, path=ipath))
                continue
            out.append(self._rule(value, ipath, ingress))
        return out

    def _rule(self, props: Mapping[str, Any], path: Path, ingress: bool, fields: Optional[Path] = None) -> Rule:
        """One rule; `fields` is the path of its properties (the rule's own path by default).
        Every value that cannot be read (a malformed CIDR, protocol or port) is an Unknown with
        its path: never all traffic, never silently dropped."""
        fp = path if fields is None else fields
        cidr: Any = None
        if "CidrIp" in props:
            cidr = as_network(props["CidrIp"], fp + ("CidrIp",))
        elif "CidrIpv6" in props:
            cidr = as_network(props["CidrIpv6"], fp + ("CidrIpv6",))
        peer_key = "SourceSecurityGroupId" if ingress else "DestinationSecurityGroupId"
        peer = None
        if peer_key in props:
            peer = self._sg_id(props[peer_key], fp + (peer_key,))
        elif ingress and "SourceSecurityGroupName" in props:
            peer = Unknown("security group named by SourceSecurityGroupName", fp + ("SourceSecurityGroupName",))
        plist_key = "SourcePrefixListId" if ingress else "DestinationPrefixListId"
        plist = _prefix_list(props[plist_key], fp + (plist_key,)) if plist_key in props else None
        return Rule(
            _proto(props.get("IpProtocol"), fp + ("IpProtocol",)),
            _port(props.get("FromPort"), fp + ("FromPort",), "FromPort"),
            _port(props.get("ToPort"), fp + ("ToPort",), "ToPort"),
            cidr,
            plist,
            peer,
            path,
        )

    def _add_sg(self, lid: str) -> None:
        r = self.r
        p = ("Resources", lid, "Properties")
        props = r.properties(lid)
        sg = SecurityGroup(lid, self._vpc_of(r.resolve(props.get("VpcId"), p + ("VpcId",)), p + ("VpcId",)), ("Resources", lid))
        if "SecurityGroupIngress" in props:
            sg.ingress.extend(self._rules(props["SecurityGroupIngress"], p + ("SecurityGroupIngress",), True))
        if "SecurityGroupEgress" in props:
            rules = self._rules(props["SecurityGroupEgress"], p + ("SecurityGroupEgress",), False)
            sg.egress.extend(rules)
            sg.default_egress = False
            sg.egress_path = p + ("SecurityGroupEgress",)
            raw = r.resolve(props["SecurityGroupEgress"], p + ("SecurityGroupEgress",))
            if raw == [] or raw is NOVALUE:
                sg.default_egress = True  # an empty list keeps CloudFormation's allow-all rule
        self.sgs[lid] = sg

    def _add_standalone_rule(self, lid: str, ingress: bool) -> None:
        r = self.r
        p = ("Resources", lid, "Properties")
        props = r.resolve(r.properties(lid), p)
        if not isinstance(props, Mapping):
            return
        group = props.get("GroupId")
        target = self._sg_id(group, p + ("GroupId",)) if group is not None else Unknown("rule without GroupId", p)
        if isinstance(target, Unknown) or target not in self.sgs:
            return
        rule = self._rule(props, ("Resources", lid), ingress, p)
        sg = self.sgs[target]
        if ingress:
            sg.ingress.append(rule)
        else:
            sg.egress.append(rule)
            if not target.startswith("default-sg:"):
                # a standalone egress rule removes CloudFormation's default allow-all (fact 17)
                sg.default_egress = False
                sg.standalone_egress = True

    def _add_endpoint(self, lid: str) -> None:
        r = self.r
        p = ("Resources", lid, "Properties")
        props = r.properties(lid)
        raw_service = r.resolve(props.get("ServiceName"), p + ("ServiceName",))
        service = normalise_service(raw_service)
        vtype = r.resolve(props.get("VpcEndpointType", "Gateway"), p + ("VpcEndpointType",))
        type_known = isinstance(vtype, str)
        sgs = None
        if "SecurityGroupIds" in props:
            sgs = self._id_list(props["SecurityGroupIds"], p + ("SecurityGroupIds",), self._sg_id)
        self.endpoints[lid] = Endpoint(
            lid,
            self._vpc_of(r.resolve(props.get("VpcId"), p + ("VpcId",)), p + ("VpcId",)),
            service,
            raw_service if isinstance(raw_service, str) else (raw_service.text.replace("\x00", "<region>") if isinstance(raw_service, Partial) else "?"),
            vtype if type_known else "unknown",
            type_known,
            as_bool(r.resolve(props.get("PrivateDnsEnabled"), p + ("PrivateDnsEnabled",)), False, p + ("PrivateDnsEnabled",)),
            self._id_list(props.get("SubnetIds", []), p + ("SubnetIds",), self._subnet_id),
            self._id_list(props.get("RouteTableIds", []), p + ("RouteTableIds",), self._rt_id),
            sgs,
            props.get("PolicyDocument"),
            ("Resources", lid),
        )

    def _add_workload(self, lid: str, kind: str) -> None:
        p = ("Resources", lid, "Properties")
        self._add_placement(lid, lid, kind, self.r.properties(lid), p, "TaskDefinition", ("Resources", lid))

    def _add_scheduled(self, lid: str) -> None:
        """Scheduled tasks: EventBridge rule targets and EventBridge Scheduler schedules."""
        r = self.r
        p = ("Resources", lid, "Properties")
        props = r.properties(lid)
        if r.resource_type(lid) == "AWS::Scheduler::Schedule":
            target = props.get("Target")
            if isinstance(target, Mapping) and isinstance(target.get("EcsParameters"), Mapping):
                ep = p + ("Target", "EcsParameters")
                self._add_placement(lid, lid, "scheduled task", target["EcsParameters"], ep, "TaskDefinitionArn", ("Resources", lid))
            return
        targets = props.get("Targets")
        if not isinstance(targets, list):
            return
        ecs_targets = [(i, t) for i, t in enumerate(targets) if isinstance(t, Mapping) and isinstance(t.get("EcsParameters"), Mapping)]
        for n, (i, t) in enumerate(ecs_targets):
            key = lid if n == 0 else f"{lid}#{n + 1}"
            ep = p + ("Targets", i, "EcsParameters")
            self._add_placement(key, key, "scheduled task", t["EcsParameters"], ep, "TaskDefinitionArn", ("Resources", lid))

    def _add_placement(self, key: str, lid: str, kind: str, props: Mapping[str, Any], p: Path, td_key: str, path: Path) -> None:
        r = self.r
        net = props.get("NetworkConfiguration")
        if net is None:
            return  # not awsvpc (bridge/host networking): out of our scope
        net_path = p + ("NetworkConfiguration",)
        net_v = r.resolve(net, net_path)
        # AWS::ECS::Service spells it AwsvpcConfiguration, TaskSet and EventBridge AwsVpcConfiguration
        key_name = "AwsVpcConfiguration" if isinstance(net, Mapping) and "AwsVpcConfiguration" in net else "AwsvpcConfiguration"
        aws = net.get(key_name) if isinstance(net, Mapping) else None
        aws_path = net_path + (key_name,)
        if not isinstance(aws, Mapping):
            unk = first_unknown(net_v) or Unknown(f"NetworkConfiguration of {lid} is not known", net_path)
            subnets: Any = unk
            sgs: Any = unk
            public_ip: Any = unk
            subnets_path = net_path
        else:
            subnets_path = aws_path + ("Subnets",)
            subnets = self._id_list(aws.get("Subnets", []), subnets_path, self._subnet_id)
            sgs = self._id_list(aws.get("SecurityGroups", []), aws_path + ("SecurityGroups",), self._sg_id) if "SecurityGroups" in aws else []
            pip = r.resolve(aws.get("AssignPublicIp", "DISABLED"), aws_path + ("AssignPublicIp",))
            public_ip = (pip == "ENABLED") if isinstance(pip, str) else (first_unknown(pip) or Unknown("AssignPublicIp is not known"))
        td = r.resolve(props.get(td_key), p + (td_key,))
        if isinstance(td, ResRef) and td.logical_id in self.task_definitions:
            task_def: Any = td.logical_id
        elif props.get(td_key) is None:
            task_def = Unknown(f"{kind} {lid} names no task definition", path)
        elif isinstance(td, Unknown) and td.why.startswith((TOO_COSTLY, TOO_LARGE)):
            task_def = td  # not "not defined": it could not be evaluated
        else:
            task_def = Unknown(
                f"the task definition of {kind} {lid} is not defined in the templates given",
                p + (td_key,),
                "pass the template that defines it",
            )
        self.workloads[key] = Workload(
            lid,
            kind,
            path,
            net_path,
            subnets,
            subnets_path,
            sgs,
            public_ip,
            self._launch_type(lid, props, p, task_def),
            r.resolve(props.get("PlatformVersion", "LATEST"), p + ("PlatformVersion",)),
            as_bool(r.resolve(props.get("EnableExecuteCommand"), p + ("EnableExecuteCommand",)), False, p + ("EnableExecuteCommand",)),
            task_def,
        )
        if self.workloads[key].launch_type == "EC2":
            self._instance_side(self.workloads[key], props, p)

    def _providers(self, props: Mapping[str, Any], p: Path) -> Any:
        """The capacity providers a workload runs on: its strategy, else its cluster's."""
        r = self.r
        strategy = props.get("CapacityProviderStrategy")
        if strategy is not None:
            items = r.items(strategy, p + ("CapacityProviderStrategy",))
            if isinstance(items, Unknown):
                return items
            return [v.get("CapacityProvider") for v, _ in items if isinstance(v, Mapping)]
        cluster = r.resolve(props.get("Cluster"), p + ("Cluster",))
        found: List[Any] = []
        if isinstance(cluster, ResRef):
            for assoc in self._by_attached("AWS::ECS::ClusterCapacityProviderAssociations", "Cluster", False).get(cluster, []):
                ap = r.properties(assoc)
                apath = ("Resources", assoc, "Properties")
                listed = r.items(ap.get("CapacityProviders", []), apath + ("CapacityProviders",))
                if not isinstance(listed, Unknown):
                    found.extend(v for v, _ in listed)
            listed = r.items(r.properties(cluster.logical_id).get("CapacityProviders", []), ("Resources", cluster.logical_id, "Properties", "CapacityProviders"))
            if not isinstance(listed, Unknown):
                found.extend(v for v, _ in listed)
        return found

    def _instance_side(self, w: Workload, props: Mapping[str, Any], p: Path) -> None:
        """EC2 launch type: the agent pulls through the instance (fact 2), so judge the Auto Scaling
        group's subnets, launch template security groups and public IPs, where the template shows
        them; else the placement is unknown."""
        r = self.r
        providers = self._providers(props, p)
        asgs: List[str] = []
        if not isinstance(providers, Unknown):
            for prov in providers:
                if isinstance(prov, ResRef) and r.resource_type(prov.logical_id) == "AWS::ECS::CapacityProvider":
                    asp = r.properties(prov.logical_id).get("AutoScalingGroupProvider")
                    if isinstance(asp, Mapping):
                        asg = r.resolve(asp.get("AutoScalingGroupArn"), ("Resources", prov.logical_id, "Properties", "AutoScalingGroupProvider", "AutoScalingGroupArn"))
                        if isinstance(asg, ResRef) and r.resource_type(asg.logical_id) == "AWS::AutoScaling::AutoScalingGroup":
                            asgs.append(asg.logical_id)
        if not asgs:
            w.subnets = Unknown(
                f"the container instances of {w.kind} {w.lid} (EC2 launch type) are not linked to an Auto Scaling group through a capacity provider in the template",
                w.net_path,
                "run them on a capacity provider defined in the template, or pass the template that defines it",
            )
            return
        asg = asgs[0]
        ap = ("Resources", asg, "Properties")
        aprops = r.properties(asg)
        w.instances = asg
        w.subnets_path = ap + ("VPCZoneIdentifier",)
        w.net_path = w.subnets_path if "VPCZoneIdentifier" in aprops else ("Resources", asg)
        w.subnets = self._id_list(aprops.get("VPCZoneIdentifier", []), w.subnets_path, self._subnet_id) if "VPCZoneIdentifier" in aprops else Unknown(
            f"Auto Scaling group {asg} names no subnets (VPCZoneIdentifier)", ("Resources", asg))
        w.public_ip = None  # the subnet's MapPublicIpOnLaunch unless the launch template says
        w.security_groups = Unknown(f"the security groups of Auto Scaling group {asg}'s instances are not known", ("Resources", asg))
        lt = aprops.get("LaunchTemplate")
        lc = aprops.get("LaunchConfigurationName")
        if isinstance(lt, Mapping):
            ref = r.resolve(lt.get("LaunchTemplateId", lt.get("LaunchTemplateName")), ap + ("LaunchTemplate",))
            if isinstance(ref, (ResRef, ResAtt)) and r.resource_type(ref.logical_id) == "AWS::EC2::LaunchTemplate":
                lp = ("Resources", ref.logical_id, "Properties", "LaunchTemplateData")
                data = r.properties(ref.logical_id).get("LaunchTemplateData")
                if isinstance(data, Mapping):
                    nics = data.get("NetworkInterfaces")
                    nic = nics[0] if isinstance(nics, list) and nics and isinstance(nics[0], Mapping) else None
                    if nic is not None:
                        if "Groups" in nic:
                            w.security_groups = self._id_list(nic["Groups"], lp + ("NetworkInterfaces", 0, "Groups"), self._sg_id)
                        if "AssociatePublicIpAddress" in nic:
                            w.public_ip = as_bool(r.resolve(nic["AssociatePublicIpAddress"], lp + ("NetworkInterfaces", 0, "AssociatePublicIpAddress")), False, lp + ("NetworkInterfaces", 0, "AssociatePublicIpAddress"))
                    if "SecurityGroupIds" in data:
                        w.security_groups = self._id_list(data["SecurityGroupIds"], lp + ("SecurityGroupIds",), self._sg_id)
                    elif nic is None or "Groups" not in nic:
                        w.security_groups = []  # the VPC default group
        elif lc is not None:
            ref = r.resolve(lc, ap + ("LaunchConfigurationName",))
            if isinstance(ref, ResRef) and r.resource_type(ref.logical_id) == "AWS::AutoScaling::LaunchConfiguration":
                cp = ("Resources", ref.logical_id, "Properties")
                cprops = r.properties(ref.logical_id)
                w.security_groups = self._id_list(cprops["SecurityGroups"], cp + ("SecurityGroups",), self._sg_id) if "SecurityGroups" in cprops else []
                if "AssociatePublicIpAddress" in cprops:
                    w.public_ip = as_bool(r.resolve(cprops["AssociatePublicIpAddress"], cp + ("AssociatePublicIpAddress",)), False, cp + ("AssociatePublicIpAddress",))

    def _launch_type(self, lid: str, props: Mapping[str, Any], p: Path, task_def: Any) -> Any:
        r = self.r
        if "LaunchType" in props:
            lt = r.resolve(props["LaunchType"], p + ("LaunchType",))
            if isinstance(lt, str):
                return "FARGATE" if lt == "FARGATE" else ("EC2" if lt in ("EC2", "EXTERNAL") else lt)
            return first_unknown(lt) or Unknown("launch type is not known")
        strategy = props.get("CapacityProviderStrategy")
        if strategy is None:
            cluster = r.resolve(props.get("Cluster"), p + ("Cluster",))
            if isinstance(cluster, ResRef):
                strategy = r.properties(cluster.logical_id).get("DefaultCapacityProviderStrategy")
                by_cluster = self._by_attached("AWS::ECS::ClusterCapacityProviderAssociations", "Cluster", False)
                order = self.by_type.get("AWS::ECS::ClusterCapacityProviderAssociations", [])
                last = [found[-1] for found in (by_cluster.get(cluster), by_cluster.get(cluster.logical_id)) if found]
                if last:  # the last association in template order names the strategy
                    strategy = r.properties(max(last, key=order.index)).get("DefaultCapacityProviderStrategy")
        if strategy is not None:
            items = r.items(strategy, p + ("CapacityProviderStrategy",))
            if isinstance(items, Unknown):
                return items
            providers = [v.get("CapacityProvider") for v, _ in items if isinstance(v, Mapping)]
            if providers and all(x in ("FARGATE", "FARGATE_SPOT") for x in providers):
                return "FARGATE"
            if providers and all(isinstance(x, (str, ResRef)) and x not in ("FARGATE", "FARGATE_SPOT") for x in providers):
                return "EC2"
            return Unknown("capacity providers mix Fargate and EC2, or are not known")
        # no launch type and no capacity provider strategy: EC2 unless the task definition is Fargate-only
        if isinstance(task_def, str):
            compat = r.resolve(self.task_definitions[task_def].get("RequiresCompatibilities"), ())
            if compat == ["FARGATE"]:
                return "FARGATE"
        return Unknown(f"the launch type of {lid} is decided by the cluster's default capacity provider strategy")

    # ------------------------------------------------------------------ queries
    def internet_path(self, subnet: str, workload: Workload) -> Tuple[Tri, str]:
        """(True/False/Unknown, why).  Fact 24 and the catalogue's definition of internet path."""
        sn = self.subnets[subnet]
        rt = sn.route_table
        if isinstance(rt, Unknown):
            return rt, ""
        if rt is None:
            if isinstance(sn.vpc, Unknown):
                return Unknown(f"subnet {subnet} uses the main route table of a VPC not defined here", sn.path), ""
            return False, f"subnet {subnet} has no route table association, so it uses the VPC main route table, which holds only the local route"
        default = [rt_ for rt_ in self.route_tables[rt].routes if isinstance(rt_.destination, (ipaddress.IPv4Network, Unknown)) and (isinstance(rt_.destination, Unknown) or rt_.destination.prefixlen == 0)]
        if not default:
            return False, f"route table {rt} has no default route to 0.0.0.0/0"
        route = default[-1]
        if isinstance(route.destination, Unknown):
            return route.destination, ""
        if route.target == "igw":
            if workload.instances:
                public = workload.public_ip if workload.public_ip is not None else sn.map_public_ip
                if isinstance(public, Unknown):
                    return public, ""
                if public:
                    return True, route.detail
                return False, f"route table {rt} sends 0.0.0.0/0 to {route.detail} while the container instances get no public IP"
            if workload.launch_type == "EC2":
                return False, f"route table {rt} sends 0.0.0.0/0 to {route.detail} while EC2 launch type tasks get no public IP"
            if isinstance(workload.public_ip, Unknown):
                return workload.public_ip, ""
            if workload.public_ip:
                if isinstance(workload.launch_type, Unknown):
                    return True, route.detail
                return True, route.detail
            return False, f"route table {rt} sends 0.0.0.0/0 to {route.detail} while the tasks get no public IP because AssignPublicIp is not ENABLED"
        if route.target == "nat":
            nat = self.nats[route.target_id]
            conn = nat["connectivity"]
            if isinstance(conn, str) and conn.lower() == "private":
                return False, f"route table {rt} sends 0.0.0.0/0 to private NAT gateway {route.target_id}, which gives no internet access"
            if not isinstance(conn, str):
                return first_unknown(conn) or Unknown("NAT connectivity not known"), ""
            nat_subnet = nat["subnet"]
            if isinstance(nat_subnet, str) and nat_subnet in self.subnets:
                nrt = self.subnets[nat_subnet].route_table
                if isinstance(nrt, str) and nrt in self.route_tables:
                    up = [x for x in self.route_tables[nrt].routes if isinstance(x.destination, ipaddress.IPv4Network) and x.destination.prefixlen == 0]
                    if up and up[-1].target == "igw":
                        return True, route.detail
                    if not up:
                        return False, f"NAT gateway {route.target_id} sits in subnet {nat_subnet}, whose route table {nrt} has no route to an internet gateway"
                    return Unknown(f"NAT gateway {route.target_id} reaches the internet through {up[-1].detail}", up[-1].path), ""
                if nrt is None and not isinstance(self.subnets[nat_subnet].vpc, Unknown):
                    return False, f"NAT gateway {route.target_id} sits in subnet {nat_subnet}, which uses the VPC main route table (no internet gateway route)"
            return Unknown(f"the subnet of NAT gateway {route.target_id} is not known", ("Resources", route.target_id)), ""
        return Unknown(f"route table {rt} sends 0.0.0.0/0 to {route.detail}, which may or may not reach the internet", route.path), ""

    def sg_list(self, workload: Workload, vpc: Any) -> Any:
        """The workload's security groups (the VPC default group when none is given: fact 20)."""
        if isinstance(workload.security_groups, Unknown):
            return workload.security_groups
        if not workload.security_groups:
            if isinstance(vpc, Unknown):
                return vpc
            return [default_sg_id(vpc)]
        out = [sg for sg, _ in workload.security_groups]
        unknowns = [sg for sg in out if isinstance(sg, Unknown)]
        return _undecided(unknowns) if unknowns else out  # every unknown group blocks, whatever its place

    def egress_allows(self, sg_ids: Sequence[str], dest: Tuple[str, Any]) -> Tri:
        """Does the union of these groups' egress let TCP 443 out to `dest`?

        dest: ("endpoint", Endpoint) | ("s3", None) | ("internet", None).  Memoised: every rule
        asks this for the same few (groups, destination) pairs."""
        key = (tuple(sg_ids), dest[0], dest[1].lid if dest[0] == "endpoint" else None)
        cache = self.__dict__.setdefault("_egress_cache", {})
        if key not in cache:
            cache[key] = self._egress_allows(sg_ids, dest)
        return cache[key]

    def _union_egress(self, sg_ids: Sequence[str], allows: Callable[[Rule], Tri]) -> Tri:
        """Does any egress rule of these groups allow it?  A group without egress rules keeps
        CloudFormation's allow-all (fact 16)."""
        results: List[Tri] = []
        for sid in sg_ids:
            sg = self.sgs.get(sid)
            if sg is None:
                return Unknown(f"security group {sid} is not known")
            if sg.default_egress:
                return True
            results.extend(allows(rule) for rule in sg.egress)
        return tri_any(results)

    def _egress_allows(self, sg_ids: Sequence[str], dest: Tuple[str, Any]) -> Tri:
        return self._union_egress(sg_ids, lambda rule: tri_all([rule_allows_tcp(rule, 443), self._egress_dest_ok(rule, dest)]))

    def egress_to(self, sg_ids: Sequence[str], net: Any, port: int, protocol: str) -> Tri:
        """Does the union of these groups' egress let `protocol`/`port` out to network `net`?"""

        def allows(rule: Rule) -> Tri:
            if rule.cidr is not None:
                dest_ok: Tri = covers(rule.cidr, net)
            elif rule.peer_sg is not None or rule.prefix_list is not None:
                dest_ok = Unknown("egress to a security group or prefix list may cover it", rule.path)
            else:
                dest_ok = False
            return tri_all([rule_allows_tcp(rule, port, protocol), dest_ok])

        return self._union_egress(sg_ids, allows)

    def _egress_dest_ok(self, rule: Rule, dest: Tuple[str, Any]) -> Tri:
        kind, target = dest
        if kind == "endpoint":
            checks: List[Tri] = []
            if rule.peer_sg is not None:
                ep_sgs = self.endpoint_sgs(target)
                if isinstance(rule.peer_sg, Unknown):
                    checks.append(rule.peer_sg)
                elif isinstance(ep_sgs, Unknown):
                    checks.append(ep_sgs)
                else:
                    checks.append(rule.peer_sg in ep_sgs)
            if rule.cidr is not None:
                nets = self.endpoint_networks(target)
                if isinstance(nets, Unknown):
                    checks.append(tri_all([is_public_cidr(rule.cidr) and rule.cidr == ANY_V4, nets]) if not isinstance(rule.cidr, Unknown) and rule.cidr == ANY_V4 else nets)
                else:
                    checks.append(tri_all([covers(rule.cidr, n) for n in nets]) if nets else Unknown("the endpoint has no subnets"))
            if isinstance(rule.prefix_list, Unknown):
                checks.append(rule.prefix_list)
            elif rule.prefix_list is not None and not checks:
                checks.append(False)
            return tri_any(checks)
        if kind == "s3":
            if isinstance(rule.prefix_list, Unknown):
                return rule.prefix_list
            if rule.prefix_list is not None:
                return True  # the S3 prefix list (a literal pl- id cannot be checked further)
            if rule.cidr is not None:
                return is_public_cidr(rule.cidr)
            if isinstance(rule.peer_sg, Unknown):
                return False
            return False
        # internet
        if rule.cidr is not None:
            return is_public_cidr(rule.cidr)
        if rule.prefix_list is not None:
            return Unknown("the egress rule's destination is a prefix list, which may or may not hold the registry's addresses", rule.path)
        return False

    def endpoint_sgs(self, ep: Endpoint) -> Any:
        if ep.security_groups is None:
            if isinstance(ep.vpc, Unknown):
                return ep.vpc
            return [default_sg_id(ep.vpc)]
        if isinstance(ep.security_groups, Unknown):
            return ep.security_groups
        out = [sg for sg, _ in ep.security_groups]
        unknowns = [sg for sg in out if isinstance(sg, Unknown)]
        return _undecided(unknowns) if unknowns else out  # every unknown group blocks, whatever its place

    def endpoint_networks(self, ep: Endpoint) -> Any:
        if isinstance(ep.subnets, Unknown):
            return ep.subnets
        nets = [sn if isinstance(sn, Unknown) else self.subnets[sn].cidr for sn, _ in ep.subnets]
        unknowns = [n for n in nets if isinstance(n, Unknown)]
        return _undecided(unknowns) if unknowns else nets  # every unknown subnet blocks, whatever its place

    def endpoint_admits(self, ep: Endpoint, workload_sgs: Sequence[str], subnet: str) -> Tri:
        """Do the endpoint's groups let TCP 443 in from the tasks (their groups, or a CIDR covering
        their subnet)?  Fact 12.  Memoised like egress_allows."""
        key = (ep.lid, tuple(workload_sgs), subnet)
        cache = self.__dict__.setdefault("_admit_cache", {})
        if key not in cache:
            cache[key] = self._endpoint_admits(ep, workload_sgs, subnet)
        return cache[key]

    def _endpoint_admits(self, ep: Endpoint, workload_sgs: Sequence[str], subnet: str) -> Tri:
        ep_sgs = self.endpoint_sgs(ep)
        if isinstance(ep_sgs, Unknown):
            return ep_sgs
        results: List[Tri] = []
        cidr = self.subnets[subnet].cidr
        for sid in ep_sgs:
            sg = self.sgs.get(sid)
            if sg is None:
                return Unknown(f"security group {sid} is not known")
            for rule in sg.ingress:
                src: List[Tri] = []
                if rule.peer_sg is not None:
                    src.append(rule.peer_sg if isinstance(rule.peer_sg, Unknown) else rule.peer_sg in workload_sgs)
                if rule.cidr is not None:
                    src.append(covers(rule.cidr, cidr))
                if rule.prefix_list is not None:
                    src.append(rule.prefix_list if isinstance(rule.prefix_list, Unknown) else Unknown("ingress from a prefix list", rule.path))
                results.append(tri_all([rule_allows_tcp(rule, 443), tri_any(src)]))
        return tri_any(results)

    def az_of(self, subnet: Any) -> Any:
        if isinstance(subnet, str) and subnet in self.subnets:
            return self.subnets[subnet].az
        return Unknown("subnet is not known")


def same_az(a: Any, b: Any) -> Tri:
    if isinstance(a, Unknown):
        return a
    if isinstance(b, Unknown):
        return b
    if type(a) is type(b):
        return a == b
    return Unknown("Availability Zones written in different forms cannot be compared")


def az_label(az: Any) -> str:
    if isinstance(az, AZ):
        return f"AZ #{az.index + 1} of the region"
    if isinstance(az, tuple) and len(az) == 2 and az[0] == "id":
        return str(az[1])
    return str(az)
