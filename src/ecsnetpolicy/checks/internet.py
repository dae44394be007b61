"""Rule 4xxx: what only the internet can serve, for tasks with no path to it (EN4001)."""

from __future__ import annotations

from typing import Iterator

from ..engine import Analysis
from ..findings import Raw
from ..phrasing import subnets as _subnets
from .base import _group, _need, _symptom, in_template, subnet_anchor


def en4001(a: Analysis) -> Iterator[Raw]:
    bad = [v for v in a.verdicts if v.outcome == "no-internet"]
    for (w, need_id), vs in _group(bad, lambda v: (v.workload.lid, v.need.need.need_id)).items():
        v = vs[0]
        why = v.why
        if "no public IP" in why and "EC2" not in why:
            fix = "set AssignPublicIp: ENABLED (public subnets), or route 0.0.0.0/0 through a public NAT gateway"
        elif "private NAT" in why:
            fix = "route 0.0.0.0/0 to a public NAT gateway in a subnet with an internet gateway route"
        elif "rather than to an internet gateway" in why:
            fix = ("route 0.0.0.0/0 of the NAT gateway's subnet to an internet gateway (a public NAT gateway sits in a public subnet), "
                   "or serve the image from ECR in this region")
        else:
            fix = "add a 0.0.0.0/0 route to a public NAT gateway, or serve the image from ECR in this region"
        subnet = a.state.subnets[v.subnet]
        path = v.workload.net_path
        if not in_template(subnet):
            path = subnet_anchor(v)
            rt = subnet.route_table
            if "blackhole" in why and isinstance(rt, str):
                fix = (f"in the account, point the 0.0.0.0/0 route of route table {rt} at an available public NAT gateway "
                       f"(aws ec2 replace-route --route-table-id {rt} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-...), "
                       f"or serve the image from ECR in this region")
            elif "rather than to an internet gateway" in why:
                fix = "in the account, " + fix
        yield Raw(
            "EN4001",
            path,
            f"Tasks of {v.workload.label} in {_subnets([x.subnet for x in vs])} {_need(v)}, which only the internet can "
            f"serve, but {why}, so they fail with {_symptom(v)}; {fix}.",
            w,
        )
