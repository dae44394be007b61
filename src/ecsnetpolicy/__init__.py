"""ecsnetpolicy: static checks that ECS tasks in a CloudFormation template can reach what they need."""

__version__ = "0.1.0"
