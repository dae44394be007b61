"""Rules 2xxx, VPC endpoints: a missing one (EN2001), and those that exist but cannot serve the
tasks (AZ coverage, private DNS, VPC DNS attributes, security groups, type, duplicate AZs, and,
with the AWS account, AZs where the endpoint's service is not offered: EN2008)."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

from ..engine import Analysis, Verdict
from ..findings import Fix, Raw
from ..phrasing import join as _join, subnets as _subnets
from ..state import Endpoint, az_label, same_az, tri_any
from ..values import Path, Unknown
from .fixes import endpoint_ingress, new_endpoint, vpc_dns
from .base import _group, _key_path, _need, _props, _sg_label, _symptom, _workload_sgs, in_template, ref_or_id, subnet_anchor


def en2001(a: Analysis) -> Iterator[Raw]:
    missing = [v for v in a.verdicts if v.outcome == "missing"]
    for (w, svc), vs in _group(missing, lambda v: (v.workload.lid, v.service)).items():
        v = vs[0]
        kind = a.policy.kind(svc)
        if kind == "gateway":
            how = f"a Gateway VPC endpoint for com.amazonaws.<region>.{svc} with the route tables of these subnets in RouteTableIds"
        else:
            how = (f"an Interface VPC endpoint for com.amazonaws.<region>.{svc} with PrivateDnsEnabled: true, a subnet in each "
                   "task Availability Zone and a security group admitting TCP 443 from the tasks")
        extra = ""
        if "cannot serve ECR image layers" in v.why:
            extra = " (" + v.why.split("; ", 1)[1] + ")"
        yield Raw(
            "EN2001",
            v.workload.subnets_path,
            f"Tasks of {v.workload.label} in {_subnets([x.subnet for x in vs])} {_need(v)}, but "
            f"{'the subnet has' if len({x.subnet for x in vs}) == 1 else 'these subnets have'} no internet path "
            f"because {v.why.split('; ', 1)[0]}, and VPC {v.vpc} has no {svc} endpoint{extra}, so they fail with "
            f"{_symptom(v)}; add to VPC {v.vpc} {how}.",
            w,
            new_endpoint(a, v.vpc, svc, kind, [x.subnet for x in vs]),
        )


def wn2002(a: Analysis) -> Iterator[Raw]:
    via_ep = [v for v in a.verdicts if v.outcome == "ok" and isinstance(v.via, Endpoint) and v.via.type == "Interface"]
    for (ep_lid, w), vs in _group(via_ep, lambda v: (v.via.lid, v.workload.lid)).items():
        ep = vs[0].via
        if isinstance(ep.subnets, Unknown):
            continue
        ep_azs = [a.state.az_of(s) for s, _ in ep.subnets]
        uncovered: Dict[str, Verdict] = {}
        for v in vs:
            az = a.state.az_of(v.subnet)
            if tri_any([same_az(az, e) for e in ep_azs]) is False and v.subnet not in uncovered:
                uncovered[v.subnet] = v
        if not uncovered:
            continue
        v = next(iter(uncovered.values()))
        azs = _join([az_label(a.state.az_of(s)) for s in uncovered])
        if not in_template(ep):
            yield Raw(
                "WN2002",
                subnet_anchor(v),
                f"Interface endpoint {ep_lid} ({v.service}) of the account has no subnet in the Availability Zone of "
                f"{_subnets(list(uncovered))} ({azs}), where tasks of {v.workload.label} run, so those tasks reach it across AZs "
                f"(cross-AZ data charges, and they cannot {_need(v)} if the endpoint's AZ fails: {_symptom(v)}); in the account, "
                f"add a subnet in that AZ to the subnets of endpoint {ep_lid}.",
                w,
            )
            continue
        path = _key_path(a, ep_lid, "SubnetIds")
        yield Raw(
            "WN2002",
            path,
            f"Interface endpoint {ep_lid} ({v.service}) has no subnet in the Availability Zone of {_subnets(list(uncovered))} "
            f"({azs}), where tasks of {v.workload.label} run, so those tasks reach it across AZs (cross-AZ data charges, and "
            f"they cannot {_need(v)} if the endpoint's AZ fails: {_symptom(v)}); add a subnet in that AZ to "
            f"SubnetIds of {ep_lid}.",
            w,
            Fix(_props(ep_lid), "SubnetIds", ref_or_id(next(iter(uncovered)), a.state.subnets.get(next(iter(uncovered)))), "append"),
        )


def en2003(a: Analysis) -> Iterator[Raw]:
    bad = [v for v in a.verdicts if v.outcome == "no-private-dns"]
    for (ep_lid, w), vs in _group(bad, lambda v: (v.via.lid, v.workload.lid)).items():
        v = vs[0]
        if not in_template(v.via):
            yield Raw(
                "EN2003",
                subnet_anchor(v),
                f"Interface endpoint {ep_lid} ({v.service}) of VPC {v.vpc} in the account has private DNS turned off, so tasks of "
                f"{v.workload.label} in {_subnets([x.subnet for x in vs])}, which have no internet path, resolve the public "
                f"{v.service} name and cannot {_need(v)}: they fail with {_symptom(v)}; in the account, turn on private DNS for "
                f"{ep_lid} (aws ec2 modify-vpc-endpoint --vpc-endpoint-id {ep_lid} --private-dns-enabled).",
                w,
            )
            continue
        yield Raw(
            "EN2003",
            _key_path(a, ep_lid, "PrivateDnsEnabled"),
            f"Interface endpoint {ep_lid} ({v.service}) does not set PrivateDnsEnabled: true (CloudFormation's default is "
            f"false), so tasks of {v.workload.label} in {_subnets([x.subnet for x in vs])}, which have no internet path, "
            f"resolve the public {v.service} name and cannot {_need(v)}: they fail with {_symptom(v)}; set "
            f"PrivateDnsEnabled: true on {ep_lid}.",
            w,
            Fix(_props(ep_lid), "PrivateDnsEnabled", True),
        )


def en2004(a: Analysis) -> Iterator[Raw]:
    net = a.state
    for vpc in net.vpcs.values():
        eps = [ep for ep in net.endpoints.values() if ep.vpc == vpc.lid and ep.type == "Interface" and ep.private_dns is True]
        if not eps:
            continue
        problems = []
        if vpc.dns_hostnames is False:
            problems.append("does not set EnableDnsHostnames: true (CloudFormation's default is false)")
        if vpc.dns_support is False:
            problems.append("sets EnableDnsSupport: false")
        if not problems:
            continue
        users = sorted({v.workload.label for v in a.verdicts if isinstance(v.via, Endpoint) and v.via.vpc == vpc.lid})
        who = f"tasks of {_join(users)}" if users else "tasks in the VPC"
        if not in_template(vpc):
            turned_off = [x for x, val in (("DNS hostnames", vpc.dns_hostnames), ("DNS resolution", vpc.dns_support)) if val is False]
            yield Raw(
                "EN2004",
                vpc.path,
                f"VPC {vpc.lid} of the account has interface endpoint{'s' if len(eps) > 1 else ''} {_join([e.lid for e in eps])} with "
                f"private DNS but {' and '.join(turned_off)} turned off, so the endpoint names do not resolve privately and {who} "
                f"cannot reach them (CannotPullContainerError, ResourceInitializationError); in the account, turn on DNS hostnames "
                f"and DNS resolution for {vpc.lid} (aws ec2 modify-vpc-attribute --vpc-id {vpc.lid} --enable-dns-hostnames "
                f"'{{\"Value\":true}}', and --enable-dns-support the same).",
                None,
            )
            continue
        yield Raw(
            "EN2004",
            vpc.path,
            f"VPC {vpc.lid} has interface endpoint{'s' if len(eps) > 1 else ''} {_join([e.lid for e in eps])} with private DNS "
            f"but {' and '.join(problems)}, so the endpoint cannot be created with private DNS and {who} cannot resolve it "
            f"(CannotPullContainerError, ResourceInitializationError); set EnableDnsHostnames: true and EnableDnsSupport: "
            f"true on {vpc.lid}.",
            None,
            vpc_dns(vpc),
        )


def en2005(a: Analysis) -> Iterator[Raw]:
    via_ep = [v for v in a.verdicts if v.outcome == "ok" and isinstance(v.via, Endpoint) and v.via.type == "Interface"]
    for (ep_lid, w), vs in _group(via_ep, lambda v: (v.via.lid, v.workload.lid)).items():
        v = vs[0]
        sgs = _workload_sgs(a, v)
        if isinstance(sgs, Unknown):
            continue
        refused = [x for x in vs if a.state.endpoint_admits(x.via, sgs, x.subnet) is False]
        if not refused:
            continue
        ep = v.via
        subnets = [x.subnet for x in refused]
        source = f"security group {sgs[0]}" if not sgs[0].startswith("default-sg:") else "the tasks' subnets"
        if ep.security_groups is None:
            yield Raw(
                "EN2005",
                ep.path,
                f"Interface endpoint {ep_lid} ({v.service}) has no SecurityGroupIds, so it uses the default security group "
                f"of VPC {ep.vpc}, which admits only its own members and refuses tasks of {v.workload.label} "
                f"({_sg_label(a, sgs)}) in {_subnets(subnets)}, so they cannot {_need(v)} and fail with "
                f"{_symptom(v)}; set SecurityGroupIds to a group that allows TCP 443 in from {source}.",
                w,
            )
            continue
        ep_sgs = a.state.endpoint_sgs(ep)
        if not in_template(ep):
            yield Raw(
                "EN2005",
                subnet_anchor(refused[0]),
                f"Security group{'s' if len(ep_sgs) > 1 else ''} {_sg_label(a, ep_sgs)} of interface endpoint {ep_lid} "
                f"({v.service}) in the account {'do' if len(ep_sgs) > 1 else 'does'} not allow TCP 443 in from tasks of "
                f"{v.workload.label} ({_sg_label(a, sgs)}) in {_subnets(subnets)}, so they cannot {_need(v)} and fail with "
                f"{_symptom(v)}; in the account, add an ingress rule for TCP 443 from {source} to {_sg_label(a, ep_sgs[:1])}.",
                w,
            )
            continue
        yield Raw(
            "EN2005",
            _props(ep_lid) + ("SecurityGroupIds",),
            f"Security group{'s' if len(ep_sgs) > 1 else ''} {_sg_label(a, ep_sgs)} of interface endpoint {ep_lid} "
            f"({v.service}) {'do' if len(ep_sgs) > 1 else 'does'} not allow TCP 443 in from tasks of {v.workload.label} "
            f"({_sg_label(a, sgs)}) in {_subnets(subnets)}, so they cannot {_need(v)} and fail with "
            f"{_symptom(v)}; add an ingress rule for TCP 443 from {source} to {_sg_label(a, ep_sgs[:1])}.",
            w,
            endpoint_ingress(a, ep, ep_sgs, sgs),
        )


def _aws_service(ep: Endpoint) -> bool:
    """An AWS service's endpoint (`com.amazonaws.<region>.sqs`), not a PrivateLink endpoint
    service (`com.amazonaws.vpce...`), whose type (Interface, GatewayLoadBalancer) the service's
    owner decides."""
    return ep.service_raw.startswith(("com.amazonaws.", "aws.api.")) and not ep.service_raw.startswith("com.amazonaws.vpce.")


def en2006(a: Analysis) -> Iterator[Raw]:
    for ep in a.state.endpoints.values():
        if not ep.type_known or ep.type == "Interface" or not isinstance(ep.service, str) or not in_template(ep):
            continue
        if not a.policy.interface_only(ep.service) or not _aws_service(ep):
            continue
        users = [v for v in a.verdicts if v.outcome == "wrong-type" and v.via is ep]
        props = a.resolver.properties(ep.lid)
        said = f"sets VpcEndpointType: {ep.type}" if "VpcEndpointType" in props else "does not set VpcEndpointType: Interface (the default is Gateway)"
        impact = f" and tasks of {users[0].workload.label} cannot {_need(users[0])} ({_symptom(users[0])})" if users else ""
        yield Raw(
            "EN2006",
            ep.path,
            f"VPC endpoint {ep.lid} is for {ep.service}, which is offered only as an Interface endpoint, but it {said}, so the "
            f"stack fails to create it{impact}; set VpcEndpointType: Interface with SubnetIds, SecurityGroupIds and "
            f"PrivateDnsEnabled: true.",
            users[0].workload.lid if users else None,
            Fix(_props(ep.lid), "VpcEndpointType", "Interface"),
        )


def en2007(a: Analysis) -> Iterator[Raw]:
    for ep in a.state.endpoints.values():
        if ep.type != "Interface" or isinstance(ep.subnets, Unknown) or not in_template(ep):
            continue
        seen: List[Tuple[str, Any]] = []
        for sn, spath in ep.subnets:
            if isinstance(sn, Unknown):
                continue
            az = a.state.az_of(sn)
            dup = next((s for s, z in seen if same_az(z, az) is True and s != sn), None)
            if dup is not None:
                yield Raw(
                    "EN2007",
                    spath,
                    f"Interface endpoint {ep.lid} lists subnets {dup} and {sn}, both in {az_label(az)}, so the create call "
                    f"fails with DuplicateSubnetsInSameZone and tasks that rely on it cannot start; keep one subnet per "
                    f"Availability Zone in SubnetIds.",
                )
            seen.append((sn, az))


class ServiceAzCase(NamedTuple):
    """One interface endpoint subnet judged by EN2008, or the endpoint it could not decide."""

    endpoint: Endpoint
    service: str  # the full service name (com.amazonaws.<region>.<service>)
    subnet: Optional[str]
    az: Optional[str]
    path: Path  # the SubnetIds entry (EN2008), or SubnetIds (IN9001)
    offered: Any  # the AZ names the service is offered in, or an Unknown


def _full_service(a: Analysis, ep: Endpoint) -> str:
    raw = ep.service_raw
    if isinstance(raw, str) and raw.startswith("com.amazonaws.") and "<region>" not in raw:
        return raw
    return f"com.amazonaws.{a.region}.{ep.service}"


def _offered_in(a: Analysis, ep: Endpoint, table: Any, full: str, path: Path) -> Any:
    """The AZ names the endpoint's service is offered in (from the account's ServiceDetails), or an
    Unknown when the account snapshot does not list that service."""
    if isinstance(table, Unknown):
        return table
    for name in (ep.service_raw, full, ep.service):
        if isinstance(name, str) and name in table:
            return set(table[name])
    return Unknown(f"the account snapshot does not say in which Availability Zones {full} is offered", path,
                   f"capture it with aws ec2 describe-vpc-endpoint-services --service-names {full} --output json into the "
                   f"--aws-snapshot directory")


def judge_service_azs(a: Analysis) -> List[ServiceAzCase]:
    """The interface endpoint subnets of the template in an AZ where their service is not offered
    (offered is a set), and the endpoints whose service's AZs are unknown (offered is an Unknown,
    subnet None), once per scenario.  Only when the account's ServiceDetails were captured, and only
    where both the subnet's AZ name and the service's AZs are known."""
    cached = a.__dict__.get("_service_az_cases")
    if cached is not None:
        return cached
    cases: List[ServiceAzCase] = []
    a.__dict__["_service_az_cases"] = cases
    table = getattr(a.state, "service_azs", None)
    if table is None:
        return cases  # no account, or its endpoint services were not captured
    for ep in a.state.endpoints.values():
        if ep.type != "Interface" or isinstance(ep.subnets, Unknown) or not isinstance(ep.service, str):
            continue
        if ep.origin is not None and ep.origin.source != "template":
            continue  # an endpoint the account already has was created: only the template's are to come
        full = _full_service(a, ep)
        named = []
        for sn, spath in ep.subnets:
            az = a.state.az_of(sn) if isinstance(sn, str) else None
            if isinstance(az, tuple) and len(az) == 2 and az[0] == "id" and isinstance(az[1], str):
                az = _az_name(a, sn, az[1], spath)  # AvailabilityZoneId: its name in this account, or why not known
                if isinstance(az, Unknown):
                    cases.append(ServiceAzCase(ep, full, sn, None, spath, az))
                    continue
            if isinstance(az, str):
                named.append((sn, spath, az))
        if not named:
            continue  # no subnet whose AZ name is known: nothing to compare
        offered = _offered_in(a, ep, table, full, _key_path(a, ep.lid, "SubnetIds"))
        if isinstance(offered, Unknown):
            cases.append(ServiceAzCase(ep, full, None, None, _key_path(a, ep.lid, "SubnetIds"), offered))
            continue
        for sn, spath, az in named:
            if az.split(" (")[0] not in offered:
                cases.append(ServiceAzCase(ep, full, sn, az, spath, offered))
    return cases


def _az_name(a: Analysis, subnet: str, zid: str, path: Any) -> Any:
    """'us-east-1e (use1-az3)' for a subnet given by Availability Zone ID: AZ names map to IDs
    differently in each account, and describe-vpc-endpoint-services names zones; an Unknown when
    the account's subnets do not show the zone's name."""
    names = a.state.az_names
    name = names.get(zid) if names is not None else None
    if isinstance(name, str):
        return f"{name} ({zid})"
    return Unknown(f"subnet {subnet} is given by Availability Zone ID {zid}, and no subnet of the account snapshot is in that "
                   "zone, so its name in this account (which describe-vpc-endpoint-services uses) is not known",
                   path, "give the subnet's AvailabilityZone by name, or capture the account's subnets with aws ec2 describe-subnets "
                   "--output json into the --aws-snapshot directory")


def en2008(a: Analysis) -> Iterator[Raw]:
    for case in judge_service_azs(a):
        if isinstance(case.offered, Unknown):
            continue
        ep = case.endpoint
        yield Raw(
            "EN2008",
            case.path,
            f"Interface endpoint {ep.lid} ({ep.service}) lists subnet {case.subnet} in {case.az}, where the account's "
            f"describe-vpc-endpoint-services does not offer {case.service} (it is offered in "
            f"{_join(sorted(case.offered)) or 'no Availability Zone'}), so the create call fails and the stack rolls back; "
            f"remove subnet {case.subnet} from SubnetIds of {ep.lid} (tasks in {case.az} then reach the endpoint across "
            f"AZs) or use a subnet in an Availability Zone where the service is offered.",
        )


def service_az_unknowns(a: Analysis) -> Iterator[Raw]:
    """IN9001 for every template interface endpoint whose service's AZs the account snapshot lacks
    (called by checks.coverage.in9001)."""
    for case in judge_service_azs(a):
        if not isinstance(case.offered, Unknown):
            continue
        u = case.offered
        hint = u.hint or "capture them with aws ec2 describe-vpc-endpoint-services --output json into the --aws-snapshot directory"
        yield Raw(
            "IN9001",
            case.path,
            f"Could not verify that {case.service}, the service of interface endpoint {case.endpoint.lid}, is offered in the "
            f"Availability Zones of its subnets (EN2008): {u.why}; {hint}.",
        )
