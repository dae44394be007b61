"""Condition scenarios: under which combinations of the template's conditions the engine looks.

A template's conditions decide which resources exist and which `Fn::If` branch a property takes,
so the engine analyses the template once per *scenario* (a truth value for every condition that
matters, plus the values of the parameters it had to pick) and the findings say when a fault holds
only in some ("when condition X is false").  This module decides which scenarios those are.

1. **Slice: only conditions that can change what the engine reads.**  The engine reads a fixed set
   of resource types, found by scanning (``by_type``) or by following a reference from one it
   already reads.  ``ROOT_TYPES`` (and ``SCHEDULED_TYPES`` with `EcsParameters`) are scanned and
   can give a finding on their own: workloads, task definitions, VPC endpoints, pull-through cache
   rules.  ``ATTACH_KEYS`` types are scanned but only change something through the resource their
   key names (a route through its route table, an ingress rule through its group, an IAM policy
   through its roles); one whose key is anything but a plain reference to a template resource (a
   literal name, a parameter, an import) is kept whatever it names.  From the roots we follow every
   `Ref`, `Fn::GetAtt` and `Fn::Sub` reference forward and every attachment backward, to a
   fixpoint.  Of a resource reached, its existence (`Condition`) always matters; its properties
   matter only when the engine reads properties of that type (``PROPERTY_READ_TYPES``, plus
   whatever a `Cluster` key names, which the adapter reads whatever its type), and never their
   `Tags`.  The relevant conditions are those existences, every `Fn::If` in the properties read,
   and every condition they reference, transitively.  Everything else (outputs, Lambda functions,
   log groups, alarms, tags) cannot change a finding, so it does not multiply scenarios; the
   analysis takes a condition it is not given as true.  Soundness rests on the type lists naming
   every type the engine scans or reads: tests/test_scenarios.py checks them against the sources,
   and checks with the engine itself, on every fixture and corpus template and on generated ones,
   that setting a condition the slice left out to false changes no finding.

2. **Exact counting by independent components.**  Relevant conditions, the parameters they
   compare and the undecidable comparisons ("atoms": imports, account ids, ...) form a graph; two
   conditions are linked when one references the other or both read the same parameter, and all
   conditions holding a comparison that may be undecidable are linked together (the same
   comparison must have one truth value in a scenario: no impossible scenario).  Each connected
   component is enumerated on its own (its inputs' product, at most ``ENUM_LIMIT`` rows and
   ``MAX_ATOMS`` atoms, else it is marked incomplete), giving its distinct valuations; the
   template's distinct scenarios are exactly the product of the components' valuations, because
   components share no input.  Parameters read only inside conditions are not part of a
   scenario's identity (two values that give the same condition values give the same analysis);
   parameters the sliced resources also read directly are, as before, and a long
   `AllowedValues` list of such a parameter is folded into "any other allowed value" (unknown to
   the resources, so IN9001 where it matters) when listing every value would exceed the limit.

3. **A cap that is fair and never silent.**  At most ``MAX_SCENARIOS`` analyses, and fewer for
   large templates: ``WORK_BUDGET`` resource-analyses (resources in the slice x scenarios), but
   never under ``MIN_SCENARIOS`` (a 2,000-resource template gets 8).  When the product is larger,
   the scenarios form a covering design over the components, not the first combinations: the
   all-first scenario, then the highest strength the limit allows (every value of every
   component, so each condition is analysed true and false; then every pair of values of two
   components, which 8 scenarios give for up to 35 two-valued ones; then every triple), then
   further combinations.  With every pair, a finding that depends on one condition is reported
   with the same "when condition X is ..." words as with every combination.  One IN9001, anchored
   on the first condition concerned, names the conditions and parameters whose combinations were
   not all analysed, and what was (each value, each pair, each triple).

**Why components are not analysed separately.**  Analysing each component alone (the product only
within a component, the others held fixed) would cut the work from the product to the largest
component, and it keeps the findings only if no finding depends on two components.  Components are
independent in their *inputs*, not in their *effects*: two conditions on different parameters can
both shape what one workload reaches (A removes an endpoint, B a route: the fault needs A and not
B together), and the engine joins across resources by design (`_decide` looks at every endpoint of
a VPC and at every endpoint whose VPC is unknown; EN2004 and EN3002 list every workload that uses
an endpoint; EN5001 reads every IAM policy that might attach to a role; a finding's "when condition
X is ..." words depend on which combinations occur together).  Proving effect-independence would
mean re-deriving each check's reads here, and getting it wrong is a silent miss, so we do not: the
covering order analyses interactions of two (and three) components early instead, and the IN9001
says what was left.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

from .budget import _MAX_DEPTH
from .intrinsics import _is_intrinsic
from .unknown import AZ, Path, ResAtt, ResRef, Unknown, is_known

_OTHER = "\x00other"
MAX_SCENARIOS = 64
WORK_BUDGET = 64 * 128  # scenarios x resources the checks read, per template (~0.5 ms each here): 64 up to 128
MIN_SCENARIOS = 8  # even for the largest template: every pair of values of up to 35 two-valued conditions
ENUM_LIMIT = 4096  # input combinations evaluated per component of conditions
MAX_ATOMS = 12  # undecidable comparisons enumerated per component (more: left False, and said)
_TUPLE_LIMIT = 20_000  # t-way combinations tracked by the covering design
_CANDIDATES = 40
_NAMES_SHOWN = 12

# Resource types the engine scans (adapters/cloudformation, engine, checks) that give findings of their own.
ROOT_TYPES = frozenset({
    "AWS::ECS::Service",
    "AWS::ECS::TaskSet",
    "AWS::ECS::TaskDefinition",
    "AWS::EC2::VPCEndpoint",
    "AWS::ECR::PullThroughCacheRule",
    "AWS::ECS::ExpressGatewayService",
    "AWS::ECS::Daemon",
    "AWS::ECS::DaemonTaskDefinition",
    # bridge/host workloads run on any Auto Scaling group whose user data joins their cluster (issue 14)
    "AWS::AutoScaling::AutoScalingGroup",
})
# Scanned types that start ECS tasks only with EcsParameters (a Lambda schedule cannot).
SCHEDULED_TYPES = frozenset({"AWS::Events::Rule", "AWS::Scheduler::Schedule"})
# Scanned types that change something only through what they attach to (the key that names it).
ATTACH_KEYS: Dict[str, str] = {
    "AWS::EC2::SecurityGroupIngress": "GroupId",
    "AWS::EC2::SecurityGroupEgress": "GroupId",
    "AWS::EC2::Route": "RouteTableId",
    "AWS::EC2::SubnetRouteTableAssociation": "SubnetId",
    "AWS::EC2::SubnetNetworkAclAssociation": "SubnetId",
    "AWS::EC2::NetworkAclEntry": "NetworkAclId",
    "AWS::EC2::VPCDHCPOptionsAssociation": "VpcId",
    "AWS::EC2::VPCCidrBlock": "VpcId",
    "AWS::ECS::ClusterCapacityProviderAssociations": "Cluster",
    "AWS::IAM::Policy": "Roles",
    "AWS::IAM::ManagedPolicy": "Roles",
    "AWS::IAM::RolePolicy": "RoleName",
    # a listener (rule) matters through the target groups its actions forward to (issue 12)
    "AWS::ElasticLoadBalancingV2::Listener": "DefaultActions",
    "AWS::ElasticLoadBalancingV2::ListenerRule": "Actions",
}
# Types the engine reads only when a scanned resource references them (documentation and the test's
# cross-check of the sources: a type named in the engine must be in one of these three lists).
REFERENCED_TYPES = frozenset({
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::DHCPOptions",
    "AWS::EC2::LaunchTemplate",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::AutoScaling::LaunchConfiguration",
    "AWS::ECS::CapacityProvider",
    "AWS::IAM::Role",
    "AWS::SecretsManager::Secret",
    "AWS::SSM::Parameter",
    "AWS::CloudFormation::Stack",
    "AWS::Serverless::Application",
    # traffic into the tasks (issue 12): what LoadBalancers entries, listeners and Service
    # Connect configurations name
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
    "AWS::ServiceDiscovery::HttpNamespace",
    "AWS::ServiceDiscovery::PublicDnsNamespace",
})
# Attaching types that matter only through the template resources their key references: a listener
# (rule) ties a target group of the template to its load balancer, and one forwarding elsewhere (an
# ARN, a parameter) changes nothing the engine reads, so it is not kept for that (issue 12).
REFERENCE_ONLY_ATTACH = frozenset({"AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::ListenerRule"})
# Types whose properties the engine reads when it reaches them; of any other resource it reaches
# (a log group, a Lambda function, a custom resource) only the existence (its Condition) matters.
# Types read only when an account snapshot is given (EN5002 looks for a log group of the awslogs
# name among them).  Their conditions are not sliced: a condition left out counts as true, so a
# conditional group can hide an EN5002, never make one.
ACCOUNT_ONLY_TYPES = frozenset({"AWS::Logs::LogGroup"})
PROPERTY_READ_TYPES = ROOT_TYPES | SCHEDULED_TYPES | frozenset(ATTACH_KEYS) | REFERENCED_TYPES | frozenset({"AWS::ECS::Cluster"})
# Property keys no check reads, on any resource.
UNREAD_KEYS = frozenset({"Tags"})
_FORCED = "forced"
_KNOWN_PSEUDO = frozenset({"AWS::Region", "AWS::StackName", "AWS::Partition", "AWS::URLSuffix", "AWS::NoValue"})
_SUB_RE = re.compile(r"\$\{([^}$]*)\}")  # no "$" inside: linear on "${${${..." (a name never holds one)


class Scenario(NamedTuple):
    """One combination: the truth of every relevant condition, and the values of the parameters
    the analysis must see (those the sliced resources read; a parameter left out is unknown)."""

    conditions: Dict[str, bool]
    params: Dict[str, Any]


# ------------------------------------------------------------------------------------ evaluation
class ConditionEvaluator:
    """Evaluates the Conditions section for one assignment of undecided inputs."""

    def __init__(self, template: Mapping[str, Any], resolver_factory, atoms: Mapping[str, bool]):
        conds = template.get("Conditions")
        self.conditions: Mapping[str, Any] = conds if isinstance(conds, Mapping) else {}
        self.resolver = resolver_factory({})
        self.atoms = atoms
        self.missing: List[str] = []
        self._cache: Dict[str, bool] = {}
        self._stack: List[str] = []

    def value(self, name: Any) -> bool:
        if not isinstance(name, str):
            return True  # a malformed condition reference (cfn-lint reports it): no scenario
        if name in self._cache:
            return self._cache[name]
        if name in self._stack or name not in self.conditions or len(self._stack) > _MAX_DEPTH:
            return True
        self._stack.append(name)
        try:
            result = self.expr(self.conditions[name], ("Conditions", name))
        finally:
            self._stack.pop()
        self._cache[name] = result
        return result

    def expr(self, node: Any, path: Path) -> bool:
        fn = _is_intrinsic(node)
        if fn == "Condition":
            return self.value(node[fn])
        if fn == "Fn::Not" and isinstance(node[fn], list) and node[fn]:
            return not self.expr(node[fn][0], path + (fn, 0))
        if fn == "Fn::And" and isinstance(node[fn], list):
            return all([self.expr(x, path + (fn, i)) for i, x in enumerate(node[fn])])
        if fn == "Fn::Or" and isinstance(node[fn], list):
            return any([self.expr(x, path + (fn, i)) for i, x in enumerate(node[fn])])
        if fn == "Fn::Equals" and isinstance(node[fn], list) and len(node[fn]) == 2:
            a = self.resolver.resolve(node[fn][0], path + (fn, 0))
            b = self.resolver.resolve(node[fn][1], path + (fn, 1))
            if is_known(a) and is_known(b) and not isinstance(a, (ResRef, ResAtt, AZ)) and not isinstance(b, (ResRef, ResAtt, AZ)):
                if _OTHER in (a, b):
                    return False
                return _norm(a) == _norm(b)
            key = repr((_norm_key(a), _norm_key(b)))
            if key not in self.atoms:
                self.missing.append(key)
                return False
            return self.atoms[key]
        return True


def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v


def _norm_key(v: Any) -> str:
    if isinstance(v, Unknown):
        return v.why
    return repr(v)


def _condition_params(template: Mapping[str, Any], only: Optional[Iterable[str]] = None) -> Dict[str, set]:
    """Parameters referenced in Conditions (or only in the conditions named), with the literals
    they are compared against."""
    found: Dict[str, set] = {}
    conds = template.get("Conditions")
    if not isinstance(conds, Mapping):
        return found
    bodies = list(conds.values()) if only is None else [conds[n] for n in only if n in conds]
    stack = list(bodies)
    while stack:
        node = stack.pop()
        fn = _is_intrinsic(node)
        if fn == "Fn::Equals" and isinstance(node[fn], list) and len(node[fn]) == 2:
            a, b = node[fn]
            for x, y in ((a, b), (b, a)):
                if _is_intrinsic(x) == "Ref" and isinstance(x["Ref"], str):
                    found.setdefault(x["Ref"], set())
                    if isinstance(y, (str, int, float)) and not isinstance(y, bool):
                        found[x["Ref"]].add(str(y))
        if isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


# ------------------------------------------------------------------------------------ slicing
def _scan(node: Any) -> Tuple[Set[str], Set[str]]:
    """(names referenced by Ref / Fn::GetAtt / Fn::Sub, conditions named by Fn::If / Condition)
    anywhere in `node`.  Iterative: nesting depth is the loader's business, not a recursion limit."""
    names: Set[str] = set()
    conds: Set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(n)
            continue
        if not isinstance(n, Mapping):
            continue
        if len(n) == 1:
            ((k, v),) = n.items()
            if k == "Ref" and isinstance(v, str):
                names.add(v)
                continue
            if k == "Condition" and isinstance(v, str):
                conds.add(v)
                continue
            if k == "Fn::GetAtt":
                if isinstance(v, str):
                    names.add(v.split(".", 1)[0])
                    continue
                if isinstance(v, list) and v and isinstance(v[0], str):
                    names.add(v[0])
                    stack.extend(v[1:])
                    continue
            if k == "Fn::If" and isinstance(v, list) and v and isinstance(v[0], str):
                conds.add(v[0])
                stack.extend(v[1:])
                continue
            if k == "Fn::Sub":
                text, variables = (v[0], v[1]) if isinstance(v, list) and len(v) == 2 else (v, None)
                if isinstance(text, str):
                    local = variables if isinstance(variables, Mapping) else {}
                    for m in _SUB_RE.finditer(text):
                        name = m.group(1)
                        if name.startswith("!") or name in local:
                            continue
                        names.add(name.split(".", 1)[0] if "." in name else name)
                    if variables is not None:
                        stack.append(variables)
                    continue
        stack.extend(n.values())
    return names, conds


