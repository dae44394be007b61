"""Traffic into the tasks (issue 12), read from the template: Elastic Load Balancing v2 load
balancers and target groups, the listeners only as far as they tie a target group to its load
balancer (a listener's default actions, a listener rule's actions: never their conditions), the
workloads' `LoadBalancers` entries, and Service Connect.  A target group or load balancer named by
ARN, parameter or import stays an Unknown naming it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, List, Optional

from ...state import LbAttachment, LoadBalancer, ServiceConnect, TargetGroup
from ...values import Path, ResAtt, ResRef, Unknown, as_bool, as_int, first_unknown
from .references import Reader, literal_id_unknown

TG_TYPE = "AWS::ElasticLoadBalancingV2::TargetGroup"
LB_TYPE = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER_TYPE = "AWS::ElasticLoadBalancingV2::Listener"
NAMESPACE_TYPES = (
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
    "AWS::ServiceDiscovery::HttpNamespace",
    "AWS::ServiceDiscovery::PublicDnsNamespace",
)
_WORKLOAD_TYPES = ("AWS::ECS::Service", "AWS::ECS::TaskSet")


def _lower(value: Any, default: str) -> Any:
    return value.lower() if isinstance(value, str) else (default if value is None else (first_unknown(value) or Unknown("not known")))


def _ref(cx: Reader, value: Any, path: Path, rtype: str, what: str) -> Any:
    """The logical id of a template resource of `rtype` (Ref or GetAtt of it), else an Unknown."""
    if isinstance(value, (ResRef, ResAtt)) and cx.r.resource_type(value.logical_id) == rtype:
        if cx.r.present(value.logical_id):
            return value.logical_id
        return Unknown(f"{what} {value.logical_id} is not created in this scenario", path)
    return literal_id_unknown(value, what, path)


def add_load_balancer(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    lb_type = _lower(r.resolve(props.get("Type"), p + ("Type",)), "application")
    scheme = _lower(r.resolve(props.get("Scheme"), p + ("Scheme",)), "internet-facing")
    if "SubnetMappings" in props:
        subnets_path = p + ("SubnetMappings",)
        items = r.items(props["SubnetMappings"], subnets_path)
        subnets: Any = items if isinstance(items, Unknown) else [
            (cx.subnet_id(m.get("SubnetId"), ip + ("SubnetId",)) if isinstance(m, Mapping) else Unknown("a subnet mapping is not known", ip), ip + ("SubnetId",))
            for m, ip in items
        ]
    else:
        subnets_path = p + ("Subnets",) if "Subnets" in props else ("Resources", lid)
        subnets = cx.id_list(props.get("Subnets", []), subnets_path, cx.subnet_id)
    sgs = cx.id_list(props["SecurityGroups"], p + ("SecurityGroups",), cx.sg_id) if "SecurityGroups" in props else None
    cx.state.load_balancers[lid] = LoadBalancer(lid, lb_type, scheme, subnets, subnets_path, sgs, ("Resources", lid), cx.origin(lid, ("Resources", lid)))


def _attribute(cx: Reader, props: Mapping[str, Any], p: Path, key: str) -> Any:
    """A TargetGroupAttributes value by key (None when absent)."""
    items = cx.r.items(props.get("TargetGroupAttributes", []), p + ("TargetGroupAttributes",))
    if isinstance(items, Unknown):
        return items
    for item, ip in items:
        if isinstance(item, Mapping) and item.get("Key") == key:
            return as_bool(item.get("Value"), False, ip + ("Value",))
    return None


def add_target_group(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    target_type = _lower(r.resolve(props.get("TargetType"), p + ("TargetType",)), "instance")
    port = r.resolve(props.get("Port"), p + ("Port",)) if "Port" in props else None
    port = None if port is None else as_int(port, p + ("Port",), f"the Port of target group {lid}")
    hc = r.resolve(props.get("HealthCheckPort", "traffic-port"), p + ("HealthCheckPort",))
    if not (isinstance(hc, str) and hc == "traffic-port"):
        hc = as_int(hc, p + ("HealthCheckPort",), f"the HealthCheckPort of target group {lid}") if not isinstance(hc, Unknown) else hc
    protocol = r.resolve(props.get("Protocol"), p + ("Protocol",)) if "Protocol" in props else None
    health_protocol = r.resolve(props.get("HealthCheckProtocol"), p + ("HealthCheckProtocol",)) if "HealthCheckProtocol" in props else None
    cx.state.target_groups[lid] = TargetGroup(
        lid, target_type, port, protocol, hc, health_protocol,
        _attribute(cx, props, p, "preserve_client_ip.enabled"), [], ("Resources", lid), cx.origin(lid, ("Resources", lid)),
    )


def _forwarded(cx: Reader, actions: Any, path: Path) -> List[str]:
    """The template target groups that a listener's (or listener rule's) actions forward to."""
    items = cx.r.items(actions, path)
    if isinstance(items, Unknown):
        return []
    out: List[str] = []
    for action, ap in items:
        if not isinstance(action, Mapping):
            continue
        arns = [action.get("TargetGroupArn")]
        fc = action.get("ForwardConfig")
        if isinstance(fc, Mapping) and isinstance(fc.get("TargetGroups"), list):
            arns.extend(t.get("TargetGroupArn") for t in fc["TargetGroups"] if isinstance(t, Mapping))
        out.extend(a.logical_id for a in arns if isinstance(a, (ResRef, ResAtt)) and a.logical_id in cx.state.target_groups)
    return out


def _link(cx: Reader, tgs: List[str], lb: Any) -> None:
    for tg in tgs:
        known = cx.state.target_groups[tg].load_balancers
        if lb not in known:
            known.append(lb)


def add_listener(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    lb = _ref(cx, r.resolve(props.get("LoadBalancerArn"), p + ("LoadBalancerArn",)), p + ("LoadBalancerArn",), LB_TYPE, "load balancer")
    _link(cx, _forwarded(cx, props.get("DefaultActions"), p + ("DefaultActions",)), lb)


def add_listener_rule(cx: Reader, lid: str) -> None:
    """Only which load balancer a rule's target groups hang off (its conditions do not matter for
    health checks)."""
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    listener = _ref(cx, r.resolve(props.get("ListenerArn"), p + ("ListenerArn",)), p + ("ListenerArn",), LISTENER_TYPE, "listener")
    if isinstance(listener, Unknown):
        lb: Any = listener
    else:
        lp = ("Resources", listener, "Properties", "LoadBalancerArn")
        lb = _ref(cx, r.resolve(r.properties(listener).get("LoadBalancerArn"), lp), lp, LB_TYPE, "load balancer")
    _link(cx, _forwarded(cx, props.get("Actions"), p + ("Actions",)), lb)


def add_attachments(cx: Reader) -> None:
    """The `LoadBalancers` entries of the state's services and task sets (read after the
    workloads are built; a classic load balancer, by LoadBalancerName, is not modelled)."""
    r = cx.r
    for key, w in cx.state.workloads.items():
        lid = w.path[1] if len(w.path) > 1 else None
        if key != lid or r.resource_type(lid) not in _WORKLOAD_TYPES:
            continue
        p = ("Resources", lid, "Properties")
        props = r.properties(lid)
        if "LoadBalancers" not in props:
            continue
        items = r.items(props["LoadBalancers"], p + ("LoadBalancers",))
        if isinstance(items, Unknown):
            cx.state.lb_attachments.append(LbAttachment(key, items, items, items, p + ("LoadBalancers",)))
            continue
        for entry, ep in items:
            if not isinstance(entry, Mapping) or "TargetGroupArn" not in entry:
                continue
            tg = _ref(cx, entry.get("TargetGroupArn"), ep + ("TargetGroupArn",), TG_TYPE, "target group")
            name = entry.get("ContainerName")
            port = as_int(entry.get("ContainerPort"), ep + ("ContainerPort",), f"the ContainerPort of a LoadBalancers entry of {w.label}")
            container = name if isinstance(name, str) else (first_unknown(name) or Unknown(f"the container of a LoadBalancers entry of {w.label} is not known", ep + ("ContainerName",)))
            cx.state.lb_attachments.append(LbAttachment(key, container, port, tg, ep))


def _namespace(cx: Reader, value: Any, path: Path) -> Any:
    """A comparable key for a Service Connect namespace: the lid of the template's namespace
    (by reference, or by its Name), else the name or ARN as written."""
    if isinstance(value, (ResRef, ResAtt)) and cx.r.resource_type(value.logical_id) in NAMESPACE_TYPES:
        return value.logical_id
    if isinstance(value, str):
        for t in NAMESPACE_TYPES:
            for lid in cx.by_type.get(t, []):
                if cx.r.resolve(cx.r.properties(lid).get("Name"), ("Resources", lid, "Properties", "Name")) == value:
                    return lid
        return value
    return literal_id_unknown(value, "Service Connect namespace", path)


def _cluster_namespace(cx: Reader, props: Mapping[str, Any], p: Path) -> Optional[Any]:
    cluster = cx.r.resolve(props.get("Cluster"), p + ("Cluster",))
    if isinstance(cluster, ResRef):  # the adapter reads whatever a Cluster key names (values/conditions.py)
        cp = ("Resources", cluster.logical_id, "Properties", "ServiceConnectDefaults")
        defaults = cx.r.properties(cluster.logical_id).get("ServiceConnectDefaults")
        if isinstance(defaults, Mapping) and "Namespace" in defaults:
            return _namespace(cx, cx.r.resolve(defaults["Namespace"], cp + ("Namespace",)), cp + ("Namespace",))
        return None
    return Unknown("the service's cluster, whose default Service Connect namespace applies, is not defined in the templates given", p + ("Cluster",))


def add_service_connect(cx: Reader) -> None:
    """Service Connect configurations of the state's services (read after the workloads)."""
    r = cx.r
    for key, w in cx.state.workloads.items():
        lid = w.path[1] if len(w.path) > 1 else None
        if key != lid or r.resource_type(lid) != "AWS::ECS::Service":
            continue
        p = ("Resources", lid, "Properties")
        raw = r.properties(lid).get("ServiceConnectConfiguration")
        if not isinstance(raw, Mapping):
            continue
        sp = p + ("ServiceConnectConfiguration",)
        if as_bool(r.resolve(raw.get("Enabled"), sp + ("Enabled",)), False, sp + ("Enabled",)) is not True:
            continue
        if "Namespace" in raw:
            ns = _namespace(cx, r.resolve(raw["Namespace"], sp + ("Namespace",)), sp + ("Namespace",))
        else:
            ns = _cluster_namespace(cx, r.properties(lid), p)
            if ns is None:
                continue  # no namespace at all: the service cannot be created (not a network fault)
        servers: List[Any] = []
        items = r.items(raw.get("Services", []), sp + ("Services",))
        if not isinstance(items, Unknown):
            for entry, ep in items:
                if isinstance(entry, Mapping):
                    servers.append((entry.get("PortName"), as_int(entry["IngressPortOverride"], ep + ("IngressPortOverride",), "the IngressPortOverride") if "IngressPortOverride" in entry else None, ep))
        cx.state.service_connect[key] = ServiceConnect(key, ns, servers, sp)
