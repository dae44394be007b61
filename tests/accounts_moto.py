"""Test helper (not a test module): recreate a fixture account of tests/fixtures/accounts/ in moto.

`build_in_moto(account_dir)` reads the account's AWS CLI JSON files (recognised by their
top-level key, as the snapshot adapter reads them) and makes the same resources with boto3
calls, inside a `mock_aws` the caller has started. moto picks its own IDs, so it returns the
mapping fixture ID -> moto ID; `remap()` / `remap_parameters()` rewrite parameter values (or template text) with it,
so that "live against moto" and "the snapshot" can be checked against the same template.

What moto cannot express is skipped, and said so where it happens:
- a route in state `blackhole`: moto keeps every route `active`. A route to a NAT gateway that
  the fixture lists as deleted (or does not list at all) is made by creating a NAT gateway,
  routing to it and deleting it: moto then shows the route `active` towards a NAT gateway in
  state `deleted`, which is what AWS shows for a few minutes before it marks the route.
- `ServiceDetails` (describe-vpc-endpoint-services): moto offers every endpoint service in
  every AZ; the fixture's AZ lists cannot be reproduced (EN2008 is snapshot-only).
- the CIDRs of AWS-managed prefix lists: moto has its own (generic) entries; the lists are
  mapped by name (`com.amazonaws.<region>.s3` -> moto's ID). A `pl-` that the fixture does not
  list (another region's ID, for instance) is left as it is: moto accepts it in a rule, and it
  exists in neither.
- `SecurityGroupRules` (describe-security-group-rules) repeats `SecurityGroups`: not replayed.
- the exporting stacks of `Exports`/`Stacks` are made as tiny CloudFormation stacks whose
  outputs carry the (remapped) values; their other resources and parameters are not made.
- AWS managed IAM policies exist in moto only when it loads them: start the mock with
  `mock_aws(config={"iam": {"load_aws_managed_policies": True}})` for an account whose roles
  attach one (missing-log-group), or `build_in_moto` raises `MotoBuildError`.

Everything here is written by hand because no library replays AWS CLI output into moto.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, MutableMapping

ID_RE = re.compile(r"\b(?:vpc|subnet|sg|rtb|igw|nat|acl|vpce|pl|dopt)-[0-9a-f]{8,17}\b")
# list keys of the snapshot and the field that identifies an entry (for merging split pages)
LIST_KEYS = {
    "Vpcs": "VpcId", "Subnets": "SubnetId", "RouteTables": "RouteTableId", "SecurityGroups": "GroupId",
    "SecurityGroupRules": "SecurityGroupRuleId", "NetworkAcls": "NetworkAclId", "NatGateways": "NatGatewayId",
    "InternetGateways": "InternetGatewayId", "DhcpOptions": "DhcpOptionsId", "VpcEndpoints": "VpcEndpointId",
    "PrefixLists": "PrefixListId", "ServiceDetails": "ServiceName", "Exports": "Name", "Stacks": "StackId",
    "Parameters": "Name", "logGroups": "logGroupName", "RoleDetailList": "Arn",
}
_NOT_DELETED = ("available", "pending")


class MotoBuildError(Exception):
    """A fixture account that this helper cannot build; str() is one line naming the cause."""


def load_snapshot(account_dir: Path) -> Dict[str, Any]:
    """The account's JSON files merged by top-level key: {"Subnets": [...], ...}; entries with the
    same ID (a response split over several files, or describe-prefix-lists next to
    describe-managed-prefix-lists) are merged field by field. describe-vpc-attribute outputs are
    gathered under "VpcAttributes" {vpc_id: {"EnableDnsSupport": bool, ...}}, meta.json under
    "meta". parameters.json (a list, not an AWS response) is ignored."""
    out: Dict[str, Any] = {"VpcAttributes": {}, "meta": {}}
    merged: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for path in sorted(Path(account_dir).glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise MotoBuildError(f"{path}: not JSON ({exc})") from None
        if not isinstance(doc, dict):
            continue
        if path.name == "meta.json":
            out["meta"] = doc
            continue
        if "VpcId" in doc and ({"EnableDnsSupport", "EnableDnsHostnames"} & doc.keys()):
            attrs = out["VpcAttributes"].setdefault(doc["VpcId"], {})
            for key in ("EnableDnsSupport", "EnableDnsHostnames"):
                if key in doc:
                    attrs[key] = bool(doc[key]["Value"])
            continue
        for key, value in doc.items():
            if key not in LIST_KEYS or not isinstance(value, list):
                continue
            by_id = merged.setdefault(key, {})
            for item in value:
                ident = item.get(LIST_KEYS[key])
                by_id.setdefault(ident, {}).update(item)
    for key, by_id in merged.items():
        out[key] = list(by_id.values())
    return out


def remap(value: Any, mapping: Mapping[str, str]) -> Any:
    """`value` (a string, list or dict, nested) with every fixture ID in `mapping` replaced."""
    if isinstance(value, str):
        return ID_RE.sub(lambda m: mapping.get(m.group(0), m.group(0)), value)
    if isinstance(value, list):
        return [remap(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: remap(v, mapping) for k, v in value.items()}
    return value


def _tags(item: Mapping[str, Any], resource: str) -> List[Dict[str, Any]]:
    tags = [t for t in item.get("Tags") or [] if not t["Key"].startswith("aws:")]
    return [{"ResourceType": resource, "Tags": tags}] if tags else []


def _one(items: List[Dict[str, Any]], what: str) -> Dict[str, Any]:
    if len(items) != 1:
        raise MotoBuildError(f"moto shows {len(items)} {what}, expected one")
    return items[0]


def build_in_moto(account_dir: Path | str) -> Dict[str, str]:
    """Make the account of `account_dir` in moto (a `mock_aws` must be active); returns
    {fixture ID: moto ID} for VPCs, DHCP options, subnets, gateways, route tables, security
    groups, network ACLs, endpoints and prefix lists."""
    import boto3  # lazily: the package itself never needs it

    snap = load_snapshot(Path(account_dir))
    region = snap["meta"].get("region")
    if not region:
        raise MotoBuildError(f"{account_dir}/meta.json: no region")
    account = snap["meta"].get("account_id")
    ec2 = boto3.client("ec2", region_name=region)
    vpc_owner = ec2.describe_vpcs()["Vpcs"]  # moto's default VPC, owned by the account moto runs as
    moto_account = vpc_owner[0]["OwnerId"] if vpc_owner else account
    if account and account != moto_account:
        raise MotoBuildError(f"{account_dir}/meta.json: account {account}, but moto runs as {moto_account} (set MOTO_ACCOUNT_ID)")
    ids: Dict[str, str] = {}

    _dhcp_and_vpcs(ec2, snap, ids)
    _subnets(ec2, snap, ids)
    for igw in snap.get("InternetGateways", []):
        new = ec2.create_internet_gateway(TagSpecifications=_tags(igw, "internet-gateway"))["InternetGateway"]["InternetGatewayId"]
        ids[igw["InternetGatewayId"]] = new
        for att in igw.get("Attachments", []):
            ec2.attach_internet_gateway(InternetGatewayId=new, VpcId=ids[att["VpcId"]])
    gone = _nat_gateways(ec2, snap, ids)
    _prefix_lists(ec2, snap, ids)
    _security_groups(ec2, snap, ids)
    gone += _route_tables(ec2, snap, ids)
    _network_acls(ec2, snap, ids)
    _endpoints(ec2, snap, ids)
    for nat in gone:  # after the routes to them exist (see the module docstring)
        ec2.delete_nat_gateway(NatGatewayId=nat)
    # other services' clients only when the account has something for them (each costs ~0.1s)
    if snap.get("logGroups"):
        _log_groups(boto3.client("logs", region_name=region), snap)
    if snap.get("Parameters"):
        _ssm_parameters(boto3.client("ssm", region_name=region), snap, ids)
    if snap.get("Stacks") or snap.get("Exports"):
        _stacks(boto3.client("cloudformation", region_name=region), snap, ids)
    if snap.get("RoleDetailList"):
        _roles(boto3.client("iam", region_name=region), snap)
    return ids


# ------------------------------------------------------------------------------------- EC2


def _dhcp_and_vpcs(ec2: Any, snap: Mapping[str, Any], ids: MutableMapping[str, str]) -> None:
    for d in snap.get("DhcpOptions", []):
        conf = [{"Key": c["Key"], "Values": [v["Value"] for v in c["Values"]]} for c in d["DhcpConfigurations"]]
        ids[d["DhcpOptionsId"]] = ec2.create_dhcp_options(DhcpConfigurations=conf)["DhcpOptions"]["DhcpOptionsId"]
    for v in snap.get("Vpcs", []):
        new = ec2.create_vpc(CidrBlock=v["CidrBlock"], TagSpecifications=_tags(v, "vpc"))["Vpc"]["VpcId"]
        ids[v["VpcId"]] = new
        for extra in v.get("CidrBlockAssociationSet", [])[1:]:
            ec2.associate_vpc_cidr_block(VpcId=new, CidrBlock=extra["CidrBlock"])
        if v.get("DhcpOptionsId") in ids:
            ec2.associate_dhcp_options(DhcpOptionsId=ids[v["DhcpOptionsId"]], VpcId=new)
        for key, value in snap["VpcAttributes"].get(v["VpcId"], {}).items():
            ec2.modify_vpc_attribute(VpcId=new, **{key: {"Value": value}})
        # what every new VPC comes with: its main route table, default group and default NACL
        vpc_filter = {"Name": "vpc-id", "Values": [new]}
        for rt in snap.get("RouteTables", []):
            if rt["VpcId"] == v["VpcId"] and any(a.get("Main") for a in rt.get("Associations", [])):
                main = ec2.describe_route_tables(Filters=[vpc_filter, {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
                ids[rt["RouteTableId"]] = _one(main, f"main route tables in {new}")["RouteTableId"]
        for sg in snap.get("SecurityGroups", []):
            if sg["VpcId"] == v["VpcId"] and sg["GroupName"] == "default":
                groups = ec2.describe_security_groups(Filters=[vpc_filter, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
                ids[sg["GroupId"]] = _one(groups, f"default security groups in {new}")["GroupId"]
        for acl in snap.get("NetworkAcls", []):
            if acl["VpcId"] == v["VpcId"] and acl.get("IsDefault"):
                acls = ec2.describe_network_acls(Filters=[vpc_filter, {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
                ids[acl["NetworkAclId"]] = _one(acls, f"default network ACLs in {new}")["NetworkAclId"]


def _subnets(ec2: Any, snap: Mapping[str, Any], ids: MutableMapping[str, str]) -> None:
    for s in snap.get("Subnets", []):
        new = ec2.create_subnet(VpcId=ids[s["VpcId"]], CidrBlock=s["CidrBlock"], AvailabilityZone=s["AvailabilityZone"],
                                TagSpecifications=_tags(s, "subnet"))["Subnet"]["SubnetId"]
        ids[s["SubnetId"]] = new
        if s.get("MapPublicIpOnLaunch"):
            ec2.modify_subnet_attribute(SubnetId=new, MapPublicIpOnLaunch={"Value": True})


def _nat_gateways(ec2: Any, snap: Mapping[str, Any], ids: MutableMapping[str, str]) -> List[str]:
    """Make every NAT gateway; returns the moto IDs of those to delete once routes exist."""
    gone = []
    for n in snap.get("NatGateways", []):
        ids[n["NatGatewayId"]] = new = _new_nat(ec2, ids[n["SubnetId"]], n.get("ConnectivityType", "public"))
        if n.get("State") not in _NOT_DELETED:
            gone.append(new)
    return gone


def _new_nat(ec2: Any, subnet: str, connectivity: str) -> str:
    kwargs: Dict[str, Any] = {"SubnetId": subnet}
    if connectivity == "private":
        kwargs["ConnectivityType"] = "private"
    else:
        kwargs["AllocationId"] = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return ec2.create_nat_gateway(**kwargs)["NatGateway"]["NatGatewayId"]


def _prefix_lists(ec2: Any, snap: Mapping[str, Any], ids: MutableMapping[str, str]) -> None:
    by_name = {p["PrefixListName"]: p["PrefixListId"] for p in ec2.describe_managed_prefix_lists()["PrefixLists"]}
    for p in snap.get("PrefixLists", []):
        owner = p.get("OwnerId", "AWS")
        if owner == "AWS":
            if p["PrefixListName"] in by_name:
                ids[p["PrefixListId"]] = by_name[p["PrefixListName"]]
            continue
        new = ec2.create_managed_prefix_list(PrefixListName=p["PrefixListName"], MaxEntries=p.get("MaxEntries", 10),
                                             AddressFamily=p.get("AddressFamily", "IPv4"))["PrefixList"]["PrefixListId"]
        ids[p["PrefixListId"]] = new


def _permission(perm: Mapping[str, Any], ids: Mapping[str, str]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"IpProtocol": perm["IpProtocol"]}
    for key in ("FromPort", "ToPort"):
        if key in perm:
            out[key] = perm[key]
    if perm.get("IpRanges"):
        out["IpRanges"] = [dict(r) for r in perm["IpRanges"]]
    if perm.get("Ipv6Ranges"):
        out["Ipv6Ranges"] = [dict(r) for r in perm["Ipv6Ranges"]]
    if perm.get("PrefixListIds"):
        out["PrefixListIds"] = [dict(r, PrefixListId=ids.get(r["PrefixListId"], r["PrefixListId"])) for r in perm["PrefixListIds"]]
    if perm.get("UserIdGroupPairs"):
        out["UserIdGroupPairs"] = [{k: (ids.get(v, v) if k == "GroupId" else v) for k, v in pair.items() if k in ("GroupId", "Description")}
                                   for pair in perm["UserIdGroupPairs"]]
    return out


def _allow_all_egress(perms: List[Mapping[str, Any]]) -> bool:
    return (len(perms) == 1 and perms[0]["IpProtocol"] == "-1" and [r["CidrIp"] for r in perms[0].get("IpRanges", [])] == ["0.0.0.0/0"]
            and not perms[0].get("Ipv6Ranges") and not perms[0].get("PrefixListIds") and not perms[0].get("UserIdGroupPairs"))


def _security_groups(ec2: Any, snap: Mapping[str, Any], ids: MutableMapping[str, str]) -> None:
    groups = snap.get("SecurityGroups", [])
    for g in groups:  # first every group, so rules can name any of them
        if g["GroupId"] in ids:  # a VPC's default group, mapped with its VPC
            continue
        ids[g["GroupId"]] = ec2.create_security_group(GroupName=g["GroupName"], Description=g["Description"], VpcId=ids[g["VpcId"]],
                                                      TagSpecifications=_tags(g, "security-group"))["GroupId"]
    for g in groups:
        new = ids[g["GroupId"]]
        current = _one(ec2.describe_security_groups(GroupIds=[new])["SecurityGroups"], f"groups {new}")
        if current["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=new, IpPermissions=current["IpPermissions"])
        if g["IpPermissions"]:
            ec2.authorize_security_group_ingress(GroupId=new, IpPermissions=[_permission(p, ids) for p in g["IpPermissions"]])
        if _allow_all_egress(g["IpPermissionsEgress"]) and _allow_all_egress(current["IpPermissionsEgress"]):
            continue
        if current["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=new, IpPermissions=current["IpPermissionsEgress"])
        if g["IpPermissionsEgress"]:
            ec2.authorize_security_group_egress(GroupId=new, IpPermissions=[_permission(p, ids) for p in g["IpPermissionsEgress"]])


def _route_tables(ec2: Any, snap: Mapping[str, Any], ids: MutableMapping[str, str]) -> List[str]:
    """Route tables, their routes and subnet associations; returns NAT gateways made only to be
    deleted (routes to a NAT gateway the fixture does not list)."""
    gone = []
    listed_nats = {n["NatGatewayId"] for n in snap.get("NatGateways", [])}
    subnets_of = {}
    for s in snap.get("Subnets", []):
        subnets_of.setdefault(s["VpcId"], []).append(ids[s["SubnetId"]])
    for rt in snap.get("RouteTables", []):
        if rt["RouteTableId"] not in ids:
            ids[rt["RouteTableId"]] = ec2.create_route_table(VpcId=ids[rt["VpcId"]], TagSpecifications=_tags(rt, "route-table"))["RouteTable"]["RouteTableId"]
        new = ids[rt["RouteTableId"]]
        for route in rt.get("Routes", []):
            if route.get("GatewayId") == "local":
                continue
            if route.get("GatewayId", "").startswith("vpce-"):
                continue  # made by the gateway endpoint (its RouteTableIds)
            dest = {k: route[k] for k in ("DestinationCidrBlock", "DestinationIpv6CidrBlock") if k in route}
            if "DestinationPrefixListId" in route:
                dest = {"DestinationPrefixListId": ids.get(route["DestinationPrefixListId"], route["DestinationPrefixListId"])}
            if "NatGatewayId" in route:
                nat = route["NatGatewayId"]
                if nat not in listed_nats:  # a NAT gateway gone from the account entirely
                    ids[nat] = _new_nat(ec2, subnets_of[rt["VpcId"]][0], "public")
                    listed_nats.add(nat)
                    gone.append(ids[nat])
                ec2.create_route(RouteTableId=new, NatGatewayId=ids[nat], **dest)
            elif route.get("GatewayId", "").startswith("igw-"):
                ec2.create_route(RouteTableId=new, GatewayId=ids[route["GatewayId"]], **dest)
            else:
                target = sorted(k for k in route if k.endswith("Id") and k != "DestinationPrefixListId")
                raise MotoBuildError(f"route table {rt['RouteTableId']}: route target {target} is not supported by this helper")
        for assoc in rt.get("Associations", []):
            if assoc.get("SubnetId"):
                ec2.associate_route_table(RouteTableId=new, SubnetId=ids[assoc["SubnetId"]])
    return gone


def _entry_args(e: Mapping[str, Any]) -> Dict[str, Any]:
    args = {k: e[k] for k in ("RuleNumber", "Protocol", "RuleAction", "Egress", "CidrBlock") if k in e}
    for key in ("PortRange", "IcmpTypeCode", "Ipv6CidrBlock"):
        if key in e:
            args[key] = e[key]
    return args


def _network_acls(ec2: Any, snap: Mapping[str, Any], ids: MutableMapping[str, str]) -> None:
    for acl in snap.get("NetworkAcls", []):
        if acl["NetworkAclId"] not in ids:
            ids[acl["NetworkAclId"]] = ec2.create_network_acl(VpcId=ids[acl["VpcId"]], TagSpecifications=_tags(acl, "network-acl"))["NetworkAcl"]["NetworkAclId"]
        new = ids[acl["NetworkAclId"]]
        current = _one(ec2.describe_network_acls(NetworkAclIds=[new])["NetworkAcls"], f"network ACLs {new}")
        want = sorted((e["Egress"], e["RuleNumber"], json.dumps(_entry_args(e), sort_keys=True)) for e in acl["Entries"] if e["RuleNumber"] != 32767)
        have = sorted((e["Egress"], e["RuleNumber"], json.dumps(_entry_args(e), sort_keys=True)) for e in current["Entries"] if e["RuleNumber"] != 32767)
        if want != have:
            for e in current["Entries"]:
                if e["RuleNumber"] != 32767:
                    ec2.delete_network_acl_entry(NetworkAclId=new, RuleNumber=e["RuleNumber"], Egress=e["Egress"])
            for e in acl["Entries"]:
                if e["RuleNumber"] != 32767:  # the implicit last rule every NACL has
                    ec2.create_network_acl_entry(NetworkAclId=new, **_entry_args(e))
        for assoc in acl.get("Associations", []):
            subnet = ids[assoc["SubnetId"]]
            holder = _one(ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"],
                          f"network ACLs holding {subnet}")
            if holder["NetworkAclId"] == new:
                continue
            assoc_id = next(a["NetworkAclAssociationId"] for a in holder["Associations"] if a["SubnetId"] == subnet)
            ec2.replace_network_acl_association(AssociationId=assoc_id, NetworkAclId=new)


def _endpoints(ec2: Any, snap: Mapping[str, Any], ids: MutableMapping[str, str]) -> None:
    for ep in snap.get("VpcEndpoints", []):
        kwargs: Dict[str, Any] = {"VpcEndpointType": ep["VpcEndpointType"], "VpcId": ids[ep["VpcId"]], "ServiceName": ep["ServiceName"]}
        if ep.get("PolicyDocument"):
            kwargs["PolicyDocument"] = ep["PolicyDocument"]
        if ep["VpcEndpointType"] == "Gateway":
            kwargs["RouteTableIds"] = [ids[r] for r in ep.get("RouteTableIds", [])]
        else:
            kwargs["SubnetIds"] = [ids[s] for s in ep.get("SubnetIds", [])]
            kwargs["SecurityGroupIds"] = [ids[g["GroupId"]] for g in ep.get("Groups", [])]
            kwargs["PrivateDnsEnabled"] = bool(ep.get("PrivateDnsEnabled"))
        ids[ep["VpcEndpointId"]] = ec2.create_vpc_endpoint(**kwargs)["VpcEndpoint"]["VpcEndpointId"]


# ------------------------------------------------------------------------- other services


def _log_groups(logs: Any, snap: Mapping[str, Any]) -> None:
    for g in snap.get("logGroups", []):
        logs.create_log_group(logGroupName=g["logGroupName"])
        if g.get("retentionInDays"):
            logs.put_retention_policy(logGroupName=g["logGroupName"], retentionInDays=g["retentionInDays"])


def _ssm_parameters(ssm: Any, snap: Mapping[str, Any], ids: Mapping[str, str]) -> None:
    for p in snap.get("Parameters", []):
        kwargs = {"Name": p["Name"], "Type": p["Type"], "Value": remap(p["Value"], ids)}
        if p.get("DataType") and p["DataType"] != "text":
            kwargs["DataType"] = p["DataType"]
        ssm.put_parameter(**kwargs)


def _stack_name(stack_id: str) -> str:
    # arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
    return stack_id.split(":stack/", 1)[1].split("/", 1)[0] if ":stack/" in stack_id else stack_id


def _stacks(cfn: Any, snap: Mapping[str, Any], ids: Mapping[str, str]) -> None:
    outputs: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for st in snap.get("Stacks", []):
        for o in st.get("Outputs", []):
            out = {"Value": remap(o["OutputValue"], ids)}
            if o.get("Description"):
                out["Description"] = o["Description"]
            if o.get("ExportName"):
                out["Export"] = {"Name": o["ExportName"]}
            outputs.setdefault(st["StackName"], {})[_logical(o["OutputKey"])] = out
    for ex in snap.get("Exports", []):
        name = _stack_name(ex["ExportingStackId"])
        have = {o.get("Export", {}).get("Name") for o in outputs.get(name, {}).values()}
        if ex["Name"] not in have:
            outputs.setdefault(name, {})[_logical(ex["Name"])] = {"Value": remap(ex["Value"], ids), "Export": {"Name": ex["Name"]}}
    for name, outs in outputs.items():
        # a no-op resource: moto warns that it does not model it, which is all we want from it
        body = {"Resources": {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}, "Outputs": outs}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            cfn.create_stack(StackName=name, TemplateBody=json.dumps(body))


def _logical(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", name) or "Output"


def _roles(iam: Any, snap: Mapping[str, Any]) -> None:
    customer = {p["Arn"]: p for p in snap.get("Policies", [])} if isinstance(snap.get("Policies"), list) else {}
    for r in snap.get("RoleDetailList", []):
        trust = r["AssumeRolePolicyDocument"]
        iam.create_role(Path=r.get("Path", "/"), RoleName=r["RoleName"],
                        AssumeRolePolicyDocument=trust if isinstance(trust, str) else json.dumps(trust))
        for p in r.get("RolePolicyList", []):
            doc = p["PolicyDocument"]
            iam.put_role_policy(RoleName=r["RoleName"], PolicyName=p["PolicyName"], PolicyDocument=doc if isinstance(doc, str) else json.dumps(doc))
        for m in r.get("AttachedManagedPolicies", []):
            arn = m["PolicyArn"]
            if arn in customer:
                _customer_policy(iam, customer.pop(arn))
            try:
                iam.attach_role_policy(RoleName=r["RoleName"], PolicyArn=arn)
            except iam.exceptions.NoSuchEntityException:
                raise MotoBuildError(f"role {r['RoleName']}: moto has no policy {arn}; start mock_aws(config={{'iam': {{'load_aws_managed_policies': True}}}})") from None


def _customer_policy(iam: Any, p: Mapping[str, Any]) -> None:
    version = next((v for v in p.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
    if version is None:
        raise MotoBuildError(f"policy {p['Arn']}: no default version in the fixture")
    doc = version["Document"]
    iam.create_policy(PolicyName=p["PolicyName"], Path=p.get("Path", "/"), PolicyDocument=doc if isinstance(doc, str) else json.dumps(doc))


def remap_parameters(parameters: Iterable[Mapping[str, Any]], mapping: Mapping[str, str]) -> List[Dict[str, Any]]:
    """A parameters.json list ([{"ParameterKey", "ParameterValue"}]) with every fixture ID
    replaced by its moto ID."""
    return [dict(p, ParameterValue=remap(p["ParameterValue"], mapping)) for p in parameters]
