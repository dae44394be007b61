"""The typed network state: plain data the adapters build and the checks query.

origin.py (where a fact came from), logic.py (three-valued answers, address and zone
comparisons), network.py (the facts), queries.py (NetworkState: the facts and the questions).
"""

from .logic import (
    ANY_V4,
    PRIVATE_V4,
    Network,
    Tri,
    Undecided,
    az_label,
    covers,
    is_public_cidr,
    rule_allows_tcp,
    same_az,
    tri_all,
    tri_any,
    undecided,
)
from .network import (
    DhcpOptions,
    Endpoint,
    InternetGateway,
    LbAttachment,
    LoadBalancer,
    Nacl,
    NaclEntry,
    NatGateway,
    Route,
    RouteTable,
    Rule,
    SecurityGroup,
    ServiceConnect,
    Subnet,
    TargetGroup,
    Vpc,
    Workload,
    default_sg_id,
)
from .origin import Origin
from .queries import NetworkState

__all__ = [
    "ANY_V4",
    "PRIVATE_V4",
    "Network",
    "Tri",
    "Undecided",
    "az_label",
    "covers",
    "is_public_cidr",
    "rule_allows_tcp",
    "same_az",
    "tri_all",
    "tri_any",
    "undecided",
    "DhcpOptions",
    "Endpoint",
    "InternetGateway",
    "Nacl",
    "NaclEntry",
    "NatGateway",
    "Route",
    "RouteTable",
    "Rule",
    "SecurityGroup",
    "Subnet",
    "Vpc",
    "Workload",
    "default_sg_id",
    "LbAttachment",
    "LoadBalancer",
    "ServiceConnect",
    "TargetGroup",
    "Origin",
    "NetworkState",
]
