"""What a task's traffic has to pass besides its security group's HTTPS rule: the DNS servers it
must reach on port 53, and the stateless legs of its HTTPS flows through network ACLs."""

from __future__ import annotations

import ipaddress
from typing import Any, List, Tuple

from ..engine import Analysis, Verdict
from ..phrasing import join as _join
from ..state import ANY_V4
from ..values import Unknown, as_network


EPHEMERAL = (1024, 65535)  # return ports NACLs must let through (fact 21)


def _dns_targets(a: Analysis, vpc: str) -> Any:
    """(label, networks) of the DNS servers the tasks must reach on port 53, None when security
    groups do not filter them (AmazonProvidedDNS: fact 15), or Unknown."""
    found = a.state.dns_servers(vpc)
    if found is not None:
        opts, servers = found
        if isinstance(servers, Unknown):
            return servers
        v = a.state.vpcs.get(vpc)
        amazon = {"AmazonProvidedDNS", "169.254.169.253"}
        if v is not None and v.cidrs and not isinstance(v.cidrs[0], Unknown):
            amazon.add(str(v.cidrs[0].network_address + 2))  # the VPC resolver, by its address
        custom = [x for x in servers if not (isinstance(x, str) and x in amazon)]
        for x in custom:
            if isinstance(x, Unknown):
                return x
        if custom:
            nets = [as_network(x, ("Resources", opts, "Properties", "DomainNameServers")) for x in custom]
            for n in nets:
                if isinstance(n, Unknown):
                    return n
            return (f"DNS servers {_join(custom)} (DHCP options {opts} of VPC {vpc})", nets)
    if a.policy.options.get("dns_egress") == "always":
        v = a.state.vpcs.get(vpc)
        if v is None or not v.cidrs or isinstance(v.cidrs[0], Unknown):
            return Unknown(f"the CIDR of VPC {vpc} is not known")
        resolver = ipaddress.ip_network(f"{v.cidrs[0].network_address + 2}/32")
        return (f"the VPC resolver {resolver.network_address} of VPC {vpc}", [resolver])
    return None


def _nacl_flows(a: Analysis, v: Verdict) -> List[Tuple[str, bool, Tuple[int, int], Any, str]]:
    """The stateless legs of a verdict's HTTPS flow that cross a network ACL: (subnet, egress?,
    ports, peer network, peer label).  A leg out of or into a subnet the state knows no ACL of is
    left out: the state passes it (nacl_decision: allowed, no entry), so neither EN1003 nor IN9001
    could say anything about it, and with an account snapshot only its few subnets have an ACL
    while every flow of every other verdict would be built and asked about."""
    net = a.state
    acls = net.subnet_nacl
    src = net.subnets[v.subnet].cidr
    legs: List[Tuple[str, bool, Tuple[int, int], Any, str]] = []
    kind, target = v.dest
    mine = v.subnet in acls
    if kind == "endpoint":
        if isinstance(target.subnets, Unknown):
            return legs
        for sn, _ in target.subnets:
            if not isinstance(sn, str) or sn == v.subnet:
                continue  # traffic inside one subnet does not cross its network ACL
            dst = net.subnets[sn].cidr
            if mine:
                label = f"endpoint {target.lid}"
                legs.append((v.subnet, True, (443, 443), dst, label))
                legs.append((v.subnet, False, EPHEMERAL, dst, label))
            if sn in acls:
                legs.append((sn, False, (443, 443), src, f"the tasks in {v.subnet}"))
                legs.append((sn, True, EPHEMERAL, src, f"the tasks in {v.subnet}"))
    elif mine:
        label = "S3" if kind == "s3" else "the internet"
        legs.append((v.subnet, True, (443, 443), ANY_V4, label))
        legs.append((v.subnet, False, EPHEMERAL, ANY_V4, label))
    return legs
