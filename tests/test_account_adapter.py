"""The AWS account as a second adapter into the network state (issue 11): templates whose faults
are visible only with the account they deploy into, given as a stand-in snapshot built from
inline dicts in AWS CLI output shape.  Each finding is asserted exactly (rule, line, message), and
each account with one resource deleted gives IN9001 naming it and no new E/W ("unknown stays
honest")."""

from __future__ import annotations

import copy
import textwrap
from typing import Any, Dict, List, Optional, Sequence

import pytest

from ecsnetpolicy.api import raw_for
from ecsnetpolicy.checks import to_findings
from ecsnetpolicy.load.snapshot import build_snapshot
from ecsnetpolicy.load.template import loads, locate

ACCOUNT = "123456789012"
REGION = "us-east-1"
SNAPDIR = "snap"

CAPTURE = {
    "subnets": "aws ec2 describe-subnets --output json",
    "route_tables": "aws ec2 describe-route-tables --output json",
    "vpc_endpoints": "aws ec2 describe-vpc-endpoints --output json",
    "security_groups": "aws ec2 describe-security-groups --output json",
    "network_acls": "aws ec2 describe-network-acls --output json",
    "nat_gateways": "aws ec2 describe-nat-gateways --output json",
    "internet_gateways": "aws ec2 describe-internet-gateways --output json",
    "vpcs": "aws ec2 describe-vpcs --output json",
    "dhcp_options": "aws ec2 describe-dhcp-options --output json",
    "exports": "aws cloudformation list-exports --output json",
    "ssm_parameters": "aws ssm get-parameters --names NAME --output json",
    "prefix_lists": "aws ec2 describe-prefix-lists --output json",
    "log_groups": "aws logs describe-log-groups --output json",
    "service_details": "aws ec2 describe-vpc-endpoint-services --output json",
    "roles": "aws iam get-account-authorization-details --filter Role LocalManagedPolicy --output json",
    "managed_policies": "aws iam get-account-authorization-details --filter Role LocalManagedPolicy --output json",
}

