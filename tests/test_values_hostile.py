"""A value the engine cannot read is unknown (IN9001 with its path), never an exception, never
silence, never "all traffic" and never an error or warning resting on it; resolving is bounded in
size and in work (issue 9).

Each case is a variant of one clean template (no findings): a port, protocol, CIDR, prefix list,
NACL entry, desired count, deployment percentage or Fn::Cidr count written so that CloudFormation
would not read it as the engine used to (a 5,000-digit number, "0x1BB", "４４３", " 443", "+443",
" tcp ", "6.0", 1e400, nan, "0.0.0.0/33", "10.0.0.0/8x", "::/129").  Controls show that each slot
decides a finding when its value is valid but wrong, so the IN9001 is not an accident.

The cost cases (mapping blow-ups, a 1 MB parameter joined a thousand times, Fn::Split of 4 MB of
commas, "${" repeated, quadratic templates) run in a subprocess with a hang guard far above what
they take (see benchmarks/README.md for the measured figures); large inputs are generated in
tmp_path.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pytest

from ecsnetpolicy.api import raw_for
from ecsnetpolicy.load.template import loads
from ecsnetpolicy.values import budget
from ecsnetpolicy.values import MAX_LIST, MAX_STRING, Budget, Resolver, Unknown, as_int, as_network
from helpers import plugin_run

BIG = "1" * 5000  # int() refuses over 4,300 digits
GUARD = 600  # seconds: a hang guard for subprocesses, far above the measured figures


def _id(value: Any) -> str:
    """Short test ids (pytest's own would print 5,000 digits, or fail on 10**5000)."""
    if isinstance(value, int) and not -(10**20) < value < 10**20:
        return "huge-int"
    text = str(value) if not isinstance(value, (list, tuple, dict)) else type(value).__name__
    return text if len(text) <= 20 else text[:8] + f"...({len(text)})"

# A clean template: tasks in two private subnets reach ecr.api, ecr.dkr and logs through
# interface endpoints and S3 through the gateway endpoint.  Slots ({...}) take the values under
# test; DEFAULTS fill them with valid values (no findings at all).
BASE = textwrap.dedent(
    """\
    AWSTemplateFormatVersion: '2010-09-09'
    Parameters:
      S3PrefixListId:
        Type: String
        Default: pl-63a5400a
    Resources:
      Vpc:
        Type: AWS::EC2::VPC
        Properties:
          CidrBlock: {vpc_cidr}
          EnableDnsSupport: true
          EnableDnsHostnames: true
      SubnetA:
        Type: AWS::EC2::Subnet
        Properties:
          VpcId: !Ref Vpc
          CidrBlock: {subnet_a_cidr}
          AvailabilityZone: !Select [0, !GetAZs '']
      SubnetB:
        Type: AWS::EC2::Subnet
        Properties:
          VpcId: !Ref Vpc
          CidrBlock: 10.0.2.0/24
          AvailabilityZone: !Select [1, !GetAZs '']
      RouteTableA:
        Type: AWS::EC2::RouteTable
        Properties:
          VpcId: !Ref Vpc
      RouteTableB:
        Type: AWS::EC2::RouteTable
        Properties:
          VpcId: !Ref Vpc
      AssocA:
        Type: AWS::EC2::SubnetRouteTableAssociation
        Properties:
          SubnetId: !Ref SubnetA
          RouteTableId: !Ref RouteTableA
      AssocB:
        Type: AWS::EC2::SubnetRouteTableAssociation
        Properties:
          SubnetId: !Ref SubnetB
          RouteTableId: !Ref RouteTableB
      TaskSg:
        Type: AWS::EC2::SecurityGroup
        Properties:
          GroupDescription: tasks
          VpcId: !Ref Vpc
          SecurityGroupEgress:
            - IpProtocol: {proto}
              FromPort: {from_port}
              ToPort: {to_port}
              {cidr_key}: {egress_cidr}
            - IpProtocol: tcp
              FromPort: 443
              ToPort: 443
              DestinationPrefixListId: {prefix_list}
    {extra_egress}
      EndpointSg:
        Type: AWS::EC2::SecurityGroup
        Properties:
          GroupDescription: endpoints
          VpcId: !Ref Vpc
          SecurityGroupIngress:
            - IpProtocol: {ingress_proto}
              FromPort: {ingress_port}
              ToPort: {ingress_port}
              SourceSecurityGroupId: !Ref TaskSg
      EcrApi:
        Type: AWS::EC2::VPCEndpoint
        Properties:
          VpcId: !Ref Vpc
          ServiceName: !Sub com.amazonaws.${{AWS::Region}}.ecr.api
          VpcEndpointType: Interface
          PrivateDnsEnabled: true
          SubnetIds: [!Ref SubnetA, !Ref SubnetB]
          SecurityGroupIds: [!Ref EndpointSg]
      EcrDkr:
        Type: AWS::EC2::VPCEndpoint
        Properties:
          VpcId: !Ref Vpc
          ServiceName: !Sub com.amazonaws.${{AWS::Region}}.ecr.dkr
          VpcEndpointType: Interface
          PrivateDnsEnabled: true
          SubnetIds: [!Ref SubnetA, !Ref SubnetB]
          SecurityGroupIds: [!Ref EndpointSg]
      Logs:
        Type: AWS::EC2::VPCEndpoint
        Properties:
          VpcId: !Ref Vpc
          ServiceName: !Sub com.amazonaws.${{AWS::Region}}.logs
          VpcEndpointType: Interface
          PrivateDnsEnabled: true
          SubnetIds: [!Ref SubnetA, !Ref SubnetB]
          SecurityGroupIds: [!Ref EndpointSg]
      S3:
        Type: AWS::EC2::VPCEndpoint
        Properties:
          VpcId: !Ref Vpc
          ServiceName: !Sub com.amazonaws.${{AWS::Region}}.s3
          RouteTableIds: [!Ref RouteTableA, !Ref RouteTableB]
    {nacl}
      Cluster:
        Type: AWS::ECS::Cluster
      LogGroup:
        Type: AWS::Logs::LogGroup
        Properties:
          LogGroupName: api
      ExecutionRole:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Principal: {{Service: ecs-tasks.amazonaws.com}}
                Action: sts:AssumeRole
          ManagedPolicyArns:
            - arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
      TaskDefinition:
        Type: AWS::ECS::TaskDefinition
        Properties:
          RequiresCompatibilities: [FARGATE]
          NetworkMode: awsvpc
          Cpu: '256'
          Memory: '512'
          ExecutionRoleArn: !GetAtt ExecutionRole.Arn
          ContainerDefinitions:
            - Name: api
              Image: !Sub ${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.amazonaws.com/api:1.0
              LogConfiguration:
                LogDriver: awslogs
                Options:
                  awslogs-group: api
                  awslogs-region: !Ref AWS::Region
                  awslogs-stream-prefix: api
      Service:
        Type: AWS::ECS::Service
        Properties:
          Cluster: !Ref Cluster
          TaskDefinition: !Ref TaskDefinition
          LaunchType: FARGATE
          DesiredCount: {desired}
          DeploymentConfiguration:
            MinimumHealthyPercent: {min_healthy}
            MaximumPercent: {max_percent}
            DeploymentCircuitBreaker: {{Enable: true, Rollback: true}}
          NetworkConfiguration:
            AwsvpcConfiguration:
              Subnets: [!Ref SubnetA, !Ref SubnetB]
              SecurityGroups: [!Ref TaskSg]
    """
)

DEFAULTS: Dict[str, str] = {
    "vpc_cidr": "10.0.0.0/16",
    "subnet_a_cidr": "10.0.1.0/24",
    "proto": "tcp",
    "from_port": "443",
    "to_port": "443",
    "cidr_key": "CidrIp",
    "egress_cidr": "!GetAtt Vpc.CidrBlock",
    "prefix_list": "!Ref S3PrefixListId",
    "extra_egress": "",
    "ingress_proto": "tcp",
    "ingress_port": "443",
    "nacl": "",
    "desired": "2",
    "min_healthy": "50",
    "max_percent": "200",
}

# A network ACL on subnet A that passes exactly what the tasks need; {slot} keys replace one
# field of its outbound 443 entry.
NACL = textwrap.dedent(
    """\
      Nacl:
        Type: AWS::EC2::NetworkAcl
        Properties:
          VpcId: !Ref Vpc
      NaclAssoc:
        Type: AWS::EC2::SubnetNetworkAclAssociation
        Properties:
          SubnetId: !Ref SubnetA
          NetworkAclId: !Ref Nacl
      NaclOut:
        Type: AWS::EC2::NetworkAclEntry
        Properties:
          NetworkAclId: !Ref Nacl
          RuleNumber: {number}
          Protocol: {protocol}
          RuleAction: {action}
          Egress: true
          CidrBlock: {cidr}
          PortRange: {{From: {port_from}, To: 443}}
      NaclReturn:
        Type: AWS::EC2::NetworkAclEntry
        Properties:
          NetworkAclId: !Ref Nacl
          RuleNumber: 110
          Protocol: 6
          RuleAction: allow
          Egress: true
          CidrBlock: 0.0.0.0/0
          PortRange: {{From: 1024, To: 65535}}
      NaclIn:
        Type: AWS::EC2::NetworkAclEntry
        Properties:
          NetworkAclId: !Ref Nacl
          RuleNumber: 100
          Protocol: 6
          RuleAction: allow
          Egress: false
          CidrBlock: 0.0.0.0/0
          PortRange: {{From: 0, To: 65535}}
    """
)
NACL_DEFAULTS = {"number": "100", "protocol": "6", "action": "allow", "cidr": "0.0.0.0/0", "port_from": "443"}

STANDALONE_EGRESS = textwrap.dedent(
    """\
      ExtraEgress:
        Type: AWS::EC2::SecurityGroupEgress
        Properties:
          GroupId: !Ref TaskSg
          IpProtocol: tcp
          FromPort: {port}
          ToPort: 443
          CidrIp: 10.0.0.0/16
    """
)


def _indent(block: str) -> str:
    """A block of resources at the indentation of BASE's."""
    return textwrap.indent(block, "  ").rstrip("\n")


def template_text(**slots: str) -> str:
    fill = {**DEFAULTS, **slots}
    return BASE.format(**fill)


def nacl(**fields: str) -> str:
    return _indent(NACL.format(**{**NACL_DEFAULTS, **fields}))


def judge(text: str) -> List[Any]:
    return raw_for(loads(text))


def ids(raws: Sequence[Any]) -> List[str]:
    return sorted(r.rule_id for r in raws)


def assert_unknown_at(raws: Sequence[Any], path_prefix: Sequence[Any], *words: str) -> None:
    """No error or warning; an IN9001 anchored under `path_prefix` whose message holds `words`."""
    errors = [(r.rule_id, r.message) for r in raws if r.rule_id[0] in "EW"]
    assert not errors, errors
    hits = [r for r in raws if r.rule_id == "IN9001" and tuple(r.path[: len(path_prefix)]) == tuple(path_prefix)]
    assert hits, [(r.rule_id, r.path, r.message) for r in raws]
    assert any(all(w in r.message for w in words) for r in hits), [r.message for r in hits]
    for r in hits:
        assert "internal error" not in r.message
        assert BIG not in r.message  # an excerpt, never the whole value


# ------------------------------------------------------------------------------ the clean base
def test_the_base_template_is_clean():
    assert judge(template_text()) == []
    assert judge(template_text(nacl=nacl())) == []


@pytest.mark.parametrize(
    "slots, rule",
    [
        ({"from_port": "80", "to_port": "80"}, "EN1001"),  # the egress slot decides EN1001
        ({"proto": "udp"}, "EN1001"),
        ({"egress_cidr": "192.168.0.0/16"}, "EN1001"),
        ({"ingress_port": "80"}, "EN2005"),  # the endpoint ingress slot decides EN2005
        ({"nacl": nacl(action="deny")}, "EN1003"),  # the NACL slot decides EN1003
        ({"desired": "1", "min_healthy": "100", "max_percent": "100"}, "EN6002"),
    ],
)
def test_each_slot_decides_a_finding_when_valid(slots, rule):
    assert rule in ids(judge(template_text(**slots)))


@pytest.mark.parametrize(
    "slots",
    [
        {"proto": "TCP"},  # EC2 takes protocol names in any case
        {"proto": "6"},
        {"proto": "'6'"},
        {"proto": "'-1'", "from_port": "-1", "to_port": "-1"},
        {"proto": "-1"},
        {"from_port": "'443'"},
        {"from_port": "443.0"},
        {"from_port": "0", "to_port": "65535"},
    ],
)
def test_valid_spellings_stay_valid(slots):
    assert judge(template_text(**slots)) == []


# ------------------------------------------------------------------------------ security groups
EGRESS = ("Resources", "TaskSg", "Properties", "SecurityGroupEgress", 0)


@pytest.mark.parametrize(
    "slot, value, field, words",
    [
        ("from_port", BIG, "FromPort", ["FromPort", "too large"]),  # a YAML int of 5,000 digits
        ("from_port", f"'{BIG}'", "FromPort", ["FromPort", "too large"]),
        ("to_port", f"-{BIG}", "ToPort", ["ToPort", "too large"]),
        ("from_port", "'0x1BB'", "FromPort", ["not a number"]),
        ("from_port", "'４４３'", "FromPort", ["not a number"]),  # int() takes it, CloudFormation does not
        ("from_port", "' 443'", "FromPort", ["not a number"]),
        ("from_port", "'+443'", "FromPort", ["not a number"]),
        ("from_port", "'4 43'", "FromPort", ["not a number"]),
        ("from_port", "1.0e+400", "FromPort", ["inf", "not a whole number"]),
        ("from_port", ".inf", "FromPort", ["not a whole number"]),
        ("from_port", ".nan", "FromPort", ["nan"]),
        ("from_port", "443.5", "FromPort", ["not a whole number"]),
        ("from_port", "70000", "FromPort", ["out of range"]),
        ("proto", "' tcp '", "IpProtocol", ["protocol", "not tcp"]),
        ("proto", "'TCP '", "IpProtocol", ["protocol"]),
        ("proto", "'6.0'", "IpProtocol", ["protocol"]),
        ("proto", "6.0", "IpProtocol", ["protocol"]),
        ("proto", "'0x6'", "IpProtocol", ["protocol"]),
        ("proto", "'６'", "IpProtocol", ["protocol"]),
        ("proto", "'300'", "IpProtocol", ["protocol"]),
        ("proto", ".nan", "IpProtocol", ["protocol"]),
        ("proto", f"'{BIG}'", "IpProtocol", ["protocol"]),
        ("egress_cidr", "0.0.0.0/33", "CidrIp", ["not a CIDR block"]),
        ("egress_cidr", "10.0.0.0/8x", "CidrIp", ["not a CIDR block"]),
        ("egress_cidr", "' 10.0.0.0/16'", "CidrIp", ["not a CIDR block"]),
        ("egress_cidr", "'１0.0.0.0/16'", "CidrIp", ["not a CIDR block"]),
    ], ids=_id)
def test_unreadable_egress_value_is_unknown_with_its_path(slot, value, field, words):
    raws = judge(template_text(**{slot: value}))
    assert_unknown_at(raws, EGRESS + (field,), *words)


def test_unreadable_ipv6_cidr_is_unknown_with_its_path():
    raws = judge(template_text(cidr_key="CidrIpv6", egress_cidr="'::/129'"))
    assert_unknown_at(raws, EGRESS + ("CidrIpv6",), "not a CIDR block")


def test_unreadable_protocol_is_never_all_traffic():
    # "-1" (all traffic) to the VPC would let everything out; " -1 " must not
    assert judge(template_text(proto="'-1'", from_port="-1", to_port="-1")) == []
    raws = judge(template_text(proto="' -1 '", from_port="-1", to_port="-1"))
    assert_unknown_at(raws, EGRESS + ("IpProtocol",), "protocol")


@pytest.mark.parametrize("value, words", [("'pl-63a5400a '", ["prefix list ID"]), ("'pl-ZZZ'", ["prefix list ID"])])
def test_unreadable_prefix_list_is_unknown_with_its_path(value, words):
    raws = judge(template_text(prefix_list=value))
    assert_unknown_at(raws, ("Resources", "TaskSg", "Properties", "SecurityGroupEgress", 1, "DestinationPrefixListId"), *words)


def test_prefix_list_parameter_without_value_is_unknown_not_s3():
    text = template_text().replace("    Default: pl-63a5400a\n", "")
    assert "pl-63a5400a" not in text
    raws = judge(text)
    assert_unknown_at(raws, ("Resources", "TaskSg", "Properties", "SecurityGroupEgress", 1, "DestinationPrefixListId"), "S3PrefixListId")


@pytest.mark.parametrize("value", [BIG, "'0x1BB'", "'４４３'", "1.0e+400"], ids=_id)
def test_unreadable_port_in_a_standalone_rule_is_unknown_with_its_path(value):
    # the standalone rule is the only one that could let 443 out to the endpoints
    text = template_text(from_port="80", to_port="80", extra_egress=_indent(STANDALONE_EGRESS.format(port=value)))
    raws = judge(text)
    assert_unknown_at(raws, ("Resources", "ExtraEgress", "Properties", "FromPort"), "FromPort")


def test_a_valid_standalone_rule_decides():
    text = template_text(from_port="80", to_port="80", extra_egress=_indent(STANDALONE_EGRESS.format(port="443")))
    assert judge(text) == []


@pytest.mark.parametrize(
    "slot, value, field",
    [("ingress_proto", "' tcp'", "IpProtocol"), ("ingress_port", f"'{BIG}'", "FromPort"), ("ingress_port", "'0x1BB'", "FromPort")], ids=_id)
def test_unreadable_endpoint_ingress_is_unknown_with_its_path(slot, value, field):
    raws = judge(template_text(**{slot: value}))
    assert_unknown_at(raws, ("Resources", "EndpointSg", "Properties", "SecurityGroupIngress", 0, field))


# ------------------------------------------------------------------------------ VPC and subnets
def test_unreadable_vpc_cidr_is_unknown_where_it_is_used():
    # the egress rule reads it through !GetAtt Vpc.CidrBlock: the IN9001 names the value there
    raws = judge(template_text(vpc_cidr="10.0.0.0/8x"))
    assert_unknown_at(raws, EGRESS + ("CidrIp",), '"10.0.0.0/8x" is not a CIDR block')


def test_unreadable_subnet_cidr_is_unknown_with_its_path():
    raws = judge(template_text(subnet_a_cidr="10.0.1.0/33"))
    assert_unknown_at(raws, ("Resources", "SubnetA", "Properties", "CidrBlock"), "not a CIDR block")


@pytest.mark.parametrize("count, words", [(BIG, ["Fn::Cidr count", "too large"]), ("'４'", ["Fn::Cidr count"]), ("1.0e+400", ["Fn::Cidr count"]), ("300", ["out of range"])], ids=_id)
def test_unreadable_cidr_count_is_unknown_with_its_path(count, words):
    raws = judge(template_text(subnet_a_cidr=f"!Select [1, !Cidr [10.0.0.0/16, {count}, 8]]"))
    assert_unknown_at(raws, ("Resources", "SubnetA", "Properties", "CidrBlock"), *words)


def test_valid_cidr_count_decides():
    assert judge(template_text(subnet_a_cidr="!Select [1, !Cidr [10.0.0.0/16, 4, 8]]")) == []


# ------------------------------------------------------------------------------ network ACLs
NACL_OUT = ("Resources", "NaclOut", "Properties")


@pytest.mark.parametrize(
    "field, value, key",
    [
        ("number", BIG, "RuleNumber"),
        ("number", "'0x64'", "RuleNumber"),
        ("number", "40000", "RuleNumber"),
        ("protocol", "' 6'", "Protocol"),
        ("protocol", "'TCP '", "Protocol"),
        ("protocol", "6.0", "Protocol"),
        ("action", "allowed", "RuleAction"),  # neither allow nor deny: not a deny
        ("cidr", "0.0.0.0/33", "CidrBlock"),
        ("port_from", "'0x1BB'", "PortRange"),
        ("port_from", f"'{BIG}'", "PortRange"),
    ], ids=_id)
def test_unreadable_nacl_entry_is_unknown_with_its_path(field, value, key):
    raws = judge(template_text(nacl=nacl(**{field: value})))
    assert_unknown_at(raws, NACL_OUT + (key,))


# ------------------------------------------------------------------------------ deployments
SERVICE = ("Resources", "Service", "Properties")


@pytest.mark.parametrize(
    "slots, path",
    [
        ({"desired": BIG}, SERVICE + ("DesiredCount",)),
        ({"desired": f"'{BIG}'"}, SERVICE + ("DesiredCount",)),
        ({"desired": "'１'", "min_healthy": "100", "max_percent": "100"}, SERVICE + ("DesiredCount",)),
        ({"desired": "' 1'", "min_healthy": "100", "max_percent": "100"}, SERVICE + ("DesiredCount",)),
        ({"desired": "1", "min_healthy": BIG, "max_percent": "100"}, SERVICE + ("DeploymentConfiguration", "MinimumHealthyPercent")),
        ({"desired": "1", "min_healthy": "100", "max_percent": "1.0e+400"}, SERVICE + ("DeploymentConfiguration", "MaximumPercent")),
        ({"desired": "1", "min_healthy": "100", "max_percent": ".nan"}, SERVICE + ("DeploymentConfiguration", "MaximumPercent")),
    ], ids=_id)
def test_unreadable_deployment_numbers_are_unknown_with_their_path(slots, path):
    raws = judge(template_text(**slots))
    assert_unknown_at(raws, path, "EN6002")


def test_deployment_count_from_a_parameter_without_value_stays_silent():
    text = template_text(desired="!Ref Count").replace("Parameters:\n", "Parameters:\n  Count:\n    Type: Number\n", 1)
    assert judge(text) == []


# ------------------------------------------------------------------------------ the three paths
def test_cli_reads_a_5000_digit_port_as_unknown(tmp_path):
    path = tmp_path / "big_port.yaml"
    path.write_text(template_text(from_port=BIG), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "ecsnetpolicy", "check", "--format", "json", str(path)],
                          capture_output=True, text=True, timeout=GUARD)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    found = json.loads(proc.stdout)
    rules = [f.get("Rule", {}).get("Id") for f in found]
    assert rules and set(rules) == {"IN9001"}, found
    assert any("FromPort" in f.get("Message", "") and "too large" in f.get("Message", "") for f in found), found
    assert len(proc.stdout) < 20_000  # an excerpt of the number, not the number


