"""ECS workloads read from the template: task definitions, services, task sets and scheduled
tasks (EventBridge rules, EventBridge Scheduler), with their placement (subnets, security groups,
public IP), launch type, and for the EC2 launch type the container instances' side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, List

from ...state import Workload
from ...values import TOO_COSTLY, TOO_LARGE, Path, ResAtt, ResRef, Unknown, as_bool, first_unknown
from .references import Reader


def add_task_definition(cx: Reader, lid: str) -> None:
    cx.state.task_definitions[lid] = cx.r.properties(lid)


def add_workload(cx: Reader, lid: str, kind: str) -> None:
    p = ("Resources", lid, "Properties")
    _add_placement(cx, lid, lid, kind, cx.r.properties(lid), p, "TaskDefinition", ("Resources", lid))


def add_scheduled(cx: Reader, lid: str) -> None:
    """Scheduled tasks: EventBridge rule targets and EventBridge Scheduler schedules."""
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    if r.resource_type(lid) == "AWS::Scheduler::Schedule":
        target = props.get("Target")
        if isinstance(target, Mapping) and isinstance(target.get("EcsParameters"), Mapping):
            ep = p + ("Target", "EcsParameters")
            _add_placement(cx, lid, lid, "scheduled task", target["EcsParameters"], ep, "TaskDefinitionArn", ("Resources", lid))
        return
    targets = props.get("Targets")
    if not isinstance(targets, list):
        return
    ecs_targets = [(i, t) for i, t in enumerate(targets) if isinstance(t, Mapping) and isinstance(t.get("EcsParameters"), Mapping)]
    for n, (i, t) in enumerate(ecs_targets):
        key = lid if n == 0 else f"{lid}#{n + 1}"
        ep = p + ("Targets", i, "EcsParameters")
        _add_placement(cx, key, key, "scheduled task", t["EcsParameters"], ep, "TaskDefinitionArn", ("Resources", lid))


def _add_placement(cx: Reader, key: str, lid: str, kind: str, props: Mapping[str, Any], p: Path, td_key: str, path: Path) -> None:
    r = cx.r
    net = props.get("NetworkConfiguration")
    if net is None:
        return  # not awsvpc (bridge/host networking): out of our scope
    net_path = p + ("NetworkConfiguration",)
    net_v = r.resolve(net, net_path)
    # AWS::ECS::Service spells it AwsvpcConfiguration, TaskSet and EventBridge AwsVpcConfiguration
    key_name = "AwsVpcConfiguration" if isinstance(net, Mapping) and "AwsVpcConfiguration" in net else "AwsvpcConfiguration"
    aws = net.get(key_name) if isinstance(net, Mapping) else None
    aws_path = net_path + (key_name,)
    if not isinstance(aws, Mapping):
        unk = first_unknown(net_v) or Unknown(f"NetworkConfiguration of {lid} is not known", net_path)
        subnets: Any = unk
        sgs: Any = unk
        public_ip: Any = unk
        subnets_path = net_path
    else:
        subnets_path = aws_path + ("Subnets",)
        subnets = cx.id_list(aws.get("Subnets", []), subnets_path, cx.subnet_id)
        sgs = cx.id_list(aws.get("SecurityGroups", []), aws_path + ("SecurityGroups",), cx.sg_id) if "SecurityGroups" in aws else []
        pip = r.resolve(aws.get("AssignPublicIp", "DISABLED"), aws_path + ("AssignPublicIp",))
        public_ip = (pip == "ENABLED") if isinstance(pip, str) else (first_unknown(pip) or Unknown("AssignPublicIp is not known"))
    td = r.resolve(props.get(td_key), p + (td_key,))
    if isinstance(td, ResRef) and td.logical_id in cx.state.task_definitions:
        task_def: Any = td.logical_id
    elif props.get(td_key) is None:
        task_def = Unknown(f"{kind} {lid} names no task definition", path)
    elif isinstance(td, Unknown) and td.why.startswith((TOO_COSTLY, TOO_LARGE)):
        task_def = td  # not "not defined": it could not be evaluated
    else:
        task_def = Unknown(
            f"the task definition of {kind} {lid} is not defined in the templates given",
            p + (td_key,),
            "pass the template that defines it",
        )
    cx.state.workloads[key] = Workload(
        lid,
        kind,
        path,
        net_path,
        subnets,
        subnets_path,
        sgs,
        public_ip,
        _launch_type(cx, lid, props, p, task_def),
        r.resolve(props.get("PlatformVersion", "LATEST"), p + ("PlatformVersion",)),
        as_bool(r.resolve(props.get("EnableExecuteCommand"), p + ("EnableExecuteCommand",)), False, p + ("EnableExecuteCommand",)),
        task_def,
        origin=cx.origin(path[1], path),
    )
    if cx.state.workloads[key].launch_type == "EC2":
        _instance_side(cx, cx.state.workloads[key], props, p)


def _providers(cx: Reader, props: Mapping[str, Any], p: Path) -> Any:
    """The capacity providers a workload runs on: its strategy, else its cluster's."""
    r = cx.r
    strategy = props.get("CapacityProviderStrategy")
    if strategy is not None:
        items = r.items(strategy, p + ("CapacityProviderStrategy",))
        if isinstance(items, Unknown):
            return items
        return [v.get("CapacityProvider") for v, _ in items if isinstance(v, Mapping)]
    cluster = r.resolve(props.get("Cluster"), p + ("Cluster",))
    found: List[Any] = []
    if isinstance(cluster, ResRef):
        for assoc in cx.by_attached("AWS::ECS::ClusterCapacityProviderAssociations", "Cluster", False).get(cluster, []):
            ap = r.properties(assoc)
            apath = ("Resources", assoc, "Properties")
            listed = r.items(ap.get("CapacityProviders", []), apath + ("CapacityProviders",))
            if not isinstance(listed, Unknown):
                found.extend(v for v, _ in listed)
        listed = r.items(r.properties(cluster.logical_id).get("CapacityProviders", []), ("Resources", cluster.logical_id, "Properties", "CapacityProviders"))
        if not isinstance(listed, Unknown):
            found.extend(v for v, _ in listed)
    return found


