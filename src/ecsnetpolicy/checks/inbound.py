"""Rules 7xxx, traffic into the tasks (issue 12): a load balancer must be able to register the
tasks (EN7001 target type, EN7002 container and port), reach them on the traffic and health-check
ports (EN7003 task ingress, EN7004 load balancer egress, EN7006 network ACLs), from every
Availability Zone where they run (WN7005); and Service Connect clients must reach the servers of
their namespace (WN7007).

One pass per scenario (:func:`judge`, memoised on the Analysis) decides every flow once; each rule
yields its share, and what an unknown value kept open goes to IN9001 through
:func:`inbound_unknowns`.  The ports a load balancer sends to depend on the workload's network
mode: the container port in `awsvpc` and `host` mode, the mapped host port in `bridge` mode, where
a `HostPort` of 0 or none means a dynamic port from the container instance's ephemeral range."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from ..engine import Analysis
from ..findings import Fix, Raw
from ..phrasing import join as _join
from ..state import (
    ANY_V4,
    LbAttachment,
    LoadBalancer,
    TargetGroup,
    Tri,
    Workload,
    az_label,
    same_az,
    tri_all,
    tri_any,
)
from ..values import Unknown, as_int
from .base import _key_path, _props, anchor, in_template, key_anchor, ref_or_id
from .tasks import _containers

# Bridge mode, HostPort 0 or absent: Docker takes a host port from the instance's ephemeral range,
# /proc/sys/net/ipv4/ip_local_port_range (Linux default 32768-60999), else 49153-65535 (ECS
# PortMapping.hostPort).  Which one applies is the instance's, not the template's: groups must
# admit the union to be surely right; admitting none of it is surely wrong; part of it is unknown.
DYNAMIC_PORTS = (32768, 65535)
# the return traffic of a load balancer's connections: its nodes' ephemeral source ports (fact 21)
RETURN_PORTS = (1024, 65535)
# target group protocols whose client IP preservation is always on (ELB "Client IP preservation")
_ALWAYS_PRESERVED = ("UDP", "TCP_UDP", "QUIC", "TCP_QUIC")

Ports = Tuple[int, int]
Item = Tuple[Unknown, Workload, str, Any]  # what coverage.in9001 reports: (unknown, workload, what, subnet)


@dataclass
class Flow:
    """One load balancer sending to one workload's tasks through one target group."""

    att: LbAttachment
    w: Workload
    tg: TargetGroup
    lb: LoadBalancer
    traffic: Ports
    health: Ports
    dynamic: bool  # bridge mode with a dynamic host port


@dataclass
class Judgement:
    raws: Dict[str, List[Raw]] = field(default_factory=dict)
    unknowns: List[Item] = field(default_factory=list)

    def add(self, raw: Raw) -> None:
        self.raws.setdefault(raw.rule_id, []).append(raw)

    def unknown(self, value: Any, w: Workload, what: str) -> None:
        for u in getattr(value, "blockers", None) or (value,):
            if isinstance(u, Unknown):
                self.unknowns.append((u, w, what, None))


def judge(a: Analysis) -> Judgement:
    """Every inbound decision of this scenario, once."""
    found = a.__dict__.get("_inbound")
    if found is None:
        found = Judgement()
        flows = _flows(a, found)
        for flow in flows:
            _ingress(a, flow, found)
            _egress(a, flow, found)
            _nacls(a, flow, found)
        _azs(a, flows, found)
        _service_connect(a, found)
        a.__dict__["_inbound"] = found
    return found


def _ports_text(ports: Ports, dynamic: bool = False) -> str:
    if dynamic:
        return f"the dynamic host ports ({ports[0]}-{ports[1]})"
    return f"TCP {ports[0]}" if ports[0] == ports[1] else f"TCP {ports[0]}-{ports[1]}"


def _groups(sgs: Sequence[str], first: bool = True) -> str:
    """ "Security group X" / "Security groups X and Y" (capitalised where it starts a message)."""
    return f"{'S' if first else 's'}ecurity group{'s' if len(sgs) > 1 else ''} {_label_sgs(sgs)}"


def _label_sgs(sgs: Sequence[str]) -> str:
    return _join([f"the default security group of VPC {s.split(':', 1)[1]}" if s.startswith("default-sg:") else s for s in sgs])


