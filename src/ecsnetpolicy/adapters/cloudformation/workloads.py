"""ECS workloads read from the template: task definitions (and daemon task definitions), services,
task sets, scheduled tasks (EventBridge rules, EventBridge Scheduler), Express Mode services and
daemons, with their placement (subnets, security groups, public IP), launch type and network mode;
where the tasks use their container instance's network or the agent pulls through it, the
instances' side (instances.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, List

from ...state import Workload
from ...values import TOO_COSTLY, TOO_LARGE, Path, ResAtt, ResRef, Unknown, as_bool, first_unknown
from .instances import Instances, cluster_of, cluster_providers, default_strategy, provider_instances, workload_instances
from .references import Reader


def add_task_definition(cx: Reader, lid: str) -> None:
    cx.state.task_definitions[lid] = cx.r.properties(lid)


def add_workload(cx: Reader, lid: str, kind: str) -> None:
    p = ("Resources", lid, "Properties")
    props = cx.r.properties(lid)
    if kind == "service" and props.get("TaskDefinition") is None:
        controller = cx.r.resolve(props.get("DeploymentController"), p + ("DeploymentController",))
        if isinstance(controller, Mapping) and controller.get("Type") == "EXTERNAL":
            return  # its task sets start the tasks (each a workload of its own)
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
            _add_placement(cx, lid, lid, "scheduled task", target["EcsParameters"], ep, "TaskDefinitionArn", ("Resources", lid),
                           (target.get("Arn"), p + ("Target", "Arn")))
        return
    targets = props.get("Targets")
    if not isinstance(targets, list):
        return
    ecs_targets = [(i, t) for i, t in enumerate(targets) if isinstance(t, Mapping) and isinstance(t.get("EcsParameters"), Mapping)]
    for n, (i, t) in enumerate(ecs_targets):
        key = lid if n == 0 else f"{lid}#{n + 1}"
        ep = p + ("Targets", i, "EcsParameters")
        _add_placement(cx, key, key, "scheduled task", t["EcsParameters"], ep, "TaskDefinitionArn", ("Resources", lid),
                       (t.get("Arn"), p + ("Targets", i, "Arn")))


def _task_definition(cx: Reader, lid: str, kind: str, props: Mapping[str, Any], p: Path, td_key: str, path: Path) -> Any:
    """The logical ID of the workload's task definition in the state, else an Unknown saying why."""
    td = cx.r.resolve(props.get(td_key), p + (td_key,))
    if isinstance(td, (ResRef, ResAtt)) and td.logical_id in cx.state.task_definitions:
        return td.logical_id
    if props.get(td_key) is None:
        return Unknown(f"{kind} {lid} names no task definition", path)
    if isinstance(td, Unknown) and td.why.startswith((TOO_COSTLY, TOO_LARGE)):
        return td  # not "not defined": it could not be evaluated
    return Unknown(
        f"the task definition of {kind} {lid} is not defined in the templates given",
        p + (td_key,),
        "pass the template that defines it",
    )


def _network_mode(cx: Reader, task_def: Any, has_net: bool) -> Any:
    """The task definition's NetworkMode.  CloudFormation registers a task definition without one
    in `bridge` mode (Linux on EC2; Fargate and ECS Managed Instances refuse it), so absent means
    bridge.  A NetworkConfiguration is accepted only with awsvpc."""
    if not isinstance(task_def, str):
        return "awsvpc" if has_net else Unknown("the network mode of the task definition is not known", getattr(task_def, "path", ()))
    props = cx.state.task_definitions[task_def]
    where = ("Resources", task_def, "Properties", "NetworkMode")
    if not isinstance(props, Mapping) or "NetworkMode" not in props:
        return "bridge"
    mode = cx.r.resolve(props["NetworkMode"], where)
    if isinstance(mode, str):
        return mode.lower()
    return first_unknown(mode) or Unknown("the network mode of the task definition is not known", where)


