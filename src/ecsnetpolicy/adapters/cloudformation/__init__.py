"""The CloudFormation adapter: reads one template under one scenario (through its resolver) into
the network state.  One module per resource family; `build` runs them in a fixed order (the
orders of the state's dicts feed the orders of findings).  Imports nothing from cfn-lint."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ...state import NetworkState
from ...values import Resolver
from .endpoints import add_endpoint
from .load_balancers import add_attachments, add_listener, add_listener_rule, add_load_balancer, add_service_connect, add_target_group
from .nacls import add_nacl, add_nacl_association, add_nacl_entry
from .references import Reader, present_by_type, register_getatts
from .routing import add_nat_gateway, add_route, add_route_table, add_route_table_association
from .security_groups import add_security_group, add_standalone_rule
from .vpc import add_dhcp_association, add_internet_gateway, add_subnet, add_vpc
from .workloads import add_daemon, add_express, add_scheduled, add_task_definition, add_workload


def build(resolver: Resolver, file: Optional[str] = None, account: Any = None) -> Tuple[NetworkState, Dict[str, List[str]]]:
    """(the network state, resource type -> logical IDs present in the scenario) of the template
    `resolver` reads.  Registers on `resolver` what GetAtt of a VPC, subnet or security group
    means; every fact gets Origin("template", logical ID, path, file=`file`).  With `account` (an
    adapters.account.Account), the IDs the template names that the account has are read from it
    into the same state (Origin("account", ...))."""
    register_getatts(resolver)
    state = NetworkState()
    by_type = present_by_type(resolver)
    cx = Reader(resolver, state, by_type, file, account.reader(state) if account is not None else None)
    for lid in by_type.get("AWS::EC2::VPC", []):
        add_vpc(cx, lid)
    for lid in by_type.get("AWS::EC2::InternetGateway", []):
        add_internet_gateway(cx, lid)
    for lid in by_type.get("AWS::EC2::Subnet", []):
        add_subnet(cx, lid)
    for lid in by_type.get("AWS::EC2::RouteTable", []):
        add_route_table(cx, lid)
    for lid in by_type.get("AWS::EC2::NatGateway", []):
        add_nat_gateway(cx, lid)
    for lid in by_type.get("AWS::EC2::Route", []):
        add_route(cx, lid)
    for lid in by_type.get("AWS::EC2::SubnetRouteTableAssociation", []):
        add_route_table_association(cx, lid)
    for lid in by_type.get("AWS::EC2::SecurityGroup", []):
        add_security_group(cx, lid)
    for lid in by_type.get("AWS::EC2::SecurityGroupIngress", []):
        add_standalone_rule(cx, lid, ingress=True)
    for lid in by_type.get("AWS::EC2::SecurityGroupEgress", []):
        add_standalone_rule(cx, lid, ingress=False)
    for lid in by_type.get("AWS::EC2::VPCEndpoint", []):
        add_endpoint(cx, lid)
    for lid in by_type.get("AWS::EC2::VPCDHCPOptionsAssociation", []):
        add_dhcp_association(cx, lid)
    for lid in by_type.get("AWS::EC2::NetworkAcl", []):
        add_nacl(cx, lid)
    for lid in by_type.get("AWS::EC2::NetworkAclEntry", []):
        add_nacl_entry(cx, lid)
    for lid in by_type.get("AWS::EC2::SubnetNetworkAclAssociation", []):
        add_nacl_association(cx, lid)
    for lid in by_type.get("AWS::ECS::TaskDefinition", []):
        add_task_definition(cx, lid)
    for lid in by_type.get("AWS::ECS::Service", []):
        add_workload(cx, lid, "service")
    for lid in by_type.get("AWS::ECS::TaskSet", []):
        add_workload(cx, lid, "task set")
    for lid in by_type.get("AWS::Events::Rule", []) + by_type.get("AWS::Scheduler::Schedule", []):
        add_scheduled(cx, lid)
    for lid in by_type.get("AWS::ECS::DaemonTaskDefinition", []):
        add_task_definition(cx, lid)
    for lid in by_type.get("AWS::ECS::Daemon", []):
        add_daemon(cx, lid)
    for lid in by_type.get("AWS::ECS::ExpressGatewayService", []):
        add_express(cx, lid)
    # traffic into the tasks (issue 12): after the workloads, whose LoadBalancers entries it reads
    for lid in by_type.get("AWS::ElasticLoadBalancingV2::LoadBalancer", []):
        add_load_balancer(cx, lid)
    for lid in by_type.get("AWS::ElasticLoadBalancingV2::TargetGroup", []):
        add_target_group(cx, lid)
    for lid in by_type.get("AWS::ElasticLoadBalancingV2::Listener", []):
        add_listener(cx, lid)
    for lid in by_type.get("AWS::ElasticLoadBalancingV2::ListenerRule", []):
        add_listener_rule(cx, lid)
    add_attachments(cx)
    add_service_connect(cx)
    return state, by_type


__all__ = ["build"]