def _instance_side(cx: Reader, w: Workload, props: Mapping[str, Any], p: Path) -> None:
    """EC2 launch type: the agent pulls through the instance (fact 2), so judge the Auto Scaling
    group's subnets, launch template security groups and public IPs, where the template shows
    them; else the placement is unknown."""
    r = cx.r
    providers = _providers(cx, props, p)
    asgs: List[str] = []
    if not isinstance(providers, Unknown):
        for prov in providers:
            if isinstance(prov, ResRef) and r.resource_type(prov.logical_id) == "AWS::ECS::CapacityProvider":
                asp = r.properties(prov.logical_id).get("AutoScalingGroupProvider")
                if isinstance(asp, Mapping):
                    asg = r.resolve(asp.get("AutoScalingGroupArn"), ("Resources", prov.logical_id, "Properties", "AutoScalingGroupProvider", "AutoScalingGroupArn"))
                    if isinstance(asg, ResRef) and r.resource_type(asg.logical_id) == "AWS::AutoScaling::AutoScalingGroup":
                        asgs.append(asg.logical_id)
    if not asgs:
        w.subnets = Unknown(
            f"the container instances of {w.kind} {w.lid} (EC2 launch type) are not linked to an Auto Scaling group through a capacity provider in the template",
            w.net_path,
            "run them on a capacity provider defined in the template, or pass the template that defines it",
        )
        return
    asg = asgs[0]
    ap = ("Resources", asg, "Properties")
    aprops = r.properties(asg)
    w.instances = asg
    w.subnets_path = ap + ("VPCZoneIdentifier",)
    w.net_path = w.subnets_path if "VPCZoneIdentifier" in aprops else ("Resources", asg)
    w.subnets = cx.id_list(aprops.get("VPCZoneIdentifier", []), w.subnets_path, cx.subnet_id) if "VPCZoneIdentifier" in aprops else Unknown(
        f"Auto Scaling group {asg} names no subnets (VPCZoneIdentifier)", ("Resources", asg))
    w.public_ip = None  # the subnet's MapPublicIpOnLaunch unless the launch template says
    w.security_groups = Unknown(f"the security groups of Auto Scaling group {asg}'s instances are not known", ("Resources", asg))
    lt = aprops.get("LaunchTemplate")
    lc = aprops.get("LaunchConfigurationName")
    if isinstance(lt, Mapping):
        ref = r.resolve(lt.get("LaunchTemplateId", lt.get("LaunchTemplateName")), ap + ("LaunchTemplate",))
        if isinstance(ref, (ResRef, ResAtt)) and r.resource_type(ref.logical_id) == "AWS::EC2::LaunchTemplate":
            lp = ("Resources", ref.logical_id, "Properties", "LaunchTemplateData")
            data = r.properties(ref.logical_id).get("LaunchTemplateData")
            if isinstance(data, Mapping):
                nics = data.get("NetworkInterfaces")
                nic = nics[0] if isinstance(nics, list) and nics and isinstance(nics[0], Mapping) else None
                if nic is not None:
                    if "Groups" in nic:
                        w.security_groups = cx.id_list(nic["Groups"], lp + ("NetworkInterfaces", 0, "Groups"), cx.sg_id)
                    if "AssociatePublicIpAddress" in nic:
                        w.public_ip = as_bool(r.resolve(nic["AssociatePublicIpAddress"], lp + ("NetworkInterfaces", 0, "AssociatePublicIpAddress")), False, lp + ("NetworkInterfaces", 0, "AssociatePublicIpAddress"))
                if "SecurityGroupIds" in data:
                    w.security_groups = cx.id_list(data["SecurityGroupIds"], lp + ("SecurityGroupIds",), cx.sg_id)
                elif nic is None or "Groups" not in nic:
                    w.security_groups = []  # the VPC default group
    elif lc is not None:
        ref = r.resolve(lc, ap + ("LaunchConfigurationName",))
        if isinstance(ref, ResRef) and r.resource_type(ref.logical_id) == "AWS::AutoScaling::LaunchConfiguration":
            cp = ("Resources", ref.logical_id, "Properties")
            cprops = r.properties(ref.logical_id)
            w.security_groups = cx.id_list(cprops["SecurityGroups"], cp + ("SecurityGroups",), cx.sg_id) if "SecurityGroups" in cprops else []
            if "AssociatePublicIpAddress" in cprops:
                w.public_ip = as_bool(r.resolve(cprops["AssociatePublicIpAddress"], cp + ("AssociatePublicIpAddress",)), False, cp + ("AssociatePublicIpAddress",))


