"""CloudFormation transforms our command applies before judging a template, as cfn-lint does.

``AWS::LanguageExtensions`` (``Fn::ForEach``, and the ``Fn::FindInMap`` / ``Fn::Sub`` / ``Ref``
resolution that comes with it): the resources a ``Fn::ForEach`` generates exist only after the
transform, so a command that judged the template as written would never see them.  cfn-lint
expands it before any rule runs (``cfnlint.template.Template.transform`` ->
``cfnlint.template.transforms._language_extensions.language_extension``), so the plugin judges
them; ``expand`` runs that very implementation on a template from our loader, so that both paths
judge the same resources, and report them on the same lines:

* our nodes become cfn-lint's (``dict_node``/``list_node``/``str_node``, same marks, plain values
  left plain), because the transform copies marks only onto cfn-lint's own node types: a key it
  generates (``Subnet${Env}`` -> ``SubnetProd``) keeps the marks of the key it came from, a
  ``Ref`` to the loop variable becomes the collection item with that item's marks;
* the result comes back as our nodes (``loader.DictNode``/``ListNode``/``StrNode``).

What cfn-lint does, we do: it resolves ``Ref``s in collections from parameter *defaults* and
``cfn.regions[0]`` (our ``region``); a collection it cannot resolve becomes two made-up names (seeded
here, so that a run is reproducible; the plugin's are random).  Where cfn-lint's transform fails
(it then reports E0001 and runs no rule), ``expand`` raises ``LoadError`` with its reason and line:
the command reports the template as not analysed (EN9000), never as clean.

Cost: cfn-lint is imported only for a template that declares the transform (over a second), never
otherwise.  An expansion that would be out of proportion (loops over long collections, nested
loops, a very large template: ``_cost``) is refused before it starts, in one line.

Only ``AWS::LanguageExtensions`` is applied; ``AWS::Serverless-2016-10-31`` (SAM, which generates no
ECS resources) is not.
"""

from __future__ import annotations

import gc
import random
import re
from typing import Any, Mapping, Optional

from .template import DictNode, ListNode, LoadError, Mark, StrNode
from .template import load_file as _load

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
_FOR_EACH = re.compile(r"^Fn::ForEach::[a-zA-Z0-9]+$")  # cfnlint.helpers.FUNCTION_FOR_EACH
# What an expansion may cost, estimated before it (``_cost``: nodes of the result, each counted
# once per level above it, the way cfn-lint's transform copies them), and what it may produce.
# That transform gets through some 50,000 of those a second (CPU) on the project's 2-core
# machine: the budget keeps it near 2.5 s, the whole command (cfn-lint's import included, 1.5 s)
# within its 5 s.  Real templates stay far below (a 50 KB template costs some 20,000); what is
# refused: loops over long collections, nested loops, or a template over some 300 KB that
# declares the transform.
MAX_COST = 120_000
MAX_EXPANDED_NODES = 150_000
_UNRESOLVED_FANOUT = 2  # cfn-lint makes up two values for a collection it cannot resolve
_REASON_CHARS = 60  # of cfn-lint's reason (it may quote the offending value: a short excerpt only)


def declares(template: Any) -> bool:
    """Whether the template declares the AWS::LanguageExtensions transform (``Transform:`` a
    string or a list holding it)."""
    if not isinstance(template, Mapping):
        return False
    declared = template.get("Transform")
    names = declared if isinstance(declared, list) else [declared]
    return any(isinstance(n, str) and n == LANGUAGE_EXTENSIONS for n in names)


