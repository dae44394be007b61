"""Load CloudFormation templates into line-marked nodes exactly as cfn-lint does, without cfn-lint.

The standalone command must not import ``cfnlint`` (that costs over a second), yet its findings
must be identical to the cfn-lint plugin's.  So this module reproduces, for every template cfn-lint
can load:

* the data of ``cfnlint.decode.decode`` (``cfn_yaml`` first, ``cfn_json`` as a fallback), with the
  same types in the same places: ``DictNode``/``ListNode``/``StrNode`` where cfn-lint has
  ``dict_node``/``list_node``/``str_node``, plain ``str``/``dict``/``list`` where cfn-lint has those
  (the inside of short-form tags such as ``!Ref x`` or ``!Sub [..]``, JSON string values);
* the same 0-based marks on every node, so ``locate`` gives the line/column cfn-lint reports for a
  RuleMatch with the same path (``Template.get_location_yaml`` + ``_rule_match_to_match``).

What comes from libraries, what is written here by hand:

* PyYAML does the scanning, parsing, tag resolution and scalar construction (int, bool, float,
  timestamp, binary, ...).  We use its C parser (``yaml.CSafeLoader``) when it is there - exactly
  when cfn-lint does, since the C and the pure-Python scanners differ in small ways (error texts,
  tabs) that decide cfn-lint's JSON fallback.
* cfn-flip (``cfn_tools.yaml_loader``) is where the short-form tag convention lives
  (``!Ref``/``!Condition`` keep their name, any other ``!X`` becomes ``Fn::X``); we take its
  constants.  Its constructors build unmarked ``ODict``s and read ``!GetAtt [..]`` differently from
  cfn-lint, so they cannot be reused.
* By hand, because no library does it: line-marked node classes and the constructors that build
  them the way cfn-lint's ``NodeConstructor``/``multi_constructor`` do (``_NodeLoader``); a fast
  builder that makes the same nodes straight from parser events (``_build_from_events``); a JSON
  decoder that gives cfn-lint's ``cfn_json`` data and its peculiar marks (``_load_json``); the
  port of ``get_location_yaml`` (``locate``); and the guards against hostile input.

Hostile input (each refused with a one-line ``LoadError``, in time and memory linear in the input):

* files over 50 MB, directories, non-regular files, missing files, NUL bytes, invalid UTF-8;
* nesting deeper than ``MAX_DEPTH`` (100) collections - cfn-lint's recursive constructor already
  fails at ~190 nested sequences, so we refuse nothing cfn-lint can load well.  Checked on parser
  events before any node is built: libyaml's own composer recurses in C (a segfault at ~50,000
  levels) and its scanner is quadratic in flow depth, so we stop at the first event past the limit;
* alias bombs.  CloudFormation itself rejects YAML anchors, aliases and merge keys, but cfn-lint
  accepts them, so for parity we accept them within bounds: at most ``MAX_ALIASES`` alias events,
  and at most ``MAX_ALIAS_EXPANSION`` extra nodes once every alias (and ``<<`` merge) is expanded -
  computed on the composed node graph, before construction, since counting aliases alone does not
  bound exponential nesting.  Recursive aliases are refused.
"""

from __future__ import annotations

import collections.abc
import functools
import gc
import json
import os
import re
from bisect import bisect_right
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

import yaml
from cfn_tools.yaml_loader import FN_PREFIX, UNCONVERTED_SUFFIXES
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .files import FileRefused, file_problem, read_bounded

try:  # the same choice cfn-lint makes (cfnlint/decode/cfn_yaml.py)
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

__all__ = ["LoadError", "Mark", "DictNode", "ListNode", "StrNode", "loads", "load_file", "check_template_file", "locate", "cfn_lint_view"]

# CloudFormation's own limit for a template body in S3 (1,048,576 bytes): a bigger file cannot be
# deployed, and refusing it bounds what one template costs to load and judge.
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_FILE_BYTES = MAX_TEMPLATE_BYTES  # (the name older code and tests use)
TOO_LARGE = "file is larger than CloudFormation's 1 MB template limit"
# loads() takes text already in memory (tests, tools): only a memory guard there.
MAX_TEXT_CHARS = 50 * 1024 * 1024
MAX_DEPTH = 100  # nested mappings/sequences; well below the ~190 nested sequences at which
# cfn-lint's recursive constructor itself fails (RecursionError -> "could not be parsed").
MAX_ALIASES = 1_000
MAX_ALIAS_EXPANSION = 200_000  # extra nodes the aliases would add if copied out

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
_MERGE = _TAG + "merge"
# Scalar tags whose SafeConstructor constructors are plain functions of the scalar's text.
_SIMPLE_SCALARS = frozenset(_TAG + t for t in ("null", "bool", "int", "float", "timestamp", "binary"))
_GETATT = FN_PREFIX + "GetAtt"
_NO_LOCATION = (1, 1, 1, 2)  # what cfnlint.match.Match.create gives a match without a location


# --------------------------------------------------------------------------------------------
# Public types


class LoadError(Exception):
    """A template that cannot be loaded.  ``str(e)`` is one line: ``<file>: <problem> (line N)``."""

    def __init__(self, filename: Optional[str], problem: str, line: Optional[int] = None):
        self.filename = filename
        self.problem = _one_line(problem)
        self.line = line  # 1-based, or None where no line is known
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"{_one_line(filename or '<string>')}: {self.problem}{where}")


