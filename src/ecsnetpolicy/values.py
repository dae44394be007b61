"""Resolving CloudFormation values to what the engine can reason about.

Everything the template set cannot decide becomes an :class:`Unknown` that remembers why and
where, so that no error rests on it.  Written by hand: cfn-lint resolves intrinsics only inside
its own schema walk (and importing it is what the standalone path must avoid); no small library
evaluates CloudFormation intrinsics with conditions and unknowns.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Mapping
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

Path = Tuple[Any, ...]

PSEUDO_DEFAULTS = {
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


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

_SUB_RE = re.compile(r"\$\{([^}]*)\}")
_MAX_DEPTH = 64


def is_known(value: Any) -> bool:
    return not isinstance(value, (Unknown, Partial))


def first_unknown(value: Any) -> Optional[Unknown]:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Partial):
        return value.unknowns[0] if value.unknowns else Unknown("a value is not known")
    return None


def as_bool(value: Any, default: Any) -> Any:
    """CloudFormation booleans: true/false, "true"/"false" (any case).  Absent -> default."""
    if value is None or value is NOVALUE:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, (Unknown, Partial)):
        return first_unknown(value)
    return Unknown(f"{value!r} is not a boolean")


def as_network(value: Any) -> Any:
    """An IPv4/IPv6 network from a CIDR string, else Unknown."""
    if isinstance(value, str):
        try:
            return ipaddress.ip_network(value, strict=False)
        except ValueError:
            return Unknown(f"{value!r} is not a CIDR block")
    return first_unknown(value) or Unknown("the CIDR block is not known")


def _is_intrinsic(node: Any) -> Optional[str]:
    if isinstance(node, Mapping) and len(node) == 1:
        (key,) = node.keys()
        if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::") or key == "Condition"):
            return key
    return None


class Resolver:
    """Resolves values of one template under one scenario.

    `params` maps parameter names to supplied values (strings or lists); `scenario` gives the truth
    value of every condition.  Parameter values come from what the user supplied, else the
    parameter's default, else unknown.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        params: Optional[Mapping[str, Any]] = None,
        region: str = "us-east-1",
        stack_name: str = "stack",
        scenario: Optional[Mapping[str, bool]] = None,
    ):
        self.template = template
        self.region = region
        self.stack_name = stack_name
        self.supplied = dict(params or {})
        self.scenario = dict(scenario or {})
        res = template.get("Resources")
        self.resources: Mapping[str, Any] = res if isinstance(res, Mapping) else {}
        prm = template.get("Parameters")
        self.parameters: Mapping[str, Any] = prm if isinstance(prm, Mapping) else {}
        mp = template.get("Mappings")
        self.mappings: Mapping[str, Any] = mp if isinstance(mp, Mapping) else {}
        self._depth = 0
        self._getatt_hooks: Dict[str, Any] = {}

    # ----------------------------------------------------------------- conditions and presence
    def condition(self, name: Any) -> bool:
        """Truth of a named condition in this scenario (unnamed/unknown conditions: True)."""
        if isinstance(name, str):
            return self.scenario.get(name, True)
        return True

    def present(self, logical_id: str) -> bool:
        res = self.resources.get(logical_id)
        if not isinstance(res, Mapping):
            return False
        cond = res.get("Condition")
        return cond is None or self.condition(cond)

    def resource_type(self, logical_id: str) -> Optional[str]:
        res = self.resources.get(logical_id)
        if isinstance(res, Mapping) and isinstance(res.get("Type"), str):
            return res["Type"]
        return None

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        res = self.resources.get(logical_id)
        props = res.get("Properties") if isinstance(res, Mapping) else None
        return props if isinstance(props, Mapping) else {}

    # ----------------------------------------------------------------- parameters
    def parameter(self, name: str, path: Path) -> Any:
        spec = self.parameters.get(name)
        ptype = spec.get("Type", "String") if isinstance(spec, Mapping) else "String"
        if name in self.supplied:
            value = self.supplied[name]
        elif isinstance(spec, Mapping) and "Default" in spec and not str(ptype).startswith("AWS::SSM::"):
            value = spec["Default"]
        else:
            why = f"parameter {name} has no value"
            if str(ptype).startswith("AWS::SSM::"):
                why = f"parameter {name} is read from SSM at deploy time"
            return Unknown(why, path, f"supply it with --parameter {name}=VALUE (cfn-lint: --parameters {name}=VALUE)")
        is_list = isinstance(ptype, str) and (ptype.startswith("List<") or ptype == "CommaDelimitedList")
        if is_list:
            if isinstance(value, (list, tuple)):
                return [str(v) for v in value]
            if isinstance(value, str):
                return [] if value == "" else [v.strip() for v in value.split(",")]
            return Unknown(f"parameter {name} has a value of the wrong type", path)
        if isinstance(value, (list, tuple)):
            return ",".join(str(v) for v in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, str):
            return value
        return Unknown(f"parameter {name} has a value of the wrong type", path)

    # ----------------------------------------------------------------- resolution
    def resolve(self, node: Any, path: Path = ()) -> Any:
        """Resolve a template value: intrinsics evaluated, NoValue removed, unknowns marked."""
        if self._depth > _MAX_DEPTH:
            return Unknown("the value nests or refers to itself too deeply", path)
        self._depth += 1
        try:
            return self._resolve(node, tuple(path))
        finally:
            self._depth -= 1

    def _resolve(self, node: Any, path: Path) -> Any:
        fn = _is_intrinsic(node)
        if fn is not None:
            return self._intrinsic(fn, node[fn], path + (fn,))
        if isinstance(node, Mapping):
            out = {}
            for k, v in node.items():
                rv = self.resolve(v, path + (k,))
                if rv is not NOVALUE:
                    out[k] = rv
            return out
        if isinstance(node, list):
            out_list = []
            for i, v in enumerate(node):
                rv = self.resolve(v, path + (i,))
                if rv is not NOVALUE:
                    out_list.append(rv)
            return out_list
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, (int, float)):
            return node
        if isinstance(node, str):
            return str(node)
        return Unknown(f"unsupported value {type(node).__name__}", path)

    def items(self, node: Any, path: Path) -> Any:
        """Resolve a list-valued property keeping, for each item, the path it came from.

        Returns a list of (value, path) or an Unknown when the list itself is undecidable."""
        path = tuple(path)
        if self._depth > _MAX_DEPTH:
            return Unknown("the value nests or refers to itself too deeply", path)
        fn = _is_intrinsic(node)
        if fn == "Fn::If":
            branch = self._if_branch(node[fn], path + (fn,))
            if isinstance(branch, Unknown):
                return branch
            idx, sub = branch
            self._depth += 1
            try:
                return self.items(sub, path + (fn, idx))
            finally:
                self._depth -= 1
        if isinstance(node, list):
            out: List[Tuple[Any, Path]] = []
            for i, item in enumerate(node):
                ipath = path + (i,)
                if _is_intrinsic(item) == "Fn::If":
                    branch = self._if_branch(item["Fn::If"], ipath + ("Fn::If",))
                    if isinstance(branch, Unknown):
                        out.append((branch, ipath))
                        continue
                    idx, sub = branch
                    ipath = ipath + ("Fn::If", idx)
                    item = sub
                value = self.resolve(item, ipath)
                if value is NOVALUE:
                    continue
                if isinstance(value, list):  # e.g. a list parameter inside a list (invalid, but be lenient)
                    out.extend((v, ipath) for v in value)
                else:
                    out.append((value, ipath))
            return out
        value = self.resolve(node, path)
        if value is NOVALUE or value is None:
            return []
        if isinstance(value, list):
            return [(v, path) for v in value]
        if isinstance(value, (Unknown, Partial)):
            return first_unknown(value)
        return Unknown(f"expected a list, found {value!r}", path)

    def _if_branch(self, args: Any, path: Path) -> Any:
        if not (isinstance(args, list) and len(args) == 3 and isinstance(args[0], str)):
            return Unknown("malformed Fn::If", path)
        return (1, args[1]) if self.condition(args[0]) else (2, args[2])

    def _intrinsic(self, fn: str, args: Any, path: Path) -> Any:
        handler = getattr(self, "_fn_" + fn.replace("Fn::", "").replace("::", "_"), None)
        if handler is None:
            return Unknown(f"{fn} is not evaluated", path)
        try:
            return handler(args, path)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError) as exc:
            return Unknown(f"{fn} could not be evaluated ({exc.__class__.__name__})", path)

    def _fn_Ref(self, name: Any, path: Path) -> Any:
        if not isinstance(name, str):
            return Unknown("malformed Ref", path)
        if name == "AWS::NoValue":
            return NOVALUE
        if name == "AWS::Region":
            return self.region
        if name == "AWS::StackName":
            return self.stack_name
        if name in PSEUDO_DEFAULTS:
            return PSEUDO_DEFAULTS[name]
        if name.startswith("AWS::"):
            return Unknown(f"{name} is only known at deploy time", path)
        if name in self.parameters:
            return self.parameter(name, path)
        if name in self.resources:
            return ResRef(name)
        return Unknown(f"Ref to {name}, which this template does not define", path)

    def register_getatt(self, resource_type: str, handler: Any) -> None:
        """Let the model say what GetAtt of a resource type means (e.g. VPC CidrBlock)."""
        self._getatt_hooks[resource_type] = handler

    def _fn_GetAtt(self, args: Any, path: Path) -> Any:
        if isinstance(args, str):
            args = args.split(".", 1)
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)):
            return Unknown("malformed Fn::GetAtt", path)
        lid = args[0]
        attr = self.resolve(args[1], path + (1,))
        if not isinstance(attr, str):
            return Unknown(f"attribute of {lid} is not known", path)
        if lid not in self.resources:
            return Unknown(f"GetAtt of {lid}, which this template does not define", path)
        hook = self._getatt_hooks.get(self.resource_type(lid) or "")
        if hook is not None:
            value = hook(self, lid, attr, path)
            if value is not None:
                return value
        return ResAtt(lid, attr)

    def _fn_Sub(self, args: Any, path: Path) -> Any:
        variables: Mapping[str, Any] = {}
        if isinstance(args, list) and len(args) == 2 and isinstance(args[1], Mapping):
            text, variables = args[0], args[1]
        else:
            text = args
        if not isinstance(text, str):
            return Unknown("malformed Fn::Sub", path)
        pieces: List[str] = []
        unknowns: List[Unknown] = []
        pos = 0
        for m in _SUB_RE.finditer(text):
            pieces.append(text[pos : m.start()])
            pos = m.end()
            name = m.group(1)
            if name.startswith("!"):
                pieces.append("${" + name[1:] + "}")
                continue
            if name in variables:
                value = self.resolve(variables[name], path + (1, name))
            elif "." in name:
                res, attr = name.split(".", 1)
                value = self._fn_GetAtt([res, attr], path)
            else:
                value = self._fn_Ref(name, path)
            self._append_piece(value, pieces, unknowns, path, name)
        pieces.append(text[pos:])
        joined = "".join(pieces)
        return Partial(joined, tuple(unknowns)) if unknowns else joined

    def _append_piece(self, value: Any, pieces: List[str], unknowns: List[Unknown], path: Path, name: str) -> None:
        if isinstance(value, str):
            pieces.append(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            pieces.append(str(value))
        elif isinstance(value, Partial):
            pieces.append(value.text)
            unknowns.extend(value.unknowns)
        else:
            pieces.append(MARK)
            unknowns.append(value if isinstance(value, Unknown) else Unknown(f"{name} is only known at deploy time", path))

    def _fn_Join(self, args: Any, path: Path) -> Any:
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)):
            return Unknown("malformed Fn::Join", path)
        items = self.resolve(args[1], path + (1,))
        if not isinstance(items, list):
            return first_unknown(items) or Unknown("Fn::Join of a non-list", path)
        pieces: List[str] = []
        unknowns: List[Unknown] = []
        for i, item in enumerate(items):
            if i:
                pieces.append(args[0])
            self._append_piece(item, pieces, unknowns, path, "a joined value")
        joined = "".join(pieces)
        return Partial(joined, tuple(unknowns)) if unknowns else joined

    def _fn_Select(self, args: Any, path: Path) -> Any:
        if not (isinstance(args, list) and len(args) == 2):
            return Unknown("malformed Fn::Select", path)
        index = self.resolve(args[0], path + (0,))
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if not isinstance(index, int) or isinstance(index, bool):
            return first_unknown(index) or Unknown("Fn::Select index is not a number", path)
        seq = self.resolve(args[1], path + (1,))
        if isinstance(seq, AZList):
            return AZ(index)
        if isinstance(seq, list):
            if 0 <= index < len(seq):
                return seq[index]
            return Unknown(f"Fn::Select index {index} is out of range", path)
        return first_unknown(seq) or Unknown("Fn::Select of a non-list", path)

    def _fn_Split(self, args: Any, path: Path) -> Any:
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str) and args[0]):
            return Unknown("malformed Fn::Split", path)
        inner = args[1]
        if _is_intrinsic(inner) == "Fn::Join":
            jargs = inner["Fn::Join"]
            if isinstance(jargs, list) and len(jargs) == 2 and jargs[0] == args[0]:
                # Split of a Join with the same delimiter (a comma-joined export, say): the items
                items = self.resolve(jargs[1], path + (1, "Fn::Join", 1))
                if isinstance(items, list) and all(not isinstance(x, str) or args[0] not in x for x in items):
                    return items
        text = self.resolve(inner, path + (1,))
        if isinstance(text, str):
            return text.split(args[0])
        return first_unknown(text) or Unknown("Fn::Split of a non-string", path)

    def _fn_GetAZs(self, args: Any, path: Path) -> Any:
        region = self.resolve(args, path) if args not in ("", None) else self.region
        if region == "":
            region = self.region
        if isinstance(region, str):
            return AZList(region)
        return first_unknown(region) or Unknown("Fn::GetAZs region is not known", path)

    def _fn_If(self, args: Any, path: Path) -> Any:
        branch = self._if_branch(args, path)
        if isinstance(branch, Unknown):
            return branch
        idx, sub = branch
        return self.resolve(sub, path + (idx,))

    def _fn_FindInMap(self, args: Any, path: Path) -> Any:
        if not (isinstance(args, list) and len(args) in (3, 4)):
            return Unknown("malformed Fn::FindInMap", path)
        keys = [self.resolve(a, path + (i,)) for i, a in enumerate(args[:3])]
        default = None
        if len(args) == 4 and isinstance(args[3], Mapping) and "DefaultValue" in args[3]:
            default = args[3]["DefaultValue"]
        for k in keys:
            if not isinstance(k, str):
                return first_unknown(k) or Unknown("Fn::FindInMap key is not known", path)
        node: Any = self.mappings
        for k in keys:
            if isinstance(node, Mapping) and k in node:
                node = node[k]
            else:
                if default is not None:
                    return self.resolve(default, path + (3, "DefaultValue"))
                return Unknown(f"mapping {'/'.join(keys)} does not exist", path)
        return self.resolve(node, ("Mappings",) + tuple(keys))

    def _fn_ImportValue(self, args: Any, path: Path) -> Any:
        name = self.resolve(args, path)
        label = name if isinstance(name, str) else (name.text.replace(MARK, "*") if isinstance(name, Partial) else "?")
        meta = self.template.get("Metadata")
        stacks = meta.get("ecsnetpolicy:deployment") if isinstance(meta, Mapping) else None
        if isinstance(stacks, list):
            return Unknown(
                f"no template of the deployment ({', '.join(map(str, stacks))}) exports {label}",
                path,
                "check the export name, or pass the exporting template too",
            )
        return Unknown(
            f"Fn::ImportValue {label} comes from a template not given",
            path,
            "pass the exporting template too",
        )

    def _fn_Cidr(self, args: Any, path: Path) -> Any:
        # Fn::Cidr [ipBlock, count, cidrBits]: the first `count` subnets with `cidrBits` host bits.
        if not (isinstance(args, list) and len(args) == 3):
            return Unknown("malformed Fn::Cidr", path)
        block = as_network(self.resolve(args[0], path + (0,)))
        count = self.resolve(args[1], path + (1,))
        bits = self.resolve(args[2], path + (2,))
        try:
            count, bits = int(count), int(bits)
        except (TypeError, ValueError):
            return Unknown("Fn::Cidr count or size is not known", path)
        if isinstance(block, Unknown):
            return block
        if not 0 < count <= 256:
            return Unknown("Fn::Cidr count out of range", path)
        prefix = block.max_prefixlen - bits
        if prefix < block.prefixlen:
            return Unknown("Fn::Cidr size larger than the block", path)
        return [str(n) for n in itertools.islice(block.subnets(new_prefix=prefix), count)]