# the template's execution role (ExecutionRoleArn), as get-account-authorization-details prints it
EXECUTION_ROLE = {
    "RoleName": "ecsTaskExecutionRole", "Path": "/", "Arn": f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole", "RolePolicyList": [],
    "AttachedManagedPolicies": [{"PolicyName": "AmazonECSTaskExecutionRolePolicy",
                                 "PolicyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}],
}

KEYED = {
    "subnets": "SubnetId",
    "route_tables": "RouteTableId",
    "vpc_endpoints": "VpcEndpointId",
    "security_groups": "GroupId",
    "network_acls": "NetworkAclId",
    "nat_gateways": "NatGatewayId",
    "internet_gateways": "InternetGatewayId",
    "vpcs": "VpcId",
    "dhcp_options": "DhcpOptionsId",
}


class Snapshot:
    """A stand-in for load/snapshot.py's AccountSnapshot: the interface the adapter codes against."""

    def __init__(self, lists: Dict[str, List[Dict[str, Any]]], **extra: Any):
        self.region = REGION
        self.account_id = ACCOUNT
        self.directory = SNAPDIR
        # the accounts here hold the task's log group and execution role unless a test says otherwise
        # (EN5002 and EN5001 are not their subject)
        extra.setdefault("log_groups", ["/ecs/app"])
        extra.setdefault("roles", [EXECUTION_ROLE])
        self._kinds = set(lists) | {k for k, v in extra.items() if v is not None}
        for kind, key in KEYED.items():
            setattr(self, kind, {e[key]: e for e in lists.get(kind, [])})
        self.security_group_rules: Dict[str, list] = {}
        self.prefix_lists = extra.get("prefix_lists", {})
        self.service_details = extra.get("service_details", {})
        self.exports = extra.get("exports", {})
        self.stacks = extra.get("stacks", {})
        self.ssm_parameters = extra.get("ssm_parameters", {})
        self.log_groups = set(extra.get("log_groups") or ())
        iam = build_snapshot([("iam.json", {"RoleDetailList": list(extra.get("roles") or []), "Policies": []})])
        self.roles: Dict[str, Any] = iam.roles
        self.managed_policies: Dict[str, Any] = iam.managed_policies

    def has(self, kind: str) -> bool:
        if kind == "vpc_attributes":
            return "vpcs" in self._kinds
        return kind in self._kinds

    def capture_command(self, kind: str, resource_id: Optional[str] = None) -> str:
        return CAPTURE[kind]

    def origin_of(self, resource_id: str) -> Optional[str]:
        return f"{SNAPDIR}/ec2.json"


# ---------------------------------------------------------------------------------- accounts
def _sg(gid, vpc="vpc-1", name=None, ingress=(), egress=({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},)):
    return {"GroupId": gid, "GroupName": name or gid, "VpcId": vpc, "IpPermissions": list(ingress), "IpPermissionsEgress": list(egress)}


def _https_from(*, group=None, cidr=None):
    rule: Dict[str, Any] = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    if group:
        rule["UserIdGroupPairs"] = [{"GroupId": group}]
    if cidr:
        rule["IpRanges"] = [{"CidrIp": cidr}]
    return rule


def _endpoint(eid, service, *, type_="Interface", subnets=(), rts=(), groups=(), dns=True):
    ep = {"VpcEndpointId": eid, "VpcEndpointType": type_, "VpcId": "vpc-1", "ServiceName": f"com.amazonaws.{REGION}.{service}",
          "State": "available", "SubnetIds": list(subnets), "RouteTableIds": list(rts), "Groups": [{"GroupId": g, "GroupName": g} for g in groups],
          "PrivateDnsEnabled": dns if type_ == "Interface" else False}
    if type_ == "Gateway":
        ep["PolicyDocument"] = '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
    return ep


def _private_network() -> Dict[str, List[Dict[str, Any]]]:
    """VPC vpc-1 with two private subnets (each its own route table, local route only), the ECR,
    logs and S3 endpoints serving both: a clean account for an ECR image on Fargate."""
    return {
        "vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "DhcpOptionsId": "dopt-1", "EnableDnsSupport": True, "EnableDnsHostnames": True,
                  "CidrBlockAssociationSet": [{"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}}]}],
        "subnets": [
            {"SubnetId": "subnet-0a", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a", "CidrBlock": "10.0.1.0/24", "MapPublicIpOnLaunch": False},
            {"SubnetId": "subnet-0b", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1b", "CidrBlock": "10.0.2.0/24", "MapPublicIpOnLaunch": False},
        ],
        "route_tables": [
            {"RouteTableId": "rtb-main", "VpcId": "vpc-1", "Associations": [{"Main": True, "RouteTableId": "rtb-main"}],
             "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}]},
            {"RouteTableId": "rtb-0a", "VpcId": "vpc-1", "Associations": [{"Main": False, "SubnetId": "subnet-0a", "RouteTableId": "rtb-0a"}],
             "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}]},
            {"RouteTableId": "rtb-0b", "VpcId": "vpc-1", "Associations": [{"Main": False, "SubnetId": "subnet-0b", "RouteTableId": "rtb-0b"}],
             "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}]},
        ],
        "security_groups": [
            _sg("sg-default", name="default", ingress=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-default"}]}]),
            _sg("sg-task"),
            _sg("sg-ep", ingress=[_https_from(group="sg-task")]),
        ],
        "vpc_endpoints": [
            _endpoint("vpce-api", "ecr.api", subnets=["subnet-0a", "subnet-0b"], groups=["sg-ep"]),
            _endpoint("vpce-dkr", "ecr.dkr", subnets=["subnet-0a", "subnet-0b"], groups=["sg-ep"]),
            _endpoint("vpce-logs", "logs", subnets=["subnet-0a", "subnet-0b"], groups=["sg-ep"]),
            _endpoint("vpce-s3", "s3", type_="Gateway", rts=["rtb-0a", "rtb-0b"]),
        ],
        "network_acls": [
            {"NetworkAclId": "acl-1", "VpcId": "vpc-1", "IsDefault": True,
             "Associations": [{"SubnetId": "subnet-0a", "NetworkAclId": "acl-1"}, {"SubnetId": "subnet-0b", "NetworkAclId": "acl-1"}],
             "Entries": [
                 {"RuleNumber": 100, "Egress": False, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"},
                 {"RuleNumber": 32767, "Egress": False, "Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"},
                 {"RuleNumber": 100, "Egress": True, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"},
                 {"RuleNumber": 32767, "Egress": True, "Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"},
             ]},
        ],
        "dhcp_options": [{"DhcpOptionsId": "dopt-1", "DhcpConfigurations": [{"Key": "domain-name-servers", "Values": [{"Value": "AmazonProvidedDNS"}]}]}],
        "nat_gateways": [],
        "internet_gateways": [],
    }


def _runbook_incident():
    """The runbook incident with the network in the account: the S3 gateway endpoint lists only
    subnet-0a's route table."""
    lists = _private_network()
    next(e for e in lists["vpc_endpoints"] if e["VpcEndpointId"] == "vpce-s3")["RouteTableIds"] = ["rtb-0a"]
    return lists


def _no_private_dns():
    lists = _private_network()
    for e in lists["vpc_endpoints"]:
        if e["VpcEndpointId"] in ("vpce-api", "vpce-dkr"):
            e["PrivateDnsEnabled"] = False
    return lists


def _endpoint_sg_one_subnet():
    lists = _private_network()
    next(g for g in lists["security_groups"] if g["GroupId"] == "sg-ep")["IpPermissions"] = [_https_from(cidr="10.0.1.0/24")]
    return lists


def _blackhole_nat():
    """Subnets routed to the internet through a NAT gateway that was deleted: the route is a blackhole."""
    lists = _private_network()
    lists["vpc_endpoints"] = []
    for rt in lists["route_tables"]:
        if rt["RouteTableId"] in ("rtb-0a", "rtb-0b"):
            rt["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0dead", "State": "blackhole"})
    lists["nat_gateways"] = [{"NatGatewayId": "nat-0dead", "SubnetId": "subnet-0a", "VpcId": "vpc-1", "State": "deleted", "ConnectivityType": "public"}]
    return lists


def _nat_ok():
    """The same subnets through a live public NAT gateway in a public subnet: a clean account for Docker Hub."""
    lists = _private_network()
    lists["vpc_endpoints"] = []
    lists["subnets"].append({"SubnetId": "subnet-0pub", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a", "CidrBlock": "10.0.0.0/24", "MapPublicIpOnLaunch": True})
    lists["route_tables"].append({"RouteTableId": "rtb-pub", "VpcId": "vpc-1", "Associations": [{"Main": False, "SubnetId": "subnet-0pub", "RouteTableId": "rtb-pub"}],
                                  "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
                                             {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}]})
    for rt in lists["route_tables"]:
        if rt["RouteTableId"] in ("rtb-0a", "rtb-0b"):
            rt["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0live", "State": "active"})
    lists["nat_gateways"] = [{"NatGatewayId": "nat-0live", "SubnetId": "subnet-0pub", "VpcId": "vpc-1", "State": "available", "ConnectivityType": "public"}]
    lists["internet_gateways"] = [{"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": "vpc-1", "State": "available"}]}]
    lists["network_acls"][0]["Associations"].append({"SubnetId": "subnet-0pub", "NetworkAclId": "acl-1"})
    return lists


# ---------------------------------------------------------------------------------- templates
ECR_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/api:1.0"

SERVICE = """\
AWSTemplateFormatVersion: "2010-09-09"
{parameters}Resources:
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "256"
      Memory: "512"
      ExecutionRoleArn: arn:aws:iam::{account}:role/ecsTaskExecutionRole
      ContainerDefinitions:
        - Name: app
          Image: {image}
          LogConfiguration:
            LogDriver: awslogs
            Options:
              awslogs-group: /ecs/app
              awslogs-region: {region}
              awslogs-stream-prefix: app
  Service:
    Type: AWS::ECS::Service
    Properties:
      LaunchType: FARGATE
      TaskDefinition: !Ref TaskDef
      DesiredCount: 1
      DeploymentConfiguration:
        DeploymentCircuitBreaker:
          Enable: true
          Rollback: true
      NetworkConfiguration:
        AwsvpcConfiguration:
          AssignPublicIp: DISABLED
          SecurityGroups:
            - sg-task
          Subnets:
{subnets}
"""

LITERAL_SUBNETS = "            - subnet-0a\n            - subnet-0b"


def _template(subnets: str = LITERAL_SUBNETS, image: str = ECR_IMAGE, parameters: str = "") -> str:
    return SERVICE.format(parameters=parameters, subnets=subnets, image=image, account=ACCOUNT, region=REGION)


def _rows(text: str, snapshot: Any, params: Optional[dict] = None):
    template = loads(text, "t.yaml")
    raws = raw_for(template, params=params or {}, region=REGION, stack_name="t", account=snapshot)
    return sorted((f.rule_id, f.line, f.message) for f in to_findings(raws, template, "t.yaml", locate)), raws


def _errors(rows):
    return [r for r in rows if r[0][0] in "EW"]


def _faults(raws):
    """The E/W faults as (rule, workload): a fault still reported for fewer subnets is not a new one."""
    return {(r.rule_id, r.workload) for r in raws if r.rule_id[0] in "EW"}


def _one_subnet_b_message(rt="rtb-0b"):
    return (
        f"Tasks of service Service in subnet subnet-0b pull image api:1.0 from ECR (the image layers come from S3), but route table {rt} "
        f"of subnet subnet-0b is not in the route tables of S3 gateway endpoint vpce-s3 (account resources) and it has no internet path, "
        f"so those tasks fail with CannotPullContainerError; in the account, add {rt} to the route tables of S3 gateway endpoint vpce-s3 "
        f"(aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-s3 --add-route-table-ids {rt})."
    )


# ---------------------------------------------------------------------------------- faults only the account shows
def test_runbook_incident_in_the_account_literal_subnets():
    rows, raws = _rows(_template(), Snapshot(_runbook_incident()))
    # line 37: the service's Subnets entry "- subnet-0b"
    assert rows == [("EN3001", 37, _one_subnet_b_message())]
    assert [r.fix for r in raws if r.rule_id == "EN3001"] == [None]  # the edit is outside the template
    # the same template without the account: it cannot be judged
    template = loads(_template(), "t.yaml")
    assert {r.rule_id for r in raw_for(template, region=REGION, stack_name="t")} == {"IN9001"}


def test_runbook_incident_parameter_subnets_anchor_on_the_property_using_them():
    params = "Parameters:\n  Subnets:\n    Type: List<AWS::EC2::Subnet::Id>\n"
    rows, raws = _rows(_template(subnets="            !Ref Subnets", parameters=params), Snapshot(_runbook_incident()),
                       {"Subnets": "subnet-0a,subnet-0b"})
    # line 38: "Subnets:" of the service (the property that uses the parameter), not the parameter
    assert rows == [("EN3001", 38, _one_subnet_b_message())]
    assert raws[0].path[-1] == "Subnets"


def test_imported_subnets_resolve_from_exports():
    subnets = "            - !ImportValue net-SubnetA\n            - !ImportValue net-SubnetB"
    snap = Snapshot(_runbook_incident(), exports={"net-SubnetA": "subnet-0a", "net-SubnetB": "subnet-0b"})
    rows, _ = _rows(_template(subnets=subnets), snap)
    assert rows == [("EN3001", 37, _one_subnet_b_message())]


def test_an_import_the_snapshot_lacks_stays_unknown_and_says_so():
    subnets = "            - !ImportValue net-SubnetA\n            - !ImportValue net-SubnetB"
    snap = Snapshot(_runbook_incident(), exports={"net-SubnetA": "subnet-0a"})
    rows, _ = _rows(_template(subnets=subnets), snap)
    assert _errors(rows) == []
    assert ("IN9001", 37, "Could not verify where tasks of service Service run: Fn::ImportValue net-SubnetB is exported neither by a "
            "template given nor in the account snapshot; check the export name, or take the snapshot again (aws cloudformation list-exports).") in rows


def test_ssm_typed_subnet_parameter_resolves_from_the_snapshot():
    params = ("Parameters:\n  SubnetB:\n    Type: AWS::SSM::Parameter::Value<AWS::EC2::Subnet::Id>\n"
              "    Default: /network/private-subnet-b\n")
    subnets = "            - subnet-0a\n            - !Ref SubnetB"
    snap = Snapshot(_runbook_incident(), ssm_parameters={"/network/private-subnet-b": "subnet-0b"})
    rows, _ = _rows(_template(subnets=subnets, parameters=params), snap)
    assert rows == [("EN3001", 41, _one_subnet_b_message())]
    # a value the user supplies wins over the snapshot's
    rows, _ = _rows(_template(subnets=subnets, parameters=params), snap, {"SubnetB": "subnet-0a"})
    assert rows == []


def test_existing_vpc_whose_ecr_endpoints_lack_private_dns():
    rows, raws = _rows(_template(), Snapshot(_no_private_dns()))
    def msg(ep, svc, symptom):
        return (f"Interface endpoint {ep} ({svc}) of VPC vpc-1 in the account has private DNS turned off, so tasks of service Service in "
                f"subnets subnet-0a and subnet-0b, which have no internet path, resolve the public {svc} name and cannot pull image api:1.0 "
                f"from ECR: they fail with {symptom}; in the account, turn on private DNS for {ep} (aws ec2 modify-vpc-endpoint "
                f"--vpc-endpoint-id {ep} --private-dns-enabled).")
    # line 36: the first Subnets entry (subnet-0a)
    assert rows == sorted([
        ("EN2003", 36, msg("vpce-api", "ecr.api", "ResourceInitializationError (unable to pull registry auth)")),
        ("EN2003", 36, msg("vpce-dkr", "ecr.dkr", "CannotPullContainerError")),
    ])
    assert all(r.fix is None for r in raws)


def test_endpoint_security_group_admitting_only_one_subnet():
    rows, raws = _rows(_template(), Snapshot(_endpoint_sg_one_subnet()))
    def msg(ep, svc, need, symptom):
        return (f"Security group sg-ep of interface endpoint {ep} ({svc}) in the account does not allow TCP 443 in from tasks of service "
                f"Service (sg-task) in subnet subnet-0b, so they cannot {need} and fail with {symptom}; in the account, add an ingress "
                f"rule for TCP 443 from security group sg-task to sg-ep.")
    pull = "pull image api:1.0 from ECR"
    assert rows == sorted([
        ("EN2005", 37, msg("vpce-api", "ecr.api", pull, "ResourceInitializationError (unable to pull registry auth)")),
        ("EN2005", 37, msg("vpce-dkr", "ecr.dkr", pull, "CannotPullContainerError")),
        ("EN2005", 37, msg("vpce-logs", "logs", "send logs to CloudWatch Logs", "ResourceInitializationError")),
    ])
    assert all(r.fix is None for r in raws)


def test_blackhole_nat_route_with_a_docker_hub_image():
    rows, raws = _rows(_template(image="nginx:1.25"), Snapshot(_blackhole_nat()))
    why = "route table rtb-0a of subnet subnet-0a sends 0.0.0.0/0 to NAT gateway nat-0dead, which no longer exists (a blackhole route)"
    assert rows == [
        ("EN2001", 35, f"Tasks of service Service in subnets subnet-0a and subnet-0b send logs to CloudWatch Logs, but these subnets have no "
                       f"internet path because {why}, and VPC vpc-1 has no logs endpoint, so they fail with ResourceInitializationError; add to "
                       f"VPC vpc-1 an Interface VPC endpoint for com.amazonaws.<region>.logs with PrivateDnsEnabled: true, a subnet in each "
                       f"task Availability Zone and a security group admitting TCP 443 from the tasks."),
        ("EN4001", 36, f"Tasks of service Service in subnets subnet-0a and subnet-0b pull image nginx:1.25 from Docker Hub, which only the "
                       f"internet can serve, but {why}, so they fail with CannotPullContainerError; in the account, point the 0.0.0.0/0 route "
                       f"of route table rtb-0a at an available public NAT gateway (aws ec2 replace-route --route-table-id rtb-0a "
                       f"--destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-...), or serve the image from ECR in this region."),
    ]


@pytest.mark.parametrize("image,lists", [(ECR_IMAGE, _private_network), ("nginx:1.25", _nat_ok)], ids=["endpoints", "nat"])
def test_clean_accounts_give_nothing(image, lists):
    rows, _ = _rows(_template(image=image), Snapshot(lists()))
    assert rows == []


def test_template_endpoint_added_to_an_existing_vpc_is_judged_against_its_route_tables():
    """The template adds the S3 gateway endpoint to the account's VPC, listing one route table."""
    lists = _private_network()
    lists["vpc_endpoints"] = [e for e in lists["vpc_endpoints"] if e["VpcEndpointId"] != "vpce-s3"]
    extra = ("  S3Endpoint:\n    Type: AWS::EC2::VPCEndpoint\n    Properties:\n      VpcId: vpc-1\n"
             "      ServiceName: com.amazonaws.us-east-1.s3\n      RouteTableIds:\n        - rtb-0a\n")
    rows, raws = _rows(_template() + extra, Snapshot(lists))
    assert rows == [("EN3001", 43, "Tasks of service Service in subnet subnet-0b pull image api:1.0 from ECR (the image layers come from S3), "
                                   "but route table rtb-0b of that subnet is not in RouteTableIds of S3 gateway endpoint S3Endpoint and it has "
                                   "no internet path, so those tasks fail with CannotPullContainerError; add rtb-0b to RouteTableIds of S3Endpoint.")]
    fix = raws[0].fix
    assert (fix.path, fix.key, fix.value, fix.kind) == (("Resources", "S3Endpoint", "Properties"), "RouteTableIds", "rtb-0b", "append")


def test_state_exposes_log_groups_and_service_azs():
    from ecsnetpolicy.api import report_for

    template = loads(_template(), "t.yaml")
    snap = Snapshot(_private_network(), log_groups={"/ecs/app"},
                    service_details={f"com.amazonaws.{REGION}.ecr.dkr": {"AvailabilityZones": ["us-east-1a", "us-east-1b"], "ServiceType": [{"ServiceType": "Interface"}]}})
    state = report_for(template, region=REGION, stack_name="t", account=snap).analyses[0].state
    assert state.log_groups == {"/ecs/app"}
    assert state.service_azs == {"ecr.dkr": {"us-east-1a", "us-east-1b"}}
    state = report_for(template, region=REGION, stack_name="t").analyses[0].state
    assert state.log_groups is None and state.service_azs is None
    # the account's facts carry their origin: the template path that brought them in, the ID, the file
    state = report_for(template, region=REGION, stack_name="t", account=Snapshot(_private_network())).analyses[0].state
    origin = state.subnets["subnet-0b"].origin
    assert (origin.source, origin.logical_id, origin.resource_id, origin.file) == ("account", None, "subnet-0b", "snap/ec2.json")
    assert origin.path == ("Resources", "Service", "Properties", "NetworkConfiguration", "AwsvpcConfiguration", "Subnets", 1)


# ---------------------------------------------------------------------------------- unknown stays honest
def _without(lists, rid):
    out = copy.deepcopy(lists)
    for kind, key in KEYED.items():
        out[kind] = [e for e in out.get(kind, []) if e.get(key) != rid]
    return out


FAULTY = {
    "clean": (ECR_IMAGE, _private_network),
    "runbook": (ECR_IMAGE, _runbook_incident),
    "no-private-dns": (ECR_IMAGE, _no_private_dns),
    "endpoint-sg": (ECR_IMAGE, _endpoint_sg_one_subnet),
    "blackhole": ("nginx:1.25", _blackhole_nat),
    "nat": ("nginx:1.25", _nat_ok),
}
DELETED = {
    "subnet-0b": "subnet subnet-0b is not in account 123456789012 (snapshot snap)",
    "subnet-0a": "subnet subnet-0a is not in account 123456789012 (snapshot snap)",
    "sg-task": "security group sg-task is not in account 123456789012 (snapshot snap)",
    "vpc-1": "VPC vpc-1 is not in account 123456789012 (snapshot snap)",
}


@pytest.mark.parametrize("account", sorted(FAULTY))
@pytest.mark.parametrize("rid", sorted(DELETED))
def test_a_deleted_resource_gives_in9001_naming_it_and_no_new_error(account, rid):
    image, lists = FAULTY[account]
    if account == "blackhole" and rid == "sg-task":
        pytest.skip("no decision rests on the tasks' group there: they have no path out at all (EN4001 stands)")
    _before, before = _rows(_template(image=image), Snapshot(lists()))
    after, after_raws = _rows(_template(image=image), Snapshot(_without(lists(), rid)))
    assert _faults(after_raws) <= _faults(before)
    named = [m for r, _l, m in after if r == "IN9001" and DELETED[rid] in m]
    assert named, after
    command = CAPTURE[{"subnet": "subnets", "sg": "security_groups", "vpc": "vpcs"}[rid.split("-")[0]]]
    # issue 11 point 4: the IN9001 names the AWS CLI command that would capture the missing resource
    assert all(m.endswith(f"check the ID, or take the snapshot in the account and region the template deploys into "
                          f"(capture it with `{command}`).") for m in named), named


@pytest.mark.parametrize("account", ["runbook", "endpoint-sg"])
def test_a_deleted_endpoint_group_gives_in9001_naming_it(account):
    image, lists = FAULTY[account]
    _before, before = _rows(_template(image=image), Snapshot(lists()))
    after, after_raws = _rows(_template(image=image), Snapshot(_without(lists(), "sg-ep")))
    assert _faults(after_raws) <= _faults(before)
    assert any(r == "IN9001" and "security group sg-ep is not in account 123456789012 (snapshot snap)" in m for r, _l, m in after), after


def test_a_deleted_route_table_an_endpoint_lists_gives_in9001():
    before, _ = _rows(_template(), Snapshot(_private_network()))
    after, _ = _rows(_template(), Snapshot(_without(_private_network(), "rtb-0b")))
    assert _errors(after) == []
    assert any(r == "IN9001" and "route table rtb-0b is not in account 123456789012 (snapshot snap)" in m for r, _l, m in after), after


def test_a_kind_not_captured_names_the_command_that_captures_it():
    lists = _private_network()
    del lists["network_acls"]
    rows, _ = _rows(_template(), Snapshot(lists))
    assert _errors(rows) == []
    assert ("IN9001", 36, "Could not verify the network ACL of subnet subnet-0a of service Service: the network ACL of subnet subnet-0a is "
            "not in the snapshot, which holds no network ACLs; add the output of `aws ec2 describe-network-acls --output json` to the "
            "snapshot directory.") in rows


def test_a_snapshot_without_log_groups_says_how_to_capture_them():
    """EN5002 cannot decide without the account's log groups: IN9001 naming the command, never an error."""
    rows, _ = _rows(_template(), Snapshot(_private_network(), log_groups=None))
    assert _errors(rows) == []
    assert [r for r in rows if "log group" in r[2]] == [
        ("IN9001", 14, "Could not verify that log group /ecs/app of container app of task definition TaskDef exists (EN5002): account "
         f"{ACCOUNT} (snapshot {SNAPDIR}) holds no log groups; add the output of `aws logs describe-log-groups --output json` to the "
         "snapshot directory."),
    ]


def test_get_stack_output_reads_the_snapshot_stacks():
    subnets = ("            - subnet-0a\n            - !GetStackOutput {StackName: network, OutputName: SubnetB}")
    snap = Snapshot(_runbook_incident(), stacks={"network": {"Outputs": {"SubnetB": "subnet-0b"}, "Parameters": {}}})
    rows, _ = _rows(_template(subnets=subnets), snap)
    assert rows == [("EN3001", 37, _one_subnet_b_message())]


def test_the_policy_of_an_account_s3_endpoint_that_refuses_the_layer_bucket():
    """EN3002 for the S3 gateway endpoint of the account: its policy as the snapshot holds it,
    anchored on the service's subnet entry, the fix made in the account."""
    lists = _private_network()
    ep = next(e for e in lists["vpc_endpoints"] if e["VpcEndpointId"] == "vpce-s3")
    ep["PolicyDocument"] = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",'
                            '"Resource":"arn:aws:s3:::my-bucket/*"}]}')
    rows, raws = _rows(_template(), Snapshot(lists))
    assert [(r[0], r[1]) for r in rows] == [("EN3002", 36)]
    assert "S3 gateway endpoint vpce-s3 in the account does not allow s3:GetObject" in rows[0][2]
    assert rows[0][2].endswith("to the policy of vpce-s3 (aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-s3 --policy-document file://policy.json).")
    assert raws[0].fix is None
    # the endpoint's policy allowing everything (as _private_network has it): nothing
    rows, _ = _rows(_template(), Snapshot(_private_network()))
    assert _errors(rows) == []


NESTED = "Resources:\n  VpcStack:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: https://example.com/vpc.yaml\n"


def _nested_template() -> str:
    """The service with subnet B from an output of a nested stack whose template is not loaded."""
    subnets = "            - subnet-0a\n            - !GetAtt VpcStack.Outputs.SubnetB"
    return _template(subnets=subnets).replace("Resources:\n", NESTED, 1)


def test_an_output_of_a_nested_stack_is_read_from_the_deployed_nested_stack():
    """CloudFormation names a nested stack <parent>-<logical ID>-<suffix>: exactly one such stack in
    the snapshot is the deployed nested stack, and its output stands for the GetAtt."""
    stacks = {"t-VpcStack-1A2B3C": {"Outputs": {"SubnetB": "subnet-0b"}, "Parameters": {}}, "other": {"Outputs": {}, "Parameters": {}}}
    rows, _ = _rows(_nested_template(), Snapshot(_runbook_incident(), stacks=stacks))
    assert [(r[0], r[2]) for r in rows] == [("EN3001", _one_subnet_b_message())]


@pytest.mark.parametrize("stacks", [
    {},  # no stack of that name: not deployed yet, or the parent is deployed under another name
    {"t-VpcStack-1A2B3C": {"Outputs": {"SubnetB": "subnet-0b"}, "Parameters": {}},
     "t-VpcStack-9Z8Y7X": {"Outputs": {"SubnetB": "subnet-0a"}, "Parameters": {}}},  # two candidates: cannot say which
], ids=["none", "two"])
def test_a_nested_stack_the_snapshot_cannot_identify_stays_unknown(stacks):
    rows, _ = _rows(_nested_template(), Snapshot(_runbook_incident(), stacks=stacks))
    assert _errors(rows) == []
    assert any(r[0] == "IN9001" and "output SubnetB of nested stack VpcStack" in r[2] for r in rows)


# ---------------------------------------------------------------------------------- AWS CLI documents
def _cli_documents(lists: Dict[str, List[Dict[str, Any]]], *, rules_only: Sequence[str] = ()) -> List[Any]:
    """The stand-in lists as the AWS CLI prints them (one document per describe call), read by
    load/snapshot.py's own reader; the groups of `rules_only` appear only in the output of
    `aws ec2 describe-security-group-rules`, each permission one SecurityGroupRules entry."""
    keys = {"subnets": "Subnets", "route_tables": "RouteTables", "vpc_endpoints": "VpcEndpoints", "network_acls": "NetworkAcls",
            "nat_gateways": "NatGateways", "internet_gateways": "InternetGateways", "dhcp_options": "DhcpOptions"}
    docs: List[Any] = [(f"{kind}.json", {key: copy.deepcopy(lists.get(kind, []))}) for kind, key in keys.items()]
    vpcs = copy.deepcopy(lists["vpcs"])
    for v in vpcs:
        for attr in ("EnableDnsSupport", "EnableDnsHostnames"):
            docs.append((f"vpc-attribute-{v['VpcId']}-{attr}.json", {"VpcId": v["VpcId"], attr: {"Value": v.pop(attr)}}))
    docs.append(("vpcs.json", {"Vpcs": vpcs}))
    groups, rules = [], []
    for sg in copy.deepcopy(lists["security_groups"]):
        if sg["GroupId"] not in rules_only:
            groups.append(sg)
            continue
        for egress, perms in ((False, sg["IpPermissions"]), (True, sg["IpPermissionsEgress"])):
            for perm in perms:
                base = {"GroupId": sg["GroupId"], "GroupOwnerId": ACCOUNT, "IsEgress": egress, "IpProtocol": perm["IpProtocol"],
                        "FromPort": perm.get("FromPort", -1), "ToPort": perm.get("ToPort", -1)}
                peers = ([{"CidrIpv4": x["CidrIp"]} for x in perm.get("IpRanges", [])]
                         + [{"ReferencedGroupInfo": {"GroupId": x["GroupId"], "UserId": ACCOUNT}} for x in perm.get("UserIdGroupPairs", [])])
                for peer in peers:
                    rules.append({**base, **peer, "SecurityGroupRuleId": f"sgr-{len(rules):04d}"})
    docs.append(("security-groups.json", {"SecurityGroups": groups}))
    docs.append(("security-group-rules.json", {"SecurityGroupRules": rules}))
    docs.append(("log-groups.json", {"logGroups": [{"logGroupName": "/ecs/app", "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/app:*"}]}))
    docs.append(("iam.json", {"RoleDetailList": [EXECUTION_ROLE], "Policies": []}))
    return docs


def test_a_group_known_only_from_its_rules_is_judged_from_them():
    """describe-security-group-rules without describe-security-groups for the endpoints' group:
    its rules are read (EN2005 for the subnet it does not admit, as with the full entry), never
    "not in account"."""
    meta = {"region": REGION, "account_id": ACCOUNT}
    full = build_snapshot(_cli_documents(_endpoint_sg_one_subnet()), source="snap", meta=meta)
    rules_only = build_snapshot(_cli_documents(_endpoint_sg_one_subnet(), rules_only=["sg-ep"]), source="snap", meta=meta)
    assert "sg-ep" not in rules_only.security_groups and "sg-ep" in rules_only.security_group_rules
    rows, _ = _rows(_template(), full)
    assert [r for r, _l, _m in rows] == ["EN2005"] * 3 and all("sg-ep" in m and "subnet-0b" in m for _r, _l, m in rows)  # one per endpoint
    got, _ = _rows(_template(), rules_only)
    assert got == rows
    assert not any("not in account" in m for _r, _l, m in got)


def test_a_group_known_only_from_its_rules_has_an_unknown_vpc_unless_an_endpoint_says_it():
    from ecsnetpolicy.adapters.account import Account
    from ecsnetpolicy.adapters.account.view import view_of
    from ecsnetpolicy.state import NetworkState
    from ecsnetpolicy.values import Unknown

    snap = build_snapshot(_cli_documents(_endpoint_sg_one_subnet(), rules_only=["sg-ep", "sg-task"]), source="snap",
                          meta={"region": REGION, "account_id": ACCOUNT})
    state = NetworkState()
    reader = Account(view_of(snap)).reader(state)
    assert reader.known("sg-task", ("Resources", "Service"), "security_groups") == "sg-task"
    task = state.sgs["sg-task"]
    assert isinstance(task.vpc, Unknown) and "security group sg-task" in task.vpc.why and "describe-security-groups" in task.vpc.hint
    assert [(r.cidr and str(r.cidr), r.from_port, r.to_port) for r in task.egress] == [("0.0.0.0/0", None, None)]
    reader.known("vpc-1", ("Resources", "Service"), "vpcs")  # brings in the endpoints, whose group is sg-ep
    assert state.sgs["sg-ep"].vpc == "vpc-1"
    assert [(str(r.cidr), r.from_port, r.to_port) for r in state.sgs["sg-ep"].ingress] == [("10.0.1.0/24", 443, 443)]


# ---------------------------------------------------------------------------------- a NAT gateway behind a NAT gateway
@pytest.mark.parametrize("upstream", ["nat-0live", "nat-0other"])
def test_a_public_nat_gateway_whose_subnet_routes_to_a_nat_gateway_gives_no_internet(upstream):
    """Fact 24: a public NAT gateway reaches the internet only through an internet gateway route of
    its own subnet.  Everything is in the snapshot, so this is decided (EN4001), not left unknown
    with a hint to supply parameters."""
    lists = _nat_ok()
    rt = next(r for r in lists["route_tables"] if r["RouteTableId"] == "rtb-pub")
    rt["Routes"][1] = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": upstream, "State": "active"}
    lists["nat_gateways"].append({"NatGatewayId": "nat-0other", "SubnetId": "subnet-0a", "VpcId": "vpc-1", "State": "available", "ConnectivityType": "public"})
    rows, raws = _rows(_template(image="nginx:1.25"), Snapshot(lists))
    itself = " (itself)" if upstream == "nat-0live" else ""
    en4001 = [m for r, _l, m in rows if r == "EN4001"]
    assert en4001 == [
        "Tasks of service Service in subnets subnet-0a and subnet-0b pull image nginx:1.25 from Docker Hub, which only the internet can "
        "serve, but public NAT gateway nat-0live sits in subnet subnet-0pub, whose route table rtb-pub sends 0.0.0.0/0 to NAT gateway "
        f"{upstream}{itself} rather than to an internet gateway (a public NAT gateway reaches the internet only through an internet gateway "
        "route of its own subnet), so they fail with CannotPullContainerError; in the account, route 0.0.0.0/0 of the NAT gateway's "
        "subnet to an internet gateway (a public NAT gateway sits in a public subnet), or serve the image from ECR in this region."]
    assert not [r for r, _l, _m in rows if r == "IN9001"]
    assert all(r.fix is None for r in raws if r.rule_id == "EN4001")


def test_a_nat_gateway_behind_a_transit_gateway_stays_unknown_with_a_hint_that_fits():
    """A transit gateway is not followed: unknown, and the hint says what to check in the account
    (no parameter to supply)."""
    lists = _nat_ok()
    rt = next(r for r in lists["route_tables"] if r["RouteTableId"] == "rtb-pub")
    rt["Routes"][1] = {"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1", "State": "active"}
    rows, _ = _rows(_template(image="nginx:1.25"), Snapshot(lists))
    assert _errors(rows) == []
    # one IN9001 for that unknown value (both subnets rest on it), on the first subnet's entry
    assert [(line, m) for r, line, m in rows if r == "IN9001"] == [(
        36, "Could not verify that tasks of service Service in subnet subnet-0a can pull image nginx:1.25 from Docker Hub: NAT gateway "
        "nat-0live reaches the internet through transit gateway tgw-1; check that transit gateway tgw-1 gives the traffic of route table "
        "rtb-pub a path to the internet.")]


NAT_BEHIND_NAT = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16, EnableDnsSupport: true, EnableDnsHostnames: true}
  PublicSubnet:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24, AvailabilityZone: us-east-1a}
  PrivateSubnet:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: us-east-1a}
  Eip:
    Type: AWS::EC2::EIP
    Properties: {Domain: vpc}
  Nat:
    Type: AWS::EC2::NatGateway
    Properties: {SubnetId: !Ref PublicSubnet, AllocationId: !GetAtt Eip.AllocationId}
  PublicRt:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PublicDefault:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PublicRt, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref Nat}
  PublicAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PublicSubnet, RouteTableId: !Ref PublicRt}
  PrivateRt:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PrivateDefault:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateRt, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref Nat}
  PrivateAssoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PrivateSubnet, RouteTableId: !Ref PrivateRt}
  TaskSg:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: tasks, VpcId: !Ref Vpc}
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "256"
      Memory: "512"
      ContainerDefinitions:
        - Name: app
          Image: nginx:1.25
  Service:
    Type: AWS::ECS::Service
    Properties:
      LaunchType: FARGATE
      TaskDefinition: !Ref TaskDef
      NetworkConfiguration:
        AwsvpcConfiguration:
          AssignPublicIp: DISABLED
          SecurityGroups: [!Ref TaskSg]
          Subnets: [!Ref PrivateSubnet]
