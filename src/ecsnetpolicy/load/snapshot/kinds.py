"""The kinds of fact a snapshot holds and the AWS CLI command that captures each; the evidence
patterns (region, zone, ARN, account ID) and :class:`SnapshotError`."""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, Optional, Tuple

from ...phrasing import safe


# --------------------------------------------------------------------------- kinds and commands

#: Every kind of fact a snapshot may hold (the AccountSnapshot attribute of the same name, except
#: the two VPC attributes, which are merged into ``vpcs``).
KINDS: Tuple[str, ...] = (
    "subnets", "route_tables", "vpc_endpoints", "security_groups", "security_group_rules",
    "network_acls", "nat_gateways", "internet_gateways", "vpcs", "vpc_dns_support",
    "vpc_dns_hostnames", "dhcp_options", "prefix_lists", "service_details", "exports", "stacks",
    "ssm_parameters", "log_groups", "roles", "managed_policies",
)

#: Kinds a ``--vpc-id`` capture filters by VPC: an ID absent from such a snapshot may be in another VPC.
VPC_SCOPED: FrozenSet[str] = frozenset([
    "subnets", "route_tables", "vpc_endpoints", "security_groups", "security_group_rules",
    "network_acls", "nat_gateways", "internet_gateways", "vpcs", "vpc_dns_support",
    "vpc_dns_hostnames", "dhcp_options",
])

#: The AWS CLI command that captures each kind (what IN9001 tells the user to run).  ``{id}`` is
#: replaced by the resource ID when one is known (see :meth:`AccountSnapshot.command_for`).
CAPTURE_COMMANDS: Dict[str, str] = {
    "subnets": "aws ec2 describe-subnets --output json > subnets.json",
    "route_tables": "aws ec2 describe-route-tables --output json > route-tables.json",
    "vpc_endpoints": "aws ec2 describe-vpc-endpoints --output json > vpc-endpoints.json",
    "security_groups": "aws ec2 describe-security-groups --output json > security-groups.json",
    "security_group_rules": "aws ec2 describe-security-group-rules --output json > security-group-rules.json",
    "network_acls": "aws ec2 describe-network-acls --output json > network-acls.json",
    "nat_gateways": "aws ec2 describe-nat-gateways --output json > nat-gateways.json",
    "internet_gateways": "aws ec2 describe-internet-gateways --output json > internet-gateways.json",
    "vpcs": "aws ec2 describe-vpcs --output json > vpcs.json",
    "vpc_dns_support": "aws ec2 describe-vpc-attribute --vpc-id {id} --attribute enableDnsSupport --output json > vpc-attribute-{id}-enableDnsSupport.json",
    "vpc_dns_hostnames": "aws ec2 describe-vpc-attribute --vpc-id {id} --attribute enableDnsHostnames --output json > vpc-attribute-{id}-enableDnsHostnames.json",
    "dhcp_options": "aws ec2 describe-dhcp-options --output json > dhcp-options.json",
    "prefix_lists": "aws ec2 describe-prefix-lists --output json > prefix-lists.json",
    "managed_prefix_lists": "aws ec2 describe-managed-prefix-lists --output json > managed-prefix-lists.json",
    "prefix_list_entries": "aws ec2 get-managed-prefix-list-entries --prefix-list-id {id} --output json > prefix-list-entries-{id}.json",
    "service_details": "aws ec2 describe-vpc-endpoint-services --output json > vpc-endpoint-services.json",
    "exports": "aws cloudformation list-exports --output json > exports.json",
    "stacks": "aws cloudformation describe-stacks --output json > stacks.json",
    "ssm_parameters": "aws ssm get-parameters --names {id} --output json > ssm-parameters.json",
    "log_groups": "aws logs describe-log-groups --output json > log-groups.json",
    "roles": "aws iam get-account-authorization-details --filter Role LocalManagedPolicy --output json > iam-authorization-details.json",
    "managed_policies": "aws iam get-account-authorization-details --filter Role LocalManagedPolicy --output json > iam-authorization-details.json",
}
_ID_PLACEHOLDER = {"vpc_dns_support": "VPC_ID", "vpc_dns_hostnames": "VPC_ID", "prefix_list_entries": "PREFIX_LIST_ID",
                   "ssm_parameters": "NAME"}

# Top-level keys that are part of a recognised output but carry nothing to read.
_QUIET_KEYS = frozenset(["NextToken", "nextToken", "Marker", "IsTruncated", "ResponseMetadata", "ServiceNames",
                         "InvalidParameters", "UserDetailList", "GroupDetailList"])

# --------------------------------------------------------------------------- evidence patterns

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
REGION_RE = re.compile(rf"^{_REGION}$")
# eu-west-1a; Local Zones us-west-2-lax-1a; Wavelength us-east-1-wl1-bos-wlz-1
_AZ_RE = re.compile(rf"^({_REGION})(?:[a-z]|-[a-z0-9-]+)$")
_ARN_RE = re.compile(r"^arn:(aws[a-z-]*):([^:]*):([^:]*):([^:]*):")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_PL_IN_NAME = re.compile(r"pl-[0-9a-f]{8,17}")


def region_of_zone(zone: str) -> Optional[str]:
    """'eu-west-1a' -> 'eu-west-1' (also Local and Wavelength Zone names); None otherwise."""
    m = _AZ_RE.match(zone) if isinstance(zone, str) else None
    return m.group(1) if m else None


def parse_arn(arn: str) -> Optional[Tuple[str, str, str, str]]:
    """(partition, service, region, account) of an ARN, None when it is not one."""
    m = _ARN_RE.match(arn) if isinstance(arn, str) else None
    return (m.group(1), m.group(2), m.group(3), m.group(4)) if m else None


def region_of_service(name: str) -> Optional[str]:
    """The region inside an endpoint service or prefix list name: 'com.amazonaws.eu-west-1.s3',
    'com.amazonaws.vpce.eu-west-1.vpce-svc-0123', 'aws.sagemaker.eu-west-1.notebook'."""
    if not isinstance(name, str):
        return None
    for part in name.split("."):
        if REGION_RE.match(part):
            return part
    return None


# --------------------------------------------------------------------------- errors


class SnapshotError(Exception):
    """A snapshot that cannot be used.  str() is one line: ``FILE: KEY: problem`` (file and key when known)."""

    def __init__(self, problem: str, file: Optional[str] = None, key: Optional[str] = None):
        self.problem = problem
        self.file = file
        self.key = key
        parts = [safe(file, 300)] if file else []
        if key:
            parts.append(safe(key, 200))
        parts.append(problem)
        super().__init__(safe(": ".join(parts), 1000))


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown snapshot kind {kind!r}; one of {', '.join(KINDS)}")


def capture_command(kind: str, resource_id: Optional[str] = None, region: Optional[str] = None) -> str:
    """The AWS CLI command of :data:`CAPTURE_COMMANDS` for `kind`, with `resource_id` in it where
    the command takes one, and ``--region`` when a region is given."""
    template = CAPTURE_COMMANDS[kind]
    ident = resource_id if resource_id and "{id}" in template else _ID_PLACEHOLDER.get(kind, "ID")
    command = template.replace("{id}", ident)
    if region:
        command = command.replace(" --output json", f" --region {region} --output json", 1)
    return command