def _has_key(node: Any, key: str) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Mapping):
            if key in n:
                return True
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    return False


def _plain_reference(node: Any, resources: Mapping[str, Any]) -> bool:
    """Is `node` only references to template resources (a list of them, or Fn::If between them)?"""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(n)
            continue
        fn = _is_intrinsic(n)
        if fn == "Ref" and isinstance(n[fn], str) and (n[fn] in resources or n[fn] == "AWS::NoValue"):
            continue
        if fn == "Fn::GetAtt":
            v = n[fn]
            lid = v.split(".", 1)[0] if isinstance(v, str) else (v[0] if isinstance(v, list) and v else None)
            if isinstance(lid, str) and lid in resources:
                continue
        if fn == "Fn::If" and isinstance(n[fn], list) and len(n[fn]) == 3:
            stack.extend(n[fn][1:])
            continue
        return False
    return True


@dataclass
class Slice:
    """What the engine can read of a template: resources, the conditions that decide them
    (closed under references between conditions), and the parameters they read directly."""

    resources: FrozenSet[str]
    conditions: FrozenSet[str]
    params: FrozenSet[str]


def slice_template(template: Mapping[str, Any]) -> Slice:
    res = template.get("Resources")
    resources: Mapping[str, Any] = res if isinstance(res, Mapping) else {}
    prm = template.get("Parameters")
    parameters: Mapping[str, Any] = prm if isinstance(prm, Mapping) else {}
    cnd = template.get("Conditions")
    conditions: Mapping[str, Any] = cnd if isinstance(cnd, Mapping) else {}

    rtypes: Dict[str, str] = {}
    attached_to: Dict[str, List[str]] = {}
    queue: List[Tuple[str, bool]] = []  # (resource, are its properties read?)
    for lid, body in resources.items():
        if not isinstance(body, Mapping):
            continue
        rtype = body.get("Type") if isinstance(body.get("Type"), str) else ""
        rtypes[lid] = rtype
        props = body.get("Properties")
        if rtype in ROOT_TYPES or (rtype in SCHEDULED_TYPES and _has_key(props, "EcsParameters")):
            queue.append((lid, True))
        elif rtype in ATTACH_KEYS:
            key_value = props.get(ATTACH_KEYS[rtype]) if isinstance(props, Mapping) else None
            if rtype not in REFERENCE_ONLY_ATTACH and not _plain_reference(key_value, resources):
                queue.append((lid, True))  # attaches by name or by a value we cannot follow: keep it
            for target in _scan(key_value)[0]:  # what it attaches to is what its key names
                if target in resources:
                    attached_to.setdefault(target, []).append(lid)

    included: Set[str] = set()  # their presence (Condition) matters
    read: Set[str] = set()  # their properties matter too
    relevant: Set[str] = set()
    direct: Set[str] = set()
    while queue:
        lid, reads = queue.pop()
        if lid not in rtypes:
            continue
        body = resources[lid]
        if lid not in included:
            included.add(lid)
            if isinstance(body.get("Condition"), str) and body["Condition"] in conditions:
                relevant.add(body["Condition"])
            queue.extend((x, True) for x in attached_to.get(lid, ()) if x not in included)
        reads = reads and (rtypes[lid] in PROPERTY_READ_TYPES or lid in read or reads is _FORCED)
        if not reads or lid in read:
            continue
        read.add(lid)
        props = body.get("Properties")
        if not isinstance(props, Mapping):
            continue
        names, conds = _scan({k: v for k, v in props.items() if k not in UNREAD_KEYS})
        relevant.update(c for c in conds if c in conditions)
        direct.update(n for n in names if n in parameters and n not in resources)
        queue.extend((n, True) for n in names if n in resources and n != lid)
        # the adapter reads the properties of whatever a Cluster key names, whatever its type
        queue.extend((n, _FORCED) for n in _scan(props.get("Cluster"))[0] if n in resources and n != lid)

    pending = list(relevant)
    while pending:
        name = pending.pop()
        for c in _scan(conditions[name])[1]:
            if c in conditions and c not in relevant:
                relevant.add(c)
                pending.append(c)
    return Slice(frozenset(included), frozenset(relevant), frozenset(direct))