def test_cli_reads_a_malformed_cidr_as_unknown(tmp_path):
    path = tmp_path / "bad_cidr.yaml"
    path.write_text(template_text(egress_cidr="0.0.0.0/33"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "ecsnetpolicy", "check", "--format", "json", str(path)],
                          capture_output=True, text=True, timeout=GUARD)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    found = json.loads(proc.stdout)
    assert {f["Rule"]["Id"] for f in found} == {"IN9001"}, found
    assert any("0.0.0.0/33" in f["Message"] for f in found), found


def test_plugin_reads_an_unreadable_port_as_unknown(tmp_path):
    path = tmp_path / "plugin_port.yaml"
    path.write_text(template_text(from_port=f"'{BIG}'", proto="' tcp '"), encoding="utf-8")
    matches = plugin_run([path])[str(path)]
    ours = [(m.rule.id, m.message) for m in matches if m.rule.id[1:2] == "N"]
    assert not [m for m in matches if m.rule.id == "E0002"], [m.message for m in matches]
    assert ours and {rid for rid, _ in ours} == {"IN9001"}, ours
    assert any("protocol" in msg for _, msg in ours), ours


# ------------------------------------------------------------------------------ value helpers
@pytest.mark.parametrize(
    "value, expected",
    [(443, 443), ("443", 443), (443.0, 443), ("-1", -1), ("007", 7)],
)
def test_as_int_reads_what_cloudformation_reads(value, expected):
    assert as_int(value, ("P",)) == expected


