""":class:`_Builder`: recognises each document by its top-level key, merges pages and repeated
entries, and gathers the region and account evidence; :func:`build_snapshot` feeds it documents
already in memory."""

from __future__ import annotations

import json
import os
import re
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ...phrasing import safe
from ..files import excerpt, kind as kind_of
from .account import AccountSnapshot, _Records
from .fields import (
    _associated, _build_route_table, _build_security_group, _build_subnet, _Entry, _firsts, _ok_column,
    _protocol, _ROUTE_TABLE_SPEC, _SECURITY_GROUP_SPEC, _sg_rule, _SUBNET_SPEC, project, SPEC_OF_KIND,
)
from .fast import Checked
from .kinds import (
    _ACCOUNT_RE, parse_arn, _PL_IN_NAME, _QUIET_KEYS, region_of_service, region_of_zone, REGION_RE,
    SnapshotError, VPC_SCOPED,
)
from .records import (
    DhcpOptions, InternetGateway, ManagedPolicy, NaclEntry, NatGateway, NetworkAcl, PrefixList, Role,
    ServiceDetail, Stack, Vpc, VpcEndpoint,
)

Warn = Callable[[str], None]

def _differ(kind: str, first: Any, other: Any) -> bool:
    """Two entries of one ID differ in what the reader reads of them (subnets, route tables and
    security groups: the fields of their spec; a field no check reads is no conflict)."""
    spec = SPEC_OF_KIND.get(kind)
    if spec is None or first == other:
        return first != other
    return project(first, spec) != project(other, spec)


_PARTITION_RE = re.compile(r"aws[a-z-]*\Z")  # an ARN's partition, as parse_arn reads it


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

    def zone_of(self, zone: str) -> str:
        """region_of_zone(zone), or '' (memoised: a large account has a handful of zones)."""
        region = self.zones.get(zone)
        if region is None:
            region = self.zones[zone] = region_of_zone(zone) or ""
        return region

    def zone_region(self, zone: str, file: str, where: str) -> None:
        """region(region_of_zone(zone)) of an entry already checked (the same region again changes nothing)."""
        region = self.zone_of(zone)
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
        stored one by one, with put()'s warning where the content differs.  New IDs are stored in
        bulk, their origins kept by the table (AccountSnapshot.origin)."""
        get = dict.get
        ids = list(map(get, items, repeat(id_key)))
        fresh = len(set(ids)) == len(ids) and table.entries().keys().isdisjoint(ids)
        if not fresh or not self.column_evidence(items, file, top, arn_key, zones):
            for i, d in enumerate(items):  # entry by entry, as the careful way
                where = f"{top}[{i}]"
                evidence(d, file, where)
                if not fresh:
                    self.put_entry(kind, table, d[id_key], d, file, where)
        if fresh:
            table.add_all(ids, items, file)
        self.captured.add(kind)

    def column_evidence(self, items: List[Dict[str, Any]], file: str, top: str, arn_key: Optional[str], zones: bool) -> bool:
        """The evidence of entries already checked (zone, then owner, then ARN of each entry, as
        the careful way calls it), gathered a column at a time; False, having done nothing, when
        only the entry-by-entry way can tell (an ARN missing or odd, regions that disagree: the
        entry-by-entry way then raises the exact error).  Each evidence call counts only for the
        first entry with its value, and no call raises once the regions agree, so the first
        occurrence of each value, in the careful way's order, is all there is to call."""
        get = dict.get
        arn_regions: List[str] = []
        arn_accounts: List[str] = []
        if arn_key and any(map(get, items, repeat(arn_key))):
            arns = list(map(get, items, repeat(arn_key)))
            if None in arns or "" in arns:
                return False
            # parse_arn, a column at a time; the ARNs of one output usually share their partition,
            # service, region and account (their common prefix has five colons): the first speaks for all
            shared = os.path.commonprefix([min(arns), max(arns)]).split(":")
            columns = [shared] if len(shared) >= 6 else list(map(str.split, arns, repeat(":"), repeat(5)))
            if min(map(len, columns)) < 6 or any(head != "arn" or not _PARTITION_RE.match(partition)
                                                  for head, partition in set(map(itemgetter(0, 1), columns))):
                return False
            arn_regions, arn_accounts = list(map(itemgetter(3), columns)), list(map(itemgetter(4), columns))
        # (position in the careful way's order, call) of each first occurrence: entry i calls zone 3i, owner 3i+1, ARN 3i+2
        regions: List[Tuple[int, str, Callable[[], None]]] = []
        if zones:
            for zone, i in _firsts(map(get, items, repeat("AvailabilityZone"))):
                region = self.zone_of(zone)
                if region:
                    regions.append((3 * i, region, partial(self.zone_region, zone, file, f"{top}[{i}]")))
        for region, i in _firsts(arn_regions):
            regions.append((3 * i + 2, region, partial(self.region, region, file, f"{top}[{i}].{arn_key}")))
        distinct = {r for _, r, _ in regions}
        if len(distinct) > 1 or (distinct and self.regions and self.regions[0][0] not in distinct):
            return False
        if regions:
            min(regions, key=itemgetter(0))[2]()
        owners = [(3 * i + 1, partial(self.weak_owner, owner, file, f"{top}[{i}]"))
                  for owner, i in _firsts(map(get, items, repeat("OwnerId")))]
        owners += [(3 * i + 2, partial(self.account, account, file, f"{top}[{i}].{arn_key}", False)) for account, i in _firsts(arn_accounts)]
        for _, call in sorted(owners, key=itemgetter(0)):
            call()
        return True

    def put_entry(self, kind: str, table: "_Records", ident: str, data: Dict[str, Any], file: str, key: str) -> None:
        """put() of an entry already checked, its record built on lookup."""
        if ident in table:
            if _differ(kind, table.entry(ident), data):
                first = self.snap.origin(kind, ident) or ("?", "?")
                self.warn(f"{file}: {key}: {ident} is also in {first[0]} ({first[1]}) with other content; "
                          f"the first is used")
            return
        table.add(ident, data, file, key)
        self.snap.origins.setdefault((kind, ident), (file, key))

    def put(self, kind: str, table: Dict[str, Any], ident: str, record: Any, file: str, key: str) -> None:
        old = table.get(ident)
        if old is not None:
            if _differ(kind, getattr(old, "raw", old), getattr(record, "raw", record)):
                first = self.snap.origin(kind, ident) or ("?", "?")
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
        if items.__class__ is list and (doc.__class__ is Checked or _ok_column(items, _SUBNET_SPEC)):  # the quick way: evidence now, records on lookup
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
        if items.__class__ is list and (doc.__class__ is Checked or _ok_column(items, _ROUTE_TABLE_SPEC)):  # the quick way
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
        if items.__class__ is list and (doc.__class__ is Checked or _ok_column(items, _SECURITY_GROUP_SPEC)):  # the quick way
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