def expand(template: Any, filename: Optional[str] = None, region: Optional[str] = None) -> Any:
    """The template as cfn-lint's AWS::LanguageExtensions transform leaves it (``Fn::ForEach``
    expanded), or the template itself, untouched and without importing cfn-lint, when it does not
    declare the transform.  LoadError (one line, with the line cfn-lint names) when the transform
    fails or would be out of proportion."""
    if not declares(template):
        return template
    _check_fanout(template, filename)
    try:
        from cfnlint.decode.mark import Mark as CfnMark
        from cfnlint.decode.node import dict_node, list_node, str_node
        from cfnlint.template.transforms._language_extensions import language_extension
    except ImportError as exc:  # cfn-lint missing, or its private module moved
        raise LoadError(filename, f"declares {LANGUAGE_EXTENSIONS}: expanding its Fn::ForEach needs cfn-lint ({exc.name or exc})") from None

    def to_cfn(x: Any) -> Any:
        if isinstance(x, dict):
            items = {to_cfn(k): to_cfn(v) for k, v in x.items()}
            if hasattr(x, "start_mark"):
                return dict_node(items, _cfn_mark(CfnMark, x.start_mark), _cfn_mark(CfnMark, x.end_mark))
            return items
        if isinstance(x, list):
            items = [to_cfn(v) for v in x]
            if hasattr(x, "start_mark"):
                return list_node(items, _cfn_mark(CfnMark, x.start_mark), _cfn_mark(CfnMark, x.end_mark))
            return items
        if isinstance(x, str) and hasattr(x, "start_mark"):
            return str_node(str(x), _cfn_mark(CfnMark, x.start_mark), _cfn_mark(CfnMark, x.end_mark))
        return x

    state = random.getstate()
    random.seed(0)  # the made-up names of collections cfn-lint cannot resolve: the same every run
    # the transform copies the template at every level and makes no garbage cycles: the cyclic
    # collector would only rescan the growing heap (as in loader.loads)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        cfn = _Cfn(filename, to_cfn(template), region or "us-east-1")
        matches, result = language_extension(cfn)
        out = None if matches else _to_ours(result)
    except RecursionError:
        raise LoadError(filename, f"{LANGUAGE_EXTENSIONS}: Fn::ForEach nests too deeply to be expanded") from None
    except Exception as exc:  # noqa: BLE001 - cfn-lint catches its own; anything else is a refusal too
        raise LoadError(filename, f"{LANGUAGE_EXTENSIONS}: Fn::ForEach cannot be expanded: {_short(f'{type(exc).__name__}: {exc}')}") from None
    finally:
        random.setstate(state)
        if gc_was_enabled:
            gc.enable()
    if matches:  # cfn-lint: E0001 "Error transforming template: ...", and no rule runs
        m = matches[0]
        reason = str(getattr(m, "message", "") or "").replace("Error transforming template: ", "", 1)
        line = getattr(m, "linenumber", None)
        raise LoadError(filename, f"{LANGUAGE_EXTENSIONS} transform failed (cfn-lint E0001): {_short(reason)}", line if isinstance(line, int) and line > 1 else None)
    if _count(out, MAX_EXPANDED_NODES + 1) > MAX_EXPANDED_NODES:
        raise LoadError(filename, f"{LANGUAGE_EXTENSIONS}: Fn::ForEach expands to more than {MAX_EXPANDED_NODES:,} template nodes")
    return out


def load_file(path: str, region: Optional[str] = None) -> Any:
    """loader.load_file, then ``expand``: a template as the command judges it (for the ``load=``
    callables that load nested stacks and the other stacks of a deployment)."""
    return expand(_load(path), path, region)


# ---------------------------------------------------------------------------------- helpers
class _Cfn:
    """What cfn-lint's transform reads of its ``Template``: the template, the regions (the first
    resolves ``AWS::Region``), the file name (for its error)."""

    def __init__(self, filename: Optional[str], template: Any, region: str) -> None:
        self.filename = filename
        self.template = template
        self.regions = [region]


def _cfn_mark(cls: Any, mark: Any) -> Any:
    return cls(getattr(mark, "line", 1), getattr(mark, "column", 1))