def _launch_type(cx: Reader, lid: str, props: Mapping[str, Any], p: Path, task_def: Any) -> Any:
    r = cx.r
    if "LaunchType" in props:
        lt = r.resolve(props["LaunchType"], p + ("LaunchType",))
        if isinstance(lt, str):
            return "FARGATE" if lt == "FARGATE" else ("EC2" if lt in ("EC2", "EXTERNAL") else lt)
        return first_unknown(lt) or Unknown("launch type is not known")
    strategy = props.get("CapacityProviderStrategy")
    if strategy is None:
        cluster = r.resolve(props.get("Cluster"), p + ("Cluster",))
        if isinstance(cluster, ResRef):
            strategy = r.properties(cluster.logical_id).get("DefaultCapacityProviderStrategy")
            by_cluster = cx.by_attached("AWS::ECS::ClusterCapacityProviderAssociations", "Cluster", False)
            order = cx.by_type.get("AWS::ECS::ClusterCapacityProviderAssociations", [])
            last = [found[-1] for found in (by_cluster.get(cluster), by_cluster.get(cluster.logical_id)) if found]
            if last:  # the last association in template order names the strategy
                strategy = r.properties(max(last, key=order.index)).get("DefaultCapacityProviderStrategy")
    if strategy is not None:
        items = r.items(strategy, p + ("CapacityProviderStrategy",))
        if isinstance(items, Unknown):
            return items
        providers = [v.get("CapacityProvider") for v, _ in items if isinstance(v, Mapping)]
        if providers and all(x in ("FARGATE", "FARGATE_SPOT") for x in providers):
            return "FARGATE"
        if providers and all(isinstance(x, (str, ResRef)) and x not in ("FARGATE", "FARGATE_SPOT") for x in providers):
            return "EC2"
        return Unknown("capacity providers mix Fargate and EC2, or are not known")
    # no launch type and no capacity provider strategy: EC2 unless the task definition is Fargate-only
    if isinstance(task_def, str):
        compat = r.resolve(cx.state.task_definitions[task_def].get("RequiresCompatibilities"), ())
        if compat == ["FARGATE"]:
            return "FARGATE"
    return Unknown(f"the launch type of {lid} is decided by the cluster's default capacity provider strategy")
