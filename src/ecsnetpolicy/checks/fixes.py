"""Fix records that more than one rule writes: a security-group rule (TCP 443 out of the tasks'
group, TCP 443 into an endpoint's group) added the way the template already declares that group's
rules (inline list, or standalone AWS::EC2::SecurityGroupEgress/Ingress resources: CloudFormation
must not be given both for one group), and the narrowest destination an interface endpoint is
reached at.  What `ecsnetpolicy fix` does with them: docs/fix.md."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Union

from ..engine import Analysis
from ..findings import Fix, manual
from ..state import Endpoint
from ..values import Unknown
from .base import _props, in_template

_HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
_STANDALONE = {"egress": "AWS::EC2::SecurityGroupEgress", "ingress": "AWS::EC2::SecurityGroupIngress"}
_INLINE = {"egress": "SecurityGroupEgress", "ingress": "SecurityGroupIngress"}


def own_sg(a: Analysis, sg_id: Any) -> bool:
    """Is this a security group the template declares (so a fix can edit it)?"""
    sg = a.state.sgs.get(sg_id) if isinstance(sg_id, str) else None
    return sg is not None and in_template(sg) and not sg_id.startswith("default-sg:") and sg_id in a.by_type.get("AWS::EC2::SecurityGroup", ())


def endpoint_destination(a: Analysis, ep: Endpoint, from_sg: Optional[str] = None) -> Union[Dict[str, Any], str]:
    """Where TCP 443 egress (from group `from_sg`) to an interface endpoint goes, narrowest first:
    the endpoint's own security group unless that group already refers to `from_sg` (the two
    groups would depend on each other: cfn-lint E3004, and CloudFormation refuses the cycle), else
    its VPC's CIDR (never 0.0.0.0/0); or why no value can be written."""
    groups = ep.security_groups if isinstance(ep.security_groups, list) else []
    for sg_id, _ in groups:
        if own_sg(a, sg_id) and not (from_sg and depends_on(a, sg_id, from_sg)):
            return {"DestinationSecurityGroupId": {"Ref": sg_id}}
    vpc = a.state.vpcs.get(ep.vpc) if isinstance(ep.vpc, str) else None
    if vpc is not None and in_template(vpc) and ep.vpc in a.by_type.get("AWS::EC2::VPC", ()):
        return {"CidrIp": {"Fn::GetAtt": [ep.vpc, "CidrBlock"]}}
    if vpc is not None and vpc.cidrs and not isinstance(vpc.cidrs[0], Unknown):
        return {"CidrIp": str(vpc.cidrs[0])}
    return f"the CIDR of the VPC of endpoint {ep.lid} is not known here"


def https_rule(a: Analysis, sg_id: str, direction: str, peers: List[Dict[str, Any]], *, safety: str = "safe") -> Fix:
    """Rules for TCP 443 to/from each peer on group `sg_id`, written like the group's others."""
    return sg_rules(a, sg_id, direction, [{**_HTTPS, **peer} for peer in peers], "Https", safety)


def sg_rules(a: Analysis, sg_id: str, direction: str, rules: List[Dict[str, Any]], stem: str, safety: str = "safe") -> Fix:
    """One Fix adding each rule to group `sg_id` (inline, or as standalone resources named
    <group><stem>Out/In<n> when the template declares the group's rules that way)."""
    fixes = [_sg_rule(a, sg_id, direction, rule, n, stem, safety) for n, rule in enumerate(_unique(rules))]
    first, rest = fixes[0], tuple(fixes[1:])
    return Fix(first.path, first.key, first.value, first.kind, safety, more=rest)


