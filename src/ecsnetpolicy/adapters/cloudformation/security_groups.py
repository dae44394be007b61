"""Security groups with their inline rules, and the standalone SecurityGroupIngress /
SecurityGroupEgress rules, read from the template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, List, Optional

from ...state import Rule, SecurityGroup
from ...values import NOVALUE, Path, Unknown, as_network, first_unknown
from .references import Reader
from .rule_fields import read_port, read_prefix_list, read_protocol


def _rules(cx: Reader, node: Any, path: Path, ingress: bool, lid: str) -> List[Rule]:
    items = cx.r.items(node, path)
    if isinstance(items, Unknown):
        return [Rule(items, None, None, path=path, origin=cx.origin(lid, path))]
    out = []
    for value, ipath in items:
        if not isinstance(value, Mapping):
            out.append(Rule(first_unknown(value) or Unknown("rule is not known", ipath), None, None, path=ipath, origin=cx.origin(lid, ipath)))
            continue
        out.append(_rule(cx, value, ipath, ingress, lid))
    return out


def _rule(cx: Reader, props: Mapping[str, Any], path: Path, ingress: bool, lid: str, fields: Optional[Path] = None) -> Rule:
    """One rule of resource `lid`; `fields` is the path of its properties (the rule's own path by
    default).  Every value that cannot be read (a malformed CIDR, protocol or port) is an Unknown
    with its path: never all traffic, never silently dropped."""
    fp = path if fields is None else fields
    cidr: Any = None
    if "CidrIp" in props:
        cidr = as_network(props["CidrIp"], fp + ("CidrIp",))
    elif "CidrIpv6" in props:
        cidr = as_network(props["CidrIpv6"], fp + ("CidrIpv6",))
    peer_key = "SourceSecurityGroupId" if ingress else "DestinationSecurityGroupId"
    peer = None
    if peer_key in props:
        peer = cx.sg_id(props[peer_key], fp + (peer_key,))
    elif ingress and "SourceSecurityGroupName" in props:
        peer = Unknown("security group named by SourceSecurityGroupName", fp + ("SourceSecurityGroupName",))
    plist_key = "SourcePrefixListId" if ingress else "DestinationPrefixListId"
    plist = read_prefix_list(props[plist_key], fp + (plist_key,)) if plist_key in props else None
    return Rule(
        read_protocol(props.get("IpProtocol"), fp + ("IpProtocol",)),
        read_port(props.get("FromPort"), fp + ("FromPort",), "FromPort"),
        read_port(props.get("ToPort"), fp + ("ToPort",), "ToPort"),
        cidr,
        plist,
        peer,
        path,
        cx.origin(lid, path),
    )


def add_security_group(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    sg = SecurityGroup(lid, cx.vpc_of(r.resolve(props.get("VpcId"), p + ("VpcId",)), p + ("VpcId",)), ("Resources", lid), origin=cx.origin(lid, ("Resources", lid)))
    if "SecurityGroupIngress" in props:
        sg.ingress.extend(_rules(cx, props["SecurityGroupIngress"], p + ("SecurityGroupIngress",), True, lid))
    if "SecurityGroupEgress" in props:
        rules = _rules(cx, props["SecurityGroupEgress"], p + ("SecurityGroupEgress",), False, lid)
        sg.egress.extend(rules)
        sg.default_egress = False
        sg.egress_path = p + ("SecurityGroupEgress",)
        raw = r.resolve(props["SecurityGroupEgress"], p + ("SecurityGroupEgress",))
        if raw == [] or raw is NOVALUE:
            sg.default_egress = True  # an empty list keeps CloudFormation's allow-all rule
    cx.state.sgs[lid] = sg


def add_standalone_rule(cx: Reader, lid: str, ingress: bool) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.resolve(r.properties(lid), p)
    if not isinstance(props, Mapping):
        return
    group = props.get("GroupId")
    target = cx.sg_id(group, p + ("GroupId",)) if group is not None else Unknown("rule without GroupId", p)
    if isinstance(target, Unknown) or target not in cx.state.sgs:
        return
    rule = _rule(cx, props, ("Resources", lid), ingress, lid, p)
    sg = cx.state.sgs[target]
    if ingress:
        sg.ingress.append(rule)
    else:
        sg.egress.append(rule)
        if not target.startswith("default-sg:"):
            # a standalone egress rule removes CloudFormation's default allow-all (fact 17)
            sg.default_egress = False
            sg.standalone_egress = True
