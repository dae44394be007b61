"""The typed network state: plain data the adapters build and the checks query (see network.py)."""

from .network import (  # noqa: F401
    ANY_V4,
    Endpoint,
    Model,
    Workload,
    az_label,
    same_az,
    tri_all,
    tri_any,
)