@pytest.mark.parametrize(
    "value",
    [BIG, "1" * 19, "０", "٤٤٣", " 1", "1 ", "+1", "1_000", "0x1BB", "1e3", "", "-", float("inf"), float("nan"), 1.5, True, None, [1], {"a": 1}, 10**5000], ids=_id)
def test_as_int_refuses_with_the_path(value):
    got = as_int(value, ("Resources", "X", "Properties", "P"), "P")
    assert isinstance(got, Unknown) and got.path == ("Resources", "X", "Properties", "P")
    assert len(got.why) < 200


@pytest.mark.parametrize("value", ["0.0.0.0/33", "10.0.0.0/8x", "::/129", " 10.0.0.0/8", "１0.0.0.0/8", "10.0.0.0/８", "x" * 100_000, 5, None])
def test_as_network_refuses_with_the_path(value):
    got = as_network(value, ("Resources", "X"))
    assert isinstance(got, Unknown) and got.path == ("Resources", "X")
    assert len(got.why) < 200


# ------------------------------------------------------------------------------ bounded cost
def _run_hostile(tmp_path: Path, template: Dict[str, Any], name: str, load: str = "loads") -> Dict[str, Any]:
    """raw_for in a subprocess (a hang guard), on the template written as JSON and read back by
    loads (or json.loads, for nesting deeper than the loader takes): the rule ids, the IN9001
    messages, the peak memory in MB."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    code = textwrap.dedent(
        f"""
        import json, re, sys
        from ecsnetpolicy.api import raw_for
        from ecsnetpolicy.load.template import loads
        raws = raw_for({load}(open({str(path)!r}, encoding="utf-8").read()))
        print(json.dumps({{
            "rules": sorted(r.rule_id for r in raws),
            "unknowns": [r.message for r in raws if r.rule_id == "IN9001"],
            "bytes": sum(len(r.message) for r in raws),
            # VmHWM: this process's own peak (ru_maxrss inherits the forking pytest's peak across exec)
            "mb": int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) // 1024,
        }}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=GUARD)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _base_json() -> Dict[str, Any]:
    return json.loads(json.dumps(loads(template_text())))


