"""The rules, one module per family (egress, endpoints, s3, internet, iam, logs, deployment, coverage):
each rule turns one scenario's verdicts into raw findings (rule id, path, message).
:func:`raw_findings` runs them over every scenario and merges the results, naming the scenario
when a fault exists in only some.  Every value goes through the scenario's Resolver: a value the
template set cannot decide makes a rule silent for it (never an error resting on an unknown), and
odd input (wrong types anywhere) is skipped, never raised on.  No cfn-lint import here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from ..engine import Analysis, Report
from ..findings import Finding, Raw
from ..values import Path, describe_scenarios
from .coverage import TOO_COSTLY_MESSAGE, in9001
from .deployment import en6002, in6003, wn6001
from .egress import en1001, en1002, en1003
from .endpoints import en2001, en2003, en2004, en2005, en2006, en2007, en2008, wn2002
from .iam import en5001
from .inbound import en7001, en7002, en7003, en7004, en7006, wn7005, wn7007
from .internet import en4001
from .logs import en5002
from .s3 import en3001, en3002

__all__ = ["CHECKS", "Raw", "TOO_COSTLY_MESSAGE", "raw_findings", "to_findings"]

# raw findings come out in this order (then to_findings sorts them by place): keep it
CHECKS: Dict[str, Callable[[Analysis], Iterator[Raw]]] = {
    "EN1001": en1001,
    "EN1002": en1002,
    "EN1003": en1003,
    "EN2001": en2001,
    "WN2002": wn2002,
    "EN2003": en2003,
    "EN2004": en2004,
    "EN2005": en2005,
    "EN2006": en2006,
    "EN2007": en2007,
    "EN3001": en3001,
    "EN4001": en4001,
    "IN9001": in9001,
    "EN3002": en3002,
    "EN5001": en5001,
    "WN6001": wn6001,
    "EN6002": en6002,
    "IN6003": in6003,
    "EN2008": en2008,
    "EN5002": en5002,
    "EN7001": en7001,
    "EN7002": en7002,
    "EN7003": en7003,
    "EN7004": en7004,
    "WN7005": wn7005,
    "EN7006": en7006,
    "WN7007": wn7007,
}


def raw_findings(report: Report, rule_ids: Optional[Iterable[str]] = None) -> List[Raw]:
    """Findings over all scenarios; those present in only some say in which."""
    ids = list(rule_ids) if rule_ids is not None else list(CHECKS)
    scenarios = report.scenarios
    occurrences: Dict[Tuple[str, Path, str], Tuple[Raw, List[int]]] = {}
    for i, a in enumerate(report.analyses):
        for rid in ids:
            check = CHECKS.get(rid)
            if check is None:
                continue
            for raw in check(a):
                key = (raw.rule_id, raw.path, raw.message)
                if key not in occurrences:
                    occurrences[key] = (raw, [])
                if i not in occurrences[key][1]:
                    occurrences[key][1].append(i)
    out = []
    for raw, where in occurrences.values():
        if len(where) < len(scenarios):
            desc = describe_scenarios([scenarios[i] for i in where], scenarios)
            msg = raw.message[:-1] + f" ({desc})." if raw.message.endswith(".") else raw.message + f" ({desc})"
            raw = Raw(raw.rule_id, raw.path, msg, raw.workload, raw.fix)
        out.append(raw)
    # the combinations of conditions that were not analysed (a cap): said, never dropped silently
    exploration = getattr(report, "exploration", None)
    unexplored = exploration.unexplored_finding() if exploration is not None and "IN9001" in ids else None
    if unexplored is not None:
        out.append(Raw("IN9001", unexplored[0], unexplored[1]))
    # the resolve budget ran out (values.Budget): what was left unevaluated is said, never passed
    budget = getattr(report, "budget", None)
    if budget is not None and budget.left < 0 and "IN9001" in ids:
        out.append(Raw("IN9001", ("Resources",), TOO_COSTLY_MESSAGE))
    return out


def to_findings(raws: Iterable[Raw], template: Mapping[str, Any], filename: Optional[str], locate: Callable) -> List[Finding]:
    out = []
    for raw in raws:
        line, col, eline, ecol = locate(template, list(raw.path))
        out.append(Finding(raw.rule_id, raw.message, tuple(raw.path), filename, line, col, eline, ecol, raw.workload, raw.fix))
    out.sort(key=Finding.sort_key)
    return out