class Mark(NamedTuple):
    """A position, 0-based like PyYAML's marks (only line and column are kept)."""

    line: int
    column: int


_DEFAULT_MARK = Mark(1, 1)
_new_mark = functools.partial(tuple.__new__, Mark)  # Mark(line, column) without a Python frame
_new_str = str.__new__  # cfnlint.decode.mark.Mark() - what a node built without marks gets


class DictNode(dict):
    """A mapping with the marks of where it was written (``cfnlint.decode.node.dict_node``)."""

    __slots__ = ("start_mark", "end_mark")

    def __init__(self, x=(), start_mark: Mark = _DEFAULT_MARK, end_mark: Mark = _DEFAULT_MARK):
        dict.__init__(self, x)
        self.start_mark = start_mark
        self.end_mark = end_mark

    def __reduce__(self):  # keep marks through copy.deepcopy and pickle
        return (type(self), (dict(self), self.start_mark, self.end_mark))


class ListNode(list):
    """A sequence with its marks (``cfnlint.decode.node.list_node``)."""

    __slots__ = ("start_mark", "end_mark")

    def __init__(self, x=(), start_mark: Mark = _DEFAULT_MARK, end_mark: Mark = _DEFAULT_MARK):
        list.__init__(self, x)
        self.start_mark = start_mark
        self.end_mark = end_mark

    def __reduce__(self):
        return (type(self), (list(self), self.start_mark, self.end_mark))


class StrNode(str):
    """A string with its marks (``cfnlint.decode.node.str_node``)."""

    __slots__ = ("start_mark", "end_mark")

    def __new__(cls, x, start_mark: Mark = _DEFAULT_MARK, end_mark: Mark = _DEFAULT_MARK):
        obj = str.__new__(cls, x)
        obj.start_mark = start_mark
        obj.end_mark = end_mark
        return obj

    def __reduce__(self):
        return (type(self), (str(self), self.start_mark, self.end_mark))


# --------------------------------------------------------------------------------------------
# Entry points


def check_template_file(path: Any) -> Optional[str]:
    """Why the template file at `path` would be refused before it is read (not a regular file,
    larger than CloudFormation's 1 MB template limit), as one line without the file name; None
    when it may be read.  Only stats the file (for the plugin, whose templates cfn-lint loads)."""
    problem = file_problem(path)
    if problem is not None:
        return problem
    try:
        size = os.stat(str(path)).st_size
    except OSError:
        return "cannot read file"
    if size > MAX_TEMPLATE_BYTES:
        return f"{TOO_LARGE} ({size / (1024 * 1024):.1f} MB)"
    return None


