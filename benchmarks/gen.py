"""Realistic benchmark templates: N Fargate services in one isolated VPC (no NAT) with endpoints.

Every service runs in 2-3 subnets across Availability Zones, has its own task security group with
egress rules (standalone AWS::EC2::SecurityGroupEgress) admitted by the endpoints' security group,
an ECR image and awslogs.  Subnets come in groups of three (one per AZ, each with its own route
table) shared by four services.  The VPC has ecr.api, ecr.dkr and logs interface endpoints and the
S3 gateway endpoint.  A few deliberate faults make sure findings exist:

* the last subnet group's route tables are missing from the S3 endpoint's RouteTableIds (EN3001);
* every 7th service's security group lacks egress to the S3 prefix list (EN1001);
* the logs endpoint has no subnet in the third AZ (WN2002);
* the second service also runs a Docker Hub sidecar without an internet path (EN4001).

    python benchmarks/gen.py 200 > t.yaml      # about 200 resources
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List

AZS = 3
SERVICES_PER_GROUP = 4


def _ref(name: str) -> Dict[str, str]:
    return {"Ref": name}


def _getatt(name: str, attr: str) -> Dict[str, Any]:
    return {"Fn::GetAtt": [name, attr]}


def template(services: int) -> Dict[str, Any]:
    res: Dict[str, Any] = {}
    res["Vpc"] = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": True, "EnableDnsHostnames": True}}
    groups = (services + SERVICES_PER_GROUP - 1) // SERVICES_PER_GROUP
    route_tables: List[str] = []
    for g in range(groups):
        for az in range(AZS):
            sn, rt = f"Subnet{g}Az{az}", f"RouteTable{g}Az{az}"
            k = g * AZS + az
            assert k < 256, "more subnets than /24 blocks in the VPC"
            res[sn] = {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "VpcId": _ref("Vpc"),
                    "CidrBlock": f"10.0.{k}.0/24",
                    "AvailabilityZone": {"Fn::Select": [az, {"Fn::GetAZs": ""}]},
                },
            }
            res[rt] = {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": _ref("Vpc")}}
            res[f"{sn}Association"] = {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {"SubnetId": _ref(sn), "RouteTableId": _ref(rt)}}
            if g < groups - 1 or groups == 1:
                route_tables.append(rt)
    res["EndpointSecurityGroup"] = {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": "Interface endpoints", "VpcId": _ref("Vpc")},
    }
    for name, svc, azs in (("EcrApiEndpoint", "ecr.api", AZS), ("EcrDkrEndpoint", "ecr.dkr", AZS), ("LogsEndpoint", "logs", AZS - 1)):
        res[name] = {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcId": _ref("Vpc"),
                "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}." + svc},
                "VpcEndpointType": "Interface",
                "PrivateDnsEnabled": True,
                "SubnetIds": [_ref(f"Subnet0Az{az}") for az in range(azs)],
                "SecurityGroupIds": [_getatt("EndpointSecurityGroup", "GroupId")],
            },
        }
    if groups > 1:
        res["S3GatewayEndpoint"] = {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcId": _ref("Vpc"),
                "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"},
                "VpcEndpointType": "Gateway",
                "RouteTableIds": [_ref(rt) for rt in route_tables],
            },
        }
    res["Cluster"] = {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": {"Fn::Sub": "${AWS::StackName}-cluster"}}}
    res["ExecutionRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
            },
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"],
        },
    }
    for i in range(services):
        g = i // SERVICES_PER_GROUP
        n = f"Svc{i}"
        sg = f"{n}SecurityGroup"
        res[sg] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": f"tasks of {n}", "VpcId": _ref("Vpc")}}
        res[f"{sg}EgressVpc"] = {
            "Type": "AWS::EC2::SecurityGroupEgress",
            "Properties": {"GroupId": _getatt(sg, "GroupId"), "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": _getatt("Vpc", "CidrBlock")},
        }
        if i % 7 != 6:
            res[f"{sg}EgressS3"] = {
                "Type": "AWS::EC2::SecurityGroupEgress",
                "Properties": {"GroupId": _getatt(sg, "GroupId"), "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "DestinationPrefixListId": "pl-63a5400a"},
            }
        res[f"{n}EndpointIngress"] = {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {"GroupId": _ref("EndpointSecurityGroup"), "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "SourceSecurityGroupId": _ref(sg)},
        }
        res[f"{n}LogGroup"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/ecs/${AWS::StackName}/" + n.lower()}, "RetentionInDays": 14}}
        containers: List[Dict[str, Any]] = [{
            "Name": "app",
            "Image": {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/" + n.lower() + ":1.0"},
            "Essential": True,
            "PortMappings": [{"ContainerPort": 8080}],
            "LogConfiguration": {
                "LogDriver": "awslogs",
                "Options": {"awslogs-group": _ref(f"{n}LogGroup"), "awslogs-region": _ref("AWS::Region"), "awslogs-stream-prefix": "app"},
            },
        }]
        if i == 1:
            containers.append({"Name": "proxy", "Image": "nginx:1.25", "Essential": False})
        res[f"{n}TaskDefinition"] = {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": {"Fn::Sub": "${AWS::StackName}-" + n.lower()},
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": "256",
                "Memory": "512",
                "ExecutionRoleArn": _getatt("ExecutionRole", "Arn"),
                "ContainerDefinitions": containers,
            },
        }
        subnets = [_ref(f"Subnet{g}Az{az}") for az in range(AZS if i % 2 else 2)]
        res[n] = {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": _ref("Cluster"),
                "TaskDefinition": _ref(f"{n}TaskDefinition"),
                "LaunchType": "FARGATE",
                "DesiredCount": 2,
                "DeploymentConfiguration": {"MinimumHealthyPercent": 50, "MaximumPercent": 200,
                                            "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED", "Subnets": subnets, "SecurityGroups": [_ref(sg)]}},
            },
        }
    return {"AWSTemplateFormatVersion": "2010-09-09", "Description": f"{services} Fargate services in an isolated VPC", "Resources": res}


def services_for(resources: int) -> int:
    """The number of services whose template has about `resources` resources."""
    lo, hi = 1, 1
    while len(template(hi)["Resources"]) < resources:
        lo, hi = hi, hi * 2
    while lo < hi:  # the largest n with at most `resources` resources
        mid = (lo + hi + 1) // 2
        if len(template(mid)["Resources"]) <= resources:
            lo = mid
        else:
            hi = mid - 1
    return lo


def to_yaml(data: Dict[str, Any]) -> str:
    from cfn_flip import to_yaml as flip

    return flip(json.dumps(data))


if __name__ == "__main__":
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    t = template(services_for(target))
    sys.stdout.write(to_yaml(t))
