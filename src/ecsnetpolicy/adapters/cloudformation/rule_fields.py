"""How the fields of a security group rule or network ACL entry read: protocol, ports, prefix
list; a value that cannot be read is an Unknown with its path, never all traffic."""

from __future__ import annotations

import re
from typing import Any

from ...values import NOVALUE, Path, ResAtt, ResRef, Unknown, as_int, excerpt, first_unknown

_PROTOCOL_NAMES = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": "-1"}
_PROTOCOL_NUMBER = re.compile(r"-1|[0-9]{1,3}")
_PROTOCOL_HINT = "write tcp, udp, icmp, icmpv6, -1 or a protocol number (0-255)"


def read_protocol(value: Any, path: Path = ()) -> Any:
    """The protocol of a rule as a number string ("6", "-1", ...), else an Unknown with `path`.

    EC2 takes tcp, udp, icmp, icmpv6 in any case (it stores them lowercased), -1, or a protocol
    number 0-255.  Anything else (" tcp ", "6.0", 6.0, "0x6", "６", nan) is not read as a protocol:
    it is unknown, never "all traffic"."""
    if isinstance(value, bool) or isinstance(value, float):
        return Unknown(f"protocol {excerpt(value)} is not tcp, udp, icmp, icmpv6, -1 or a protocol number", path, _PROTOCOL_HINT)
    if isinstance(value, int):
        if -1 <= value <= 255:
            return str(value)
        return Unknown(f"protocol {excerpt(value)} is not a protocol number (0-255, or -1)", path, _PROTOCOL_HINT)
    if not isinstance(value, str):
        return unreadable(value, path, "protocol")
    name = _PROTOCOL_NAMES.get(value.lower()) if value.isascii() else None
    if name is not None:
        return name
    if _PROTOCOL_NUMBER.fullmatch(value) and int(value) <= 255:
        return str(int(value))
    return Unknown(f"protocol {excerpt(value)} is not tcp, udp, icmp, icmpv6, -1 or a protocol number", path, _PROTOCOL_HINT)


def unreadable(value: Any, path: Path, what: str) -> Unknown:
    """The Unknown for a field that is missing or not known, carrying `path`."""
    unk = first_unknown(value)
    if unk is None:
        return Unknown(f"{what} is missing" if value is None else f"{what} is not known", path)
    return unk if unk.path or not path else Unknown(unk.why, path, unk.hint)


def read_port(value: Any, path: Path = (), what: str = "port") -> Any:
    """A port (or ICMP type/code), -1 to 65535, else an Unknown with `path`; None when absent."""
    if value is None:
        return None
    return as_int(value, path, what, -1, 65535)


_PREFIX_LIST_ID = re.compile(r"pl-[0-9a-f]{1,17}")


def read_prefix_list(value: Any, path: Path) -> Any:
    """A rule's prefix list: an id ("pl-..."), a template resource, or an Unknown with `path`
    (a parameter without value, a malformed id)."""
    if value is None or value is NOVALUE:
        return None
    if isinstance(value, str):
        return value if _PREFIX_LIST_ID.fullmatch(value) else Unknown(f"{excerpt(value)} is not a prefix list ID", path, "write a prefix list ID (pl-...)")
    if isinstance(value, (ResRef, ResAtt)):
        return value
    return unreadable(value, path, "the prefix list")
