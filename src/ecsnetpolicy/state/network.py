"""The facts of the network state: VPCs, subnets, route tables, gateways, security groups,
network ACLs, endpoints and the ECS workloads placed in them.  Plain data, each fact carrying its
`origin`; a value that could not be read is an Unknown saying why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, List, Optional

from ..values import Path, Unknown
from .logic import Tri
from .origin import Origin


def default_sg_id(vpc: str) -> str:
    return f"default-sg:{vpc}"


@dataclass
class Vpc:
    lid: str
    cidrs: List[Any]
    dns_support: Tri
    dns_hostnames: Tri
    path: Path
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class Subnet:
    lid: str
    vpc: Any  # logical id or Unknown
    az: Any  # AZ token, literal zone name, or Unknown
    cidr: Any  # network or Unknown
    path: Path
    route_table: Any = None  # logical id, None (main table) or Unknown
    map_public_ip: Any = False  # MapPublicIpOnLaunch: EC2 instances get a public IP there
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class InternetGateway:
    lid: str
    path: Path
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class NatGateway:
    lid: str
    connectivity: Any  # "public", "private" (any case), or what the template gave (Unknown...)
    subnet: Any  # subnet logical id or Unknown
    path: Path
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class Route:
    destination: Any
    target: str  # igw | nat | other
    target_id: Any
    detail: str
    path: Path
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class RouteTable:
    lid: str
    vpc: Any
    routes: List[Route] = field(default_factory=list)
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class Rule:
    protocol: Any  # normalised: "-1", "6", "17", "1", "58", other numbers as str; or Unknown
    from_port: Any
    to_port: Any
    cidr: Any = None  # network, Unknown or None
    prefix_list: Any = None
    peer_sg: Any = None  # sg id (logical id or default-sg:<vpc>), Unknown, or None
    path: Path = ()
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


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
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class NaclEntry:
    number: Any
    egress: bool
    allow: Any  # True allow, False deny, Unknown
    protocol: Any
    ports: Any  # (from, to) or None for all, or Unknown
    cidr: Any
    path: Path
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class Nacl:
    lid: str
    vpc: Any
    path: Path
    entries: List[NaclEntry] = field(default_factory=list)
    unknown: Optional[Unknown] = None  # an entry that may belong here could not be read
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class DhcpOptions:
    """The DHCP options set associated with a VPC.  Unpacks as (lid, servers)."""

    lid: Optional[str]  # the options set's logical id; None when it is not defined here
    servers: Any  # list of server strings (or Unknown per server), or Unknown
    path: Path
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.lid, self.servers))


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
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


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
    # the task definition's NetworkMode: "awsvpc", "bridge", "host", "none" or Unknown (issue 14
    # adds bridge/host workloads; inbound checks of issue 12 read it, e.g. EN7001 is awsvpc-only)
    network_mode: Any = "awsvpc"
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)
    # what `instances` names: an "Auto Scaling group" or an ECS Managed Instances "capacity provider" (issue 14)
    instances_kind: str = "Auto Scaling group"

    @property
    def label(self) -> str:
        if self.instances:
            return f"{self.kind} {self.lid} (on container instances of {self.instances_kind} {self.instances})"
        return f"{self.kind} {self.lid}"


# ------------------------------------------------------------------ traffic into the tasks (issue 12)
@dataclass
class LoadBalancer:
    """An Elastic Load Balancing v2 load balancer: where its nodes are (subnets, hence AZs and
    the source addresses of an NLB without groups) and which groups its traffic leaves through."""

    lid: str
    type: Any  # "application" (CloudFormation's default), "network", "gateway", or Unknown
    scheme: Any  # "internet-facing" (the default) or "internal", or Unknown
    subnets: Any  # list of (subnet id | Unknown, path), from Subnets or SubnetMappings[].SubnetId; or Unknown
    subnets_path: Path  # Subnets / SubnetMappings (where WN7005 anchors)
    security_groups: Any  # list of (sg id | Unknown, path), Unknown; None: no groups (an NLB without any)
    path: Path
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class TargetGroup:
    """A target group: what the load balancer sends to the targets and how it checks them."""

    lid: str
    target_type: Any  # "instance" (CloudFormation's default), "ip", "lambda", "alb", or Unknown
    port: Any  # int, None (lambda) or Unknown
    protocol: Any  # "HTTP", "TCP"... or None / Unknown
    health_port: Any  # "traffic-port" (the default), an int, or Unknown
    health_protocol: Any  # as written, None when absent
    preserve_client_ip: Any  # preserve_client_ip.enabled as written: True, False, None (absent) or Unknown
    load_balancers: List[Any]  # the load balancers whose listeners forward to it: lid or Unknown
    path: Path
    origin: Optional[Origin] = field(default=None, compare=False, repr=False)


@dataclass
class LbAttachment:
    """One `LoadBalancers[]` entry of a service or task set: which container and port the
    load balancer's target group sends to."""

    workload: str  # the state's workload key
    container: Any  # ContainerName, or Unknown
    port: Any  # ContainerPort (int), or Unknown
    target_group: Any  # target group lid, or Unknown (an ARN, a parameter, an import)
    path: Path  # the entry


@dataclass
class ServiceConnect:
    """A service's Service Connect configuration: its namespace and the ports it serves there."""

    workload: str  # the state's workload key
    namespace: Any  # a comparable key (the namespace's lid, or its name/ARN as written), or Unknown
    servers: List[Any]  # (port name, path) of each `Services[]` entry
    path: Path  # ServiceConnectConfiguration
