"""The fast way to read a large snapshot file: msgspec decodes the JSON and checks the types of
every field the careful way reads, in one pass in C, for the three outputs that grow with an
account (subnets, route tables, security groups: thousands of entries, tens of thousands of rules).

The standard way (``json.loads``, then the quick column check of :mod:`.fields`) costs about twice
as much: parsing every value into Python objects, then walking them again in Python to check their
types.  Here msgspec (a well-kept C library) builds only the fields the reader uses and checks them
as it goes; the other fields of an entry are checked as JSON and skipped.

The contract is one-sided, as the quick column check's: :func:`parse_fast` returns a document only
when the standard way would accept the file and read the same values from it; on any doubt (a
decoding or type error, a byte-order mark, text that is not UTF-8, a value msgspec reads otherwise
than ``json``) it returns None and the file is read the standard way, which raises the exact
one-line error.  The entries it returns hold the fields of the specs only (the reader and the
account adapter read no other field of these three outputs).
"""

from __future__ import annotations

import json
from itertools import chain, repeat
from typing import Any, Dict, List, Optional, Tuple

from .fields import _GROUP_PAIR, _ok_column, _REQUIRED, SPEC_OF_KIND

#: Files smaller than this are read the standard way: importing msgspec (about 10 ms) costs more
#: than it saves on them.  Tests set it to 0 to read every file the fast way.
FAST_MIN_BYTES = 256 * 1024

#: The top-level keys read the fast way, and the spec of their entries (the quick column check's).
SPECS: Dict[str, Dict[str, Any]] = {"Subnets": SPEC_OF_KIND["subnets"], "RouteTables": SPEC_OF_KIND["route_tables"],
                                    "SecurityGroups": SPEC_OF_KIND["security_groups"]}

#: The other top-level keys the reader knows (the builder's handlers and describe-vpc-attribute's);
#: tests/test_snapshot_fast.py keeps this list equal to the builder's.
OTHER_KEYS = (
    "VpcEndpoints", "SecurityGroupRules", "NetworkAcls", "NatGateways", "InternetGateways", "Vpcs", "DhcpOptions",
    "PrefixLists", "Entries", "ServiceDetails", "Exports", "Stacks", "Parameters", "Parameter", "logGroups",
    "RoleDetailList", "Policies", "VpcId", "EnableDnsSupport", "EnableDnsHostnames",
)


class Checked(dict):
    """A parsed document whose lists under the keys of SPECS were checked against their spec."""

    __slots__ = ()


_DECODERS: Optional[Tuple[Any, Any]] = None


def _decoders() -> Tuple[Any, Any]:
    """(msgspec, the document decoder), built on first use; ImportError when msgspec (or
    typing's Required) is missing."""
    global _DECODERS
    if _DECODERS is None:
        import msgspec
        from typing import Optional as Opt, TypedDict
        try:
            from typing import Annotated, Required  # type: ignore[attr-defined]
        except ImportError:  # Python < 3.11
            from typing_extensions import Annotated, Required  # type: ignore[assignment]

        text = Annotated[str, msgspec.Meta(min_length=1)]  # _REQUIRED: a string, not empty

        def typed(name: str, spec: Dict[str, Any]) -> Any:
            fields: Dict[str, Any] = {}
            for key, want in spec.items():
                if want is _GROUP_PAIR:  # checked after decoding (_pairs_named)
                    continue
                if want is _REQUIRED:
                    fields[key] = Required[text]
                elif want.__class__ is type:
                    fields[key] = Opt[want]  # null reads as absent, as the careful way reads it
                else:
                    container, sub = want
                    inner = typed(name + key, sub)
                    fields[key] = Opt[List[inner]] if container is list else Opt[inner]
            return TypedDict(name, fields, total=False)  # type: ignore[operator]

        # one pass over the file: the large lists decoded and checked, every other key the reader
        # knows kept as raw JSON for json.loads (keys it does not know matter only in a file
        # holding none of the large lists, which is read the standard way)
        fields: Dict[str, Any] = {key: Opt[msgspec.Raw] for key in OTHER_KEYS}
        fields.update({key: List[typed(key, spec)] for key, spec in SPECS.items()})  # type: ignore[misc]
        _DECODERS = (msgspec, msgspec.json.Decoder(TypedDict("Document", fields, total=False)))  # type: ignore[operator]
    return _DECODERS


def parse_fast(data: bytes) -> Optional[Checked]:
    """The document in `data` with the lists of SPECS' keys decoded and checked, or None: the file
    is small, holds none of those keys, or is to be read the standard way (see the module)."""
    if len(data) < FAST_MIN_BYTES or data[:1] != b"{" and not data[:1].isspace():
        return None  # small, a byte-order mark, or not an object: the standard way says what it is
    if b"\0" in data:
        return None
    if not data.isascii():
        try:  # the standard way refuses text that is not UTF-8 (msgspec lets encoded surrogates pass)
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        msgspec, decoder = _decoders()
    except ImportError:
        return None
    try:
        top = decoder.decode(data)
        if not any(key in SPECS for key in top):
            return None
        doc = Checked()
        for key, value in top.items():
            if key in SPECS:
                if key == "SecurityGroups" and not _pairs_named(value):
                    return None
                doc[key] = value
            elif value is not None:  # a small value beside the list (NextToken...): as json reads it
                doc[key] = json.loads(bytes(value))
            else:
                doc[key] = None
    except (msgspec.DecodeError, ValueError, RecursionError):
        return None
    return doc


def _pairs_named(groups: List[Dict[str, Any]]) -> bool:
    """Every UserIdGroupPairs entry of every permission names its group (GroupId or GroupName),
    as the quick column check's rule for them says."""
    get = dict.get
    perms = chain.from_iterable(filter(None, chain(map(get, groups, repeat("IpPermissions")),
                                                   map(get, groups, repeat("IpPermissionsEgress")))))
    return _ok_column(list(chain.from_iterable(filter(None, map(get, perms, repeat("UserIdGroupPairs"))))), _PAIRS)


_PAIRS = {"": _GROUP_PAIR}