def _add_placement(cx: Reader, key: str, lid: str, kind: str, props: Mapping[str, Any], p: Path, td_key: str, path: Path,
                   target: Any = None) -> None:
    """`target`: for a scheduled task, (the target's Arn, its path): the cluster its tasks start in."""
    r = cx.r
    task_def = _task_definition(cx, lid, kind, props, p, td_key, path)
    net = props.get("NetworkConfiguration")
    mode = _network_mode(cx, task_def, net is not None)
    net_path = p + ("NetworkConfiguration",)
    subnets_path = net_path
    public_ip: Any = None
    if net is None:
        # bridge, host or none: the tasks use their container instance's network (placed below);
        # awsvpc without a NetworkConfiguration is refused by ECS, and no subnet can be judged
        net_path = p
        subnets: Any = Unknown(f"{kind} {lid} uses the awsvpc network mode but sets no NetworkConfiguration", p,
                               "set NetworkConfiguration.AwsvpcConfiguration with its Subnets and SecurityGroups")
        sgs: Any = subnets
        subnets_path = p
    else:
        net_v = r.resolve(net, net_path)
        # AWS::ECS::Service spells it AwsvpcConfiguration, TaskSet and EventBridge AwsVpcConfiguration
        key_name = "AwsVpcConfiguration" if isinstance(net, Mapping) and "AwsVpcConfiguration" in net else "AwsvpcConfiguration"
        aws = net.get(key_name) if isinstance(net, Mapping) else None
        aws_path = net_path + (key_name,)
        if not isinstance(aws, Mapping):
            unk = first_unknown(net_v) or Unknown(f"NetworkConfiguration of {lid} is not known", net_path)
            subnets = sgs = public_ip = unk
        else:
            subnets_path = aws_path + ("Subnets",)
            subnets = cx.id_list(aws.get("Subnets", []), subnets_path, cx.subnet_id)
            sgs = cx.id_list(aws.get("SecurityGroups", []), aws_path + ("SecurityGroups",), cx.sg_id) if "SecurityGroups" in aws else []
            pip = r.resolve(aws.get("AssignPublicIp", "DISABLED"), aws_path + ("AssignPublicIp",))
            public_ip = (pip == "ENABLED") if isinstance(pip, str) else (first_unknown(pip) or Unknown("AssignPublicIp is not known"))
    launch_type = _launch_type(cx, lid, props, p, task_def)
    on_instances = net is None and mode != "awsvpc"
    if on_instances and isinstance(launch_type, Unknown):
        launch_type = "EC2"  # no awsvpc: never Fargate, so the cluster's instances
    w = Workload(
        lid,
        kind,
        path,
        net_path,
        subnets,
        subnets_path,
        sgs,
        public_ip,
        launch_type,
        r.resolve(props.get("PlatformVersion", "LATEST"), p + ("PlatformVersion",)),
        as_bool(r.resolve(props.get("EnableExecuteCommand"), p + ("EnableExecuteCommand",)), False, p + ("EnableExecuteCommand",)),
        task_def,
        network_mode=mode,
        origin=cx.origin(path[1], path),
    )
    cx.state.workloads[key] = w
    if w.launch_type == "EC2" and (net is not None or on_instances):
        if target is not None:
            cluster, anchor = (r.resolve(target[0], target[1]) if target[0] is not None else "default"), target[1]
        else:
            cluster, anchor = cluster_of(cx, props, p), (p + ("Cluster",) if "Cluster" in props else path)
        if r.resolve(props.get("LaunchType"), p + ("LaunchType",)) == "EXTERNAL":
            w.subnets = w.security_groups = Unknown(
                f"the tasks of {kind} {lid} run on external instances (ECS Anywhere, EXTERNAL launch type), outside any VPC a template describes",
                p + ("LaunchType",), "check the network of the external instances by hand")
            return
        why = f"{mode} network mode" if on_instances and isinstance(mode, str) else "EC2 launch type"
        groups = workload_instances(cx, props, p, "LaunchType" in props, cluster)
        _place_on_instances(cx, key, w, groups, why, anchor)


def _place_on_instances(cx: Reader, key: str, w: Workload, groups: List[Any], why: str, anchor: Path) -> None:
    """The agent pulls through the instance (fact 2), and bridge or host tasks use its network:
    judge each group of instances the workload may run on, one workload entry per group (the
    first under `key`); none in the template set is an Unknown naming what to supply."""
    if not groups:
        w.subnets = Unknown(
            f"the container instances of {w.kind} {w.lid} ({why}) are not in the templates given: no capacity provider "
            f"with an Auto Scaling group or ECS Managed Instances, and no Auto Scaling group whose user data joins its cluster (ECS_CLUSTER=)",
            anchor,
            "pass the template that defines the cluster's capacity provider or container instances' Auto Scaling group",
        )
        return
    for n, g in enumerate(groups):
        target = w if n == 0 else replace(w)
        if isinstance(g, Instances):
            target.instances, target.instances_kind = g.lid, g.what
            target.subnets, target.subnets_path, target.net_path = g.subnets, g.subnets_path, g.net_path
            target.security_groups, target.public_ip = g.security_groups, g.public_ip
        else:
            target.subnets = target.security_groups = g
            target.subnets_path = target.net_path = g.path or anchor
        if n:
            cx.state.workloads[f"{key}@{g.lid if isinstance(g, Instances) else n}"] = target