def _to_ours(x: Any) -> Any:
    def mark(m: Any) -> Any:
        return Mark(getattr(m, "line", 1), getattr(m, "column", 1))

    def conv(v: Any) -> Any:
        if isinstance(v, dict):
            items = {conv(k): conv(i) for k, i in v.items()}
            return DictNode(items, mark(v.start_mark), mark(v.end_mark)) if hasattr(v, "start_mark") else items
        if isinstance(v, list):
            items = [conv(i) for i in v]
            return ListNode(items, mark(v.start_mark), mark(v.end_mark)) if hasattr(v, "start_mark") else items
        if isinstance(v, str) and hasattr(v, "start_mark"):
            return StrNode(str(v), mark(v.start_mark), mark(v.end_mark))
        return v

    return conv(x)


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "\u2026"


def _count(x: Any, limit: int) -> int:
    """Nodes in x (mappings, lists and their items), counting stops past ``limit``."""
    n = 0
    stack = [x]
    while stack and n <= limit:
        v = stack.pop()
        n += 1
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return n


def _longest_mapped_list(template: Mapping[str, Any]) -> int:
    longest = 0
    mappings = template.get("Mappings")
    for m in (mappings.values() if isinstance(mappings, dict) else ()):
        for top in (m.values() if isinstance(m, dict) else ()):
            for v in (top.values() if isinstance(top, dict) else ()):
                if isinstance(v, list):
                    longest = max(longest, len(v))
    return longest


def _fanout(collection: Any, template: Mapping[str, Any], longest: Optional[list] = None) -> int:
    """How many values a Fn::ForEach collection has, as far as can be told before expanding:
    a literal list's length; a parameter's default (or first allowed value) split at commas; the
    longest list of a mapping for Fn::FindInMap; else cfn-lint's two made-up values."""
    if isinstance(collection, list):
        return len(collection)
    if isinstance(collection, dict) and len(collection) == 1:
        (fn, arg), = collection.items()
        if fn == "Ref" and isinstance(arg, str):
            params = template.get("Parameters")
            p = params.get(arg) if isinstance(params, dict) else None
            if isinstance(p, dict):
                value = p.get("Default")
                if not value and isinstance(p.get("AllowedValues"), list) and p["AllowedValues"]:
                    value = p["AllowedValues"][0]
                if isinstance(value, str) and value:
                    return value.count(",") + 1
                if isinstance(value, list):
                    return len(value)
        if fn == "Fn::FindInMap":
            if longest is None:
                longest = []
            if not longest:  # computed once per template
                longest.append(_longest_mapped_list(template))
            return max(longest[0], _UNRESOLVED_FANOUT)
    return _UNRESOLVED_FANOUT


def _cost(template: Mapping[str, Any]) -> int:
    """What expanding costs, estimated before expanding: cfn-lint's transform copies every node
    of the result once per level above it, so each node counts its depth; the body of a
    Fn::ForEach counts once per value of its collection (nested loops multiply)."""
    total = 0
    longest: list = []
    stack = [(template, 1, 1)]  # (node, product of the fan-outs of the loops around it, depth)
    while stack:
        node, factor, depth = stack.pop()
        total += factor * depth
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and _FOR_EACH.match(k) and isinstance(v, list) and len(v) == 3:
                    stack.append((v[2], factor * max(_fanout(v[1], template, longest), 0), depth))
                else:
                    stack.append((v, factor, depth + 1))
        elif isinstance(node, list):
            stack.extend((v, factor, depth + 1) for v in node)
        if total > MAX_COST:
            break
    return total


def _check_fanout(template: Mapping[str, Any], filename: Optional[str]) -> None:
    """Refuse, before expanding, a template whose expansion would be out of proportion (nested
    loops over long collections, or a large template: cfn-lint's transform takes time in
    proportion to the size of its result times its depth)."""
    if _cost(template) > MAX_COST:
        raise LoadError(
            filename,
            f"{LANGUAGE_EXTENSIONS}: expanding Fn::ForEach here would take too long "
            f"(the loops, or the template, are too large: an estimated {MAX_COST:,}+ node copies)",
        )


def _line(node: Any) -> Optional[int]:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None
