"""The user's files: which ones a run reads, how much of them, and how errors about them are worded.

* :func:`expand` turns command-line paths (files, folders, ``**`` globs) into template files,
  walking folders without following symbolic links (a link loop cannot make it spin), each file
  once (by real path), and reports a path it cannot use as ``(path, reason)`` instead of raising,
  so one bad path never stops the others.
* :func:`read_bounded` reads one *regular* file of at most ``limit`` bytes: FIFOs, devices,
  sockets, folders and the kernel's pseudo-files (``/proc``, ``/sys``, ``/dev``) are refused
  after a ``stat``, before anything is opened; the open itself is non-blocking, so a file swapped
  for a FIFO between the ``stat`` and the ``open`` is refused too, never waited on.
* :func:`repository_root`, :func:`resolve_inside`: where a path named *inside* a file (a config's
  ``stacks[].template``, a nested stack's ``TemplateURL``) may lead - the folder of that file or
  the repository around it, unless the user allows more.
* :func:`excerpt`, :func:`schema_error_text`: error text about a user's file names the file, line
  and field but shows at most a short excerpt of the offending value, never the file's content
  (a credentials file given as a policy must not end up in a CI log).

No cfn-lint import here (the standalone command must not pay for it).
"""

from __future__ import annotations

import glob
import json
import os
import re
import stat
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from ..phrasing import safe

# Configuration and policy files are small (the shipped policies are a few KB); templates have
# their own limit (CloudFormation's 1 MB, loader.MAX_TEMPLATE_BYTES).
MAX_CONFIG_BYTES = 512 * 1024
SKIP_DIRS = frozenset(["node_modules", "__pycache__"])
# Kernel pseudo-files: a regular-looking /proc or /sys file may block (/proc/kmsg) or never end.
SPECIAL_ROOTS = ("/proc", "/sys", "/dev")
EXCERPT = 40  # the most of a value any message shows
WHOLE, HEAD = 24, 16  # values up to WHOLE characters are shown whole, longer ones cut to HEAD