def add_daemon(cx: Reader, lid: str) -> None:
    """AWS::ECS::Daemon: one task of an AWS::ECS::DaemonTaskDefinition on every instance of its
    ECS Managed Instances capacity providers (CapacityProviderArns, else the cluster's).  A daemon
    has no network configuration of its own: it uses its instance's network."""
    r = cx.r
    p = ("Resources", lid, "Properties")
    path = ("Resources", lid)
    props = r.properties(lid)
    task_def = _task_definition(cx, lid, "daemon", props, p, "DaemonTaskDefinitionArn", path)
    w = Workload(lid, "daemon", path, p, [], p, [], None, "EC2", None,
                 as_bool(r.resolve(props.get("EnableExecuteCommand"), p + ("EnableExecuteCommand",)), False, p + ("EnableExecuteCommand",)),
                 task_def, network_mode="host", origin=cx.origin(lid, path))
    cx.state.workloads[lid] = w
    if "CapacityProviderArns" in props:
        anchor = p + ("CapacityProviderArns",)
        raw = props["CapacityProviderArns"]
        listed = r.items(raw, anchor)
        groups: List[Any] = [listed] if isinstance(listed, Unknown) else [
            g for v, vp in listed
            if (g := provider_instances(cx, v, vp, _raw_item(raw, vp, len(anchor)))) is not None
        ]
    else:
        anchor = p + ("ClusterArn",) if "ClusterArn" in props else path
        cluster = cluster_of(cx, props, p, "ClusterArn")
        groups = [g for v, vp in cluster_providers(cx, cluster) if (g := provider_instances(cx, v, vp)) is not None]
    _place_on_instances(cx, lid, w, groups, "ECS Managed Instances", anchor)


def _raw_item(raw: Any, path: Path, depth: int) -> Any:
    """The list item as written at `path` (a plain list's index just below `depth`), else None."""
    if isinstance(raw, list) and len(path) > depth and isinstance(path[depth], int) and path[depth] < len(raw):
        return raw[path[depth]]
    return None


def add_express(cx: Reader, lid: str) -> None:
    """AWS::ECS::ExpressGatewayService: Fargate tasks of one PrimaryContainer (the engine derives
    its needs from it), in NetworkConfiguration's subnets and groups, else the default VPC's."""
    r = cx.r
    p = ("Resources", lid, "Properties")
    path = ("Resources", lid)
    props = r.properties(lid)
    cx.state.task_definitions[lid] = props  # its PrimaryContainer stands for the task definition
    net = props.get("NetworkConfiguration")
    npath = p + ("NetworkConfiguration",)
    if net is not None and not isinstance(net, Mapping):
        unk = first_unknown(r.resolve(net, npath)) or Unknown(f"NetworkConfiguration of Express service {lid} is not known", npath)
        subnets: Any = unk
        sgs: Any = unk
    else:
        net = net or {}
        subnets = cx.id_list(net["Subnets"], npath + ("Subnets",), cx.subnet_id) if "Subnets" in net else Unknown(
            f"Express service {lid} names no subnets, so its tasks run in the default VPC's subnets, which the templates given do not show",
            npath if net else path, "set NetworkConfiguration.Subnets")
        sgs = cx.id_list(net["SecurityGroups"], npath + ("SecurityGroups",), cx.sg_id) if "SecurityGroups" in net else Unknown(
            f"Express service {lid} names no security groups, and the groups ECS then gives its tasks are not known",
            npath if net else path, "set NetworkConfiguration.SecurityGroups")
    public_ip = Unknown(f"whether the tasks of Express service {lid} get a public IP is not documented", npath if "NetworkConfiguration" in props else path,
                        "give their subnets a 0.0.0.0/0 route to a NAT gateway, or endpoints for what they reach")
    cx.state.workloads[lid] = Workload(lid, "Express service", path, npath, subnets, npath + ("Subnets",), sgs, public_ip,
                                       "FARGATE", "LATEST", False, lid, network_mode="awsvpc", origin=cx.origin(lid, path))


def _launch_type(cx: Reader, lid: str, props: Mapping[str, Any], p: Path, task_def: Any) -> Any:
    r = cx.r
    if "LaunchType" in props:
        lt = r.resolve(props["LaunchType"], p + ("LaunchType",))
        if isinstance(lt, str):
            return "FARGATE" if lt == "FARGATE" else ("EC2" if lt in ("EC2", "EXTERNAL") else lt)
        return first_unknown(lt) or Unknown("launch type is not known")
    strategy = props.get("CapacityProviderStrategy")
    if strategy is None:
        strategy, _spath = default_strategy(cx, cluster_of(cx, props, p))
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
