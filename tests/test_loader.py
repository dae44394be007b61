"""The standalone loader gives exactly cfn-lint's data, node types, marks and finding locations."""

from __future__ import annotations

import copy
import datetime
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecsnetpolicy.load import template as L
from ecsnetpolicy.load.template import DictNode, ListNode, LoadError, Mark, StrNode, load_file, loads, locate

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "fixtures"
SUFFIXES = (".yaml", ".yml", ".json")


def _files(base: Path) -> List[Path]:
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.suffix in SUFFIXES and p.is_file())


CORPUS_FILES = _files(CORPUS)
FIXTURE_FILES = _files(FIXTURES)
CORPUS_YAML = [p for p in CORPUS_FILES if p.suffix != ".json"]


def _id(path: Path) -> str:
    for base in (CORPUS, FIXTURES):
        if base in path.parents:
            return str(path.relative_to(base))
    return path.name


# --------------------------------------------------------------------------------------------
# cfn-lint's side


def cfn_decode_file(path) -> Tuple[Any, list]:
    from cfnlint.decode import decode

    return decode(str(path))


def cfn_decode_str(text: str) -> Tuple[Any, list]:
    from cfnlint.decode import decode_str

    return decode_str(text)


class CfnLocator:
    """Locations exactly as cfn-lint reports them for a RuleMatch with a path.

    Building cfn-lint's Template sorts the Fn::Equals lists of the Conditions in place (see
    loader.cfn_lint_view).  With as_rules_see the Template is built on `template` itself, so the
    locations are those of a real cfn-lint run; without, on a copy, so that `template` stays as
    decoded and the locations are those of get_location_yaml on the decoded template.
    """

    def __init__(self, template: Any, filename: str = "t.yaml", as_rules_see: bool = False):
        from cfnlint.rules import CloudFormationLintRule
        from cfnlint.template import Template

        try:
            self.cfn = Template(filename, template if as_rules_see else copy.deepcopy(template), regions=["us-east-1"])
        except Exception:  # a template cfn-lint cannot analyse still has locations
            self.cfn = Template.__new__(Template)
        self.cfn.template = template
        self.filename = filename

        class Rule(CloudFormationLintRule):
            id = "E9999"
            shortdesc = description = "test"

        self.rule = Rule()

    def __call__(self, path) -> Tuple[int, int, int, int]:
        from cfnlint.rules import RuleMatch
        from cfnlint.rules._rule import _rule_match_to_match

        try:
            match = next(_rule_match_to_match(self.rule, self.filename, self.cfn, RuleMatch(list(path), "m")))
        except Exception:  # cfn-lint's get_location_yaml itself raises: no location
            return (1, 1, 1, 2)
        return (match.linenumber, match.columnnumber, match.linenumberend, match.columnnumberend)


# --------------------------------------------------------------------------------------------
# Comparison helpers


def all_paths(node: Any, prefix: Tuple = ()) -> Iterator[Tuple]:
    """Every dict-key path and list-index path in the template, recursively."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from all_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield prefix + (index,)
            yield from all_paths(value, prefix + (index,))


def _kind(value: Any) -> str:
    """A type name that our nodes and cfn-lint's nodes share."""
    name = type(value).__name__
    return {"DictNode": "dict_node", "ListNode": "list_node", "StrNode": "str_node"}.get(name, name)


def _marks(value: Any):
    if not hasattr(value, "start_mark"):
        return None
    return (value.start_mark.line, value.start_mark.column, value.end_mark.line, value.end_mark.column)


def assert_same_nodes(ours: Any, theirs: Any, where: Tuple = ()) -> None:
    """Same data, same node types in the same places (keys included), same marks."""
    assert _kind(ours) == _kind(theirs), f"type at {where}: {_kind(ours)} != {_kind(theirs)}"
    assert _marks(ours) == _marks(theirs), f"marks at {where}: {_marks(ours)} != {_marks(theirs)}"
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"keys at {where}"
        for (ko, vo), (kt, vt) in zip(ours.items(), theirs.items()):
            assert_same_nodes(ko, kt, where + ("<key>", kt))
            assert_same_nodes(vo, vt, where + (kt,))
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs), f"length at {where}"
        for i, (vo, vt) in enumerate(zip(ours, theirs)):
            assert_same_nodes(vo, vt, where + (i,))
    elif isinstance(theirs, (set, frozenset)):
        assert ours == theirs
    else:
        assert ours == theirs or (ours != ours and theirs != theirs), f"value at {where}"  # NaN


def missing_paths(template: Any) -> List[Tuple]:
    """Paths that are not in the template, to check the fallbacks."""
    paths: List[Tuple] = [("Nope",), ("Nope", "Deeper"), ("Resources", "Nope"), ("Resources", "Nope", "Properties")]
    for path in list(all_paths(template))[:400]:
        paths.append(path + ("Nope",))
        paths.append(path + (0,))
        paths.append(path + (99, "x"))
        paths.append(path + ("Nope", 3))
    return paths


