"""Rules 6xxx, how services deploy and tasks run: the circuit breaker (WN6001), deployments that
cannot progress (EN6002), and a container's nofile limit (IN6003)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Iterator, List, Optional, Tuple

from ..engine import Analysis
from ..findings import Fix, Raw
from ..values import NOVALUE, Unknown, as_bool, as_int, is_known
from .base import _int, _props
from .tasks import _containers


def _services(a: Analysis) -> Iterator[Tuple[str, Mapping[str, Any]]]:
    r = a.resolver
    for lid in a.by_type.get("AWS::ECS::Service", []):
        yield lid, r.properties(lid)


def _rolling(a: Analysis, lid: str, props: Mapping[str, Any], dcfg: Any) -> Optional[bool]:
    """Does the service deploy with ECS rolling updates?  None when it cannot be decided."""
    r = a.resolver
    p = _props(lid)
    ctrl = r.resolve(props.get("DeploymentController"), p + ("DeploymentController",))
    if ctrl is not None and ctrl is not NOVALUE:
        if not isinstance(ctrl, Mapping):
            return None
        ctype = ctrl.get("Type", "ECS")
        if not isinstance(ctype, str):
            return None
        if ctype != "ECS":
            return False
    if isinstance(dcfg, Mapping) and "Strategy" in dcfg:
        strategy = dcfg.get("Strategy")
        if not isinstance(strategy, str):
            return None
        return strategy == "ROLLING"
    return True


def _deployment_configuration(a: Analysis, lid: str, props: Mapping[str, Any]) -> Any:
    if "DeploymentConfiguration" not in props:
        return {}
    value = a.resolver.resolve(props.get("DeploymentConfiguration"), _props(lid) + ("DeploymentConfiguration",))
    if value is NOVALUE or value is None:
        return {}
    return value if isinstance(value, Mapping) else None


def wn6001(a: Analysis) -> Iterator[Raw]:
    for lid, props in _services(a):
        dcfg = _deployment_configuration(a, lid, props)
        if dcfg is None or _rolling(a, lid, props, dcfg) is not True:
            continue
        fix = None
        dpath = _props(lid) + ("DeploymentConfiguration",)
        if "DeploymentCircuitBreaker" in dcfg:
            cb = dcfg.get("DeploymentCircuitBreaker")
            if not isinstance(cb, Mapping):
                continue
            enable = as_bool(cb.get("Enable"), False)
            if enable is not False:
                continue  # enabled, or not known
            said = "its DeploymentCircuitBreaker does not set Enable: true"
            if isinstance(props.get("DeploymentConfiguration"), Mapping) and isinstance(props["DeploymentConfiguration"].get("DeploymentCircuitBreaker"), Mapping):
                fix = Fix(dpath + ("DeploymentCircuitBreaker",), "Enable", True)
        else:
            said = "it has no DeploymentCircuitBreaker"
            if isinstance(props.get("DeploymentConfiguration"), Mapping) and props["DeploymentConfiguration"]:
                fix = Fix(dpath, "DeploymentCircuitBreaker", {"Enable": True, "Rollback": True})
        anchor = dpath if "DeploymentConfiguration" in props else ("Resources", lid)
        yield Raw(
            "WN6001",
            anchor,
            f"Service {lid} deploys with rolling updates but {said}, so a deployment whose tasks cannot start "
            f"(CannotPullContainerError, ResourceInitializationError) keeps launching replacements for hours until "
            f"CloudFormation gives up instead of failing after a few tasks; set DeploymentConfiguration.DeploymentCircuitBreaker "
            f"to Enable: true and Rollback: true.",
            lid,
            fix,
        )


def en6002(a: Analysis) -> Iterator[Raw]:
    r = a.resolver
    for lid, props in _services(a):
        p = _props(lid)
        dcfg = _deployment_configuration(a, lid, props)
        if dcfg is None or _rolling(a, lid, props, dcfg) is not True:
            continue
        strategy = r.resolve(props.get("SchedulingStrategy", "REPLICA"), p + ("SchedulingStrategy",))
        if strategy != "REPLICA":
            continue
        if "DesiredCount" not in props:
            continue  # absent: scaling decides (or CloudFormation's default); not judged
        dpath = p + ("DeploymentConfiguration",)
        numbers: List[Any] = []
        unreadable: Optional[Unknown] = None
        for value, vpath, what in (
            (r.resolve(props.get("DesiredCount"), p + ("DesiredCount",)), p + ("DesiredCount",), "DesiredCount"),
            (dcfg.get("MinimumHealthyPercent", 100), dpath + ("MinimumHealthyPercent",), "MinimumHealthyPercent"),
            (dcfg.get("MaximumPercent", 200), dpath + ("MaximumPercent",), "MaximumPercent"),
        ):
            number = as_int(value, vpath, what)
            if isinstance(number, Unknown) and is_known(value) and value is not NOVALUE and value is not None and unreadable is None:
                unreadable = number  # written, but not as a number CloudFormation reads
            numbers.append(number)
        if unreadable is not None:
            yield Raw(
                "IN9001",
                unreadable.path,
                f"Could not verify that deployments of service {lid} can stop and start tasks (EN6002): "
                f"{unreadable.why}; {unreadable.hint or 'write it as a whole number'}.",
                lid,
            )
            continue
        if any(isinstance(n, Unknown) for n in numbers):
            continue  # a parameter without value, an import...: not judged
        d, m, big_m = numbers
        if d <= 0 or m < 0 or big_m < 0:
            continue
        low = math.ceil(d * m / 100)
        high = math.floor(d * big_m / 100)
        if not (low >= d and high <= d):
            continue
        raise_max = math.ceil(100 * (d + 1) / d)
        lower_min = math.floor(100 * (d - 1) / d)
        min_said = f"MinimumHealthyPercent {m}" + (" (the default)" if "MinimumHealthyPercent" not in dcfg else "")
        max_said = f"MaximumPercent {big_m}" + (" (the default)" if "MaximumPercent" not in dcfg else "")
        fix = None
        raw_dcfg = props.get("DeploymentConfiguration")
        if isinstance(raw_dcfg, Mapping) and raw_dcfg and not isinstance(raw_dcfg.get("MaximumPercent"), Mapping):
            fix = Fix(dpath, "MaximumPercent", raise_max)
        yield Raw(
            "EN6002",
            dpath if "DeploymentConfiguration" in props else ("Resources", lid),
            f"Service {lid} has DesiredCount {d} with {min_said} and {max_said}, so during a deployment at least {low} "
            f"task{'s' if low != 1 else ''} must keep running and at most {high} may run: the scheduler can neither stop an "
            f"old task nor start a new one, and every deployment hangs until CloudFormation gives up; raise MaximumPercent "
            f"to {raise_max} or lower MinimumHealthyPercent to {lower_min}.",
            lid,
            fix,
        )


FARGATE_NOFILE = 65535  # fact 28


def in6003(a: Analysis) -> Iterator[Raw]:
    for td in a.state.task_definitions:
        for i, (c, cpath) in enumerate(_containers(a, td)):
            ulimits = c.get("Ulimits")
            if not isinstance(ulimits, list):
                continue
            lows = [
                _int(u.get("SoftLimit")) for u in ulimits
                if isinstance(u, Mapping) and u.get("Name") == "nofile" and _int(u.get("SoftLimit")) is not None
            ]
            lows = [x for x in lows if x is not None and x < FARGATE_NOFILE]
            if not lows:
                continue
            name = c.get("Name") if isinstance(c.get("Name"), str) else f"#{i + 1}"
            yield Raw(
                "IN6003",
                tuple(cpath) + ("Ulimits",),
                f"Container {name} of task definition {td} sets a nofile soft limit of {min(lows)}, below the "
                f"{FARGATE_NOFILE} Fargate gives by default, so a busy task can run out of file descriptors and sockets "
                f"(\"Too many open files\"); raise SoftLimit and HardLimit to {FARGATE_NOFILE} or drop the nofile entry "
                f"(\"Cannot assign requested address\" is ephemeral-port exhaustion, which this limit does not cause).",
            )