def _unique(items: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def inline(a: Analysis, sg_id: str, direction: str) -> bool:
    """Are rules added to this group inline (in its own resource), rather than as standalone
    resources?  Only an inline rule can close a reference cycle between two groups."""
    return _INLINE[direction] in a.resolver.properties(sg_id) or not _standalone(a, sg_id, direction)


def _sg_rule(a: Analysis, sg_id: str, direction: str, rule: Dict[str, Any], n: int, stem: str, safety: str) -> Fix:
    if inline(a, sg_id, direction):
        return Fix(_props(sg_id), _INLINE[direction], rule, "append", safety)
    name = f"{sg_id}{stem}{'Out' if direction == 'egress' else 'In'}{n + 1 if n else ''}"
    return Fix(("Resources", sg_id), name, {"Type": _STANDALONE[direction], "Properties": {"GroupId": {"Fn::GetAtt": [sg_id, "GroupId"]}, **rule}},
               "resource", safety)


def _standalone(a: Analysis, sg_id: str, direction: str) -> bool:
    """Does the template give this group rules as standalone resources?"""
    for lid in a.by_type.get(_STANDALONE[direction], ()):
        group = a.resolver.properties(lid).get("GroupId")
        if group in ({"Ref": sg_id}, {"Fn::GetAtt": [sg_id, "GroupId"]}, {"Fn::GetAtt": f"{sg_id}.GroupId"}):
            return True
    return False


def first_manual(parts: List[Union[Dict[str, Any], str]]) -> Optional[Fix]:
    """A manual Fix for the first part that is a reason rather than a value, else None."""
    reason = next((p for p in parts if isinstance(p, str)), None)
    return manual(reason) if reason is not None else None


def endpoint_ingress(a: Analysis, ep: Endpoint, ep_sgs: Any, task_sgs: List[str]) -> Optional[Fix]:
    """TCP 443 into the endpoint's first own security group from the tasks' group (from the VPC
    CIDR when the tasks use the VPC's default group, which has no ID the template can name)."""
    target = next((sg for sg in (ep_sgs if isinstance(ep_sgs, list) else []) if own_sg(a, sg)), None)
    if target is None:
        return None
    task = task_sgs[0] if task_sgs else None
    if own_sg(a, task) and not (inline(a, target, "ingress") and depends_on(a, task, target)):
        peer: Union[Dict[str, Any], str] = {"SourceSecurityGroupId": {"Ref": task}}
    elif isinstance(task, str) and task.startswith("sg-"):
        peer = {"SourceSecurityGroupId": task}
    else:
        found = endpoint_destination(a, Endpoint(ep.lid, ep.vpc, ep.service, ep.service_raw, ep.type, ep.type_known, ep.private_dns,
                                                 ep.subnets, ep.route_tables, None, ep.policy, ep.path))
        peer = {"CidrIp": found["CidrIp"]} if isinstance(found, dict) else found
    if isinstance(peer, str):
        return manual(peer)
    return https_rule(a, target, "ingress", [peer])


def vpc_dns(vpc: Any) -> Optional[Fix]:
    """EnableDnsSupport and EnableDnsHostnames set to true, whichever is off (support first:
    hostnames cannot be on without it)."""
    edits = [Fix(_props(vpc.lid), key, True) for key, value in (("EnableDnsSupport", vpc.dns_support), ("EnableDnsHostnames", vpc.dns_hostnames))
             if value is False]
    return Fix(edits[0].path, edits[0].key, True, more=tuple(edits[1:])) if edits else None


def new_endpoint(a: Analysis, vpc: Any, service: str, kind: str, subnets: List[str]) -> Optional[Fix]:
    """An unsafe fix (a billed resource): a new endpoint for `service`, next to an interface
    endpoint the template already has in the VPC, with its subnets and security groups (which
    already serve the tasks).  A gateway endpoint gets the route tables of the task subnets."""
    if not isinstance(vpc, str) or vpc not in a.by_type.get("AWS::EC2::VPC", ()):
        return None
    name = "".join(p.capitalize() for p in service.replace("-", ".").split(".")) + "Endpoint"
    if name in a.resolver.resources:
        return None
    body: Dict[str, Any] = {"VpcId": {"Ref": vpc}, "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}." + service}}
    siblings = [e for e in a.state.endpoints.values() if e.vpc == vpc and in_template(e) and e.lid in a.by_type.get("AWS::EC2::VPCEndpoint", ())]
    if kind == "gateway":
        tables = []
        for sn in subnets:
            rt = a.state.subnets[sn].route_table if sn in a.state.subnets else None
            if not isinstance(rt, str) or rt not in a.by_type.get("AWS::EC2::RouteTable", ()):
                return None  # the main route table, or one the template cannot name
            if {"Ref": rt} not in tables:
                tables.append({"Ref": rt})
        body.update({"VpcEndpointType": "Gateway", "RouteTableIds": tables})
        anchor = siblings[0].lid if siblings else vpc
    else:
        model = next((e for e in siblings if e.type == "Interface" and e.private_dns is True
                      and isinstance(e.security_groups, list) and e.security_groups), None)
        if model is None:
            return None
        props = a.resolver.properties(model.lid)
        if "SubnetIds" not in props or "SecurityGroupIds" not in props:
            return None
        body.update({"VpcEndpointType": "Interface", "PrivateDnsEnabled": True,
                     "SubnetIds": props["SubnetIds"], "SecurityGroupIds": props["SecurityGroupIds"]})
        anchor = model.lid
    return Fix(("Resources", anchor), name, {"Type": "AWS::EC2::VPCEndpoint", "Properties": body}, "resource", "unsafe")