"""


def test_template_only_nat_gateway_routed_to_itself_gives_no_internet():
    """The same fact for a template's own network (no account): EN4001 on the workload's
    NetworkConfiguration, where it was an IN9001 asking for parameters."""
    template = loads(NAT_BEHIND_NAT, "t.yaml")
    rows = [(f.rule_id, f.line, f.message) for f in to_findings(raw_for(template, region=REGION, stack_name="t"), template, "t.yaml", locate)]
    assert [r for r in rows if r[0] != "WN6001"] == [(
        "EN4001", 54,
        "Tasks of service Service in subnet PrivateSubnet pull image nginx:1.25 from Docker Hub, which only the internet can serve, but "
        "public NAT gateway Nat sits in subnet PublicSubnet, whose route table PublicRt sends 0.0.0.0/0 to NAT gateway Nat (itself) rather "
        "than to an internet gateway (a public NAT gateway reaches the internet only through an internet gateway route of its own subnet), "
        "so they fail with CannotPullContainerError; route 0.0.0.0/0 of the NAT gateway's subnet to an internet gateway (a public NAT "
        "gateway sits in a public subnet), or serve the image from ECR in this region.")]


# ---------------------------------------------------------------------------------- anchors per workload
WORKER = """\
  Worker:
    Type: AWS::ECS::Service
    Properties:
      LaunchType: FARGATE
      TaskDefinition: !Ref TaskDef
      DeploymentConfiguration:
        DeploymentCircuitBreaker:
          Enable: true
          Rollback: true
      NetworkConfiguration:
        AwsvpcConfiguration:
          SecurityGroups:
            - sg-task
          Subnets:
            - subnet-0b
            - subnet-0a
"""


def test_an_unknown_shared_by_two_workloads_anchors_on_each_workloads_own_subnets():
    """Issue 11 point 5: the NAT gateway the subnets' route tables name is missing from the
    snapshot; it was first reached through Service's Subnets, yet Worker's IN9001 anchors on
    Worker's own Subnets entry (the subnet its first verdict is about: subnet-0b, line 52), and
    each workload gets one IN9001 for that unknown value, not one per subnet."""
    lists = _nat_ok()
    lists["nat_gateways"] = []
    rows, _ = _rows(_template(image="nginx:1.25") + WORKER, Snapshot(lists))
    assert _errors(rows) == []
    why = ("NAT gateway nat-0live is not in account 123456789012 (snapshot snap); check the ID, or take the snapshot in the account and "
           "region the template deploys into (capture it with `aws ec2 describe-nat-gateways --output json`).")
    assert [(r, line, m) for r, line, m in rows if r == "IN9001"] == [
        ("IN9001", 36, f"Could not verify that tasks of service Service in subnet subnet-0a can pull image nginx:1.25 from Docker Hub: {why}"),
        ("IN9001", 52, f"Could not verify that tasks of service Worker in subnet subnet-0b can pull image nginx:1.25 from Docker Hub: {why}"),
    ]
