"""A saved AWS account snapshot: a folder of AWS CLI JSON outputs, read into plain data.

:func:`read_snapshot` reads every ``*.json`` file under a folder (``aws ec2 describe-subnets
--output json > anything.json``) and recognises it by its top-level key, whatever its name;
:func:`build_snapshot` does the same for documents already in memory (the live boto3 path in
:mod:`.aws` feeds its responses through it, so live and saved snapshots cannot drift).  The result
is an :class:`AccountSnapshot`: dictionaries of small dataclasses keyed by resource ID, each
keeping the AWS entry it came from (``raw``) and the file and key it was read from
(:meth:`AccountSnapshot.origin_of`), with :meth:`AccountSnapshot.has` / ``missing`` /
``known_absent`` to tell "not in the account" from "not captured", and :data:`CAPTURE_COMMANDS`,
the AWS CLI command that captures each kind.

Plain data only: nothing here imports the engine, the network state or the checks.  The JSON
parsing is the standard library's; the shape checks are written by hand because they happen
while each record is built (a JSON Schema would walk the same fields a second time and still
leave the records to build).

Large accounts: subnets, route tables and security groups (thousands of entries, tens of thousands
of rules) are checked at read time by a quick pass over the parsed JSON (the same checks, no
objects built; any doubt and the file is read the careful way, which raises the exact error), and
their records are built on first lookup (:class:`_Records`): a check reads a handful of them.
"""

from __future__ import annotations

import gc
import json
import os
import re
import stat
from collections.abc import MutableMapping
from itertools import chain, repeat
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple
from urllib.parse import unquote

from ..phrasing import safe
from .files import FileRefused, excerpt, kind as kind_of, read_bounded

MAX_FILE_BYTES = 64 * 1024 * 1024  # one JSON file (a describe-security-groups of a large account is ~20 MB)
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all JSON files of one snapshot
MAX_FILES = 20_000
META_FILE = "meta.json"

Warn = Callable[[str], None]

# --------------------------------------------------------------------------- kinds and commands

#: Every kind of fact a snapshot may hold (the AccountSnapshot attribute of the same name, except
#: the two VPC attributes, which are merged into ``vpcs``).
KINDS: Tuple[str, ...] = (
    "subnets", "route_tables", "vpc_endpoints", "security_groups", "security_group_rules",
    "network_acls", "nat_gateways", "internet_gateways", "vpcs", "vpc_dns_support",
    "vpc_dns_hostnames", "dhcp_options", "prefix_lists", "service_details", "exports", "stacks",
    "ssm_parameters", "log_groups", "roles", "managed_policies",
)

#: Kinds a ``--vpc-id`` capture filters by VPC: an ID absent from such a snapshot may be in another VPC.
VPC_SCOPED: FrozenSet[str] = frozenset([
    "subnets", "route_tables", "vpc_endpoints", "security_groups", "security_group_rules",
    "network_acls", "nat_gateways", "internet_gateways", "vpcs", "vpc_dns_support",
    "vpc_dns_hostnames", "dhcp_options",
])

#: The AWS CLI command that captures each kind (what IN9001 tells the user to run).  ``{id}`` is
#: replaced by the resource ID when one is known (see :meth:`AccountSnapshot.command_for`).
CAPTURE_COMMANDS: Dict[str, str] = {
    "subnets": "aws ec2 describe-subnets --output json > subnets.json",
    "route_tables": "aws ec2 describe-route-tables --output json > route-tables.json",
    "vpc_endpoints": "aws ec2 describe-vpc-endpoints --output json > vpc-endpoints.json",
    "security_groups": "aws ec2 describe-security-groups --output json > security-groups.json",
    "security_group_rules": "aws ec2 describe-security-group-rules --output json > security-group-rules.json",
    "network_acls": "aws ec2 describe-network-acls --output json > network-acls.json",
    "nat_gateways": "aws ec2 describe-nat-gateways --output json > nat-gateways.json",
    "internet_gateways": "aws ec2 describe-internet-gateways --output json > internet-gateways.json",
    "vpcs": "aws ec2 describe-vpcs --output json > vpcs.json",
    "vpc_dns_support": "aws ec2 describe-vpc-attribute --vpc-id {id} --attribute enableDnsSupport --output json > vpc-attribute-{id}-enableDnsSupport.json",
    "vpc_dns_hostnames": "aws ec2 describe-vpc-attribute --vpc-id {id} --attribute enableDnsHostnames --output json > vpc-attribute-{id}-enableDnsHostnames.json",
    "dhcp_options": "aws ec2 describe-dhcp-options --output json > dhcp-options.json",
    "prefix_lists": "aws ec2 describe-prefix-lists --output json > prefix-lists.json",
    "managed_prefix_lists": "aws ec2 describe-managed-prefix-lists --output json > managed-prefix-lists.json",
    "prefix_list_entries": "aws ec2 get-managed-prefix-list-entries --prefix-list-id {id} --output json > prefix-list-entries-{id}.json",
    "service_details": "aws ec2 describe-vpc-endpoint-services --output json > vpc-endpoint-services.json",
    "exports": "aws cloudformation list-exports --output json > exports.json",
    "stacks": "aws cloudformation describe-stacks --output json > stacks.json",
    "ssm_parameters": "aws ssm get-parameters --names {id} --output json > ssm-parameters.json",
    "log_groups": "aws logs describe-log-groups --output json > log-groups.json",
    "roles": "aws iam get-account-authorization-details --filter Role LocalManagedPolicy --output json > iam-authorization-details.json",
    "managed_policies": "aws iam get-account-authorization-details --filter Role LocalManagedPolicy --output json > iam-authorization-details.json",
}
_ID_PLACEHOLDER = {"vpc_dns_support": "VPC_ID", "vpc_dns_hostnames": "VPC_ID", "prefix_list_entries": "PREFIX_LIST_ID",
                   "ssm_parameters": "NAME"}

# Top-level keys that are part of a recognised output but carry nothing to read.
_QUIET_KEYS = frozenset(["NextToken", "nextToken", "Marker", "IsTruncated", "ResponseMetadata", "ServiceNames",
                         "InvalidParameters", "UserDetailList", "GroupDetailList"])

# --------------------------------------------------------------------------- evidence patterns

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
REGION_RE = re.compile(rf"^{_REGION}$")
# eu-west-1a; Local Zones us-west-2-lax-1a; Wavelength us-east-1-wl1-bos-wlz-1
_AZ_RE = re.compile(rf"^({_REGION})(?:[a-z]|-[a-z0-9-]+)$")
_ARN_RE = re.compile(r"^arn:(aws[a-z-]*):([^:]*):([^:]*):([^:]*):")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_PL_IN_NAME = re.compile(r"pl-[0-9a-f]{8,17}")


def region_of_zone(zone: str) -> Optional[str]:
    """'eu-west-1a' -> 'eu-west-1' (also Local and Wavelength Zone names); None otherwise."""
    m = _AZ_RE.match(zone) if isinstance(zone, str) else None
    return m.group(1) if m else None


def parse_arn(arn: str) -> Optional[Tuple[str, str, str, str]]:
    """(partition, service, region, account) of an ARN, None when it is not one."""
    m = _ARN_RE.match(arn) if isinstance(arn, str) else None
    return (m.group(1), m.group(2), m.group(3), m.group(4)) if m else None


def region_of_service(name: str) -> Optional[str]:
    """The region inside an endpoint service or prefix list name: 'com.amazonaws.eu-west-1.s3',
    'com.amazonaws.vpce.eu-west-1.vpce-svc-0123', 'aws.sagemaker.eu-west-1.notebook'."""
    if not isinstance(name, str):
        return None
    for part in name.split("."):
        if REGION_RE.match(part):
            return part
    return None


# --------------------------------------------------------------------------- errors


class SnapshotError(Exception):
    """A snapshot that cannot be used.  str() is one line: ``FILE: KEY: problem`` (file and key when known)."""

    def __init__(self, problem: str, file: Optional[str] = None, key: Optional[str] = None):
        self.problem = problem
        self.file = file
        self.key = key
        parts = [safe(file, 300)] if file else []
        if key:
            parts.append(safe(key, 200))
        parts.append(problem)
        super().__init__(safe(": ".join(parts), 1000))


# --------------------------------------------------------------------------- records


@dataclass
class Subnet:
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


@dataclass
class Route:
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


@dataclass
class RouteTable:
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


@dataclass
class VpcEndpoint:
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


@dataclass
class SgRule:
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


@dataclass
class SecurityGroup:
    id: str
    name: Optional[str]
    vpc_id: Optional[str]
    description: Optional[str]
    ingress: Tuple[SgRule, ...]
    egress: Tuple[SgRule, ...]
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)


@dataclass
class NaclEntry:
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


@dataclass
class NetworkAcl:
    id: str
    vpc_id: Optional[str]
    is_default: bool
    subnet_ids: Tuple[str, ...]
    entries: Tuple[NaclEntry, ...]  # sorted by (egress, rule_number)
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)


@dataclass
class NatGateway:
    id: str
    subnet_id: Optional[str]
    vpc_id: Optional[str]
    state: Optional[str]
    connectivity_type: Optional[str]  # 'public' or 'private' (absent means public)
    public_ips: Tuple[str, ...]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)


