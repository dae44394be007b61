"""The container instances a workload's tasks run on, when the tasks use the instance's network
(`bridge`, `host`, a daemon) or the agent pulls through it (the EC2 launch type and ECS Managed
Instances, aws-facts 2 and 33): an Auto Scaling group of a capacity provider, the network
configuration of an ECS Managed Instances capacity provider, or an Auto Scaling group whose user
data joins the cluster (`ECS_CLUSTER=`).  Each is an `Instances` placement; what no template of the
set shows is an Unknown that says what to supply."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from ...values import Path, ResAtt, ResRef, Unknown, as_bool, first_unknown
from .references import Reader

_ASG = "AWS::AutoScaling::AutoScalingGroup"
_CAPACITY_PROVIDER = "AWS::ECS::CapacityProvider"
_FARGATE = ("FARGATE", "FARGATE_SPOT")
# `ECS_CLUSTER=name` or `ECS_CLUSTER=${Name}` in user data (the agent's ecs.config line)
_JOIN = re.compile(r"ECS_CLUSTER=(?:\$\{([^}$]+)\}|([A-Za-z0-9_-]+))")


@dataclass
class Instances:
    """Where a group of container instances runs: the same fields a workload's placement has."""

    lid: str  # the Auto Scaling group or capacity provider
    what: str  # "Auto Scaling group" | "capacity provider"
    subnets: Any
    subnets_path: Path
    net_path: Path
    security_groups: Any
    public_ip: Any  # None: the subnet's MapPublicIpOnLaunch decides


def asg_instances(cx: Reader, asg: str) -> Instances:
    """An Auto Scaling group's subnets, and its launch template's (or configuration's) security
    groups and public IP setting."""
    r = cx.r
    ap = ("Resources", asg, "Properties")
    aprops = r.properties(asg)
    subnets_path = ap + ("VPCZoneIdentifier",)
    if "VPCZoneIdentifier" in aprops:
        subnets: Any = cx.id_list(aprops["VPCZoneIdentifier"], subnets_path, cx.subnet_id)
        net_path = subnets_path
    else:
        subnets = Unknown(f"Auto Scaling group {asg} names no subnets (VPCZoneIdentifier)", ("Resources", asg))
        net_path = ("Resources", asg)
    inst = Instances(asg, "Auto Scaling group", subnets, subnets_path, net_path,
                     Unknown(f"the security groups of Auto Scaling group {asg}'s instances are not known", ("Resources", asg)), None)
    lt = aprops.get("LaunchTemplate")
    if isinstance(lt, Mapping):
        data, lp = _launch_template_data(cx, lt, ap + ("LaunchTemplate",))
        if data is not None:
            _from_launch_template(cx, inst, data, lp)
    elif aprops.get("LaunchConfigurationName") is not None:
        ref = r.resolve(aprops["LaunchConfigurationName"], ap + ("LaunchConfigurationName",))
        if isinstance(ref, ResRef) and r.resource_type(ref.logical_id) == "AWS::AutoScaling::LaunchConfiguration":
            cp = ("Resources", ref.logical_id, "Properties")
            cprops = r.properties(ref.logical_id)
            inst.security_groups = cx.id_list(cprops["SecurityGroups"], cp + ("SecurityGroups",), cx.sg_id) if "SecurityGroups" in cprops else []
            if "AssociatePublicIpAddress" in cprops:
                where = cp + ("AssociatePublicIpAddress",)
                inst.public_ip = as_bool(r.resolve(cprops["AssociatePublicIpAddress"], where), False, where)
    return inst


def _launch_template_data(cx: Reader, lt: Mapping[str, Any], path: Path) -> Tuple[Optional[Mapping[str, Any]], Path]:
    r = cx.r
    ref = r.resolve(lt.get("LaunchTemplateId", lt.get("LaunchTemplateName")), path)
    if isinstance(ref, (ResRef, ResAtt)) and r.resource_type(ref.logical_id) == "AWS::EC2::LaunchTemplate":
        lp = ("Resources", ref.logical_id, "Properties", "LaunchTemplateData")
        data = r.properties(ref.logical_id).get("LaunchTemplateData")
        if isinstance(data, Mapping):
            return data, lp
    return None, path


