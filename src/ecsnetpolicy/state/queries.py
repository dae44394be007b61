"""The network state of one template (or account) under one scenario, and the questions the checks
ask of it: which route a subnet's traffic takes, what a set of security groups lets out, what an
endpoint or a network ACL lets in, which AZ a subnet is in.  Every answer is True, False or an
Unknown (never an error resting on an undecidable value); the queries read only the state."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from ..values import Unknown, first_unknown, may_name
from .logic import ANY_V4, PRIVATE_V4, Tri, covers, is_public_cidr, rule_allows_tcp, tri_all, tri_any, undecided
from .network import (
    DhcpOptions,
    Endpoint,
    InternetGateway,
    LbAttachment,
    LoadBalancer,
    Nacl,
    NatGateway,
    RouteTable,
    Rule,
    SecurityGroup,
    ServiceConnect,
    Subnet,
    TargetGroup,
    Vpc,
    Workload,
    default_sg_id,
)


def _is_nat(route: Any) -> bool:
    """A route to a NAT gateway: one the state holds, or one named by its nat- ID."""
    return route.target == "nat" or (route.target == "other" and isinstance(route.target_id, str) and route.target_id.startswith("nat-"))


class NetworkState:
    """The typed network (see module docstring).  An adapter fills the dicts, in its source's
    order (their orders feed the orders of findings); then only the queries read them."""

    def __init__(self) -> None:
        self.vpcs: Dict[str, Vpc] = {}
        self.subnets: Dict[str, Subnet] = {}
        self.route_tables: Dict[str, RouteTable] = {}
        self.nats: Dict[str, NatGateway] = {}
        self.igws: Dict[str, InternetGateway] = {}
        self.sgs: Dict[str, SecurityGroup] = {}  # with each VPC's default group, default_sg_id(vpc)
        self.endpoints: Dict[str, Endpoint] = {}
        self.workloads: Dict[str, Workload] = {}
        # task definition lid -> its properties as written (the engine reads them through the
        # scenario's resolver: their containers are not network facts)
        self.task_definitions: Dict[str, Any] = {}
        self.dhcp_by_vpc: Dict[str, DhcpOptions] = {}  # vpc -> DHCP options (unpacks as (lid, servers))
        self.nacls: Dict[str, Nacl] = {}
        self.subnet_nacl: Dict[str, Any] = {}  # subnet -> nacl lid or Unknown (absent: the default NACL)
        # what the AWS account adds (None: not known, no account or not captured)
        self.log_groups: Optional[Set[str]] = None  # CloudWatch Logs group names
        self.service_azs: Optional[Dict[str, Set[str]]] = None  # normalised service name -> AZ names it is offered in
        self.az_names: Optional[Mapping[str, str]] = None  # AZ ID -> its name in the account (the account's subnets show the pairs)
        # prefix lists of the account's region (ID -> name), None without an account; and the IDs the
        # snapshot shows do not exist there (its listing of every prefix list was captured)
        self.prefix_lists: Optional[Dict[str, str]] = None
        self.absent_prefix_lists: Any = set()  # supports `in`
        self.region: Optional[str] = None  # the account's region, when an account is given
        # traffic into the tasks (issue 12): load balancers and target groups by lid, the
        # workloads' LoadBalancers entries, their Service Connect configurations by workload key
        self.load_balancers: Dict[str, LoadBalancer] = {}
        self.target_groups: Dict[str, TargetGroup] = {}
        self.lb_attachments: List[LbAttachment] = []
        self.service_connect: Dict[str, ServiceConnect] = {}
        # without an account: the AWS-managed prefix lists of the judged region the policies know
        # (ID -> service), or None when they know none there; and that region
        self.known_prefix_lists: Optional[Dict[str, str]] = None
        self.judged_region: Optional[str] = None
        self._nacl_cache: Dict[Any, Tuple[Tri, Any]] = {}
        self._egress_cache: Dict[Any, Tri] = {}
        self._admit_cache: Dict[Any, Tri] = {}

    # ------------------------------------------------------------------ network ACLs
    def nacl_decision(self, subnet: str, egress: bool, ports: Tuple[int, int], peer: Any, public: bool = False) -> Tuple[Tri, Any]:
        """Does the subnet's network ACL let TCP `ports` out to (egress) or in from `peer` (a
        network)?  (decision, deciding entry or None).  Entries apply in rule-number order, first
        match wins, and what no entry allows is denied; a subnet without an association has the
        VPC's default ACL, which allows everything (fact 21).  An entry that covers only part of
        the ports or addresses makes the answer unknown unless a full match comes first.  With
        `public`, the peer is an unknown public address (S3, a registry): entries for private
        ranges do not concern it, and entries for part of the public space leave it unknown.
        Memoised: EN1003 and IN9001 ask the same questions."""
        if subnet not in self.subnet_nacl:
            # no ACL known for it (what _nacl_decision would answer): answered before the key is
            # built, since hashing the peer network is most of the cost when only a few subnets
            # (an account's, say) have an ACL and every flow of every other subnet is asked
            return True, None
        key = (subnet, egress, ports, peer, public)
        cache = self._nacl_cache
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
        """The VPC's DHCP options, unpacking as (dhcp options lid, list of server strings), or None
        for AmazonProvidedDNS."""
        return self.dhcp_by_vpc.get(vpc)

    # ------------------------------------------------------------------ routes
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
        if route.target == "blackhole":
            return False, f"route table {rt} of subnet {subnet} sends 0.0.0.0/0 to {route.detail}, which no longer exists (a blackhole route)"
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
            conn = nat.connectivity
            if isinstance(conn, str) and conn.lower() == "private":
                return False, f"route table {rt} sends 0.0.0.0/0 to private NAT gateway {route.target_id}, which gives no internet access"
            if not isinstance(conn, str):
                return first_unknown(conn) or Unknown("NAT connectivity not known"), ""
            nat_subnet = nat.subnet
            if isinstance(nat_subnet, str) and nat_subnet in self.subnets:
                nrt = self.subnets[nat_subnet].route_table
                if isinstance(nrt, str) and nrt in self.route_tables:
                    up = [x for x in self.route_tables[nrt].routes if isinstance(x.destination, ipaddress.IPv4Network) and x.destination.prefixlen == 0]
                    if up and up[-1].target == "igw":
                        return True, route.detail
                    if up and up[-1].target == "blackhole":
                        return False, f"NAT gateway {route.target_id} sits in subnet {nat_subnet}, whose route table {nrt} sends 0.0.0.0/0 to {up[-1].detail}, which no longer exists (a blackhole route)"
                    if not up:
                        return False, f"NAT gateway {route.target_id} sits in subnet {nat_subnet}, whose route table {nrt} has no route to an internet gateway"
                    if up and _is_nat(up[-1]):
                        # fact 24: a public NAT gateway reaches the internet only through an internet
                        # gateway route of its own subnet (a public subnet); a route to a NAT gateway is not one
                        itself = " (itself)" if up[-1].target_id == route.target_id else ""
                        return False, (f"public NAT gateway {route.target_id} sits in subnet {nat_subnet}, whose route table {nrt} sends 0.0.0.0/0 "
                                       f"to {up[-1].detail}{itself} rather than to an internet gateway (a public NAT gateway reaches the "
                                       f"internet only through an internet gateway route of its own subnet)")
                    hint = ""
                    table = self.route_tables[nrt]
                    if table.origin is not None and table.origin.source == "account":
                        # nothing to supply: the account's route leaves the VPC through something not followed here
                        hint = f"check that {up[-1].detail} gives the traffic of route table {nrt} a path to the internet"
                    return Unknown(f"NAT gateway {route.target_id} reaches the internet through {up[-1].detail}", up[-1].path, hint), ""
                if nrt is None and not isinstance(self.subnets[nat_subnet].vpc, Unknown):
                    return False, f"NAT gateway {route.target_id} sits in subnet {nat_subnet}, which uses the VPC main route table (no internet gateway route)"
            return Unknown(f"the subnet of NAT gateway {route.target_id} is not known", nat.path), ""
        return Unknown(f"route table {rt} sends 0.0.0.0/0 to {route.detail}, which may or may not reach the internet", route.path), ""

    # ------------------------------------------------------------------ security groups
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
        return undecided(unknowns) if unknowns else out  # every unknown group blocks, whatever its place

    def egress_allows(self, sg_ids: Sequence[str], dest: Tuple[str, Any]) -> Tri:
        """Does the union of these groups' egress let TCP 443 out to `dest`?

        dest: ("endpoint", Endpoint) | ("s3", None) | ("internet", None).  Memoised: every rule
        asks this for the same few (groups, destination) pairs."""
        key = (tuple(sg_ids), dest[0], dest[1].lid if dest[0] == "endpoint" else None)
        cache = self._egress_cache
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
                    checks.append(self._peer_in(rule.peer_sg, ep_sgs) if not isinstance(ep_sgs, Unknown) else rule.peer_sg)
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
                return self._prefix_list_is_s3(rule)
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

    def _prefix_list_is_s3(self, rule: Rule) -> Tri:
        """Does an egress rule's prefix list stand for S3?  Without the account a literal pl- ID is
        taken as the S3 list (it cannot be checked further); with it, the ID must be the region's
        S3 list (prefix list IDs differ per region)."""
        pl = rule.prefix_list
        if self.prefix_lists is None:
            return self._known_prefix_list_is_s3(rule)
        name = self.prefix_lists.get(pl)
        if name is None:
            if pl in self.absent_prefix_lists:
                return False
            where = tuple(rule.path) + ("DestinationPrefixListId",) if rule.path and rule.path[-1] != "DestinationPrefixListId" else tuple(rule.path)
            return Unknown(f"prefix list {pl} is not in the account snapshot", where,
                           "add the output of `aws ec2 describe-managed-prefix-lists --output json` to the snapshot directory")
        if self.region and name == f"com.amazonaws.{self.region}.s3":
            return True
        if name.endswith(".s3") and name.startswith("com.amazonaws."):
            return False  # the S3 list of another region
        return Unknown(f"prefix list {pl} ({name}) may or may not hold the addresses of S3", rule.path)

    def _known_prefix_list_is_s3(self, rule: Rule) -> Tri:
        """Without an account: a prefix list ID belongs to one region.  The judged region's S3
        list (as the policies know it) is S3; any other ID there, when the region's lists are
        known and the ID is another region's or service's list, is not; anything else is unknown."""
        pl, region, known = rule.prefix_list, self.judged_region, self.known_prefix_lists
        where = tuple(rule.path) + ("DestinationPrefixListId",) if rule.path and rule.path[-1] != "DestinationPrefixListId" else tuple(rule.path)
        hint = (f"use the S3 prefix list of {region} (aws ec2 describe-prefix-lists --region {region}), or give an account "
                "snapshot (ecsnetpolicy check --aws-snapshot DIR)")
        if known is not None and pl in known:
            return known[pl] == "s3"
        if known is not None and "s3" in known.values() and isinstance(pl, str) and re.fullmatch(r"pl-[0-9a-f]{8}", pl):
            return False  # an AWS-managed ID (8 hex digits) that is not this region's S3 list
        return Unknown(f"prefix list {pl} is not one whose addresses ecsnetpolicy knows in {region} (a prefix list ID "
                       f"belongs to one region)", where, hint)

    def s3_prefix_list(self) -> Optional[str]:
        """The ID of the S3 prefix list of the account's region, when the snapshot has it."""
        for pid, name in (self.prefix_lists or {}).items():
            if self.region and name == f"com.amazonaws.{self.region}.s3":
                return pid
        return None

    # ------------------------------------------------------------------ endpoints
    def endpoint_sgs(self, ep: Endpoint) -> Any:
        if ep.security_groups is None:
            if isinstance(ep.vpc, Unknown):
                return ep.vpc
            return [default_sg_id(ep.vpc)]
        if isinstance(ep.security_groups, Unknown):
            return ep.security_groups
        out = [sg for sg, _ in ep.security_groups]
        unknowns = [sg for sg in out if isinstance(sg, Unknown)]
        return undecided(unknowns) if unknowns else out  # every unknown group blocks, whatever its place

    def endpoint_networks(self, ep: Endpoint) -> Any:
        if isinstance(ep.subnets, Unknown):
            return ep.subnets
        nets = [sn if isinstance(sn, Unknown) else self.subnets[sn].cidr for sn, _ in ep.subnets]
        unknowns = [n for n in nets if isinstance(n, Unknown)]
        return undecided(unknowns) if unknowns else nets  # every unknown subnet blocks, whatever its place

    def endpoint_admits(self, ep: Endpoint, workload_sgs: Sequence[str], subnet: str) -> Tri:
        """Do the endpoint's groups let TCP 443 in from the tasks (their groups, or a CIDR covering
        their subnet)?  Fact 12.  Memoised like egress_allows."""
        key = (ep.lid, tuple(workload_sgs), subnet)
        cache = self._admit_cache
        if key not in cache:
            cache[key] = self._endpoint_admits(ep, workload_sgs, subnet)
        return cache[key]

    def _peer_in(self, peer: Any, sg_ids: Sequence[str]) -> Tri:
        """Is the rule's peer group one of `sg_ids`?  An undecided peer may be, unless it is a
        literal ID and every one of them is a group the template set creates (a literal ID never
        names one of those)."""
        if not isinstance(peer, Unknown):
            return peer in sg_ids
        created = [getattr(getattr(self.sgs.get(g), "origin", None), "source", None) == "template" for g in sg_ids]
        return False if created and all(may_name(peer, c) is False for c in created) else peer

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
                    src.append(self._peer_in(rule.peer_sg, workload_sgs))
                if rule.cidr is not None:
                    src.append(covers(rule.cidr, cidr))
                if rule.prefix_list is not None:
                    src.append(rule.prefix_list if isinstance(rule.prefix_list, Unknown) else Unknown("ingress from a prefix list", rule.path))
                results.append(tri_all([rule_allows_tcp(rule, 443), tri_any(src)]))
        return tri_any(results)

    # ------------------------------------------------------------------ zones
    def az_of(self, subnet: Any) -> Any:
        if isinstance(subnet, str) and subnet in self.subnets:
            return self.subnets[subnet].az
        return Unknown("subnet is not known")

    # ------------------------------------------------------------------ traffic into the tasks
    def lb_sgs(self, lb: LoadBalancer) -> Any:
        """The load balancer's security groups: its own; the VPC default group for an Application
        Load Balancer that names none; None for a Network Load Balancer without groups (its
        targets then see its nodes' addresses)."""
        if lb.security_groups is not None:
            if isinstance(lb.security_groups, Unknown):
                return lb.security_groups
            out = [sg for sg, _ in lb.security_groups]
            unknowns = [sg for sg in out if isinstance(sg, Unknown)]
            if unknowns:
                return undecided(unknowns)
            if out:
                return out
        if isinstance(lb.type, Unknown):
            return lb.type
        if lb.type != "application":
            return None
        vpc = self.vpc_of_subnets(lb.subnets)
        return vpc if isinstance(vpc, Unknown) else [default_sg_id(vpc)]

    def vpc_of_subnets(self, subnets: Any) -> Any:
        """The VPC of the first subnet of a list that the state knows (an Unknown otherwise)."""
        if isinstance(subnets, Unknown):
            return subnets
        for sid, _ in subnets:
            if isinstance(sid, str) and sid in self.subnets:
                return self.subnets[sid].vpc
        return Unknown("the subnets are not known")

    def subnet_networks(self, subnets: Any) -> Any:
        """The CIDRs of a list of (subnet, path) (an Unknown when one is not known)."""
        if isinstance(subnets, Unknown):
            return subnets
        nets: List[Any] = []
        for sid, path in subnets:
            if isinstance(sid, Unknown):
                nets.append(sid)
            elif sid in self.subnets:
                nets.append(self.subnets[sid].cidr)
            else:
                nets.append(Unknown(f"subnet {sid} is not known", path))
        unknowns = [n for n in nets if isinstance(n, Unknown)]
        return undecided(unknowns) if unknowns else nets

    def _port_cover(self, rules: Sequence[Tuple[Rule, Tri]], lo: int, hi: int, what: str) -> Tri:
        """Do the rules whose peer matches (the Tri beside each) admit TCP on every port lo-hi
        together?  A rule for part of the range leaves it unknown when the rest is not covered
        (bridge tasks' dynamic host ports land somewhere in the range, fact 34)."""
        spans: List[Tuple[int, int]] = []
        unknowns: List[Unknown] = []
        partial = False
        for rule, peer in rules:
            if peer is False:
                continue
            span = _tcp_span(rule)
            if isinstance(span, Unknown) or isinstance(peer, Unknown):
                unknowns.append(span if isinstance(span, Unknown) else peer)  # type: ignore[arg-type]
                continue
            if span is None:
                continue
            spans.append(span)
        covered = lo
        for a, b in sorted(spans):
            if a > covered:
                break
            covered = max(covered, b + 1)
            if covered > hi:
                return True
        partial = any(not (b < lo or a > hi) for a, b in spans)
        if unknowns:
            return undecided(unknowns)
        if partial and lo != hi:
            return Unknown(f"{what} admits only part of TCP ports {lo}-{hi}")
        return False

    def ingress_from(self, sg_ids: Sequence[str], lo: int, hi: int, src_sgs: Sequence[str] = (), src_net: Any = None) -> Tri:
        """Does the union of these groups' ingress let TCP lo-hi in from a member of `src_sgs`,
        or from every address of network `src_net`?"""
        return self._rules_admit(sg_ids, False, lo, hi, src_sgs, src_net)

    def egress_toward(self, sg_ids: Sequence[str], lo: int, hi: int, dst_sgs: Sequence[str] = (), dst_net: Any = None) -> Tri:
        """Does the union of these groups' egress let TCP lo-hi out to a member of `dst_sgs` or
        to every address of `dst_net`?  A group without egress rules keeps allow-all (fact 16)."""
        return self._rules_admit(sg_ids, True, lo, hi, dst_sgs, dst_net)

    def _rules_admit(self, sg_ids: Sequence[str], egress: bool, lo: int, hi: int, peer_sgs: Sequence[str], peer_net: Any) -> Tri:
        rules: List[Tuple[Rule, Tri]] = []
        for sid in sg_ids:
            sg = self.sgs.get(sid)
            if sg is None:
                return Unknown(f"security group {sid} is not known")
            if egress and sg.default_egress:
                return True
            for rule in sg.egress if egress else sg.ingress:
                peer: List[Tri] = []
                if rule.peer_sg is not None:
                    peer.append(rule.peer_sg if isinstance(rule.peer_sg, Unknown) else rule.peer_sg in peer_sgs)
                if rule.cidr is not None:
                    peer.append(covers(rule.cidr, peer_net) if peer_net is not None else False)
                if rule.prefix_list is not None:
                    peer.append(rule.prefix_list if isinstance(rule.prefix_list, Unknown) else Unknown("a rule for a prefix list may cover it", rule.path))
                rules.append((rule, tri_any(peer)))
        return self._port_cover(rules, lo, hi, "the egress" if egress else "the ingress")


def _tcp_span(rule: Rule) -> Any:
    """The TCP ports a security group rule admits: (from, to), None for none, or an Unknown.
    (-1 and protocols other than tcp/udp/icmp/icmpv6 allow every port: fact 18.)"""
    proto = rule.protocol
    if isinstance(proto, Unknown):
        return proto
    if proto == "-1" or proto not in ("6", "17", "1", "58"):
        return (0, 65535)
    if proto != "6":
        return None
    lo, hi = rule.from_port, rule.to_port
    for x in (lo, hi):
        if isinstance(x, Unknown):
            return x
    if lo is None and hi is None:
        return (0, 65535)
    lo = -1 if lo is None else lo
    hi = lo if hi is None else hi
    if lo == -1 and hi == -1:
        return (0, 65535)
    return (lo, hi)