@dataclass
class InternetGateway:
    id: str
    attachments: Tuple[Tuple[str, Optional[str]], ...]  # (vpc_id, state); 'available' means attached
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)

    @property
    def vpc_ids(self) -> Tuple[str, ...]:
        return tuple(v for v, s in self.attachments if s in (None, "available", "attached"))


@dataclass
class Vpc:
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


@dataclass
class DhcpOptions:
    id: str
    configurations: Dict[str, Tuple[str, ...]]  # 'domain-name-servers' -> ('AmazonProvidedDNS',)
    owner_id: Optional[str]
    tags: Dict[str, str]
    raw: Dict[str, Any] = field(repr=False)

    @property
    def domain_name_servers(self) -> Optional[Tuple[str, ...]]:
        return self.configurations.get("domain-name-servers")


@dataclass
class PrefixList:
    """A prefix list, merged from describe-prefix-lists (AWS-managed lists, with their CIDRs),
    describe-managed-prefix-lists (no CIDRs) and get-managed-prefix-list-entries (CIDRs)."""

    id: str
    name: Optional[str]
    cidrs: Optional[Tuple[str, ...]]  # None: the entries were not captured
    arn: Optional[str]
    owner_id: Optional[str]
    address_family: Optional[str]
    raw: Dict[str, Any] = field(repr=False)


@dataclass
class ServiceDetail:
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


@dataclass
class Stack:
    name: str
    id: Optional[str]
    status: Optional[str]
    outputs: Dict[str, str]
    output_exports: Dict[str, str]  # OutputKey -> ExportName
    parameters: Dict[str, Optional[str]]  # ParameterKey -> ParameterValue
    resolved_parameters: Dict[str, str]  # ParameterKey -> ResolvedValue (SSM-typed parameters)
    raw: Dict[str, Any] = field(repr=False)


@dataclass
class Role:
    name: str
    arn: Optional[str]
    id: Optional[str]
    path: Optional[str]
    assume_role_policy: Optional[Any]
    inline_policies: Dict[str, Any]  # PolicyName -> document
    attached_policy_arns: Tuple[str, ...]
    raw: Dict[str, Any] = field(repr=False)


@dataclass
class ManagedPolicy:
    arn: str
    name: Optional[str]
    default_version_id: Optional[str]
    document: Optional[Any]  # the default version's document; None when not captured
    raw: Dict[str, Any] = field(repr=False)


# --------------------------------------------------------------------------- the snapshot


class _Records(MutableMapping):
    """ID -> record, each record built from its AWS entry on first lookup (the entries were
    checked when read, so building one cannot fail).  A dictionary otherwise; :meth:`entry` gives
    the AWS entry without building the record."""

    __slots__ = ("_entries", "_records", "_build")

    def __init__(self, build: Callable[["_Entry"], Any]):
        self._entries: Dict[str, Tuple[Any, Optional[str], Optional[str]]] = {}  # ID -> (entry, file, key)
        self._records: Dict[str, Any] = {}
        self._build = build

    def add(self, ident: str, data: Dict[str, Any], file: str, where: str) -> None:
        self._entries[ident] = (data, file, where)

    def add_all(self, idents: List[str], data: List[Dict[str, Any]], file: str, wheres: List[str]) -> None:
        self._entries.update(zip(idents, zip(data, repeat(file), wheres)))

    def entry(self, ident: str) -> Any:
        """The AWS entry (the record's ``raw``) of `ident`; KeyError when absent."""
        return self._entries[ident][0]

    def entries(self) -> Dict[str, Tuple[Any, Optional[str], Optional[str]]]:
        return self._entries

    def __getitem__(self, ident: str) -> Any:
        rec = self._records.get(ident)
        if rec is None:
            data, file, where = self._entries[ident]
            rec = self._records[ident] = self._build(_Entry(data, file or "", where or ""))
        return rec

    def __setitem__(self, ident: str, record: Any) -> None:
        self._records[ident] = record
        self._entries[ident] = (getattr(record, "raw", None), None, None)

    def __delitem__(self, ident: str) -> None:
        del self._entries[ident]
        self._records.pop(ident, None)

    def __contains__(self, ident: object) -> bool:
        return ident in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return repr(dict(self.items()))



@dataclass
class AccountSnapshot:
    """What a snapshot (or a live fetch) says about one account and region.  Plain data."""

    source: str  # the folder as given, or 'live (eu-west-1)'
    directory: Optional[str] = None
    region: Optional[str] = None
    region_origin: Optional[Tuple[str, str]] = None  # (file, key) the region was read from
    account_id: Optional[str] = None
    account_origin: Optional[Tuple[str, str]] = None
    time: Optional[str] = None
    meta: Dict[str, Any] = field(default_factory=dict)
    vpc_filter: Tuple[str, ...] = ()  # the --vpc-id filter of the capture (empty: the whole region)
    subnets: Dict[str, Subnet] = field(default_factory=lambda: _Records(_build_subnet))
    route_tables: Dict[str, RouteTable] = field(default_factory=lambda: _Records(_build_route_table))
    vpc_endpoints: Dict[str, VpcEndpoint] = field(default_factory=dict)
    security_groups: Dict[str, SecurityGroup] = field(default_factory=lambda: _Records(_build_security_group))
    security_group_rules: Dict[str, Tuple[SgRule, ...]] = field(default_factory=dict)  # GroupId -> rules
    network_acls: Dict[str, NetworkAcl] = field(default_factory=dict)
    nat_gateways: Dict[str, NatGateway] = field(default_factory=dict)
    internet_gateways: Dict[str, InternetGateway] = field(default_factory=dict)
    vpcs: Dict[str, Vpc] = field(default_factory=dict)
    vpc_attributes: Dict[str, Dict[str, bool]] = field(default_factory=dict)  # VpcId -> {'vpc_dns_support': bool, ...}, also for VPCs not in vpcs
    dhcp_options: Dict[str, DhcpOptions] = field(default_factory=dict)
    prefix_lists: Dict[str, PrefixList] = field(default_factory=dict)
    service_details: Dict[str, ServiceDetail] = field(default_factory=dict)
    exports: Dict[str, str] = field(default_factory=dict)
    stacks: Dict[str, Stack] = field(default_factory=dict)
    ssm_parameters: Dict[str, Optional[str]] = field(default_factory=dict)  # None: exists, value not captured (or SecureString)
    ssm_parameter_types: Dict[str, str] = field(default_factory=dict)
    log_groups: Set[str] = field(default_factory=set)
    roles: Dict[str, Role] = field(default_factory=dict)  # by RoleName and by Arn (same object)
    managed_policies: Dict[str, ManagedPolicy] = field(default_factory=dict)  # by Arn
    files: Tuple[str, ...] = ()  # the files (or live calls) something was read from
    skipped: Tuple[Tuple[str, str], ...] = ()  # (file, reason) of files of another shape
    warnings: Tuple[str, ...] = ()
    captured: FrozenSet[str] = frozenset()  # kinds some file or call held (even an empty list)
    complete: FrozenSet[str] = frozenset()  # kinds captured for the whole region
    requested: Dict[str, FrozenSet[str]] = field(default_factory=dict)  # live: kind -> IDs asked for
    origins: Dict[Tuple[str, str], Tuple[str, str]] = field(default_factory=dict, repr=False)
    # the indexes below are built on first use (:meth:`_index`), from the tables as they are then
    _rt_by_subnet: Dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _main_rt: Dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _nacl_by_subnet: Dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _by_vpc: Dict[Tuple[str, str], List[str]] = field(default_factory=dict, repr=False, compare=False)  # (kind, VpcId) -> IDs
    _indexed: bool = field(default=False, repr=False, compare=False)

    def _index(self) -> None:
        if self._indexed:
            return
        self._indexed = True
        for rt in self.route_tables.values():
            for sid in rt.subnet_ids:
                self._rt_by_subnet.setdefault(sid, rt.id)
            if rt.main and rt.vpc_id:
                self._main_rt.setdefault(rt.vpc_id, rt.id)
        for acl in self.network_acls.values():
            for sid in acl.subnet_ids:
                self._nacl_by_subnet.setdefault(sid, acl.id)
        for kind in ("subnets", "vpc_endpoints", "route_tables", "security_groups"):
            for ident, rec in getattr(self, kind).items():
                if rec.vpc_id:
                    self._by_vpc.setdefault((kind, rec.vpc_id), []).append(ident)

    # -- captured or not

    def has(self, kind: str) -> bool:
        """Was this kind captured at all (a file or call of it was read, even an empty one)?"""
        _check_kind(kind)
        return kind in self.captured

    def missing(self, kind: str) -> bool:
        """Not captured: an ID of this kind absent from the snapshot is unknown, not absent."""
        return not self.has(kind)

    def known_absent(self, kind: str, resource_id: str) -> bool:
        """True when the snapshot shows `resource_id` is not in the account: the kind was captured
        for the whole region (no VPC filter), or the live fetch asked for exactly this ID and AWS
        did not return it.  False when it is present or when its absence proves nothing."""
        _check_kind(kind)
        if self.lookup(kind, resource_id) is not None:
            return False
        if kind not in self.captured:
            return False
        if kind == "managed_policies":  # AWS managed policies are not captured (known by name)
            arn = parse_arn(resource_id)
            if arn is None or not _ACCOUNT_RE.match(arn[3]):
                return False
        return kind in self.complete or resource_id in self.requested.get(kind, frozenset())

    def lookup(self, kind: str, resource_id: str) -> Any:
        """The record of `resource_id` of `kind`, or None."""
        if kind in ("vpc_dns_support", "vpc_dns_hostnames"):
            return self.vpc_attributes.get(resource_id, {}).get(kind)
        table = getattr(self, kind)
        if isinstance(table, set):
            return resource_id if resource_id in table else None
        return table.get(resource_id)

    def command_for(self, kind: str, resource_id: Optional[str] = None, region: Optional[str] = None) -> str:
        """The AWS CLI command that captures `kind` (with the region, when known, and the ID
        where the command takes one)."""
        _check_kind(kind)
        if kind == "prefix_lists" and resource_id:
            # a list known without its CIDRs: its entries; a list not known: all managed lists
            kind = "prefix_list_entries" if resource_id in self.prefix_lists else "managed_prefix_lists"
        return capture_command(kind, resource_id, region or self.region)

    # -- where a fact came from

    def origin_of(self, resource_id: str, kind: Optional[str] = None) -> Optional[Tuple[str, str]]:
        """(file, key) a resource was read from, e.g. ('snap/subnets.json', 'Subnets[3]'); the
        kind is needed only for names that are not AWS IDs (exports, stacks, parameters...)."""
        if kind is not None:
            return self.origins.get((kind, resource_id))
        for k in KINDS:
            hit = self.origins.get((k, resource_id))
            if hit is not None:
                return hit
        return None

    # -- lookups the adapter needs

    def route_table_of(self, subnet_id: str) -> Optional[Tuple[RouteTable, bool]]:
        """(route table, explicit) of a subnet: its explicit association, else the main table of
        its VPC (explicit False); None when neither is in the snapshot."""
        self._index()
        rt = self._rt_by_subnet.get(subnet_id)
        if rt is not None:
            return self.route_tables[rt], True
        subnet = self.subnets.get(subnet_id)
        if subnet is None or subnet.vpc_id is None:
            return None
        main = self._main_rt.get(subnet.vpc_id)
        return (self.route_tables[main], False) if main is not None else None

    def main_route_table(self, vpc_id: str) -> Optional[RouteTable]:
        self._index()
        rt = self._main_rt.get(vpc_id)
        return self.route_tables[rt] if rt is not None else None

    def nacl_of(self, subnet_id: str) -> Optional[NetworkAcl]:
        """The network ACL associated with a subnet (every subnet has one), None when not captured."""
        self._index()
        acl = self._nacl_by_subnet.get(subnet_id)
        return self.network_acls[acl] if acl is not None else None

    def rules_of(self, group_id: str) -> Optional[Tuple[Tuple[SgRule, ...], Tuple[SgRule, ...]]]:
        """(ingress, egress) of a security group, from describe-security-groups, else from
        describe-security-group-rules; None when neither holds the group."""
        group = self.security_groups.get(group_id)
        if group is not None:
            return group.ingress, group.egress
        rules = self.security_group_rules.get(group_id)
        if rules is None:
            return None
        return tuple(r for r in rules if not r.egress), tuple(r for r in rules if r.egress)

    def endpoints_of_vpc(self, vpc_id: str) -> List[VpcEndpoint]:
        self._index()
        return [self.vpc_endpoints[i] for i in self._by_vpc.get(("vpc_endpoints", vpc_id), ())]

    def subnets_of_vpc(self, vpc_id: str) -> List[Subnet]:
        self._index()
        return [self.subnets[i] for i in self._by_vpc.get(("subnets", vpc_id), ())]

    def route_tables_of_vpc(self, vpc_id: str) -> List[RouteTable]:
        self._index()
        return [self.route_tables[i] for i in self._by_vpc.get(("route_tables", vpc_id), ())]

    def security_groups_of_vpc(self, vpc_id: str) -> List[SecurityGroup]:
        self._index()
        return [self.security_groups[i] for i in self._by_vpc.get(("security_groups", vpc_id), ())]


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown snapshot kind {kind!r}; one of {', '.join(KINDS)}")


