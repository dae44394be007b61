"""VPCs (with their extra CIDR blocks and default security group), internet gateways, subnets
and DHCP options, read from the template."""

from __future__ import annotations

from typing import Any

from ...state import DhcpOptions, InternetGateway, Rule, SecurityGroup, Subnet, Vpc, default_sg_id
from ...values import AZ, ResRef, Unknown, as_bool, as_network, first_unknown
from .references import Reader, literal_id_unknown


def add_vpc(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    cidrs = [as_network(r.resolve(props["CidrBlock"], p + ("CidrBlock",)), p + ("CidrBlock",))] if "CidrBlock" in props else [Unknown(f"VPC {lid} takes its CIDR from an IPAM pool", ("Resources", lid))]
    for other in cx.by_attached("AWS::EC2::VPCCidrBlock", "VpcId").get(lid, []):
        op = ("Resources", other, "Properties")
        oprops = r.properties(other)
        if "CidrBlock" in oprops:
            cidrs.append(as_network(r.resolve(oprops["CidrBlock"], op + ("CidrBlock",)), op + ("CidrBlock",)))
    cx.state.vpcs[lid] = Vpc(
        lid,
        cidrs,
        as_bool(r.resolve(props.get("EnableDnsSupport"), p + ("EnableDnsSupport",)), True, p + ("EnableDnsSupport",)),
        as_bool(r.resolve(props.get("EnableDnsHostnames"), p + ("EnableDnsHostnames",)), False, p + ("EnableDnsHostnames",)),
        ("Resources", lid),
        cx.origin(lid, ("Resources", lid)),
    )
    # the VPC's default security group: admits only its own members, lets everything out
    sg = SecurityGroup(default_sg_id(lid), lid, ("Resources", lid), origin=cx.origin(lid, ("Resources", lid)))
    sg.ingress.append(Rule("-1", None, None, peer_sg=default_sg_id(lid), origin=cx.origin(lid, ("Resources", lid))))
    cx.state.sgs[sg.lid] = sg


def add_internet_gateway(cx: Reader, lid: str) -> None:
    cx.state.igws[lid] = InternetGateway(lid, ("Resources", lid), cx.origin(lid, ("Resources", lid)))


def add_subnet(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    vpc = cx.vpc_of(r.resolve(props.get("VpcId"), p + ("VpcId",)), p + ("VpcId",))
    if "AvailabilityZone" in props:
        az = r.resolve(props["AvailabilityZone"], p + ("AvailabilityZone",))
        if not isinstance(az, (str, AZ)):
            az = first_unknown(az) or Unknown(f"the Availability Zone of subnet {lid} is not known", p + ("AvailabilityZone",))
    elif "AvailabilityZoneId" in props:
        azid = r.resolve(props["AvailabilityZoneId"], p + ("AvailabilityZoneId",))
        az = ("id", azid) if isinstance(azid, str) else (first_unknown(azid) or Unknown("AZ id not known"))
    else:
        az = Unknown(f"subnet {lid} has no AvailabilityZone (AWS picks one)", ("Resources", lid))
    cidr: Any = Unknown(f"subnet {lid} has no IPv4 CIDR block", ("Resources", lid))
    if "CidrBlock" in props:
        cidr = as_network(r.resolve(props["CidrBlock"], p + ("CidrBlock",)), p + ("CidrBlock",))
    cx.state.subnets[lid] = Subnet(lid, vpc, az, cidr, ("Resources", lid), origin=cx.origin(lid, ("Resources", lid)))
    cx.state.subnets[lid].map_public_ip = as_bool(r.resolve(props.get("MapPublicIpOnLaunch"), p + ("MapPublicIpOnLaunch",)), False, p + ("MapPublicIpOnLaunch",))


def add_dhcp_association(cx: Reader, lid: str) -> None:
    """A VPCDHCPOptionsAssociation: the DNS servers of its VPC."""
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    vpc = cx.vpc_of(r.resolve(props.get("VpcId"), p + ("VpcId",)), p + ("VpcId",))
    if not isinstance(vpc, str):
        return
    opts = r.resolve(props.get("DhcpOptionsId"), p + ("DhcpOptionsId",))
    if isinstance(opts, ResRef) and r.resource_type(opts.logical_id) == "AWS::EC2::DHCPOptions":
        op = ("Resources", opts.logical_id, "Properties")
        servers = r.items(r.properties(opts.logical_id).get("DomainNameServers", []), op + ("DomainNameServers",))
        if not isinstance(servers, Unknown):
            servers = [v if isinstance(v, str) else (first_unknown(v) or Unknown("a DNS server is not known", sp)) for v, sp in servers]
        where = ("Resources", opts.logical_id)
        cx.state.dhcp_by_vpc[vpc] = DhcpOptions(opts.logical_id, servers, where, cx.origin(opts.logical_id, where))
    elif isinstance(opts, str) and opts == "default":
        return
    else:
        where = p + ("DhcpOptionsId",)
        cx.state.dhcp_by_vpc[vpc] = DhcpOptions(None, literal_id_unknown(opts, "DHCP options set", where), where, cx.origin(lid, where))
