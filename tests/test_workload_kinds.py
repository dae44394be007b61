"""Issue 14 part 1, every workload kind ECS has: bridge and host tasks (and awsvpc on EC2) judged on
their container instances, found through capacity providers or user data that joins the cluster;
ECS Managed Instances capacity providers and the daemons on them; Express Mode services.  Unit-level
cases beside the fixtures (tests/fixtures/templates/workloads/, rows in expectations.yaml)."""

from __future__ import annotations

import copy

import pytest

from ecsnetpolicy.api import raw_for
from ecsnetpolicy.engine import analyse
from ecsnetpolicy.load.template import load_file
from ecsnetpolicy.values import Unknown
from helpers import FIXTURES

BRIDGE_GOOD = "workloads/good_bridge_service_user_data_asg.yaml"
BRIDGE_BAD = "workloads/bad_bridge_service_no_logs_endpoint.yaml"
HOST_BAD = "workloads/bad_host_service_default_capacity_provider_no_ecr_dkr.yaml"
DAEMON_GOOD = "workloads/good_managed_instances_daemon.yaml"
EXPRESS_GOOD = "workloads/good_express_service.yaml"
EC2_AWSVPC_GOOD = "workloads/good_ec2_capacity_provider_private.yaml"


def _t(name):
    return copy.deepcopy(dict(load_file(str(FIXTURES / name))))


def _workloads(t):
    return list(analyse(t).analyses[0].state.workloads.values())


def _rules(t):
    return sorted(r.rule_id for r in raw_for(t))


def _messages(t):
    return [r.message for r in raw_for(t)]


# ------------------------------------------------------------------ network mode
@pytest.mark.parametrize("mode,expected", [(None, "bridge"), ("bridge", "bridge"), ("host", "host"), ("HOST", "host")])
def test_network_mode_is_read_from_the_task_definition_and_defaults_to_bridge(mode, expected):
    t = _t(BRIDGE_GOOD)
    props = t["Resources"]["TaskDefinition"]["Properties"]
    props.pop("NetworkMode", None)
    if mode is not None:
        props["NetworkMode"] = mode
    (w,) = _workloads(t)
    assert w.network_mode == expected
    assert w.instances == "AutoScalingGroup" and w.launch_type == "EC2"


def test_awsvpc_services_keep_awsvpc_and_fargate_is_untouched():
    (w,) = _workloads(_t(EC2_AWSVPC_GOOD))
    assert w.network_mode == "awsvpc" and w.instances == "AutoScalingGroup"
    (f,) = _workloads(_t("good_private_endpoints.yaml"))
    assert f.network_mode == "awsvpc" and f.instances is None and f.launch_type == "FARGATE"


def test_network_mode_from_a_parameter_without_value_is_unknown():
    t = _t(BRIDGE_GOOD)
    t.setdefault("Parameters", {})["Mode"] = {"Type": "String"}
    t["Resources"]["TaskDefinition"]["Properties"]["NetworkMode"] = {"Ref": "Mode"}
    (w,) = _workloads(t)
    assert isinstance(w.network_mode, Unknown)


# ------------------------------------------------------------------ finding the instances
def test_user_data_joining_another_cluster_does_not_count():
    t = _t(BRIDGE_GOOD)
    t["Resources"]["Other"] = {"Type": "AWS::ECS::Cluster"}
    data = t["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]
    data["UserData"] = {"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ECS_CLUSTER=${Other} >> /etc/ecs/ecs.config\n"}}
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["IN9001"]
    assert "(bridge network mode) are not in the templates given" in raws[0].message
    assert raws[0].path == ("Resources", "Service", "Properties", "Cluster")


@pytest.mark.parametrize("user_data", [
    {"Fn::Base64": {"Fn::Join": ["", ["#!/bin/bash\n", "echo ECS_CLUSTER=", {"Ref": "Cluster"}, " >> /etc/ecs/ecs.config\n"]]}},
    {"Fn::Base64": {"Fn::Sub": ["echo ECS_CLUSTER=${C} >> /etc/ecs/ecs.config", {"C": {"Ref": "Cluster"}}]}},
    {"Fn::Base64": "#!/bin/bash\necho ECS_CLUSTER=api-cluster >> /etc/ecs/ecs.config\n"},
])
def test_user_data_forms_that_join_the_cluster(user_data):
    t = _t(BRIDGE_BAD)
    t["Resources"]["Cluster"]["Properties"]["ClusterName"] = "api-cluster"
    t["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"] = user_data
    assert _rules(t) == ["EN2001"]