def _from_launch_template(cx: Reader, inst: Instances, data: Mapping[str, Any], lp: Path) -> None:
    r = cx.r
    nics = data.get("NetworkInterfaces")
    nic = nics[0] if isinstance(nics, list) and nics and isinstance(nics[0], Mapping) else None
    if nic is not None:
        if "Groups" in nic:
            inst.security_groups = cx.id_list(nic["Groups"], lp + ("NetworkInterfaces", 0, "Groups"), cx.sg_id)
        if "AssociatePublicIpAddress" in nic:
            where = lp + ("NetworkInterfaces", 0, "AssociatePublicIpAddress")
            inst.public_ip = as_bool(r.resolve(nic["AssociatePublicIpAddress"], where), False, where)
    if "SecurityGroupIds" in data:
        inst.security_groups = cx.id_list(data["SecurityGroupIds"], lp + ("SecurityGroupIds",), cx.sg_id)
    elif nic is None or "Groups" not in nic:
        inst.security_groups = []  # the VPC default group


def managed_instances(cx: Reader, cp: str) -> Instances:
    """An ECS Managed Instances capacity provider: InstanceLaunchTemplate.NetworkConfiguration
    places its instances.  Whether they get a public IP is not documented: unknown, which matters
    only in a subnet routed to an internet gateway."""
    r = cx.r
    base = ("Resources", cp, "Properties", "ManagedInstancesProvider", "InstanceLaunchTemplate", "NetworkConfiguration")
    mp = r.properties(cp).get("ManagedInstancesProvider")
    ilt = mp.get("InstanceLaunchTemplate") if isinstance(mp, Mapping) else None
    net = ilt.get("NetworkConfiguration") if isinstance(ilt, Mapping) else None
    public_ip = Unknown(f"whether the instances of ECS Managed Instances capacity provider {cp} get a public IP is not documented", base,
                        "give them a 0.0.0.0/0 route to a NAT gateway, or endpoints for what they reach")
    if not isinstance(net, Mapping):
        unk = first_unknown(r.resolve(net, base)) or Unknown(f"the network configuration of capacity provider {cp} is not known", base)
        return Instances(cp, "capacity provider", unk, base, base, unk, public_ip)
    subnets_path = base + ("Subnets",)
    subnets = cx.id_list(net.get("Subnets", []), subnets_path, cx.subnet_id)
    sgs = cx.id_list(net["SecurityGroups"], base + ("SecurityGroups",), cx.sg_id) if "SecurityGroups" in net else []
    return Instances(cp, "capacity provider", subnets, subnets_path, subnets_path, sgs, public_ip)


_ARN_OF = re.compile(r":capacity-provider/\$\{([A-Za-z0-9]+)\}$")


def _arn_ref(cx: Reader, raw: Any) -> Optional[ResRef]:
    """A capacity provider ARN built with Fn::Sub from its name (`...:capacity-provider/${CP}`):
    the capacity provider has no Arn attribute, so this is how templates write one (read as
    written, since the resolved string no longer says which resource it names)."""
    if isinstance(raw, Mapping) and len(raw) == 1 and "Fn::Sub" in raw:
        text = raw["Fn::Sub"]
        m = _ARN_OF.search(text) if isinstance(text, str) else None
        if m and cx.r.resource_type(m.group(1)) == _CAPACITY_PROVIDER:
            return ResRef(m.group(1))
    return None


def provider_instances(cx: Reader, value: Any, path: Path, raw: Any = None) -> Any:
    """The instances of one capacity provider a workload names (`raw`: the item as written):
    Instances, None for Fargate, or an Unknown (a provider or its Auto Scaling group the template
    set does not define)."""
    r = cx.r
    value = _arn_ref(cx, raw) or value
    if value in _FARGATE:
        return None
    if isinstance(value, (ResRef, ResAtt)) and r.resource_type(value.logical_id) == _CAPACITY_PROVIDER:
        cp = value.logical_id
        props = r.properties(cp)
        if isinstance(props.get("ManagedInstancesProvider"), Mapping):
            return managed_instances(cx, cp)
        asp = props.get("AutoScalingGroupProvider")
        if isinstance(asp, Mapping):
            apath = ("Resources", cp, "Properties", "AutoScalingGroupProvider", "AutoScalingGroupArn")
            asg = r.resolve(asp.get("AutoScalingGroupArn"), apath)
            if isinstance(asg, (ResRef, ResAtt)) and r.resource_type(asg.logical_id) == _ASG:
                return asg_instances(cx, asg.logical_id)
            return Unknown(f"the Auto Scaling group of capacity provider {cp} is not defined in the templates given", apath,
                           "pass the template that defines it")
        return Unknown(f"capacity provider {cp} has neither an Auto Scaling group nor a Managed Instances configuration", ("Resources", cp))
    if isinstance(value, str):
        return Unknown(f"capacity provider {value} is not defined in the templates given", path, "pass the template that defines it")
    return first_unknown(value) or Unknown("the capacity provider is not known", path)


