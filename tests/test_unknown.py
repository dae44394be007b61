"""Unknown is not wrong: parameter-, import- and literal-driven variants of every failing fixture
may lose findings and gain IN9001, but never gain an error or warning."""

from __future__ import annotations

import copy

import pytest
import yaml

from ecsnetpolicy.api import raw_for
from ecsnetpolicy.load.template import load_file
from helpers import FIXTURES

EXPECTATIONS = yaml.safe_load((FIXTURES / "expectations.yaml").read_text(encoding="utf-8"))
BAD = sorted(n for n, e in EXPECTATIONS.items() if e)
WORKLOAD_INDEPENDENT = {"EN2004", "EN2006", "EN2007"}  # endpoint/VPC defects that need no workload


def _resources(t, rtype):
    return [(lid, r) for lid, r in t["Resources"].items() if r.get("Type") == rtype]


def _no_value_param(t, name, ptype="String"):
    t.setdefault("Parameters", {})[name] = {"Type": ptype}
    return {"Ref": name}


def _placements(t):
    """The awsvpc configurations of every workload: services, task sets, scheduled tasks, and the
    Auto Scaling groups of EC2 capacity providers (their subnets are where the agent pulls)."""
    for rtype in ("AWS::ECS::Service", "AWS::ECS::TaskSet"):
        for _lid, res in _resources(t, rtype):
            net = res["Properties"].get("NetworkConfiguration", {})
            for key in ("AwsvpcConfiguration", "AwsVpcConfiguration"):
                if key in net:
                    yield net[key]
    for _lid, rule in _resources(t, "AWS::Events::Rule"):
        for target in rule["Properties"].get("Targets", []):
            net = target.get("EcsParameters", {}).get("NetworkConfiguration", {})
            if "AwsVpcConfiguration" in net:
                yield net["AwsVpcConfiguration"]
    for _lid, sched in _resources(t, "AWS::Scheduler::Schedule"):
        net = sched["Properties"]["Target"].get("EcsParameters", {}).get("NetworkConfiguration", {})
        if "AwsvpcConfiguration" in net:
            yield net["AwsvpcConfiguration"]
    # issue 14: Express services, and the instances of ECS Managed Instances capacity providers
    for _lid, svc in _resources(t, "AWS::ECS::ExpressGatewayService"):
        if "NetworkConfiguration" in svc["Properties"]:
            yield svc["Properties"]["NetworkConfiguration"]
    for _lid, cp in _resources(t, "AWS::ECS::CapacityProvider"):
        mip = cp["Properties"].get("ManagedInstancesProvider")
        if mip:
            yield mip["InstanceLaunchTemplate"]["NetworkConfiguration"]


def v_subnets_param(t):
    for aws in _placements(t):
        aws["Subnets"] = _no_value_param(t, "TaskSubnets", "List<AWS::EC2::Subnet::Id>")
    for _lid, asg in _resources(t, "AWS::AutoScaling::AutoScalingGroup"):
        asg["Properties"]["VPCZoneIdentifier"] = _no_value_param(t, "TaskSubnets", "List<AWS::EC2::Subnet::Id>")


def v_subnets_imported(t):
    for aws in _placements(t):
        aws["Subnets"] = [{"Fn::ImportValue": f"net-Subnet{i}"} for i, _ in enumerate(aws["Subnets"])]
    for _lid, asg in _resources(t, "AWS::AutoScaling::AutoScalingGroup"):
        asg["Properties"]["VPCZoneIdentifier"] = [{"Fn::ImportValue": "net-Subnet0"}]


def v_sg_literal(t):
    for aws in _placements(t):
        aws["SecurityGroups"] = ["sg-0123456789abcdef0"]
    for _lid, lt in _resources(t, "AWS::EC2::LaunchTemplate"):
        lt["Properties"]["LaunchTemplateData"]["SecurityGroupIds"] = ["sg-0123456789abcdef0"]


