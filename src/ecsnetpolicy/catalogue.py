"""Rule metadata: the public contract of ../shared/spec/rules.md as data, shared by the cfn-lint
rule classes, the CLI, SARIF and the docs. No cfn-lint import here."""

from __future__ import annotations

from dataclasses import dataclass

DOCS_BASE = "https://github.com/ecsnetpolicy/ecsnetpolicy/blob/main/docs/rules/"


@dataclass(frozen=True)
class RuleInfo:
    rule_id: str
    name: str
    shortdesc: str
    description: str

    @property
    def severity(self) -> str:
        return {"E": "error", "W": "warning", "I": "informational"}[self.rule_id[0]]

    @property
    def source_url(self) -> str:
        return f"{DOCS_BASE}{self.rule_id}.md"


RULES = {
    r.rule_id: r
    for r in (
        RuleInfo(
            "EN1001",
            "task-egress-https",
            "ECS task security groups must allow HTTPS out to what the tasks need",
            "The workload's effective egress (union of its security groups) does not allow TCP 443 "
            "to a destination one of its needs is served through: the internet, an interface "
            "endpoint, or the S3 gateway endpoint.",
        ),
        RuleInfo(
            "EN1002",
            "task-egress-dns",
            "ECS tasks must reach custom DNS servers on UDP and TCP 53",
            "The VPC's DHCP options name DNS servers other than AmazonProvidedDNS and the workload's "
            "egress lacks UDP and TCP 53 to them (security groups do not filter AmazonProvidedDNS, so "
            "without custom DNS the rule is silent unless a policy sets dns_egress: always).",
        ),
        RuleInfo(
            "EN1003",
            "subnet-nacl",
            "Network ACLs must pass the tasks' HTTPS flows both ways",
            "A custom network ACL on a workload subnet or an endpoint subnet denies the TCP 443 flow or "
            "its return traffic on ephemeral ports 1024-65535 (network ACLs are stateless).",
        ),
        RuleInfo(
            "EN2001",
            "endpoint-missing",
            "ECS tasks without an internet path need VPC endpoints for the AWS services they use",
            "A need that an AWS endpoint can serve, from a subnet with no internet path, and no "
            "endpoint for that service in the workload's VPC.",
        ),
        RuleInfo(
            "WN2002",
            "endpoint-az-coverage",
            "Interface endpoints should have a subnet in every Availability Zone the tasks run in",
            "An interface endpoint a workload relies on has no subnet in an Availability Zone where "
            "the workload runs: tasks there cross AZs and lose the service if the other AZ fails.",
        ),
        RuleInfo(
            "EN2003",
            "endpoint-private-dns",
            "Interface endpoints the tasks rely on must enable private DNS",
            "An interface endpoint for an AWS service a workload needs does not set "
            "PrivateDnsEnabled: true (CloudFormation's default is false).",
        ),
        RuleInfo(
            "EN2004",
            "vpc-dns-attributes",
            "A VPC with private-DNS endpoints needs DNS support and DNS hostnames",
            "A VPC with a private-DNS interface endpoint lacks EnableDnsHostnames: true or sets "
            "EnableDnsSupport: false.",
        ),
        RuleInfo(
            "EN2005",
            "endpoint-sg-ingress",
            "Interface endpoint security groups must admit HTTPS from the tasks",
            "The security groups of an interface endpoint a workload relies on do not allow TCP 443 "
            "in from the workload's security groups or subnets.",
        ),
        RuleInfo(
            "EN2006",
            "endpoint-type",
            "Endpoints for interface-only services must be of type Interface",
            "An endpoint for an interface-only service lacks VpcEndpointType: Interface; the "
            "default is Gateway and the stack fails.",
        ),
        RuleInfo(
            "EN2007",
            "endpoint-duplicate-az",
            "An interface endpoint takes at most one subnet per Availability Zone",
            "An interface endpoint lists two subnets in the same Availability Zone; the create call "
            "fails with DuplicateSubnetsInSameZone.",
        ),
        RuleInfo(
            "EN3001",
            "s3-gateway-route-tables",
            "The S3 gateway endpoint must be on the route table of every task subnet without internet",
            "A workload needs S3 (ECR image layers) from a subnet with no internet path, an S3 "
            "gateway endpoint exists in the VPC, but the subnet's route table is not in its "
            "RouteTableIds.",
        ),
        RuleInfo(
            "EN4001",
            "no-internet-path",
            "Needs only the internet can serve require an internet path",
            "A need only the internet can serve (a non-ECR registry, another region's ECR, "
            "RepositoryCredentials) from a subnet with no internet path.",
        ),
        RuleInfo(
            "EN9000",
            "not-analysed",
            "A template could not be analysed, so nothing in it was verified",
            "ecsnetpolicy could not judge this template: it could not be read or parsed, it exceeds "
            "a limit (size, nesting, nested-stack fan-out or cycle), or the analysis failed with an "
            "internal error. Nothing in it was verified, so the run fails instead of passing.",
        ),
        RuleInfo(
            "IN9001",
            "not-verified",
            "A network check could not be decided because a value is unknown",
            "A check could not be decided because of a value the template set cannot decide; the "
            "message names it and how to supply it.",
        ),
        RuleInfo(
            "EN3002",
            "s3-endpoint-policy",
            "The S3 gateway endpoint policy must let ECR layers be downloaded",
            "The S3 gateway endpoint that ECR-pulling workloads route through has a PolicyDocument "
            "that does not allow s3:GetObject on the AWS-owned ECR layer bucket "
            "(prod-<region>-starport-layer-bucket) for any principal without account or "
            "organisation conditions.",
        ),
        RuleInfo(
            "EN5001",
            "execution-role-permissions",
            "The task execution role must allow what the tasks need to start",
            "A task definition needs an execution role (ECR pull and awslogs on Fargate, secrets, "
            "repository credentials, environment files, awslogs-create-group) and has none, or the "
            "role defined in the template does not allow the required actions.",
        ),
        RuleInfo(
            "WN6001",
            "deployment-circuit-breaker",
            "Rolling-update ECS services should enable the deployment circuit breaker",
            "A rolling-update ECS service has no DeploymentCircuitBreaker with Enable: true, so a "
            "deployment whose tasks cannot start retries for hours instead of failing fast.",
        ),
        RuleInfo(
            "EN6002",
            "deployment-cannot-progress",
            "A service's deployment configuration must let the scheduler replace tasks",
            "With desired count d, ceil(d*min/100) >= d and floor(d*max/100) <= d: the scheduler "
            "can neither stop nor start a task, so every deployment hangs.",
        ),
        RuleInfo(
            "IN6003",
            "nofile-ulimit",
            "A container's nofile soft limit is below Fargate's default",
            "A container sets a nofile soft limit below 65535, Fargate's default; busy tasks can "
            "run out of file descriptors.",
        ),
        RuleInfo(
            "EN2008",
            "endpoint-service-az",
            "Interface endpoint subnets must be in Availability Zones where the service is offered",
            "An interface endpoint has a subnet in an Availability Zone where the endpoint service is "
            "not offered (known from the account's ServiceDetails, describe-vpc-endpoint-services): "
            "the create call fails. Judged only with an AWS account snapshot or live account.",
        ),
        RuleInfo(
            "EN5002",
            "log-group-exists",
            "The awslogs group a container writes to must exist",
            "A container's awslogs group is neither created in the template, nor auto-created "
            "(awslogs-create-group: true with logs:CreateLogGroup on the execution role), nor present "
            "among the account's log groups, so its tasks fail to start. Judged only when the "
            "account's log groups are known (an AWS account snapshot or live account).",
        ),
        RuleInfo(
            "EN7001",
            "lb-target-type",
            "Target groups of awsvpc tasks must have TargetType ip",
            "A target group that a service or task set in awsvpc network mode registers its tasks with "
            "has a TargetType other than ip (CloudFormation's default is instance): the service "
            "cannot be created.",
        ),
        RuleInfo(
            "EN7002",
            "lb-container-port",
            "LoadBalancers entries must name a container and a port it maps",
            "A LoadBalancers entry of a service or task set names no container of its task "
            "definition, or a container port that container does not map: the service cannot be created.",
        ),
        RuleInfo(
            "EN7003",
            "lb-to-task-ingress",
            "Task security groups must admit the load balancer on the traffic and health-check ports",
            "The workload's security groups do not admit TCP on the target group's traffic port and "
            "health-check port from the load balancer (its security groups; for a Network Load "
            "Balancer without groups, its subnets' CIDRs, and the clients with client IP "
            "preservation): health checks fail and ECS replaces the tasks.",
        ),
        RuleInfo(
            "EN7004",
            "lb-egress-to-task",
            "Load balancer security groups must let the traffic and health checks out to the tasks",
            "The load balancer's security groups have egress rules that do not allow the traffic and "
            "health-check ports out to the tasks: health checks fail and ECS replaces the tasks.",
        ),
        RuleInfo(
            "WN7005",
            "lb-az-coverage",
            "A load balancer should have a subnet in every Availability Zone its tasks run in",
            "Tasks run in an Availability Zone where the load balancer has no subnet: their targets "
            "stay unused and receive no traffic, while the other zones carry the load.",
        ),
        RuleInfo(
            "EN7006",
            "lb-nacl",
            "Network ACLs must pass the load balancer's traffic to the tasks both ways",
            "A custom network ACL on the load balancer's or the tasks' subnets blocks the traffic or "
            "health-check ports from the load balancer to the tasks, or the return traffic on "
            "ephemeral ports 1024-65535.",
        ),
        RuleInfo(
            "WN7007",
            "service-connect-reach",
            "Service Connect clients must reach the servers of their namespace",
            "A Service Connect client's egress, or a server's ingress, refuses TCP on the server's "
            "port between two services of the same namespace.",
        ),
    )
}
