"""Reading one AWS entry's fields: :class:`_Entry` (typed access; errors name the file and key),
the builders of routes, security group rules, subnets, route tables and security groups, and the
quick column check (:func:`_ok_column`) of large outputs."""

from __future__ import annotations

import json
from itertools import chain, repeat
from typing import Any, Dict, Iterable, List, Optional, Tuple
from urllib.parse import unquote

from ..files import kind as kind_of
from .kinds import SnapshotError
from .records import Route, RouteTable, SecurityGroup, SgRule, Subnet


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


def project(value: Any, spec: Any) -> Any:
    """`value` restricted to the fields of `spec`: what the reader reads of an entry (two entries
    of one ID differ only when this differs; the fast way keeps no other field)."""
    if isinstance(spec, tuple):
        spec = spec[1]
        if isinstance(value, list):
            return [project(v, spec) for v in value]
    if isinstance(spec, dict) and isinstance(value, dict):
        return {k: project(v, spec[k]) for k, v in value.items() if k in spec and spec[k] is not _GROUP_PAIR}
    return value


def _firsts(values: Iterable[Any]) -> List[Tuple[Any, int]]:
    """(value, index of its first occurrence) of each distinct value that is not empty, in order
    (the values are hashable: checked strings).  Loops in C: a large account has thousands of
    entries and a handful of distinct zones and owners."""
    values = list(values)
    return [(v, values.index(v)) for v in dict.fromkeys(values) if v]


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

#: The spec of each kind read the quick way (its entries compared by what the reader reads of them).
SPEC_OF_KIND = {"subnets": _SUBNET_SPEC, "route_tables": _ROUTE_TABLE_SPEC, "security_groups": _SECURITY_GROUP_SPEC}