def v_route_tables_param(t):
    for _lid, assoc in _resources(t, "AWS::EC2::SubnetRouteTableAssociation"):
        assoc["Properties"]["RouteTableId"] = _no_value_param(t, "RouteTableFromOutside")


def v_endpoint_vpc_imported(t):
    for _lid, ep in _resources(t, "AWS::EC2::VPCEndpoint"):
        ep["Properties"]["VpcId"] = {"Fn::ImportValue": "net-VpcId"}


def v_image_param(t):
    for rtype in ("AWS::ECS::TaskDefinition", "AWS::ECS::DaemonTaskDefinition"):
        for _lid, td in _resources(t, rtype):
            for c in td["Properties"]["ContainerDefinitions"]:
                c["Image"] = _no_value_param(t, "ImageFromOutside")
    for _lid, svc in _resources(t, "AWS::ECS::ExpressGatewayService"):
        svc["Properties"]["PrimaryContainer"]["Image"] = _no_value_param(t, "ImageFromOutside")


def v_task_definition_literal(t):
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/app:7"
    for rtype in ("AWS::ECS::Service", "AWS::ECS::TaskSet"):
        for _lid, svc in _resources(t, rtype):
            if "TaskDefinition" in svc["Properties"]:
                svc["Properties"]["TaskDefinition"] = arn
    for _lid, daemon in _resources(t, "AWS::ECS::Daemon"):
        daemon["Properties"]["DaemonTaskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:daemon-task-definition/agent:3"


# ------------------------------------------------------------ issue 14: the new workload kinds
def v_network_mode_param(t):
    """The task definition's NetworkMode from a parameter without a value."""
    for _lid, td in _resources(t, "AWS::ECS::TaskDefinition"):
        td["Properties"]["NetworkMode"] = _no_value_param(t, "NetworkModeFromOutside")


def v_user_data_cluster_param(t):
    """User data joins a cluster named by a parameter without a value: which cluster is unknown."""
    for _lid, lt in _resources(t, "AWS::EC2::LaunchTemplate"):
        data = lt["Properties"]["LaunchTemplateData"]
        if "UserData" in data:
            _no_value_param(t, "ClusterFromOutside")
            data["UserData"] = {"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ECS_CLUSTER=${ClusterFromOutside} >> /etc/ecs/ecs.config\n"}}


def v_capacity_provider_literal(t):
    """Workloads name a capacity provider by a literal name the template set does not define."""
    for rtype in ("AWS::ECS::Service", "AWS::ECS::TaskSet"):
        for _lid, svc in _resources(t, rtype):
            for item in svc["Properties"].get("CapacityProviderStrategy", []):
                item["CapacityProvider"] = "shared-capacity"
    for _lid, assoc in _resources(t, "AWS::ECS::ClusterCapacityProviderAssociations"):
        assoc["Properties"]["CapacityProviders"] = ["shared-capacity"]
        for item in assoc["Properties"].get("DefaultCapacityProviderStrategy", []):
            item["CapacityProvider"] = "shared-capacity"
    for _lid, daemon in _resources(t, "AWS::ECS::Daemon"):
        daemon["Properties"]["CapacityProviderArns"] = ["arn:aws:ecs:us-east-1:123456789012:capacity-provider/shared-capacity"]


def v_asg_imported(t):
    """The capacity provider's Auto Scaling group comes from another stack."""
    for _lid, cp in _resources(t, "AWS::ECS::CapacityProvider"):
        asp = cp["Properties"].get("AutoScalingGroupProvider")
        if asp:
            asp["AutoScalingGroupArn"] = {"Fn::ImportValue": "compute-AsgArn"}


def v_nat_route_to_tgw(t):
    for _lid, route in _resources(t, "AWS::EC2::Route"):
        props = route["Properties"]
        for key in ("NatGatewayId", "GatewayId"):
            props.pop(key, None)
        props["TransitGatewayId"] = "tgw-0123456789abcdef0"


