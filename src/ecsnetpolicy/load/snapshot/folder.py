"""The files of a snapshot folder: the limits, which files are read (:func:`_candidates`), and
decoding and parsing one (:func:`_parse`)."""

from __future__ import annotations

import json
import os
import stat
from typing import Any, List, Set, Tuple

from ...phrasing import safe
from .kinds import SnapshotError

MAX_FILE_BYTES = 64 * 1024 * 1024  # one JSON file (a describe-security-groups of a large account is ~20 MB)
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all JSON files of one snapshot
MAX_FILES = 20_000
META_FILE = "meta.json"


def _decode(path: str, data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Windows PowerShell's `>` writes UTF-16
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise SnapshotError("not valid UTF-16 (it starts with a UTF-16 byte order mark)", path) from None
    if b"\0" in data:
        raise SnapshotError("binary data (a NUL byte), not JSON text", path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SnapshotError(f"not valid UTF-8 (line {line})", path) from None


def _parse(path: str, data: bytes) -> Any:
    text = _decode(path, data)
    if not text.strip():
        raise SnapshotError("the file is empty (did the command that wrote it fail?)", path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path) from None
    except RecursionError:
        raise SnapshotError("invalid JSON: nested too deeply", path) from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise SnapshotError(f"invalid JSON: {safe(exc, 200)}", path) from None


def _candidates(directory: str, max_files: int) -> List[Tuple[str, str, int]]:
    """(path, relative path, size) of the JSON files under `directory`, sorted: regular files
    only (a symbolic link to a regular file counts, once per real file); folders are walked
    without following links (no loop), dot-files and dot-folders skipped."""
    out: List[Tuple[str, str, int]] = []
    seen: Set[str] = set()
    def unreadable(exc: OSError) -> None:
        raise SnapshotError(f"cannot read folder: {exc.strerror or exc.__class__.__name__}", getattr(exc, "filename", None) or directory)

    for root, dirs, names in os.walk(directory, followlinks=False, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for n in sorted(names):
            if n.startswith(".") or not n.lower().endswith(".json"):
                continue
            path = os.path.join(root, n)
            try:
                st = os.stat(path)
            except OSError:  # dangling link, permission, loop of links
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            out.append((path, os.path.relpath(path, directory).replace(os.sep, "/"), st.st_size))
            if len(out) > max_files:
                raise SnapshotError(f"more than {max_files} JSON files; point to the snapshot folder itself", directory)
    out.sort(key=lambda c: (c[1].count("/"), c[1]))
    return out
