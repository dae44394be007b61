"""Route tables, NAT gateways, routes and subnet route table associations, read from the
template."""

from __future__ import annotations

from typing import Optional

from ...state import NatGateway, Route, RouteTable
from ...values import ResRef, as_network
from .references import Reader


def add_route_table(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    vpc = cx.vpc_of(r.resolve(r.properties(lid).get("VpcId"), p + ("VpcId",)), p + ("VpcId",))
    cx.state.route_tables[lid] = RouteTable(lid, vpc, origin=cx.origin(lid, ("Resources", lid)))


def add_nat_gateway(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    conn = r.resolve(props.get("ConnectivityType", "public"), p + ("ConnectivityType",))
    subnet = cx.subnet_id(r.resolve(props.get("SubnetId"), p + ("SubnetId",)), p + ("SubnetId",))
    cx.state.nats[lid] = NatGateway(lid, conn, subnet, ("Resources", lid), cx.origin(lid, ("Resources", lid)))


def add_route(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    rt = cx.rt_id(r.resolve(props.get("RouteTableId"), p + ("RouteTableId",)), p)
    if not isinstance(rt, str) or rt not in cx.state.route_tables:
        return
    if "DestinationCidrBlock" in props:
        dest = as_network(r.resolve(props["DestinationCidrBlock"], p + ("DestinationCidrBlock",)), p + ("DestinationCidrBlock",))
    else:
        dest = None  # IPv6 or prefix-list destinations do not carry IPv4 default traffic
    at = ("Resources", lid)
    origin = cx.origin(lid, at)
    route: Optional[Route] = None
    if "GatewayId" in props:
        gw = r.resolve(props["GatewayId"], p + ("GatewayId",))
        if isinstance(gw, ResRef) and r.resource_type(gw.logical_id) == "AWS::EC2::InternetGateway":
            route = Route(dest, "igw", gw.logical_id, f"internet gateway {gw.logical_id}", at, origin)
        elif isinstance(gw, str) and gw.startswith("igw-"):
            route = Route(dest, "igw", gw, f"internet gateway {gw}", at, origin)
        else:
            name = gw.logical_id if isinstance(gw, ResRef) else (gw if isinstance(gw, str) else "a gateway")
            route = Route(dest, "other", gw, f"gateway {name}", at, origin)
    elif "NatGatewayId" in props:
        nat = r.resolve(props["NatGatewayId"], p + ("NatGatewayId",))
        if isinstance(nat, ResRef) and nat.logical_id in cx.state.nats:
            route = Route(dest, "nat", nat.logical_id, f"NAT gateway {nat.logical_id}", at, origin)
        else:
            name = nat if isinstance(nat, str) else "a NAT gateway not defined here"
            route = Route(dest, "other", nat, f"NAT gateway {name}", at, origin)
    else:
        for key, what in (
            ("TransitGatewayId", "transit gateway"),
            ("VpcPeeringConnectionId", "VPC peering connection"),
            ("InstanceId", "instance"),
            ("NetworkInterfaceId", "network interface"),
            ("VpcEndpointId", "Gateway Load Balancer endpoint"),
            ("LocalGatewayId", "local gateway"),
            ("CarrierGatewayId", "carrier gateway"),
            ("CoreNetworkArn", "core network"),
            ("EgressOnlyInternetGatewayId", "egress-only internet gateway"),
        ):
            if key in props:
                route = Route(dest, "other", None, what, at, origin)
                break
    if route is not None:
        cx.state.route_tables[rt].routes.append(route)


def add_route_table_association(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    subnet = cx.subnet_id(r.resolve(props.get("SubnetId"), p + ("SubnetId",)), p + ("SubnetId",))
    rt = cx.rt_id(r.resolve(props.get("RouteTableId"), p + ("RouteTableId",)), p + ("RouteTableId",))
    if isinstance(subnet, str) and subnet in cx.state.subnets:
        cx.state.subnets[subnet].route_table = rt