# ------------------------------------------------------------------ EN7001, EN7002 and the flows
def _container(a: Analysis, w: Workload, name: str) -> Any:
    """The container definition named `name` in the workload's task definition: a mapping, None
    (there is none), or an Unknown."""
    td = w.task_definition
    if isinstance(td, Unknown):
        return td
    items = a.resolver.items(a.resolver.properties(td).get("ContainerDefinitions", []), _props(td) + ("ContainerDefinitions",))
    if isinstance(items, Unknown):
        return items
    containers = _containers(a, td)
    names = [c.get("Name") for c, _ in containers]
    for c, _ in containers:
        if c.get("Name") == name:
            return c
    unknown = next((n for n in names if not isinstance(n, str)), None)
    return Unknown("a container name of the task definition is not known", _props(td) + ("ContainerDefinitions",)) if unknown is not None else None


def _mapping(c: Mapping[str, Any], port: int) -> Any:
    """The port mapping of container `c` for container port `port`: a mapping, None, or an Unknown."""
    maps = c.get("PortMappings")
    if maps is None:
        return None
    if not isinstance(maps, list):
        return Unknown("the container's PortMappings are not known")
    undecided: Optional[Unknown] = None
    for m in maps:
        if not isinstance(m, Mapping):
            undecided = undecided or Unknown("a port mapping of the container is not known")
            continue
        cp = as_int(m.get("ContainerPort")) if m.get("ContainerPort") is not None else None
        if cp == port:
            return m
        rng = m.get("ContainerPortRange")
        if isinstance(rng, str) and "-" in rng:
            lo, _, hi = rng.partition("-")
            if lo.strip().isdigit() and hi.strip().isdigit() and int(lo) <= port <= int(hi):
                return m
        if isinstance(cp, Unknown):
            undecided = undecided or cp
    return undecided


def _flows(a: Analysis, j: Judgement) -> List[Flow]:
    st = a.state
    flows: List[Flow] = []
    en7001: Dict[str, List[Workload]] = {}
    for att in st.lb_attachments:
        w = st.workloads[att.workload]
        what = "the load balancer traffic into tasks of {w}"
        tg_id = att.target_group
        if isinstance(tg_id, Unknown):
            j.unknown(tg_id, w, what)
            continue
        tg = st.target_groups[tg_id]
        mode = w.network_mode
        if isinstance(mode, Unknown):
            j.unknown(mode, w, what)
            continue
        if mode == "awsvpc":
            if isinstance(tg.target_type, Unknown):
                j.unknown(tg.target_type, w, f"that target group {tg.lid} can register tasks of {{w}}")
            elif tg.target_type != "ip":
                en7001.setdefault(tg.lid, []).append(w)
                continue
        ports = _ports(a, w, att, j)
        if ports is None:
            continue
        traffic, dynamic = ports
        health: Any = traffic if tg.health_port == "traffic-port" else tg.health_port
        if isinstance(health, Unknown):
            j.unknown(health, w, what)
            continue
        if isinstance(health, int):
            health = (health, health)
        if not tg.load_balancers:
            j.unknown(Unknown(f"no listener in the templates given forwards to target group {tg.lid}, so which load balancer sends to it is not known",
                              tg.path, "pass the template that defines the listener"), w, what)
            continue
        for lb_id in tg.load_balancers:
            if isinstance(lb_id, Unknown):
                j.unknown(lb_id, w, what)
                continue
            flows.append(Flow(att, w, tg, st.load_balancers[lb_id], traffic, health, dynamic))
    for tg_lid, ws in en7001.items():
        _en7001(a, st.target_groups[tg_lid], ws, j)
    return flows


def _en7001(a: Analysis, tg: TargetGroup, ws: List[Workload], j: Judgement) -> None:
    labels = _join([w.label for w in ws])
    written = "TargetType" in a.resolver.properties(tg.lid)
    kind = f"TargetType {tg.target_type}" if written else "no TargetType (CloudFormation's default is instance)"
    j.add(Raw(
        "EN7001",
        _key_path(a, tg.lid, "TargetType"),
        f"Target group {tg.lid} has {kind}, but {labels} {'run' if len(ws) > 1 else 'runs'} tasks in awsvpc network mode, which "
        f"register with the load balancer by IP address, so CloudFormation cannot create {'them' if len(ws) > 1 else 'it'} (\"target type {tg.target_type} "
        f"is incompatible with the awsvpc network mode\"); set TargetType: ip on {tg.lid}.",
        ws[0].lid,
        Fix(_props(tg.lid), "TargetType", "ip"),
    ))