def capture_command(kind: str, resource_id: Optional[str] = None, region: Optional[str] = None) -> str:
    """The AWS CLI command of :data:`CAPTURE_COMMANDS` for `kind`, with `resource_id` in it where
    the command takes one, and ``--region`` when a region is given."""
    template = CAPTURE_COMMANDS[kind]
    ident = resource_id if resource_id and "{id}" in template else _ID_PLACEHOLDER.get(kind, "ID")
    command = template.replace("{id}", ident)
    if region:
        command = command.replace(" --output json", f" --region {region} --output json", 1)
    return command


# --------------------------------------------------------------------------- field accessors


class _Entry:
    """One JSON mapping being read, with the file and key path used in error messages."""

    __slots__ = ("data", "file", "where")

    def __init__(self, data: Any, file: str, where: str):
        if not isinstance(data, dict):
            raise SnapshotError(f"expected a mapping, found {kind_of(data)}", file, where)
        self.data = data
        self.file = file
        self.where = where

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, problem: str) -> SnapshotError:
        return SnapshotError(problem, self.file, self.key(name))

    def string(self, name: str, required: bool = False) -> Optional[str]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(name, "missing")
            return None
        if not isinstance(value, str):
            raise self.fail(name, f"expected a string, found {kind_of(value)}")
        if required and not value:
            raise self.fail(name, "empty")
        return value

    def boolean(self, name: str) -> Optional[bool]:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, found {kind_of(value)}")
        return value

    def integer(self, name: str) -> Optional[int]:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"expected a whole number, found {kind_of(value)}")
        return value

    def array(self, name: str) -> List[Any]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(name, f"expected a list, found {kind_of(value)}")
        return value

    def entries(self, name: str) -> List["_Entry"]:
        base = self.key(name)
        return [_Entry(item, self.file, f"{base}[{i}]") for i, item in enumerate(self.array(name))]

    def sub(self, name: str) -> Optional["_Entry"]:
        value = self.data.get(name)
        if value is None:
            return None
        return _Entry(value, self.file, self.key(name))

    def strs(self, name: str) -> Tuple[str, ...]:
        out = []
        for i, item in enumerate(self.array(name)):
            if not isinstance(item, str):
                raise SnapshotError(f"expected a string, found {kind_of(item)}", self.file, f"{self.key(name)}[{i}]")
            out.append(item)
        return tuple(out)

    def tags(self) -> Dict[str, str]:
        out: Dict[str, str] = {}
        for tag in self.entries("Tags"):
            k = tag.string("Key")
            if k is not None:
                out[k] = tag.string("Value") or ""
        return out

    def document(self, name: str) -> Optional[Any]:
        """A policy document: a mapping, or the JSON string (URL-encoded or not) AWS returns."""
        value = self.data.get(name)
        if value is None or isinstance(value, dict):
            return value
        if isinstance(value, str):
            for text in (value, unquote(value)):
                try:
                    return json.loads(text)
                except (ValueError, RecursionError):
                    continue
            raise self.fail(name, "not a JSON policy document")
        raise self.fail(name, f"expected a policy document, found {kind_of(value)}")


_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}


def _protocol(value: Optional[str]) -> str:
    text = (value or "-1").lower()
    return _PROTOCOLS.get(text, text)


_TARGETS = (  # route key -> target kind, in the order that decides a route naming two
    ("NatGatewayId", "nat-gateway"),
    ("TransitGatewayId", "transit-gateway"),
    ("VpcPeeringConnectionId", "peering"),
    ("EgressOnlyInternetGatewayId", "egress-only-internet-gateway"),
    ("CarrierGatewayId", "carrier-gateway"),
    ("LocalGatewayId", "local-gateway"),
    ("CoreNetworkArn", "core-network"),
    ("GatewayId", None),
    ("InstanceId", "instance"),
    ("NetworkInterfaceId", "network-interface"),
)
_GATEWAY_PREFIX = (("igw-", "internet-gateway"), ("vgw-", "vpn-gateway"), ("vpce-", "vpc-endpoint"),
                   ("eigw-", "egress-only-internet-gateway"))


def _route(r: _Entry) -> Route:
    if r.data.get("DestinationCidrBlock") is not None:
        dest, dkind = r.string("DestinationCidrBlock"), "ipv4"
    elif r.data.get("DestinationIpv6CidrBlock") is not None:
        dest, dkind = r.string("DestinationIpv6CidrBlock"), "ipv6"
    elif r.data.get("DestinationPrefixListId") is not None:
        dest, dkind = r.string("DestinationPrefixListId"), "prefix-list"
    else:
        dest, dkind = None, "unknown"
    target, tkind = None, "unknown"
    for key, kind in _TARGETS:
        value = r.string(key)
        if not value:
            continue
        target = value
        if kind is None:  # GatewayId: local, igw-, vgw-, vpce-
            kind = "local" if value == "local" else next((k for p, k in _GATEWAY_PREFIX if value.startswith(p)), "unknown")
        tkind = kind
        break
    return Route(dest, dkind, target, tkind, r.string("State"), r.string("Origin"))