VARIANTS = [v_subnets_param, v_subnets_imported, v_sg_literal, v_route_tables_param, v_endpoint_vpc_imported,
            v_image_param, v_task_definition_literal, v_nat_route_to_tgw,
            v_network_mode_param, v_user_data_cluster_param, v_capacity_provider_literal, v_asg_imported]


def _ew(raws):
    return {(r.rule_id, r.path, r.message) for r in raws if r.rule_id[0] in "EW"}


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", BAD)
def test_unknown_never_adds_errors(name, variant):
    template = load_file(str(FIXTURES / name))
    plain = copy.deepcopy(dict(template))
    before = _ew(raw_for(plain))
    variant(plain)
    after_raws = raw_for(plain)
    after = _ew(after_raws)
    # what remains must already have been there (same rule, anchor and words) or be independent of workloads
    new = {f for f in after if f not in before}
    assert not new, new


def test_subnets_parameter_gives_only_in9001():
    template = copy.deepcopy(dict(load_file(str(FIXTURES / "runbook_incident.yaml"))))
    v_subnets_param(template)
    raws = raw_for(template)
    assert [r.rule_id for r in raws] == ["IN9001"]
    assert "parameter TaskSubnets has no value" in raws[0].message
    assert "--parameter TaskSubnets=" in raws[0].message


def test_supplied_parameter_value_decides():
    template = copy.deepcopy(dict(load_file(str(FIXTURES / "traps/e_subnets_parameter_no_default.yaml"))))
    assert [r.rule_id for r in raw_for(template)] == ["IN9001"]
    # supplying literal subnet ids not defined in the template: still unknown, now per subnet
    raws = raw_for(template, params={"SubnetIds": "subnet-aaa,subnet-bbb"})
    assert {r.rule_id for r in raws} == {"IN9001"} and len(raws) == 2
    assert all("not defined in the templates given" in r.message for r in raws)


def test_unsatisfiable_scenario_is_not_reported():
    template = copy.deepcopy(dict(load_file(str(FIXTURES / "traps/f_conditional_route_tables.yaml"))))
    # Mode can only be "ha": the single-route-table branch is unsatisfiable
    # (raw_for caches per template object, so each variant is a fresh copy)
    only_ha = copy.deepcopy(template)
    only_ha["Parameters"]["Mode"]["AllowedValues"] = ["ha"]
    assert raw_for(only_ha) == []
    assert [r.rule_id for r in raw_for(copy.deepcopy(template))] == ["EN3001"]
    assert raw_for(copy.deepcopy(template), params={"Mode": "ha"}) == []


def _fixture(name):
    return copy.deepcopy(dict(load_file(str(FIXTURES / name))))


def test_nacl_entry_with_unknown_direction_is_in9001_not_en1003():
    t = _fixture("EN1003/good_nacl_allows_return_traffic.yaml")
    t["Parameters"]["Direction"] = {"Type": "String"}
    t["Resources"]["InboundReturnFromS3"]["Properties"]["Egress"] = {"Ref": "Direction"}
    raws = raw_for(t)
    assert {r.rule_id for r in raws} == {"IN9001"}
    assert "Egress" in raws[0].message


def test_nacl_entry_attached_by_getatt_id_counts():
    t = _fixture("EN1003/good_nacl_allows_return_traffic.yaml")
    t["Resources"]["InboundReturnFromS3"]["Properties"]["NetworkAclId"] = {"Fn::GetAtt": ["PrivateNetworkAcl", "Id"]}
    assert raw_for(t) == []


def test_dhcp_listing_the_vpc_resolver_needs_no_port_53():
    t = _fixture("EN1002/bad_custom_dns_without_port_53.yaml")
    t["Resources"]["DhcpOptions"]["Properties"]["DomainNameServers"] = ["10.0.0.2", "AmazonProvidedDNS"]
    assert raw_for(t) == []


