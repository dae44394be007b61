"""Whole deployments: several templates judged as one.

The engine reasons about one template.  A deployment (a network stack exporting what service
stacks import, parents nesting children) is therefore *merged* into one template: each stack's
names (resources, parameters, conditions, mappings) are kept, qualified as `Name@stack` only where
two stacks use the same name; `Fn::ImportValue` of an export some stack declares is replaced by
that export's value; a nested stack's parameters are replaced by what its parent passes and
`Fn::GetAtt Child.Outputs.X` by the child's output.  Findings come back with their path translated
to the file and logical ID the user must edit.

Written by hand: no library resolves CloudFormation exports and nested stacks statically.

Nested stacks are bounded: a local TemplateURL / SAM Location is read only inside the folder of
the template that names it or its repository (unless ALLOW_OUTSIDE / allow_outside), each file is
loaded once (by real path), a template that nests itself (directly or through a cycle) and a
deployment of more than MAX_STACKS stacks or MAX_NESTING_DEPTH levels are refused with a
DeploymentError (one line).  A child that is refused or cannot be loaded is left unknown and
reported as IN9001 on its TemplateURL (`Merged.unloaded`, `unloaded_raws`), never silently dropped.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..findings import Raw
from ..phrasing import safe
from ..values import Partial, Resolver, Unknown
from ..values.intrinsics import NESTED_PARAMETER
from .files import excerpt, file_problem, resolve_inside

_SUB_RE = re.compile(r"\$\{([^}!$][^}$]*)\}")  # no "$" inside: linear on "${${${..."
NESTED_TYPES = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")
# Limits of one deployment: stacks (top-level and nested together) and levels of nesting.
MAX_STACKS = 100
MAX_NESTING_DEPTH = 5
# ... and template bytes, summed over the stacks (a file nested twice counts twice): the engine
# takes about 2.5 s on 1 MB of dense security-group rules and more than linearly on merges.
MAX_DEPLOYMENT_BYTES = 2 * 1024 * 1024
# Local TemplateURLs may lead outside the template's folder and repository (the command's
# --allow-outside sets this; merge(..., allow_outside=True) does it for one call).
ALLOW_OUTSIDE = False
_ALLOW_HINT = "pass --allow-outside to ecsnetpolicy check, or set allow_paths_outside: true in .ecsnetpolicy.yaml, to load it"


class DeploymentError(Exception):
    """A set of templates that cannot be judged as one deployment (a stack that nests itself,
    more stacks or levels than the limits); str() is one line."""

    def __init__(self, message: str):
        super().__init__(safe(message, 1000))


@dataclass
class Stack:
    name: str
    filename: str
    template: Mapping[str, Any]
    params: Dict[str, Any] = field(default_factory=dict)
    parent: Optional[Tuple["Stack", str]] = None  # (parent stack, logical id of the nested-stack resource)
    tag: str = ""
    # a nested stack's parameters as its parent passes them, where they resolve to plain values:
    # its own TemplateURLs and export names are read with them (never replacing `params`)
    passed: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tag = re.sub(r"[^A-Za-z0-9-]", "-", self.name) or "stack"


@dataclass
class Merged:
    template: Dict[str, Any]
    # merged name -> (stack, original name), per section
    origin: Dict[Tuple[str, str], Tuple[Stack, str]]
    stacks: List[Stack]
    missing_exports: Dict[str, str]
    # nested stacks left unknown: (stack, path of its TemplateURL/Location in that stack, why, hint)
    unloaded: List[Tuple[Stack, Tuple[Any, ...], str, str]] = field(default_factory=list)

    def translate(self, path: Sequence[Any]) -> Tuple[Optional[Stack], Tuple[Any, ...]]:
        """(stack, path in that stack's own template) for a path in the merged template."""
        path = tuple(path)
        if len(path) >= 2 and isinstance(path[1], str):
            hit = self.origin.get((path[0], path[1]))
            if hit is not None:
                return hit[0], (path[0], hit[1]) + path[2:]
        return (self.stacks[0] if self.stacks else None), path


def _section(t: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    v = t.get(key)
    return v if isinstance(v, Mapping) else {}


def _intrinsic(node: Any) -> Optional[str]:
    if isinstance(node, Mapping) and len(node) == 1:
        (k,) = node.keys()
        if isinstance(k, str) and (k == "Ref" or k == "Condition" or k.startswith("Fn::")):
            return k
    return None


def _sub_as_list(args: Any) -> Optional[List[Any]]:
    """`!Sub '${A},${B}'` passed to a list parameter: the list [!Ref A, !Ref B]."""
    text, variables = (args[0], args[1]) if isinstance(args, list) and len(args) == 2 else (args, {})
    if not isinstance(text, str) or not isinstance(variables, Mapping):
        return None
    out: List[Any] = []
    for piece in text.split(","):
        m = re.fullmatch(r"\s*\$\{([^}!]+)\}\s*", piece)
        if not m:
            return None
        name = m.group(1)
        if name in variables:
            out.append(variables[name])
        elif "." in name:
            out.append({"Fn::GetAtt": name.split(".", 1)})
        else:
            out.append({"Ref": name})
    return out


_LIST_FNS = ("Fn::Split", "Fn::GetAZs", "Fn::Cidr", "Fn::If")


def _is_list_ref(stack: Stack, node: Any) -> bool:
    """Whether `node` is a Ref to a list-typed parameter of `stack` (it already is a list)."""
    if _intrinsic(node) != "Ref" or not isinstance(node["Ref"], str):
        return False
    spec = _section(stack.template, "Parameters").get(node["Ref"])
    ptype = spec.get("Type", "") if isinstance(spec, Mapping) else ""
    return isinstance(ptype, str) and ("List<" in ptype or ptype == "CommaDelimitedList")


def _as_list_value(value: Any, already_list: bool) -> Any:
    """What a list-typed child parameter receives for `value` (renamed into the merge):
    CloudFormation passes every nested-stack parameter as a string and splits it on commas, so
    a single value (one subnet's Ref, a GetAtt, an import) is a one-element list, never "not a
    list"."""
    fn = _intrinsic(value)
    if isinstance(value, list) or already_list or fn in _LIST_FNS:
        return value
    if fn == "Fn::Join":
        args = value["Fn::Join"]
        if isinstance(args, list) and len(args) == 2 and args[0] == "," and isinstance(args[1], list):
            return list(args[1])
    if fn == "Fn::Sub":
        items = _sub_as_list(value["Fn::Sub"])
        if items is not None:
            return items
    if isinstance(value, str):
        return [v.strip() for v in value.split(",")] if value else []
    if fn == "Ref" and isinstance(value["Ref"], str) and value["Ref"].startswith("AWS::"):
        return value  # pseudo parameters: AWS::NotificationARNs is a list, the others are not IDs
    return {"Fn::Split": [",", value]}


def _location(stack: Stack, lid: str, r: Resolver) -> Tuple[Any, Tuple[Any, ...]]:
    """(resolved TemplateURL / Location of nested stack `lid`, its template path)."""
    res = _section(stack.template, "Resources").get(lid)
    props = res.get("Properties") if isinstance(res, Mapping) else None
    if not isinstance(props, Mapping):
        return None, ()
    key = "TemplateURL" if res.get("Type") == "AWS::CloudFormation::Stack" else "Location"
    path = ("Resources", lid, "Properties", key)
    return r.resolve(props.get(key), ("Resources", lid, "Properties")), path


def _child(stack: Stack, lid: str, r: Resolver, allow: bool) -> Tuple[Optional[str], Optional[str], str]:
    """(file, why not, hint): see child_location."""
    value, _path = _location(stack, lid, r)
    if not isinstance(value, str) or not value.strip() or re.match(r"^[a-z][a-z0-9+.-]*://", value):
        return None, None, ""  # a remote URL (or undecidable): unknown
    base = os.path.dirname(os.path.abspath(stack.filename))
    path, refused = resolve_inside(base, value, allow)
    if refused is not None:
        return None, f"its template {_quote(value)} is {refused}, so it was not read", _ALLOW_HINT
    problem = file_problem(path)
    if problem is not None:
        return path, f"its template file {_quote(value)} cannot be read ({problem})", "fix the path, or give the value the stack's outputs stand for"
    return path, None, ""


def child_location(stack: Stack, lid: str, r: Resolver, allow_outside: Optional[bool] = None) -> Tuple[Optional[str], Optional[str]]:
    """(file, problem) for the child template of nested stack `lid`: (path, None) for a local file
    that may be loaded; (path or None, why not) for a local one that may not (outside the folder
    of `stack`'s template and its repository, missing, not a regular file); (None, None) for a
    remote URL or an undecidable value (unknown, as before)."""
    path, problem, _hint = _child(stack, lid, r, ALLOW_OUTSIDE if allow_outside is None else allow_outside)
    return path, problem


def local_template_path(stack: Stack, lid: str, r: Resolver) -> Any:
    """The child template file of a nested stack, when it is a local file that may be read; else None."""
    path, problem = child_location(stack, lid, r)
    return path if problem is None else None


def _quote(value: Any) -> str:
    return excerpt(value, 80)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return 0


def _chain_names(chain: Sequence[str]) -> str:
    return " -> ".join(os.path.basename(c) for c in chain)


class _Merger:
    def __init__(self, stacks: List[Stack], region: str, load: Callable[[str], Mapping[str, Any]], allow_outside: Optional[bool] = None,
                 choose: Optional[Mapping[str, Any]] = None):
        self.region = region
        # export name -> the stack whose export this deployment uses (several environments export
        # it), or None when no single one can be chosen (Fn::ImportValue stays unknown, IN9001)
        self.choose: Dict[str, Any] = dict(choose or {})
        self.load = load
        self.allow_outside = ALLOW_OUTSIDE if allow_outside is None else allow_outside
        self.stacks: List[Stack] = []
        self.children: Dict[Tuple[int, str], Stack] = {}
        # nested stacks left unknown: (stack, path of its TemplateURL/Location, why, hint)
        self.unloaded: List[Tuple[Stack, Tuple[Any, ...], str, str]] = []
        self._templates: Dict[str, Any] = {}  # real path -> the loaded template, or the exception
        self.bytes = 0  # the template bytes of the stacks added so far (a file nested twice counts twice)
        if len(stacks) > MAX_STACKS:
            raise DeploymentError(f"{len(stacks)} templates given as one deployment: ecsnetpolicy judges at most {MAX_STACKS} stacks (nested stacks included) in one deployment")
        for s in stacks:
            self._add(s, 0, (os.path.realpath(s.filename),))
        self.maps = self._name_maps()
        self.exports = self._exports()
        self.missing: Dict[str, str] = {}
        self.origin: Dict[Tuple[str, str], Tuple[Stack, str]] = {}

    # ---------------------------------------------------------------- stacks
    def _resolver(self, stack: Stack) -> Resolver:
        return Resolver(stack.template, params={**stack.passed, **stack.params}, region=self.region, stack_name=stack.name)

    def _load_once(self, path: str, real: str) -> Any:
        """Each file is loaded once per deployment, however often it is nested."""
        if real not in self._templates:
            try:
                self._templates[real] = self.load(path)
            except Exception as exc:  # noqa: BLE001 - reported as IN9001 on the TemplateURL
                self._templates[real] = exc
        return self._templates[real]

    def _add(self, stack: Stack, depth: int, chain: Tuple[str, ...]) -> None:
        self.stacks.append(stack)
        self.bytes += _size(chain[-1])
        if depth == 0 and self.bytes > MAX_DEPLOYMENT_BYTES:
            raise DeploymentError(
                f"{stack.filename}: the templates judged together with it are more than {MAX_DEPLOYMENT_BYTES // (1024 * 1024)} MB together; "
                f"ecsnetpolicy judges at most {MAX_DEPLOYMENT_BYTES // (1024 * 1024)} MB of templates in one deployment"
            )
        r = self._resolver(stack)
        for lid, res in _section(stack.template, "Resources").items():
            if not (isinstance(res, Mapping) and res.get("Type") in NESTED_TYPES):
                continue
            _value, where = _location(stack, lid, r)
            if res.get("Type") != "AWS::CloudFormation::Stack":
                # a SAM application: cfn-lint's SAM transform rewrites it (Location becomes a
                # TemplateURL without a line), so both paths anchor on the resource
                where = ("Resources", lid)
            path, problem, hint = _child(stack, lid, r, self.allow_outside)
            if problem is not None:
                self.unloaded.append((stack, where, problem, hint))
                continue
            if path is None:
                continue
            real = os.path.realpath(path)
            if real in chain:
                cycle = _chain_names(chain[chain.index(real):] + (real,))
                raise DeploymentError(
                    f"{stack.filename}: nested stack {lid} nests {os.path.basename(real)} inside itself ({cycle}); "
                    "CloudFormation would create stacks without end, so this deployment is not analysed"
                )
            if depth + 1 > MAX_NESTING_DEPTH:
                raise DeploymentError(
                    f"{stack.filename}: nested stack {lid} is more than {MAX_NESTING_DEPTH} levels deep ({_chain_names(chain + (real,))}); "
                    f"ecsnetpolicy analyses at most {MAX_NESTING_DEPTH} levels of nested stacks"
                )
            if len(self.stacks) >= MAX_STACKS:
                raise DeploymentError(
                    f"{stack.filename}: nested stack {lid} makes the deployment more than {MAX_STACKS} stacks; "
                    f"ecsnetpolicy judges at most {MAX_STACKS} stacks (nested stacks included) in one deployment"
                )
            size = _size(real)
            if self.bytes + size > MAX_DEPLOYMENT_BYTES:
                raise DeploymentError(
                    f"{stack.filename}: nested stack {lid} makes the deployment's templates more than "
                    f"{MAX_DEPLOYMENT_BYTES // (1024 * 1024)} MB together (each nested copy counts); "
                    f"ecsnetpolicy judges at most {MAX_DEPLOYMENT_BYTES // (1024 * 1024)} MB of templates in one deployment"
                )
            child_t = self._load_once(path, real)
            if isinstance(child_t, BaseException):
                reason = getattr(child_t, "problem", None) or " ".join(str(child_t).split())[:200] or type(child_t).__name__
                line = getattr(child_t, "line", None)
                at = f" (line {line})" if line else ""
                self.unloaded.append((stack, where, f"its template {_quote(path)} cannot be loaded: {reason}{at}",
                                      "fix that template (ecsnetpolicy check it alone to see the error)"))
                continue
            if not isinstance(child_t, Mapping):
                self.unloaded.append((stack, where, f"its template {_quote(path)} is not a mapping", ""))
                continue
            child = Stack(f"{stack.name}-{lid}", _same_spelling(stack.filename, path), child_t, {}, (stack, lid),
                          passed=_passed_values(stack, lid, r, child_t))
            self.children[(id(stack), lid)] = child
            self._add(child, depth + 1, chain + (real,))

    def _name_maps(self) -> Dict[int, Dict[str, Dict[str, str]]]:
        sections = ("Resources", "Parameters", "Conditions", "Mappings")
        tags: Dict[int, str] = {}
        for s in self.stacks:  # two stacks of one name (service.yaml in two folders): never one qualified name
            tag, n = s.tag, 2
            while tag in tags.values():
                tag, n = f"{s.tag}-{n}", n + 1
            tags[id(s)] = tag
        counts: Dict[Tuple[str, str], int] = {}
        for s in self.stacks:
            for sec in sections:
                for name in _section(s.template, sec):
                    counts[(sec, name)] = counts.get((sec, name), 0) + 1
        maps: Dict[int, Dict[str, Dict[str, str]]] = {}
        for s in self.stacks:
            maps[id(s)] = {
                sec: {name: (f"{name}@{tags[id(s)]}" if counts[(sec, name)] > 1 else name) for name in _section(s.template, sec)}
                for sec in sections
            }
        return maps

    def _exports(self) -> Dict[str, Tuple[Stack, Any]]:
        out: Dict[str, Tuple[Stack, Any]] = {}
        for s in self.stacks:
            r = self._resolver(s)
            for oname, out_def in _section(s.template, "Outputs").items():
                if not isinstance(out_def, Mapping) or not isinstance(out_def.get("Export"), Mapping):
                    continue
                name = r.resolve(out_def["Export"].get("Name"), ("Outputs", oname, "Export", "Name"))
                if isinstance(name, str) and "Value" in out_def:
                    chosen = self.choose.get(name, s)
                    if chosen is s or (chosen is not None and _top(s) is chosen):
                        out.setdefault(name, (s, out_def["Value"]))
        return out

    # ---------------------------------------------------------------- renaming
    def rename(self, stack: Stack, node: Any, depth: int = 0) -> Any:
        if depth > 200:
            return node
        m = self.maps[id(stack)]
        fn = _intrinsic(node)
        if fn == "Ref" and isinstance(node[fn], str):
            name = node[fn]
            if name == "AWS::StackName":
                return stack.name
            if name in m["Parameters"]:
                sub = self._param_value(stack, name, depth)
                if sub is not None:
                    return sub
                return {"Ref": m["Parameters"][name]}
            return {"Ref": m["Resources"].get(name, name)}
        if fn == "Fn::GetAtt":
            args = node[fn]
            if isinstance(args, str) and "." in args:
                args = args.split(".", 1)
            if isinstance(args, list) and len(args) == 2 and isinstance(args[0], str):
                child = self.children.get((id(stack), args[0]))
                attr = args[1]
                if child is not None and isinstance(attr, str) and attr.startswith("Outputs."):
                    out = _section(child.template, "Outputs").get(attr.split(".", 1)[1])
                    if isinstance(out, Mapping) and "Value" in out:
                        return self.rename(child, out["Value"], depth + 1)
                return {"Fn::GetAtt": [m["Resources"].get(args[0], args[0]), self.rename(stack, attr, depth + 1)]}
            return node
        if fn == "Fn::Sub":
            return self._rename_sub(stack, node[fn], depth)
        if fn == "Fn::If" and isinstance(node[fn], list) and node[fn] and isinstance(node[fn][0], str):
            args = node[fn]
            return {"Fn::If": [m["Conditions"].get(args[0], args[0])] + [self.rename(stack, a, depth + 1) for a in args[1:]]}
        if fn == "Condition" and isinstance(node[fn], str):
            return {"Condition": m["Conditions"].get(node[fn], node[fn])}
        if fn == "Fn::FindInMap" and isinstance(node[fn], list) and node[fn] and isinstance(node[fn][0], str):
            args = node[fn]
            return {"Fn::FindInMap": [m["Mappings"].get(args[0], args[0])] + [self.rename(stack, a, depth + 1) for a in args[1:]]}
        if fn == "Fn::ImportValue":
            return self._import(stack, node, depth)
        if fn == "Fn::GetStackOutput":
            return self._stack_output(stack, node, depth)
        if isinstance(node, Mapping):
            return {k: self.rename(stack, v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self.rename(stack, v, depth + 1) for v in node]
        return node

    def _rename_sub(self, stack: Stack, args: Any, depth: int) -> Any:
        m = self.maps[id(stack)]
        if isinstance(args, list) and len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], Mapping):
            text, variables = args[0], dict(args[1])
        elif isinstance(args, str):
            text, variables = args, {}
        else:
            return {"Fn::Sub": args}
        new_vars = {k: self.rename(stack, v, depth + 1) for k, v in variables.items()}

        def repl(match: "re.Match[str]") -> str:
            name = match.group(1)
            if name in variables:
                return match.group(0)
            if name == "AWS::StackName":
                return stack.name
            head, dot, attr = name.partition(".")
            if not dot and head in m["Parameters"]:
                sub = self._param_value(stack, head, depth)
                if sub is not None:
                    var = f"{head}__p"
                    new_vars[var] = sub
                    return "${" + var + "}"
                return "${" + m["Parameters"][head] + "}"
            if head in m["Resources"]:
                if dot:
                    child = self.children.get((id(stack), head))
                    if child is not None and attr.startswith("Outputs."):
                        var = f"{head}__o{len(new_vars)}"
                        new_vars[var] = self.rename(stack, {"Fn::GetAtt": [head, attr]}, depth + 1)
                        return "${" + var + "}"
                return "${" + m["Resources"][head] + dot + attr + "}"
            return match.group(0)

        new_text = _SUB_RE.sub(repl, text)
        return {"Fn::Sub": [new_text, new_vars]} if new_vars else {"Fn::Sub": new_text}

    def _param_value(self, stack: Stack, name: str, depth: int) -> Any:
        """What a nested stack's parent passes for parameter `name` (renamed in the parent)."""
        if stack.parent is None or name in stack.params:
            return None
        parent, lid = stack.parent
        res = _section(parent.template, "Resources").get(lid)
        props = res.get("Properties") if isinstance(res, Mapping) else None
        passed = props.get("Parameters") if isinstance(props, Mapping) else None
        if isinstance(passed, Mapping) and name in passed:
            value = self.rename(parent, passed[name], depth + 1)
            spec = _section(stack.template, "Parameters").get(name)
            ptype = spec.get("Type", "") if isinstance(spec, Mapping) else ""
            if isinstance(ptype, str) and (ptype.startswith("List<") or ptype == "CommaDelimitedList"):
                return _as_list_value(value, _is_list_ref(parent, passed[name]))
            return value
        return None

    def _stack_output(self, stack: Stack, node: Mapping[str, Any], depth: int) -> Any:
        """Fn::GetStackOutput of a stack of this deployment (by its stack name): that stack's output
        value, renamed into the merge; of any other stack it stays (unknown unless the account has it)."""
        target, output = stack_output_ref(node["Fn::GetStackOutput"], self._resolver(stack))
        found = next((s for s in self.stacks if s.parent is None and s.name == target), None) if target else None
        out_def = _section(found.template, "Outputs").get(output) if found is not None and isinstance(output, str) else None
        if isinstance(out_def, Mapping) and "Value" in out_def:
            return self.rename(found, out_def["Value"], depth + 1)
        return {"Fn::GetStackOutput": self.rename(stack, node["Fn::GetStackOutput"], depth + 1)}

    def _import(self, stack: Stack, node: Mapping[str, Any], depth: int) -> Any:
        r = self._resolver(stack)
        name = r.resolve(node["Fn::ImportValue"], ())
        if isinstance(name, str) and name in self.exports:
            exporter, value = self.exports[name]
            return self.rename(exporter, value, depth + 1)
        label = name if isinstance(name, str) else (name.text.replace("\x00", "*") if isinstance(name, Partial) else "?")
        self.missing[label] = stack.name
        return {"Fn::ImportValue": self.rename(stack, node["Fn::ImportValue"], depth + 1)}

    # ---------------------------------------------------------------- merge
    def merge(self) -> Merged:
        merged: Dict[str, Any] = {"Resources": {}, "Parameters": {}, "Conditions": {}, "Mappings": {}}
        for s in self.stacks:
            m = self.maps[id(s)]
            for sec in ("Parameters", "Mappings"):
                for name, body in _section(s.template, sec).items():
                    if sec == "Parameters" and s.parent is not None and self._param_value(s, name, 0) is not None:
                        continue
                    if sec == "Parameters" and s.parent is not None and isinstance(body, Mapping) and name not in s.params:
                        # the parent does not pass it: the hint must say where to pass it
                        parent, lid = s.parent
                        body = {**body, NESTED_PARAMETER: {"name": name, "stack": lid, "parent": parent.filename, "child": s.filename}}
                    merged[sec][m[sec][name]] = body
                    self.origin[(sec, m[sec][name])] = (s, name)
            for name, body in _section(s.template, "Conditions").items():
                merged["Conditions"][m["Conditions"][name]] = self.rename(s, body)
                self.origin[("Conditions", m["Conditions"][name])] = (s, name)
            for lid, body in _section(s.template, "Resources").items():
                new = self.rename(s, body) if isinstance(body, Mapping) else body
                if isinstance(body, Mapping) and isinstance(body.get("Condition"), str):
                    new["Condition"] = m["Conditions"].get(body["Condition"], body["Condition"])
                merged["Resources"][m["Resources"][lid]] = new
                self.origin[("Resources", m["Resources"][lid])] = (s, lid)
        top = [s.name for s in self.stacks if s.parent is None]
        if len(top) > 1:  # imports are then looked up among these stacks' exports
            merged["Metadata"] = {"ecsnetpolicy:deployment": top}
        return Merged(merged, self.origin, self.stacks, self.missing, list(self.unloaded))


def merge(stacks: Sequence[Stack], region: str, load: Callable[[str], Mapping[str, Any]], *, allow_outside: Optional[bool] = None,
          choose: Optional[Mapping[str, Any]] = None, ambiguous: Optional[Mapping[str, Sequence[str]]] = None) -> Merged:
    """The stacks merged into one template (see the module docstring).  DeploymentError for a
    stack that nests itself or a deployment over MAX_STACKS / MAX_NESTING_DEPTH; nested stacks
    whose template is refused or unloadable are listed in `Merged.unloaded`.  `choose`: export
    name -> the (top-level) stack whose export of it is used, or None for none (see plan())."""
    merger = _Merger(list(stacks), region, load, allow_outside, choose)
    merged = merger.merge()
    if ambiguous:  # imports no single environment can be chosen for: unknown, naming the exporters
        merged.template.setdefault("Metadata", {})["ecsnetpolicy:ambiguous-exports"] = {k: list(v) for k, v in ambiguous.items()}
    return merged


def nested_files(stacks: Sequence[Stack], region: str, load: Callable[[str], Mapping[str, Any]], allow_outside: Optional[bool] = None) -> set:
    """The real paths of the local templates `stacks` nest, at any depth (loaded as a merge would)."""
    out = set()
    for stack in stacks:
        if needs_merge([stack]):
            merger = _Merger([stack], region, load, allow_outside)
            out.update(os.path.realpath(s.filename) for s in merger.stacks if s.parent is not None)
    return out


def stack_output_ref(args: Any, r: Resolver) -> Tuple[Optional[str], Optional[str]]:
    """(stack name, output name) of Fn::GetStackOutput's arguments when both resolve, else Nones.
    Another region's or account's stack (Region, RoleArn) is never one of the set."""
    if isinstance(args, Mapping):
        if args.get("Region") is not None and r.resolve(args.get("Region"), ()) != r.region:
            return None, None
        if args.get("RoleArn") is not None:
            return None, None
        stack, output = r.resolve(args.get("StackName"), ()), r.resolve(args.get("OutputName"), ())
    elif isinstance(args, list) and len(args) >= 2:
        stack, output = r.resolve(args[0], ()), r.resolve(args[1], ())
    else:
        return None, None
    return (stack, output) if isinstance(stack, str) and isinstance(output, str) else (None, None)


def _walk_fn(node: Any, fn: str, out: List[Any], depth: int = 0) -> None:
    if depth > 200:
        return
    if _intrinsic(node) == fn:
        out.append(node[fn])
    if isinstance(node, Mapping):
        for v in node.values():
            _walk_fn(v, fn, out, depth + 1)
    elif isinstance(node, list):
        for v in node:
            _walk_fn(v, fn, out, depth + 1)


def _top(stack: Stack) -> Stack:
    while stack.parent is not None:
        stack = stack.parent[0]
    return stack


def _same_spelling(parent_file: str, path: str) -> str:
    """A nested child's file spelled like its parent's: relative when the parent was given
    relative (so a child reached from its parent and from the command line is one path)."""
    if os.path.isabs(parent_file):
        return path
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path


def _passed_values(parent: Stack, lid: str, r: Resolver, child_t: Mapping[str, Any]) -> Dict[str, Any]:
    """The parameters `parent` passes to its nested stack `lid` that resolve to plain values
    (text, or lists of text for list parameters), for reading the child's own TemplateURLs and
    export names.  References to resources stay with the merge (_param_value)."""
    res = _section(parent.template, "Resources").get(lid)
    props = res.get("Properties") if isinstance(res, Mapping) else None
    passed = props.get("Parameters") if isinstance(props, Mapping) else None
    out: Dict[str, Any] = {}
    if not isinstance(passed, Mapping):
        return out
    declared = _section(child_t, "Parameters")
    for name, node in passed.items():
        if not isinstance(name, str) or name not in declared:
            continue
        value = r.resolve(node, ("Resources", lid, "Properties", "Parameters", name))
        if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            out[name] = value
    return out


def _export_names(stack: Stack, region: str) -> List[str]:
    """The export names `stack` declares that resolve (with its parameters and what its parent passes)."""
    r = Resolver(stack.template, params={**stack.passed, **stack.params}, region=region, stack_name=stack.name)
    names = []
    for oname, out_def in _section(stack.template, "Outputs").items():
        if isinstance(out_def, Mapping) and isinstance(out_def.get("Export"), Mapping):
            name = r.resolve(out_def["Export"].get("Name"), ("Outputs", oname, "Export", "Name"))
            if isinstance(name, str):
                names.append(name)
    return names


def unloaded_raws(merged: Optional[Merged]) -> List[Tuple[Stack, Any]]:
    """IN9001 findings, each with the stack (file) it is in, for the nested stacks of a merge that
    were left unknown (refused path, missing or unloadable template): anchored on the
    TemplateURL / Location, saying why and how to allow it."""
    if merged is None:
        return []
    out = []
    seen = set()
    for stack, path, why, hint in merged.unloaded:
        key = (id(stack), path)
        if key in seen:
            continue
        seen.add(key)
        hint = hint or "nothing in it was verified"
        lid = path[1] if len(path) > 1 else "?"
        out.append((stack, Raw("IN9001", path, f"Could not verify nested stack {lid}, whose template was not analysed: {why}; {hint}.")))
    return out


def merged_params(merged: Merged) -> Dict[str, Any]:
    """Each stack's supplied parameter values, keyed by the merged parameter names."""
    out: Dict[str, Any] = {}
    for (sec, new_name), (stack, name) in merged.origin.items():
        if sec == "Parameters" and name in stack.params:
            out[new_name] = stack.params[name]
    return out


def _walk_imports(node: Any, out: List[Any], depth: int = 0) -> None:
    _walk_fn(node, "Fn::ImportValue", out, depth)


# Most variants a set of stacks is judged in when several environments export the names its
# imports need (each one a whole analysis); past it the imports stay unknown (IN9001).
MAX_VARIANTS = 4


@dataclass
class Plan:
    """One deployment to judge: its stacks, the exporter chosen for each export name that several
    environments (stacks) declare, and how findings of the importing stacks say which one."""

    stacks: List[Stack]
    choose: Dict[str, Any] = field(default_factory=dict)  # export name -> exporter stack, or None
    ambiguous: Dict[str, List[str]] = field(default_factory=dict)  # name -> exporter files (undecided)
    label: str = ""  # "judged with the exports of envs/dev/network.yaml", for the importers' findings
    importers: Tuple[int, ...] = ()  # id() of the stacks whose findings carry the label
    variant_of: Optional[int] = None  # plans judging one importer group against several exporters share it


def _folder_parts(path: str) -> Tuple[str, ...]:
    return tuple(os.path.dirname(os.path.realpath(path)).split(os.sep))


def _closeness(a: str, b: str) -> int:
    """How many leading folders two files share: the environment a stack belongs to is its folder."""
    n = 0
    for x, y in zip(_folder_parts(a), _folder_parts(b)):
        if x != y:
            break
        n += 1
    return n


def _nested_exports(stack: Stack, region: str, load: Optional[Callable[[str], Mapping[str, Any]]], allow_outside: Optional[bool]) -> List[str]:
    """The export names of `stack` and of the nested stacks it loads (read with what each parent
    passes).  A deployment that cannot be put together exports only its own (merge reports it)."""
    if load is None or not needs_merge([stack]):
        return _export_names(stack, region)
    try:
        merger = _Merger([stack], region, load, allow_outside)
    except Exception:  # noqa: BLE001 - a cycle or a limit: the merge of its group says so (EN9000)
        return _export_names(stack, region)
    return [name for s in merger.stacks for name in _export_names(s, region)]


class Joined:
    """Which of n items are joined, directly or through others (union-find with path halving;
    written by hand: the standard library has none, and it is ten lines)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)


def plan(stacks: Sequence[Stack], region: str, load: Optional[Callable[[str], Mapping[str, Any]]] = None,
         allow_outside: Optional[bool] = None) -> List[Plan]:
    """The deployments in a set of stacks.  A stack that imports what another exports is judged
    with it; the rest alone (a folder of unrelated templates gets the same findings as linting
    each file).  Export names are unique per account and region, so two stacks exporting one
    name are two environments: an importer is judged with the exporter in the nearest folder
    (envs/dev/service.yaml with envs/dev/network.yaml), never merged with both; when folders
    cannot tell (a shared importer), it is judged against each exporter in turn (at most
    MAX_VARIANTS), each finding saying which, or its imports stay unknown (IN9001)."""
    stacks = list(stacks)
    joined = Joined(len(stacks))
    find = joined.find

    exporters: Dict[str, List[int]] = {}
    for i, s in enumerate(stacks):
        for name in dict.fromkeys(_nested_exports(s, region, load, allow_outside)):
            exporters.setdefault(name, []).append(i)
    open_: Dict[int, Dict[str, List[int]]] = {}  # importer -> export name -> the tied exporters
    for i, s in enumerate(stacks):
        r = Resolver(s.template, params=s.params, region=region, stack_name=s.name)
        found: List[Any] = []
        _walk_imports(s.template.get("Resources"), found)
        for node in found:
            name = r.resolve(node, ())
            options = [j for j in exporters.get(name, []) if j != i] if isinstance(name, str) else []
            if not options:
                continue
            best = max(_closeness(s.filename, stacks[j].filename) for j in options)
            nearest = [j for j in options if _closeness(s.filename, stacks[j].filename) == best]
            if len(nearest) == 1:
                joined.join(i, nearest[0])
            else:
                open_.setdefault(i, {})[name] = nearest
    by_name = {s.name: i for i, s in enumerate(stacks)}
    for i, s in enumerate(stacks):  # Fn::GetStackOutput of another stack of the set: judged together
        r = Resolver(s.template, params=s.params, region=region, stack_name=s.name)
        refs: List[Any] = []
        _walk_fn(s.template.get("Resources"), "Fn::GetStackOutput", refs)
        for args in refs:
            target, _output = stack_output_ref(args, r)
            if target in by_name and by_name[target] != i:
                joined.join(i, by_name[target])
    comps: Dict[int, List[int]] = {}
    for i in range(len(stacks)):
        comps.setdefault(find(i), []).append(i)
    plans: List[Plan] = []
    for root, members in comps.items():
        ties = {name: opts for i in members for name, opts in open_.get(i, {}).items()
                if not any(find(j) == root for j in opts)}
        if not ties:
            plans.append(Plan([stacks[i] for i in members]))
            continue
        plans.extend(_variants(stacks, members, ties, find, comps))
    return plans


def _variants(stacks: List[Stack], members: List[int], ties: Dict[str, List[int]], find: Callable[[int], int],
              comps: Dict[int, List[int]]) -> List[Plan]:
    """The plans of one importer group whose imports several environments export (see plan)."""
    # the environments: exporters grouped by folder; a choice takes, per name, its exporter there
    folders = list(dict.fromkeys(os.path.dirname(os.path.realpath(stacks[j].filename)) for opts in ties.values() for j in opts))
    importers = tuple(id(stacks[i]) for i in members)
    if len(folders) > MAX_VARIANTS:
        files = {name: [os.path.relpath(stacks[j].filename) for j in opts] for name, opts in ties.items()}
        return [Plan([stacks[i] for i in members], {name: None for name in ties}, files)]
    out = []
    for folder in folders:
        choose: Dict[str, Any] = {}
        ambiguous: Dict[str, List[str]] = {}
        extra: List[int] = []
        for name, opts in ties.items():
            here = [j for j in opts if os.path.dirname(os.path.realpath(stacks[j].filename)) == folder]
            if len(here) == 1:
                choose[name] = stacks[here[0]]
                extra.extend(comps[find(here[0])])
            else:  # that environment does not export it, or exports it twice
                choose[name] = None
                ambiguous[name] = [os.path.relpath(stacks[j].filename) for j in (here or opts)]
        chosen = list(dict.fromkeys(os.path.relpath(x.filename) for x in choose.values() if x is not None))
        label = f"judged with the exports of {' and '.join(chosen)}" if chosen else ""
        group = [stacks[i] for i in dict.fromkeys(list(members) + extra)]
        out.append(Plan(group, choose, ambiguous, label, importers, members[0]))
    return out


def groups(stacks: Sequence[Stack], region: str) -> List[List[Stack]]:
    """The stacks of each deployment plan (see plan), for callers that need only the grouping."""
    return [p.stacks for p in plan(stacks, region)]


def needs_merge(stacks: Sequence[Stack]) -> bool:
    """A single template with no imports and no local nested stacks is judged as it is."""
    if len(stacks) != 1:
        return True
    t = stacks[0].template
    for res in _section(t, "Resources").values():
        if isinstance(res, Mapping) and res.get("Type") in NESTED_TYPES:
            return True
    return False


def links(stack: Stack, region: str, load: Optional[Callable[[str], Mapping[str, Any]]] = None,
          allow_outside: Optional[bool] = None) -> Tuple[Set[str], Set[str]]:
    """(the names `stack` can be joined on as an exporter, the names it joins on as an importer), as
    far as they resolve: what plan() joins stacks on (export names, its nested children's
    included; Fn::GetStackOutput by stack name, as ``stack:NAME``), for indexing many templates
    without keeping them loaded.  Joining on every exporter of a name is coarser than plan()'s
    nearest-folder choice, never finer."""
    r = Resolver(stack.template, params=stack.params, region=region, stack_name=stack.name)
    exports: Set[str] = set(_nested_exports(stack, region, load, allow_outside)) | {f"stack:{stack.name}"}
    found: List[Any] = []
    _walk_imports(stack.template.get("Resources"), found)
    imports = {name for name in (r.resolve(node, ()) for node in found) if isinstance(name, str)}
    refs: List[Any] = []
    _walk_fn(stack.template.get("Resources"), "Fn::GetStackOutput", refs)
    for args in refs:
        target, _output = stack_output_ref(args, r)
        if isinstance(target, str) and target != stack.name:
            imports.add(f"stack:{target}")
    return exports, imports


__all__ = ["Stack", "Merged", "links", "Joined", "Plan", "plan", "MAX_VARIANTS", "DeploymentError", "merge", "merged_params", "needs_merge", "local_template_path", "child_location",
           "unloaded_raws", "MAX_STACKS", "MAX_NESTING_DEPTH", "MAX_DEPLOYMENT_BYTES", "ALLOW_OUTSIDE", "Unknown"]