# ------------------------------------------------------------------------------------ covering
def _prod(values: Iterable[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _tuples(levels: Sequence[int], varying: Sequence[int], t: int) -> Optional[List[Tuple[int, ...]]]:
    """The groups of t varying variables, or None when their value combinations are too many."""
    if math.comb(len(varying), t) > _TUPLE_LIMIT:
        return None
    groups = list(itertools.combinations(varying, t))
    if sum(_prod(levels[i] for i in g) for g in groups) > _TUPLE_LIMIT:
        return None
    return groups


def _extend(levels: Sequence[int], t: int, groups: List[Tuple[int, ...]], rows: List[Tuple[int, ...]], limit: int, rng: random.Random) -> bool:
    """Add rows (AETG-style greedy) until every t-way combination of values is in one, or `limit`
    rows.  True when all are covered."""
    k = len(levels)
    varying = sorted({i for g in groups for i in g})
    uncovered: Set[Tuple[Tuple[int, ...], Tuple[int, ...]]] = set()
    for g in groups:
        for vals in itertools.product(*[range(levels[i]) for i in g]):
            uncovered.add((g, vals))
    seen = set(rows)
    for row in rows:
        uncovered.difference_update((g, tuple(row[i] for i in g)) for g in groups)
    order = sorted(uncovered)
    rng.shuffle(order)
    # candidates per row: each costs about max-level x C(k, t) look-ups
    candidates = max(2, min(_CANDIDATES, 20_000 // (max(levels) * math.comb(len(varying), t) + 1)))
    while uncovered and len(rows) < limit:
        while order and order[-1] not in uncovered:
            order.pop()
        best: Optional[Tuple[int, ...]] = None
        best_score = 0
        for c in range(candidates):
            g0, vals0 = order[-1] if c == 0 else order[rng.randrange(len(order))]
            if (g0, vals0) not in uncovered:
                continue
            fixed = dict(zip(g0, vals0))
            rest = [i for i in varying if i not in fixed]
            rng.shuffle(rest)
            for i in rest:
                partners = list(fixed)
                best_v, best_s = 0, -1.0
                for v in range(levels[i]):
                    s = 0
                    for others in itertools.combinations(partners, t - 1):
                        g = tuple(sorted(others + (i,)))
                        vals = tuple(v if x == i else fixed[x] for x in g)
                        if (g, vals) in uncovered:
                            s += 1
                    score = s + rng.random() * 0.5
                    if score > best_s:
                        best_v, best_s = v, score
                fixed[i] = best_v
            cand = tuple(fixed.get(i, 0) for i in range(k))
            if cand in seen:
                continue
            score = sum(1 for g in groups if (g, tuple(cand[i] for i in g)) in uncovered)
            if score > best_score:
                best, best_score = cand, score
        if best is None:
            break
        rows.append(best)
        seen.add(best)
        uncovered.difference_update((g, tuple(best[i] for i in g)) for g in groups)
    return not uncovered


def _binary_pairs(k: int) -> List[List[int]]:
    """A pairwise covering array for k two-valued variables with the fewest rows N: the all-zero
    row, then as columns distinct (N-1)-bit vectors of weight ceil(N/2); two of them always
    differ both ways and overlap (2 * ceil(N/2) > N - 1), so all four pairs appear."""
    n = 4
    while math.comb(n - 1, (n + 1) // 2) < k:
        n += 1
    rows = [[0] * k for _ in range(n)]
    for col, ones in enumerate(itertools.islice(itertools.combinations(range(1, n), (n + 1) // 2), k)):
        for r in ones:
            rows[r][col] = 1
    return rows


def covering_rows(levels: Sequence[int], limit: int, seed: int = 0) -> Tuple[List[Tuple[int, ...]], int]:
    """Up to `limit` distinct rows (a level index per variable) of the product of `levels`.

    All rows when the product fits.  Otherwise a greedy covering design that starts with the
    all-first row and reaches the highest strength the limit allows: every value of every variable
    in some row (strength 1) at the least, then every pair of values of two variables (2), every
    triple (3), then further rows.  Returns (rows, t): every t-way combination of values is in
    some row (t = len(levels) when all rows are there)."""
    k = len(levels)
    total = _prod(levels)
    if total <= limit:
        return list(itertools.product(*[range(n) for n in levels])), k
    rng = random.Random(seed)
    first = tuple(0 for _ in levels)
    varying = [i for i in range(k) if levels[i] > 1]
    strength = 0
    rows: List[Tuple[int, ...]] = [first]
    pairs = _tuples(levels, varying, 2) if len(varying) >= 2 else None
    attempt: List[Tuple[int, ...]] = [first]
    if pairs is not None and all(levels[i] == 2 for i in varying):
        for made in _binary_pairs(len(varying)):
            row = [0] * k
            for i, v in zip(varying, made):
                row[i] = v
            if tuple(row) not in attempt:
                attempt.append(tuple(row))
        ok = len(attempt) <= limit
    else:
        ok = pairs is not None and _extend(levels, 2, pairs, attempt, limit, rng)
    if ok:
        rows, strength = attempt, 2  # every pair fits: that covers every single value too
        triples = _tuples(levels, varying, 3) if len(varying) >= 3 else None
        if triples is not None and _extend(levels, 3, triples, rows, limit, rng):
            strength = 3
    else:
        singles = [(i,) for i in varying]
        if _extend(levels, 1, singles, rows, limit, rng):
            strength = 1
            if pairs is not None:
                _extend(levels, 2, pairs, rows, limit, rng)  # as many pairs as the limit allows
    # the rest: further distinct rows, in order when the product is small, else at random
    seen = set(rows)
    if len(rows) < limit:
        if total <= 1 << 16:
            for row in itertools.product(*[range(n) for n in levels]):
                if len(rows) >= limit:
                    break
                if row not in seen:
                    seen.add(row)
                    rows.append(row)
        else:
            for _ in range(limit * 20):
                if len(rows) >= limit:
                    break
                row = tuple(rng.randrange(n) for n in levels)
                if row not in seen:
                    seen.add(row)
                    rows.append(row)
    return rows, strength


# ------------------------------------------------------------------------------------ components
@dataclass
class Component:
    """Conditions linked through shared inputs, with the parameters they read."""

    conditions: List[str]
    params: List[str]
    valuations: List[Tuple[Tuple[Tuple[str, bool], ...], Tuple[Tuple[str, Any], ...]]] = field(default_factory=list)
    complete: bool = True  # every input combination was evaluated
    overflow_atoms: int = 0


def _simple_operand(node: Any, parameters: Mapping[str, Any]) -> bool:
    if isinstance(node, (str, int, float, bool)):
        return True
    if _is_intrinsic(node) == "Ref":
        name = node["Ref"]
        return isinstance(name, str) and (name in parameters or name in _KNOWN_PSEUDO)
    return False


def _condition_inputs(body: Any, parameters: Mapping[str, Any]) -> Tuple[Set[str], bool]:
    """(parameters a condition reads, whether it holds a comparison that may be undecidable)."""
    names, _ = _scan(body)
    opaque = False
    stack = [body]
    while stack:
        n = stack.pop()
        fn = _is_intrinsic(n)
        if fn == "Fn::Equals":
            args = n[fn]
            if not (isinstance(args, list) and len(args) == 2 and all(_simple_operand(a, parameters) for a in args)):
                opaque = True
        if isinstance(n, Mapping):
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    return {x for x in names if x in parameters}, opaque


def _simple_params(template: Mapping[str, Any], names: Iterable[str]) -> Dict[str, bool]:
    """Per parameter: is every use of it in these conditions `Fn::Equals [Ref P, literal]`?  Then
    values not among the literals all give the same condition values."""
    conds = template.get("Conditions")
    out: Dict[str, bool] = {}
    stack: List[Tuple[Any, bool]] = [(conds[n], False) for n in names if isinstance(conds, Mapping) and n in conds]
    while stack:
        n, in_equals = stack.pop()
        fn = _is_intrinsic(n)
        if fn == "Ref" and isinstance(n[fn], str):
            out.setdefault(n[fn], True)
            if not in_equals:
                out[n[fn]] = False
            continue
        if fn == "Fn::Equals" and isinstance(n[fn], list) and len(n[fn]) == 2:
            a, b = n[fn]
            for x, y in ((a, b), (b, a)):
                if _is_intrinsic(x) == "Ref":
                    ok = isinstance(y, (str, int, float)) and not isinstance(y, bool)
                    stack.append((x, ok))
                else:
                    stack.append((x, False))
            continue
        if isinstance(n, Mapping):
            stack.extend((v, False) for v in n.values())
        elif isinstance(n, list):
            stack.extend((v, False) for v in n)
    return out


def _explore_component(comp: Component, template: Mapping[str, Any], resolver_factory, domains: Mapping[str, List[Any]], direct: Set[str]) -> None:
    atoms: List[str] = []
    overflow: Set[str] = set()
    while True:
        inputs: List[Tuple[str, List[Any]]] = [(p, domains[p]) for p in comp.params] + [(a, [True, False]) for a in atoms]
        levels = [len(d) for _, d in inputs]
        rows, _t = covering_rows(levels, ENUM_LIMIT)
        seen: Dict[Any, None] = {}
        restart = False
        for row in rows:
            pvals = {p: domains[p][i] for (p, _), i in zip(inputs[: len(comp.params)], row)}
            avals = {a: (True, False)[i] for (a, _), i in zip(inputs[len(comp.params):], row[len(comp.params):])}
            factory = lambda extra, pv=pvals: resolver_factory({**pv, **extra})  # noqa: E731
            ev = ConditionEvaluator(template, factory, avals)
            valuation = tuple((c, ev.value(c)) for c in comp.conditions)
            new = [k for k in dict.fromkeys(ev.missing) if k not in avals and k not in overflow]
            if new:
                room = MAX_ATOMS - len(atoms)
                if room > 0:
                    atoms.extend(new[:room])
                    overflow.update(new[room:])
                    restart = True
                    break
                overflow.update(new)
            key = (valuation, tuple((p, pvals[p]) for p in comp.params if p in direct))
            seen.setdefault(key, None)
        if not restart:
            comp.valuations = list(seen)
            comp.complete = _prod(levels) <= ENUM_LIMIT and not overflow
            comp.overflow_atoms = len(overflow)
            return


# ------------------------------------------------------------------------------------ the plan
@dataclass
class Exploration:
    """The scenarios to analyse and, when they are not all there are, what was left out."""

    scenarios: List[Scenario]
    relevant: FrozenSet[str] = frozenset()
    total: Optional[int] = 1  # distinct scenarios; None: more than could be counted
    limit: int = MAX_SCENARIOS
    strength: int = 0  # every t-way combination of condition values was analysed
    unexplored_conditions: List[str] = field(default_factory=list)
    unexplored_params: List[str] = field(default_factory=list)
    uncounted_conditions: List[str] = field(default_factory=list)  # not every value may have been seen
    resources: int = 0  # what the network checks read of the template (the slice)

    @property
    def capped(self) -> bool:
        return self.total is None or self.total > len(self.scenarios)

    def unexplored_finding(self) -> Optional[Tuple[Tuple[Any, ...], str]]:
        """(path, message) of the IN9001 that says which combinations were not analysed."""
        if not self.capped:
            return None
        conds, params = self.unexplored_conditions, self.unexplored_params
        anchor: Tuple[Any, ...] = ("Conditions", conds[0]) if conds else ("Conditions",)
        n = len(self.scenarios)
        if self.total is None:
            total = "more combinations than could be counted"
        else:
            total = f"{self.total:,} combinations" if self.total < 10**9 else "over a billion combinations"
        why = (f"the limit is {MAX_SCENARIOS}" if self.limit >= MAX_SCENARIOS
               else f"the limit for a template whose network checks read {self.resources} resources is {self.limit}")
        covered = ""
        if self.strength >= 1 and not self.uncounted_conditions:
            covered = "; each condition was analysed with each of its values"
            if self.strength >= 2:
                covered += f", and every {('two', 'three')[min(self.strength, 3) - 2]} of them together"
        what = _names("condition", conds) + (f" (decided by {_names('parameter', params)})" if params else "")
        extra = ""
        if self.uncounted_conditions:
            extra = f"; {_names('condition', self.uncounted_conditions)} may not have been analysed with every value"
        message = (
            f"Could not verify the template under every combination of its conditions: of {total} that matter to the "
            f"network checks, {n} {'was' if n == 1 else 'were'} analysed ({why}){covered}{extra}, so a fault that needs "
            f"another combination of {what} was not looked for; supply parameter values (ecsnetpolicy check "
            f"--parameter NAME=VALUE, cfn-lint --parameters NAME=VALUE) to fix some of them."
        )
        return anchor, message


def _names(kind: str, names: Sequence[str]) -> str:
    shown = list(names[:_NAMES_SHOWN])
    more = len(names) - len(shown)
    if more:
        text = ", ".join(shown) + f" and {more} more"
    elif len(shown) > 1:
        text = ", ".join(shown[:-1]) + " and " + shown[-1]
    else:
        text = "".join(shown)
    return f"{kind}{'s' if len(names) > 1 else ''} {text}"


def scenario_limit(read: int) -> int:
    """How many scenarios a template whose checks read `read` resources may cost."""
    return min(MAX_SCENARIOS, max(MIN_SCENARIOS, WORK_BUDGET // max(1, read)))


def plan(template: Mapping[str, Any], resolver_factory, supplied: Mapping[str, Any], limit: Optional[int] = None) -> Exploration:
    """The scenarios to analyse (see the module docstring)."""
    conds = template.get("Conditions")
    if not isinstance(conds, Mapping) or not conds:
        return Exploration([Scenario({}, {})])
    prm = template.get("Parameters")
    parameters: Mapping[str, Any] = prm if isinstance(prm, Mapping) else {}
    sl = slice_template(template)
    n_resources = len(sl.resources)
    limit = scenario_limit(n_resources) if limit is None else limit
    order = {name: i for i, name in enumerate(conds)}
    relevant = sorted(sl.conditions, key=lambda n: order.get(n, 0))

    # the parameters to enumerate: those deciding relevant conditions, and those the sliced
    # resources read directly that some condition compares (their values are then explored too)
    rel_params = _condition_params(template, relevant)
    all_params = _condition_params(template)
    simple = _simple_params(template, relevant)
    domains: Dict[str, List[Any]] = {}
    collapsible: Dict[str, List[Any]] = {}
    for name in sorted(set(rel_params) | (set(all_params) & sl.params)):
        spec = parameters.get(name)
        if not isinstance(spec, Mapping) or name in supplied:
            continue
        if "Default" in spec and not str(spec.get("Type", "")).startswith("AWS::SSM::"):
            continue
        is_direct = name in sl.params
        is_simple = simple.get(name, True)  # only `Fn::Equals [Ref P, literal]` in relevant conditions
        literals = all_params.get(name, set()) if is_direct or not is_simple else rel_params.get(name, set())
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and allowed and all(isinstance(a, (str, int, float)) for a in allowed):
            values = list(dict.fromkeys(str(a) for a in allowed))
            hits = [v for v in values if v in literals]
            rest = [v for v in values if v not in literals]
            if is_simple and not is_direct:
                # the other values give the same condition values: one stands for them all
                values = [v for v in values if v in literals or v == rest[:1][0]] if rest else hits
            elif is_simple and len(rest) > 1:
                collapsible[name] = hits + [_OTHER]  # "any other allowed value", unknown to the resources
            domains[name] = values
        else:
            domains[name] = sorted(literals) + [_OTHER]

    # components: conditions linked by references, shared parameters, undecidable comparisons
    parent: Dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    for name in relevant:
        find("c:" + name)
        pnames, opaque = _condition_inputs(conds[name], parameters)
        for other in _scan(conds[name])[1]:
            if other in sl.conditions:
                union("c:" + name, "c:" + other)
        for p in pnames:
            union("c:" + name, "p:" + p)
        if opaque:
            union("c:" + name, "\x00atoms")
    for p in domains:
        find("p:" + p)
    members: Dict[str, Tuple[List[str], List[str]]] = {}
    for name in relevant:
        members.setdefault(find("c:" + name), ([], []))[0].append(name)
    for p in sorted(domains):
        members.setdefault(find("p:" + p), ([], []))[1].append(p)
    components = [Component(cs, ps) for cs, ps in members.values()]
    components.sort(key=lambda c: (order.get(c.conditions[0], 0) if c.conditions else len(order), c.params))

    direct = set(sl.params)

    def explore(comp: Component) -> None:
        _explore_component(comp, template, resolver_factory, domains, direct)

    for comp in components:
        explore(comp)
    total = _prod(len(c.valuations) for c in components)
    # too many: fold long AllowedValues lists of directly read parameters, longest first
    for name in sorted(collapsible, key=lambda p: -len(domains[p])):
        if total <= limit:
            break
        domains[name] = collapsible[name]
        for comp in components:
            if name in comp.params:
                explore(comp)
        total = _prod(len(c.valuations) for c in components)

    levels = [len(c.valuations) for c in components]
    rows, strength = covering_rows(levels, limit)
    scenarios: List[Scenario] = []
    for row in rows:
        cvals: Dict[str, bool] = {}
        pvals: Dict[str, Any] = {}
        for comp, i in zip(components, row):
            valuation, params = comp.valuations[i]
            cvals.update(valuation)
            pvals.update((p, v) for p, v in params if v != _OTHER)
        scenarios.append(Scenario(cvals, pvals))
    complete = all(c.complete for c in components)
    exploration = Exploration(scenarios, sl.conditions, total if complete else None, limit, strength, resources=n_resources)
    if exploration.capped:
        varying = [c for c in components if len(c.valuations) > 1 or not c.complete]
        exploration.unexplored_conditions = [n for c in varying for n in c.conditions]
        exploration.unexplored_params = sorted({p for c in varying for p in c.params})
        exploration.uncounted_conditions = [n for c in components if not c.complete for n in c.conditions]
    return exploration


def scenarios(template: Mapping[str, Any], resolver_factory, supplied: Mapping[str, Any]) -> List[Scenario]:
    """The scenarios :func:`plan` chooses (kept for callers of the old interface)."""
    return plan(template, resolver_factory, supplied).scenarios


def describe_scenarios(subset: Sequence[Scenario], all_scenarios: Sequence[Scenario]) -> str:
    """Words for "the scenarios in `subset`" among all: "when condition X is false"."""
    if len(subset) == len(all_scenarios):
        return ""
    parts = []
    names = sorted({n for s in all_scenarios for n in s.conditions})
    for name in names:
        values = {s.conditions.get(name) for s in subset}
        everywhere = {s.conditions.get(name) for s in all_scenarios}
        if len(values) == 1 and len(everywhere) > 1:
            parts.append(f"condition {name} is {'true' if values.pop() else 'false'}")
    if not parts:
        pnames = sorted({n for s in all_scenarios for n in s.params})
        for name in pnames:
            values = {s.params.get(name) for s in subset}
            if len(values) == 1 and None not in values:
                parts.append(f"parameter {name} is {values.pop()}")
    return ("when " + " and ".join(parts)) if parts else "in some condition combinations"