class FileRefused(Exception):
    """A file that is not read; ``reason`` is one line without the file name, str() adds it."""

    def __init__(self, path: Any, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{safe(self.path, 500)}: {reason}")


# ------------------------------------------------------------------------------------ wording


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """A short excerpt of a value, quoted, safe to print (a string as written, other values as
    their repr): whole up to WHOLE characters, else its first HEAD characters and an ellipsis, so
    a 40-character secret (a GitHub token) is never shown whole.  A `limit` above EXCERPT (file
    paths) shows up to `limit` characters."""
    text = str(value if isinstance(value, str) else repr(value))
    if limit <= EXCERPT and len(text) > WHOLE:
        text = text[:HEAD] + "\u2026"
    return "'" + safe(text, limit) + "'"


def kind(value: Any) -> str:
    """'a string', 'a mapping', ...: what a value is, without showing it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


_QUOTED = re.compile(r"'([^'\n]{%d,})'|\"([^\"\n]{%d,})\"" % (WHOLE + 1, WHOLE + 1))


def shorten_quoted(text: str, limit: int = 200) -> str:
    """Quoted literals longer than the excerpt limit cut short; the whole cut to `limit`."""
    out = _QUOTED.sub(lambda m: excerpt(m.group(1) if m.group(1) is not None else m.group(2)), str(text))
    return safe(out, limit)


_SCHEMA_TYPES = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "a whole number",
                 "number": "a number", "boolean": "true or false", "null": "null"}


def schema_error_text(err: Any) -> str:
    """What is wrong, for a jsonschema ValidationError, without showing more of the file than an
    excerpt of <= 40 characters of the offending value (jsonschema's own messages embed the whole
    offending instance, which may be a whole file)."""
    v, vv, inst = err.validator, err.validator_value, err.instance
    if v == "type":
        wanted = [vv] if isinstance(vv, str) else list(vv)
        return f"expected {' or '.join(_SCHEMA_TYPES.get(t, t) for t in wanted)}, found {kind(inst)}"
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = sorted((err.schema or {}).get("properties") or {})
        extra = [k for k in inst if k not in allowed]
        name = excerpt(extra[0]) if extra else "a field"
        more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
        hint = f"; allowed: {', '.join(allowed)}" if allowed and len(allowed) <= 12 else ""
        return f"unexpected field {name}{more}{hint}"
    if v == "required" and isinstance(inst, dict):
        missing = [k for k in vv if k not in inst]
        return f"missing required field {', '.join(missing) or vv}"
    if v == "const":
        return f"must be {json.dumps(vv)}, found {_shown(inst)}"
    if v == "enum":
        options = ", ".join(json.dumps(o) for o in list(vv)[:12])
        return f"{_shown(inst)} is not one of {options}"
    if v == "pattern":
        return f"{_shown(inst)} does not match the pattern {vv}"
    if v == "minLength":
        return f"must be at least {vv} character{'s' if vv != 1 else ''} long"
    if v == "minItems":
        return f"must have at least {vv} item{'s' if vv != 1 else ''}"
    if v == "minProperties":
        return f"must have at least {vv} field{'s' if vv != 1 else ''}"
    if v in ("oneOf", "anyOf"):
        return f"{kind(inst)} that matches none of the allowed forms"
    if v == "propertyNames":
        return f"field name {_shown(inst)} is not allowed"
    # any other keyword: jsonschema's text, with the instance (and any long literal) cut short
    message = str(getattr(err, "message", v))
    try:
        message = message.replace(repr(inst), _shown(inst))
    except Exception:  # noqa: BLE001 - a repr that fails: keep the text, it is cut below
        pass
    return shorten_quoted(message)


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return kind(value)
    return excerpt(value)


# ------------------------------------------------------------------------------------ reading


def _special(path: str) -> bool:
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root + os.sep) for root in SPECIAL_ROOTS) and os.sep == "/"


def _mode_problem(mode: int) -> Optional[str]:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    return "is not a regular file"


def file_problem(path: Any) -> Optional[str]:
    """Why `path` is not a regular file this tool would read (stat only, nothing opened), else None."""
    name = str(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        return "dangling symbolic link (its target does not exist)" if os.path.islink(name) else "no such file"
    except PermissionError:
        return "permission denied"
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc.__class__.__name__}"
    problem = _mode_problem(st.st_mode)
    if problem is None and _special(name):
        return "is a kernel pseudo-file (under /proc, /sys or /dev), not a file to read"
    return problem


def read_bounded(path: Any, limit: int, too_big: str) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; FileRefused (with
    `too_big` as the reason when the file is larger) for anything else.  Never blocks."""
    name = str(path)
    problem = file_problem(name)
    if problem is not None:
        raise FileRefused(name, problem)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except FileNotFoundError:
        raise FileRefused(name, "no such file") from None
    except PermissionError:
        raise FileRefused(name, "permission denied") from None
    except OSError as exc:
        raise FileRefused(name, f"cannot read file: {exc.strerror or exc.__class__.__name__}") from None
    try:
        st = os.fstat(fd)  # what was opened, not what was looked at (it may have been swapped)
        problem = _mode_problem(st.st_mode)
        if problem is not None:
            raise FileRefused(name, problem)
        if st.st_size > limit:
            raise FileRefused(name, too_big)
        if st.st_size == 0:  # an empty file (or a pseudo-file that only claims to be one)
            return b""
        chunks: List[bytes] = []
        remaining = limit + 1  # the file may have grown since fstat
        while remaining > 0:
            try:
                chunk = os.read(fd, min(remaining, 1 << 20))
            except BlockingIOError:
                raise FileRefused(name, "would block (not a plain file)") from None
            except OSError as exc:
                raise FileRefused(name, f"cannot read file: {exc.strerror or exc.__class__.__name__}") from None
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileRefused(name, too_big)
    return data


def read_text_bounded(path: Any, limit: int, too_big: str) -> str:
    """read_bounded, decoded as UTF-8 with universal newlines (FileRefused when not UTF-8 or when
    it holds a NUL byte: binary data is not a configuration)."""
    data = read_bounded(path, limit, too_big)
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise FileRefused(path, f"binary data (NUL byte at line {line}), not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileRefused(path, f"not valid UTF-8 (line {line})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


# ------------------------------------------------------------------------------------ where


def repository_root(start: Any) -> Optional[str]:
    """The first folder from `start` (a folder) upward that holds `.git` (a folder, or the file
    of a worktree or submodule); None outside any repository."""
    here = os.path.abspath(str(start))
    while True:
        if os.path.lexists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def within(path: str, folder: str) -> bool:
    """Is `path` (a real path) `folder` (a real path) or inside it."""
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives
        return False


def allowed_roots(base_dir: Any) -> List[str]:
    """The folders a path named in a file of `base_dir` may lead into: that folder and the
    repository around it (real paths)."""
    base = os.path.realpath(os.path.abspath(str(base_dir)))
    roots = [base]
    repo = repository_root(base)
    if repo is not None:
        roots.append(os.path.realpath(repo))
    return roots


def resolve_inside(base_dir: Any, value: str, allow_outside: bool = False) -> Tuple[str, Optional[str]]:
    """(path, problem): `value` (relative to `base_dir`, or absolute) as a normalised path, and
    why it is refused - it leads (after symbolic links) outside `base_dir` and outside the
    repository around it - or None when it may be read."""
    path = os.path.normpath(os.path.join(os.path.abspath(str(base_dir)), value))
    if allow_outside:
        return path, None
    real = os.path.realpath(path)
    if any(within(real, root) for root in allowed_roots(base_dir)):
        return path, None
    what = "an absolute path" if os.path.isabs(value) else "a path"
    return path, f"{what} that leads outside the folder of the file that names it and outside its repository"


# ------------------------------------------------------------------------------------ expand


def _wanted(name: str, suffixes: Sequence[str]) -> bool:
    return name.endswith(tuple(suffixes))


def _walk(folder: str, suffixes: Sequence[str]) -> Iterable[str]:
    """Template-looking files under `folder`, sorted, without following links to folders, and
    skipping dot-folders, node_modules and __pycache__."""
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        for n in sorted(names):
            if _wanted(n, suffixes):
                yield os.path.join(root, n)


_MAGIC = re.compile(r"[*?[]")


def _segment_regex(segment: str) -> str:
    """One path segment of a glob as a regex: `*` and `?` stay inside the segment, and a
    wildcard does not match a leading dot (as glob: hidden names only when the pattern says so)."""
    out = [] if segment.startswith(".") else [r"(?!\.)"]
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            out.append(r"[^/]*")
        elif ch == "?":
            out.append(r"[^/]")
        elif ch == "[":
            j = segment.find("]", i + 2 if segment[i + 1:i + 2] in ("!", "]") else i + 1)
            if j < 0:
                out.append(re.escape(ch))
            else:
                body = segment[i + 1:j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                elif body.startswith("^"):
                    body = "\\" + body
                out.append(f"[{body}]")
                i = j
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _glob_recursive(pattern: str) -> List[str]:
    """glob.glob(pattern, recursive=True) without following links to folders: Python's glob
    descends into them, and a link loop (`a/loop -> ..`) then makes `**` spin for ever.  The
    tree under the pattern's literal prefix is walked once with os.walk(followlinks=False) and
    every path in it matched against the pattern (`**` = any number of folders, hidden ones only
    when the pattern names them)."""
    norm = pattern.replace(os.altsep, os.sep) if os.altsep else pattern
    parts = norm.split(os.sep)
    absolute = norm.startswith(os.sep)
    if absolute:
        parts = parts[1:]
    literal: List[str] = []
    for part in parts:
        if _MAGIC.search(part):
            break
        literal.append(part)
    rest = parts[len(literal):]
    base = (os.sep if absolute else "") + os.sep.join(literal)
    regex_parts: List[str] = []
    for k, part in enumerate(rest):
        last = k == len(rest) - 1
        if part == "**":
            regex_parts.append(r"(?:(?!\.)[^/]*(?:/|$))*" if last else r"(?:(?!\.)[^/]*/)*")
        else:
            regex_parts.append(_segment_regex(part) + ("" if last else "/"))
    matcher = re.compile("".join(regex_parts) + r"\Z", re.DOTALL)
    start = base or os.curdir
    if not os.path.isdir(start):
        return []
    dotted = any(p.startswith(".") and p not in (".", "..") for p in rest)
    out: List[str] = []
    for root, dirs, names in os.walk(start, followlinks=False):
        if not dotted:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel_root = os.path.relpath(root, start)
        rel_root = "" if rel_root == os.curdir else rel_root.replace(os.sep, "/") + "/"
        for name in list(dirs) + names:
            if matcher.match(rel_root + name):
                out.append(os.path.join(base, rel_root + name) if base else rel_root + name)
    return out


def _glob(pattern: str) -> List[str]:
    return _glob_recursive(pattern) if "**" in pattern else glob.glob(pattern)


def expand(paths: Sequence[str], suffixes: Sequence[str]) -> Tuple[List[str], List[Tuple[str, str]]]:
    """(files, problems) for the paths a user gave: a file as given; a folder recursively
    (template-looking files only, sorted); a glob (`**` for any depth) sorted.  Each file once,
    however it was reached (relative and absolute, through a link): the first spelling is kept.
    A path that cannot be used is a (path, one-line reason) problem - missing, a dangling link, not
    a regular file, a glob without match - never an exception, so one never stops the others."""
    files: List[str] = []
    problems: List[Tuple[str, str]] = []
    seen = set()

    def add(candidate: str, from_pattern: bool) -> None:
        problem = file_problem(candidate)
        if problem is not None:
            if from_pattern and problem.startswith("is a directory"):
                return  # a glob matching folders too: only its files are meant
            if (candidate, problem) not in problems:
                problems.append((candidate, problem))
            return
        real = os.path.realpath(candidate)
        if real in seen:
            return
        seen.add(real)
        files.append(candidate)

    for raw in paths:
        raw = str(raw)
        if _MAGIC.search(raw) and not os.path.lexists(raw):
            matches = sorted(set(_glob(raw)))
            if not matches:
                problems.append((raw, "no file matches this pattern"))
                continue
            for m in matches:
                if os.path.isdir(m) and not os.path.islink(m):
                    continue
                add(m, True)
        elif os.path.isdir(raw):
            for f in _walk(raw, suffixes):
                add(f, False)
        else:
            add(raw, False)
    return files, problems


__all__ = [
    "MAX_CONFIG_BYTES", "FileRefused", "excerpt", "kind", "shorten_quoted", "schema_error_text", "file_problem",
    "read_bounded", "read_text_bounded", "repository_root", "within", "allowed_roots", "resolve_inside", "expand",
]
