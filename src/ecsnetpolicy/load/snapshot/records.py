"""The records of an account snapshot: one small dataclass per kind of AWS resource, each keeping
the AWS entry it was built from (``raw``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Dict, Optional, Tuple


# --------------------------------------------------------------------------- records


class _Record:
    """The equality and text of a record, as @dataclass would generate them, written once here:
    generating them per class costs about 0.4 ms each at import, a tenth of what a check with a
    large account spends on top of the check without it.  (@dataclass still writes __init__.)"""

    __slots__ = ()

    def __eq__(self, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = [f.name for f in fields(self) if f.compare]
        return [getattr(self, n) for n in names] == [getattr(other, n) for n in names]

    __hash__ = None  # type: ignore[assignment]  # as @dataclass(eq=True) leaves it: mutable, unhashable

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return f"{self.__class__.__qualname__}({shown})"


record = dataclass(eq=False, repr=False)


@record
class Subnet(_Record):
    id: str
    vpc_id: Optional[str]
    availability_zone: Optional[str]
    availability_zone_id: Optional[str]
    cidr_block: Optional[str]
    ipv6_cidr_blocks: Tuple[str, ...]
    map_public_ip_on_launch: Optional[bool]
    state: Optional[str]
    owner_id: Optional[str]
    arn: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)


@record
class Route(_Record):
    """One route.  ``destination_kind`` is 'ipv4', 'ipv6' or 'prefix-list'; ``target_kind`` is
    'local', 'internet-gateway', 'egress-only-internet-gateway', 'nat-gateway', 'vpc-endpoint'
    (a gateway endpoint's route), 'vpn-gateway', 'transit-gateway', 'peering',
    'network-interface', 'instance', 'local-gateway', 'carrier-gateway', 'core-network' or
    'unknown'; ``state`` 'active' or 'blackhole' (a blackhole route carries nothing)."""

    destination: Optional[str]
    destination_kind: str
    target: Optional[str]
    target_kind: str
    state: Optional[str]
    origin: Optional[str]


@record
class RouteTable(_Record):
    id: str
    vpc_id: Optional[str]
    main: bool
    subnet_ids: Tuple[str, ...]  # explicit, associated subnet associations
    gateway_ids: Tuple[str, ...]  # edge associations (an internet or virtual private gateway)
    routes: Tuple[Route, ...]
    propagating_vgws: Tuple[str, ...]
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)


@record
class VpcEndpoint(_Record):
    id: str
    vpc_id: Optional[str]
    service_name: Optional[str]
    type: Optional[str]  # 'Interface', 'Gateway', 'GatewayLoadBalancer', ...
    state: Optional[str]
    subnet_ids: Tuple[str, ...]
    route_table_ids: Tuple[str, ...]
    group_ids: Tuple[str, ...]
    private_dns_enabled: Optional[bool]
    policy: Optional[Any]  # the decoded policy document (the CLI prints it as a JSON string)
    dns_names: Tuple[str, ...]
    service_region: Optional[str]
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)


@record
class SgRule(_Record):
    """One security group rule, one source or destination each.  ``protocol`` is '-1' (all),
    'tcp', 'udp', 'icmp', 'icmpv6' or the protocol number as a string (6/17/1/58 are named)."""

    egress: bool
    protocol: str
    from_port: Optional[int]
    to_port: Optional[int]
    cidr_ipv4: Optional[str] = None
    cidr_ipv6: Optional[str] = None
    prefix_list_id: Optional[str] = None
    group_id: Optional[str] = None  # a referenced security group
    group_owner_id: Optional[str] = None
    group_vpc_id: Optional[str] = None
    peering_id: Optional[str] = None
    description: Optional[str] = None
    rule_id: Optional[str] = None  # sgr-..., from describe-security-group-rules only


@record
class SecurityGroup(_Record):
    id: str
    name: Optional[str]
    vpc_id: Optional[str]
    description: Optional[str]
    ingress: Tuple[SgRule, ...]
    egress: Tuple[SgRule, ...]
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)


@record
class NaclEntry(_Record):
    rule_number: int
    egress: bool
    action: str  # 'allow' or 'deny'
    protocol: str  # as SgRule.protocol
    cidr_block: Optional[str]
    ipv6_cidr_block: Optional[str]
    port_from: Optional[int]
    port_to: Optional[int]
    icmp_type: Optional[int]
    icmp_code: Optional[int]


@record
class NetworkAcl(_Record):
    id: str
    vpc_id: Optional[str]
    is_default: bool
    subnet_ids: Tuple[str, ...]
    entries: Tuple[NaclEntry, ...]  # sorted by (egress, rule_number)
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)


@record
class NatGateway(_Record):
    id: str
    subnet_id: Optional[str]
    vpc_id: Optional[str]
    state: Optional[str]
    connectivity_type: Optional[str]  # 'public' or 'private' (absent means public)
    public_ips: Tuple[str, ...]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)


@record
class InternetGateway(_Record):
    id: str
    attachments: Tuple[Tuple[str, Optional[str]], ...]  # (vpc_id, state); 'available' means attached
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)

    @property
    def vpc_ids(self) -> Tuple[str, ...]:
        return tuple(v for v, s in self.attachments if s in (None, "available", "attached"))


@record
class Vpc(_Record):
    id: str
    cidr_blocks: Tuple[str, ...]  # primary and associated IPv4 blocks
    ipv6_cidr_blocks: Tuple[str, ...]
    dhcp_options_id: Optional[str]
    is_default: Optional[bool]
    state: Optional[str]
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)
    enable_dns_support: Optional[bool] = None  # None: describe-vpc-attribute not captured for this VPC
    enable_dns_hostnames: Optional[bool] = None


@record
class DhcpOptions(_Record):
    id: str
    configurations: Dict[str, Tuple[str, ...]]  # 'domain-name-servers' -> ('AmazonProvidedDNS',)
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)

    @property
    def domain_name_servers(self) -> Optional[Tuple[str, ...]]:
        return self.configurations.get("domain-name-servers")


@record
class PrefixList(_Record):
    """A prefix list, merged from describe-prefix-lists (AWS-managed lists, with their CIDRs),
    describe-managed-prefix-lists (no CIDRs) and get-managed-prefix-list-entries (CIDRs)."""

    id: str
    name: Optional[str]
    cidrs: Optional[Tuple[str, ...]]  # None: the entries were not captured
    arn: Optional[str]
    owner_id: Optional[str]
    address_family: Optional[str]
    raw: Dict[str, Any] = field(repr=False)


@record
class ServiceDetail(_Record):
    """An endpoint service of the region (describe-vpc-endpoint-services), its entries merged."""

    name: str
    endpoint_types: Tuple[str, ...]  # 'Interface', 'Gateway', ...
    availability_zones: Tuple[str, ...]  # union over the types
    zones_by_type: Dict[str, Tuple[str, ...]]
    private_dns_names: Tuple[str, ...]
    owner: Optional[str]
    raw: Dict[str, Any] = field(repr=False)

    def zones_for(self, endpoint_type: str) -> Tuple[str, ...]:
        return self.zones_by_type.get(endpoint_type, ())


@record
class Stack(_Record):
    name: str
    id: Optional[str]
    status: Optional[str]
    outputs: Dict[str, str]
    output_exports: Dict[str, str]  # OutputKey -> ExportName
    parameters: Dict[str, Optional[str]]  # ParameterKey -> ParameterValue
    resolved_parameters: Dict[str, str]  # ParameterKey -> ResolvedValue (SSM-typed parameters)
    raw: Dict[str, Any] = field(repr=False)


@record
class Role(_Record):
    name: str
    arn: Optional[str]
    id: Optional[str]
    path: Optional[str]
    assume_role_policy: Optional[Any]
    inline_policies: Dict[str, Any]  # PolicyName -> document
    attached_policy_arns: Tuple[str, ...]
    raw: Dict[str, Any] = field(repr=False)


@record
class ManagedPolicy(_Record):
    arn: str
    name: Optional[str]
    default_version_id: Optional[str]
    document: Optional[Any]  # the default version's document; None when not captured
    raw: Dict[str, Any] = field(repr=False)