def cluster_of(cx: Reader, props: Mapping[str, Any], p: Path, key: str = "Cluster") -> Any:
    """A workload's cluster: a template cluster (ResRef), a name or ARN, or "default" when absent."""
    if key not in props:
        return "default"
    return cx.r.resolve(props[key], p + (key,))


def cluster_name(cx: Reader, cluster: Any) -> Any:
    """The name instances' user data would write for this cluster (None when not decidable)."""
    if isinstance(cluster, (ResRef, ResAtt)):
        props = cx.r.properties(cluster.logical_id)
        name = cx.r.resolve(props.get("ClusterName"), ("Resources", cluster.logical_id, "Properties", "ClusterName")) if "ClusterName" in props else None
        return name if isinstance(name, str) else None
    if isinstance(cluster, str):
        return cluster.rsplit("/", 1)[-1]  # an ARN ends with the name
    return None


def cluster_providers(cx: Reader, cluster: Any) -> List[Tuple[Any, Path]]:
    """The capacity providers associated with a template cluster (associations, then the
    cluster's own CapacityProviders), with the path that names each."""
    r = cx.r
    found: List[Tuple[Any, Path]] = []
    if not isinstance(cluster, (ResRef, ResAtt)):
        return found
    assocs = cx.by_attached("AWS::ECS::ClusterCapacityProviderAssociations", "Cluster", False)
    for assoc in assocs.get(ResRef(cluster.logical_id), []):
        apath = ("Resources", assoc, "Properties", "CapacityProviders")
        listed = r.items(r.properties(assoc).get("CapacityProviders", []), apath)
        if not isinstance(listed, Unknown):
            found.extend(listed)
    cpath = ("Resources", cluster.logical_id, "Properties", "CapacityProviders")
    listed = r.items(r.properties(cluster.logical_id).get("CapacityProviders", []), cpath)
    if not isinstance(listed, Unknown):
        found.extend(listed)
    return found


def _joined_cluster(cx: Reader, node: Any, path: Path) -> Any:
    """The cluster that user data joins (`ECS_CLUSTER=`): a ResRef, a name, an Unknown, or None
    when the user data does not say.  Read from the template as written: the resolver cannot
    evaluate Fn::Base64, and a resolved Fn::Sub would lose which resource `${Cluster}` names."""
    r = cx.r
    if isinstance(node, Mapping) and len(node) == 1:
        (fn, arg), = node.items()
        if fn == "Fn::Base64":
            return _joined_cluster(cx, arg, path + (fn,))
        if fn == "Fn::Sub":
            text, names = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping) else (arg, {})
            m = _JOIN.search(text) if isinstance(text, str) else None
            if m is None:
                return None
            if m.group(2):
                return m.group(2)
            name = m.group(1)
            if name in names:
                return r.resolve(names[name], path + (fn, 1, name))
            if "." in name:
                return r.resolve({"Fn::GetAtt": name.split(".", 1)}, path + (fn,))
            return r.resolve({"Ref": name}, path + (fn,))
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            parts = arg[1]
            for i, part in enumerate(parts):
                if isinstance(part, str) and "ECS_CLUSTER=" in part:
                    m = _JOIN.search(part)
                    if m is not None and m.group(2):
                        return m.group(2)
                    if part.endswith("ECS_CLUSTER=") and i + 1 < len(parts):
                        return r.resolve(parts[i + 1], path + (fn, 1, i + 1))
            return None
        return None
    if isinstance(node, str):
        m = _JOIN.search(node)
        return (m.group(2) or None) if m else None
    return None


def _user_data(cx: Reader, asg: str) -> Tuple[Any, Path]:
    r = cx.r
    ap = ("Resources", asg, "Properties")
    aprops = r.properties(asg)
    lt = aprops.get("LaunchTemplate")
    if isinstance(lt, Mapping):
        data, lp = _launch_template_data(cx, lt, ap + ("LaunchTemplate",))
        if data is not None:
            return data.get("UserData"), lp + ("UserData",)
    lc = r.resolve(aprops.get("LaunchConfigurationName"), ap + ("LaunchConfigurationName",))
    if isinstance(lc, ResRef) and r.resource_type(lc.logical_id) == "AWS::AutoScaling::LaunchConfiguration":
        return r.properties(lc.logical_id).get("UserData"), ("Resources", lc.logical_id, "Properties", "UserData")
    return None, ap