def assert_like_cfn_lint(ours: Any, theirs: Any, filename: str = "t.yaml") -> None:
    """Same data and nodes as cfn-lint's decoder; same locations for every path, both on the
    template as decoded and on the template as cfn-lint's rules see it (cfn_lint_view)."""
    assert ours == theirs
    assert_same_nodes(ours, theirs)
    for as_rules_see in (False, True):
        if as_rules_see:
            assert L.cfn_lint_view(ours) is ours
        cfn_locate = CfnLocator(theirs, filename, as_rules_see=as_rules_see)
        assert_same_nodes(ours, theirs)
        assert locate(ours, []) == cfn_locate([])
        for path in list(all_paths(theirs)) + missing_paths(theirs):
            assert locate(ours, path) == cfn_locate(path), (as_rules_see, path)


def assert_loader_agrees(path: Path) -> None:
    """load_file(path) against cfnlint.decode.decode(path): both fail, or the same nodes/locations."""
    theirs, matches = cfn_decode_file(path)
    if matches or not isinstance(theirs, dict) or not theirs:
        with pytest.raises(LoadError):
            load_file(str(path))
        return
    ours = load_file(str(path))
    assert_like_cfn_lint(ours, theirs, str(path))


def assert_text_agrees(text: str) -> None:
    """loads(text) against cfnlint.decode.decode_str(text)."""
    theirs, matches = cfn_decode_str(text)
    if matches or not isinstance(theirs, dict) or not theirs:
        with pytest.raises(LoadError) as info:
            loads(text, "t.yaml")
        assert "\n" not in str(info.value)
        return
    ours = loads(text, "t.yaml")
    assert_like_cfn_lint(ours, theirs)


# --------------------------------------------------------------------------------------------
# Real templates


@pytest.mark.skipif(not CORPUS_FILES, reason="no corpus beside the repository")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=_id)
def test_corpus_template_like_cfn_lint(path: Path) -> None:
    assert_loader_agrees(path)


@pytest.mark.skipif(not FIXTURE_FILES, reason="no fixtures yet")
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=_id)
def test_fixture_like_cfn_lint(path: Path) -> None:
    assert_loader_agrees(path)


@pytest.mark.skipif(not CORPUS_FILES, reason="no corpus beside the repository")
@pytest.mark.parametrize("path", CORPUS_FILES[:6], ids=_id)
def test_node_replica_equals_fast_builder(path: Path) -> None:
    """The node-based replica (used for anchors/merges) and the event builder agree."""
    text = path.read_text(encoding="utf-8")
    assert_same_nodes(L._build_from_events(text), L._load_with_nodes(text))


