"""The account snapshot (load/snapshot/: typed records, each keeping its AWS entry as `raw`) seen
as the plain AWS CLI data the account adapter reads: tables of raw entries keyed by ID, and the
few derived values (VPC DNS attributes, prefix-list CIDRs, service AZs, stack outputs).  The large
tables (subnets, route tables, security groups: thousands in a large account) are read through,
not copied, and their typed records are never built here."""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any, Dict, Iterator, List, Optional, Tuple


_FIRST = itemgetter(0)


class _RawEntries(Mapping):
    """ID -> AWS entry of a table whose records are built on lookup (load/snapshot/ _Records),
    read in place: the records are not built, the table not copied."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Dict[str, Tuple[Any, Any, Any]]):
        self._entries = entries  # ID -> (entry, file, key)

    def __getitem__(self, rid: str) -> Any:
        return self._entries[rid][0]

    def get(self, rid: Any, default: Any = None) -> Any:
        hit = self._entries.get(rid)
        return default if hit is None else hit[0]

    def __contains__(self, rid: object) -> bool:
        return rid in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self):  # the dict's own view of the IDs: membership at C speed (an endpoint lists thousands of route tables)
        return self._entries.keys()

    def items(self):  # (ID, entry) pairs, without a lookup per ID (zip and map: no Python frame per entry)
        return zip(self._entries.keys(), map(_FIRST, self._entries.values()))

    def values(self):
        return map(_FIRST, self._entries.values())


def _raw_table(table: Any) -> Any:
    entries = getattr(table, "entries", None)
    if callable(entries) and not isinstance(table, dict):  # built on lookup: read its entries in place
        return _RawEntries(entries())
    return {rid: getattr(rec, "raw", rec) for rid, rec in (table or {}).items()}


def _rule_entry(gid: str, rule: Any) -> Dict[str, Any]:
    """One SgRule record in the shape of a describe-security-group-rules entry."""
    entry: Dict[str, Any] = {"GroupId": gid, "IsEgress": bool(rule.egress), "IpProtocol": rule.protocol}
    if rule.from_port is not None:
        entry["FromPort"] = rule.from_port
    if rule.to_port is not None:
        entry["ToPort"] = rule.to_port
    for key, value in (("CidrIpv4", rule.cidr_ipv4), ("CidrIpv6", rule.cidr_ipv6), ("PrefixListId", rule.prefix_list_id)):
        if value is not None:
            entry[key] = value
    if rule.group_id is not None:
        entry["ReferencedGroupInfo"] = {"GroupId": rule.group_id}
    return entry


class _GroupRules(Mapping):
    """GroupId -> its rules as describe-security-group-rules entries, where the reader must take a
    group's rules from them: a group whose describe-security-groups entry gave no permissions
    (its rules came from describe-security-group-rules), or a group known from its rules only.
    The reader keeps both sources and must never count a rule twice, so a group whose entry has
    its permissions is not here.  Worked out per group on lookup (memoised): a check reads the
    rules of a handful of the thousands of groups, so neither the group entries nor their records
    are touched for the others; iterating it (nothing in the adapter does) works out every group,
    in the order of the groups, then of the rules-only groups."""

    __slots__ = ("_snapshot", "_groups", "_memo")

    def __init__(self, snapshot: Any, groups: Any):
        self._snapshot = snapshot
        self._groups = groups  # GroupId -> AWS entry (describe-security-groups)
        self._memo: Dict[str, Optional[List[Dict[str, Any]]]] = {}

    def _work_out(self, gid: str) -> Optional[List[Dict[str, Any]]]:
        """The group's entry in this table, None when it has none (what the eager table held)."""
        s = self._snapshot
        raw = self._groups.get(gid)
        if raw is not None:
            if "IpPermissions" in raw or "IpPermissionsEgress" in raw:
                return None
            listed = (s.security_group_rules or {}).get(gid)
            if listed is not None:  # an entry without its permissions (a --query capture): its rules are these
                return [_rule_entry(gid, r) for r in listed]
            rec = s.security_groups[gid]
            rules = list(rec.ingress) + list(rec.egress)
            return [_rule_entry(gid, r) for r in rules] if rules else None
        if gid in s.security_groups:  # a record without an AWS entry: its permissions are not known to be missing
            return None
        rules = (s.security_group_rules or {}).get(gid)
        return None if rules is None else [_rule_entry(gid, r) for r in rules]

    def get(self, gid: Any, default: Any = None) -> Any:
        if not isinstance(gid, str):
            return default
        try:
            found = self._memo[gid]
        except KeyError:
            found = self._memo[gid] = self._work_out(gid)
        return default if found is None else found

    def __getitem__(self, gid: str) -> List[Dict[str, Any]]:
        found = self.get(gid)
        if found is None:
            raise KeyError(gid)
        return found

    def __contains__(self, gid: object) -> bool:
        return self.get(gid) is not None

    def __iter__(self) -> Iterator[str]:
        rules_only = (gid for gid in (self._snapshot.security_group_rules or {}) if gid not in self._snapshot.security_groups)
        return (gid for ids in (iter(self._groups), rules_only) for gid in ids if gid in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class SnapshotView:
    """What the account adapter reads, over one AccountSnapshot (built once per analysis)."""

    def __init__(self, snapshot: Any):
        s = snapshot
        self.snapshot = snapshot
        self.region = s.region
        self.account_id = s.account_id
        self.directory = s.directory or s.source
        self.subnets = _raw_table(s.subnets)
        self.route_tables = _raw_table(s.route_tables)
        self.vpc_endpoints = _raw_table(s.vpc_endpoints)
        self.security_groups = _raw_table(s.security_groups)
        self.network_acls = _raw_table(s.network_acls)
        self.nat_gateways = _raw_table(s.nat_gateways)
        self.internet_gateways = _raw_table(s.internet_gateways)
        self.dhcp_options = _raw_table(s.dhcp_options)
        self.vpcs: Dict[str, Dict[str, Any]] = {}
        for vid, rec in (s.vpcs or {}).items():
            entry = dict(rec.raw)
            if rec.enable_dns_support is not None:
                entry["EnableDnsSupport"] = rec.enable_dns_support
            if rec.enable_dns_hostnames is not None:
                entry["EnableDnsHostnames"] = rec.enable_dns_hostnames
            self.vpcs[vid] = entry
        self.security_group_rules = _GroupRules(s, self.security_groups)
        self.prefix_lists = {
            pid: {"PrefixListName": rec.name, "Cidrs": list(rec.cidrs) if rec.cidrs is not None else None}
            for pid, rec in (s.prefix_lists or {}).items()
        }
        self.service_details = {
            name: {"AvailabilityZones": list(rec.availability_zones), "ServiceType": [{"ServiceType": t} for t in rec.endpoint_types]}
            for name, rec in (s.service_details or {}).items()
        }
        self.exports = dict(s.exports or {})
        self.ssm_parameters = dict(s.ssm_parameters or {})
        self.log_groups = s.log_groups if isinstance(s.log_groups, set) else set(s.log_groups or ())  # kept: it may say what it misses
        self.stacks = {name: {"Outputs": dict(rec.outputs), "Parameters": dict(rec.parameters)} for name, rec in (s.stacks or {}).items()}
        self.roles = s.roles
        self.managed_policies = s.managed_policies

    @property
    def absent_prefix_lists(self) -> "_Absent":
        return _Absent(self.snapshot, "prefix_lists")

    def has(self, kind: str) -> bool:
        if kind == "vpc_attributes":
            return self.snapshot.has("vpc_dns_support") or self.snapshot.has("vpc_dns_hostnames")
        return self.snapshot.has(kind)

    def capture_command(self, kind: str, resource_id: Optional[str] = None) -> str:
        if kind == "vpc_attributes":
            kind = "vpc_dns_hostnames"
        return self.snapshot.command_for(kind, resource_id, self.region)

    def origin_of(self, resource_id: str) -> Optional[str]:
        found = self.snapshot.origin_of(resource_id)
        return found[0] if found else None


def view_of(snapshot: Any) -> Any:
    """The snapshot as the adapter reads it: an AccountSnapshot is wrapped; plain stand-ins (tests)
    that already hold raw tables pass through."""
    if hasattr(snapshot, "command_for") and hasattr(snapshot, "captured"):
        return SnapshotView(snapshot)
    return snapshot


class _Absent:
    """`id in absent`: the snapshot shows that resource is not in the account (load/snapshot/ known_absent)."""

    def __init__(self, snapshot: Any, kind: str):
        self.snapshot, self.kind = snapshot, kind

    def __contains__(self, resource_id: Any) -> bool:
        return isinstance(resource_id, str) and self.snapshot.known_absent(self.kind, resource_id)

    def __iter__(self):  # nothing to list: membership is asked per ID
        return iter(())
