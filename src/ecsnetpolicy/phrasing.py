"""Small phrasing helpers every rule's message uses."""

from __future__ import annotations

from typing import Sequence


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
