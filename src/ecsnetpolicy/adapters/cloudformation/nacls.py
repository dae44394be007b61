"""Network ACLs, their entries and their subnet associations, read from the template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...state import Nacl, NaclEntry
from ...values import ResAtt, ResRef, Unknown, as_bool, as_int, as_network, excerpt
from .references import Reader, literal_id_unknown
from .rule_fields import read_port, read_protocol, unreadable


def add_nacl(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    vpc = cx.vpc_of(r.resolve(r.properties(lid).get("VpcId"), p + ("VpcId",)), p)
    cx.state.nacls[lid] = Nacl(lid, vpc, ("Resources", lid), origin=cx.origin(lid, ("Resources", lid)))


def add_nacl_entry(cx: Reader, lid: str) -> None:
    r = cx.r
    nacls = cx.state.nacls
    p = ("Resources", lid, "Properties")
    props = r.resolve(r.properties(lid), p)
    if not isinstance(props, Mapping):
        return
    acl = props.get("NetworkAclId")
    if not (isinstance(acl, (ResRef, ResAtt)) and acl.logical_id in nacls):
        return  # (an ACL not defined here cannot be one of ours)
    action = props.get("RuleAction")
    if isinstance(action, str) and action.lower() in ("allow", "deny"):
        allow = action.lower() == "allow"
    elif isinstance(action, str):
        allow = Unknown(f"RuleAction {excerpt(action)} is neither allow nor deny", p + ("RuleAction",))
    else:
        allow = unreadable(action, p + ("RuleAction",), "the rule action")
    egress = as_bool(props.get("Egress"), False, p + ("Egress",))
    if isinstance(egress, Unknown):
        nacl = nacls[acl.logical_id]
        nacl.unknown = nacl.unknown or Unknown(f"the direction (Egress) of network ACL entry {lid} is not known", p + ("Egress",))
        return
    pr = props.get("PortRange")
    if isinstance(pr, Mapping):
        pp = p + ("PortRange",)
        ports: Any = (read_port(pr.get("From"), pp + ("From",), "From"), read_port(pr.get("To"), pp + ("To",), "To"))
        bad = next((x for x in ports if isinstance(x, Unknown)), None)
        if bad is not None:
            ports = bad
        elif any(x is None for x in ports):
            ports = Unknown("the port range of a network ACL entry is not known", pp)
    else:
        ports = None
    if "CidrBlock" in props:
        cidr = as_network(props["CidrBlock"], p + ("CidrBlock",))
    elif "Ipv6CidrBlock" in props:
        cidr = as_network(props["Ipv6CidrBlock"], p + ("Ipv6CidrBlock",))
    else:
        cidr = Unknown("entry without CIDR", p)
    number = props.get("RuleNumber")
    number = as_int(number, p + ("RuleNumber",), "RuleNumber", 1, 32766) if number is not None else Unknown("rule number missing", p)
    nacls[acl.logical_id].entries.append(
        NaclEntry(number, egress, allow, read_protocol(props.get("Protocol"), p + ("Protocol",)), ports, cidr, ("Resources", lid), cx.origin(lid, ("Resources", lid)))
    )


def add_nacl_association(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    subnet = cx.subnet_id(r.resolve(props.get("SubnetId"), p + ("SubnetId",)), p + ("SubnetId",))
    acl = r.resolve(props.get("NetworkAclId"), p + ("NetworkAclId",))
    if isinstance(subnet, str):
        if isinstance(acl, (ResRef, ResAtt)) and acl.logical_id in cx.state.nacls:
            cx.state.subnet_nacl[subnet] = acl.logical_id
        else:
            cx.state.subnet_nacl[subnet] = literal_id_unknown(acl, "network ACL", p + ("NetworkAclId",))