def _image(t: Dict[str, Any], value: Any) -> Dict[str, Any]:
    t["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"] = value
    return t


def _no_errors(result: Dict[str, Any]) -> None:
    assert not [r for r in result["rules"] if r[0] in "EW"], result
    assert result["bytes"] < 100_000, result["bytes"]


def test_findinmap_nested_in_join_is_evaluated_once_per_entry(tmp_path):
    # each entry joins ten references to the entry below: 10**9 characters, which took forever
    t = _base_json()
    mapping: Dict[str, Any] = {"L0": {"v": "x"}}
    for i in range(1, 10):
        mapping[f"L{i}"] = {"v": {"Fn::Join": ["", [{"Fn::FindInMap": ["M", f"L{i - 1}", "v"]}] * 10]}}
    t["Mappings"] = {"M": mapping}
    result = _run_hostile(tmp_path, _image(t, {"Fn::FindInMap": ["M", "L9", "v"]}), "findinmap")
    _no_errors(result)
    assert any("too large" in m for m in result["unknowns"]), result


def test_findinmap_of_small_values_still_resolves(tmp_path):
    t = _base_json()
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1"
    mapping: Dict[str, Any] = {"L0": {"v": image}}
    for i in range(1, 30):  # thirty levels, each used twice
        mapping[f"L{i}"] = {"v": {"Fn::Select": [0, [{"Fn::FindInMap": ["M", f"L{i - 1}", "v"]}, {"Fn::FindInMap": ["M", f"L{i - 1}", "v"]}]]}}
    t["Mappings"] = {"M": mapping}
    t["Resources"]["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"] = []
    values_raws = raw_for(loads(json.dumps(_image(t, {"Fn::FindInMap": ["M", "L8", "v"]}))))
    # resolved: the image is ECR's, and the default security group refuses the endpoints (EN2005)
    assert "EN2005" in ids(values_raws), ids(values_raws)


