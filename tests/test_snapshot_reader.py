"""The saved account snapshot reader (load/snapshot.py): every AWS CLI output it recognises,
pagination, files of other shapes, broken files, region and account, bounds and odd files."""

from __future__ import annotations

import json
import os
import sys
from urllib.parse import quote

import pytest

from ecsnetpolicy.load.snapshot import (
    CAPTURE_COMMANDS,
    KINDS,
    SnapshotError,
    build_snapshot,
    check_matches,
    read_snapshot,
    region_of_zone,
)

ACCOUNT = "123456789012"
OTHER = "210987654321"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def write(folder, name, doc):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=4), encoding="utf-8")
    return path


def read(folder, **kw):
    warnings = []
    snap = read_snapshot(folder, warn=warnings.append, **kw)
    return snap, warnings


def one_line_error(folder, **kw):
    with pytest.raises(SnapshotError) as info:
        read_snapshot(folder, **kw)
    text = str(info.value)
    assert "\n" not in text and len(text) < 1000
    return text


# ------------------------------------------------------------------ one document per key

SUBNETS = {"Subnets": [{
    "SubnetId": "subnet-0a", "VpcId": "vpc-01", "AvailabilityZone": "eu-west-1a", "AvailabilityZoneId": "euw1-az1",
    "CidrBlock": "10.0.1.0/24", "MapPublicIpOnLaunch": False, "State": "available", "OwnerId": ACCOUNT,
    "SubnetArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:subnet/subnet-0a", "Tags": [{"Key": "Name", "Value": "private-a"}],
    "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2001:db8::/64", "Ipv6CidrBlockState": {"State": "associated"}},
                                    {"Ipv6CidrBlock": "2001:db8:1::/64", "Ipv6CidrBlockState": {"State": "disassociated"}}],
}, {"SubnetId": "subnet-0b", "VpcId": "vpc-01", "AvailabilityZone": "eu-west-1b", "CidrBlock": "10.0.2.0/24"}]}

ROUTE_TABLES = {"RouteTables": [{
    "RouteTableId": "rtb-main", "VpcId": "vpc-01", "OwnerId": ACCOUNT,
    "Associations": [{"Main": True, "RouteTableAssociationId": "rtbassoc-1", "RouteTableId": "rtb-main",
                      "AssociationState": {"State": "associated"}}],
    "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active", "Origin": "CreateRouteTable"},
               {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-01", "State": "blackhole", "Origin": "CreateRoute"}],
}, {
    "RouteTableId": "rtb-a", "VpcId": "vpc-01",
    "Associations": [{"Main": False, "SubnetId": "subnet-0a", "RouteTableId": "rtb-a", "AssociationState": {"State": "associated"}},
                     {"Main": False, "SubnetId": "subnet-gone", "AssociationState": {"State": "disassociated"}}],
    "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
               {"DestinationPrefixListId": "pl-0123abcd", "GatewayId": "vpce-s3", "State": "active"},
               {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-01", "State": "active"},
               {"DestinationCidrBlock": "192.168.0.0/16", "TransitGatewayId": "tgw-01", "State": "active"},
               {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-01", "State": "active"},
               {"DestinationCidrBlock": "172.16.0.0/12", "InstanceId": "i-01", "NetworkInterfaceId": "eni-01", "State": "active"}],
    "PropagatingVgws": [{"GatewayId": "vgw-01"}],
}]}

ENDPOINTS = {"VpcEndpoints": [{
    "VpcEndpointId": "vpce-ecr", "VpcEndpointType": "Interface", "VpcId": "vpc-01",
    "ServiceName": "com.amazonaws.eu-west-1.ecr.dkr", "State": "available", "PolicyDocument": json.dumps(POLICY),
    "RouteTableIds": [], "SubnetIds": ["subnet-0a"], "Groups": [{"GroupId": "sg-ep", "GroupName": "endpoints"}],
    "PrivateDnsEnabled": False, "DnsEntries": [{"DnsName": "vpce-ecr.dkr.ecr.eu-west-1.vpce.amazonaws.com", "HostedZoneId": "Z1"}],
    "OwnerId": ACCOUNT,
}, {
    "VpcEndpointId": "vpce-s3", "VpcEndpointType": "Gateway", "VpcId": "vpc-01", "ServiceName": "com.amazonaws.eu-west-1.s3",
    "State": "available", "RouteTableIds": ["rtb-a"], "SubnetIds": [], "Groups": [], "PrivateDnsEnabled": False,
}]}

GROUPS = {"SecurityGroups": [{
    "GroupId": "sg-task", "GroupName": "task", "Description": "task", "VpcId": "vpc-01", "OwnerId": ACCOUNT,
    "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
                       "UserIdGroupPairs": [{"GroupId": "sg-alb", "UserId": ACCOUNT}]}],
    "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                             "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "vpc"}],
                             "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                             "PrefixListIds": [{"PrefixListId": "pl-0123abcd"}], "UserIdGroupPairs": []},
                            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
}]}

