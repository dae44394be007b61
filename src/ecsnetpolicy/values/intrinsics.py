"""The Resolver: the values of one template under one scenario, its intrinsic functions (Ref,
Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If, Fn::FindInMap, Fn::Select, Fn::Split, ...) evaluated.

Everything the template set cannot decide becomes an :class:`Unknown` that remembers why and
where, so that no error rests on it.  Written by hand: cfn-lint resolves intrinsics only inside
its own schema walk (and importing it is what the standalone path must avoid); no small library
evaluates CloudFormation intrinsics with conditions and unknowns.

Resolving is bounded (budget.py): past a bound the value is an Unknown with its path, never an
exception, a hang or a gigabyte.  Mapping values and GetAtt meanings are memoised per resolver, so
a value that refers to the same mapping entry or attribute many times over is evaluated once, not
exponentially.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Set, Tuple

from .budget import _CHARS_PER_STEP, _MAX_DEPTH, MAX_LIST, MAX_STRING, Budget
from .convert import as_int, as_network
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
    ResRef,
    Unknown,
    excerpt,
    first_unknown,
    short_name,
)

# the key load/deployment.py marks a nested stack's unpassed parameter with (values sits below load)
NESTED_PARAMETER = "ecsnetpolicy:nested"

PSEUDO_DEFAULTS = {
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


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
    parameter's default, else unknown.  `budget` bounds the work (a fresh one when not given).
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        params: Optional[Mapping[str, Any]] = None,
        region: str = "us-east-1",
        stack_name: str = "stack",
        scenario: Optional[Mapping[str, bool]] = None,
        budget: Optional[Budget] = None,
        account: Any = None,
    ):
        self.template = template
        # the AWS account snapshot (plain data: exports, ssm_parameters, stacks, has(kind)) when given
        self.account = account
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
        self.budget = budget if budget is not None else Budget()
        self._depth = 0
        self._getatt_hooks: Dict[str, Any] = {}
        # memos: what a mapping entry, a GetAtt or a parameter resolves to does not depend on
        # where it is used, so each is evaluated once per resolver (and a cycle is caught)
        self._mapping_memo: Dict[Tuple[str, ...], Any] = {}
        self._getatt_memo: Dict[Tuple[Any, ...], Any] = {}
        self._param_memo: Dict[str, Any] = {}
        self._active: Set[Tuple[Any, ...]] = set()

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

    # ----------------------------------------------------------------- bounds
    def _spend(self, steps: int, path: Path) -> Optional[Unknown]:
        """Take `steps` from the template's budget; an Unknown once it is spent."""
        budget = self.budget
        budget.left -= steps
        if budget.left < 0:
            return Unknown(TOO_COSTLY, path, COSTLY_HINT)
        return None

    def _built(self, pieces: List[str], size: int, path: Path, unknowns: List[Unknown]) -> Any:
        """The string (or Partial) made of `pieces`, `size` characters long, within the bounds."""
        if size > MAX_STRING:
            return Unknown(f"{TOO_LARGE} (a string over {MAX_STRING // (1024 * 1024)} MB)", path, LARGE_HINT)
        spent = self._spend(size // _CHARS_PER_STEP, path)
        if spent is not None:
            return spent
        joined = "".join(pieces)
        return Partial(joined, tuple(unknowns)) if unknowns else joined

    # ----------------------------------------------------------------- parameters
    def parameter(self, name: str, path: Path) -> Any:
        """The value of parameter `name` (a string or a list of strings), or an Unknown at `path`.
        Memoised per name: a long value referenced many times is read once."""
        if name not in self._param_memo:
            self._param_memo[name] = self._parameter(name, path)
        value = self._param_memo[name]
        if isinstance(value, Unknown):
            return value if value.path == tuple(path) else Unknown(value.why, path, value.hint)
        return list(value) if isinstance(value, list) else value

    def _parameter(self, name: str, path: Path) -> Any:
        spec = self.parameters.get(name)
        ptype = spec.get("Type", "String") if isinstance(spec, Mapping) else "String"
        ssm_name = spec.get("Default") if isinstance(spec, Mapping) and str(ptype).startswith("AWS::SSM::") else None
        if name in self.supplied:
            value = self.supplied[name]
        elif isinstance(spec, Mapping) and "Default" in spec and not str(ptype).startswith("AWS::SSM::"):
            value = spec["Default"]
        elif self.account is not None and isinstance(ssm_name, str) and self.account.has("ssm_parameters"):
            found = (self.account.ssm_parameters or {}).get(ssm_name)
            if found is None:
                return Unknown(
                    f"parameter {name} is read from SSM parameter {short_name(ssm_name)}, which is not in the account snapshot",
                    path,
                    f"add SSM parameter {short_name(ssm_name)} to the snapshot (aws ssm get-parameters --names {short_name(ssm_name)}), or supply it with --parameter {name}=VALUE",
                )
            value = found
        else:
            nested = spec.get(NESTED_PARAMETER) if isinstance(spec, Mapping) else None
            if isinstance(nested, Mapping):  # a nested stack's parameter that its parent does not pass
                own, lid = short_name(str(nested.get("name"))), short_name(str(nested.get("stack")))
                return Unknown(
                    f"parameter {own} of nested stack {lid} has no value",
                    path,
                    f"pass {own} in the Parameters of nested stack {lid} in {nested.get('parent')}, or give it a Default in {nested.get('child')}",
                )
            why = f"parameter {name} has no value"
            if str(ptype).startswith("AWS::SSM::"):
                why = f"parameter {name} is read from SSM at deploy time"
            return Unknown(why, path, f"supply it with --parameter {name}=VALUE (cfn-lint: --parameters {name}=VALUE)")
        too_large = Unknown(f"{TOO_LARGE} (parameter {name} is too long)", path, LARGE_HINT)
        # an SSM-typed parameter's value has the type inside the brackets (List<...> comes comma-joined)
        inner = ptype[len("AWS::SSM::Parameter::Value<"):-1] if isinstance(ptype, str) and ptype.startswith("AWS::SSM::Parameter::Value<") else ptype
        is_list = isinstance(inner, str) and (inner.startswith("List<") or inner == "CommaDelimitedList")
        if is_list:
            if isinstance(value, (list, tuple)):
                if len(value) > MAX_LIST:
                    return too_large
                items = [_scalar_text(v) for v in value]
                return items if all(isinstance(v, str) for v in items) else Unknown(f"parameter {name} has a value of the wrong type", path)
            if isinstance(value, str):
                if len(value) > MAX_STRING or value.count(",") >= MAX_LIST:
                    return too_large
                return [] if value == "" else [v.strip() for v in value.split(",")]
            return Unknown(f"parameter {name} has a value of the wrong type", path)
        if isinstance(value, (list, tuple)):
            if len(value) > MAX_LIST:
                return too_large
            items = [_scalar_text(v) for v in value]
            if not all(isinstance(v, str) for v in items):
                return Unknown(f"parameter {name} has a value of the wrong type", path)
            value = ",".join(items)
        elif isinstance(value, (bool, int, float)):
            value = _scalar_text(value)
        if isinstance(value, str):
            return value if len(value) <= MAX_STRING else too_large
        return Unknown(f"parameter {name} has a value of the wrong type", path)

    # ----------------------------------------------------------------- resolution
    def resolve(self, node: Any, path: Path = ()) -> Any:
        """Resolve a template value: intrinsics evaluated, NoValue removed, unknowns marked."""
        if self._depth > _MAX_DEPTH:
            return Unknown("the value nests or refers to itself too deeply", path)
        budget = self.budget
        budget.left -= 1
        if budget.left < 0:
            return Unknown(TOO_COSTLY, tuple(path), COSTLY_HINT)
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
            if len(node) > MAX_LIST:
                return Unknown(f"{TOO_LARGE} (a mapping of over {MAX_LIST:,} keys)", path, LARGE_HINT)
            out = {}
            for k, v in node.items():
                rv = self.resolve(v, path + (k,))
                if rv is not NOVALUE:
                    out[k] = rv
            return out
        if isinstance(node, list):
            if len(node) > MAX_LIST:
                return Unknown(f"{TOO_LARGE} (a list of over {MAX_LIST:,} items)", path, LARGE_HINT)
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
            if len(node) > MAX_STRING:
                return Unknown(f"{TOO_LARGE} (a string over {MAX_STRING // (1024 * 1024)} MB)", path, LARGE_HINT)
            return str(node)
        return Unknown(f"unsupported value {type(node).__name__}", path)

    def items(self, node: Any, path: Path) -> Any:
        """Resolve a list-valued property keeping, for each item, the path it came from.

        Returns a list of (value, path) or an Unknown when the list itself is undecidable."""
        path = tuple(path)
        if self._depth > _MAX_DEPTH:
            return Unknown("the value nests or refers to itself too deeply", path)
        spent = self._spend(1, path)
        if spent is not None:
            return spent
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
            if len(node) > MAX_LIST:
                return Unknown(f"{TOO_LARGE} (a list of over {MAX_LIST:,} items)", path, LARGE_HINT)
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
                if len(out) > MAX_LIST:
                    return Unknown(f"{TOO_LARGE} (a list of over {MAX_LIST:,} items)", path, LARGE_HINT)
            return out
        value = self.resolve(node, path)
        if value is NOVALUE or value is None:
            return []
        if isinstance(value, list):
            return [(v, path) for v in value]
        if isinstance(value, (Unknown, Partial)):
            return first_unknown(value)
        return Unknown(f"expected a list, found {excerpt(value)}", path)

    def _if_branch(self, args: Any, path: Path) -> Any:
        if not (isinstance(args, list) and len(args) == 3 and isinstance(args[0], str)):
            return Unknown("malformed Fn::If", path)
        return (1, args[1]) if self.condition(args[0]) else (2, args[2])

    def _intrinsic(self, fn: str, args: Any, path: Path) -> Any:
        handler = getattr(self, "_fn_" + fn.replace("Fn::", "").replace("::", "_"), None)
        if handler is None:
            return Unknown(f"{short_name(fn)} is not evaluated", path)
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
            return Unknown(f"{short_name(name)} is only known at deploy time", path)
        if name in self.parameters:
            return self.parameter(name, path)
        if name in self.resources:
            return ResRef(name)
        return Unknown(f"Ref to {short_name(name)}, which this template does not define", path)

    def register_getatt(self, resource_type: str, handler: Any) -> None:
        """Let the adapter say what GetAtt of a resource type means (e.g. VPC CidrBlock)."""
        self._getatt_hooks[resource_type] = handler

    def _fn_GetAtt(self, args: Any, path: Path) -> Any:
        if isinstance(args, str):
            args = args.split(".", 1)
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)):
            return Unknown("malformed Fn::GetAtt", path)
        lid = args[0]
        attr = self.resolve(args[1], path + (1,))
        if not isinstance(attr, str):
            return Unknown(f"attribute of {short_name(lid)} is not known", path)
        if lid not in self.resources:
            return Unknown(f"GetAtt of {short_name(lid)}, which this template does not define", path)
        hook = self._getatt_hooks.get(self.resource_type(lid) or "")
        if hook is not None:
            key = ("GetAtt", lid, attr, path)
            if key in self._getatt_memo:
                return self._getatt_memo[key]
            active = ("GetAtt", lid, attr)
            if active in self._active:
                return Unknown(f"attribute {short_name(attr)} of {lid} refers to itself", path)
            self._active.add(active)
            try:
                value = hook(self, lid, attr, path)
            finally:
                self._active.discard(active)
            self._getatt_memo[key] = value
            if value is not None:
                return value
        if attr.startswith("Outputs.") and self.account is not None and self.resource_type(lid) == "AWS::CloudFormation::Stack":
            found = self._nested_output(lid, attr[len("Outputs."):])
            if found is not None:
                return found
        return ResAtt(lid, attr)

    def _nested_output(self, lid: str, output: str) -> Any:
        """An output of nested stack `lid` whose template is not loaded, from the account snapshot:
        CloudFormation names a nested stack "<parent stack>-<logical ID>-<suffix>", so exactly one
        snapshot stack of that prefix is it.  None when the snapshot cannot say (the reference then
        stays unknown, as without an account)."""
        if not self.account.has("stacks"):
            return None
        prefix = f"{self.stack_name}-{lid}-"
        matches = [name for name in (self.account.stacks or {}) if isinstance(name, str) and name.startswith(prefix)]
        if len(matches) != 1:
            return None
        found = ((self.account.stacks or {}).get(matches[0]) or {}).get("Outputs", {}).get(output)
        return found if isinstance(found, str) else None

    def _fn_Sub(self, args: Any, path: Path) -> Any:
        variables: Mapping[str, Any] = {}
        if isinstance(args, list) and len(args) == 2 and isinstance(args[1], Mapping):
            text, variables = args[0], args[1]
        else:
            text = args
        if not isinstance(text, str):
            return Unknown("malformed Fn::Sub", path)
        if len(text) > MAX_STRING:
            return Unknown(f"{TOO_LARGE} (a string over {MAX_STRING // (1024 * 1024)} MB)", path, LARGE_HINT)
        pieces: List[str] = []
        unknowns: List[Unknown] = []
        size = 0
        pos = 0
        while True:
            # "${name}": found with str.find, linear in the text (a regex backtracks on "${${${...")
            start = text.find("${", pos)
            end = text.find("}", start + 2) if start >= 0 else -1
            if end < 0:
                break
            pieces.append(text[pos:start])
            size += len(pieces[-1])
            pos = end + 1
            name = text[start + 2 : end]
            if name.startswith("!"):
                pieces.append("${" + name[1:] + "}")
            else:
                if name in variables:
                    value = self.resolve(variables[name], path + (1, name))
                elif "." in name:
                    res, attr = name.split(".", 1)
                    value = self._fn_GetAtt([res, attr], path)
                else:
                    value = self._fn_Ref(name, path)
                self._append_piece(value, pieces, unknowns, path, name)
            size += len(pieces[-1])
            if size > MAX_STRING:
                return Unknown(f"{TOO_LARGE} (a string over {MAX_STRING // (1024 * 1024)} MB)", path, LARGE_HINT)
        pieces.append(text[pos:])
        return self._built(pieces, size + len(pieces[-1]), path, unknowns)

    def _append_piece(self, value: Any, pieces: List[str], unknowns: List[Unknown], path: Path, name: str) -> None:
        """Append exactly one piece for `value` (a MARK for an unknown one)."""
        if isinstance(value, str):
            pieces.append(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = _scalar_text(value)
            if isinstance(text, str):
                pieces.append(text)
            else:
                pieces.append(MARK)
                unknowns.append(Unknown(f"{short_name(name)} is {excerpt(value)}", path))
        elif isinstance(value, Partial):
            pieces.append(value.text)
            unknowns.extend(value.unknowns)
        else:
            pieces.append(MARK)
            unknowns.append(value if isinstance(value, Unknown) else Unknown(f"{short_name(name)} is only known at deploy time", path))

    def _fn_Join(self, args: Any, path: Path) -> Any:
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)):
            return Unknown("malformed Fn::Join", path)
        return self._join(args[0], self.resolve(args[1], path + (1,)), path)

    def _join(self, delimiter: str, items: Any, path: Path) -> Any:
        """Fn::Join of already resolved items, within MAX_STRING."""
        if not isinstance(items, list):
            return first_unknown(items) or Unknown("Fn::Join of a non-list", path)
        pieces: List[str] = []
        unknowns: List[Unknown] = []
        size = 0
        for i, item in enumerate(items):
            if i:
                pieces.append(delimiter)
                size += len(delimiter)
            self._append_piece(item, pieces, unknowns, path, "a joined value")
            size += len(pieces[-1])
            if size > MAX_STRING:
                return Unknown(f"{TOO_LARGE} (a string over {MAX_STRING // (1024 * 1024)} MB)", path, LARGE_HINT)
        return self._built(pieces, size, path, unknowns)

    def _fn_Select(self, args: Any, path: Path) -> Any:
        if not (isinstance(args, list) and len(args) == 2):
            return Unknown("malformed Fn::Select", path)
        index = self.resolve(args[0], path + (0,))
        if isinstance(index, (Unknown, Partial)):
            return first_unknown(index)
        index = as_int(index, path, "the Fn::Select index")
        if isinstance(index, Unknown):
            return index
        seq = self.resolve(args[1], path + (1,))
        if isinstance(seq, AZList):
            if index < 0:
                return Unknown(f"Fn::Select index {index} is out of range", path)
            return AZ(index)
        if isinstance(seq, list):
            if 0 <= index < len(seq):
                return seq[index]
            return Unknown(f"Fn::Select index {index} is out of range", path)
        return first_unknown(seq) or Unknown("Fn::Select of a non-list", path)

    def _fn_Split(self, args: Any, path: Path) -> Any:
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str) and args[0]):
            return Unknown("malformed Fn::Split", path)
        delimiter, inner = args
        jargs = inner["Fn::Join"] if _is_intrinsic(inner) == "Fn::Join" else None
        if isinstance(jargs, list) and len(jargs) == 2 and jargs[0] == delimiter:
            # Split of a Join with the same delimiter (a comma-joined export, say): the items.  The
            # Join's items are resolved once, whichever way it goes (twice per level would make
            # nested Split/Join exponential).
            items = self.resolve(jargs[1], path + (1, "Fn::Join", 1))
            if isinstance(items, list) and all(not isinstance(x, str) or delimiter not in x for x in items):
                return items
            text = self._join(delimiter, items, path + (1, "Fn::Join"))
        else:
            text = self.resolve(inner, path + (1,))
        if isinstance(text, (ResRef, ResAtt)):
            return [text]  # a resource's ID holds no delimiter: one item
        if isinstance(text, str):
            if text.count(delimiter) >= MAX_LIST:
                return Unknown(f"{TOO_LARGE} (a list of over {MAX_LIST:,} items)", path, LARGE_HINT)
            return text.split(delimiter)
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
                return Unknown(f"mapping {short_name('/'.join(keys))} does not exist", path)
        # The entry's value, at its own path: the same wherever it is used, so evaluated once.
        key = ("Mappings",) + tuple(keys)
        if key in self._mapping_memo:
            return self._mapping_memo[key]
        if key in self._active:
            return Unknown(f"mapping {short_name('/'.join(keys))} refers to itself", key)
        self._active.add(key)
        try:
            value = self.resolve(node, key)
        finally:
            self._active.discard(key)
        self._mapping_memo[key] = value
        return value

    def _fn_ImportValue(self, args: Any, path: Path) -> Any:
        name = self.resolve(args, path)
        label = name if isinstance(name, str) else (name.text.replace(MARK, "*") if isinstance(name, Partial) else "?")
        label = short_name(label)
        meta = self.template.get("Metadata")
        stacks = meta.get("ecsnetpolicy:deployment") if isinstance(meta, Mapping) else None
        account = self.account
        if account is not None and isinstance(name, str) and account.has("exports"):
            exported = (account.exports or {}).get(name)
            if isinstance(exported, str):
                return exported
            return Unknown(
                f"Fn::ImportValue {label} is exported neither by a template given nor in the account snapshot",
                path,
                "check the export name, or take the snapshot again (aws cloudformation list-exports)",
            )
        ambiguous = meta.get("ecsnetpolicy:ambiguous-exports") if isinstance(meta, Mapping) else None
        if isinstance(ambiguous, Mapping) and isinstance(name, str) and name in ambiguous:
            files = [str(f) for f in ambiguous[name]]
            return Unknown(
                f"{label} is exported by {len(files)} templates ({', '.join(files)}), which are different environments "
                f"(an export name is unique per account and region), and which one this stack deploys with cannot be told",
                path,
                "check each environment's folder on its own, or list the stacks of one deployment in .ecsnetpolicy.yaml",
            )
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

    def _fn_GetStackOutput(self, args: Any, path: Path) -> Any:
        """Fn::GetStackOutput {StackName, OutputName[, Region, RoleArn]}: an output of another stack,
        read from the account snapshot's Stacks (describe-stacks) when one is given.  (Outputs of
        nested stacks whose template is not loaded: _nested_output.)"""
        if isinstance(args, list) and len(args) >= 2:
            stack, output = self.resolve(args[0], path + (0,)), self.resolve(args[1], path + (1,))
        elif isinstance(args, Mapping):
            stack, output = self.resolve(args.get("StackName"), path + ("StackName",)), self.resolve(args.get("OutputName"), path + ("OutputName",))
        else:
            return Unknown("malformed Fn::GetStackOutput", path)
        if not (isinstance(stack, str) and isinstance(output, str)):
            return first_unknown([stack, output]) or Unknown("the stack or output of Fn::GetStackOutput is not known", path)
        if self.account is None:
            # a stack of the template set is read by the merge (load/deployment.py): this one is not in it
            return Unknown(
                f"Fn::GetStackOutput reads output {short_name(output)} of stack {short_name(stack)}, which is not in the template set",
                path,
                f"pass that stack's template too (named {short_name(stack)}: its file name, or its name under stacks: in .ecsnetpolicy.yaml), "
                "or an account snapshot holding its outputs (ecsnetpolicy check --aws-snapshot DIR)",
            )
        if not self.account.has("stacks"):
            return Unknown(f"output {short_name(output)} of stack {short_name(stack)} is not in the snapshot, which holds no stacks", path,
                           "add the output of `aws cloudformation describe-stacks --output json` to the snapshot directory")
        found = ((self.account.stacks or {}).get(stack) or {}).get("Outputs", {}).get(output)
        if isinstance(found, str):
            return found
        return Unknown(f"stack {short_name(stack)} has no output {short_name(output)} in the account snapshot", path, "check the stack and output names")

    def _fn_Cidr(self, args: Any, path: Path) -> Any:
        # Fn::Cidr [ipBlock, count, cidrBits]: the first `count` subnets with `cidrBits` host bits.
        if not (isinstance(args, list) and len(args) == 3):
            return Unknown("malformed Fn::Cidr", path)
        block = as_network(self.resolve(args[0], path + (0,)), path + (0,))
        count = as_int(self.resolve(args[1], path + (1,)), path + (1,), "the Fn::Cidr count", 1, 256)
        if isinstance(count, Unknown):
            return count
        bits = as_int(self.resolve(args[2], path + (2,)), path + (2,), "the Fn::Cidr size", 0, 128)
        if isinstance(bits, Unknown):
            return bits
        if isinstance(block, Unknown):
            return block
        prefix = block.max_prefixlen - bits
        if prefix < block.prefixlen:
            return Unknown("Fn::Cidr size larger than the block", path)
        return [str(n) for n in itertools.islice(block.subnets(new_prefix=prefix), count)]


def _scalar_text(value: Any) -> Any:
    """How CloudFormation writes a scalar parameter value as text; an int too large for str()
    (over 4,300 digits) is returned as is (the caller says it is unknown)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:
            return value
    return str(value)