def test_mapping_that_refers_to_itself_is_unknown(tmp_path):
    t = _base_json()
    t["Mappings"] = {"M": {"k": {"v": {"Fn::Join": ["", [{"Fn::FindInMap": ["M", "k", "v"]}] * 4]}}}}
    result = _run_hostile(tmp_path, _image(t, {"Fn::FindInMap": ["M", "k", "v"]}), "self_mapping")
    _no_errors(result)
    assert any("refers to itself" in m for m in result["unknowns"]), result


def test_big_parameter_joined_a_thousand_times_is_too_large(tmp_path):
    t = _base_json()
    t["Parameters"]["P"] = {"Type": "String", "Default": "a" * (1024 * 1024 - 4096)}
    result = _run_hostile(tmp_path, _image(t, {"Fn::Join": ["", [{"Ref": "P"}] * 1000]}), "join_big")
    _no_errors(result)
    assert any("too large" in m for m in result["unknowns"]), result
    assert result["mb"] < 1000, result["mb"]  # was 4.8 GB


@pytest.mark.parametrize("where", ["literal", "parameter"])
def test_split_of_megabytes_of_commas_is_too_large(tmp_path, where):
    t = _base_json()
    commas = "," * (4 * 1024 * 1024)
    if where == "parameter":
        t["Parameters"]["P"] = {"Type": "String", "Default": commas}
        commas = {"Ref": "P"}
    aws = t["Resources"]["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    aws["Subnets"] = {"Fn::Split": [",", commas]}
    result = _run_hostile(tmp_path, t, f"split_{where}")
    _no_errors(result)
    assert any("too large" in m for m in result["unknowns"]), result


def test_split_of_join_nested_is_linear(tmp_path):
    node: Any = "a,b"
    for _ in range(25):  # resolving the inner Join twice per level made this 2**25 steps
        node = {"Fn::Join": [",", {"Fn::Split": [",", {"Fn::Join": [",", [node, "x,y"]]}]}]}
    result = _run_hostile(tmp_path, _image(_base_json(), node), "split_join", load="json.loads")
    _no_errors(result)  # deeper than the resolver goes: the image is unknown
    assert any("nests or refers to itself too deeply" in m for m in result["unknowns"]), result


def test_getatt_chain_with_fan_out_is_linear(tmp_path):
    t = _base_json()
    prev = "SubnetA"
    for i in range(40):  # each subnet's CidrBlock reads the previous one's twice: 2**40 without memo
        t["Resources"][f"Chain{i}"] = {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": {
            "Fn::Select": [0, {"Fn::Split": ["|", {"Fn::Join": ["|", [{"Fn::GetAtt": [prev, "CidrBlock"]}] * 2]}]}]}}}
        prev = f"Chain{i}"
    # the tasks run in the last subnet of the chain, which resolves (memoised) or is unknown
    t["Resources"]["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] = [{"Ref": prev}]
    t["Resources"]["ChainAssoc"] = {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
        "SubnetId": {"Ref": prev}, "RouteTableId": {"Ref": "RouteTableA"}}}
    _no_errors(_run_hostile(tmp_path, t, "getatt_chain"))