def _plain(value: Any) -> Any:
    """JSON data, with dates as cfn-flip writes them."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


@pytest.mark.skipif(not CORPUS_YAML, reason="no corpus beside the repository")
@pytest.mark.parametrize("path", CORPUS_YAML, ids=_id)
def test_corpus_as_json_via_cfn_flip(path: Path, tmp_path: Path) -> None:
    import cfn_flip

    text = path.read_text(encoding="utf-8")
    target = tmp_path / (path.stem + ".json")
    target.write_text(cfn_flip.to_json(text), encoding="utf-8")
    assert_loader_agrees(target)
    try:
        from_yaml = load_file(str(path))
    except LoadError:  # e.g. duplicate keys, which cfn-flip silently drops
        return
    assert _plain(load_file(str(target))) == _plain(from_yaml)


LOADABLE_CORPUS_YAML = [p for p in CORPUS_YAML if "Duplicate" not in str(cfn_decode_file(p)[1])][:4] if CORPUS_YAML else []


@pytest.mark.skipif(not LOADABLE_CORPUS_YAML, reason="no corpus beside the repository")
@pytest.mark.parametrize("path", LOADABLE_CORPUS_YAML, ids=_id)
def test_tab_indented_json_like_cfn_lint(path: Path, tmp_path: Path) -> None:
    data = _plain(load_file(str(path)))
    target = tmp_path / "tabs.json"
    target.write_text(json.dumps(data, indent="\t") + "\n", encoding="utf-8")
    assert _plain(load_file(str(target))) == data
    assert_loader_agrees(target)


def test_tab_indented_json_small(tmp_path: Path) -> None:
    target = tmp_path / "t.json"
    target.write_text(
        '{\n\t"AWSTemplateFormatVersion": "2010-09-09",\n\t"Resources": {\n\t\t"B": {\n\t\t\t"Type": "AWS::S3::Bucket",'
        '\n\t\t\t"Properties": {"Tags": [\n\t\t\t\t{"Key": "k",\t"Value": {"Fn::Sub": "${AWS::Region}"}}\n\t\t\t]}\n\t\t}\n\t}\n}\n',
        encoding="utf-8",
    )
    assert_loader_agrees(target)
    assert locate(load_file(str(target)), ["Resources", "B", "Type"])[0] == 5


# --------------------------------------------------------------------------------------------
# YAML features, one by one, against cfn-lint

SNIPPETS = {
    "short forms": """
        Resources:
          A:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: !Sub "${AWS::StackName} sg"
              VpcId: !Ref Vpc
              Name: !Join ["-", [!Ref AWS::StackName, !Select [0, !GetAZs ""]]]
              Cidr: !Select [0, !Cidr [!GetAtt Vpc.CidrBlock, 4, 8]]
              Other: !If [Cond, !ImportValue {"Fn::Sub": "${Net}-Vpc"}, !Ref AWS::NoValue]
              Split: !Split [",", !FindInMap [M, !Ref AWS::Region, K]]
              B64: !Base64 |
                #!/bin/bash
                echo hi
              T: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
              X: !Whatever [1, 2]
              Y: !Condition IsProd
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
          Both: !And [!Condition IsProd, !Not [!Equals [!Ref Env, dev]], !Or [!Condition IsProd, !Condition IsProd]]
        """,
    "getatt forms": """
        A: !GetAtt Res.Attr.Deep
        B: !GetAtt [Res, Attr]
        C: !GetAtt [Res, !Ref Attr]
        D: !GetAtt {Res: Attr}
        E: !GetAtt {}
        F: !GetAtt []
        G: !GetAtt ""
        """,
    "scalars": """
        s: plain
        q: 'single'
        d: "double \\t \\u00e9"
        i: 42
        o: 0o17
        h: 0x1F
        f: 1.5
        e: 1e5
        n: ~
        empty:
        b: yes
        t: 2010-09-09
        ts: 2001-12-14t21:59:43.10-05:00
        bin: !!binary aGVsbG8=
        s2: !!str 12
        i2: !!int "12"
        lit: |
          line one
          line two
        fold: >-
          folded
          text
        unicode: "\u00e9\u4e2d"
        sexagesimal: 1:20
        nonspecific: ! 12
        """,
    "keys": """
        1: int key
        true: bool key
        "quoted": q
        'single': s
        ? complex
        : value
        1.5: float key
        2020-01-01: date key
        """,
    "flow and block": """
        Resources: {A: {Type: "AWS::S3::Bucket", Properties: {Tags: [{Key: a, Value: b}, {Key: c, Value: d}]}},
          B: {Type: X}}
        L:
        - a
        - - nested
          - [x, y]
        - {k: v}
        -
        - !Ref Z
        """,
    "anchors and merges": """
        base: &base {a: 1, b: [x, y]}
        tags: &tags
          - {Key: k, Value: v}
        r1: {<<: *base, c: 2}
        r2:
          <<: [*base, {d: 4}]
          a: 9
          a: 10
        r3: *tags
        r4: [*tags, *base]
        """,
    "conditions": """
        Parameters: {Env: {Type: String}, Other: {Type: String}}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
          IsProdAgain: !Equals [prod, !Ref Env]
          Same: !Equals [x, x]
          SameRefs: !Equals [!Ref Env, !Ref Env]
          TwoRefs: !Equals [!Ref Other, !Ref Env]
          Funcs: !Equals [!Select [0, [a]], !Sub "${Env}"]
          NotFunctions: !Equals [{a: 1}, {b: 2}]
          Numbers: !Equals [10, 9]
          Bools: !Equals [true, "false"]
          Nulls: !Equals [~, ""]
          Chain1: !And [!Condition Same, !Condition Chain2, !Equals [b, a]]
          Chain2: !Or [!Condition Same, !Not [!Condition IsProd]]
          Missing: !Not [!Condition Nope]
          SelfRef: !And [!Condition SelfRef, !Equals [z, y]]
          BadNot: !Not [!Equals [d, c], !Equals [f, e]]
          ThreeItems: !Equals [c, b, a]
          WithList: !Equals [[b], a]
          NotAList: !Equals "x"
          Unknown: {Foo: [b, a]}
        Resources:
          R:
            Type: X
            Condition: IsProd
            Properties:
              P: !If [IsProd, !Equals [b, a], c]
        """,
    "conditions not a mapping": "Conditions: [!Equals [b, a]]\nR: !Equals [b, a]\n",
    "merge only override": "a: &x {k: 1}\nb: {<<: *x, k: 2, k: 3}\n",
    "tagged mapping duplicates": "a: !Transform {k: 1, k: 2}\n",
    "tagged mapping null key": "a: !Transform {~: 1}\n",
    "getatt mapping duplicates": "a: !GetAtt {k: 1, k: 2}\n",
    "sets and omaps": "a: !!set {x, y}\nb: !!omap [{k: 1}]\nc: !!pairs [{k: 1}, {k: 2}]\n",
    "value key": "=: 1\n",
    "document markers": "%YAML 1.1\n---\na: 1\n...\n",
    "comments only then data": "# c\n\n# d\na: 1 # trailing\n",
    "bom": "\ufeffa: 1\n",
    "root tag": "!Ref x\n",
    "tag handle": "%TAG !e! tag:example.com,2000:\n---\na: !e!foo 1\n",
    "verbatim tag": "a: !<!Ref> x\n",
    "crlf in text": "a: 1\r\nb: [1,\r\n 2]\r\n",
    "json one line": '{"a": [1, 2, {"b": null}], "c": "d"}',
    "json escapes": '{"a": "\\/\\b\\f\\n\\r\\t\\"\\\\\\u00e9\\ud83d\\ude00"}\n',
    "json numbers": '{"a": 1e5, "b": -0, "c": 1.0E+3}\n',
    "json tabs": '{\n\t"a": {\n\t\t"b": [\n\t\t\t1,\n\t\t\t"x"\n\t\t]\n\t}\n}\n',
    # errors
    "duplicate": "a: 1\nb: 2\na: 3\n",
    "nested duplicate": "a: {x: 1, x: {y: 1, y: 2}}\n",
    "null key": "~: 1\n",
    "empty key": ": 1\n",
    "unhashable key": "[a]: 1\n",
    "tagged key": "!Ref a: 1\n",
    "value value": "a: =\n",
    "merge value": "a: <<\n",
    "bad merge": "a: {<<: 1}\n",
    "bad int": "a: !!int x\n",
    "bad binary": "a: !!binary '@@'\n",
    "unknown tag": "a: !!python/object:os.system x\n",
    "undefined alias": "a: *nope\n",
    "duplicate anchor": "a: &x 1\nb: &x 2\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "scanner error": "a: 'unterminated\n",
    "parser error": "a: [1, 2\n",
    "tab indentation": "a:\n\t- 1\n",
    "unknown escape": 'a: "\\q"\n',
    "unknown escape json": '{"a": "\\q"}\n',
    "control character": "a: b\nc: \x01\n",
    "root list": "- a\n- b\n",
    "root scalar": "hello\n",
    "root null": "~\n",
    "empty": "",
    "only comments": "# nothing here\n",
    "recursive alias": "a: &x [1, *x]\n",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_like_cfn_lint(name: str) -> None:
    assert_text_agrees(textwrap.dedent(SNIPPETS[name]))


def test_short_forms_build_cfn_lint_shapes() -> None:
    t = loads(textwrap.dedent(SNIPPETS["getatt forms"]))
    assert t["A"] == {"Fn::GetAtt": ["Res", "Attr.Deep"]}
    assert type(t["A"]["Fn::GetAtt"][0]) is str  # split text: plain strings, as cfn-lint
    assert isinstance(t["B"]["Fn::GetAtt"][0], StrNode)  # constructed items: nodes
    assert type(t["D"]["Fn::GetAtt"]) is DictNode and t["D"]["Fn::GetAtt"].start_mark == Mark(1, 1)
    assert t["E"] == {"Fn::GetAtt": []} and type(t["E"]["Fn::GetAtt"]) is ListNode
    ref = loads("a: !Ref x\nb: !Sub [s, {k: v}]\n")
    assert type(ref["a"]) is DictNode and type(ref["a"]["Ref"]) is str and type(next(iter(ref["a"]))) is str
    assert type(ref["b"]["Fn::Sub"]) is list and type(ref["b"]["Fn::Sub"][1]) is DictNode


def test_dates_and_binary_like_cfn_lint() -> None:
    t = loads("AWSTemplateFormatVersion: 2010-09-09\nb: !!binary aGVsbG8=\n")
    assert t["AWSTemplateFormatVersion"] == datetime.date(2010, 9, 9)
    assert t["b"] == b"hello"


# --------------------------------------------------------------------------------------------
# JSON: cfn-lint's fallback decoder and its marks


JSON_DOCS = [
    '{"a": 1}',
    '{\n  "a": {"b": [1, 2.5, -3e2, true, false, null, "s"]},\n  "c": [],\n  "d": {}\n}\n',
    '{\n\t"Resources": {\n\t\t"A": {\n\t\t\t"Type": "X",\n\t\t\t"L": [\n\t\t\t\t{"k": "v"}\n\t\t\t]\n\t\t}\n\t}\n}',
    '  \n{ "a" : [ ] , "b" : { } , "c":[[[]]], "\\u00e9\\n": "\\ud83d\\ude00" }  \n\n',
    '{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1E+2, "e": 0}',
    '{"long key with spaces": {"x": [{"y": {"z": ["deep"]}}]}}\n',
    '[1, 2]',
    '"text"',
    '{\n"a":\n\n\n1\n,\n"b"\n:\n[\n]\n}\n',
    '{"\u4e2d\u6587": "\u00e9", "emoji\U0001f600": 1}\n',
]
JSON_ERRORS = [
    '{"a": 1,}',
    '{"a": 1 "b": 2}',
    '{"a" 1}',
    '{a: 1}',
    '{"a": [1, 2,]}',
    '{"a": [1 2]}',
    '{"a": "x\ty"}',
    '{"a": "\\q"}',
    '{"a": "\\u12"}',
    '{"a": 1} x',
    '{"a": 1, "a": 2}',
    '{"a": tru}',
    '',
    '{',
    '{"a": [',
    '{"a": "unterminated',
    '\ufeff{"a": 1}',
    '{"a": 01}',
]


@pytest.mark.parametrize("text", JSON_DOCS)
def test_json_decoder_like_cfn_json(text: str) -> None:
    from cfnlint.decode import cfn_json

    theirs = cfn_json.loads(text)
    ours = L._load_json(text)
    assert_same_nodes(ours, theirs)
    if isinstance(theirs, dict):
        cfn_locate = CfnLocator(theirs)
        for path in list(all_paths(theirs)) + missing_paths(theirs):
            assert locate(ours, path) == cfn_locate(path), path


@pytest.mark.parametrize("text", JSON_ERRORS)
def test_json_decoder_errors_like_cfn_json(text: str) -> None:
    from cfnlint.decode import cfn_json

    with pytest.raises(Exception):
        cfn_json.loads(text)
    with pytest.raises((L._JsonError, L._Refused)):
        L._load_json(text)


def test_json_marks_are_cfn_json_marks() -> None:
    """cfn_json's marks are not YAML's: keys start one column later, end lines run one short."""
    text = '{\n  "Resources": {\n    "A": [1, {"k": 2}]\n  }\n}\n'
    t = L._load_json(text)
    key = next(iter(t))
    # start: line 1 (0-based), column 3 where YAML says 2; end: line 0, a negative column
    assert key.start_mark == Mark(1, 3) and key.end_mark == Mark(0, -34)
    assert locate(t, ["Resources"]) == (2, 4, 1, -33)
    assert locate(t, ["Resources", "A"]) == (3, 6, 2, 24)


PURE_PYTHON_SCRIPT = r"""
import json, sys, yaml
del yaml.CSafeLoader  # as if PyYAML had been built without libyaml, before cfn-lint and we import
sys.path.insert(0, sys.argv[1])
import test_loader as T
from ecsnetpolicy.load import template as L
assert L._BaseLoader is yaml.SafeLoader
for path in sys.argv[2:]:
    T.assert_loader_agrees(T.Path(path))
