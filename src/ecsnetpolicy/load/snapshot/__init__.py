"""A saved AWS account snapshot: a folder of AWS CLI JSON outputs, read into plain data.

:func:`read_snapshot` reads every ``*.json`` file under a folder (``aws ec2 describe-subnets
--output json > anything.json``) and recognises it by its top-level key, whatever its name;
:func:`build_snapshot` does the same for documents already in memory (the live boto3 path in
:mod:`..aws` feeds its responses through it, so live and saved snapshots cannot drift).  The result
is an :class:`AccountSnapshot`: dictionaries of small dataclasses keyed by resource ID, each
keeping the AWS entry it came from (``raw``) and the file and key it was read from
(:meth:`AccountSnapshot.origin_of`), with :meth:`AccountSnapshot.has` / ``missing`` /
``known_absent`` to tell "not in the account" from "not captured", and :data:`CAPTURE_COMMANDS`,
the AWS CLI command that captures each kind.

Plain data only: nothing here imports the engine, the network state or the checks.  The JSON
parsing is the standard library's; the shape checks are written by hand because they happen
while each record is built (a JSON Schema would walk the same fields a second time and still
leave the records to build).

Large accounts: subnets, route tables and security groups (thousands of entries, tens of thousands
of rules) are decoded and type-checked in one pass by msgspec when their file is large (:mod:`.fast`),
else checked by a quick pass over the parsed JSON (the same checks, no objects built); any doubt
and the file is read the careful way, which raises the exact error.  Their evidence (zones,
owners, ARNs) is gathered a column at a time, and their records are built on first lookup
(:class:`_Records`): a check reads a handful of them.

The modules: :mod:`.kinds` (the kinds, their capture commands, evidence patterns, SnapshotError),
:mod:`.records` (the record dataclasses), :mod:`.fields` (reading one entry's fields),
:mod:`.account` (AccountSnapshot, check_matches), :mod:`.builder` (documents to a snapshot,
build_snapshot), :mod:`.folder` (the folder's files) and :mod:`.fast` (msgspec).  :func:`read_snapshot` is here: it reads
each file with ``read_bounded`` as this module holds it.
"""

from __future__ import annotations

import gc
import os
import stat
from typing import Any, List, Optional

# read_snapshot's names, and the public names of the package (imported from here by aws.py, cli.py, rules/, tests)
from ..files import FileRefused, read_bounded
from .account import AccountSnapshot, check_matches
from .builder import Warn, _Builder, build_snapshot
from .fast import parse_fast
from .folder import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, META_FILE, _candidates, _parse
from .kinds import (
    CAPTURE_COMMANDS, KINDS, REGION_RE, VPC_SCOPED, SnapshotError, capture_command, parse_arn, region_of_service,
    region_of_zone,
)
from .records import (
    DhcpOptions, InternetGateway, ManagedPolicy, NaclEntry, NatGateway, NetworkAcl, PrefixList, Role, Route,
    RouteTable, SecurityGroup, ServiceDetail, SgRule, Stack, Subnet, Vpc, VpcEndpoint,
)


def read_snapshot(directory: Any, *, warn: Optional[Warn] = None, max_file_bytes: int = MAX_FILE_BYTES,
                  max_total_bytes: int = MAX_TOTAL_BYTES, max_files: int = MAX_FILES) -> AccountSnapshot:
    """The snapshot saved in `directory` (every ``*.json`` under it, recognised by its top-level
    key).  A file of another shape is skipped with one line through `warn`; a broken one raises
    SnapshotError (one line naming the file and the key)."""
    directory = os.fspath(directory)
    if not os.path.exists(directory):
        raise SnapshotError("no such folder", directory)
    if not os.path.isdir(directory):
        raise SnapshotError("not a folder (give the folder that holds the JSON files)", directory)
    found = _candidates(directory, max_files)
    total = sum(size for _, _, size in found)
    if total > max_total_bytes:
        raise SnapshotError(f"the JSON files total {total // (1024 * 1024)} MB, over the {max_total_bytes // (1024 * 1024)} MB limit "
                            "for a snapshot", directory)
    builder = _Builder(directory, warn)
    builder.snap.directory = directory
    too_big = f"file is larger than the {max_file_bytes // (1024 * 1024)} MB limit for one snapshot file"
    metas, others = [], []
    for path, rel, _ in found:
        (metas if os.path.basename(rel) == META_FILE else others).append(path)
    paused = gc.isenabled()
    if paused:  # the cyclic collector would walk the parsed documents over and over while they are built: a third of the parse time
        gc.disable()
    try:
        _read_files(builder, metas, others, directory, max_file_bytes, max_total_bytes, too_big)
    finally:
        if paused:
            gc.enable()
    return builder.finish()


def _read_files(builder: "_Builder", metas: List[str], others: List[str], directory: str, max_file_bytes: int,
                max_total_bytes: int, too_big: str) -> None:
    read_total = 0
    for path in metas + others:
        try:
            data = read_bounded(path, max_file_bytes, too_big)
        except FileRefused as exc:
            try:
                regular = stat.S_ISREG(os.stat(path).st_mode)
            except OSError:
                regular = True  # vanished since it was listed: an error, a fact may be missing
            if regular:  # too big, permission denied, unreadable: facts would be missing silently
                raise SnapshotError(exc.reason, path) from None
            continue  # swapped for a FIFO or a folder since it was listed: ignored like one
        read_total += len(data)
        if read_total > max_total_bytes:  # files grew since they were listed
            raise SnapshotError(f"the JSON files total over the {max_total_bytes // (1024 * 1024)} MB limit for a snapshot", directory)
        doc = None if path in metas else parse_fast(data)  # the large outputs: decoded and checked in one pass
        if doc is None:
            doc = _parse(path, data)
        if path in metas:
            builder.add_meta(path, doc)
        else:
            builder.add(path, doc)