RULES = {"SecurityGroupRules": [
    {"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-ep", "GroupOwnerId": ACCOUNT, "IsEgress": False, "IpProtocol": "6",
     "FromPort": 443, "ToPort": 443, "ReferencedGroupInfo": {"GroupId": "sg-task", "UserId": ACCOUNT}},
    {"SecurityGroupRuleId": "sgr-2", "GroupId": "sg-ep", "GroupOwnerId": ACCOUNT, "IsEgress": True, "IpProtocol": "-1",
     "FromPort": -1, "ToPort": -1, "CidrIpv4": "0.0.0.0/0"},
]}

NACLS = {"NetworkAcls": [{
    "NetworkAclId": "acl-01", "VpcId": "vpc-01", "IsDefault": True, "OwnerId": ACCOUNT,
    "Associations": [{"NetworkAclAssociationId": "aclassoc-1", "NetworkAclId": "acl-01", "SubnetId": "subnet-0a"}],
    "Entries": [{"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "0.0.0.0/0"},
                {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0",
                 "PortRange": {"From": 1024, "To": 65535}},
                {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"}],
}]}

NATS = {"NatGateways": [{"NatGatewayId": "nat-01", "SubnetId": "subnet-pub", "VpcId": "vpc-01", "State": "available",
                         "ConnectivityType": "public", "NatGatewayAddresses": [{"PublicIp": "203.0.113.5", "AllocationId": "eipalloc-1"}],
                         "CreateTime": "2024-01-02T03:04:05+00:00"}]}

IGWS = {"InternetGateways": [{"InternetGatewayId": "igw-01", "OwnerId": ACCOUNT,
                              "Attachments": [{"State": "available", "VpcId": "vpc-01"}]}]}

VPCS = {"Vpcs": [{"VpcId": "vpc-01", "CidrBlock": "10.0.0.0/16", "DhcpOptionsId": "dopt-01", "IsDefault": False,
                  "State": "available", "OwnerId": ACCOUNT,
                  "CidrBlockAssociationSet": [{"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
                                              {"CidrBlock": "100.64.0.0/16", "CidrBlockState": {"State": "associated"}}]}]}

DHCP = {"DhcpOptions": [{"DhcpOptionsId": "dopt-01", "OwnerId": ACCOUNT, "DhcpConfigurations": [
    {"Key": "domain-name", "Values": [{"Value": "eu-west-1.compute.internal"}]},
    {"Key": "domain-name-servers", "Values": [{"Value": "10.9.0.2"}, {"Value": "10.9.0.3"}]}]}]}

PREFIX_LISTS = {"PrefixLists": [{"PrefixListId": "pl-0123abcd", "PrefixListName": "com.amazonaws.eu-west-1.s3",
                                 "Cidrs": ["52.218.0.0/17", "3.5.64.0/21"]}]}
MANAGED_PREFIX_LISTS = {"PrefixLists": [{"PrefixListId": "pl-0fedcba987654321a", "PrefixListName": "corp-ranges",
                                         "AddressFamily": "IPv4", "OwnerId": ACCOUNT,
                                         "PrefixListArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:prefix-list/pl-0fedcba987654321a"}]}
ENTRIES = {"Entries": [{"Cidr": "192.0.2.0/24", "Description": "office"}, {"Cidr": "198.51.100.0/24"}]}

SERVICES = {"ServiceNames": ["com.amazonaws.eu-west-1.ecr.dkr", "com.amazonaws.eu-west-1.s3"], "ServiceDetails": [
    {"ServiceName": "com.amazonaws.eu-west-1.ecr.dkr", "ServiceType": [{"ServiceType": "Interface"}],
     "AvailabilityZones": ["eu-west-1a", "eu-west-1b"], "PrivateDnsName": "*.dkr.ecr.eu-west-1.amazonaws.com", "Owner": "amazon"},
    {"ServiceName": "com.amazonaws.eu-west-1.s3", "ServiceType": [{"ServiceType": "Gateway"}],
     "AvailabilityZones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"]},
    {"ServiceName": "com.amazonaws.eu-west-1.s3", "ServiceType": [{"ServiceType": "Interface"}],
     "AvailabilityZones": ["eu-west-1a", "eu-west-1b"]},
]}

EXPORTS = {"Exports": [{"ExportingStackId": f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/network/abc",
                        "Name": "network-PrivateSubnetA", "Value": "subnet-0a"}]}

STACKS = {"Stacks": [{"StackId": f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/network/abc", "StackName": "network",
                      "StackStatus": "UPDATE_COMPLETE", "CreationTime": "2024-01-02T03:04:05.123000+00:00",
                      "Parameters": [{"ParameterKey": "Cidr", "ParameterValue": "10.0.0.0/16"},
                                     {"ParameterKey": "SubnetParam", "ParameterValue": "/net/subnet", "ResolvedValue": "subnet-0a"}],
                      "Outputs": [{"OutputKey": "VpcId", "OutputValue": "vpc-01", "ExportName": "network-VpcId"}]}]}

SSM = {"Parameters": [
    {"Name": "/net/subnets", "Type": "StringList", "Value": "subnet-0a,subnet-0b", "Version": 1,
     "ARN": f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/net/subnets", "DataType": "text"},
    {"Name": "/net/secret", "Type": "SecureString", "Value": "AQICAHh-ciphertext", "Version": 1},
], "InvalidParameters": ["/net/nope"]}

LOG_GROUPS = {"logGroups": [{"logGroupName": "/ecs/web", "creationTime": 1700000000000,
                             "arn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/ecs/web:*"}]}

IAM = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [{
    "Path": "/", "RoleName": "exec", "RoleId": "AROAEXAMPLE", "Arn": f"arn:aws:iam::{ACCOUNT}:role/exec",
    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                 "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
    "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": quote(json.dumps(POLICY))}],
    "AttachedManagedPolicies": [{"PolicyName": "pull", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/pull"},
                                {"PolicyName": "AmazonECSTaskExecutionRolePolicy",
                                 "PolicyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}],
}], "Policies": [{
    "PolicyName": "pull", "Arn": f"arn:aws:iam::{ACCOUNT}:policy/pull", "DefaultVersionId": "v2",
    "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": []}, "VersionId": "v1", "IsDefaultVersion": False},
                          {"Document": POLICY, "VersionId": "v2", "IsDefaultVersion": True}],
}], "IsTruncated": False}

DNS_SUPPORT = {"VpcId": "vpc-01", "EnableDnsSupport": {"Value": True}}
DNS_HOSTNAMES = {"VpcId": "vpc-01", "EnableDnsHostnames": {"Value": False}}

ALL = {
    "subnets.json": SUBNETS, "route-tables.json": ROUTE_TABLES, "endpoints.json": ENDPOINTS, "groups.json": GROUPS,
    "rules.json": RULES, "nacls.json": NACLS, "nat.json": NATS, "igw.json": IGWS, "vpcs.json": VPCS, "dhcp.json": DHCP,
    "pl.json": PREFIX_LISTS, "mpl.json": MANAGED_PREFIX_LISTS, "entries-pl-0fedcba987654321a.json": ENTRIES,
    "services.json": SERVICES, "exports.json": EXPORTS, "stacks.json": STACKS, "ssm.json": SSM, "logs.json": LOG_GROUPS,
    "iam.json": IAM, "dns-support.json": DNS_SUPPORT, "dns-hostnames.json": DNS_HOSTNAMES,
}


@pytest.fixture
def full(tmp_path):
    for name, doc in ALL.items():
        write(tmp_path, name, doc)
    return tmp_path


def test_every_key_is_recognised(full):
    snap, warnings = read(full)
    assert warnings == []
    assert all(snap.has(k) for k in KINDS)
    assert len(snap.files) == len(ALL)

    a = snap.subnets["subnet-0a"]
    assert (a.vpc_id, a.availability_zone, a.availability_zone_id, a.cidr_block) == ("vpc-01", "eu-west-1a", "euw1-az1", "10.0.1.0/24")
    assert a.ipv6_cidr_blocks == ("2001:db8::/64",) and a.tags == {"Name": "private-a"} and a.map_public_ip_on_launch is False

    rt, explicit = snap.route_table_of("subnet-0a")
    assert rt.id == "rtb-a" and explicit
    main, explicit = snap.route_table_of("subnet-0b")
    assert main.id == "rtb-main" and not explicit and main.main
    assert rt.subnet_ids == ("subnet-0a",) and rt.propagating_vgws == ("vgw-01",)
    kinds = [(r.destination, r.destination_kind, r.target, r.target_kind) for r in rt.routes]
    assert kinds == [("10.0.0.0/16", "ipv4", "local", "local"), ("pl-0123abcd", "prefix-list", "vpce-s3", "vpc-endpoint"),
                     ("0.0.0.0/0", "ipv4", "igw-01", "internet-gateway"), ("192.168.0.0/16", "ipv4", "tgw-01", "transit-gateway"),
                     ("::/0", "ipv6", "eigw-01", "egress-only-internet-gateway"), ("172.16.0.0/12", "ipv4", "i-01", "instance")]
    assert main.routes[1].state == "blackhole" and main.routes[1].target_kind == "nat-gateway"

    ep = snap.vpc_endpoints["vpce-ecr"]
    assert (ep.type, ep.subnet_ids, ep.group_ids, ep.private_dns_enabled, ep.policy) == ("Interface", ("subnet-0a",), ("sg-ep",), False, POLICY)
    assert snap.vpc_endpoints["vpce-s3"].route_table_ids == ("rtb-a",)
    assert {e.id for e in snap.endpoints_of_vpc("vpc-01")} == {"vpce-ecr", "vpce-s3"}
    assert [s.id for s in snap.subnets_of_vpc("vpc-01")] == ["subnet-0a", "subnet-0b"] and snap.subnets_of_vpc("vpc-02") == []
    assert {r.id for r in snap.route_tables_of_vpc("vpc-01")} == {"rtb-main", "rtb-a"} and snap.main_route_table("vpc-01").id == "rtb-main"
    assert [g.id for g in snap.security_groups_of_vpc("vpc-01")] == ["sg-task"]

    task = snap.security_groups["sg-task"]
    assert [(r.protocol, r.from_port, r.group_id) for r in task.ingress] == [("tcp", 8080, "sg-alb")]
    assert [(r.cidr_ipv4, r.cidr_ipv6, r.prefix_list_id, r.protocol) for r in task.egress] == [
        ("10.0.0.0/16", None, None, "tcp"), (None, "::/0", None, "tcp"), (None, None, "pl-0123abcd", "tcp"), ("0.0.0.0/0", None, None, "-1")]
    assert task.egress[0].description == "vpc"
    ingress, egress = snap.rules_of("sg-ep")  # only in describe-security-group-rules
    assert [(r.protocol, r.from_port, r.group_id, r.rule_id) for r in ingress] == [("tcp", 443, "sg-task", "sgr-1")]
    assert [(r.protocol, r.cidr_ipv4) for r in egress] == [("-1", "0.0.0.0/0")]
    assert snap.rules_of("sg-none") is None

    acl = snap.nacl_of("subnet-0a")
    assert acl.id == "acl-01" and acl.is_default
    assert [(e.egress, e.rule_number, e.action, e.protocol, e.port_from) for e in acl.entries] == [
        (False, 100, "allow", "tcp", 1024), (False, 32767, "deny", "-1", None), (True, 100, "allow", "-1", None)]

    assert snap.nat_gateways["nat-01"].public_ips == ("203.0.113.5",) and snap.nat_gateways["nat-01"].subnet_id == "subnet-pub"
    assert snap.internet_gateways["igw-01"].vpc_ids == ("vpc-01",)
    vpc = snap.vpcs["vpc-01"]
    assert vpc.cidr_blocks == ("10.0.0.0/16", "100.64.0.0/16") and vpc.dhcp_options_id == "dopt-01"
    assert (vpc.enable_dns_support, vpc.enable_dns_hostnames) == (True, False)
    assert snap.dhcp_options["dopt-01"].domain_name_servers == ("10.9.0.2", "10.9.0.3")

    assert snap.prefix_lists["pl-0123abcd"].cidrs == ("52.218.0.0/17", "3.5.64.0/21")
    corp = snap.prefix_lists["pl-0fedcba987654321a"]
    assert (corp.name, corp.cidrs) == ("corp-ranges", ("192.0.2.0/24", "198.51.100.0/24"))

    s3 = snap.service_details["com.amazonaws.eu-west-1.s3"]
    assert s3.endpoint_types == ("Gateway", "Interface")
    assert s3.zones_for("Interface") == ("eu-west-1a", "eu-west-1b") and s3.zones_for("Gateway")[-1] == "eu-west-1c"
    assert snap.service_details["com.amazonaws.eu-west-1.ecr.dkr"].private_dns_names == ("*.dkr.ecr.eu-west-1.amazonaws.com",)

    assert snap.exports == {"network-PrivateSubnetA": "subnet-0a"}
    stack = snap.stacks["network"]
    assert stack.outputs == {"VpcId": "vpc-01"} and stack.output_exports == {"VpcId": "network-VpcId"}
    assert stack.parameters["Cidr"] == "10.0.0.0/16" and stack.resolved_parameters == {"SubnetParam": "subnet-0a"}
    assert snap.ssm_parameters == {"/net/subnets": "subnet-0a,subnet-0b", "/net/secret": None}  # never the SecureString value
    assert snap.ssm_parameter_types["/net/subnets"] == "StringList"
    assert snap.log_groups == {"/ecs/web"}

    role = snap.roles["exec"]
    assert snap.roles[f"arn:aws:iam::{ACCOUNT}:role/exec"] is role
    assert role.inline_policies == {"inline": POLICY}  # URL-encoded in the file, decoded here
    assert role.attached_policy_arns[0] == f"arn:aws:iam::{ACCOUNT}:policy/pull"
    assert role.assume_role_policy["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert snap.managed_policies[f"arn:aws:iam::{ACCOUNT}:policy/pull"].document == POLICY  # the default version

    assert (snap.region, snap.account_id) == ("eu-west-1", ACCOUNT)


def test_origins_name_file_and_key(full):
    snap, _ = read(full)
    assert snap.origin_of("subnet-0b") == (os.path.join(str(full), "subnets.json"), "Subnets[1]")
    assert snap.origin_of("network-PrivateSubnetA", "exports") == (os.path.join(str(full), "exports.json"), "Exports[0]")
    assert snap.origin_of("vpc-01", "vpc_dns_support")[0].endswith("dns-support.json")
    assert snap.origin_of("pl-0fedcba987654321a")[0].endswith("entries-pl-0fedcba987654321a.json")  # where its CIDRs came from
    assert snap.origin_of("subnet-unknown") is None


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_file_alone_is_recognised(tmp_path, name):
    write(tmp_path, name, ALL[name])
    snap, warnings = read(tmp_path)
    assert warnings == [] and snap.files == (os.path.join(str(tmp_path), name),)
    assert len(snap.captured) >= 1
    assert all(not snap.has(k) for k in KINDS if k not in snap.captured)


def test_single_ssm_get_parameter_is_recognised(tmp_path):
    write(tmp_path, "one.json", {"Parameter": {"Name": "/net/vpc", "Type": "String", "Value": "vpc-01"}})
    snap, _ = read(tmp_path)
    assert snap.ssm_parameters == {"/net/vpc": "vpc-01"}


# ------------------------------------------------------------------ pagination, other shapes


def test_pages_split_over_files_are_merged(tmp_path):
    write(tmp_path, "subnets-1.json", {"Subnets": SUBNETS["Subnets"][:1], "NextToken": "abc"})
    write(tmp_path, "more/subnets-2.json", {"Subnets": SUBNETS["Subnets"][1:]})
    write(tmp_path, "subnets-again.json", {"Subnets": SUBNETS["Subnets"][:1]})  # the same page twice: no duplicate, no warning
    write(tmp_path, "rules-1.json", {"SecurityGroupRules": RULES["SecurityGroupRules"][:1], "NextToken": "x"})
    write(tmp_path, "rules-2.json", {"SecurityGroupRules": RULES["SecurityGroupRules"]})
    write(tmp_path, "logs-1.json", {"logGroups": [{"logGroupName": "/a"}], "nextToken": "n"})
    write(tmp_path, "logs-2.json", {"logGroups": [{"logGroupName": "/b"}]})
    write(tmp_path, "iam-1.json", {"RoleDetailList": IAM["RoleDetailList"], "Policies": [], "IsTruncated": True, "Marker": "m"})
    write(tmp_path, "iam-2.json", {"RoleDetailList": [], "Policies": IAM["Policies"], "IsTruncated": False})
    snap, warnings = read(tmp_path)
    assert warnings == []
    assert sorted(snap.subnets) == ["subnet-0a", "subnet-0b"]
    assert [r.rule_id for r in snap.security_group_rules["sg-ep"]] == ["sgr-1", "sgr-2"]
    assert snap.log_groups == {"/a", "/b"}
    assert "exec" in snap.roles and snap.managed_policies[f"arn:aws:iam::{ACCOUNT}:policy/pull"].document == POLICY


def test_same_id_with_other_content_warns_and_keeps_the_first(tmp_path):
    write(tmp_path, "a.json", {"Subnets": [{"SubnetId": "subnet-0a", "VpcId": "vpc-01"}]})
    write(tmp_path, "b.json", {"Subnets": [{"SubnetId": "subnet-0a", "VpcId": "vpc-02"}]})
    snap, warnings = read(tmp_path)
    assert snap.subnets["subnet-0a"].vpc_id == "vpc-01"
    assert len(warnings) == 1 and "b.json" in warnings[0] and "a.json" in warnings[0]


@pytest.mark.parametrize("doc", [
    {"Reservations": []},  # describe-instances
    [{"SubnetId": "subnet-0a"}],  # a list, not a CLI output
    {"Parameters": [{"ParameterKey": "VpcId", "ParameterType": "AWS::EC2::VPC::Id"}]},  # cloudformation get-template-summary
    {"Policies": [{"PolicyName": "p", "Arn": f"arn:aws:iam::{ACCOUNT}:policy/p", "DefaultVersionId": "v1"}]},  # iam list-policies
    {"Entries": [{"Cidr": "192.0.2.0/24"}]},  # prefix list entries without the list's ID in the file name
    {"NextToken": "abc"},
])
def test_other_shapes_are_skipped_with_one_warning(tmp_path, doc):
    write(tmp_path, "other.json", doc)
    write(tmp_path, "subnets.json", SUBNETS)
    write(tmp_path, "README.md", "not json")
    snap, warnings = read(tmp_path)
    assert len(warnings) == 1 and "other.json" in warnings[0] and "skipped" in warnings[0] and "\n" not in warnings[0]
    assert snap.skipped[0][0].endswith("other.json") and len(snap.subnets) == 2
    assert not snap.has("ssm_parameters") and not snap.has("managed_policies") and not snap.has("prefix_lists")


def test_meta_json_is_not_a_warning(tmp_path):
    write(tmp_path, "meta.json", {"region": "eu-west-1", "account_id": ACCOUNT, "time": "2024-01-01T00:00:00Z",
                                  "filters": {"vpc_ids": []}, "tool": "ecsnetpolicy", "files": {}, "errors": []})
    snap, warnings = read(tmp_path)
    assert warnings == [] and snap.region == "eu-west-1" and snap.time == "2024-01-01T00:00:00Z"


def test_utf16_file_from_powershell_is_read(tmp_path):
    (tmp_path / "subnets.json").write_bytes(json.dumps(SUBNETS).encode("utf-16"))
    snap, _ = read(tmp_path)
    assert "subnet-0a" in snap.subnets


# ------------------------------------------------------------------ broken files


@pytest.mark.parametrize("content, key", [
    ('{"Subnets": [', "line 1"),
    ("", "empty"),
    ({"Subnets": {"SubnetId": "subnet-0a"}}, "Subnets: expected a list, found a mapping"),
    ({"Subnets": [{"SubnetId": "subnet-0a"}, {"VpcId": "vpc-01"}]}, "Subnets[1].SubnetId: missing"),
    ({"Subnets": [{"SubnetId": "subnet-0a", "MapPublicIpOnLaunch": "yes"}]}, "Subnets[0].MapPublicIpOnLaunch"),
    ({"Subnets": ["subnet-0a"]}, "Subnets[0]: expected a mapping"),
    ({"RouteTables": [{"RouteTableId": "rtb-1", "Routes": {"x": 1}}]}, "RouteTables[0].Routes"),
    ({"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [{"RuleNumber": 1, "RuleAction": "maybe"}]}]}, "NetworkAcls[0].Entries[0].RuleAction"),
    ({"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "PolicyDocument": "{not json"}]}, "VpcEndpoints[0].PolicyDocument"),
    ({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "IpRanges": [{"Description": "x"}]}]}]},
     "SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp"),
    ({"VpcId": "vpc-01", "EnableDnsSupport": {"Value": "true"}}, "EnableDnsSupport.Value"),
    ({"Exports": [{"Name": "x"}]}, "Exports[0].Value: missing"),
])
def test_broken_file_is_one_line_naming_file_and_key(tmp_path, content, key):
    write(tmp_path, "ok.json", SUBNETS)
    write(tmp_path, "broken.json", content if isinstance(content, str) else json.dumps(content))
    text = one_line_error(tmp_path)
    assert "broken.json" in text and key in text


def test_binary_file_is_an_error(tmp_path):
    (tmp_path / "x.json").write_bytes(b'{"Subnets": []}\x00\x01')
    assert "x.json" in one_line_error(tmp_path)


def test_meta_json_with_wrong_types_is_an_error(tmp_path):
    write(tmp_path, "meta.json", {"region": "Ireland"})
    assert "meta.json: region" in one_line_error(tmp_path)
    write(tmp_path, "meta.json", {"region": "eu-west-1", "account_id": 1234})
    assert "meta.json: account_id" in one_line_error(tmp_path)


def test_missing_folder_and_file_instead_of_folder(tmp_path):
    assert "no such folder" in one_line_error(tmp_path / "nope")
    write(tmp_path, "subnets.json", SUBNETS)
    assert "not a folder" in one_line_error(tmp_path / "subnets.json")


# ------------------------------------------------------------------ region and account


def test_region_from_zone_names():
    assert region_of_zone("eu-west-1a") == "eu-west-1"
    assert region_of_zone("us-west-2-lax-1a") == "us-west-2"
    assert region_of_zone("us-gov-west-1b") == "us-gov-west-1"
    assert region_of_zone("euw1-az1") is None


@pytest.mark.parametrize("doc, region", [
    ({"Subnets": [{"SubnetId": "subnet-1", "AvailabilityZone": "ap-southeast-2c"}]}, "ap-southeast-2"),
    (STACKS, "eu-west-1"),
    ({"ServiceDetails": [{"ServiceName": "com.amazonaws.us-east-2.ecr.api"}]}, "us-east-2"),
    ({"logGroups": [{"logGroupName": "/x", "arn": f"arn:aws:logs:ca-central-1:{ACCOUNT}:log-group:/x:*"}]}, "ca-central-1"),
    (IAM, None),  # IAM ARNs carry no region
])
def test_region_deduced_from_content(tmp_path, doc, region):
    write(tmp_path, "x.json", doc)
    snap, _ = read(tmp_path)
    assert snap.region == region


def test_account_deduced_from_owner_or_arns(tmp_path):
    write(tmp_path, "vpcs.json", VPCS)
    snap, _ = read(tmp_path)
    assert snap.account_id == ACCOUNT and snap.account_origin[1] == "Vpcs[0].OwnerId"
    write(tmp_path, "iam.json", IAM)
    snap, _ = read(tmp_path)
    assert snap.account_id == ACCOUNT and snap.account_origin[0].endswith("iam.json")


def test_shared_vpc_owners_leave_the_account_unknown_without_error(tmp_path):
    write(tmp_path, "subnets.json", {"Subnets": [{"SubnetId": "subnet-1", "OwnerId": OTHER}]})
    write(tmp_path, "groups.json", {"SecurityGroups": [{"GroupId": "sg-1", "OwnerId": ACCOUNT}]})
    snap, _ = read(tmp_path)
    assert snap.account_id is None
    write(tmp_path, "meta.json", {"region": "eu-west-1", "account_id": ACCOUNT})
    snap, _ = read(tmp_path)
    assert snap.account_id == ACCOUNT  # the participant's, though the subnet is the owner's


def test_meta_json_wins_and_content_must_agree(tmp_path):
    write(tmp_path, "meta.json", {"region": "eu-west-1", "account_id": ACCOUNT})
    write(tmp_path, "subnets.json", SUBNETS)
    snap, _ = read(tmp_path)
    assert snap.region_origin == (os.path.join(str(tmp_path), "meta.json"), "region")
    write(tmp_path, "zz.json", {"Subnets": [{"SubnetId": "subnet-9", "AvailabilityZone": "us-east-1a"}]})
    text = one_line_error(tmp_path)
    assert "zz.json" in text and "us-east-1" in text and "eu-west-1" in text and "meta.json" in text


def test_contradictory_regions_in_content(tmp_path):
    write(tmp_path, "a.json", SUBNETS)
    write(tmp_path, "b.json", {"Exports": [{"ExportingStackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/x/y",
                                           "Name": "n", "Value": "v"}]})
    text = one_line_error(tmp_path)
    assert "b.json" in text and "Exports[0].ExportingStackId" in text and "a.json" in text


def test_contradictory_accounts_of_own_resources(tmp_path):
    write(tmp_path, "meta.json", {"account_id": ACCOUNT})
    write(tmp_path, "logs.json", {"logGroups": [{"logGroupName": "/x", "arn": f"arn:aws:logs:eu-west-1:{OTHER}:log-group:/x:*"}]})
    text = one_line_error(tmp_path)
    assert OTHER in text and ACCOUNT in text and "logs.json" in text


def test_check_matches(full):
    snap, _ = read(full)
    check_matches(snap, "eu-west-1", [f"arn:aws:iam::{ACCOUNT}:role/exec",
                                      "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy", "not-an-arn"])
    with pytest.raises(SnapshotError) as info:
        check_matches(snap, "us-east-1", [])
    assert "us-east-1" in str(info.value) and "eu-west-1" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(SnapshotError) as info:
        check_matches(snap, "eu-west-1", [f"arn:aws:iam::{OTHER}:role/exec"])
    assert OTHER in str(info.value) and ACCOUNT in str(info.value)
    check_matches(snap, None, [])  # nothing to compare


# ------------------------------------------------------------------ captured or not


def test_known_absent_and_missing(full):
    snap, _ = read(full)
    assert snap.known_absent("subnets", "subnet-zz")  # subnets were captured, whole region
    assert not snap.known_absent("subnets", "subnet-0a")
    bare, _ = read_sub(full, ["subnets.json"])
    assert bare.missing("route_tables") and not bare.known_absent("route_tables", "rtb-zz")
    assert bare.command_for("route_tables") == "aws ec2 describe-route-tables --region eu-west-1 --output json > route-tables.json"
    assert "--vpc-id vpc-01 --attribute enableDnsSupport" in bare.command_for("vpc_dns_support", "vpc-01")
    with pytest.raises(ValueError):
        bare.has("nonsense")


def read_sub(folder, names):
    sub = folder / "sub"
    sub.mkdir()
    for n in names:
        (sub / n).write_bytes((folder / n).read_bytes())
    return read(sub)


def test_vpc_filter_makes_absence_unknown_for_vpc_scoped_kinds(tmp_path):
    write(tmp_path, "meta.json", {"region": "eu-west-1", "account_id": ACCOUNT, "filters": {"vpc_ids": ["vpc-01"]}})
    write(tmp_path, "subnets.json", SUBNETS)
    write(tmp_path, "exports.json", EXPORTS)
    snap, _ = read(tmp_path)
    assert snap.vpc_filter == ("vpc-01",)
    assert not snap.known_absent("subnets", "subnet-zz")  # may be in another VPC
    assert snap.known_absent("exports", "nope")


def test_every_kind_has_a_capture_command():
    assert all(k in CAPTURE_COMMANDS for k in KINDS)
    assert all(c.startswith("aws ") and "--output json" in c for c in CAPTURE_COMMANDS.values())


def test_prefix_list_commands(full):
    snap, _ = read(full)
    known = build_snapshot([("mpl.json", MANAGED_PREFIX_LISTS)])  # the list is known, its CIDRs are not
    assert known.prefix_lists["pl-0fedcba987654321a"].cidrs is None
    assert "get-managed-prefix-list-entries --prefix-list-id pl-0fedcba987654321a" in known.command_for("prefix_lists", "pl-0fedcba987654321a")
    assert "describe-managed-prefix-lists" in snap.command_for("prefix_lists", "pl-0abc")  # not known at all


def test_what_is_not_whole_region_stays_unknown(full):
    snap, _ = read(full)
    assert snap.known_absent("prefix_lists", "pl-0abc")  # describe-managed-prefix-lists was read: all lists
    only_s3 = build_snapshot([("pl.json", PREFIX_LISTS)])  # describe-prefix-lists lists S3 and DynamoDB only
    assert only_s3.has("prefix_lists") and not only_s3.known_absent("prefix_lists", "pl-0abc")
    # get-parameters by name: the names it reports invalid are absent, the others unknown
    assert snap.known_absent("ssm_parameters", "/net/nope") and not snap.known_absent("ssm_parameters", "/net/other")
    listed = build_snapshot([("ssm.json", SSM)], meta={"tool": "ecsnetpolicy", "region": "eu-west-1"})
    assert listed.known_absent("ssm_parameters", "/net/other")  # `ecsnetpolicy snapshot` lists them all
    # AWS managed policies are not captured; DNS attributes are per VPC
    assert not snap.known_absent("managed_policies", "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    assert snap.known_absent("managed_policies", f"arn:aws:iam::{ACCOUNT}:policy/other")
    assert not snap.known_absent("vpc_dns_support", "vpc-other")


def test_a_template_in_the_folder_is_skipped_not_an_error(tmp_path):
    write(tmp_path, "template.json", {"AWSTemplateFormatVersion": "2010-09-09", "Parameters": {"Subnet": {"Type": "String"}},
                                      "Resources": {}})
    write(tmp_path, "rds.json", {"Parameters": [{"ParameterName": "max_connections", "ParameterValue": "100"}]})
    snap, warnings = read(tmp_path)
    assert len(warnings) == 2 and not snap.has("ssm_parameters")


def test_unreadable_file_is_an_error_not_a_silent_gap(tmp_path, monkeypatch):
    from ecsnetpolicy.load import snapshot as module
    from ecsnetpolicy.load.files import FileRefused

    write(tmp_path, "subnets.json", SUBNETS)

    def denied(path, limit, too_big):
        raise FileRefused(path, "permission denied")

    monkeypatch.setattr(module, "read_bounded", denied)  # as for a file of mode 000 (root reads those)
    text = one_line_error(tmp_path)
    assert "subnets.json" in text and "permission denied" in text


def test_build_snapshot_in_memory_matches_files(full):
    from_files, _ = read(full)
    from_docs = build_snapshot(sorted(ALL.items()))
    assert from_docs.subnets == from_files.subnets and from_docs.roles == from_files.roles
    assert from_docs.prefix_lists == from_files.prefix_lists


# ------------------------------------------------------------------ bounds and odd files


def test_one_file_over_the_limit(tmp_path):
    write(tmp_path, "subnets.json", SUBNETS)
    write(tmp_path, "big.json", {"Subnets": [], "pad": "x" * 5000})
    text = one_line_error(tmp_path, max_file_bytes=4096)
    assert "big.json" in text and "limit" in text


def test_total_over_the_limit(tmp_path):
    for i in range(4):
        write(tmp_path, f"s{i}.json", SUBNETS)
    size = len(json.dumps(SUBNETS, indent=4))
    text = one_line_error(tmp_path, max_total_bytes=3 * size)
    assert str(tmp_path) in text and "limit" in text
    assert read(tmp_path, max_total_bytes=5 * size)[0].subnets


def test_too_many_files(tmp_path):
    for i in range(5):
        write(tmp_path, f"s{i}.json", SUBNETS)
    assert "more than 3 JSON files" in one_line_error(tmp_path, max_files=3)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or sys.platform == "win32", reason="needs symbolic links and FIFOs")
def test_links_loops_fifos_and_dot_files_are_ignored(tmp_path):
    write(tmp_path, "subnets.json", SUBNETS)
    os.symlink(str(tmp_path), str(tmp_path / "loop"))  # a folder link to itself: never followed
    os.symlink(str(tmp_path / "nowhere.json"), str(tmp_path / "dangling.json"))
    os.symlink(str(tmp_path / "subnets.json"), str(tmp_path / "same.json"))  # the same file twice: read once
    os.mkfifo(str(tmp_path / "pipe.json"))  # would block if opened
    (tmp_path / ".hidden.json").write_text("{garbage", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.json").write_text("{garbage", encoding="utf-8")
    (tmp_path / "sub.json").mkdir()  # a folder named like a file
    snap, warnings = read(tmp_path)
    assert warnings == [] and len(snap.files) == 1 and len(snap.subnets) == 2