def _sg_rules_from_permissions(entry: _Entry, name: str, egress: bool) -> List[SgRule]:
    out: List[SgRule] = []
    for perm in entry.entries(name):
        base = dict(egress=egress, protocol=_protocol(perm.string("IpProtocol")), from_port=perm.integer("FromPort"), to_port=perm.integer("ToPort"))
        for rng in perm.entries("IpRanges"):
            out.append(SgRule(**base, cidr_ipv4=rng.string("CidrIp", required=True), description=rng.string("Description")))
        for rng in perm.entries("Ipv6Ranges"):
            out.append(SgRule(**base, cidr_ipv6=rng.string("CidrIpv6", required=True), description=rng.string("Description")))
        for pl in perm.entries("PrefixListIds"):
            out.append(SgRule(**base, prefix_list_id=pl.string("PrefixListId", required=True), description=pl.string("Description")))
        for pair in perm.entries("UserIdGroupPairs"):
            gid = pair.string("GroupId")
            if gid is None and pair.string("GroupName") is None:
                raise pair.fail("GroupId", "missing")
            out.append(SgRule(**base, group_id=gid or pair.string("GroupName"), group_owner_id=pair.string("UserId"),
                              group_vpc_id=pair.string("VpcId"), peering_id=pair.string("VpcPeeringConnectionId"),
                              description=pair.string("Description")))
    return out


def _sg_rule(entry: _Entry) -> SgRule:
    ref = entry.sub("ReferencedGroupInfo")
    return SgRule(
        egress=bool(entry.boolean("IsEgress")),
        protocol=_protocol(entry.string("IpProtocol")),
        from_port=entry.integer("FromPort"),
        to_port=entry.integer("ToPort"),
        cidr_ipv4=entry.string("CidrIpv4"),
        cidr_ipv6=entry.string("CidrIpv6"),
        prefix_list_id=entry.string("PrefixListId"),
        group_id=ref.string("GroupId") if ref else None,
        group_owner_id=ref.string("UserId") if ref else None,
        group_vpc_id=ref.string("VpcId") if ref else None,
        peering_id=ref.string("VpcPeeringConnectionId") if ref else None,
        description=entry.string("Description"),
        rule_id=entry.string("SecurityGroupRuleId"),
    )


def _associated(e: _Entry, state_key: str) -> bool:
    st = e.sub(state_key)
    state = st.string("State") if st else None
    return state in (None, "associated")


def _build_subnet(e: _Entry) -> Subnet:
    v6 = tuple(a.string("Ipv6CidrBlock") or "" for a in e.entries("Ipv6CidrBlockAssociationSet")
               if _associated(a, "Ipv6CidrBlockState") and a.string("Ipv6CidrBlock"))
    return Subnet(e.string("SubnetId", required=True) or "", e.string("VpcId"), e.string("AvailabilityZone"), e.string("AvailabilityZoneId"),
                  e.string("CidrBlock"), v6, e.boolean("MapPublicIpOnLaunch"), e.string("State"), e.string("OwnerId"),
                  e.string("SubnetArn"), e.tags(), e.data)


def _build_route_table(e: _Entry) -> RouteTable:
    rid = e.string("RouteTableId", required=True) or ""
    main, subnets, gateways = False, [], []
    for a in e.entries("Associations"):
        if not _associated(a, "AssociationState"):
            continue
        if a.boolean("Main"):
            main = True
        sid, gid = a.string("SubnetId"), a.string("GatewayId")
        if sid:
            subnets.append(sid)
        if gid:
            gateways.append(gid)
    routes = tuple(_route(r) for r in e.entries("Routes"))
    vgws = tuple(v.string("GatewayId") or "" for v in e.entries("PropagatingVgws"))
    owner = e.string("OwnerId")
    return RouteTable(rid, e.string("VpcId"), main, tuple(subnets), tuple(gateways), routes, vgws, owner, e.tags(), e.data)


def _build_security_group(e: _Entry) -> SecurityGroup:
    gid = e.string("GroupId", required=True) or ""
    return SecurityGroup(gid, e.string("GroupName"), e.string("VpcId"), e.string("Description"),
                         tuple(_sg_rules_from_permissions(e, "IpPermissions", False)),
                         tuple(_sg_rules_from_permissions(e, "IpPermissionsEgress", True)),
                         e.string("OwnerId"), e.tags(), e.data)


# -- the quick check: True only when reading the entries the careful way (_Entry) raises nothing.
# It may refuse more than the careful way does (then the file is read the careful way); it must
# never accept what the careful way refuses.  It works a column at a time (one key over all the
# entries, with map() and set(): loops in C), several times faster than an entry at a time on the
# tens of thousands of rules of a large account; written by hand, as no library checks JSON types
# at this speed (a JSON Schema validator walks each value in Python).

_NONE = type(None)
_REQUIRED = object()  # a string, not empty
_GROUP_PAIR = object()  # UserIdGroupPairs: GroupId or GroupName present


def _ok_column(items: List[Any], spec: Dict[str, Any]) -> bool:
    """Every item a mapping, and for each key of `spec`, its value in every item: null or exactly
    the type given; _REQUIRED: a non-empty string; ``(list, spec)``: null or a list of mappings
    checked by that spec; ``(dict, spec)``: null or a mapping checked by that spec."""
    if not items:
        return True
    if set(map(type, items)) != {dict}:
        return False
    get = dict.get
    present = set().union(*items)  # the keys of all the items (most of a spec's keys are absent from most outputs)
    for key, want in spec.items():
        if want is _GROUP_PAIR:
            if None in map(get, items, repeat("GroupId")) and any(
                    i.get("GroupId") is None and i.get("GroupName") is None for i in items):
                return False
            continue
        if key not in present:
            if want is _REQUIRED:
                return False
            continue
        if want.__class__ is type:
            types = set(map(type, map(get, items, repeat(key))))
            types.discard(_NONE)
            if types and types != {want}:
                return False
            continue
        column = list(map(get, items, repeat(key)))
        types = set(map(type, column))
        if want is _REQUIRED:
            if types != {str} or "" in column:
                return False
            continue
        types.discard(_NONE)
        if not types:
            continue
        container, sub = want
        if types != {container}:
            return False
        inner = list(chain.from_iterable(filter(None, column))) if container is list else [v for v in column if v is not None]
        if not _ok_column(inner, sub):
            return False
    return True


def _firsts(values: Iterable[Any]) -> Iterable[Tuple[Any, int]]:
    """(value, index of its first occurrence) of each distinct value that is not empty, in order."""
    seen: Dict[Any, int] = {}
    for i, v in enumerate(values):
        if v and v not in seen:
            seen[v] = i
    return seen.items()


_TAGS = (list, {"Key": str, "Value": str})
_STATE = (dict, {"State": str})
_SUBNET_SPEC = {
    "SubnetId": _REQUIRED, "AvailabilityZone": str, "OwnerId": str, "SubnetArn": str, "VpcId": str, "AvailabilityZoneId": str,
    "CidrBlock": str, "State": str, "MapPublicIpOnLaunch": bool, "Tags": _TAGS,
    "Ipv6CidrBlockAssociationSet": (list, {"Ipv6CidrBlock": str, "Ipv6CidrBlockState": _STATE}),
}
_ROUTE_TABLE_SPEC = {
    "RouteTableId": _REQUIRED, "VpcId": str, "OwnerId": str, "Tags": _TAGS,
    "Associations": (list, {"Main": bool, "SubnetId": str, "GatewayId": str, "AssociationState": _STATE}),
    "Routes": (list, {"DestinationCidrBlock": str, "DestinationIpv6CidrBlock": str, "DestinationPrefixListId": str, "State": str,
                      "Origin": str, **{k: str for k, _ in _TARGETS}}),
    "PropagatingVgws": (list, {"GatewayId": str}),
}
_PERMISSIONS = (list, {
    "IpProtocol": str, "FromPort": int, "ToPort": int,
    "IpRanges": (list, {"CidrIp": _REQUIRED, "Description": str}),
    "Ipv6Ranges": (list, {"CidrIpv6": _REQUIRED, "Description": str}),
    "PrefixListIds": (list, {"PrefixListId": _REQUIRED, "Description": str}),
    "UserIdGroupPairs": (list, {"GroupId": str, "GroupName": str, "UserId": str, "VpcId": str, "VpcPeeringConnectionId": str,
                                "Description": str, "": _GROUP_PAIR}),
})
_SECURITY_GROUP_SPEC = {
    "GroupId": _REQUIRED, "OwnerId": str, "SecurityGroupArn": str, "GroupName": str, "VpcId": str, "Description": str,
    "IpPermissions": _PERMISSIONS, "IpPermissionsEgress": _PERMISSIONS, "Tags": _TAGS,
}


# --------------------------------------------------------------------------- the builder


