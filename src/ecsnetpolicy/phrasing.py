"""Small phrasing helpers every rule's message uses."""

from __future__ import annotations

import re
from typing import Any, Sequence

# Characters that must never reach a terminal, a CI log or a renderer from template text: C0 and
# C1 controls (ESC, NEL, ...), DEL, the Unicode line and paragraph separators, and the bidi
# overrides and marks that reorder what a reader sees ("trojan source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
MAX_MESSAGE = 4000  # characters; a message built from huge template values is cut, with a mark


def _escape(match: "re.Match[str]") -> str:
    ch = match.group()
    if ch in "\t\n\r":
        return " "
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: Any, limit: int = MAX_MESSAGE) -> str:
    """One line of plain text, safe in every output channel: control characters and separators
    escaped (tabs and line breaks become spaces), no line-start ``::`` (a GitHub Actions workflow
    command), at most ``limit`` characters.  Applied where messages are made (Raw) and to every
    file name or template text an output shows."""
    out = _UNSAFE.sub(_escape, str(text))
    if out.lstrip().startswith("::"):
        out = out.replace("::", ": :", 1)
    if len(out) > limit:
        out = out[: limit - 1] + "\u2026"
    return out


def join(names: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c" (duplicates dropped, order kept)."""
    names = list(dict.fromkeys(names))
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def subnets(names: Sequence[str]) -> str:
    names = list(dict.fromkeys(names))
    return ("subnet " if len(names) == 1 else "subnets ") + join(names)


def short_image(image: str) -> str:
    """An ECR image without its registry host (api:1.0); other images as written."""
    host, sep, rest = image.partition("/")
    if sep and ".dkr.ecr." in host:
        return rest
    return image
