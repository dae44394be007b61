"""How a template's references read: the GetAtt meanings registered on the resolver, the logical
IDs a property names (literal IDs and imports as unknowns), and the Reader that the resource
family modules share while they build one state."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Sequence

from ...state import NetworkState, Origin, default_sg_id
from ...values import LiteralId, Path, ResAtt, ResRef, Resolver, Unknown, excerpt, first_unknown, short_name


_AWS_ID = re.compile(r"^(subnet|sg|rtb|vpc|pl|vpce|acl|nat|igw|eni|tgw|pcx|vgw|eigw|dopt)-[0-9a-f]{8,17}$")


def literal_id_unknown(value: Any, what: str, path: Path) -> Unknown:
    if isinstance(value, ResAtt):
        if value.attribute.startswith("Outputs."):
            return Unknown(
                f"the {what} is output {value.attribute[8:]} of nested stack {value.logical_id}, whose template was not loaded",
                path,
                "give the nested stack a local TemplateURL (ecsnetpolicy loads it) or supply the value",
            )
        return Unknown(f"the {what} is attribute {value.attribute} of {value.logical_id}", path)
    if isinstance(value, str):
        # an AWS ID (subnet-0abc...) names a resource that already exists in the account: say how to give it
        hint = ("give the AWS account it is in (ecsnetpolicy check --aws-snapshot DIR, written by ecsnetpolicy snapshot; or --aws), "
                "or pass the template that defines it") if _AWS_ID.match(value) else "pass the template that defines it"
        return LiteralId(value, f"{what} {short_name(value)} is not defined in the templates given", path, hint)
    return first_unknown(value) or Unknown(f"{what} is not known", path)


# ------------------------------------------------------------------ GetAtt meanings
def _getatt_vpc(r: Resolver, lid: str, attr: str, path: Path) -> Any:
    props = r.properties(lid)
    if attr == "CidrBlock":
        if "CidrBlock" in props:
            return r.resolve(props["CidrBlock"], ("Resources", lid, "Properties", "CidrBlock"))
        return Unknown(f"VPC {lid} takes its CIDR from an IPAM pool", path)
    if attr == "DefaultSecurityGroup":
        return default_sg_id(lid)
    if attr == "VpcId":
        return ResRef(lid)
    return None


def _getatt_subnet(r: Resolver, lid: str, attr: str, path: Path) -> Any:
    props = r.properties(lid)
    if attr == "AvailabilityZone" and "AvailabilityZone" in props:
        return r.resolve(props["AvailabilityZone"], ("Resources", lid, "Properties", "AvailabilityZone"))
    if attr == "SubnetId":
        return ResRef(lid)
    if attr == "VpcId" and "VpcId" in props:
        return r.resolve(props["VpcId"], ("Resources", lid, "Properties", "VpcId"))
    if attr == "CidrBlock" and "CidrBlock" in props:
        return r.resolve(props["CidrBlock"], ("Resources", lid, "Properties", "CidrBlock"))
    return None


def _getatt_sg(r: Resolver, lid: str, attr: str, path: Path) -> Any:
    if attr == "GroupId":
        return ResRef(lid)
    if attr == "VpcId":
        return r.resolve(r.properties(lid).get("VpcId"), ("Resources", lid, "Properties", "VpcId"))
    return None


def register_getatts(resolver: Resolver) -> None:
    """Teach the resolver what Fn::GetAtt of a VPC, subnet or security group means."""
    resolver.register_getatt("AWS::EC2::VPC", _getatt_vpc)
    resolver.register_getatt("AWS::EC2::Subnet", _getatt_subnet)
    resolver.register_getatt("AWS::EC2::SecurityGroup", _getatt_sg)


# ------------------------------------------------------------------ the shared reader
# the snapshot kind of the account resource a property of this type may name by ID
_ACCOUNT_KIND = {
    "AWS::EC2::Subnet": "subnets",
    "AWS::EC2::SecurityGroup": "security_groups",
    "AWS::EC2::RouteTable": "route_tables",
    "AWS::EC2::NetworkAcl": "network_acls",
    "AWS::EC2::NatGateway": "nat_gateways",
    "AWS::EC2::VPCEndpoint": "vpc_endpoints",
}


class Reader:
    """One template under one scenario, being read into `state`: the resolver, the present
    resources by type (template order), and the helpers that turn references into logical IDs."""

    def __init__(self, resolver: Resolver, state: NetworkState, by_type: Dict[str, List[str]], file: Optional[str] = None, account: Any = None):
        self.r = resolver
        self.state = state
        self.by_type = by_type
        self.file = file
        # the account adapter (adapters.account.AccountReader) when an account is given: a literal
        # or parameter ID the snapshot has becomes a known resource of the state
        self.account = account
        self._attached: Dict[Any, Dict[Any, List[str]]] = {}

    def _from_account(self, value: Any, path: Path, kind: str) -> Any:
        """The account's answer for a literal ID (the ID, its facts added; or an Unknown naming
        it), or None when there is no account or the value is not an ID of that kind."""
        if self.account is None or not isinstance(value, str):
            return None
        return self.account.known(value, path, kind, direct=True)

    def origin(self, logical_id: Optional[str], path: Path) -> Origin:
        """Where a fact read from resource `logical_id` (at `path`) came from."""
        return Origin("template", logical_id, path, None, self.file)

    def ref_of(self, value: Any, types: Sequence[str]) -> Any:
        """A logical id of one of `types`, or an Unknown (literal ids, parameters, imports)."""
        if isinstance(value, ResRef) and self.r.resource_type(value.logical_id) in types:
            return value.logical_id if self.r.present(value.logical_id) else Unknown(f"{value.logical_id} is not created in this scenario")
        if isinstance(value, ResRef):
            return Unknown(f"{value.logical_id} is a {self.r.resource_type(value.logical_id)}")
        return value if isinstance(value, Unknown) else (first_unknown(value) or Unknown(f"{excerpt(value)} is not a reference to a resource of this template"))

    def vpc_of(self, value: Any, path: Path) -> Any:
        ref = self.ref_of(value, ("AWS::EC2::VPC",))
        if isinstance(ref, Unknown) and isinstance(value, (str, ResAtt)):
            found = self._from_account(value, path, "vpcs")
            if found is not None:
                return found
            return literal_id_unknown(value, "VPC", path)
        return ref

    def id_of(self, value: Any, path: Path, rtype: str, what: str) -> Any:
        """The logical id of a template resource of `rtype`, else an Unknown saying why."""
        if isinstance(value, ResRef) and self.r.resource_type(value.logical_id) == rtype:
            return value.logical_id if self.r.present(value.logical_id) else Unknown(f"{value.logical_id} is not created in this scenario", path)
        if isinstance(value, (str, ResAtt)):
            found = self._from_account(value, path, _ACCOUNT_KIND.get(rtype, ""))
            if found is not None:
                return found
            return literal_id_unknown(value, what, path)
        return first_unknown(value) or Unknown(f"{what} is not known", path)

    def sg_id(self, value: Any, path: Path) -> Any:
        if isinstance(value, str) and value.startswith("default-sg:"):
            return value
        return self.id_of(value, path, "AWS::EC2::SecurityGroup", "security group")

    def subnet_id(self, value: Any, path: Path) -> Any:
        return self.id_of(value, path, "AWS::EC2::Subnet", "subnet")

    def rt_id(self, value: Any, path: Path) -> Any:
        return self.id_of(value, path, "AWS::EC2::RouteTable", "route table")

    def id_list(self, node: Any, path: Path, conv: Callable[[Any, Path], Any]) -> Any:
        items = self.r.items(node, path)
        if isinstance(items, Unknown):
            return items
        return [(conv(v, p), p) for v, p in items]

    def by_attached(self, rtype: str, key: str, as_vpc: bool = True) -> Dict[Any, List[str]]:
        """The resources of `rtype` grouped by what their `key` property resolves to (a VPC's
        logical id with `as_vpc`, else the resolved value), in template order.  Resolved once per
        state: asking per VPC or per workload would make the build quadratic in the template."""
        cache = self._attached
        if (rtype, key, as_vpc) not in cache:
            r = self.r
            index: Dict[Any, List[str]] = {}
            for lid in self.by_type.get(rtype, []):
                p = ("Resources", lid, "Properties")
                value = r.resolve(r.properties(lid).get(key), p + (key,))
                if as_vpc:
                    value = self.vpc_of(value, p)
                try:
                    index.setdefault(value, []).append(lid)
                except TypeError:  # unhashable (a mapping, a list): equal to no id
                    continue
            cache[(rtype, key, as_vpc)] = index
        return cache[(rtype, key, as_vpc)]


def present_by_type(r: Resolver) -> Dict[str, List[str]]:
    """Resource type -> logical IDs of the resources present in the scenario, in template order."""
    by_type: Dict[str, List[str]] = {}
    for lid, res in r.resources.items():
        if isinstance(res, Mapping) and isinstance(res.get("Type"), str) and r.present(lid):
            by_type.setdefault(res["Type"], []).append(lid)
    return by_type