class _Builder:
    """Collects documents (file or call name, parsed JSON) into one AccountSnapshot."""

    def __init__(self, source: str, warn: Optional[Warn]):
        self.snap = AccountSnapshot(source=source)
        self.warn_cb = warn
        self.warnings: List[str] = []
        self.files: List[str] = []
        self.skipped: List[Tuple[str, str]] = []
        self.captured: Set[str] = set()
        self.regions: List[Tuple[str, str, str]] = []  # (region, file, key), first of each value
        self.accounts: List[Tuple[str, str, str]] = []  # strong: the account's own resources
        self.owners: List[Tuple[str, str, str]] = []  # weak: OwnerId (a shared VPC's owner may differ)
        self.dns: Dict[str, Dict[str, Tuple[bool, str, str]]] = {}  # vpc -> attribute -> (value, file, key)
        self.meta_region: Optional[Tuple[str, str, str]] = None
        self.rule_ids: Set[str] = set()
        self.all_prefix_lists = False  # a describe-managed-prefix-lists output was read (all lists, not only S3/DynamoDB)
        self.ssm_absent: Set[str] = set()  # InvalidParameters of get-parameters: asked for, not in the account
        self.tool_meta = False  # meta.json of `ecsnetpolicy snapshot` (SSM parameters listed whole)
        self.weak_seen: Set[str] = set()  # OwnerId values given to account(strong=False) by the quick readers
        self.zones: Dict[str, str] = {}  # AZ name -> its region ('' when none)

    # -- reporting

    def warn(self, message: str) -> None:
        message = safe(message, 1000)
        self.warnings.append(message)
        if self.warn_cb is not None:
            self.warn_cb(message)

    # -- evidence

    def region(self, value: Optional[str], file: str, key: str) -> None:
        if not value:
            return
        if self.regions:
            known, kfile, kkey = self.regions[0]
            if known != value:
                raise SnapshotError(f"region {value} contradicts region {known} of {safe(kfile, 300)} ({kkey}): "
                                    "a snapshot holds one region", file, key)
            return
        self.regions.append((value, file, key))

    def account(self, value: Optional[str], file: str, key: str, strong: bool) -> None:
        if not value or not _ACCOUNT_RE.match(value):
            return
        if strong:
            if self.accounts:
                known, kfile, kkey = self.accounts[0]
                if known != value:
                    raise SnapshotError(f"account {value} contradicts account {known} of {safe(kfile, 300)} ({kkey}): "
                                        "a snapshot holds one account", file, key)
                return
            self.accounts.append((value, file, key))
        elif not any(v == value for v, _, _ in self.owners):
            self.owners.append((value, file, key))

    def arn(self, value: Optional[str], file: str, key: str, strong: bool) -> None:
        parsed = parse_arn(value) if value else None
        if parsed is None:
            return
        self.region(parsed[2] or None, file, key)
        self.account(parsed[3], file, key, strong)

    def weak_owner(self, value: Any, file: str, where: str) -> None:
        """account(OwnerId, strong=False) of an entry already checked, each value once (a second
        call with the same value changes nothing)."""
        if value and value not in self.weak_seen:
            self.weak_seen.add(value)
            self.account(value, file, f"{where}.OwnerId", strong=False)

    def zone_region(self, zone: str, file: str, where: str) -> None:
        """region(region_of_zone(zone)) of an entry already checked (the same region again changes nothing)."""
        region = self.zones.get(zone)
        if region is None:
            region = self.zones[zone] = region_of_zone(zone) or ""
        if region and not (self.regions and self.regions[0][0] == region):
            self.region(region, file, f"{where}.AvailabilityZone")

    # the evidence of one entry already checked, as the careful way gathers it (same calls, same order)
    def subnet_evidence(self, d: Dict[str, Any], file: str, where: str) -> None:
        az = d.get("AvailabilityZone")
        if az:
            self.zone_region(az, file, where)
        self.weak_owner(d.get("OwnerId"), file, where)
        arn = d.get("SubnetArn")
        if arn is not None:
            self.arn(arn, file, f"{where}.SubnetArn", strong=False)

    def owner_evidence(self, d: Dict[str, Any], file: str, where: str) -> None:
        self.weak_owner(d.get("OwnerId"), file, where)

    def group_evidence(self, d: Dict[str, Any], file: str, where: str) -> None:
        self.weak_owner(d.get("OwnerId"), file, where)
        arn = d.get("SecurityGroupArn")
        if arn is not None:
            self.arn(arn, file, f"{where}.SecurityGroupArn", strong=False)

    # -- storing

    def quick(self, kind: str, table: "_Records", file: str, items: List[Dict[str, Any]], top: str, id_key: str,
              evidence: Callable[[Dict[str, Any], str, str], None], arn_key: Optional[str] = None, zones: bool = False) -> None:
        """Entries that passed the quick check: their evidence now, entry by entry; stored for
        their records to be built on lookup.  IDs seen before (pages read twice, or clashing):
        stored one by one, with put()'s warning where the content differs."""
        wheres = list(map(f"{top}[{{}}]".format, range(len(items))))
        get = dict.get
        ids = list(map(get, items, repeat(id_key)))
        fresh = len(set(ids)) == len(ids) and not any(map(table.__contains__, ids))
        if not fresh or (arn_key and any(map(get, items, repeat(arn_key)))):
            for d, where in zip(items, wheres):  # entry by entry, as the careful way
                evidence(d, file, where)
                if not fresh:
                    self.put_entry(kind, table, d[id_key], d, file, where)
        else:
            # no ARN: only zones (region) and owners, independent of each other (an owner never
            # raises); for each, the first entry with a value is the only one whose call counts
            if zones:
                for zone, i in _firsts(map(get, items, repeat("AvailabilityZone"))):
                    self.zone_region(zone, file, wheres[i])
            for owner, i in _firsts(map(get, items, repeat("OwnerId"))):
                self.weak_owner(owner, file, wheres[i])
        if fresh:
            table.add_all(ids, items, file, wheres)
            origins = self.snap.origins
            for ident, where in zip(ids, wheres):
                origins.setdefault((kind, ident), (file, where))
        self.captured.add(kind)

    def put_entry(self, kind: str, table: "_Records", ident: str, data: Dict[str, Any], file: str, key: str) -> None:
        """put() of an entry already checked, its record built on lookup."""
        if ident in table:
            if table.entry(ident) != data:
                first = self.snap.origins.get((kind, ident), ("?", "?"))
                self.warn(f"{file}: {key}: {ident} is also in {first[0]} ({first[1]}) with other content; "
                          f"the first is used")
            return
        table.add(ident, data, file, key)
        self.snap.origins.setdefault((kind, ident), (file, key))

    def put(self, kind: str, table: Dict[str, Any], ident: str, record: Any, file: str, key: str) -> None:
        old = table.get(ident)
        if old is not None:
            if getattr(old, "raw", old) != getattr(record, "raw", record):
                first = self.snap.origins.get((kind, ident), ("?", "?"))
                self.warn(f"{file}: {key}: {ident} is also in {first[0]} ({first[1]}) with other content; "
                          f"the first is used")
            return
        table[ident] = record
        self.snap.origins.setdefault((kind, ident), (file, key))

    # -- documents

    def add_meta(self, file: str, doc: Any) -> None:
        if not isinstance(doc, dict):
            raise SnapshotError(f"expected a mapping with region and account_id, found {kind_of(doc)}", file)
        meta = _Entry(doc, file, "")
        region = meta.string("region")
        if region is not None and not REGION_RE.match(region):
            raise meta.fail("region", f"not an AWS region: {excerpt(region)}")
        account = doc.get("account_id")
        if account is not None and not (isinstance(account, str) and _ACCOUNT_RE.match(account)):
            raise meta.fail("account_id", f"not a 12-digit account ID: {excerpt(account)}")
        meta.string("time")
        vpc_ids: Tuple[str, ...] = ()
        filters = meta.sub("filters")
        if filters is not None:
            vpc_ids = filters.strs("vpc_ids")
        if region:
            if self.meta_region and self.meta_region[0] != region:
                raise meta.fail("region", f"region {region} contradicts region {self.meta_region[0]} of {safe(self.meta_region[1], 300)}")
            self.meta_region = (region, file, "region")
            self.region(region, file, "region")
        if account:
            self.account(account, file, "account_id", strong=True)
        if doc.get("tool") == "ecsnetpolicy":
            self.tool_meta = True
        if not self.snap.meta:
            self.snap.meta = dict(doc)
            self.snap.time = doc.get("time")
        self.snap.vpc_filter = tuple(sorted(set(self.snap.vpc_filter) | set(vpc_ids)))
        self.files.append(file)

    def add(self, file: str, doc: Any) -> None:
        """Read one AWS CLI output; a document of another shape is skipped with one warning."""
        if not isinstance(doc, dict):
            self.skip(file, f"not an AWS CLI output this tool reads (the top level is {kind_of(doc)})")
            return
        used = False
        for key, handler in _HANDLERS.items():
            if key in doc:
                used = handler(self, file, doc) or used
        if "VpcId" in doc and ("EnableDnsSupport" in doc or "EnableDnsHostnames" in doc):
            used = self.vpc_attribute(file, doc) or used
        if used:
            self.files.append(file)
        elif file not in (f for f, _ in self.skipped):
            keys = [k for k in doc if k not in _QUIET_KEYS] or list(doc)
            shown = ", ".join(excerpt(k) for k in keys[:5]) + (", ..." if len(keys) > 5 else "")
            self.skip(file, f"not an AWS CLI output this tool reads (top-level keys: {shown or 'none'})")

    def skip(self, file: str, reason: str) -> None:
        self.skipped.append((file, reason))
        self.warn(f"{file}: skipped: {reason}")

    def top_list(self, file: str, doc: Dict[str, Any], key: str) -> List[_Entry]:
        value = doc[key]
        if not isinstance(value, list):
            raise SnapshotError(f"expected a list, found {kind_of(value)}", file, key)
        return [_Entry(item, file, f"{key}[{i}]") for i, item in enumerate(value)]

    def subnets(self, file: str, doc: Dict[str, Any]) -> bool:
        items = doc["Subnets"]
        if items.__class__ is list and _ok_column(items, _SUBNET_SPEC):  # the quick way: evidence now, records on lookup
            self.quick("subnets", self.snap.subnets, file, items, "Subnets", "SubnetId", self.subnet_evidence, "SubnetArn", True)
            return True
        for e in self.top_list(file, doc, "Subnets"):
            sid = e.string("SubnetId", required=True)
            az = e.string("AvailabilityZone")
            self.region(region_of_zone(az) if az else None, file, e.key("AvailabilityZone"))
            owner, arn = e.string("OwnerId"), e.string("SubnetArn")
            self.account(owner, file, e.key("OwnerId"), strong=False)
            self.arn(arn, file, e.key("SubnetArn"), strong=False)
            rec = _build_subnet(e)
            self.put("subnets", self.snap.subnets, sid, rec, file, e.where)
        self.captured.add("subnets")
        return True

    def route_tables(self, file: str, doc: Dict[str, Any]) -> bool:
        items = doc["RouteTables"]
        if items.__class__ is list and _ok_column(items, _ROUTE_TABLE_SPEC):  # the quick way
            self.quick("route_tables", self.snap.route_tables, file, items, "RouteTables", "RouteTableId", self.owner_evidence)
            return True
        for e in self.top_list(file, doc, "RouteTables"):
            rec = _build_route_table(e)  # (the owner is weak evidence, which never raises: read after)
            self.account(rec.owner_id, file, e.key("OwnerId"), strong=False)
            self.put("route_tables", self.snap.route_tables, rec.id, rec, file, e.where)
        self.captured.add("route_tables")
        return True

    def vpc_endpoints(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "VpcEndpoints"):
            eid = e.string("VpcEndpointId", required=True)
            groups = tuple(g.string("GroupId", required=True) or "" for g in e.entries("Groups"))
            dns = tuple(d.string("DnsName") or "" for d in e.entries("DnsEntries") if d.string("DnsName"))
            owner = e.string("OwnerId")
            self.account(owner, file, e.key("OwnerId"), strong=False)
            rec = VpcEndpoint(eid, e.string("VpcId"), e.string("ServiceName"), e.string("VpcEndpointType"), e.string("State"),
                              e.strs("SubnetIds"), e.strs("RouteTableIds"), groups, e.boolean("PrivateDnsEnabled"),
                              e.document("PolicyDocument"), dns, e.string("ServiceRegion"), owner, e.tags(), e.data)
            self.put("vpc_endpoints", self.snap.vpc_endpoints, eid, rec, file, e.where)
        self.captured.add("vpc_endpoints")
        return True

    def security_groups(self, file: str, doc: Dict[str, Any]) -> bool:
        items = doc["SecurityGroups"]
        if items.__class__ is list and _ok_column(items, _SECURITY_GROUP_SPEC):  # the quick way
            self.quick("security_groups", self.snap.security_groups, file, items, "SecurityGroups", "GroupId", self.group_evidence,
                       "SecurityGroupArn")
            return True
        for e in self.top_list(file, doc, "SecurityGroups"):
            gid = e.string("GroupId", required=True)
            owner = e.string("OwnerId")
            self.account(owner, file, e.key("OwnerId"), strong=False)
            self.arn(e.string("SecurityGroupArn"), file, e.key("SecurityGroupArn"), strong=False)
            rec = _build_security_group(e)
            self.put("security_groups", self.snap.security_groups, gid, rec, file, e.where)
        self.captured.add("security_groups")
        return True

    def security_group_rules(self, file: str, doc: Dict[str, Any]) -> bool:
        seen = self.rule_ids
        for e in self.top_list(file, doc, "SecurityGroupRules"):
            rid = e.string("SecurityGroupRuleId", required=True)
            gid = e.string("GroupId", required=True)
            self.account(e.string("GroupOwnerId"), file, e.key("GroupOwnerId"), strong=False)
            if rid in seen:
                continue
            seen.add(rid)
            rule = _sg_rule(e)
            self.snap.security_group_rules[gid] = self.snap.security_group_rules.get(gid, ()) + (rule,)
            self.snap.origins.setdefault(("security_group_rules", gid), (file, e.where))
            self.snap.origins.setdefault(("security_group_rules", rid), (file, e.where))
        self.captured.add("security_group_rules")
        return True

    def network_acls(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "NetworkAcls"):
            aid = e.string("NetworkAclId", required=True)
            subnets = tuple(a.string("SubnetId") or "" for a in e.entries("Associations") if a.string("SubnetId"))
            entries = []
            for n in e.entries("Entries"):
                number = n.integer("RuleNumber")
                if number is None:
                    raise n.fail("RuleNumber", "missing")
                action = (n.string("RuleAction") or "").lower()
                if action not in ("allow", "deny"):
                    raise n.fail("RuleAction", f"expected allow or deny, found {excerpt(action)}")
                ports, icmp = n.sub("PortRange"), n.sub("IcmpTypeCode")
                entries.append(NaclEntry(number, bool(n.boolean("Egress")), action, _protocol(n.string("Protocol")),
                                         n.string("CidrBlock"), n.string("Ipv6CidrBlock"),
                                         ports.integer("From") if ports else None, ports.integer("To") if ports else None,
                                         icmp.integer("Type") if icmp else None, icmp.integer("Code") if icmp else None))
            entries.sort(key=lambda x: (x.egress, x.rule_number))
            owner = e.string("OwnerId")
            self.account(owner, file, e.key("OwnerId"), strong=False)
            rec = NetworkAcl(aid, e.string("VpcId"), bool(e.boolean("IsDefault")), subnets, tuple(entries), owner, e.tags(), e.data)
            self.put("network_acls", self.snap.network_acls, aid, rec, file, e.where)
        self.captured.add("network_acls")
        return True

    def nat_gateways(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "NatGateways"):
            nid = e.string("NatGatewayId", required=True)
            ips = tuple(a.string("PublicIp") or "" for a in e.entries("NatGatewayAddresses") if a.string("PublicIp"))
            rec = NatGateway(nid, e.string("SubnetId"), e.string("VpcId"), e.string("State"), e.string("ConnectivityType"), ips, e.tags(), e.data)
            self.put("nat_gateways", self.snap.nat_gateways, nid, rec, file, e.where)
        self.captured.add("nat_gateways")
        return True

    def internet_gateways(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "InternetGateways"):
            gid = e.string("InternetGatewayId", required=True)
            atts = tuple((a.string("VpcId", required=True) or "", a.string("State")) for a in e.entries("Attachments"))
            owner = e.string("OwnerId")
            self.account(owner, file, e.key("OwnerId"), strong=False)
            rec = InternetGateway(gid, atts, owner, e.tags(), e.data)
            self.put("internet_gateways", self.snap.internet_gateways, gid, rec, file, e.where)
        self.captured.add("internet_gateways")
        return True

    def vpcs(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "Vpcs"):
            vid = e.string("VpcId", required=True)
            cidrs = [e.string("CidrBlock")] if e.string("CidrBlock") else []
            for a in e.entries("CidrBlockAssociationSet"):
                block = a.string("CidrBlock")
                if block and block not in cidrs and _associated(a, "CidrBlockState"):
                    cidrs.append(block)
            v6 = tuple(a.string("Ipv6CidrBlock") or "" for a in e.entries("Ipv6CidrBlockAssociationSet")
                       if _associated(a, "Ipv6CidrBlockState") and a.string("Ipv6CidrBlock"))
            owner = e.string("OwnerId")
            self.account(owner, file, e.key("OwnerId"), strong=False)
            rec = Vpc(vid, tuple(c for c in cidrs if c), v6, e.string("DhcpOptionsId"), e.boolean("IsDefault"), e.string("State"),
                      owner, e.tags(), e.data)
            self.put("vpcs", self.snap.vpcs, vid, rec, file, e.where)
        self.captured.add("vpcs")
        return True

    def vpc_attribute(self, file: str, doc: Dict[str, Any]) -> bool:
        e = _Entry(doc, file, "")
        vid = e.string("VpcId", required=True) or ""
        for key, kind in (("EnableDnsSupport", "vpc_dns_support"), ("EnableDnsHostnames", "vpc_dns_hostnames")):
            if key not in doc:
                continue
            sub = e.sub(key)
            value = sub.boolean("Value") if sub else None
            if value is None:
                raise SnapshotError("missing", file, f"{key}.Value")
            self.dns.setdefault(vid, {}).setdefault(kind, (value, file, key))
            self.snap.origins.setdefault((kind, vid), (file, key))
            self.captured.add(kind)
        return True

    def dhcp_options(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "DhcpOptions"):
            did = e.string("DhcpOptionsId", required=True)
            conf: Dict[str, Tuple[str, ...]] = {}
            for c in e.entries("DhcpConfigurations"):
                key = c.string("Key", required=True) or ""
                values = []
                for v in c.entries("Values"):
                    value = v.data.get("Value")
                    values.append(value if isinstance(value, str) else json.dumps(value))
                conf[key] = tuple(values)
            owner = e.string("OwnerId")
            self.account(owner, file, e.key("OwnerId"), strong=False)
            self.put("dhcp_options", self.snap.dhcp_options, did, DhcpOptions(did, conf, owner, e.tags(), e.data), file, e.where)
        self.captured.add("dhcp_options")
        return True

    def prefix_lists(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "PrefixLists"):
            pid = e.string("PrefixListId", required=True) or ""
            name, arn = e.string("PrefixListName"), e.string("PrefixListArn")
            self.region(region_of_service(name) if name else None, file, e.key("PrefixListName"))
            self.arn(arn, file, e.key("PrefixListArn"), strong=False)
            cidrs = e.strs("Cidrs") if "Cidrs" in e.data else None
            if any(k in e.data for k in ("PrefixListArn", "OwnerId", "AddressFamily", "MaxEntries")):
                self.all_prefix_lists = True
            self.merge_prefix_list(pid, name, cidrs, arn, e.string("OwnerId"), e.string("AddressFamily"), e.data, file, e.where)
        self.captured.add("prefix_lists")
        return True

    def merge_prefix_list(self, pid: str, name: Optional[str], cidrs: Optional[Tuple[str, ...]], arn: Optional[str],
                          owner: Optional[str], family: Optional[str], raw: Dict[str, Any], file: str, key: str) -> None:
        old = self.snap.prefix_lists.get(pid)
        if old is None:
            self.snap.prefix_lists[pid] = PrefixList(pid, name, cidrs, arn, owner, family, dict(raw))
            self.snap.origins[("prefix_lists", pid)] = (file, key)
            return
        old.name = old.name or name
        old.arn = old.arn or arn
        old.owner_id = old.owner_id or owner
        old.address_family = old.address_family or family
        if cidrs is not None:
            old.cidrs = tuple(dict.fromkeys((old.cidrs or ()) + cidrs))
            self.snap.origins[("prefix_lists", pid)] = (file, key)  # where the CIDRs came from
        for k, v in raw.items():
            old.raw.setdefault(k, v)

    def prefix_list_entries(self, file: str, doc: Dict[str, Any]) -> bool:
        found = sorted(set(_PL_IN_NAME.findall(os.path.basename(file))))
        entries = doc["Entries"]
        if not isinstance(entries, list) or not all(isinstance(x, dict) and "Cidr" in x for x in entries):
            return False  # another command's Entries: the caller warns when nothing else is used
        if len(found) != 1:
            self.skip(file, "get-managed-prefix-list-entries output whose file name does not name one prefix list "
                            "(name the file after it, e.g. prefix-list-entries-pl-0123456789abcdef0.json)")
            return False
        pid = found[0]
        cidrs = tuple(e.string("Cidr", required=True) or "" for e in self.top_list(file, doc, "Entries"))
        self.merge_prefix_list(pid, None, cidrs, None, None, None, {}, file, "Entries")
        self.captured.add("prefix_lists")
        return True

    def service_details(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "ServiceDetails"):
            name = e.string("ServiceName", required=True) or ""
            region = e.string("ServiceRegion") or region_of_service(name)
            self.region(region, file, e.key("ServiceRegion" if e.string("ServiceRegion") else "ServiceName"))
            types = tuple(t.string("ServiceType") or "" for t in e.entries("ServiceType") if t.string("ServiceType"))
            zones = e.strs("AvailabilityZones")
            dns = [e.string("PrivateDnsName")] if e.string("PrivateDnsName") else []
            dns += [d.string("PrivateDnsName") or "" for d in e.entries("PrivateDnsNames") if d.string("PrivateDnsName")]
            old = self.snap.service_details.get(name)
            if old is None:
                old = ServiceDetail(name, (), (), {}, (), e.string("Owner"), dict(e.data))
                self.snap.service_details[name] = old
                self.snap.origins[("service_details", name)] = (file, e.where)
            for t in types or ("",):
                merged = tuple(sorted(set(old.zones_by_type.get(t, ())) | set(zones)))
                if t:
                    old.zones_by_type[t] = merged
            old.endpoint_types = tuple(sorted(set(old.endpoint_types) | set(types)))
            old.availability_zones = tuple(sorted(set(old.availability_zones) | set(zones)))
            old.private_dns_names = tuple(dict.fromkeys(old.private_dns_names + tuple(dns)))
        self.captured.add("service_details")
        return True

    def exports(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "Exports"):
            name = e.string("Name", required=True) or ""
            value = e.string("Value")
            if value is None:
                raise e.fail("Value", "missing")
            self.arn(e.string("ExportingStackId"), file, e.key("ExportingStackId"), strong=True)
            self.put("exports", self.snap.exports, name, value, file, e.where)
        self.captured.add("exports")
        return True

    def stacks(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "Stacks"):
            name = e.string("StackName", required=True) or ""
            sid = e.string("StackId")
            self.arn(sid, file, e.key("StackId"), strong=True)
            outputs, exports = {}, {}
            for o in e.entries("Outputs"):
                key = o.string("OutputKey", required=True) or ""
                outputs[key] = o.string("OutputValue") or ""
                if o.string("ExportName"):
                    exports[key] = o.string("ExportName") or ""
            params: Dict[str, Optional[str]] = {}
            resolved: Dict[str, str] = {}
            for p in e.entries("Parameters"):
                key = p.string("ParameterKey", required=True) or ""
                params[key] = p.string("ParameterValue")
                if p.string("ResolvedValue") is not None:
                    resolved[key] = p.string("ResolvedValue") or ""
            rec = Stack(name, sid, e.string("StackStatus"), outputs, exports, params, resolved, e.data)
            self.put("stacks", self.snap.stacks, name, rec, file, e.where)
        self.captured.add("stacks")
        return True

    def parameters(self, file: str, doc: Dict[str, Any]) -> bool:
        items = doc["Parameters"]
        if not isinstance(items, list) or (items and not any(isinstance(x, dict) and "Name" in x for x in items)):
            return False  # a template's Parameters, get-template-summary's, rds describe-db-parameters': not SSM
        invalid = doc.get("InvalidParameters")
        if isinstance(invalid, list):
            self.ssm_absent.update(x for x in invalid if isinstance(x, str))
        for e in self.top_list(file, doc, "Parameters"):
            name = e.string("Name", required=True) or ""
            ptype = e.string("Type")
            value = e.string("Value")
            if ptype == "SecureString":
                value = None  # never kept, even encrypted
            self.arn(e.string("ARN"), file, e.key("ARN"), strong=True)
            old = self.snap.ssm_parameters.get(name)
            if name not in self.snap.ssm_parameters or (old is None and value is not None):
                self.snap.ssm_parameters[name] = value
                self.snap.origins[("ssm_parameters", name)] = (file, e.where)
            if ptype:
                self.snap.ssm_parameter_types[name] = ptype
        self.captured.add("ssm_parameters")
        return True

    def parameter(self, file: str, doc: Dict[str, Any]) -> bool:  # ssm get-parameter (one)
        return self.parameters(file, {"Parameters": [doc["Parameter"]]}) if isinstance(doc["Parameter"], dict) else False

    def log_groups(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "logGroups"):
            name = e.string("logGroupName", required=True) or ""
            self.arn(e.string("arn"), file, e.key("arn"), strong=True)
            self.snap.log_groups.add(name)
            self.snap.origins.setdefault(("log_groups", name), (file, e.where))
        self.captured.add("log_groups")
        return True

    def roles(self, file: str, doc: Dict[str, Any]) -> bool:
        for e in self.top_list(file, doc, "RoleDetailList"):
            name = e.string("RoleName", required=True) or ""
            arn = e.string("Arn")
            self.arn(arn, file, e.key("Arn"), strong=True)
            inline = {}
            for p in e.entries("RolePolicyList"):
                inline[p.string("PolicyName", required=True) or ""] = p.document("PolicyDocument")
            attached = tuple(a.string("PolicyArn", required=True) or "" for a in e.entries("AttachedManagedPolicies"))
            rec = Role(name, arn, e.string("RoleId"), e.string("Path"), e.document("AssumeRolePolicyDocument"), inline, attached, e.data)
            self.put("roles", self.snap.roles, name, rec, file, e.where)
            if arn:
                self.snap.roles.setdefault(arn, self.snap.roles[name])
                self.snap.origins.setdefault(("roles", arn), (file, e.where))
        self.captured.add("roles")
        return True

    def policies(self, file: str, doc: Dict[str, Any]) -> bool:
        items = doc["Policies"]
        detail = any(k in doc for k in ("RoleDetailList", "UserDetailList", "GroupDetailList"))
        if not detail and not (isinstance(items, list) and items and all(isinstance(x, dict) and "PolicyVersionList" in x for x in items)):
            return False  # iam list-policies (no documents) or something else
        for e in self.top_list(file, doc, "Policies"):
            arn = e.string("Arn", required=True) or ""
            self.arn(arn, file, e.key("Arn"), strong=True)
            default = e.string("DefaultVersionId")
            document = None
            for v in e.entries("PolicyVersionList"):
                if v.boolean("IsDefaultVersion") or (default and v.string("VersionId") == default):
                    document = v.document("Document")
                    break
            rec = ManagedPolicy(arn, e.string("PolicyName"), default, document, e.data)
            self.put("managed_policies", self.snap.managed_policies, arn, rec, file, e.where)
        self.captured.add("managed_policies")
        return True

    # -- the end

    def finish(self) -> AccountSnapshot:
        snap = self.snap
        for vid, attrs in self.dns.items():
            snap.vpc_attributes[vid] = {k: v[0] for k, v in attrs.items()}
            vpc = snap.vpcs.get(vid)
            if vpc is None:
                continue
            if "vpc_dns_support" in attrs:
                vpc.enable_dns_support = attrs["vpc_dns_support"][0]
            if "vpc_dns_hostnames" in attrs:
                vpc.enable_dns_hostnames = attrs["vpc_dns_hostnames"][0]
        if self.regions:
            snap.region, file, key = self.regions[0]
            snap.region_origin = (file, key)
        if self.accounts:
            snap.account_id, file, key = self.accounts[0]
            snap.account_origin = (file, key)
        elif len(self.owners) == 1:  # several owners: a shared VPC's; the account stays unknown
            snap.account_id, file, key = self.owners[0]
            snap.account_origin = (file, key)
        snap.files = tuple(dict.fromkeys(self.files))
        snap.skipped = tuple(self.skipped)
        snap.warnings = tuple(self.warnings)
        snap.captured = frozenset(self.captured)
        scoped = VPC_SCOPED if snap.vpc_filter else frozenset()
        # not "whole region": per-VPC attributes; prefix lists when only describe-prefix-lists (S3
        # and DynamoDB) was read; SSM parameters unless listed whole by `ecsnetpolicy snapshot`
        partial = set(scoped) | {"vpc_dns_support", "vpc_dns_hostnames"}
        if not self.all_prefix_lists:
            partial.add("prefix_lists")
        if not self.tool_meta:
            partial.add("ssm_parameters")
        snap.complete = frozenset(k for k in self.captured if k not in partial)
        if self.ssm_absent:
            snap.requested = {"ssm_parameters": frozenset(self.ssm_absent - set(snap.ssm_parameters))}
        return snap