def test_launch_configuration_user_data_joins_too():
    t = _t(BRIDGE_BAD)
    res = t["Resources"]
    data = res.pop("LaunchTemplate")["Properties"]["LaunchTemplateData"]
    res["LaunchConfiguration"] = {"Type": "AWS::AutoScaling::LaunchConfiguration", "Properties": {
        "ImageId": data["ImageId"], "InstanceType": data["InstanceType"],
        "SecurityGroups": data["SecurityGroupIds"], "UserData": data["UserData"]}}
    asg = res["AutoScalingGroup"]["Properties"]
    asg.pop("LaunchTemplate")
    asg["LaunchConfigurationName"] = {"Ref": "LaunchConfiguration"}
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["EN2001"]
    assert "on container instances of Auto Scaling group AutoScalingGroup" in raws[0].message


def test_a_workload_on_two_groups_of_instances_is_judged_on_each():
    """A strategy over two capacity providers: the tasks may land on either group's instances."""
    t = _t(HOST_BAD)
    res = t["Resources"]
    res["AutoScalingGroup2"] = copy.deepcopy(res["AutoScalingGroup"])
    res["PublicSubnet"] = {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.9.0/24"}}
    res["AutoScalingGroup2"]["Properties"]["VPCZoneIdentifier"] = [{"Ref": "PublicSubnet"}]
    res["CapacityProvider2"] = copy.deepcopy(res["CapacityProvider"])
    res["CapacityProvider2"]["Properties"]["AutoScalingGroupProvider"]["AutoScalingGroupArn"] = {"Ref": "AutoScalingGroup2"}
    res["Service"]["Properties"]["CapacityProviderStrategy"] = [
        {"CapacityProvider": {"Ref": "CapacityProvider"}, "Weight": 1},
        {"CapacityProvider": {"Ref": "CapacityProvider2"}, "Weight": 1},
    ]
    ws = _workloads(t)
    assert [w.instances for w in ws] == ["AutoScalingGroup", "AutoScalingGroup2"]
    msgs = _messages(t)
    assert any("Auto Scaling group AutoScalingGroup)" in m for m in msgs)
    assert any("Auto Scaling group AutoScalingGroup2)" in m and "subnet PublicSubnet" in m for m in msgs)


def test_a_capacity_provider_of_another_stack_is_in9001_naming_it():
    t = _t(HOST_BAD)
    t["Resources"]["Service"]["Properties"]["CapacityProviderStrategy"] = [{"CapacityProvider": "shared-ec2", "Weight": 1}]
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["IN9001"]
    assert "capacity provider shared-ec2 is not defined in the templates given" in raws[0].message
    assert raws[0].path[-1] == "CapacityProvider"


def test_an_external_deployment_controller_service_without_task_definition_is_not_a_workload():
    t = _t(BRIDGE_GOOD)
    svc = t["Resources"]["Service"]["Properties"]
    svc.pop("TaskDefinition")
    svc["DeploymentController"] = {"Type": "EXTERNAL"}
    assert _workloads(t) == []


def test_bridge_task_definition_users_are_the_state_workloads():
    """The rules that name who runs a task definition (EN5001, EN5002) see a bridge service as a
    workload of the state, labelled with its instances, and never as Fargate."""
    from ecsnetpolicy.checks.tasks import task_definition_users

    a = analyse(_t(BRIDGE_GOOD)).analyses[0]
    assert task_definition_users(a, "TaskDefinition") == [("service Service (on container instances of Auto Scaling group AutoScalingGroup)", "EC2")]


# ------------------------------------------------------------------ ECS Managed Instances
def _mi_service(t):
    t["Resources"]["TaskDefinition"] = {"Type": "AWS::ECS::TaskDefinition", "Properties": {
        "RequiresCompatibilities": ["MANAGED_INSTANCES"], "NetworkMode": "awsvpc", "Cpu": "256", "Memory": "512",
        "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
        "ContainerDefinitions": [{"Name": "api", "Image": "public.ecr.aws/nginx/nginx:1.25"}]}}
    t["Resources"]["Service"] = {"Type": "AWS::ECS::Service", "Properties": {
        "Cluster": {"Ref": "Cluster"}, "TaskDefinition": {"Ref": "TaskDefinition"},
        "CapacityProviderStrategy": [{"CapacityProvider": {"Ref": "CapacityProvider"}, "Weight": 1}],
        "DeploymentConfiguration": {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}},
        "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [{"Ref": "PrivateSubnetA"}], "SecurityGroups": [{"Ref": "InstanceSecurityGroup"}]}}}}
    return t


def test_a_service_on_managed_instances_is_judged_on_the_instances_network():
    t = _mi_service(_t(DAEMON_GOOD))
    ws = {w.lid: w for w in _workloads(t)}
    assert ws["Service"].instances == "CapacityProvider" and ws["Service"].instances_kind == "capacity provider"
    raws = [r for r in raw_for(t) if r.workload == "Service"]
    assert [r.rule_id for r in raws] == ["EN4001"]
    assert "Tasks of service Service (on container instances of capacity provider CapacityProvider)" in raws[0].message
    assert raws[0].path == ("Resources", "CapacityProvider", "Properties", "ManagedInstancesProvider", "InstanceLaunchTemplate", "NetworkConfiguration", "Subnets")


def test_managed_instances_in_a_public_subnet_are_in9001_not_an_error():
    """Whether Managed Instances get a public IP is not documented: behind an internet gateway the
    internet path is unknown (IN9001), never a false EN4001."""
    t = _mi_service(_t(DAEMON_GOOD))
    res = t["Resources"]
    res["Igw"] = {"Type": "AWS::EC2::InternetGateway"}
    res["IgwAttach"] = {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}}}
    res["DefaultRoute"] = {"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": {"Ref": "PrivateRouteTableA"}, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": "Igw"}}}
    res["DefaultRouteB"] = {"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": {"Ref": "PrivateRouteTableB"}, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": "Igw"}}}
    raws = [r for r in raw_for(t) if r.workload == "Service"]
    assert raws and {r.rule_id for r in raws} == {"IN9001"}
    assert any("get a public IP is not documented" in r.message for r in raws)


def test_a_daemon_without_capacity_providers_uses_its_clusters():
    t = _t("workloads/bad_managed_instances_daemon_no_logs_endpoint.yaml")
    t["Resources"]["Daemon"]["Properties"].pop("CapacityProviderArns")
    (w,) = _workloads(t)
    assert w.kind == "daemon" and w.instances == "CapacityProvider" and w.network_mode == "host"
    assert _rules(t) == ["EN2001"]


def test_a_daemon_capacity_provider_arn_from_another_stack_is_in9001():
    t = _t("workloads/bad_managed_instances_daemon_no_logs_endpoint.yaml")
    t["Resources"]["Daemon"]["Properties"]["CapacityProviderArns"] = [{"Fn::ImportValue": "compute-CapacityProviderArn"}]
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["IN9001"]
    assert "compute-CapacityProviderArn" in raws[0].message


# ------------------------------------------------------------------ Express services
def test_express_needs_come_from_its_primary_container():
    t = _t(EXPRESS_GOOD)
    pc = t["Resources"]["ExpressService"]["Properties"]["PrimaryContainer"]
    pc["Secrets"] = [{"Name": "DB", "ValueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}]
    raws = raw_for(t)
    # the endpoint, and the execution role's secretsmanager:GetSecretValue (Express tasks run on Fargate)
    assert sorted(r.rule_id for r in raws) == ["EN2001", "EN5001"]
    en2001 = next(r for r in raws if r.rule_id == "EN2001")
    assert en2001.message.startswith("Tasks of Express service ExpressService in subnets PrivateSubnetA and PrivateSubnetB read secrets from Secrets Manager")


def test_express_repository_credentials_need_the_internet():
    t = _t(EXPRESS_GOOD)
    pc = t["Resources"]["ExpressService"]["Properties"]["PrimaryContainer"]
    pc["Image"] = "registry.example.com/web:1.0"
    pc["RepositoryCredentials"] = {"CredentialsParameter": "arn:aws:secretsmanager:us-east-1:123456789012:secret:reg"}
    rules = _rules(t)
    assert "EN4001" in rules and not [r for r in rules if r[0] == "W"]


def test_express_logs_without_a_log_group_still_need_the_logs_endpoint():
    """Express services always log to CloudWatch Logs (ECS creates the group when none is named)."""
    t = _t(EXPRESS_GOOD)
    del t["Resources"]["ExpressService"]["Properties"]["PrimaryContainer"]["AwsLogsConfiguration"]
    del t["Resources"]["LogsEndpoint"]
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["EN2001"] and "send logs to CloudWatch Logs" in raws[0].message


def test_express_without_security_groups_is_in9001_only():
    t = _t(EXPRESS_GOOD)
    del t["Resources"]["ExpressService"]["Properties"]["NetworkConfiguration"]["SecurityGroups"]
    raws = raw_for(t)
    assert raws and {r.rule_id for r in raws} == {"IN9001"}
    assert all("names no security groups" in r.message for r in raws)


def test_a_bridge_scheduled_task_runs_on_the_instances_of_its_target_cluster():
    """An EventBridge rule's target Arn names the cluster: bridge tasks it starts are judged on the
    instances that join that cluster."""
    t = _t(BRIDGE_BAD)
    res = t["Resources"]
    del res["Service"]
    res["EventsRole"] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
    res["Nightly"] = {"Type": "AWS::Events::Rule", "Properties": {
        "ScheduleExpression": "rate(1 day)",
        "Targets": [{"Id": "report", "Arn": {"Fn::GetAtt": ["Cluster", "Arn"]}, "RoleArn": {"Fn::GetAtt": ["EventsRole", "Arn"]},
                     "EcsParameters": {"TaskDefinitionArn": {"Ref": "TaskDefinition"}, "LaunchType": "EC2"}}]}}
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["EN2001"]
    assert raws[0].message.startswith("Tasks of scheduled task Nightly (on container instances of Auto Scaling group AutoScalingGroup)")
    # the same rule aimed at a cluster no template defines: IN9001 on the target's Arn
    t = copy.deepcopy(t)  # raw_for caches per template object
    t["Resources"]["Nightly"]["Properties"]["Targets"][0]["Arn"] = "arn:aws:ecs:us-east-1:123456789012:cluster/batch"
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["IN9001"]
    assert raws[0].path == ("Resources", "Nightly", "Properties", "Targets", 0, "Arn")


def test_the_external_launch_type_is_in9001_never_an_error():
    t = _t(BRIDGE_BAD)
    t["Resources"]["Service"]["Properties"]["LaunchType"] = "EXTERNAL"
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["IN9001"]
    assert "ECS Anywhere" in raws[0].message and raws[0].path[-1] == "LaunchType"


def test_user_data_naming_an_undecided_cluster_asks_for_it():
    t = _t(BRIDGE_BAD)
    t.setdefault("Parameters", {})["ClusterName"] = {"Type": "String"}
    t["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"] = {
        "Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ECS_CLUSTER=${ClusterName} >> /etc/ecs/ecs.config\n"}}
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["IN9001"]
    assert "which cluster the user data of Auto Scaling group AutoScalingGroup joins (ECS_CLUSTER=) is not known" in raws[0].message
    assert "--parameter ClusterName=VALUE" in raws[0].message
    assert raws[0].path == ("Resources", "LaunchTemplate", "Properties", "LaunchTemplateData", "UserData")
    # once supplied, the name decides: the cluster's own name joins it
    t = copy.deepcopy(t)
    t["Resources"]["Cluster"]["Properties"]["ClusterName"] = "api"
    assert _rules_with(t, {"ClusterName": "api"}) == ["EN2001"]
    assert _rules_with(copy.deepcopy(t), {"ClusterName": "batch"}) == ["IN9001"]


def _rules_with(t, params):
    return sorted(r.rule_id for r in raw_for(t, params=params))
