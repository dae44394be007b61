"""Three-valued answers (True, False or an Unknown) and the comparisons the queries rest on:
addresses (covers, is_public_cidr), rule ports and protocols, Availability Zones."""

from __future__ import annotations

import ipaddress
from typing import Any, List, Sequence, Union

from ..values import AZ, Unknown

Tri = Union[bool, Unknown]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

ANY_V4 = ipaddress.ip_network("0.0.0.0/0")
PRIVATE_V4 = [ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")]


def rule_allows_tcp(rule: Any, port: int, protocol: str = "6") -> Tri:
    """Does this rule (a security group Rule) admit `protocol` (TCP by default) on `port`?  (-1
    and protocols other than tcp/udp/icmp/icmpv6 allow all ports whatever the range: fact 18.)"""
    proto = rule.protocol
    if isinstance(proto, Unknown):
        return proto
    if proto == "-1" or proto not in ("6", "17", "1", "58"):
        return True
    if proto != protocol:
        return False
    lo, hi = rule.from_port, rule.to_port
    if isinstance(lo, Unknown):
        return lo
    if isinstance(hi, Unknown):
        return hi
    if lo is None and hi is None:
        return True
    lo = -1 if lo is None else lo
    hi = lo if hi is None else hi
    if lo == -1 and hi == -1:
        return True
    return lo <= port <= hi


def covers(rule_cidr: Any, target: Any) -> Tri:
    if isinstance(rule_cidr, Unknown):
        return rule_cidr
    if isinstance(target, Unknown):
        return target
    if rule_cidr is None or target is None:
        return False
    if rule_cidr.version != target.version:
        return False
    return target.subnet_of(rule_cidr)


def is_public_cidr(net: Any) -> Tri:
    """Could this CIDR hold public addresses (S3, registries)?  Leans to yes: only private ranges
    are definitely not."""
    if isinstance(net, Unknown):
        return net
    if net is None:
        return False
    if net.version == 6:
        return not net.is_private
    return not any(net.subnet_of(p) for p in PRIVATE_V4)


class Undecided(Unknown):
    """What tri_any / tri_all return when several unknowns keep a decision open: it reads as the
    first of them, and `blockers` holds every one, so that IN9001 can name each value that blocked
    the decision whatever the order of the template's lists (checks.in9001)."""

    __slots__ = ("blockers",)


def undecided(unknowns: List[Unknown]) -> Unknown:
    """One Unknown for several (an Undecided holding each blocker once, in order)."""
    flat: List[Unknown] = []
    seen = set()
    for u in unknowns:
        for b in getattr(u, "blockers", (u,)):
            if b not in seen:
                seen.add(b)
                flat.append(b)
    if len(flat) == 1:
        return flat[0]
    out = Undecided(flat[0].why, flat[0].path, flat[0].hint)
    out.blockers = tuple(flat)
    return out


def tri_any(values: Sequence[Tri]) -> Tri:
    """True if any is True; else undecided if any is Unknown (each of them blocks); else False."""
    unknowns: List[Unknown] = []
    for v in values:
        if v is True:
            return True
        if isinstance(v, Unknown):
            unknowns.append(v)
    return undecided(unknowns) if unknowns else False


def tri_all(values: Sequence[Tri]) -> Tri:
    """False if any is False; else undecided if any is Unknown (each of them blocks); else True."""
    unknowns: List[Unknown] = []
    for v in values:
        if v is False:
            return False
        if isinstance(v, Unknown):
            unknowns.append(v)
    return undecided(unknowns) if unknowns else True


def same_az(a: Any, b: Any) -> Tri:
    if isinstance(a, Unknown):
        return a
    if isinstance(b, Unknown):
        return b
    if type(a) is type(b):
        return a == b
    return Unknown("Availability Zones written in different forms cannot be compared")


def az_label(az: Any) -> str:
    if isinstance(az, AZ):
        return f"AZ #{az.index + 1} of the region"
    if isinstance(az, tuple) and len(az) == 2 and az[0] == "id":
        return str(az[1])
    return str(az)