_HANDLERS: Dict[str, Callable[[_Builder, str, Dict[str, Any]], bool]] = {
    "Subnets": _Builder.subnets,
    "RouteTables": _Builder.route_tables,
    "VpcEndpoints": _Builder.vpc_endpoints,
    "SecurityGroups": _Builder.security_groups,
    "SecurityGroupRules": _Builder.security_group_rules,
    "NetworkAcls": _Builder.network_acls,
    "NatGateways": _Builder.nat_gateways,
    "InternetGateways": _Builder.internet_gateways,
    "Vpcs": _Builder.vpcs,
    "DhcpOptions": _Builder.dhcp_options,
    "PrefixLists": _Builder.prefix_lists,
    "Entries": _Builder.prefix_list_entries,
    "ServiceDetails": _Builder.service_details,
    "Exports": _Builder.exports,
    "Stacks": _Builder.stacks,
    "Parameters": _Builder.parameters,
    "Parameter": _Builder.parameter,
    "logGroups": _Builder.log_groups,
    "RoleDetailList": _Builder.roles,
    "Policies": _Builder.policies,
}


# --------------------------------------------------------------------------- entry points


def build_snapshot(documents: Iterable[Tuple[str, Any]], *, source: str = "documents", meta: Optional[Mapping[str, Any]] = None,
                   warn: Optional[Warn] = None, complete: Optional[Iterable[str]] = None,
                   requested: Optional[Mapping[str, Iterable[str]]] = None) -> AccountSnapshot:
    """An AccountSnapshot from documents already parsed: ``(name, document)`` pairs, each an AWS
    CLI output (the name stands for the file in origins and messages; a prefix list's entries
    need its ``pl-`` ID in the name).  `meta` is a meta.json mapping.  `complete` overrides which
    captured kinds cover the whole region; `requested` lists the IDs a live fetch asked for."""
    builder = _Builder(source, warn)
    if meta is not None:
        builder.add_meta(f"{source}: meta", dict(meta))
    for name, doc in documents:
        builder.add(name, doc)
    snap = builder.finish()
    if complete is not None:
        snap.complete = frozenset(k for k in complete if k in snap.captured)
    if requested:
        merged = {k: frozenset(v) for k, v in requested.items()}
        for k, v in snap.requested.items():
            merged[k] = merged.get(k, frozenset()) | v
        snap.requested = merged
    return snap