def joining_asgs(cx: Reader, cluster: Any) -> Tuple[List[str], List[Unknown]]:
    """Auto Scaling groups whose instances' user data surely joins `cluster` (ECS_CLUSTER=), and an
    Unknown for each whose user data names a cluster that cannot be decided (it may be this one)."""
    name = cluster_name(cx, cluster)
    out: List[str] = []
    undecided: List[Unknown] = []
    for asg in cx.by_type.get(_ASG, []):
        node, path = _user_data(cx, asg)
        joined = _joined_cluster(cx, node, path)
        if isinstance(joined, (ResRef, ResAtt)) and isinstance(cluster, (ResRef, ResAtt)):
            if joined.logical_id == cluster.logical_id:
                out.append(asg)
        elif isinstance(joined, str) and name is not None and joined == name:
            out.append(asg)
        elif joined is not None and not isinstance(joined, (str, ResRef, ResAtt)):
            unk = first_unknown(joined) or Unknown("the cluster is not known", path)
            undecided.append(Unknown(f"which cluster the user data of Auto Scaling group {asg} joins (ECS_CLUSTER=) is not known: {unk.why}",
                                     unk.path or path, unk.hint))
    return out, undecided


def default_strategy(cx: Reader, cluster: Any) -> Tuple[Any, Path]:
    """The cluster's default capacity provider strategy: the last association's in template
    order, else the cluster's own (None when neither sets one)."""
    r = cx.r
    if not isinstance(cluster, (ResRef, ResAtt)):
        return None, ()
    assocs = cx.by_attached("AWS::ECS::ClusterCapacityProviderAssociations", "Cluster", False).get(ResRef(cluster.logical_id), [])
    for assoc in reversed(assocs):
        props = r.properties(assoc)
        if "DefaultCapacityProviderStrategy" in props:
            return props["DefaultCapacityProviderStrategy"], ("Resources", assoc, "Properties", "DefaultCapacityProviderStrategy")
    props = r.properties(cluster.logical_id)
    if "DefaultCapacityProviderStrategy" in props:
        return props["DefaultCapacityProviderStrategy"], ("Resources", cluster.logical_id, "Properties", "DefaultCapacityProviderStrategy")
    return None, ()


def _strategy_providers(cx: Reader, strategy: Any, path: Path) -> Any:
    items = cx.r.items(strategy, path)
    if isinstance(items, Unknown):
        return items
    return [(v.get("CapacityProvider"), ipath + ("CapacityProvider",)) for v, ipath in items if isinstance(v, Mapping)]


def workload_instances(cx: Reader, props: Mapping[str, Any], p: Path, launch_type_given: bool, cluster: Any) -> List[Any]:
    """Every group of instances a workload's tasks may run on in `cluster` (Instances, or an
    Unknown for a group the template set does not show); [] when none is found.

    The workload's CapacityProviderStrategy decides; without one and without a launch type, the
    cluster's default strategy; with the EC2 launch type (or no strategy at all), any instance
    registered to the cluster: those of its capacity providers, and Auto Scaling groups whose user
    data joins it."""
    providers: Any = None
    if "CapacityProviderStrategy" in props:
        providers = _strategy_providers(cx, props["CapacityProviderStrategy"], p + ("CapacityProviderStrategy",))
    elif not launch_type_given:
        strategy, spath = default_strategy(cx, cluster)
        if strategy is not None:
            providers = _strategy_providers(cx, strategy, spath)
    if isinstance(providers, Unknown):
        return [providers]
    out: List[Any] = []
    undecided: List[Unknown] = []
    if providers is None:  # the EC2 launch type: any instance registered to the cluster
        providers = cluster_providers(cx, cluster)
        asgs, undecided = joining_asgs(cx, cluster)
    else:
        asgs = []
    seen = set()
    for value, vpath in providers:
        got = provider_instances(cx, value, vpath)
        if got is None:
            continue
        key = got.lid if isinstance(got, Instances) else got.why
        if key not in seen:
            seen.add(key)
            out.append(got)
    for asg in asgs:
        if asg not in seen:
            seen.add(asg)
            out.append(asg_instances(cx, asg))
    out.extend(undecided)  # the tasks may run there too: judged once the cluster is known
    return out
