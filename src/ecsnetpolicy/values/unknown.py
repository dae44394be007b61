"""What a value may be besides plain data: Unknown (and why), references to template resources,
AZ tokens, Partial strings, AWS::NoValue; the messages and hints about them; short excerpts."""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Tuple

Path = Tuple[Any, ...]


class Unknown:
    """A value the template set cannot decide.  `why` is a phrase ("parameter X has no value"),
    `path` the template path of the undecidable value, `hint` how the user can supply it."""

    __slots__ = ("why", "path", "hint")

    def __init__(self, why: str, path: Path = (), hint: str = ""):
        self.why = why
        self.path = tuple(path)
        self.hint = hint

    def __repr__(self) -> str:
        return f"Unknown({self.why!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and (self.why, self.path) == (other.why, other.path)

    def __hash__(self) -> int:
        return hash((self.why, self.path))


class LiteralId(Unknown):
    """A resource ID written as a literal (`vpc-0abc...`, or a parameter's value): what it names is
    for the account to say, but never a resource the template set creates (their IDs do not exist
    until the stacks are created), so it is known to differ from every such resource."""

    __slots__ = ("literal",)

    def __init__(self, literal: str, why: str, path: Path = (), hint: str = ""):
        super().__init__(why, path, hint)
        self.literal = literal


def may_name(value: Any, created_here: bool) -> bool:
    """Whether an undecided ID `value` may name a resource; `created_here`: that resource is one the
    template set creates.  A literal ID never names one of those."""
    return not (created_here and isinstance(value, LiteralId))


class ResRef(NamedTuple):
    """The physical id of a resource defined in the template (Ref, or GetAtt of an id attribute)."""

    logical_id: str


class ResAtt(NamedTuple):
    """An attribute of a template resource that stands for something else (e.g. a VPC's default
    security group)."""

    logical_id: str
    attribute: str


class AZ(NamedTuple):
    """`!Select [i, !GetAZs region]`: the i-th AZ of the region.  Two AZ tokens are the same zone
    exactly when their indexes are; an AZ token and a literal zone name cannot be compared."""

    index: int


class AZList(NamedTuple):
    region: str


class Partial(NamedTuple):
    """A string with undecidable pieces (`Fn::Sub`/`Fn::Join` over unknowns).  `text` holds the
    known pieces with MARK in place of each unknown one."""

    text: str
    unknowns: Tuple[Unknown, ...]


MARK = "\x00"


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NOVALUE = _NoValue()

TOO_LARGE = "the value is too large to evaluate"
TOO_COSTLY = "the value is too costly to evaluate (its intrinsic functions expand too much)"
LARGE_HINT = "build a smaller value"
COSTLY_HINT = "simplify the intrinsic functions that build it"
# the most digits of a number read (convert.as_int) or shown whole (excerpt)
_MAX_DIGITS = 18
_EXCERPT = 40
_NAME = 255  # CloudFormation's longest logical ID: names in messages are cut there


def short_name(text: str, limit: int = _NAME) -> str:
    """Template text (a name, an export) cut to `limit` characters for a message."""
    return text if len(text) <= limit else text[:limit] + "\u2026"


def excerpt(value: Any, limit: int = _EXCERPT) -> str:
    """A short, quoted excerpt of a template value for a message (never its whole text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if -(10**_MAX_DIGITS) < value < 10**_MAX_DIGITS else "a number too large to read"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "\u2026"
        return f'"{text}"'
    if isinstance(value, Partial):
        return excerpt(value.text.replace(MARK, "\u2026"), limit)
    return _described(value)


def _described(value: Any) -> str:
    """Words for a value that is not text: a user's terms, never an internal class name."""
    if isinstance(value, ResRef):
        return f"the ID of {short_name(value.logical_id, _EXCERPT)}"
    if isinstance(value, ResAtt):
        return f"attribute {short_name(value.attribute, _EXCERPT)} of {short_name(value.logical_id, _EXCERPT)}"
    if isinstance(value, AZ):
        return "an Availability Zone"
    if isinstance(value, Unknown):
        return "a value not known"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict) or hasattr(value, "keys"):
        return "a mapping"
    if value is None:
        return "null"
    return "a value of another kind"


def is_known(value: Any) -> bool:
    return not isinstance(value, (Unknown, Partial))


def first_unknown(value: Any) -> Optional[Unknown]:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Partial):
        return value.unknowns[0] if value.unknowns else Unknown("a value is not known")
    return None