def test_dhcp_options_not_in_template_is_in9001():
    t = _fixture("EN1002/bad_custom_dns_without_port_53.yaml")
    t["Resources"]["DhcpOptionsAssociation"]["Properties"]["DhcpOptionsId"] = "dopt-0123456789abcdef0"
    raws = raw_for(t)
    assert {r.rule_id for r in raws} == {"IN9001"}
    assert "dopt-0123456789abcdef0" in raws[0].message


def test_dns_egress_always_policy_demands_port_53_to_the_vpc_resolver(tmp_path, monkeypatch):
    policy = tmp_path / "dns.yaml"
    policy.write_text("schema_version: 1\noptions: {dns_egress: always}\n")
    monkeypatch.setenv("ECSNETPOLICY_POLICIES", str(policy))
    raws = raw_for(_fixture("good_private_endpoints.yaml"))
    assert [r.rule_id for r in raws] == ["EN1002"]
    assert "the VPC resolver 10.0.0.2 of VPC Vpc" in raws[0].message


# ------------------------------------------------------------ issue 14: unknowns of the new kinds
# each failing fixture of a new workload kind, with the variants that take away what its finding
# rests on: what is left is IN9001 alone, naming the unknown value, never an error or silence
KIND_CASES = [
    ("workloads/bad_bridge_service_no_logs_endpoint.yaml", v_subnets_param, "TaskSubnets"),
    ("workloads/bad_bridge_service_no_logs_endpoint.yaml", v_subnets_imported, "net-Subnet0"),
    ("workloads/bad_bridge_service_no_logs_endpoint.yaml", v_user_data_cluster_param, "ECS_CLUSTER="),
    ("workloads/bad_host_service_default_capacity_provider_no_ecr_dkr.yaml", v_subnets_param, "TaskSubnets"),
    ("workloads/bad_host_service_default_capacity_provider_no_ecr_dkr.yaml", v_capacity_provider_literal, "shared-capacity"),
    ("workloads/bad_host_service_default_capacity_provider_no_ecr_dkr.yaml", v_asg_imported, "Auto Scaling group of capacity provider CapacityProvider"),
    ("workloads/bad_host_service_default_capacity_provider_no_ecr_dkr.yaml", v_image_param, "ImageFromOutside"),
    ("workloads/bad_managed_instances_daemon_no_logs_endpoint.yaml", v_subnets_param, "TaskSubnets"),
    ("workloads/bad_managed_instances_daemon_no_logs_endpoint.yaml", v_subnets_imported, "net-Subnet0"),
    ("workloads/bad_managed_instances_daemon_no_logs_endpoint.yaml", v_capacity_provider_literal, "shared-capacity"),
    ("workloads/bad_managed_instances_daemon_no_logs_endpoint.yaml", v_task_definition_literal, "the task definition of daemon Daemon"),
    ("workloads/bad_express_service_docker_hub_image.yaml", v_subnets_param, "TaskSubnets"),
    ("workloads/bad_express_service_docker_hub_image.yaml", v_subnets_imported, "net-Subnet0"),
    ("workloads/bad_express_service_docker_hub_image.yaml", v_image_param, "ImageFromOutside"),
]


@pytest.mark.parametrize("name,variant,named", KIND_CASES, ids=lambda x: getattr(x, "__name__", str(x)))
def test_new_kinds_unknown_gives_in9001_only(name, variant, named):
    t = _fixture(name)
    variant(t)
    raws = raw_for(t)
    assert raws and {r.rule_id for r in raws} == {"IN9001"}, [(r.rule_id, r.message) for r in raws]
    assert any(named in r.message for r in raws), [r.message for r in raws]


def test_unknown_network_mode_without_network_configuration_is_judged_on_the_instances():
    """Without a NetworkConfiguration a task cannot be awsvpc (ECS refuses it), and in bridge, host
    or none mode the agent pulls and logs through the instance: the instance side decides whatever
    the mode, so the finding stands on known values only."""
    name = "workloads/bad_bridge_service_no_logs_endpoint.yaml"
    before = _ew(raw_for(_fixture(name)))
    t = _fixture(name)
    v_network_mode_param(t)
    assert _ew(raw_for(t)) == before and before
