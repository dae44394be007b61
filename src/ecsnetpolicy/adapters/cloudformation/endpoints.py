"""VPC endpoints, read from the template, with their service names made region-agnostic."""

from __future__ import annotations

import re
from typing import Any

from ...state import Endpoint
from ...values import Partial, Unknown, as_bool, first_unknown
from .references import Reader

_SERVICE_RE = re.compile(r"^(?:aws\.api\.)?(?:com\.amazonaws\.)(?:[^.]+\.)?(.+)$")
_REGION_RE = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$")


def normalise_service(name: Any) -> Any:
    """`com.amazonaws.<region>.ecr.dkr` -> `ecr.dkr` (region-agnostic), from literals or Partials."""
    if isinstance(name, Partial):
        text = name.text
        # com.amazonaws.<unknown>.ecr.dkr: the unknown piece is the region
        m = re.match(r"^com\.amazonaws\.\x00\.(.+)$", text)
        if m and "\x00" not in m.group(1):
            return m.group(1)
        return first_unknown(name)
    if not isinstance(name, str):
        return first_unknown(name) or Unknown("the endpoint's service name is not known")
    parts = name.split(".")
    if len(parts) >= 4 and parts[0] == "com" and parts[1] == "amazonaws" and _REGION_RE.match(parts[2]):
        return ".".join(parts[3:])
    if len(parts) >= 3 and parts[0] == "com" and parts[1] == "amazonaws":
        return ".".join(parts[2:])  # global services, e.g. com.amazonaws.s3-global.accesspoint
    return name  # a partner or private service: compare as written


def add_endpoint(cx: Reader, lid: str) -> None:
    r = cx.r
    p = ("Resources", lid, "Properties")
    props = r.properties(lid)
    raw_service = r.resolve(props.get("ServiceName"), p + ("ServiceName",))
    service = normalise_service(raw_service)
    vtype = r.resolve(props.get("VpcEndpointType", "Gateway"), p + ("VpcEndpointType",))
    type_known = isinstance(vtype, str)
    sgs = None
    if "SecurityGroupIds" in props:
        sgs = cx.id_list(props["SecurityGroupIds"], p + ("SecurityGroupIds",), cx.sg_id)
    cx.state.endpoints[lid] = Endpoint(
        lid,
        cx.vpc_of(r.resolve(props.get("VpcId"), p + ("VpcId",)), p + ("VpcId",)),
        service,
        raw_service if isinstance(raw_service, str) else (raw_service.text.replace("\x00", "<region>") if isinstance(raw_service, Partial) else "?"),
        vtype if type_known else "unknown",
        type_known,
        as_bool(r.resolve(props.get("PrivateDnsEnabled"), p + ("PrivateDnsEnabled",)), False, p + ("PrivateDnsEnabled",)),
        cx.id_list(props.get("SubnetIds", []), p + ("SubnetIds",), cx.subnet_id),
        cx.id_list(props.get("RouteTableIds", []), p + ("RouteTableIds",), cx.rt_id),
        sgs,
        props.get("PolicyDocument"),
        ("Resources", lid),
        cx.origin(lid, ("Resources", lid)),
    )