def load_file(path: str) -> DictNode:
    """The template in the file at `path`; LoadError if it cannot be loaded.  Only a regular file
    of at most MAX_TEMPLATE_BYTES is read (see files.read_bounded: FIFOs, devices and kernel
    pseudo-files are refused without blocking)."""
    name = str(path)
    try:
        data = read_bounded(name, MAX_TEMPLATE_BYTES, TOO_LARGE)
    except FileRefused as exc:
        problem = exc.reason
        if problem.startswith("is a directory"):
            problem = "is a directory, not a template file"
        raise LoadError(name, problem) from None
    nul = data.find(b"\0")
    if nul >= 0:
        raise LoadError(name, "binary data (NUL byte), not a template", data.count(b"\n", 0, nul) + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LoadError(name, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", line) from None
    if "\r" in text:  # cfn-lint reads in text mode: universal newlines
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return loads(text, name)


def loads(text: str, filename: Optional[str] = None) -> DictNode:
    """The template in `text` (YAML or JSON); LoadError if it cannot be loaded."""
    if len(text) > MAX_TEXT_CHARS:
        raise LoadError(filename, f"template is larger than {MAX_TEXT_CHARS // (1024 * 1024)} MB")
    nul = text.find("\0")
    if nul >= 0:
        raise LoadError(filename, "binary data (NUL byte), not a template", text.count("\n", 0, nul) + 1)
    # Loading makes millions of small objects and no garbage cycles: the cyclic collector would
    # only rescan the growing heap again and again (it more than doubles the time on big files).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        template = _decode(text, filename)
    except LoadError:
        raise
    except RecursionError:
        raise LoadError(filename, "template is nested too deeply") from None
    except MemoryError:
        raise LoadError(filename, "template is too large to load") from None
    except UnicodeError as exc:  # e.g. a lone surrogate in a str passed to loads()
        raise LoadError(filename, f"invalid character in template: {exc.reason}") from None
    except Exception as exc:  # noqa: BLE001 - the contract: a LoadError, never a traceback
        raise LoadError(filename, f"cannot load template: {type(exc).__name__}: {exc}") from None
    finally:
        if gc_was_enabled:
            gc.enable()
    if template is None:
        raise LoadError(filename, "empty template")
    if not isinstance(template, dict):
        raise LoadError(filename, f"template is not a mapping (found {_kind(template)})", 1)
    return template


def locate(template: Any, path: Sequence[Any]) -> Tuple[int, int, int, int]:
    """1-based (line, column, end_line, end_column) of a finding at `path`, as cfn-lint reports it.

    cfn-lint computes ``Template.get_location_yaml(template, path)`` and adds 1 to each number
    (``_rule_match_to_match``); where that finds nothing, the match gets line 1, column 1, end
    column 2.  Where cfn-lint's own lookup raises (a path running through an int or past the end
    of a list, which a real finding never has) we give the same no-location answer.
    """
    try:
        found = _get_location_yaml(template, list(path))
    except Exception:  # noqa: BLE001 - see the docstring
        found = None
    if not found:
        return _NO_LOCATION
    return (found[0] + 1, found[1] + 1, found[2] + 1, found[3] + 1)


def cfn_lint_view(template: Any) -> Any:
    """Change `template` in place as ``cfnlint.template.Template(...)`` does before any rule runs.

    cfn-lint's decoder and this loader give the template as written.  But building the
    ``Template`` object (``create_context_for_template`` -> ``cfnlint.context.conditions``) sorts,
    in place, every two-item ``Fn::Equals`` list it reaches from the ``Conditions`` section - so
    rules see, and locate findings on, e.g. ``["prod", {"Ref": "Env"}]`` where the file has
    ``[!Ref Env, prod]``.  A path into such a list (``.../Fn::Equals/0``) therefore names a
    different item in the plugin than in a template as loaded.  Call this on a loaded template
    to see it exactly as cfn-lint's rules do (ported from cfn-lint 1.x; the tests check it
    against the installed cfn-lint).  Returns `template`.

    cfn-lint walks a condition again at every ``Condition: name`` reference, so conditions that
    reference each other a lot take it factorial time; we stop after _MAX_CONDITION_VISITS steps
    (cfn-lint itself would not finish such a template) and leave the rest as it is.
    """
    if not isinstance(template, dict):
        return template
    conditions = template.get("Conditions", {})
    if not isinstance(conditions, dict):  # cfn-lint: ValueError, caught: nothing sorted
        return template
    budget = [_MAX_CONDITION_VISITS]
    for name, value in conditions.items():
        others = conditions.copy()
        del others[name]
        try:
            _visit_condition(value, others, budget)
        except ValueError:
            pass
        except Exception:  # noqa: BLE001 - cfn-lint stops building its context here
            break
    return template


_MAX_CONDITION_VISITS = 200_000


class _OutOfBudget(Exception):
    pass


# cfnlint.helpers.FUNCTIONS_ALL (the ForEach entry is a literal string there too)
_CFN_FUNCTIONS = frozenset(
    ["Fn::Base64", "Fn::Cidr", "Fn::Contains", "Fn::FindInMap", "Fn::ForEach::[a-zA-Z0-9]+", "Fn::GetAtt"]
    + ["Fn::GetAZs", "Fn::GetStackOutput", "Fn::If", "Fn::ImportValue", "Fn::Join", "Fn::Length"]
    + ["Fn::Select", "Fn::Split", "Fn::Sub", "Fn::ToJsonString", "Fn::Transform", "Ref"]
    + ["Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals", "Condition"]
)
_CONDITION_FUNCTIONS = frozenset(["Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals"])


def _is_function(instance: Any) -> Tuple[Optional[str], Any]:
    if isinstance(instance, dict) and len(instance) == 1:
        for key, value in instance.items():
            if key in _CFN_FUNCTIONS:
                return key, value
    return None, None


def _visit_condition(instance: Any, all_conditions: dict, budget: list) -> None:
    """cfnlint.context.conditions._condition.Condition.create_from_instance, for its side effect."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _OutOfBudget
    fn_k, fn_v = _is_function(instance)
    if fn_k is None:
        raise ValueError("Condition value must be an object of length 1")
    if fn_k in _CONDITION_FUNCTIONS:
        if not isinstance(fn_v, list):
            raise ValueError("value should be an array")
        if fn_k == "Fn::Equals":
            if len(fn_v) != 2:
                raise ValueError("Equals has to be a list of two values")
            fn_v.sort(key=_equals_sort_key)  # the one change: in place, in the template
            for item in fn_v:
                if not (item is None or isinstance(item, (str, bool, int, float, dict))):
                    raise ValueError("EqualParameter has to be a string or a dict")
            return
        for item in fn_v:
            _visit_condition(item, all_conditions, budget)
        if fn_k == "Fn::Not" and len(fn_v) != 1:
            raise ValueError("Fn::Not expects only one condition")
        return
    if fn_k == "Condition":
        if not isinstance(fn_v, str):
            raise ValueError("Condition value must be a string")
        sub_condition = all_conditions.get(fn_v)
        try:  # cfn-lint walks the named condition again (without itself), ignoring any error
            sub_all = all_conditions.copy()
            del sub_all[fn_v]
            _visit_condition(sub_condition, sub_all, budget)
        except _OutOfBudget:
            raise
        except Exception:  # noqa: BLE001
            pass
        return
    raise ValueError(f"Unknown key {fn_k!r} in condition")


def _equals_compare(a: Any, b: Any) -> int:
    """cfnlint.context.conditions._equals._sorted: never 0 for strings, so equal items swap."""
    if isinstance(a, dict) and isinstance(b, dict):
        a_k, a_v = _is_function(a)
        b_k, b_v = _is_function(b)
        if a_k is None or b_k is None:
            if a_k is None and b_k is not None:
                return 1
            if a_k is not None and b_k is None:
                return -1
            return 0
        if a_k == "Ref" and isinstance(a_v, str) and b_k == "Ref" and isinstance(b_v, str):
            return -1 if a_v <= b_v else 1
        return -1 if a_k <= b_k else 1
    return -1 if str(a) <= str(b) else 1


_equals_sort_key = functools.cmp_to_key(_equals_compare)


# --------------------------------------------------------------------------------------------
# Decoding: YAML first, JSON only where cfn-lint falls back to it (cfnlint/decode/decode.py)


class _Refused(Exception):
    """A construction error, in the order cfn-lint would raise it: (problem, 1-based line)."""

    def __init__(self, problem: str, line: Optional[int] = None):
        super().__init__(problem)
        self.problem = problem
        self.line = line


def _decode(text: str, filename: Optional[str]) -> Any:
    try:
        return _load_yaml(text)
    except _Refused as exc:
        raise LoadError(filename, exc.problem, exc.line) from None
    except yaml.scanner.ScannerError as exc:
        problem = exc.problem or ""
        if problem == "found character '\\t' that cannot start any token" or problem.startswith(
            "found unknown escape character"
        ):
            # cfn-lint's JSON fallback.  Note: libyaml words its tab error without the '\t', so
            # with the C loader only the escape error falls back; tab-indented JSON is read as YAML.
            return _json_fallback(text, filename, exc)
        raise _yaml_load_error(filename, exc, text) from None
    except yaml.YAMLError as exc:
        raise _yaml_load_error(filename, exc, text) from None


def _json_fallback(text: str, filename: Optional[str], yaml_exc: Exception) -> Any:
    try:
        return _load_json(text)
    except _JsonError as exc:
        if exc.msg == "Expecting value":  # cfn-lint then reports the YAML error instead
            raise _yaml_load_error(filename, yaml_exc, text) from None
        raise LoadError(filename, exc.msg, exc.line) from None
    except _Refused as exc:
        raise LoadError(filename, exc.problem, exc.line) from None
    except ValueError as exc:  # int() of a number with too many digits
        raise LoadError(filename, f"cannot parse as JSON: {exc}") from None


def _yaml_load_error(filename: Optional[str], exc: Exception, text: str) -> LoadError:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = exc.character
        char = f"#x{ord(char):04x}" if isinstance(char, str) else f"#x{char:04x}" if isinstance(char, int) else "character"
        return LoadError(filename, f"unacceptable character {char}: {exc.reason}", line)
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if problem:
        context = getattr(exc, "context", None)
        message = f"{context}: {problem}" if context and isinstance(exc, yaml.composer.ComposerError) else problem
        return LoadError(filename, message, mark.line + 1 if mark is not None else None)
    return LoadError(filename, str(exc).split("\n")[0] or type(exc).__name__)


def _load_yaml(text: str) -> Any:
    """cfn_yaml.loads(text): the fast builder, or the exact node-based replica when it bails out."""
    result = _build_from_events(text)
    if result is not _BAIL:
        return result
    return _load_with_nodes(text)


# --------------------------------------------------------------------------------------------
# The node-based replica of cfn-lint's constructor (cfnlint/decode/cfn_yaml.py), for documents
# with anchors, aliases, merge keys or unusual tags.  Same base loader, same methods, our nodes.


def _m(mark) -> Mark:
    return Mark(mark.line, mark.column)


_DECIMAL = re.compile(r"[-+]?[0-9][0-9_]*")


class _NodeLoader(_BaseLoader):
    def flatten_mapping(self, node):
        # cfn-lint's override: flatten twice when there is a merge key, and remember the merge
        if any(key_node.tag == _MERGE for key_node, _ in node.value):
            SafeConstructor.flatten_mapping(self, node)
            setattr(node, "using_merge", True)
        SafeConstructor.flatten_mapping(self, node)

    def construct_yaml_map(self, node):
        mapping: dict = {}
        self.flatten_mapping(node)
        using_merge = getattr(node, "using_merge", False)
        duplicate = None
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, False)
            value = self.construct_object(value_node, False)
            if key is None:
                raise _Refused(f"Null key {key_node.value!r} not supported", key_node.start_mark.line + 1)
            try:
                present = key in mapping  # cfn-lint compares with every key: O(n^2) on big maps
            except TypeError:
                raise _Refused(f"Unhashable type {_short(key)!r}", key_node.start_mark.line + 1) from None
            if present and not using_merge and duplicate is None:
                duplicate = _duplicate_error(mapping, key, key_node.start_mark.line + 1)
            mapping[key] = value
        if duplicate is not None:
            raise duplicate
        (obj,) = SafeConstructor.construct_yaml_map(self, node)
        return DictNode(obj, _m(node.start_mark), _m(node.end_mark))

    def construct_yaml_int(self, node):
        # An integer with more digits than int() converts or str() prints (4,300 decimal digits)
        # is kept as its text, so the engine reads it as a number too large (an unknown value)
        # instead of the whole template failing; cfn-lint itself stops at it with E0000.
        try:
            value = SafeConstructor.construct_yaml_int(self, node)
        except ValueError:
            if not _DECIMAL.fullmatch(node.value):
                raise  # "!!int x": an error, as in cfn-lint
            value = None
        if value is not None and value.bit_length() < 14_000:  # (0x... of any length converts, but cannot be printed)
            return value
        return StrNode(node.value, _m(node.start_mark), _m(node.end_mark))

    def construct_yaml_str(self, node):
        return StrNode(SafeConstructor.construct_yaml_str(self, node), _m(node.start_mark), _m(node.end_mark))

    def construct_yaml_seq(self, node):
        (obj,) = SafeConstructor.construct_yaml_seq(self, node)
        return ListNode(obj, _m(node.start_mark), _m(node.end_mark))

    def construct_getatt(self, node):
        if isinstance(node.value, str):
            return ListNode(node.value.split(".", 1), _m(node.start_mark), _m(node.end_mark))
        if isinstance(node.value, list):
            if any(isinstance(value, tuple) for value in node.value):
                mapping = MappingNode(_MAP, node.value, node.start_mark, node.end_mark)
                return DictNode(self.construct_object(mapping, deep=True))  # default marks, as cfn-lint
            return ListNode(
                [self.construct_object(child, deep=True) for child in node.value],
                _m(node.start_mark),
                _m(node.end_mark),
            )
        raise ValueError(f"Unexpected GetAtt format: {type(node.value)}")

    def construct_short_form(self, tag_suffix, node):
        """cfn-lint's multi_constructor for ``!X`` tags."""
        if tag_suffix not in UNCONVERTED_SUFFIXES:
            tag_suffix = f"{FN_PREFIX}{tag_suffix}"
        marks = (_m(node.start_mark), _m(node.end_mark))
        if tag_suffix == _GETATT:
            return DictNode({tag_suffix: self.construct_getatt(node)}, *marks)
        if isinstance(node, ScalarNode):
            return DictNode({tag_suffix: self.construct_scalar(node)}, *marks)
        if isinstance(node, SequenceNode):
            return DictNode({tag_suffix: self.construct_sequence(node, True)}, *marks)
        if isinstance(node, MappingNode):
            return DictNode({tag_suffix: self.construct_mapping(node, True)}, *marks)
        raise ValueError(f"Bad tag: !{tag_suffix}")


_NodeLoader.add_constructor(_MAP, _NodeLoader.construct_yaml_map)
_NodeLoader.add_constructor(_STR, _NodeLoader.construct_yaml_str)
_NodeLoader.add_constructor(_TAG + "int", _NodeLoader.construct_yaml_int)
_NodeLoader.add_constructor(_SEQ, _NodeLoader.construct_yaml_seq)
_NodeLoader.add_multi_constructor("!", _NodeLoader.construct_short_form)


def _load_with_nodes(text: str) -> Any:
    # Depth and alias count were checked on the whole event stream by _build_from_events.
    loader = _NodeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_alias_expansion(node)
        try:
            return loader.construct_document(node)
        except (_Refused, RecursionError, MemoryError):
            raise
        except yaml.YAMLError as exc:
            raise _Refused(_yaml_message(exc), _yaml_line(exc)) from None
        except Exception as exc:  # noqa: BLE001 - cfn-lint: "Template could not be parsed: ..."
            raise _Refused(f"Template could not be parsed: {exc}") from None
    finally:
        loader.dispose()


def _check_alias_expansion(root) -> None:
    """Refuse recursive aliases and documents whose aliases would expand beyond the bound.

    The composed graph shares one node per anchor; the size of the document with every alias
    copied out is computed bottom-up over the distinct nodes (exact integers: with at most
    MAX_ALIASES aliases and MAX_DEPTH levels they stay small enough to add cheaply).
    """
    size: dict = {}  # id(node) -> size of the node with its aliases expanded
    active = set()  # nodes on the current path: meeting one again is a recursive alias
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            active.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            continue
        if key in size:
            continue
        active.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in active:
                raise _Refused("recursive YAML alias", child.start_mark.line + 1)
            if id(child) not in size:
                stack.append((child, False))
    if size[id(root)] - len(size) > MAX_ALIAS_EXPANSION:
        raise _Refused(f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} extra nodes (alias bomb?)")


def _children(node):
    if isinstance(node, SequenceNode):
        return node.value
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return ()


def _yaml_message(exc: Exception) -> str:
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    text = ": ".join(p for p in parts if p)
    return f"Template could not be parsed: {text or str(exc).splitlines()[0]}"


def _yaml_line(exc: Exception) -> Optional[int]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


# --------------------------------------------------------------------------------------------
# The fast builder: the same nodes as _NodeLoader, straight from parser events (no Node objects,
# no recursion), for documents without anchors/aliases/merge keys/exotic tags.  On anything it
# does not handle it stops building but keeps reading events to the end, checking depth and
# alias count, and returns _BAIL so that _load_with_nodes does the document.  Construction
# errors are also held until the end: cfn-lint composes the whole document before constructing
# it, so a later scanner/parser error (which may mean "try JSON") takes precedence.

_BAIL = object()
_MAPPING, _SEQUENCE, _TAGGED_MAP, _TAGGED_SEQ, _GETATT_MAP = range(5)


class _Bail(Exception):
    pass


class _Hostile(_Refused):
    """Refused at once, without reading further (nesting, alias count)."""


class _Frame:
    __slots__ = ("kind", "items", "start", "suffix", "key", "has_key", "key_raw", "key_line", "duplicate")

    def __init__(self, kind, items, start, suffix=None):
        self.kind = kind
        self.items = items
        self.start = start
        self.suffix = suffix
        self.has_key = False
        self.duplicate = None


def _build_from_events(text: str) -> Any:
    loader = _NodeLoader(text)  # used only for its parser, resolver and scalar constructors
    try:
        return _run_events(loader)
    finally:
        loader.dispose()


def _run_events(loader) -> Any:
    get_event = loader.get_event
    get_event()  # StreamStart
    event = get_event()
    if type(event) is StreamEndEvent:
        return None
    stack: List[_Frame] = []
    state = {"root": None}
    held: Optional[_Refused] = None
    bailed = False
    try:
        _construct(loader, get_event, stack, state)
    except _Hostile:
        raise
    except _Bail:
        bailed = True
    except _Refused as exc:
        held = exc
    except yaml.constructor.ConstructorError as exc:  # a scalar constructor (!!binary, !!int x, ...)
        held = _Refused(_yaml_message(exc), _yaml_line(exc))
    except (yaml.YAMLError, RecursionError, MemoryError):  # scanner/parser/reader errors: at once
        raise
    except Exception as exc:  # noqa: BLE001 - cfn-lint: "Template could not be parsed: ..."
        held = _Refused(f"Template could not be parsed: {exc}")
    else:
        _expect_single_document(get_event)
        return state["root"]
    # Stopped building: read the rest of the document for depth/alias checks and scanner errors.
    _scan_rest(get_event, len(stack), state.get("aliases", 0))
    _expect_single_document(get_event)
    if held is not None:
        raise held
    assert bailed
    return _BAIL


def _expect_single_document(get_event) -> None:
    event = get_event()
    if type(event) is not StreamEndEvent:
        raise _Refused("expected a single document in the stream, but found another document", event.start_mark.line + 1)


def _scan_rest(get_event, depth: int, aliases: int) -> None:
    while True:
        event = get_event()
        cls = type(event)
        if cls is MappingStartEvent or cls is SequenceStartEvent:
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(event)
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            depth -= 1
        elif cls is AliasEvent:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _Hostile(f"more than {MAX_ALIASES:,} YAML aliases", event.start_mark.line + 1)
        elif cls is DocumentEndEvent:
            return


def _too_deep(event) -> _Hostile:
    return _Hostile(f"template is nested more than {MAX_DEPTH} levels deep", event.start_mark.line + 1)


def _construct(loader, get_event, stack: List[_Frame], state: dict) -> None:
    """Build the document's nodes from events; leaves the root in state["root"]."""
    resolve = loader.resolve
    constructors = loader.yaml_constructors
    resolvers = loader.yaml_implicit_resolvers
    shortcut = None not in resolvers and not loader.yaml_path_resolvers
    first_chars = frozenset(resolvers)

    while True:
        event = get_event()
        cls = type(event)
        if cls is ScalarEvent:
            if event.anchor is not None:
                raise _Bail
            tag = event.tag
            value = event.value
            if tag is None or tag == "!":
                implicit = event.implicit
                if tag is None and (not implicit[0] or (shortcut and (value[:1] if value else "") not in first_chars)):
                    tag = _STR
                else:
                    tag = resolve(ScalarNode, value, implicit)
            start = event.start_mark
            if tag == _STR:  # the bulk of a template: StrNode(...) inlined
                node: Any = _new_str(StrNode, value)
                node.start_mark = _new_mark((start.line, start.column))
                end = event.end_mark
                node.end_mark = _new_mark((end.line, end.column))
            elif tag in _SIMPLE_SCALARS:
                node = constructors[tag](loader, ScalarNode(tag, value, start, event.end_mark))
            elif tag.startswith("!"):
                marks = (_new_mark((start.line, start.column)), _m(event.end_mark))
                suffix = _short_form_key(tag)
                if suffix == _GETATT:
                    node = DictNode({suffix: ListNode(value.split(".", 1), *marks)}, *marks)
                else:
                    node = DictNode({suffix: value}, *marks)
            else:  # merge/value keys, !!set and other explicit tags: the replica knows them
                raise _Bail
            key_raw, key_line = value, start.line + 1
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if len(stack) >= MAX_DEPTH:
                raise _too_deep(event)
            if event.anchor is not None:
                stack.append(None)  # keep the depth right for _scan_rest
                raise _Bail
            tag = event.tag
            mapping = cls is MappingStartEvent
            start = _new_mark((event.start_mark.line, event.start_mark.column))
            if tag is None or tag == "!" or tag == (_MAP if mapping else _SEQ):
                frame = _Frame(_MAPPING, {}, start) if mapping else _Frame(_SEQUENCE, [], start)
            elif tag.startswith("!"):
                suffix = _short_form_key(tag)
                if not mapping:
                    frame = _Frame(_TAGGED_SEQ, [], start, suffix)
                elif suffix == _GETATT:
                    frame = _Frame(_GETATT_MAP, {}, start, suffix)
                else:
                    frame = _Frame(_TAGGED_MAP, {}, start, suffix)
            else:
                stack.append(None)
                raise _Bail
            stack.append(frame)
            continue
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            frame = stack.pop()
            end = _new_mark((event.end_mark.line, event.end_mark.column))
            kind = frame.kind
            if kind == _SEQUENCE:
                node = ListNode(frame.items, frame.start, end)
            elif kind == _MAPPING:
                if frame.duplicate is not None:
                    raise frame.duplicate
                node = DictNode(frame.items, frame.start, end)
            elif kind == _TAGGED_SEQ:
                if frame.suffix == _GETATT:
                    node = DictNode({_GETATT: ListNode(frame.items, frame.start, end)}, frame.start, end)
                else:
                    node = DictNode({frame.suffix: frame.items}, frame.start, end)
            elif kind == _TAGGED_MAP:
                node = DictNode({frame.suffix: frame.items}, frame.start, end)
            else:  # !GetAtt {..}: a re-wrapped map with default marks; an empty one is a list
                if frame.duplicate is not None:
                    raise frame.duplicate
                inner = DictNode(frame.items) if frame.items else ListNode([], frame.start, end)
                node = DictNode({_GETATT: inner}, frame.start, end)
            key_raw, key_line = None, frame.start.line + 1
        elif cls is AliasEvent:
            state["aliases"] = 1
            raise _Bail
        elif cls is DocumentEndEvent:
            return
        else:  # pragma: no cover - the parser sends nothing else inside a document
            raise _Bail

        # Attach the finished node to its parent.
        if not stack:
            state["root"] = node
            continue
        parent = stack[-1]
        kind = parent.kind
        if kind == _SEQUENCE or kind == _TAGGED_SEQ:
            parent.items.append(node)
        elif not parent.has_key:
            if kind == _TAGGED_MAP and not isinstance(node, collections.abc.Hashable):
                raise _Refused("while constructing a mapping: found unhashable key", key_line)
            parent.key, parent.has_key = node, True
            parent.key_raw, parent.key_line = key_raw, key_line
        else:
            parent.has_key = False
            key, items = parent.key, parent.items
            if kind == _TAGGED_MAP:
                items[key] = node
                continue
            if key is None:
                raise _Refused(f"Null key {parent.key_raw!r} not supported", parent.key_line)
            try:
                present = key in items
            except TypeError:
                raise _Refused(f"Unhashable type {_short(key)!r}", parent.key_line) from None
            if present and parent.duplicate is None:
                parent.duplicate = _duplicate_error(items, key, parent.key_line)
            items[key] = node


def _short_form_key(tag: str) -> str:
    suffix = tag[1:]
    return suffix if suffix in UNCONVERTED_SUFFIXES else f"{FN_PREFIX}{suffix}"


def _duplicate_error(mapping: dict, key: Any, line: int) -> _Refused:
    first = next((k for k in mapping if k == key), None)
    mark = getattr(first, "start_mark", None)
    also = f", first at line {mark.line + 1}" if mark is not None else ""
    return _Refused(f"Duplicate found {_short(key)!r}{also}", line)


# --------------------------------------------------------------------------------------------
# JSON, as cfnlint/decode/cfn_json.py reads it: the standard library's grammar (strict strings,
# its number syntax, NaN/Infinity), objects as DictNode, arrays as ListNode, keys as StrNode and
# string values as plain str, with cfn_json's marks (see _json_marks).  Iterative, depth-limited.

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = json.scanner.NUMBER_RE  # the pattern cfn_json matches numbers with
_scanstring = json.decoder.scanstring
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class _JsonError(Exception):
    def __init__(self, msg: str, text: str, pos: int):
        super().__init__(msg)
        self.msg = msg
        self.line = text.count("\n", 0, max(0, min(pos, len(text)))) + 1


def _json_marks(start: int, end: int, newlines: List[int]) -> Tuple[Mark, Mark]:
    """cfn_json.get_beg_end_mark, to the quirk: the start column is 1 more than YAML's (the
    distance from the previous newline), and the end line is one less than the line count (on
    files with more than one newline), its column measured from that line's preceding newline."""
    begin_line = bisect_right(newlines, start)
    begin_col = start - (newlines[begin_line - 1] if newlines and begin_line else -1)
    end_count = bisect_right(newlines, end)
    end_line = end_count - (1 if len(newlines) > 1 else 0)
    end_col = end - (newlines[end_line - 1] if newlines and end_count else -1)
    return Mark(begin_line, begin_col), Mark(end_line, end_col)


def _load_json(text: str) -> Any:
    if text.startswith("\ufeff"):
        raise _JsonError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    newlines = [m.start() for m in re.finditer("\n", text)]
    ws = _WS.match
    stack: list = []  # [is_object, items, start, pending key]
    pos = ws(text, 0).end()

    def read_key(pos: int) -> Tuple[StrNode, int]:
        """The key whose opening quote is at pos, and the position after ':' and whitespace."""
        key, end = _scan(text, pos + 1)
        key = StrNode(key, *_json_marks(pos, pos + len(key), newlines))
        if text[end : end + 1] != ":":
            end = ws(text, end).end()
            if text[end : end + 1] != ":":
                raise _JsonError("Expecting ':' delimiter", text, end)
        return key, ws(text, end + 1).end()

    while True:
        # A value starts at pos.
        char = text[pos : pos + 1]
        if char == '"':
            value, pos = _scan(text, pos + 1)
        elif char == "{" or char == "[":
            start = pos + 1
            after = ws(text, start).end()
            close = "}" if char == "{" else "]"
            if text[after : after + 1] == close:
                marks = _json_marks(start, after + 1, newlines)
                value = DictNode({}, *marks) if char == "{" else ListNode([], *marks)
                pos = after + 1
            else:
                if len(stack) >= MAX_DEPTH:
                    raise _Hostile(f"template is nested more than {MAX_DEPTH} levels deep", text.count("\n", 0, pos) + 1)
                if char == "{":
                    if text[after : after + 1] != '"':
                        raise _JsonError("Expecting property name enclosed in double quotes", text, after)
                    key, pos = read_key(after)
                    stack.append([True, [], start, key])
                else:
                    stack.append([False, [], start, None])
                    pos = after
                continue
        elif char == "n" and text.startswith("null", pos):
            value, pos = None, pos + 4
        elif char == "t" and text.startswith("true", pos):
            value, pos = True, pos + 4
        elif char == "f" and text.startswith("false", pos):
            value, pos = False, pos + 5
        else:
            match = _NUMBER.match(text, pos)
            if match is not None:
                integer, frac, exp = match.groups()
                if frac or exp:
                    value = float(integer + (frac or "") + (exp or ""))
                elif len(integer) > 4000:  # int() refuses over 4,300 digits: keep the text (see construct_yaml_int)
                    value = StrNode(integer, *_json_marks(pos, match.end(), newlines))
                else:
                    value = int(integer)
                pos = match.end()
            elif char == "N" and text.startswith("NaN", pos):
                value, pos = _CONSTANTS["NaN"], pos + 3
            elif char == "I" and text.startswith("Infinity", pos):
                value, pos = _CONSTANTS["Infinity"], pos + 8
            elif char == "-" and text.startswith("-Infinity", pos):
                value, pos = _CONSTANTS["-Infinity"], pos + 9
            else:
                raise _JsonError("Expecting value", text, pos)

        # A value ended at pos: hand it to its container, closing containers as they end.
        while True:
            if not stack:
                pos = ws(text, pos).end()
                if pos != len(text):
                    raise _JsonError("Extra data", text, pos)
                return value
            frame = stack[-1]
            is_object, items = frame[0], frame[1]
            items.append((frame[3], value) if is_object else value)
            pos = ws(text, pos).end()
            char = text[pos : pos + 1]
            if char == ",":
                pos = ws(text, pos + 1).end()
                if is_object:
                    if text[pos : pos + 1] != '"':
                        raise _JsonError("Expecting property name enclosed in double quotes", text, pos)
                    frame[3], pos = read_key(pos)
                break
            if char != ("}" if is_object else "]"):
                raise _JsonError("Expecting ',' delimiter", text, pos)
            stack.pop()
            marks = _json_marks(frame[2], pos + 1, newlines)
            pos += 1
            if is_object:
                value = DictNode({}, *marks)
                for key, item in items:  # cfn_json.check_duplicates
                    if key in value:
                        first = next(k for k in value if k == key)
                        raise _Refused(
                            f"Duplicate found {_short(key)!r}, first at line {first.start_mark.line + 1}",
                            key.start_mark.line + 1,
                        )
                    value[key] = item
            else:
                value = ListNode(items, *marks)


def _scan(text: str, pos: int) -> Tuple[str, int]:
    try:
        return _scanstring(text, pos, True)
    except json.JSONDecodeError as exc:
        raise _JsonError(exc.msg, text, exc.pos) from None


# --------------------------------------------------------------------------------------------
# Locations: cfnlint.template.Template.get_location_yaml and _loc, line for line.


def _loc(obj: Any) -> Tuple[int, int, int, int]:
    return (obj.start_mark.line, obj.start_mark.column, obj.end_mark.line, obj.end_mark.column)


def _get_location_yaml(text: Any, path: list):
    result = None
    if not path:
        result = _loc(text)
    elif len(path) > 1:
        try:
            result = _get_location_yaml(text[path[0]], path[1:])
        except KeyError:
            pass
        except TypeError:  # e.g. a path inside a string
            pass
        if not result:  # fall back to the key that leads there
            try:
                for key in text:
                    if key == path[0]:
                        result = _loc(key)
            except AttributeError:
                pass
    else:
        if isinstance(text, list) and isinstance(path[0], int):
            try:
                result = _loc(text[path[0]])
            except (AttributeError, IndexError):
                pass
        else:
            try:
                for key in text:
                    if key == path[0]:
                        result = _loc(key)
            except AttributeError:
                pass
    return result


# --------------------------------------------------------------------------------------------
# Small helpers

_LINE_BREAKS = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in (0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029)}


def _one_line(text: str) -> str:
    return str(text).translate(_LINE_BREAKS)


def _short(value: Any, limit: int = 80) -> Any:
    """A value for an error message, cut short if long."""
    if isinstance(value, str):
        value = str(value)
        return value if len(value) <= limit else value[:limit] + "..."
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"
