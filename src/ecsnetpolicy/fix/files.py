"""Where `fix` may write, and writing there: only files the user gave (or found in a folder they
gave), never through a symbolic link that leads out of those paths; written atomically (temporary
file in the same folder, then os.replace) with the file's mode kept."""

from __future__ import annotations

import glob
import os
import tempfile
from typing import Iterable, List, Optional

_MAGIC = ("*", "?", "[")


def roots(paths: Iterable[str]) -> List[str]:
    """The real folders the given paths cover: a folder itself, a file's folder, a glob's fixed
    leading folder."""
    out: List[str] = []
    for raw in paths:
        raw = str(raw)
        if any(c in raw for c in _MAGIC) and not os.path.lexists(raw):
            head = []
            for part in raw.split(os.sep):
                if glob.has_magic(part):
                    break
                head.append(part)
            base = os.sep.join(head) or "."
        elif os.path.isdir(raw):
            base = raw
        else:
            base = os.path.dirname(os.path.abspath(raw))
        out.append(os.path.realpath(base))
    return out


def refusal(filename: str, given: Iterable[str], allowed: List[str]) -> Optional[str]:
    """Why `filename` must not be written, or None.  `given`: real paths of the template files the
    run was given; `allowed`: roots()."""
    real = os.path.realpath(filename)
    if real not in set(given):
        return f"{filename} is not one of the templates given to fix (a nested or configured stack): run fix on it"
    if not any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in allowed):
        return f"{filename} is a symbolic link out of the given paths: fix writes nothing through it"
    return None


def read(filename: str) -> str:
    """The file's text as it is on disk (line ends kept)."""
    with open(os.path.realpath(filename), encoding="utf-8", newline="") as fh:
        return fh.read()


def write_atomically(filename: str, text: str) -> None:
    """Replace the real file behind `filename` whole or not at all, keeping its mode."""
    target = os.path.realpath(filename)
    mode = os.stat(target).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=".ecsnetpolicy-fix-", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