def test_sub_of_many_unclosed_placeholders_is_linear(tmp_path):
    # "\\$\\{([^}]*)\\}" backtracks quadratically on "${${${...": 80 KB took 33 s
    result = _run_hostile(tmp_path, _image(_base_json(), {"Fn::Sub": "${" * 300_000}), "sub")
    assert "EN4001" in result["rules"]  # the literal text, read as a Docker Hub image


def test_quadratic_template_is_linear(tmp_path):
    t = _base_json()
    for i in range(2000):  # every VPC once asked about every VPCCidrBlock
        t["Resources"][f"V{i}"] = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}
        t["Resources"][f"C{i}"] = {"Type": "AWS::EC2::VPCCidrBlock", "Properties": {"VpcId": {"Ref": f"V{i}"}, "CidrBlock": "10.1.0.0/16"}}
    result = _run_hostile(tmp_path, t, "quadratic")
    assert result["rules"] == [], result


def test_wildcards_in_policies_are_matched_linearly():
    from ecsnetpolicy.checks.policy_documents import _wild

    assert _wild("ecr:*", "ecr:BatchGetImage", True)
    assert _wild("ECR:Batch?etImage", "ecr:BatchGetImage", True)
    assert not _wild("ecr:Batch?etImage", "ECR:BatchGetImage", False)
    assert not _wild("*?" * 40 + "x", "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*" * 4, True)


