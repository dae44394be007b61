"""ecsnetpolicy's cfn-lint rules: `cfn-lint --append-rules=ecsnetpolicy.rules template.yaml`.

Each class is metadata only; the shared engine (ecsnetpolicy.engine, built once per template)
decides, and ecsnetpolicy.checks words the finding.  See docs/rules/<ID>.md."""

from . import _base


class TaskEgressHttps(_base.EngineRule):
    """ECS task security groups must allow HTTPS out to what the tasks need."""

    id = "EN1001"


class EndpointMissing(_base.EngineRule):
    """ECS tasks without an internet path need VPC endpoints for the AWS services they use."""

    id = "EN2001"


class EndpointAzCoverage(_base.EngineRule):
    """Interface endpoints should have a subnet in every Availability Zone the tasks run in."""

    id = "WN2002"


class EndpointPrivateDns(_base.EngineRule):
    """Interface endpoints the tasks rely on must enable private DNS."""

    id = "EN2003"


class VpcDnsAttributes(_base.EngineRule):
    """A VPC with private-DNS endpoints needs DNS support and DNS hostnames."""

    id = "EN2004"


class EndpointSgIngress(_base.EngineRule):
    """Interface endpoint security groups must admit HTTPS from the tasks."""

    id = "EN2005"


class EndpointType(_base.EngineRule):
    """Endpoints for interface-only services must be of type Interface."""

    id = "EN2006"


class EndpointDuplicateAz(_base.EngineRule):
    """An interface endpoint takes at most one subnet per Availability Zone."""

    id = "EN2007"


class S3GatewayRouteTables(_base.EngineRule):
    """The S3 gateway endpoint must be on the route table of every task subnet without internet."""

    id = "EN3001"


class NoInternetPath(_base.EngineRule):
    """Needs only the internet can serve require an internet path."""

    id = "EN4001"


class NotVerified(_base.EngineRule):
    """A network check could not be decided because a value is unknown."""

    id = "IN9001"


class S3EndpointPolicy(_base.EngineRule):
    """The S3 gateway endpoint policy must let ECR layers be downloaded."""

    id = "EN3002"


class ExecutionRolePermissions(_base.EngineRule):
    """The task execution role must allow what the tasks need to start."""

    id = "EN5001"


class DeploymentCircuitBreaker(_base.EngineRule):
    """Rolling-update ECS services should enable the deployment circuit breaker."""

    id = "WN6001"


class DeploymentCannotProgress(_base.EngineRule):
    """A service's deployment configuration must let the scheduler replace tasks."""

    id = "EN6002"


class NofileUlimit(_base.EngineRule):
    """A container's nofile soft limit is below Fargate's default."""

    id = "IN6003"


class TaskEgressDns(_base.EngineRule):
    """ECS tasks must reach custom DNS servers on UDP and TCP 53."""

    id = "EN1002"


class SubnetNacl(_base.EngineRule):
    """Network ACLs must pass the tasks' HTTPS flows both ways."""

    id = "EN1003"


class NotAnalysed(_base.EngineRule):
    """A template could not be analysed (unreadable, over a limit, or an internal error)."""

    id = "EN9000"


class EndpointServiceAz(_base.EngineRule):
    """Interface endpoint subnets must be in Availability Zones where the service is offered."""

    id = "EN2008"


class LogGroupExists(_base.EngineRule):
    """The awslogs group a container writes to must exist."""

    id = "EN5002"


class LbTargetType(_base.EngineRule):
    """Target groups of awsvpc tasks must have TargetType ip."""

    id = "EN7001"


class LbContainerPort(_base.EngineRule):
    """LoadBalancers entries must name a container and a port it maps."""

    id = "EN7002"


class LbToTaskIngress(_base.EngineRule):
    """Task security groups must admit the load balancer on the traffic and health-check ports."""

    id = "EN7003"


class LbEgressToTask(_base.EngineRule):
    """Load balancer security groups must let the traffic and health checks out to the tasks."""

    id = "EN7004"


class LbAzCoverage(_base.EngineRule):
    """A load balancer should have a subnet in every Availability Zone its tasks run in."""

    id = "WN7005"


class LbNacl(_base.EngineRule):
    """Network ACLs must pass the load balancer's traffic to the tasks both ways."""

    id = "EN7006"


class ServiceConnectReach(_base.EngineRule):
    """Service Connect clients must reach the servers of their namespace."""

    id = "WN7007"
