"""Account facts read into the network state: the indexes over one snapshot (`Account`) and the
reader that adds a referenced resource, and what it depends on, to one state (`AccountReader`)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from itertools import repeat
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from ...state import (
    DhcpOptions,
    Endpoint,
    InternetGateway,
    Nacl,
    NaclEntry,
    NatGateway,
    NetworkState,
    Origin,
    Route,
    RouteTable,
    Rule,
    SecurityGroup,
    Subnet,
    Vpc,
    default_sg_id,
)
from ...values import Path, Unknown
from ..cloudformation.endpoints import normalise_service
from ..cloudformation.rule_fields import read_protocol

# the ID prefix of each kind the template may reference -> (snapshot kind, what it is called)
KIND_OF_PREFIX: Dict[str, Tuple[str, str]] = {
    "subnet-": ("subnets", "subnet"),
    "sg-": ("security_groups", "security group"),
    "rtb-": ("route_tables", "route table"),
    "vpc-": ("vpcs", "VPC"),
    "pl-": ("prefix_lists", "prefix list"),
    "vpce-": ("vpc_endpoints", "VPC endpoint"),
    "acl-": ("network_acls", "network ACL"),
    "nat-": ("nat_gateways", "NAT gateway"),
    "igw-": ("internet_gateways", "internet gateway"),
}

_GONE = ("deleted", "deleting", "failed", "rejected", "expired")
_DROPPED = ("disassociated", "failed")  # route table association states that no longer route the subnet
_RULES_ONLY = "ecsnetpolicy:rules-only"  # marks a group entry built from its describe-security-group-rules rules

# a route's target keys, in the order that picks one, and what each is called
_TARGET_NAMES: Dict[str, str] = {
    "GatewayId": "gateway", "NatGatewayId": "NAT gateway", "TransitGatewayId": "transit gateway", "VpcPeeringConnectionId": "VPC peering connection",
    "NetworkInterfaceId": "network interface", "InstanceId": "instance", "LocalGatewayId": "local gateway", "CarrierGatewayId": "carrier gateway",
    "CoreNetworkArn": "core network", "EgressOnlyInternetGatewayId": "egress-only internet gateway",
}


def kind_of(resource_id: str) -> Optional[Tuple[str, str]]:
    # every prefix is one word and its dash, so the text up to the first dash is the only one that can match
    return KIND_OF_PREFIX.get(resource_id[:resource_id.find("-") + 1])


def _net(text: Any) -> Any:
    try:
        return ipaddress.ip_network(text, strict=False)
    except (TypeError, ValueError):
        return None


class _SamePath(Sequence):
    """(ID, path) pairs of IDs that all came in through one template property: a gateway
    endpoint's route tables, thousands in a large account.  Reads as the list of pairs the state
    holds elsewhere (iterate, index, compare), but keeps the IDs and the one path, and makes each
    pair when it is read: thousands of pairs held for the whole analysis would each be walked by
    the cyclic garbage collector, which the few tables a check compares never need."""

    __slots__ = ("_ids", "_path")

    def __init__(self, ids: List[Any], path: Path):
        self._ids = ids
        self._path = path

    def __iter__(self) -> Iterator[Tuple[Any, Path]]:
        return zip(self._ids, repeat(self._path))

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return list(zip(self._ids[index], repeat(self._path)))
        return (self._ids[index], self._path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, _SamePath)) and len(other) == len(self) and all(x == y for x, y in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # like the list it stands for

    def __repr__(self) -> str:
        return repr(list(self))


class _AzNames(Mapping):
    """Account.az_names, worked out on first use (it reads every subnet of the account)."""

    def __init__(self, account: "Account"):
        self._account = account

    def __getitem__(self, zid: str) -> str:
        return self._account.az_names[zid]

    def __iter__(self):
        return iter(self._account.az_names)

    def __len__(self) -> int:
        return len(self._account.az_names)


class Account:
    """One snapshot and its indexes: subnet -> explicit route table, VPC -> main route table,
    subnet -> network ACL, VPC -> default network ACL, VPC -> endpoints, VPC -> default group.
    Built once per analysis (every scenario's state reads the same account).

    Each index is built on first use and kept: a check reads a handful of resources of an account
    that may hold thousands of subnets, route tables and groups, and an analysis that never asks
    (no account subnet referenced, say) never walks the table.  Where two entries claim the same
    key the last one wins, as a plain dict update in table order would have it (the indexes mean
    what they meant when built eagerly)."""

    def __init__(self, snapshot: Any):
        self.snapshot = snapshot
        self._files: Dict[str, Optional[str]] = {}  # file_of, per ID (the snapshot does not change)
        self._tables: Dict[str, Any] = {}  # table, per kind

    @cached_property
    def _routing(self) -> Tuple[Dict[str, str], Dict[str, str]]:
        """(subnet -> its explicitly associated route table, VPC -> its main route table): the
        associations that count are those not disassociated or failed; a main association names
        the VPC's main table (and no subnet)."""
        rt_of_subnet: Dict[str, str] = {}
        main_rt: Dict[str, str] = {}
        for rid, rt in self.table("route_tables").items():
            for assoc in rt.get("Associations") or ():
                state = assoc.get("AssociationState")
                if state and state.get("State") in _DROPPED:
                    continue
                if assoc.get("Main"):
                    main_rt[rt.get("VpcId")] = rid
                else:
                    sid = assoc.get("SubnetId")
                    if sid:
                        rt_of_subnet[sid] = rid
        return rt_of_subnet, main_rt

    @property
    def rt_of_subnet(self) -> Dict[str, str]:
        return self._routing[0]

    @property
    def main_rt(self) -> Dict[str, str]:
        return self._routing[1]

    @cached_property
    def _acls(self) -> Tuple[Dict[str, str], Dict[str, str]]:
        """(subnet -> its network ACL, VPC -> its default network ACL)."""
        acl_of_subnet: Dict[str, str] = {}
        default_acl: Dict[str, str] = {}
        for aid, acl in self.table("network_acls").items():
            if acl.get("IsDefault"):
                default_acl[acl.get("VpcId")] = aid
            for assoc in acl.get("Associations") or ():
                if assoc.get("SubnetId"):
                    acl_of_subnet[assoc["SubnetId"]] = aid
        return acl_of_subnet, default_acl

    @property
    def acl_of_subnet(self) -> Dict[str, str]:
        return self._acls[0]

    @property
    def default_acl(self) -> Dict[str, str]:
        return self._acls[1]

    @cached_property
    def endpoints_of_vpc(self) -> Dict[str, List[str]]:
        """VPC -> its endpoints that are not gone (deleted, failed, ...)."""
        out: Dict[str, List[str]] = {}
        for eid, ep in self.table("vpc_endpoints").items():
            if str(ep.get("State", "available")).lower() in _GONE:
                continue
            out.setdefault(ep.get("VpcId"), []).append(eid)
        return out

    @cached_property
    def az_names(self) -> Dict[str, str]:
        """AZ ID -> its name in this account (the mapping differs between accounts), from the
        account's subnets, which carry both."""
        out: Dict[str, str] = {}
        for sn in self.table("subnets").values():
            zid, name = sn.get("AvailabilityZoneId"), sn.get("AvailabilityZone")
            if isinstance(zid, str) and isinstance(name, str):
                out.setdefault(zid, name)
        return out

    @cached_property
    def default_sg(self) -> Dict[str, str]:
        """VPC -> its group named "default"."""
        out: Dict[str, str] = {}
        for gid, sg in self.table("security_groups").items():
            if sg.get("GroupName") == "default":
                out[sg.get("VpcId")] = gid
        return out

    def reader(self, state: NetworkState) -> "AccountReader":
        """The reader that adds this account's facts to `state` (one per state)."""
        return AccountReader(self, state)

    # ------------------------------------------------------------------ wording
    def has(self, kind: str) -> bool:
        return bool(self.snapshot.has(kind))

    def where(self) -> str:
        s = self.snapshot
        place = getattr(s, "directory", None) or getattr(s, "path", None)
        acct = f"account {s.account_id}" if getattr(s, "account_id", None) else "the account"
        return f"{acct} (snapshot {place})" if place else f"{acct}'s snapshot"

    def capture_command(self, kind: str, rid: Optional[str] = None) -> str:
        """The AWS CLI command that captures `kind` (naming `rid` where the command takes an ID)."""
        return self.snapshot.capture_command(kind, rid)

    def capture_hint(self, kind: str, rid: Optional[str] = None) -> str:
        return f"add the output of `{self.capture_command(kind, rid)}` to the snapshot directory"

    def missing(self, kind: str, what: str, rid: str, path: Path) -> Unknown:
        """The Unknown for a resource the snapshot lacks: its kind not captured, or not there
        (then the ID may be wrong, or the snapshot of another account or region); either way
        it names the AWS CLI command that captures it (issue 11 point 4)."""
        if not self.has(kind):
            return Unknown(f"{what} {rid} is not in the snapshot, which holds no {kind.replace('_', ' ')}", path, self.capture_hint(kind, rid))
        return Unknown(
            f"{what} {rid} is not in {self.where()}",
            path,
            "check the ID, or take the snapshot in the account and region the template deploys into "
            f"(capture it with `{self.capture_command(kind, rid)}`)",
        )

    def file_of(self, rid: str) -> Optional[str]:
        try:
            return self._files[rid]
        except KeyError:
            pass
        try:
            found = self.snapshot.origin_of(rid)
        except Exception:  # a stand-in without origins
            return None
        if isinstance(found, tuple):  # (file, key) in some loaders
            found = found[0] if found else None
        self._files[rid] = found
        return found

    def table(self, kind: str) -> Dict[str, Any]:
        try:
            return self._tables[kind]
        except KeyError:
            table = getattr(self.snapshot, kind, None)
            # `is None`, not `or {}`: a lazy table (view._GroupRules) would work out every entry to
            # say whether it is empty
            table = self._tables[kind] = {} if table is None else table
            return table


class AccountReader:
    """Adds account facts to one state.  The first template property that brings a resource in
    gives its path (where findings about it anchor); what it depends on gets the same path."""

    def __init__(self, account: Account, state: NetworkState):
        self.acct = account
        self.state = state
        self._done: Set[str] = set()
        self._added: Dict[str, str] = {}  # ID -> its snapshot kind, once added (a repeat reference returns at once)
        self._direct: Set[str] = set()
        s = account.snapshot
        if state.log_groups is None and account.has("log_groups"):
            state.log_groups = s.log_groups if isinstance(s.log_groups, set) else set(s.log_groups or ())
        elif state.log_groups is None:  # an account without its log groups: EN5002 says what to capture
            state.log_groups = Unknown(f"{account.where()} holds no log groups", (), account.capture_hint("log_groups"))
        if state.service_azs is None and account.has("service_details"):
            azs: Dict[str, Set[str]] = {}
            for name, detail in (s.service_details or {}).items():
                key = normalise_service(name)
                azs.setdefault(key if isinstance(key, str) else name, set()).update(detail.get("AvailabilityZones") or ())
            state.service_azs = azs
        elif state.service_azs is None:
            state.service_azs = Unknown(f"{account.where()} holds no endpoint services", (), account.capture_hint("service_details"))
        if state.az_names is None:
            state.az_names = _AzNames(account)
        if state.prefix_lists is None and account.has("prefix_lists"):
            state.region = getattr(s, "region", None)
            state.prefix_lists = {pid: str(pl.get("PrefixListName") or "") for pid, pl in (s.prefix_lists or {}).items()}
            state.absent_prefix_lists = getattr(s, "absent_prefix_lists", None) or set()

    def origin(self, rid: str, path: Path) -> Origin:
        return Origin("account", None, tuple(path), rid, self.acct.file_of(rid))

    # ------------------------------------------------------------------ entry point
    def known(self, rid: str, path: Path, expected: str, direct: bool = False) -> Any:
        """The ID itself, with its facts added to the state, when the snapshot has it; else an
        Unknown naming it.  `expected` is the snapshot kind the property calls for; `direct`
        when the template itself names the ID (then that property is where the resource's own
        fact anchors, even if it came in earlier through another resource)."""
        if not direct and self._added.get(rid) == expected:  # added before: what the steps below would conclude
            return rid
        kind = kind_of(rid)
        if kind is None or kind[0] != expected:
            return None  # not an ID of the kind asked for: the caller words it
        snap_kind, what = kind
        entry = self.acct.table(snap_kind).get(rid)
        if entry is None and snap_kind == "security_groups" and rid in self.acct.table("security_group_rules"):
            # a group known from describe-security-group-rules only (no SecurityGroups entry): its
            # rules are all the adapter needs; its VPC stays unknown (the rules do not say it)
            entry = {"GroupId": rid, _RULES_ONLY: True}
        if entry is None:
            return self.acct.missing(snap_kind, what, rid, path)
        adder = getattr(self, "_add_" + snap_kind)
        if rid not in self._done:
            self._done.add(rid)
            self._added[rid] = snap_kind
            if direct:
                self._direct.add(rid)
            adder(rid, entry, tuple(path))
        elif direct and rid not in self._direct:
            self._direct.add(rid)
            self._restamp(snap_kind, rid, tuple(path))
        return rid

    def _restamp(self, kind: str, rid: str, path: Path) -> None:
        table = {"subnets": self.state.subnets, "security_groups": self.state.sgs, "route_tables": self.state.route_tables,
                 "vpcs": self.state.vpcs, "nat_gateways": self.state.nats, "network_acls": self.state.nacls,
                 "vpc_endpoints": self.state.endpoints}.get(kind)
        fact = table.get(rid) if table is not None else None
        if fact is None:
            return
        if hasattr(fact, "path"):
            fact.path = path
        fact.origin = self.origin(rid, path)

    def _ref(self, rid: Any, path: Path, kind: str) -> Any:
        if not isinstance(rid, str):
            return Unknown(f"a {kind.replace('_', ' ')} reference of the snapshot is not an ID", path)
        found = self.known(rid, path, kind)
        return rid if found is None else found

    def _listed(self, ids: Any, path: Path, kind: str) -> Sequence[Tuple[Any, Path]]:
        """The IDs another resource lists (a gateway endpoint's route tables), each with `path`:
        an ID the snapshot has is known without adding its facts (an S3 endpoint may list
        thousands of route tables; only those of the workloads' subnets are read, through the
        subnets); any other goes through _ref (an Unknown naming it, or its facts).  Usually
        every ID is in the snapshot: one pass at C speed (map over the keys view) says so."""
        ids = list(ids or ())
        table = self.acct.table(kind)
        try:
            every = all(map(table.keys().__contains__, ids))
        except TypeError:  # an entry that cannot be a key (a malformed snapshot): one by one
            every = False
        if every:
            return _SamePath(ids, path)
        return [(rid if isinstance(rid, str) and rid in table else self._ref(rid, path, kind), path) for rid in ids]

    # ------------------------------------------------------------------ VPCs
    def _add_vpcs(self, vid: str, v: Dict[str, Any], path: Path) -> None:
        cidrs: List[Any] = []
        for assoc in v.get("CidrBlockAssociationSet") or []:
            if (assoc.get("CidrBlockState") or {}).get("State", "associated") == "associated" and _net(assoc.get("CidrBlock")):
                cidrs.append(_net(assoc["CidrBlock"]))
        if not cidrs and _net(v.get("CidrBlock")):
            cidrs.append(_net(v["CidrBlock"]))
        attrs = self.acct.has("vpc_attributes") or "EnableDnsSupport" in v or "EnableDnsHostnames" in v

        def attr(name: str) -> Any:
            value = v.get(name)
            if isinstance(value, dict):  # describe-vpc-attribute shape: {"Value": true}
                value = value.get("Value")
            if isinstance(value, bool):
                return value
            why = f"the {name} attribute of VPC {vid} is not in the snapshot"
            if not attrs:
                return Unknown(why, path, self.acct.capture_hint("vpc_attributes", vid))
            return Unknown(why, path, f"add the output of `aws ec2 describe-vpc-attribute --vpc-id {vid} --attribute {name[0].lower() + name[1:]}` to the snapshot directory")

        origin = self.origin(vid, path)
        self.state.vpcs[vid] = Vpc(vid, cidrs or [Unknown(f"the CIDR of VPC {vid} is not in the snapshot", path)], attr("EnableDnsSupport"), attr("EnableDnsHostnames"), path, origin)
        self._default_group(vid, path)
        self._dhcp(vid, v.get("DhcpOptionsId"), path)
        for eid in self.acct.endpoints_of_vpc.get(vid, []):
            self.known(eid, path, "vpc_endpoints")

    def _vpc_ref(self, vid: Any, path: Path) -> Any:
        """A VPC ID named by an account resource: its facts when captured, the ID regardless
        (the ID itself is known from the resource that names it)."""
        if not isinstance(vid, str):
            return Unknown("the VPC of an account resource is not in the snapshot", path)
        if vid in self.acct.table("vpcs"):
            self.known(vid, path, "vpcs")
        return vid

    def _default_group(self, vid: str, path: Path) -> None:
        alias = default_sg_id(vid)
        gid = self.acct.default_sg.get(vid)
        if gid is None:
            unk = self.acct.missing("security_groups", "the default security group of VPC", vid, path)
            sg = SecurityGroup(alias, vid, path, default_egress=False, egress_path=path, origin=self.origin(vid, path))
            sg.ingress.append(Rule(unk, None, None, path=path, origin=sg.origin))
            sg.egress.append(Rule(unk, None, None, path=path, origin=sg.origin))
            self.state.sgs[alias] = sg
            return
        self.known(gid, path, "security_groups")
        real = self.state.sgs[gid]
        copy = SecurityGroup(alias, vid, path, default_egress=False, egress_path=path, origin=real.origin)
        swap = lambda r: Rule(r.protocol, r.from_port, r.to_port, r.cidr, r.prefix_list, alias if r.peer_sg == gid else r.peer_sg, r.path, r.origin)  # noqa: E731
        copy.ingress = [swap(r) for r in real.ingress]
        copy.egress = [swap(r) for r in real.egress]
        self.state.sgs[alias] = copy

    def _dhcp(self, vid: str, dopt: Any, path: Path) -> None:
        if not isinstance(dopt, str) or dopt == "default":
            return
        table = self.acct.table("dhcp_options")
        entry = table.get(dopt)
        if entry is None:
            unk = self.acct.missing("dhcp_options", "DHCP options set", dopt, path)
            self.state.dhcp_by_vpc[vid] = DhcpOptions(dopt, unk, path, self.origin(dopt, path))
            return
        servers: List[Any] = []
        for conf in entry.get("DhcpConfigurations") or []:
            if conf.get("Key") == "domain-name-servers":
                servers.extend(x.get("Value") for x in conf.get("Values") or [] if isinstance(x, dict))
        if not servers:
            return  # no DNS servers set: AmazonProvidedDNS
        self.state.dhcp_by_vpc[vid] = DhcpOptions(dopt, servers, path, self.origin(dopt, path))

    # ------------------------------------------------------------------ subnets and routing
    def _add_subnets(self, sid: str, sn: Dict[str, Any], path: Path) -> None:
        # the VPC of a subnet must be in the snapshot: its endpoints, attributes and main route
        # table are read from it, and judging the subnet without them would guess
        vid = self._ref(sn.get("VpcId"), path, "vpcs")
        cidr = _net(sn.get("CidrBlock")) or Unknown(f"subnet {sid} has no IPv4 CIDR block in the snapshot", path)
        az = sn.get("AvailabilityZone") or Unknown(f"the Availability Zone of subnet {sid} is not in the snapshot", path)
        subnet = Subnet(sid, vid, az, cidr, path, origin=self.origin(sid, path))
        subnet.map_public_ip = bool(sn.get("MapPublicIpOnLaunch", False))
        self.state.subnets[sid] = subnet
        subnet.route_table = self._route_table_of(sid, vid, path)
        self._nacl_of(sid, vid, path)

    def _route_table_of(self, sid: str, vid: Any, path: Path) -> Any:
        acct = self.acct
        if not acct.has("route_tables"):
            return Unknown(f"the route table of subnet {sid} is not in the snapshot, which holds no route tables", path, acct.capture_hint("route_tables"))
        rid = acct.rt_of_subnet.get(sid) or (acct.main_rt.get(vid) if isinstance(vid, str) else None)
        if rid is None:
            return Unknown(f"no route table of {acct.where()} is associated with subnet {sid} or is the main route table of VPC {vid}", path,
                           "take the snapshot of all the route tables of the VPC")
        return self.known(rid, path, "route_tables")

    def _add_route_tables(self, rid: str, rt: Dict[str, Any], path: Path) -> None:
        origin = self.origin(rid, path)  # (frozen: one for the table and its routes)
        table = RouteTable(rid, self._vpc_ref(rt.get("VpcId"), path), origin=origin)
        self.state.route_tables[rid] = table
        for r in rt.get("Routes") or []:
            route = self._route(rid, r, path, origin)
            if route is not None:
                table.routes.append(route)

    def _route(self, rid: str, r: Dict[str, Any], path: Path, origin: Origin) -> Optional[Route]:
        gw = r.get("GatewayId")
        if gw == "local":
            return None
        dest = _net(r.get("DestinationCidrBlock")) if r.get("DestinationCidrBlock") else None
        target_key = None
        for k in _TARGET_NAMES:  # in this order: the first target key the route has
            if r.get(k):
                target_key = k
                break
        target = r.get(target_key) if target_key else None
        label = f"{_TARGET_NAMES.get(target_key, 'a target')} {target}" if target else "a target the snapshot does not name"
        if target_key == "GatewayId" and str(target).startswith("igw-"):
            label = f"internet gateway {target}"
        elif target_key == "GatewayId" and str(target).startswith("vpce-"):
            label = f"gateway endpoint {target}"
        if str(r.get("State", "active")).lower() == "blackhole":
            return Route(dest, "blackhole", target, label, path, origin)
        if target_key == "GatewayId" and str(target).startswith("igw-"):
            self.state.igws.setdefault(target, InternetGateway(target, path, self.origin(target, path)))
            return Route(dest, "igw", target, label, path, origin)
        if target_key == "NatGatewayId":
            return self._nat_route(dest, target, label, path, origin)
        return Route(dest, "other", target, label, path, origin)

    def _nat_route(self, dest: Any, nid: str, label: str, path: Path, origin: Origin) -> Route:
        nat = self.acct.table("nat_gateways").get(nid)
        if nat is not None and str(nat.get("State", "available")).lower() in _GONE:
            return Route(dest, "blackhole", nid, f"NAT gateway {nid} ({nat.get('State')})", path, origin)
        if nat is None:
            if nid not in self.state.nats:
                unk = self.acct.missing("nat_gateways", "NAT gateway", nid, path)
                self.state.nats[nid] = NatGateway(nid, unk, unk, path, self.origin(nid, path))
        else:
            self.known(nid, path, "nat_gateways")
        return Route(dest, "nat", nid, label, path, origin)

    def _add_nat_gateways(self, nid: str, nat: Dict[str, Any], path: Path) -> None:
        fact = NatGateway(nid, nat.get("ConnectivityType", "public"), None, path, self.origin(nid, path))
        self.state.nats[nid] = fact
        sid = nat.get("SubnetId")
        fact.subnet = self._ref(sid, path, "subnets") if sid else Unknown(f"the subnet of NAT gateway {nid} is not in the snapshot", path)

    def _add_internet_gateways(self, gid: str, gw: Dict[str, Any], path: Path) -> None:
        self.state.igws[gid] = InternetGateway(gid, path, self.origin(gid, path))

    # ------------------------------------------------------------------ network ACLs
    def _nacl_of(self, sid: str, vid: Any, path: Path) -> None:
        acct = self.acct
        if not acct.has("network_acls"):
            self.state.subnet_nacl[sid] = Unknown(f"the network ACL of subnet {sid} is not in the snapshot, which holds no network ACLs", path, acct.capture_hint("network_acls"))
            return
        aid = acct.acl_of_subnet.get(sid) or (acct.default_acl.get(vid) if isinstance(vid, str) else None)
        if aid is None:
            self.state.subnet_nacl[sid] = Unknown(f"no network ACL of {acct.where()} is associated with subnet {sid}", path, "take the snapshot of all the network ACLs of the VPC")
            return
        self.state.subnet_nacl[sid] = self.known(aid, path, "network_acls")

    def _add_network_acls(self, aid: str, acl: Dict[str, Any], path: Path) -> None:
        origin = self.origin(aid, path)
        nacl = Nacl(aid, acl.get("VpcId"), path, origin=origin)
        for e in acl.get("Entries") or []:
            cidr = _net(e.get("CidrBlock") or e.get("Ipv6CidrBlock")) or Unknown(f"an entry of network ACL {aid} has no CIDR in the snapshot", path)
            pr = e.get("PortRange")
            ports = (pr.get("From"), pr.get("To")) if isinstance(pr, dict) and pr.get("From") is not None and pr.get("To") is not None else None
            action = str(e.get("RuleAction", "")).lower()
            allow: Any = action == "allow" if action in ("allow", "deny") else Unknown(f"an entry of network ACL {aid} has no rule action in the snapshot", path)
            nacl.entries.append(NaclEntry(e.get("RuleNumber"), bool(e.get("Egress")), allow, read_protocol(e.get("Protocol", "-1"), path), ports, cidr, path, origin))
        self.state.nacls[aid] = nacl

    # ------------------------------------------------------------------ security groups
    def _add_security_groups(self, gid: str, sg: Dict[str, Any], path: Path) -> None:
        origin = self.origin(gid, path)
        vpc: Any = sg.get("VpcId")
        if sg.get(_RULES_ONLY):
            vpc = Unknown(f"the VPC of security group {gid} is not in the snapshot, which holds its rules only", path,
                          self.acct.capture_hint("security_groups", gid))
        group = SecurityGroup(gid, vpc, path, default_egress=False, egress_path=path, origin=origin)
        rules = self.acct.table("security_group_rules").get(gid)
        if rules is not None:
            for r in rules:
                (group.egress if r.get("IsEgress") else group.ingress).extend(self._rule_of_sgr(r, path, origin))
        else:
            for perm in sg.get("IpPermissions") or []:
                group.ingress.extend(self._rules_of_permission(perm, path, origin))
            for perm in sg.get("IpPermissionsEgress") or []:
                group.egress.extend(self._rules_of_permission(perm, path, origin))
        self.state.sgs[gid] = group

    def _ports(self, protocol: Any, p: Dict[str, Any]) -> Tuple[Any, Any]:
        if protocol == "-1":
            return None, None
        return p.get("FromPort"), p.get("ToPort")

    def _rules_of_permission(self, perm: Dict[str, Any], path: Path, origin: Origin) -> List[Rule]:
        proto = read_protocol(perm.get("IpProtocol", "-1"), path)
        lo, hi = self._ports(proto, perm)
        out: List[Rule] = []
        for x in perm.get("IpRanges") or []:
            out.append(Rule(proto, lo, hi, cidr=_net(x.get("CidrIp")) or Unknown("a CIDR of a security group rule is not readable", path), path=path, origin=origin))
        for x in perm.get("Ipv6Ranges") or []:
            out.append(Rule(proto, lo, hi, cidr=_net(x.get("CidrIpv6")) or Unknown("a CIDR of a security group rule is not readable", path), path=path, origin=origin))
        for x in perm.get("PrefixListIds") or []:
            out.extend(self._prefix_rules(proto, lo, hi, x.get("PrefixListId"), path, origin))
        for x in perm.get("UserIdGroupPairs") or []:
            out.append(Rule(proto, lo, hi, peer_sg=x.get("GroupId") or Unknown("a group a rule references is not named", path), path=path, origin=origin))
        return out

    def _rule_of_sgr(self, r: Dict[str, Any], path: Path, origin: Origin) -> List[Rule]:
        proto = read_protocol(r.get("IpProtocol", "-1"), path)
        lo, hi = self._ports(proto, r)
        if r.get("CidrIpv4") or r.get("CidrIpv6"):
            return [Rule(proto, lo, hi, cidr=_net(r.get("CidrIpv4") or r.get("CidrIpv6")) or Unknown("a CIDR of a security group rule is not readable", path), path=path, origin=origin)]
        if r.get("PrefixListId"):
            return self._prefix_rules(proto, lo, hi, r["PrefixListId"], path, origin)
        ref = (r.get("ReferencedGroupInfo") or {}).get("GroupId")
        if ref:
            return [Rule(proto, lo, hi, peer_sg=ref, path=path, origin=origin)]
        return []

    def _prefix_rules(self, proto: Any, lo: Any, hi: Any, plid: Any, path: Path, origin: Origin) -> List[Rule]:
        """A prefix list rule: an AWS-managed service list (S3, DynamoDB) stays a prefix list (the
        queries know what it means); a customer list with its CIDRs captured becomes one rule per
        CIDR; else the prefix list ID (undecided where it matters)."""
        pl = self.acct.table("prefix_lists").get(plid) if isinstance(plid, str) else None
        name = str((pl or {}).get("PrefixListName") or "")
        cidrs = (pl or {}).get("Cidrs")
        if pl is None or name.startswith("com.amazonaws.") or not cidrs:
            return [Rule(proto, lo, hi, prefix_list=plid if isinstance(plid, str) else Unknown("a prefix list of a rule is not named", path), path=path, origin=origin)]
        return [Rule(proto, lo, hi, cidr=_net(c) or Unknown(f"a CIDR of prefix list {plid} is not readable", path), path=path, origin=origin) for c in cidrs]

    def _add_prefix_lists(self, plid: str, pl: Dict[str, Any], path: Path) -> None:
        return None  # read where a rule uses it

    # ------------------------------------------------------------------ endpoints
    def _add_vpc_endpoints(self, eid: str, ep: Dict[str, Any], path: Path) -> None:
        vid = self._vpc_ref(ep.get("VpcId"), path)
        raw = ep.get("ServiceName") or "?"
        vtype = ep.get("VpcEndpointType") or "Gateway"
        groups: Any = None
        if vtype == "Interface" or ep.get("Groups"):
            groups = [(self._ref(g.get("GroupId"), path, "security_groups"), path) for g in ep.get("Groups") or []]
            for gid, _ in groups:
                # an endpoint's groups are in the endpoint's VPC: what a group known from its rules only lacked
                fact = self.state.sgs.get(gid) if isinstance(gid, str) else None
                if fact is not None and isinstance(fact.vpc, Unknown) and isinstance(vid, str):
                    fact.vpc = vid
        policy = ep.get("PolicyDocument")
        if isinstance(policy, str):
            try:
                policy = json.loads(policy)
            except ValueError:
                policy = Unknown(f"the policy of endpoint {eid} in the snapshot is not JSON", path)
        self.state.endpoints[eid] = Endpoint(
            eid,
            vid,
            normalise_service(raw),
            raw,
            vtype,
            True,
            bool(ep.get("PrivateDnsEnabled", False)),
            [(self._ref(s, path, "subnets"), path) for s in ep.get("SubnetIds") or []],
            self._listed(ep.get("RouteTableIds"), path, "route_tables"),
            groups,
            policy,
            path,
            self.origin(eid, path),
        )