def _ports(a: Analysis, w: Workload, att: LbAttachment, j: Judgement) -> Optional[Tuple[Ports, bool]]:
    """(the ports the load balancer sends to, dynamic?) for one LoadBalancers entry; EN7002
    when the entry names no container or an unmapped port; None when it cannot be judged."""
    what = "the container and port that the load balancer sends to in tasks of {w}"
    for value in (att.container, att.port):
        if isinstance(value, Unknown):
            j.unknown(value, w, what)
            return None
    c = _container(a, w, att.container)
    if isinstance(c, Unknown):
        j.unknown(c if c.path else Unknown(c.why, att.path), w, what)
        return None
    td = w.task_definition
    if c is None:
        j.add(Raw(
            "EN7002",
            att.path,
            f"The LoadBalancers entry of {w.label} names container {att.container}, which task definition {td} does not define, "
            f"so CloudFormation cannot create the {w.kind} (\"The container {att.container} does not exist in the task definition\"); "
            f"set ContainerName to a container of {td}.",
            w.lid,
        ))
        return None
    m = _mapping(c, att.port)
    if isinstance(m, Unknown):
        j.unknown(m if m.path else Unknown(m.why, att.path), w, what)
        return None
    if m is None:
        j.add(Raw(
            "EN7002",
            att.path,
            f"The LoadBalancers entry of {w.label} sends to port {att.port} of container {att.container}, which maps no such "
            f"container port in task definition {td}, so CloudFormation cannot create the {w.kind} (\"The container "
            f"{att.container} did not have a container port {att.port} defined\"); add a PortMappings entry with ContainerPort: "
            f"{att.port} to {att.container}, or set ContainerPort to a port it maps.",
            w.lid,
        ))
        return None
    if w.network_mode != "bridge":
        return (att.port, att.port), False  # awsvpc, host: the container port is the host port
    host = m.get("HostPort")
    host_port = 0 if host is None else as_int(host)
    if isinstance(host_port, Unknown):
        j.unknown(Unknown(host_port.why, att.path, host_port.hint), w, what)
        return None
    if host_port == 0:
        return DYNAMIC_PORTS, True
    return (host_port, host_port), False


# ------------------------------------------------------------------ EN7003, EN7004
def _task_sgs(a: Analysis, w: Workload) -> Any:
    vpc = a.state.vpc_of_subnets(w.subnets)
    return a.state.sg_list(w, vpc)


def _needed(flow: Flow) -> List[Tuple[Ports, str]]:
    """The port ranges the load balancer needs open, and what each is for."""
    if flow.traffic == flow.health:
        return [(flow.traffic, "traffic and health checks")]
    return [(flow.traffic, "traffic"), (flow.health, "health checks")]


def _preserved(flow: Flow) -> Tri:
    """Does the target group preserve client IPs (Network Load Balancer only)?"""
    tg = flow.tg
    if flow.lb.type != "network":
        return False
    if isinstance(tg.preserve_client_ip, Unknown):
        return tg.preserve_client_ip
    if isinstance(tg.protocol, str) and tg.protocol.upper() in _ALWAYS_PRESERVED:
        return True
    if tg.preserve_client_ip is not None:
        return tg.preserve_client_ip
    if isinstance(tg.target_type, Unknown):
        return tg.target_type
    return tg.target_type == "instance"