# ------------------------------------------------------------------------------ the budget
def test_resolver_bounds_strings_lists_and_steps():
    r = Resolver({"Parameters": {"P": {"Type": "String", "Default": "a" * (MAX_STRING // 2 + 1)}}})
    big = r.resolve({"Fn::Join": ["", [{"Ref": "P"}, {"Ref": "P"}]]}, ("Outputs", "O", "Value"))
    assert isinstance(big, Unknown) and "too large" in big.why and big.path == ("Outputs", "O", "Value", "Fn::Join")
    many = r.resolve({"Fn::Split": [",", "," * MAX_LIST]}, ("X",))
    assert isinstance(many, Unknown) and "too large" in many.why
    assert r.resolve({"Fn::Split": [",", "," * (MAX_LIST - 2)]}, ("X",)) == [""] * (MAX_LIST - 1)
    poor = Resolver({}, budget=Budget(5))
    spent = poor.resolve([[1, 2], [3, 4], [5, 6]], ("Y",))
    assert isinstance(first := _first_unknown(spent), Unknown) and "too costly" in first.why and first.path[:1] == ("Y",)


def _first_unknown(value: Any) -> Optional[Unknown]:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        for v in value:
            found = _first_unknown(v)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize("share", [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
@pytest.mark.parametrize("variant", ["clean", "nacl"])
def test_a_spent_budget_gives_unknowns_never_errors(monkeypatch, share, variant):
    """Wherever the budget runs out, what is left is unknown and said (IN9001), never an error
    and never a silent pass."""
    from ecsnetpolicy.checks import raw_findings
    from ecsnetpolicy.engine import analyse

    text = template_text(nacl=nacl()) if variant == "nacl" else template_text()
    report = analyse(loads(text))
    raw_findings(report)  # the rules resolve too, on the same budget
    needed = budget.MAX_STEPS - report.budget.left
    monkeypatch.setattr(budget, "MAX_STEPS", int(needed * share))
    raws = judge(text)
    assert not [r for r in raws if r.rule_id[0] in "EW"], [(r.rule_id, r.message) for r in raws]
    assert any(r.rule_id == "IN9001" and r.path == ("Resources",) and "Could not verify the whole template" in r.message for r in raws)
    monkeypatch.setattr(budget, "MAX_STEPS", needed)
    assert judge(text) == []  # exactly enough: nothing unknown
