"""The bounds of resolving: the longest string, the longest list, the resolve steps of one template
(Budget), the deepest nesting.

Resolving is bounded: a resolved string holds at most MAX_STRING characters and a list or mapping
at most MAX_LIST items (CloudFormation bounds them too: a template body is at most 1 MB), and the
resolvers of one template share a Budget of MAX_STEPS steps.  Past a bound the value is an
Unknown with its path ("too large", "too costly to evaluate"), never an exception, a hang or a
gigabyte.  MAX_STEPS is read when a Budget is made, from this module (tests lower it here).
"""

from __future__ import annotations

from typing import Optional

_MAX_DEPTH = 64

# Bounds (see the module docstring).  A 2,000-resource template takes about 25,000 steps per
# scenario; building strings costs one step per _CHARS_PER_STEP characters.
MAX_STRING = 1024 * 1024
MAX_LIST = 10_000
MAX_STEPS = 1_000_000
_CHARS_PER_STEP = 128


class Budget:
    """The resolve steps one template may still take, shared by the resolvers of all its
    scenarios (engine.analyse makes one per template)."""

    __slots__ = ("left",)

    def __init__(self, steps: Optional[int] = None):
        self.left = MAX_STEPS if steps is None else steps