def _ingress(a: Analysis, flow: Flow, j: Judgement) -> None:
    st, w, lb = a.state, flow.w, flow.lb
    what = f"that security groups of {{w}} admit load balancer {lb.lid}"
    task_sgs = _task_sgs(a, w)
    lb_sgs = st.lb_sgs(lb)
    nets = st.subnet_networks(lb.subnets)
    for value in (task_sgs, lb_sgs):
        if isinstance(value, Unknown):
            j.unknown(value, w, what)
            return
    blocked: List[Tuple[Ports, str]] = []
    for ports, use in _needed(flow):
        by_sg: Tri = st.ingress_from(task_sgs, ports[0], ports[1], src_sgs=lb_sgs) if lb_sgs else False
        by_net = nets if isinstance(nets, Unknown) else tri_all([st.ingress_from(task_sgs, ports[0], ports[1], src_net=n) for n in nets])
        ok = tri_any([by_sg, by_net])
        if ok is True and by_sg is not True and use != "health checks":
            preserved = _preserved(flow)
            if preserved is not False:
                clients = st.ingress_from(task_sgs, ports[0], ports[1], src_net=ANY_V4)
                if clients is False:
                    clients = Unknown(f"target group {flow.tg.lid} preserves client IP addresses, so tasks see the clients of load balancer {lb.lid}, whose addresses are not in the template",
                                      flow.tg.path, "admit the clients' CIDRs on the task security group, or give the Network Load Balancer a security group and admit it")
                ok = True if clients is True else (clients if preserved is True else preserved)
        if isinstance(ok, Unknown):
            j.unknown(ok, w, what)
        elif ok is False:
            blocked.append((ports, use))
    if blocked:
        _en7003(a, flow, task_sgs, lb_sgs, blocked, j)


def _source_text(a: Analysis, lb: LoadBalancer, lb_sgs: Any) -> str:
    if lb_sgs:
        return f"load balancer {lb.lid} (security group {_label_sgs(lb_sgs)})"
    return f"load balancer {lb.lid} (a Network Load Balancer without security groups, whose nodes send from the CIDRs of its subnets {_join([str(s) for s, _ in lb.subnets])})"


