"""Resolving CloudFormation values to what the engine can reason about: unknowns (unknown.py),
conversions (convert.py), bounds (budget.py), intrinsic functions (intrinsics.py) and condition
scenarios (conditions.py).  Code outside the package imports these names from here."""

from .budget import MAX_LIST, MAX_STEPS, MAX_STRING, Budget
from .conditions import MAX_SCENARIOS, ConditionEvaluator, Scenario, describe_scenarios, scenarios
from .convert import NUMBER_HINT, as_bool, as_int, as_network
from .intrinsics import PSEUDO_DEFAULTS, Resolver
from .unknown import (
    AZ,
    COSTLY_HINT,
    LARGE_HINT,
    MARK,
    NOVALUE,
    TOO_COSTLY,
    TOO_LARGE,
    AZList,
    Partial,
    Path,
    ResAtt,
    LiteralId,
    ResRef,
    Unknown,
    excerpt,
    first_unknown,
    is_known,
    may_name,
    short_name,
)

__all__ = [
    # unknown.py
    "Path", "Unknown", "ResRef", "ResAtt", "LiteralId", "may_name", "AZ", "AZList", "Partial", "MARK", "NOVALUE",
    "TOO_LARGE", "TOO_COSTLY", "LARGE_HINT", "COSTLY_HINT", "short_name", "excerpt", "is_known", "first_unknown",
    # convert.py
    "NUMBER_HINT", "as_bool", "as_int", "as_network",
    # budget.py (Budget reads MAX_STEPS from budget.py when it is made: a test lowers it there)
    "MAX_STRING", "MAX_LIST", "MAX_STEPS", "Budget",
    # intrinsics.py
    "PSEUDO_DEFAULTS", "Resolver",
    # conditions.py
    "MAX_SCENARIOS", "ConditionEvaluator", "Scenario", "describe_scenarios", "scenarios",
]
