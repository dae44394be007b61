"""The account snapshot (load/snapshot/: typed records, each keeping its AWS entry as `raw`) seen
as the plain AWS CLI data the account adapter reads: tables of raw entries keyed by ID, and the
few derived values (VPC DNS attributes, prefix-list CIDRs, service AZs, stack outputs).  The large
tables (subnets, route tables, security groups: thousands in a large account) are read through,
not copied, and their typed records are never built here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, Iterator, List, Optional, Tuple


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

    def items(self):  # (ID, entry) pairs, without a lookup per ID
        return ((rid, hit[0]) for rid, hit in self._entries.items())


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
        # a group's rules from describe-security-group-rules only when describe-security-groups did
        # not give its permissions (the reader keeps both sources; never count a rule twice)
        self.security_group_rules: Dict[str, List[Dict[str, Any]]] = {}
        for gid, raw in self.security_groups.items():
            if "IpPermissions" in raw or "IpPermissionsEgress" in raw:
                continue
            rec = s.security_groups[gid]
            rules = list(rec.ingress) + list(rec.egress)
            if rules:
                self.security_group_rules[gid] = [_rule_entry(gid, r) for r in rules]
        for gid, rules in (s.security_group_rules or {}).items():
            if gid not in s.security_groups:
                self.security_group_rules[gid] = [_rule_entry(gid, r) for r in rules]
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