def _refers_to(node: Any, lid: str) -> bool:
    """Does a template value name resource `lid` (Ref, Fn::GetAtt, or ${lid} in Fn::Sub)?  Hand-written
    walk: only to keep a Fix from making two groups name each other (a circular dependency, E3004)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Mapping):
            if n.get("Ref") == lid:
                return True
            att = n.get("Fn::GetAtt")
            if (isinstance(att, list) and att and att[0] == lid) or (isinstance(att, str) and att.split(".", 1)[0] == lid):
                return True
            sub = n.get("Fn::Sub")
            text = sub[0] if isinstance(sub, list) and sub else sub
            if isinstance(text, str) and ("${" + lid + "}" in text or "${" + lid + "." in text):
                return True
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    return False


def _cycle_free(a: Analysis, group: str, peer: str) -> bool:
    """May group `group` name group `peer` inline without a circular dependency?"""
    return not _refers_to(a.resolver.resources.get(peer, {}).get("Properties") if isinstance(a.resolver.resources.get(peer), Mapping) else None, group)


def _en7003(a: Analysis, flow: Flow, task_sgs: List[str], lb_sgs: Any, blocked: List[Tuple[Ports, str]], j: Judgement) -> None:
    st, w, lb = a.state, flow.w, flow.lb
    first = task_sgs[0]
    sg = st.sgs.get(first)
    ports_text = _join([f"{_ports_text(p, flow.dynamic and p == flow.traffic)} ({use})" for p, use in blocked])
    fix = None
    if sg is not None and in_template(sg) and not first.startswith("default-sg:") and len(blocked) == 1:
        lo, hi = blocked[0][0]
        rule: Dict[str, Any] = {"IpProtocol": "tcp", "FromPort": lo, "ToPort": hi}
        if lb_sgs and len(lb_sgs) == 1 and not lb_sgs[0].startswith("default-sg:") and _cycle_free(a, first, lb_sgs[0]):
            rule["SourceSecurityGroupId"] = ref_or_id(lb_sgs[0], st.sgs.get(lb_sgs[0]))
            fix = Fix(_props(first), "SecurityGroupIngress", rule, "append")
        elif not lb_sgs and isinstance(lb.subnets, list) and len(lb.subnets) == 1:
            net = st.subnet_networks(lb.subnets)
            if isinstance(net, list) and net[0] is not None:
                rule["CidrIp"] = str(net[0])
                fix = Fix(_props(first), "SecurityGroupIngress", rule, "append")
    source = f"security group {_label_sgs(lb_sgs)}" if lb_sgs else f"the CIDRs of subnets {_join([str(s) for s, _ in lb.subnets])} of {lb.lid}"
    where = key_anchor(a, sg, "SecurityGroupIngress") if sg is not None else tuple(w.path)
    j.add(Raw(
        "EN7003",
        where,
        f"{_groups(task_sgs)} of {w.label} {'do' if len(task_sgs) > 1 else 'does'} not allow {ports_text} in from {_source_text(a, lb, lb_sgs)}, "
        f"which sends to them through target group {flow.tg.lid}, so its health checks fail and ECS stops the tasks as unhealthy "
        f"and starts new ones (\"Task failed ELB health checks\") until the deployment fails or never completes; add to "
        f"{first if not first.startswith('default-sg:') else 'the task security group'} an ingress rule for "
        f"{_join([_ports_text(p) for p, _ in blocked])} from {source}.",
        w.lid,
        fix,
    ))


def _egress(a: Analysis, flow: Flow, j: Judgement) -> None:
    st, w, lb = a.state, flow.w, flow.lb
    lb_sgs = st.lb_sgs(lb)
    if not lb_sgs or isinstance(lb_sgs, Unknown):
        return  # no groups: all traffic leaves; unknown groups: said by _ingress
    task_sgs = _task_sgs(a, w)
    if isinstance(task_sgs, Unknown):
        return
    what = f"that load balancer {lb.lid} may send to tasks of {{w}}"
    nets = st.subnet_networks(w.subnets)
    blocked: List[Tuple[Ports, str]] = []
    for ports, use in _needed(flow):
        by_sg = st.egress_toward(lb_sgs, ports[0], ports[1], dst_sgs=task_sgs)
        by_net = nets if isinstance(nets, Unknown) else tri_all([st.egress_toward(lb_sgs, ports[0], ports[1], dst_net=n) for n in nets])
        ok = tri_any([by_sg, by_net])
        if isinstance(ok, Unknown):
            j.unknown(ok, w, what)
        elif ok is False:
            blocked.append((ports, use))
    if not blocked:
        return
    first = lb_sgs[0]
    sg = st.sgs.get(first)
    fix = None
    if (sg is not None and in_template(sg) and not first.startswith("default-sg:") and len(blocked) == 1
            and not task_sgs[0].startswith("default-sg:") and _cycle_free(a, first, task_sgs[0])):
        lo, hi = blocked[0][0]
        fix = Fix(_props(first), "SecurityGroupEgress", {"IpProtocol": "tcp", "FromPort": lo, "ToPort": hi,
                                                         "DestinationSecurityGroupId": ref_or_id(task_sgs[0], st.sgs.get(task_sgs[0]))}, "append")
    ports_text = _join([f"{_ports_text(p, flow.dynamic and p == flow.traffic)} ({use})" for p, use in blocked])
    j.add(Raw(
        "EN7004",
        key_anchor(a, sg, "SecurityGroupEgress") if sg is not None else tuple(lb.path),
        f"{_groups(lb_sgs)} of load balancer {lb.lid} {'have' if len(lb_sgs) > 1 else 'has'} egress rules that do not allow {ports_text} out to "
        f"tasks of {w.label} ({_groups(task_sgs, False)}), so its health checks on target group {flow.tg.lid} fail "
        f"and ECS stops the tasks as unhealthy and starts new ones (\"Task failed ELB health checks\"); add to {first} an egress "
        f"rule for {_join([_ports_text(p) for p, _ in blocked])} to security group {_label_sgs(task_sgs[:1])}.",
        w.lid,
        fix,
    ))


# ------------------------------------------------------------------ WN7005
def _azs(a: Analysis, flows: List[Flow], j: Judgement) -> None:
    st = a.state
    seen = set()
    for flow in flows:
        w, lb = flow.w, flow.lb
        if (w.lid, lb.lid) in seen or isinstance(w.subnets, Unknown):
            continue
        seen.add((w.lid, lb.lid))
        what = f"that load balancer {lb.lid} has a subnet in every Availability Zone of tasks of {{w}}"
        if isinstance(lb.subnets, Unknown):
            j.unknown(lb.subnets if lb.subnets.path else Unknown(lb.subnets.why, lb.subnets_path, lb.subnets.hint), w, what)
            continue
        lb_azs = [st.az_of(s) if not isinstance(s, Unknown) else s for s, _ in lb.subnets]
        missing: List[str] = []
        for sid, spath in w.subnets:
            if isinstance(sid, Unknown) or sid not in st.subnets:
                continue  # said by the engine ("where tasks of ... run")
            covered = tri_any([same_az(st.az_of(sid), z) for z in lb_azs])
            if isinstance(covered, Unknown):
                j.unknown(covered if covered.path else Unknown(covered.why, lb.subnets_path, covered.hint), w, what)
            elif covered is False:
                missing.append(sid)
        if missing:
            azs = _join([az_label(st.az_of(s)) for s in missing])
            j.add(Raw(
                "WN7005",
                tuple(lb.subnets_path) if in_template(lb) else tuple(lb.path),
                f"Load balancer {lb.lid} has no subnet in the Availability Zone of subnet{'s' if len(missing) > 1 else ''} "
                f"{_join(missing)} ({azs}), where tasks of {w.label} run, so their targets in target group {flow.tg.lid} stay "
                f"unused and get no traffic (the other zones carry the load, and lose their spare capacity); add a subnet in "
                f"that zone to {lb.lid}, or run the tasks only in zones the load balancer has.",
                w.lid,
            ))


# ------------------------------------------------------------------ EN7006
def _nacls(a: Analysis, flow: Flow, j: Judgement) -> None:
    st, w, lb = a.state, flow.w, flow.lb
    if not st.subnet_nacl or isinstance(w.subnets, Unknown) or isinstance(lb.subnets, Unknown):
        return
    what = f"that network ACLs pass the traffic of load balancer {lb.lid} to tasks of {{w}}"
    reported = a.__dict__.setdefault("_inbound_nacl", set())
    for ports, _use in _needed(flow):
        for ls, _ in lb.subnets:
            for ts, _ in w.subnets:
                if not (isinstance(ls, str) and isinstance(ts, str)) or ls == ts or ls not in st.subnets or ts not in st.subnets:
                    continue  # a network ACL does not filter traffic inside one subnet
                lnet, tnet = st.subnets[ls].cidr, st.subnets[ts].cidr
                flows = (
                    (ls, True, ports, tnet, f"{_ports_text(ports)} out of load balancer subnet {ls} to task subnet {ts} ({tnet})"),
                    (ts, False, ports, lnet, f"{_ports_text(ports)} into task subnet {ts} from load balancer subnet {ls} ({lnet})"),
                    (ts, True, RETURN_PORTS, lnet, f"the return traffic, TCP 1024-65535, out of task subnet {ts} to load balancer subnet {ls} ({lnet})"),
                    (ls, False, RETURN_PORTS, tnet, f"the return traffic, TCP 1024-65535, into load balancer subnet {ls} from task subnet {ts} ({tnet})"),
                )
                for subnet, egress, fports, peer, label in flows:
                    if isinstance(peer, Unknown):
                        j.unknown(peer, w, what)
                        continue
                    allowed, entry = st.nacl_decision(subnet, egress, fports, peer)
                    if isinstance(allowed, Unknown):
                        j.unknown(allowed, w, what)
                    elif allowed is False:
                        acl = st.nacls[st.subnet_nacl[subnet]]
                        path = tuple(entry.path) if entry is not None else tuple(acl.path)
                        key = (path, w.lid, lb.lid)
                        if key in reported:
                            continue
                        reported.add(key)
                        how = f"entry {entry.path[1]} denies" if entry is not None else "no entry allows"
                        before = f" with a rule number below {entry.number}" if entry is not None else ""
                        j.add(Raw(
                            "EN7006",
                            anchor(entry) if entry is not None else anchor(acl),
                            f"Network ACL {acl.lid} of subnet {subnet}: {how} {label}, which load balancer {lb.lid} needs to reach "
                            f"tasks of {w.label} through target group {flow.tg.lid} (network ACLs are stateless), so its health checks "
                            f"fail and ECS stops the tasks as unhealthy and starts new ones (\"Task failed ELB health checks\"); add "
                            f"to {acl.lid} an allow entry for that traffic{before}.",
                            w.lid,
                        ))


# ------------------------------------------------------------------ WN7007
def _server_port(a: Analysis, w: Workload, port_name: Any, override: Any) -> Any:
    if override is not None:
        return override
    td = w.task_definition
    if isinstance(td, Unknown):
        return td
    for c, _ in _containers(a, td):
        maps = c.get("PortMappings")
        for m in maps if isinstance(maps, list) else []:
            if isinstance(m, Mapping) and m.get("Name") == port_name:
                return as_int(m.get("ContainerPort"))
    return None  # no such port name: the service cannot be created (not a network fault)


def _service_connect(a: Analysis, j: Judgement) -> None:
    st = a.state
    by_ns: Dict[Any, List[str]] = {}
    for key, sc in st.service_connect.items():
        if isinstance(sc.namespace, Unknown):
            if len(st.service_connect) > 1:  # alone, it has no peer of the template to reach or serve
                j.unknown(sc.namespace, st.workloads[key], "which Service Connect namespace {w} is in")
            continue
        by_ns.setdefault(sc.namespace, []).append(key)
    for members in by_ns.values():
        for server_key in members:
            server = st.workloads[server_key]
            for port_name, override, _path in st.service_connect[server_key].servers:
                port = _server_port(a, server, port_name, override)
                if isinstance(port, Unknown):
                    j.unknown(port, server, "the port tasks of {w} serve Service Connect on")
                    continue
                if port is None:
                    continue
                for client_key in members:
                    if client_key != server_key:
                        _sc_pair(a, st.workloads[client_key], server, port, j)


def _sc_pair(a: Analysis, client: Workload, server: Workload, port: int, j: Judgement) -> None:
    st = a.state
    what = f"that tasks of {{w}} reach Service Connect server {server.label} on TCP {port}"
    c_sgs, s_sgs = _task_sgs(a, client), _task_sgs(a, server)
    for value in (c_sgs, s_sgs):
        if isinstance(value, Unknown):
            j.unknown(value, client, what)
            return
    s_nets, c_nets = st.subnet_networks(server.subnets), st.subnet_networks(client.subnets)
    out = tri_any([st.egress_toward(c_sgs, port, port, dst_sgs=s_sgs),
                   s_nets if isinstance(s_nets, Unknown) else tri_all([st.egress_toward(c_sgs, port, port, dst_net=n) for n in s_nets])])
    into = tri_any([st.ingress_from(s_sgs, port, port, src_sgs=c_sgs),
                    c_nets if isinstance(c_nets, Unknown) else tri_all([st.ingress_from(s_sgs, port, port, src_net=n) for n in c_nets])])
    for ok in (out, into):
        if isinstance(ok, Unknown):
            j.unknown(ok, client, what)
    if out is False:
        sg = st.sgs.get(c_sgs[0])
        j.add(Raw(
            "WN7007",
            key_anchor(a, sg, "SecurityGroupEgress") if sg is not None else tuple(client.path),
            f"{_groups(c_sgs)} of Service Connect client {client.label} {'do' if len(c_sgs) > 1 else 'does'} not allow TCP {port} out to "
            f"{server.label} ({_groups(s_sgs, False)}) of the same namespace, so its requests to that service time "
            f"out; add to {c_sgs[0]} an egress rule for TCP {port} to security group {_label_sgs(s_sgs[:1])}.",
            client.lid,
        ))
    if into is False:
        sg = st.sgs.get(s_sgs[0])
        j.add(Raw(
            "WN7007",
            key_anchor(a, sg, "SecurityGroupIngress") if sg is not None else tuple(server.path),
            f"{_groups(s_sgs)} of Service Connect server {server.label} {'do' if len(s_sgs) > 1 else 'does'} not allow TCP {port} in from "
            f"{client.label} ({_groups(c_sgs, False)}) of the same namespace, so that client's requests to it time "
            f"out; add to {s_sgs[0]} an ingress rule for TCP {port} from security group {_label_sgs(c_sgs[:1])}.",
            server.lid,
        ))


# ------------------------------------------------------------------ the rules
def _rule(rule_id: str):
    def check(a: Analysis) -> Iterator[Raw]:
        yield from judge(a).raws.get(rule_id, [])

    check.__name__ = rule_id.lower()
    check.__doc__ = f"{rule_id}: see the module docstring and docs/rules/{rule_id}.md."
    return check


en7001 = _rule("EN7001")
en7002 = _rule("EN7002")
en7003 = _rule("EN7003")
en7004 = _rule("EN7004")
wn7005 = _rule("WN7005")
en7006 = _rule("EN7006")
wn7007 = _rule("WN7007")


def inbound_unknowns(a: Analysis) -> List[Item]:
    """What kept an inbound decision open, for IN9001 (coverage.in9001)."""
    return judge(a).unknowns