print("ok")
"""


def test_pure_python_pyyaml_tab_json_falls_back_like_cfn_lint(tmp_path: Path) -> None:
    """Without libyaml the scanner's tab error names the tab, so cfn-lint's JSON fallback (and
    ours) does take over for tab-indented JSON."""
    tabbed = tmp_path / "tabs.json"
    tabbed.write_text(
        '{\n\t"Resources": {\n\t\t"A": {\n\t\t\t"Type": "AWS::S3::Bucket",\n\t\t\t"Properties": {\n'
        '\t\t\t\t"Tags": [{"Key": "k", "Value": "v"}, "x", 1.5e3]\n\t\t\t}\n\t\t}\n\t}\n}\n',
        encoding="utf-8",
    )
    dup = tmp_path / "dup.json"
    dup.write_text('{\n\t"a": 1,\n\t"a": 2\n}\n', encoding="utf-8")
    paths = [str(tabbed), str(dup)] + [str(p) for p in CORPUS_YAML[:2]]
    run = subprocess.run(
        [sys.executable, "-c", PURE_PYTHON_SCRIPT, str(Path(__file__).parent), *paths],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("ok")
    # With libyaml (as cfn-lint, here) the same file is read as YAML - tabs are fine in flow
    # context - where 1.5e3 is a string (YAML 1.1 floats need a dot and a signed exponent).
    tags = loads(tabbed.read_text())["Resources"]["A"]["Properties"]["Tags"]
    assert tags[2] == ("1.5e3" if L._BaseLoader is not yaml.SafeLoader else 1500.0)


# --------------------------------------------------------------------------------------------
# Locations


def test_locate_found_and_fallbacks() -> None:
    text = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      Ports: [80, !Ref P, x]\n"
    t = loads(text)
    cfn_locate = CfnLocator(cfn_decode_str(text)[0])
    expected = {
        ("Resources", "Sg", "Type"): (3, 5, 3, 9),  # a key: the key
        ("Resources", "Sg", "Properties", "Ports", 2): (5, 27, 5, 28),  # a list item: the item
        ("Resources", "Sg", "Properties", "Ports", 1): (5, 19, 5, 25),  # the !Ref node
        # an int item has no marks: the key of the list
        ("Resources", "Sg", "Properties", "Ports", 0): (5, 7, 5, 12),
        # the key inside a short form is a plain str: not even the item, the key of the list
        ("Resources", "Sg", "Properties", "Ports", 1, "Ref"): (5, 7, 5, 12),
        # below a string: the key of the string
        ("Resources", "Sg", "Type", "x"): (3, 5, 3, 9),
    }
    for path, location in expected.items():
        assert locate(t, path) == location == cfn_locate(path), path
    # a missing key below an existing one: the deepest existing key
    assert locate(t, ["Resources", "Sg", "Properties", "Nope"]) == (4, 5, 4, 15)
    assert locate(t, ["Resources", "Sg", "Properties", "Nope", "Deeper"]) == (4, 5, 4, 15)
    # nothing at all: line 1, column 1 to 2
    assert locate(t, ["Nope"]) == (1, 1, 1, 2)
    assert locate(t, ["Nope", "Deeper"]) == (1, 1, 1, 2)
    # the root
    assert locate(t, []) == (1, 1, 6, 1)
    # a list index past the end makes cfn-lint's own lookup raise: no location
    assert locate(t, ["Resources", "Sg", "Properties", "Ports", 9, "x"]) == (1, 1, 1, 2)


# --------------------------------------------------------------------------------------------
# Differential fuzzing against cfn-lint

_scalars = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    st.sampled_from(["yes", "No", "~", "null", "1e5", "0x1F", "2010-09-09", "1:20", "<<", "=", "-", "? x", "a: b", "#c", "!Ref x"]),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
)
_keys = st.text(alphabet="abcXYZ:-_ !&*<=", min_size=1, max_size=6)
_data = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_keys, children, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    data=st.dictionaries(_keys, _data, min_size=1, max_size=4),
    flow=st.sampled_from([None, True, False]),
    style=st.sampled_from([None, '"', "'", "|"]),
    as_json=st.sampled_from([None, 2, "\t"]),
)
def test_random_documents_like_cfn_lint(data, flow, style, as_json) -> None:
    if as_json is not None:
        text = json.dumps(data, indent=as_json)
    else:
        text = yaml.safe_dump(data, default_flow_style=flow, default_style=style, allow_unicode=True)
    assert_text_agrees(text)


_equals_args = st.one_of(
    st.sampled_from(["a", "b", "", "prod", "10", "x"]),
    st.integers(0, 20),
    st.booleans(),
    st.none(),
    st.sampled_from(["Env", "Other", "AWS::Region"]).map(lambda r: {"Ref": r}),
    st.sampled_from([{"Fn::Sub": "${Env}"}, {"Fn::Select": [0, ["a"]]}, {"Foo": 1}, {"a": 1, "b": 2}, ["a"]]),
)


def _condition(names):
    leaf = st.one_of(
        st.lists(_equals_args, min_size=2, max_size=2).map(lambda args: {"Fn::Equals": args}),
        st.lists(_equals_args, min_size=1, max_size=3).map(lambda args: {"Fn::Equals": args}),
        st.sampled_from(names + ["Nope"]).map(lambda n: {"Condition": n}),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda c: {"Fn::And": c}),
            st.lists(inner, min_size=1, max_size=3).map(lambda c: {"Fn::Or": c}),
            st.lists(inner, min_size=1, max_size=2).map(lambda c: {"Fn::Not": c}),
        ),
        max_leaves=6,
    )


@st.composite
def _conditions(draw):
    names = ["C%d" % i for i in range(draw(st.integers(1, 5)))]
    return {name: draw(_condition(names)) for name in names}


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(conditions=_conditions(), as_json=st.booleans())
def test_random_conditions_like_cfn_lint_rules_see(conditions, as_json) -> None:
    """cfn_lint_view sorts the Conditions' Fn::Equals exactly as building cfn-lint's Template does."""
    data = {"Parameters": {"Env": {"Type": "String"}, "Other": {"Type": "String"}}, "Conditions": conditions}
    text = json.dumps(data, indent=1) if as_json else yaml.safe_dump(data, default_flow_style=None)
    assert_text_agrees(text)


def test_cfn_lint_view_stops_on_condition_reference_explosion() -> None:
    """Conditions that all reference each other take cfn-lint factorial time; we stop."""
    names = [f"C{i}" for i in range(14)]
    conditions = {n: {"Fn::And": [{"Condition": m} for m in names if m != n] + [{"Fn::Equals": ["b", "a"]}]} for n in names}
    t = loads(json.dumps({"Conditions": conditions}))
    assert L.cfn_lint_view(t) is t  # returns (cfn-lint would still be walking)
    assert sorted(t["Conditions"]["C0"]["Fn::And"][-1]["Fn::Equals"]) == ["a", "b"]


def test_cfn_lint_view_leaves_other_sections() -> None:
    t = loads("Conditions:\n  C: !Equals [b, a]\nResources:\n  R:\n    Type: X\n    Properties:\n      P: !Equals [b, a]\n")
    L.cfn_lint_view(t)
    assert t["Conditions"]["C"]["Fn::Equals"] == ["a", "b"]
    assert t["Resources"]["R"]["Properties"]["P"]["Fn::Equals"] == ["b", "a"]


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(list("ab:-[]{},!&*<=~'\"\\#|>? \t\n") + ["!Ref ", "!GetAtt ", "&x ", "*x", "<<: ", "a: "]), max_size=30).map("".join))
def test_random_text_like_cfn_lint(text: str) -> None:
    assert_text_agrees(text)


# --------------------------------------------------------------------------------------------
# Hostile input: a one-line LoadError, quickly, never anything else


def _refused(text_or_path, *, is_path: bool = False) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_file(text_or_path) if is_path else loads(text_or_path, "hostile.yaml")
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert len(message.splitlines()) == 1
    return info.value


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def test_alias_bomb_refused() -> None:
    err = _refused(BILLION_LAUGHS)
    assert "alias" in str(err)


def test_too_many_aliases_refused() -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (L.MAX_ALIASES + 1)) + "]\n"
    assert "aliases" in str(_refused(text))


def test_merge_bomb_refused() -> None:
    lines = ["l0: &l0 {k0: 0, j0: 0}"]
    for i in range(1, 30):
        lines.append(f"l{i}: &l{i} {{<<: [*l{i - 1}, {{x{i}: 1}}], y{i}: *l{i - 1}, z{i}: *l{i - 1}}}")
    _refused("\n".join(lines) + "\n")


def test_modest_aliases_accepted() -> None:
    t = loads("d: &d {a: 1}\nr: [*d, *d, {<<: *d, b: 2}]\n")
    assert t["r"] == [{"a": 1}, {"a": 1}, {"a": 1, "b": 2}]


def test_recursive_alias_refused() -> None:
    _refused("a: &x [1, *x]\n")
    _refused("a: &x {k: *x}\n")


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 100_000 + "]" * 100_000,  # flow: libyaml's scanner is quadratic in this depth
        "a: " + "{b: " * 100_000 + "c" + "}" * 100_000,
        "a:\n" + "".join(" " * i + "- \n" for i in range(1, 300)),
        "- " * 100_000 + "x\n",
        "a: " + "!If [" * 50_000 + "]" * 50_000,
        "a: " + "[" * 100_000,  # unterminated
        "{" + '"a": {' * 50_000,  # JSON-ish
    ],
    ids=["flow-seq", "flow-map", "block", "block-seq-one-line", "tags", "unterminated", "json"],
)
def test_deep_nesting_refused(text: str) -> None:
    _refused(text)


def test_depth_at_limit_accepted() -> None:
    depth = L.MAX_DEPTH - 1  # the root mapping is one level
    t = loads("a: " + "[" * depth + "]" * depth + "\n")
    node = t["a"]
    for _ in range(depth - 1):
        node = node[0]
    assert node == []
    _refused("a: " + "[" * (depth + 1) + "]" * (depth + 1) + "\n")


def test_deep_json_fallback_refused() -> None:
    text = '{"a": "\\q", "b": ' + "[" * 5000 + "]" * 5000 + "}"
    _refused(text)
    with pytest.raises(L._Refused):
        L._load_json('{"b": ' + "[" * 5000 + "]" * 5000 + "}")


def test_recursion_error_becomes_load_error(monkeypatch) -> None:
    def boom(text, filename):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(L, "_decode", boom)
    assert "deep" in str(_refused("a: 1\n"))


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02\x03binary\xff\xfe",
        b"a: 1\nb: \x00\n",
        b"a: caf\xe9\n",  # latin-1, not UTF-8
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        bytes(range(256)),
        b"a: \xed\xa0\x80\n",  # an encoded surrogate
    ],
)
def test_binary_and_bad_encoding_refused(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    err = _refused(str(path), is_path=True)
    assert str(path) in str(err)


def test_control_characters_and_surrogates_refused() -> None:
    _refused("a: b\nc: \x01\n")
    _refused("a: \ud800\n")
    _refused("a: 1\nb: \x00\n")


def test_directory_missing_and_special_files_refused(tmp_path: Path) -> None:
    assert "directory" in str(_refused(str(tmp_path), is_path=True))
    assert "no such file" in str(_refused(str(tmp_path / "missing.yaml"), is_path=True))
    if os.path.exists("/dev/null"):
        _refused("/dev/null", is_path=True)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo.yaml"
        os.mkfifo(fifo)
        assert "regular" in str(_refused(str(fifo), is_path=True))


def test_too_large_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:  # sparse: no 50 MB written to disk
        fh.truncate(L.MAX_FILE_BYTES + 1)
    assert "larger than" in str(_refused(str(path), is_path=True))
    with pytest.raises(LoadError):
        loads("a" * (L.MAX_FILE_BYTES + 1))


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n", "null\n", "--- ~\n...\n"])
def test_empty_template_refused(text: str) -> None:
    assert "empty template" in str(_refused(text))


@pytest.mark.parametrize("text", ["- a\n", "just text\n", "42\n", "''\n", "[]\n", '"a"'])
def test_root_not_mapping_refused(text: str) -> None:
    assert "not a mapping" in str(_refused(text))


def test_error_messages_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("Resources:\n  A: {Type: X}\n  A: {Type: Y}\n", encoding="utf-8")
    err = _refused(str(path), is_path=True)
    assert str(err) == f"{path}: Duplicate found 'A', first at line 2 (line 3)"
    assert err.line == 3
    assert str(_refused("a:\n  b: 1\n c: 2\n")).endswith("(line 3)")
    assert str(_refused("~: 1\n")) == "hostile.yaml: Null key '~' not supported (line 1)"
    key = "k\nwith\u2028breaks"
    assert "\n" not in str(_refused(json.dumps({key: 1, "x": 2})[:-1] + ", " + json.dumps(key) + ": 3}"))


def test_hostile_filename_stays_one_line(tmp_path: Path) -> None:
    path = tmp_path / "line\nbreak.yaml"
    path.write_text("- a\n", encoding="utf-8")
    _refused(str(path), is_path=True)


def test_ten_megabyte_template_loads(tmp_path: Path) -> None:
    resource = textwrap.indent(
        textwrap.dedent(
            """\
            Sg{i}:
              Type: AWS::EC2::SecurityGroup
              Properties:
                GroupDescription: !Sub "${{AWS::StackName}} group {i}"
                VpcId: !Ref Vpc
                SecurityGroupEgress:
                  - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/16}}
                  - IpProtocol: "-1"
                    DestinationSecurityGroupId: !GetAtt Other{i}.GroupId
                Tags: [{{Key: Name, Value: !Join ["-", [!Ref AWS::StackName, sg, "{i}"]]}}]
            """
        ),
        "  ",
    )
    chunks = ["AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"]
    size, i = 0, 0
    while size < 10 * 1024 * 1024:
        chunk = resource.format(i=i)
        chunks.append(chunk)
        size += len(chunk)
        i += 1
    path = tmp_path / "big.yaml"
    path.write_text("".join(chunks), encoding="utf-8")
    # load_file refuses it (over CloudFormation's 1 MB limit, test_inputs_bounded); the loader
    # itself still builds a 10 MB template in linear time, which is what this test is about
    t = loads(path.read_text(encoding="utf-8"), str(path))
    assert len(t["Resources"]) == i
    last = t["Resources"][f"Sg{i - 1}"]
    assert last["Properties"]["SecurityGroupEgress"][1]["DestinationSecurityGroupId"] == {"Fn::GetAtt": ["Other%d" % (i - 1), "GroupId"]}
    line = locate(t, ["Resources", f"Sg{i - 1}", "Properties", "VpcId"])[0]
    assert line == 2 + (i - 1) * 10 + 5


def test_medium_template_like_cfn_lint(tmp_path: Path) -> None:
    """A few hundred KB, generated, against cfn-lint (whose duplicate check is quadratic)."""
    body = "".join(
        f"  R{i}:\n    Type: AWS::EC2::Subnet\n    Properties:\n      CidrBlock: !Select [{i % 4}, !Cidr [!GetAtt V.CidrBlock, 4, 8]]\n"
        f"      Tags:\n        - Key: n\n          Value: 'r{i}'\n"
        for i in range(3000)
    )
    path = tmp_path / "medium.yaml"
    path.write_text("Resources:\n" + body, encoding="utf-8")
    theirs, matches = cfn_decode_file(path)
    assert not matches
    ours = load_file(str(path))
    assert_same_nodes(ours, theirs)


def test_no_other_exception_escapes_on_garbage() -> None:
    import random

    rnd = random.Random(1234)
    alphabet = "ab:-[]{},!&*<=~'\"\\#|>?% \t\n\x85\u2028\x7f\ufeff"
    for _ in range(2000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60)))
        try:
            result = loads(text, "g.yaml")
        except LoadError as exc:
            assert "\n" not in str(exc)
        else:
            assert isinstance(result, DictNode)


# --------------------------------------------------------------------------------------------
# Import cost: the standalone path never imports cfn-lint


def test_loading_imports_no_cfn_lint(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  A:\n    Type: X\n    Properties: {V: !Ref P}\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from ecsnetpolicy.load.template import load_file, loads, locate\n"
        f"t = load_file({str(path)!r})\n"
        "locate(t, ['Resources', 'A', 'Properties', 'V'])\n"
        "loads('{\"a\": \"\\\\q\"}') if False else None\n"
        "bad = sorted(m for m in sys.modules if m == 'cfnlint' or m.startswith('cfnlint.'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
