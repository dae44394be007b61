""":class:`AccountSnapshot`, its tables of records (:class:`_Records` builds a record on first
lookup) and the lookups the adapter needs; :func:`check_matches`: is the snapshot of the region
and account checked."""

from __future__ import annotations

from collections.abc import MutableMapping
from itertools import repeat
from dataclasses import field
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from ...phrasing import safe
from .fields import _build_route_table, _build_security_group, _build_subnet, _Entry, SPEC_OF_KIND
from .kinds import _ACCOUNT_RE, capture_command, _check_kind, KINDS, parse_arn, SnapshotError
from .records import (
    _Record, record, DhcpOptions, InternetGateway, ManagedPolicy, NatGateway, NetworkAcl, PrefixList, Role, RouteTable,
    SecurityGroup, ServiceDetail, SgRule, Stack, Subnet, Vpc, VpcEndpoint,
)


# --------------------------------------------------------------------------- the snapshot


class _Records(MutableMapping):
    """ID -> record, each record built from its AWS entry on first lookup (the entries were
    checked when read, so building one cannot fail).  A dictionary otherwise; :meth:`entry` gives
    the AWS entry without building the record, :meth:`origin` the file and key it was read from.
    Entries stored in bulk (:meth:`add_all`) keep their index in the top-level list (`top`) rather
    than a key text per entry: a large account has thousands, and a check reads a handful."""

    __slots__ = ("_entries", "_records", "_build", "_top")

    def __init__(self, build: Callable[["_Entry"], Any], top: str):
        self._entries: Dict[str, Tuple[Any, Optional[str], Any]] = {}  # ID -> (entry, file, key or index in `top`)
        self._records: Dict[str, Any] = {}
        self._build = build
        self._top = top

    def add(self, ident: str, data: Dict[str, Any], file: str, where: str) -> None:
        self._entries[ident] = (data, file, where)

    def add_all(self, idents: List[str], data: List[Dict[str, Any]], file: str) -> None:
        """Entries of one top-level list, in its order (their IDs new to the table)."""
        self._entries.update(zip(idents, zip(data, repeat(file), range(len(data)))))

    def _where(self, where: Any) -> str:
        return where if where.__class__ is str else f"{self._top}[{where}]"

    def entry(self, ident: str) -> Any:
        """The AWS entry (the record's ``raw``) of `ident`; KeyError when absent."""
        return self._entries[ident][0]

    def entries(self) -> Dict[str, Tuple[Any, Optional[str], Any]]:
        return self._entries

    def origin(self, ident: str) -> Optional[Tuple[str, str]]:
        """(file, key) the entry of `ident` was read from; None when absent or set as a record."""
        hit = self._entries.get(ident)
        if hit is None or hit[1] is None:
            return None
        return hit[1], self._where(hit[2])

    def __getitem__(self, ident: str) -> Any:
        rec = self._records.get(ident)
        if rec is None:
            data, file, where = self._entries[ident]
            rec = self._records[ident] = self._build(_Entry(data, file or "", self._where(where) if where is not None else ""))
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


# the kinds held in _Records (those read the quick way): their origins are kept in the tables (AccountSnapshot.origin)
_TABLED = frozenset(SPEC_OF_KIND)


@record
class AccountSnapshot(_Record):
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
    subnets: Dict[str, Subnet] = field(default_factory=lambda: _Records(_build_subnet, "Subnets"))
    route_tables: Dict[str, RouteTable] = field(default_factory=lambda: _Records(_build_route_table, "RouteTables"))
    vpc_endpoints: Dict[str, VpcEndpoint] = field(default_factory=dict)
    security_groups: Dict[str, SecurityGroup] = field(default_factory=lambda: _Records(_build_security_group, "SecurityGroups"))
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
            return self.origin(kind, resource_id)
        for k in KINDS:
            hit = self.origin(k, resource_id)
            if hit is not None:
                return hit
        return None

    def origin(self, kind: str, resource_id: str) -> Optional[Tuple[str, str]]:
        """(file, key) of `resource_id` of `kind`: the first place it was read from."""
        hit = self.origins.get((kind, resource_id))
        if hit is None and kind in _TABLED:  # stored in bulk: the table knows
            table = getattr(self, kind)
            if isinstance(table, _Records):
                hit = table.origin(resource_id)
        return hit

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
        rules = self.security_group_rules.get(group_id)
        if group is not None and (rules is None or "IpPermissions" in group.raw or "IpPermissionsEgress" in group.raw):
            return group.ingress, group.egress
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