def _decode(path: str, data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Windows PowerShell's `>` writes UTF-16
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise SnapshotError("not valid UTF-16 (it starts with a UTF-16 byte order mark)", path) from None
    if b"\0" in data:
        raise SnapshotError("binary data (a NUL byte), not JSON text", path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SnapshotError(f"not valid UTF-8 (line {line})", path) from None


def _parse(path: str, data: bytes) -> Any:
    text = _decode(path, data)
    if not text.strip():
        raise SnapshotError("the file is empty (did the command that wrote it fail?)", path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path) from None
    except RecursionError:
        raise SnapshotError("invalid JSON: nested too deeply", path) from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise SnapshotError(f"invalid JSON: {safe(exc, 200)}", path) from None


def _candidates(directory: str, max_files: int) -> List[Tuple[str, str, int]]:
    """(path, relative path, size) of the JSON files under `directory`, sorted: regular files
    only (a symbolic link to a regular file counts, once per real file); folders are walked
    without following links (no loop), dot-files and dot-folders skipped."""
    out: List[Tuple[str, str, int]] = []
    seen: Set[str] = set()
    def unreadable(exc: OSError) -> None:
        raise SnapshotError(f"cannot read folder: {exc.strerror or exc.__class__.__name__}", getattr(exc, "filename", None) or directory)

    for root, dirs, names in os.walk(directory, followlinks=False, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for n in sorted(names):
            if n.startswith(".") or not n.lower().endswith(".json"):
                continue
            path = os.path.join(root, n)
            try:
                st = os.stat(path)
            except OSError:  # dangling link, permission, loop of links
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            out.append((path, os.path.relpath(path, directory).replace(os.sep, "/"), st.st_size))
            if len(out) > max_files:
                raise SnapshotError(f"more than {max_files} JSON files; point to the snapshot folder itself", directory)
    out.sort(key=lambda c: (c[1].count("/"), c[1]))
    return out


def read_snapshot(directory: Any, *, warn: Optional[Warn] = None, max_file_bytes: int = MAX_FILE_BYTES,
                  max_total_bytes: int = MAX_TOTAL_BYTES, max_files: int = MAX_FILES) -> AccountSnapshot:
    """The snapshot saved in `directory` (every ``*.json`` under it, recognised by its top-level
    key).  A file of another shape is skipped with one line through `warn`; a broken one raises
    SnapshotError (one line naming the file and the key)."""
    directory = os.fspath(directory)
    if not os.path.exists(directory):
        raise SnapshotError("no such folder", directory)
    if not os.path.isdir(directory):
        raise SnapshotError("not a folder (give the folder that holds the JSON files)", directory)
    found = _candidates(directory, max_files)
    total = sum(size for _, _, size in found)
    if total > max_total_bytes:
        raise SnapshotError(f"the JSON files total {total // (1024 * 1024)} MB, over the {max_total_bytes // (1024 * 1024)} MB limit "
                            "for a snapshot", directory)
    builder = _Builder(directory, warn)
    builder.snap.directory = directory
    too_big = f"file is larger than the {max_file_bytes // (1024 * 1024)} MB limit for one snapshot file"
    metas, others = [], []
    for path, rel, _ in found:
        (metas if os.path.basename(rel) == META_FILE else others).append(path)
    paused = gc.isenabled()
    if paused:  # the cyclic collector would walk the parsed documents over and over while they are built: a third of the parse time
        gc.disable()
    try:
        _read_files(builder, metas, others, directory, max_file_bytes, max_total_bytes, too_big)
    finally:
        if paused:
            gc.enable()
    return builder.finish()


def _read_files(builder: "_Builder", metas: List[str], others: List[str], directory: str, max_file_bytes: int,
                max_total_bytes: int, too_big: str) -> None:
    read_total = 0
    for path in metas + others:
        try:
            data = read_bounded(path, max_file_bytes, too_big)
        except FileRefused as exc:
            try:
                regular = stat.S_ISREG(os.stat(path).st_mode)
            except OSError:
                regular = True  # vanished since it was listed: an error, a fact may be missing
            if regular:  # too big, permission denied, unreadable: facts would be missing silently
                raise SnapshotError(exc.reason, path) from None
            continue  # swapped for a FIFO or a folder since it was listed: ignored like one
        read_total += len(data)
        if read_total > max_total_bytes:  # files grew since they were listed
            raise SnapshotError(f"the JSON files total over the {max_total_bytes // (1024 * 1024)} MB limit for a snapshot", directory)
        doc = _parse(path, data)
        if path in metas:
            builder.add_meta(path, doc)
        else:
            builder.add(path, doc)


def check_matches(snapshot: AccountSnapshot, region: Optional[str], arns_in_template: Iterable[str] = ()) -> None:
    """SnapshotError (one line) when the snapshot is of another region than the one checked, or
    of another account than an ARN of the template names (ARNs of the account the template
    deploys into: roles, log groups...; AWS-owned ARNs such as managed policies are ignored)."""
    if region and snapshot.region and region != snapshot.region:
        where = f" (from {safe(snapshot.region_origin[0], 300)}, {snapshot.region_origin[1]})" if snapshot.region_origin else ""
        raise SnapshotError(f"the snapshot is of region {snapshot.region}{where}, but the check is for region {region}; "
                            "capture the snapshot in the region the template deploys to", snapshot.source)
    if not snapshot.account_id:
        return
    for arn in arns_in_template:
        parsed = parse_arn(arn)
        if parsed is None or not _ACCOUNT_RE.match(parsed[3]):
            continue
        if parsed[3] != snapshot.account_id:
            where = f" (from {safe(snapshot.account_origin[0], 300)})" if snapshot.account_origin else ""
            raise SnapshotError(f"the snapshot is of account {snapshot.account_id}{where}, but the template names "
                                f"{safe(arn, 200)} in account {parsed[3]}", snapshot.source)
