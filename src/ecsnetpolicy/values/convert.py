"""CloudFormation scalars read as Python values: booleans, integers and networks as CloudFormation
reads them, else an Unknown saying why."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any, Optional

from .unknown import NOVALUE, _MAX_DIGITS, Partial, Path, Unknown, excerpt, first_unknown

NUMBER_HINT = "write it as a plain whole number (ASCII digits, optionally after a minus sign)"

# Numbers as CloudFormation reads them: ASCII digits only (Python's int() also takes other
# scripts' digits, "４４３", and spaces and "+" and "_"; CloudFormation does not), and no more than
# _MAX_DIGITS of them (int() of over 4,300 digits raises).
_INT_TEXT = re.compile(r"-?[0-9]+")


def _unknown_at(value: Any, path: Path, why: str) -> Unknown:
    """The Unknown a value carries (given `path` when it has none), else a new one."""
    unk = first_unknown(value)
    if unk is None:
        return Unknown(why, path)
    if not unk.path and path:
        return Unknown(unk.why, path, unk.hint)
    return unk


def as_bool(value: Any, default: Any, path: Path = ()) -> Any:
    """CloudFormation booleans: true/false, "true"/"false" (any case).  Absent -> default."""
    if value is None or value is NOVALUE:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, (Unknown, Partial)):
        return _unknown_at(value, path, "the value is not known") if path else first_unknown(value)
    return Unknown(f"{excerpt(value)} is not a boolean", path)


def as_int(value: Any, path: Path = (), what: str = "the value", lo: Optional[int] = None, hi: Optional[int] = None) -> Any:
    """An integer as CloudFormation reads one (an int, a whole finite float, or a string of ASCII
    digits with an optional "-"), within [lo, hi]; else an Unknown with `path` saying why (a
    number too large to read, "0x1BB", "４４３", " 443", "+443", 1e400, nan, 1.5, true)."""
    if isinstance(value, bool):
        return Unknown(f"{what} {excerpt(value)} is not a number", path, NUMBER_HINT)
    if isinstance(value, int):
        if not -(10**_MAX_DIGITS) < value < 10**_MAX_DIGITS:
            return Unknown(f"{what} {excerpt(value)} is a number too large to read", path, NUMBER_HINT)
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return Unknown(f"{what} {excerpt(value)} is not a whole number", path, NUMBER_HINT)
        if not -(10.0**_MAX_DIGITS) < value < 10.0**_MAX_DIGITS:
            return Unknown(f"{what} {excerpt(value)} is a number too large to read", path, NUMBER_HINT)
        number = int(value)
    elif isinstance(value, str):
        if not _INT_TEXT.fullmatch(value):
            return Unknown(f"{what} {excerpt(value)} is not a number", path, NUMBER_HINT)
        if len(value.lstrip("-").lstrip("0")) > _MAX_DIGITS:
            return Unknown(f"{what} {excerpt(value)} is a number too large to read", path, NUMBER_HINT)
        number = int(value)
    elif isinstance(value, (Unknown, Partial)):
        return _unknown_at(value, path, f"{what} is not known")
    elif value is None or value is NOVALUE:
        return Unknown(f"{what} is missing", path, NUMBER_HINT)
    else:
        return Unknown(f"{what} is not a number", path, NUMBER_HINT)
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        if lo is not None and hi is not None:
            bounds = f"{lo} to {hi}"
        else:
            bounds = f"at least {lo}" if lo is not None else f"at most {hi}"
        return Unknown(f"{what} {excerpt(number)} is out of range ({bounds})", path, f"use a number from {bounds}")
    return number


def as_network(value: Any, path: Path = ()) -> Any:
    """An IPv4/IPv6 network from a CIDR string (or an address), else an Unknown with `path`."""
    if isinstance(value, str):
        if len(value) <= 64 and value.isascii():
            try:
                return ipaddress.ip_network(value, strict=False)
            except ValueError:
                pass
        return Unknown(f"{excerpt(value)} is not a CIDR block", path, "write it as a CIDR block, such as 10.0.0.0/16")
    if isinstance(value, (Unknown, Partial)):
        return _unknown_at(value, path, "the CIDR block is not known")
    return Unknown("the CIDR block is not known", path)