# ------------------------------------------------------------------------------------ scenarios
_OTHER = "\x00other"
MAX_SCENARIOS = 64


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


class Scenario(NamedTuple):
    conditions: Dict[str, bool]
    params: Dict[str, Any]


def _condition_params(template: Mapping[str, Any]) -> Dict[str, set]:
    """Parameters referenced in Conditions, with the literals they are compared against."""
    found: Dict[str, set] = {}

    def walk(node: Any) -> None:
        fn = _is_intrinsic(node)
        if fn == "Fn::Equals" and isinstance(node[fn], list) and len(node[fn]) == 2:
            a, b = node[fn]
            for x, y in ((a, b), (b, a)):
                if _is_intrinsic(x) == "Ref" and isinstance(x["Ref"], str):
                    found.setdefault(x["Ref"], set())
                    if isinstance(y, (str, int, float)) and not isinstance(y, bool):
                        found[x["Ref"]].add(str(y))
        if isinstance(node, Mapping):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(template.get("Conditions"))
    return found


def scenarios(template: Mapping[str, Any], resolver_factory, supplied: Mapping[str, Any]) -> List[Scenario]:
    """All distinct condition valuations the template can be deployed under.

    Parameters that decide conditions but have no value range over their AllowedValues, else over
    the literals they are compared with plus "anything else"; comparisons that cannot be decided
    at all (imports, deploy-time values) are free booleans.  Capped at MAX_SCENARIOS."""
    conds = template.get("Conditions")
    if not isinstance(conds, Mapping) or not conds:
        return [Scenario({}, {})]
    params = template.get("Parameters") if isinstance(template.get("Parameters"), Mapping) else {}
    domains: List[Tuple[str, List[str]]] = []
    for name, literals in sorted(_condition_params(template).items()):
        spec = params.get(name)
        if not isinstance(spec, Mapping) or name in supplied:
            continue
        if "Default" in spec and not str(spec.get("Type", "")).startswith("AWS::SSM::"):
            continue
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and allowed and all(isinstance(a, (str, int, float)) for a in allowed):
            domains.append((name, [str(a) for a in allowed]))
        else:
            domains.append((name, sorted(literals) + [_OTHER]))
    atom_keys: List[str] = []
    seen: Dict[Tuple, Scenario] = {}
    pending = True
    while pending:
        pending = False
        seen.clear()
        combos = itertools.product(*[d for _, d in domains]) if domains else [()]
        for combo in itertools.islice(combos, MAX_SCENARIOS):
            pvals = {name: val for (name, _), val in zip(domains, combo)}
            for bits in itertools.islice(itertools.product([True, False], repeat=len(atom_keys)), MAX_SCENARIOS):
                atoms = dict(zip(atom_keys, bits))
                factory = lambda extra, pv=pvals: resolver_factory({**pv, **extra})  # noqa: E731
                ev = ConditionEvaluator(template, factory, atoms)
                valuation = {name: ev.value(name) for name in conds}
                new = [k for k in ev.missing if k not in atom_keys]
                if new and len(atom_keys) < 6:
                    atom_keys.extend(dict.fromkeys(new))
                    pending = True
                    break
                key = (tuple(sorted(valuation.items())), tuple(sorted((k, v) for k, v in pvals.items() if v != _OTHER)))
                if key not in seen:
                    seen[key] = Scenario(valuation, {k: v for k, v in pvals.items() if v != _OTHER})
                if len(seen) >= MAX_SCENARIOS:
                    break
            if pending or len(seen) >= MAX_SCENARIOS:
                break
    return list(seen.values())


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