def layer_bucket_statement(ep: Endpoint) -> Fix:
    """An unsafe fix (it widens the endpoint policy): the statement ECR image layers need, for any
    region and partition the stack is deployed in."""
    statement = {"Sid": "AllowEcrImageLayers", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::prod-${AWS::Region}-starport-layer-bucket/*"}}
    return Fix(_props(ep.lid) + ("PolicyDocument",), "Statement", statement, "append", "unsafe")


def dns_egress(a: Analysis, sg_id: Any, nets: List[Any], missing: List[str]) -> Optional[Fix]:
    """Egress rules for DNS (UDP and/or TCP 53) to each custom DNS server's network."""
    if not own_sg(a, sg_id):
        return None
    rules = [{"IpProtocol": proto.lower(), "FromPort": 53, "ToPort": 53, "CidrIp": str(net)} for proto in missing for net in nets]
    return sg_rules(a, sg_id, "egress", rules, "Dns")


_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}")


def depends_on(a: Analysis, start: str, target: str) -> bool:
    """Does resource `start` refer, directly or through others, to resource `target` (Ref, GetAtt,
    Sub, DependsOn)?  A fix must not add the reference back that would close a cycle."""
    seen, todo = {start}, [start]
    while todo:
        body = a.resolver.resources.get(todo.pop())
        for name in _names(body):
            if name == target:
                return True
            if name not in seen and name in a.resolver.resources:
                seen.add(name)
                todo.append(name)
    return False


def _names(value: Any) -> List[str]:
    """The logical IDs a template value refers to."""
    out: List[str] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "Ref" and isinstance(x, str):
                    out.append(x)
                elif k == "Fn::GetAtt":
                    first = x[0] if isinstance(x, list) and x else x
                    if isinstance(first, str):
                        out.append(first.split(".")[0])
                elif k == "Fn::Sub":
                    text = x[0] if isinstance(x, list) and x else x
                    if isinstance(text, str):
                        out.extend(_SUB_NAME.findall(text))
                    stack.append(x)
                elif k == "DependsOn":
                    out.extend([x] if isinstance(x, str) else [d for d in x if isinstance(d, str)] if isinstance(x, list) else [])
                else:
                    stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)
    return out


def execution_policy(role: str) -> Fix:
    """An unsafe fix (it widens permissions): the AWS managed policy AmazonECSTaskExecutionRolePolicy
    attached to the template's execution role."""
    arn = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}
    return Fix(_props(role), "ManagedPolicyArns", arn, "append", "unsafe")


def log_group(a: Analysis, td: str, anchor: Any) -> Optional[Fix]:
    """An unsafe fix (a billed resource): an AWS::Logs::LogGroup next to the task definition, named
    by the very value its awslogs-group option holds (a literal, or the same !Sub/!Ref, which
    resolves alike in the same stack)."""
    raw: Any = a.resolver.resources
    for key in tuple(anchor[1:]) + ("Options", "awslogs-group"):
        raw = raw.get(key) if isinstance(raw, dict) and isinstance(key, str) else (
            raw[key] if isinstance(raw, list) and isinstance(key, int) and 0 <= key < len(raw) else None)
    name = f"{td}LogGroup"
    if not isinstance(raw, (str, dict)) or name in a.resolver.resources:
        return None
    return Fix(("Resources", td), name, {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": raw}}, "resource", "unsafe")
