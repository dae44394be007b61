"""Output formats: structure of each format, escaping of template-controlled text, equivalence
with cfn-lint's own JSON formatter, SARIF schema validity, rdjson suggestions."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

import ecsnetpolicy
from ecsnetpolicy import catalogue
from ecsnetpolicy.findings import Finding, Fix
from ecsnetpolicy.report import FORMATS, render
from ecsnetpolicy.report.common import safe_name
from ecsnetpolicy.report.markdown import escape_markdown
from ecsnetpolicy.report.sarif import FINGERPRINT_KEY
from ecsnetpolicy.report.suggestions import apply_suggestion, build_suggestion
from ecsnetpolicy.phrasing import safe

# ../shared beside the clone (CI lays it there); the test using it skips when it is absent
SARIF_SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"  # shipped, with its licence

EVIL = (
    "Tasks of service Api\n::error::pwned %0A <img src=x onerror=alert(1)> @someone "
    "[link](http://evil) | cell \r\n::warning::again `code` *b* _i_ ~s~ #1 !x \\ www.evil.example"
)
EVIL_FILE = "tmpl,x:y/100%\nname <b>@someone</b> [a](http://evil)|.yaml"
# what every format shows of them (formats._clean: one sanitising step, then per-format escaping)
SHOWN_EVIL, SHOWN_SECOND, SHOWN_EVIL_FILE = safe(EVIL), safe("second\n::error::pwned"), safe_name(EVIL_FILE)


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that accepts CloudFormation short-form tags (for checking suggestions)."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Fn::" + suffix if suffix != "Ref" else "Ref": value}


CfnLoader.add_multi_constructor("!", _tag)


def cfn_load(text: str):
    return yaml.load(text, Loader=CfnLoader)


def sample_findings():
    return [
        Finding(
            rule_id="EN3001",
            message="Tasks of service Api in subnet PrivateB cannot pull image layers from S3.",
            path=("Resources", "S3Endpoint", "Properties", "RouteTableIds"),
            filename="templates/app.yaml",
            line=40,
            column=7,
            end_line=40,
            end_column=20,
            workload="Api",
        ),
        Finding(
            rule_id="WN2002",
            message="Endpoint EcrApi has no subnet in us-east-1b.",
            path=("Resources", "EcrApi", "Properties", "SubnetIds"),
            filename="templates/app.yaml",
            line=12,
            column=7,
            end_line=12,
            end_column=16,
            workload="Api",
        ),
        Finding(
            rule_id="EN2004",
            message="VPC Vpc lacks EnableDnsHostnames: true.",
            path=("Resources", "Vpc"),
            filename="templates/app.yaml",
            line=3,
            column=3,
            end_line=3,
            end_column=6,
        ),
        Finding(
            rule_id="IN9001",
            message="Subnet parameter SubnetIds has no value; pass --parameters.",
            path=("Parameters", "SubnetIds"),
            filename="templates/other.yaml",
            line=5,
            column=3,
            end_line=5,
            end_column=12,
            workload="Worker",
        ),
    ]


def evil_findings():
    return [
        Finding(
            rule_id="EN2003",
            message=EVIL,
            path=("Resources", "E|<x>", "Properties"),
            filename=EVIL_FILE,
            line=2,
            column=3,
            end_line=2,
            end_column=9,
            workload="Api @someone <img src=x> [w](http://evil)",
        ),
        Finding(
            rule_id="WN2002",
            message="second\n::error::pwned",
            path=("Resources", "F"),
            filename="ok.yaml",
            line=7,
            column=1,
            end_line=9,
            end_column=4,
        ),
    ]


# ------------------------------------------------------------------------------------------
# general


def test_unknown_format_is_rejected():
    with pytest.raises(ValueError, match="unknown format"):
        render([], "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_empty_and_nonempty(fmt, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for findings in ([], sample_findings()):
        out = render(findings, fmt)
        assert isinstance(out, str)
        assert out == "" or out.endswith("\n")


# ------------------------------------------------------------------------------------------
# text


def test_text_is_one_openable_line_per_finding():
    """Issue 15: `path:line:col: ID severity message`, the shape editors and terminals open at the
    place; sorted by file, then line; then the count."""
    out = render(sample_findings(), "text")
    lines = out.splitlines()
    assert lines[0] == "templates/app.yaml:3:3: EN2004 error VPC Vpc lacks EnableDnsHostnames: true."
    assert lines[1] == "templates/app.yaml:12:7: WN2002 warning Endpoint EcrApi has no subnet in us-east-1b."
    assert lines[2].startswith("templates/app.yaml:40:7: EN3001 error Tasks of service Api")
    assert lines[3].startswith("templates/other.yaml:5:3: IN9001 informational Subnet parameter")
    assert lines[4] == ""
    assert lines[-1] == "4 findings (2 errors, 1 warning, 1 informational) in 2 files"
    assert all(re.match(r"^[^:]+:\d+:\d+: [EWI]N\d{4} ", line) for line in lines[:4])
    assert "\033[" not in out


def test_text_colour_only_on_request():
    plain = render(sample_findings(), "text")
    coloured = render(sample_findings(), "text", color=True)
    assert "\033[" not in plain
    assert "\033[31m" in coloured and "\033[33m" in coloured
    assert re.sub(r"\033\[[0-9;]*m", "", coloured) == plain


def test_text_empty():
    assert render([], "text") == "0 findings\n"


def test_text_neutralises_control_characters():
    f = Finding("EN2003", "a\x1b[2J\x1b]0;title\x07b\nc", ("Resources",), "t.yaml", workload="W\x1b[31m")
    out = render([f], "text")
    assert "\x1b" not in out and "\x07" not in out
    assert len(out.splitlines()) == 3  # finding, blank, count


# ------------------------------------------------------------------------------------------
# json


def test_json_shape_and_round_trip():
    data = json.loads(render(evil_findings() + sample_findings(), "json"))
    assert isinstance(data, list)
    by_msg = {d["Message"]: d for d in data}
    d = by_msg[SHOWN_EVIL]
    assert d["Filename"] == SHOWN_EVIL_FILE
    assert d["Level"] == "Error"
    assert d["ParentId"] is None
    assert d["Location"] == {
        "Start": {"LineNumber": 2, "ColumnNumber": 3},
        "End": {"LineNumber": 2, "ColumnNumber": 9},
        "Path": ["Resources", "E|<x>", "Properties"],
    }
    assert d["Rule"] == {
        "Id": "EN2003",
        "Description": catalogue.RULES["EN2003"].description,
        "ShortDescription": catalogue.RULES["EN2003"].shortdesc,
        "Source": catalogue.RULES["EN2003"].source_url,
    }
    levels = {d["Rule"]["Id"]: d["Level"] for d in data}
    assert levels["WN2002"] == "Warning" and levels["IN9001"] == "Informational"


def _cfnlint_matches(findings):
    from cfnlint.match import Match
    from cfnlint.rules import CloudFormationLintRule, RuleMatch

    rules = {}
    for rid, info in catalogue.RULES.items():
        rule = type(
            rid,
            (CloudFormationLintRule,),
            {
                "id": rid,
                "shortdesc": info.shortdesc,
                "description": info.description,
                "source_url": info.source_url,
            },
        )()
        rules[rid] = rule
    return [
        Match.create(
            message=f.message,
            filename=f.filename,
            rule=rules[f.rule_id],
            linenumber=f.line,
            columnnumber=f.column,
            linenumberend=f.end_line,
            columnnumberend=f.end_column,
            rulematch_obj=RuleMatch(list(f.path), f.message),
        )
        for f in sorted(findings, key=lambda f: f.sort_key())
    ]


def test_json_equals_cfnlint_json_formatter():
    from cfnlint.formatters import JsonFormatter

    findings = sample_findings() + evil_findings()
    # cfn-lint prints what it is given; we print template text made safe first
    shown = [dataclasses.replace(f, message=safe(f.message), filename=safe_name(f.filename)) for f in findings]
    expected = JsonFormatter().print_matches(_cfnlint_matches(shown), None, None)
    assert render(findings, "json") == expected + "\n"


def test_json_empty_equals_cfnlint():
    from cfnlint.formatters import JsonFormatter

    assert render([], "json") == JsonFormatter().print_matches([], None, None) + "\n"


# ------------------------------------------------------------------------------------------
# sarif


def _sarif_validator():
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _git_init(path: Path):
    subprocess.run(["git", "init", "-q", str(path)], check=True)


def test_sarif_valid_against_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    validator = _sarif_validator()
    for findings in ([], sample_findings(), evil_findings()):
        doc = json.loads(render(findings, "sarif"))
        errors = sorted(validator.iter_errors(doc), key=str)
        assert not errors, errors[0]


def test_sarif_driver_and_rules():
    doc = json.loads(render(sample_findings(), "sarif"))
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "ecsnetpolicy"
    assert driver["version"] == ecsnetpolicy.__version__
    assert driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert ids == list(catalogue.RULES)
    for rule in driver["rules"]:
        info = catalogue.RULES[rule["id"]]
        assert rule["name"] == info.name
        assert rule["shortDescription"]["text"] == info.shortdesc
        assert rule["fullDescription"]["text"] == info.description
        assert rule["helpUri"] == info.source_url
        assert rule["defaultConfiguration"]["level"] == {
            "error": "error",
            "warning": "warning",
            "informational": "note",
        }[info.severity]
    for res in run["results"]:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"EN3001": "error", "WN2002": "warning", "EN2004": "error", "IN9001": "note"}


def test_sarif_unknown_rule_id_gets_a_rule_entry():
    f = Finding("EN5001", "no execution role", ("Resources", "Td"), "t.yaml", 3, 3, 3, 5)
    run = json.loads(render([f], "sarif"))["runs"][0]
    (res,) = run["results"]
    assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == "EN5001"


def test_sarif_uri_relative_to_git_root(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "my templates" / "sub").mkdir(parents=True)
    _git_init(repo)
    tpl = repo / "my templates" / "sub" / "a#b%c é.yaml"
    tpl.write_text("Resources: {}\n", encoding="utf-8")
    monkeypatch.chdir(repo / "my templates")
    f = Finding("EN2003", "m", ("Resources",), "sub/a#b%c é.yaml", 1, 1, 1, 10)
    res = json.loads(render([f], "sarif"))["runs"][0]["results"][0]
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {
        "uri": "my%20templates/sub/a%23b%25c%20%C3%A9.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert loc["region"] == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 10}


def test_sarif_uri_relative_to_cwd_outside_git(tmp_path, monkeypatch):
    (tmp_path / "templates").mkdir()
    monkeypatch.chdir(tmp_path)
    f = Finding("EN2003", "m", ("Resources",), str(tmp_path / "templates" / "x.yaml"), 1, 1, 1, 2)
    res = json.loads(render([f], "sarif"))["runs"][0]["results"][0]
    if (tmp_path / ".git").exists() or any((p / ".git").exists() for p in tmp_path.parents):
        pytest.skip("tmp dir is inside a git repository")
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "templates/x.yaml"


def test_sarif_fingerprints_stable_and_distinct(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = sample_findings()
    moved = [
        Finding(f.rule_id, f.message, f.path, f.filename, f.line + 5, f.column, f.end_line + 5, f.end_column, f.workload)
        for f in a
    ]

    def prints(findings):
        results = json.loads(render(findings, "sarif"))["runs"][0]["results"]
        return {r["message"]["text"]: r["partialFingerprints"][FINGERPRINT_KEY] for r in results}

    first = prints(a)
    assert first == prints(a) == prints(moved)  # same across runs and line shifts
    assert len(set(first.values())) == len(first)
    changed = [Finding(a[0].rule_id, a[0].message + "!", a[0].path, a[0].filename, a[0].line)]
    assert prints(changed)[a[0].message + "!"] not in first.values()


def test_sarif_round_trips_template_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = json.loads(render(evil_findings(), "sarif"))["runs"][0]["results"]
    assert {r["message"]["text"] for r in results} == {SHOWN_EVIL, SHOWN_SECOND}
    (evil,) = [r for r in results if r["message"]["text"] == SHOWN_EVIL]
    assert evil["properties"]["path"] == ["Resources", "E|<x>", "Properties"]
    assert evil["properties"]["workload"] == evil_findings()[0].workload
    # the URI is percent-encoded: no raw newline, space, %, < or |
    uri = evil["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert not re.search(r"[\s<>|\"]", uri) and "%0A" in uri and "%25" in uri


# ------------------------------------------------------------------------------------------
# github


def _unescape_data(s: str) -> str:
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(s: str) -> str:
    return _unescape_data(s.replace("%3A", ":").replace("%2C", ","))


def test_github_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = render(sample_findings(), "github")
    lines = out.splitlines()
    assert len(lines) == 4
    assert (
        "::warning file=templates/app.yaml,line=12,endLine=12,col=7,endColumn=16,"
        "title=WN2002 endpoint-az-coverage::Endpoint EcrApi has no subnet in us-east-1b."
    ) in lines
    assert any(l.startswith("::error file=templates/app.yaml,line=40,") for l in lines)
    assert any(l.startswith("::notice file=templates/other.yaml,line=5,") for l in lines)
    assert "title=EN2004 vpc-dns-attributes::VPC Vpc lacks EnableDnsHostnames: true." in out


def test_github_escaping(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    findings = evil_findings()
    out = render(findings, "github")
    lines = out.split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert len(lines) == len(findings)
    assert "\r" not in out
    for line in lines:
        assert re.match(r"^::(error|warning|notice) [^:]*::", line), line
        assert not line.startswith("::error::pwned")
    evil_line = next(l for l in lines if l.startswith("::error "))
    head, message = evil_line.split("::", 2)[1:]
    assert _unescape_data(message) == SHOWN_EVIL
    props = dict(p.split("=", 1) for p in head[len("error ") :].split(","))
    assert _unescape_property(props["file"]) == safe_name(os.path.normpath(EVIL_FILE))  # relative to cwd
    assert "%25" in props["file"] and "%3A" in props["file"] and "%2C" in props["file"]
    assert props["title"] == "EN2003 endpoint-private-dns"
    # multi-line annotation: no columns
    warn = next(l for l in lines if l.startswith("::warning "))
    assert "line=7,endLine=9," in warn and "col=" not in warn


# ------------------------------------------------------------------------------------------
# markdown


def test_markdown_structure():
    summary = {
        "workloads": [
            {
                "name": "Api",
                "matrix": {
                    "us-east-1a": {"ecr.api": "ok", "s3": "ok"},
                    "us-east-1b": {"ecr.api": "cross-AZ", "s3": "missing"},
                    "us-east-1c": {"ecr.api": "unknown"},
                },
                "route_tables": ["PrivateRouteTableA", "PrivateRouteTableB"],
            }
        ]
    }
    out = render(sample_findings(), "markdown", summary=summary)
    lines = out.splitlines()
    assert lines[0].startswith("## ") and "2 errors, 1 warning, 1 informational" in lines[0]
    assert "### templates/app\\.yaml" in lines
    assert "**Workload Api**" in lines and "**Template**" in lines
    src = catalogue.RULES["EN3001"].source_url
    assert any(l.startswith(f"| [EN3001]({src}) | error | 40 | ") for l in lines)
    assert "### Coverage" in lines
    header = next(l for l in lines if l.startswith("| Availability Zone"))
    assert header == "| Availability Zone | ecr\\.api | s3 |"
    row_b = next(l for l in lines if l.startswith("| us\\-east\\-1b"))
    assert "cross\\-AZ" in row_b and "missing" in row_b
    row_c = next(l for l in lines if l.startswith("| us\\-east\\-1c"))
    assert row_c.count(" | ") == 2  # 3 cells: missing need shown as a dash
    assert any("PrivateRouteTableA" in l and "PrivateRouteTableB" in l for l in lines)


def test_markdown_no_findings():
    out = render([], "markdown")
    assert out.startswith("## ") and "no findings" in out


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_escaping():
    summary = {
        "workloads": [
            {
                "name": "W @someone <img src=x>",
                "matrix": {"az|<img src=x>\n# h": {"[x](http://evil)": "ok\n|"}},
                "route_tables": ["@someone", "http://evil"],
            }
        ]
    }
    out = render(evil_findings(), "markdown", summary=summary)
    low = out.lower()
    assert "<img" not in low and "<b>" not in low and "<" not in out
    assert "@someone" not in out
    assert "http://evil" not in out
    # the only links are ours: rule IDs to their docs pages
    assert not re.search(r"(?<!\\)\]\((?!" + re.escape(catalogue.DOCS_BASE) + ")", out)
    assert "www.evil" not in out
    assert "::error::pwned" not in out
    for line in out.splitlines():
        if line.startswith("|"):
            cells = _unescaped_pipes(line)
            assert cells in (3, 4, 5), line  # a table row keeps its own columns
    rows = [l for l in out.splitlines() if l.startswith("| [EN2003]")]
    assert len(rows) == 1 and _unescaped_pipes(rows[0]) == 5


def test_escape_markdown_unit():
    s = escape_markdown("a*b_c[d](e)#f|g`h!i~j\\k<l>&m\nn@o http://p")
    for raw in ("*", "_", "[", "]", "(", ")", "#", "|", "`", "!", "~"):
        assert "\\" + raw in s
    assert "\\\\k" in s and "&lt;l&gt;" in s and "&amp;m" in s
    assert "\n" not in s and "@o" not in s and "http://" not in s


# ------------------------------------------------------------------------------------------
# rdjson


TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  EcrApi:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc   # the VPC
      ServiceName: !Sub com.amazonaws.${AWS::Region}.ecr.api
      VpcEndpointType: Interface
      SubnetIds:
        - !Ref SubnetA
  Logs:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      PrivateDnsEnabled: false # off
      ServiceName: !Sub com.amazonaws.${AWS::Region}.logs
  S3:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
      RouteTableIds:
        - !Ref RouteTableA
      VpcId: !Ref Vpc
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: |
        tasks
        of api

  Flow:
    Type: AWS::EC2::VPCEndpoint
    Properties: {VpcId: !Ref Vpc}
"""


def _rdjson_with_fix(tmp_path, fix, text=TEMPLATE, name="t.yaml", rule="EN2003"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    f = Finding(rule, "fix me", fix.path, str(path), 5, 5, 5, 15, "Api", fix)
    doc = json.loads(render([f], "rdjson"))
    (diag,) = doc["diagnostics"]
    return doc, diag, path.read_text(encoding="utf-8")


def _apply(text, diag):
    (sugg,) = diag["suggestions"]
    return apply_suggestion(text, sugg)


def test_rdjson_structure(tmp_path):
    fix = Fix(("Resources", "EcrApi", "Properties"), "PrivateDnsEnabled", True)
    doc, diag, _ = _rdjson_with_fix(tmp_path, fix)
    assert doc["source"]["name"] == "ecsnetpolicy" and doc["source"]["url"].startswith("https://")
    assert diag["message"] == "fix me"
    assert diag["severity"] == "ERROR"
    assert diag["code"] == {"value": "EN2003", "url": catalogue.RULES["EN2003"].source_url}
    assert diag["location"]["path"].endswith("t.yaml")
    assert diag["location"]["range"] == {"start": {"line": 5, "column": 5}, "end": {"line": 5, "column": 15}}
    sev = {
        d["code"]["value"]: d["severity"]
        for d in json.loads(render(sample_findings(), "rdjson"))["diagnostics"]
    }
    assert sev == {"EN3001": "ERROR", "WN2002": "WARNING", "EN2004": "ERROR", "IN9001": "INFO"}


def test_rdjson_set_inserts_missing_key(tmp_path):
    fix = Fix(("Resources", "EcrApi", "Properties"), "PrivateDnsEnabled", True)
    _, diag, text = _rdjson_with_fix(tmp_path, fix)
    new = _apply(text, diag)
    data = cfn_load(new)
    assert data["Resources"]["EcrApi"]["Properties"]["PrivateDnsEnabled"] is True
    assert "      PrivateDnsEnabled: true\n" in new
    # nothing else changed
    old_props = dict(cfn_load(text)["Resources"]["EcrApi"]["Properties"])
    new_props = dict(data["Resources"]["EcrApi"]["Properties"])
    new_props.pop("PrivateDnsEnabled")
    assert old_props == new_props
    assert {k: v for k, v in data["Resources"].items() if k != "EcrApi"} == {
        k: v for k, v in cfn_load(text)["Resources"].items() if k != "EcrApi"
    }


def test_rdjson_set_replaces_existing_value_keeping_comment(tmp_path):
    fix = Fix(("Resources", "Logs", "Properties"), "PrivateDnsEnabled", True)
    _, diag, text = _rdjson_with_fix(tmp_path, fix)
    (sugg,) = diag["suggestions"]
    assert sugg["range"] == {"start": {"line": 15}, "end": {"line": 15}}
    assert sugg["text"] == "      PrivateDnsEnabled: true # off"
    assert cfn_load(_apply(text, diag))["Resources"]["Logs"]["Properties"]["PrivateDnsEnabled"] is True


def test_rdjson_set_string_value_quoted_when_needed(tmp_path):
    fix = Fix(("Resources", "EcrApi", "Properties"), "VpcEndpointType", "yes: no")
    _, diag, text = _rdjson_with_fix(tmp_path, fix)
    assert cfn_load(_apply(text, diag))["Resources"]["EcrApi"]["Properties"]["VpcEndpointType"] == "yes: no"


def test_rdjson_set_after_block_scalar(tmp_path):
    fix = Fix(("Resources", "Sg", "Properties"), "VpcId", {"Ref": "Vpc"})
    _, diag, text = _rdjson_with_fix(tmp_path, fix)
    props = cfn_load(_apply(text, diag))["Resources"]["Sg"]["Properties"]
    assert props == {"GroupDescription": "tasks\nof api\n", "VpcId": {"Ref": "Vpc"}}


def test_rdjson_append_to_list(tmp_path):
    fix = Fix(("Resources", "S3", "Properties"), "RouteTableIds", {"Ref": "RouteTableB"}, "append")
    _, diag, text = _rdjson_with_fix(tmp_path, fix, rule="EN3001")
    new = _apply(text, diag)
    props = cfn_load(new)["Resources"]["S3"]["Properties"]
    assert props["RouteTableIds"] == [{"Ref": "RouteTableA"}, {"Ref": "RouteTableB"}]
    assert "        - !Ref RouteTableB\n" in new


def test_rdjson_append_creates_missing_list(tmp_path):
    fix = Fix(("Resources", "EcrApi", "Properties"), "SecurityGroupIds", {"Ref": "EndpointSg"}, "append")
    _, diag, text = _rdjson_with_fix(tmp_path, fix)
    props = cfn_load(_apply(text, diag))["Resources"]["EcrApi"]["Properties"]
    assert props["SecurityGroupIds"] == [{"Ref": "EndpointSg"}]


def test_rdjson_append_to_flow_list(tmp_path):
    text = "Resources:\n  S3:\n    Properties:\n      RouteTableIds: [!Ref A]   # c\n      VpcId: v\n"
    fix = Fix(("Resources", "S3", "Properties"), "RouteTableIds", {"Ref": "B"}, "append")
    _, diag, text = _rdjson_with_fix(tmp_path, fix, text=text)
    props = cfn_load(_apply(text, diag))["Resources"]["S3"]["Properties"]
    assert props["RouteTableIds"] == [{"Ref": "A"}, {"Ref": "B"}]


def test_rdjson_mapping_in_sequence_item(tmp_path):
    text = "Resources:\n  Sg:\n    Properties:\n      SecurityGroupEgress:\n        - IpProtocol: tcp\n          FromPort: 443\n"
    fix = Fix(("Resources", "Sg", "Properties", "SecurityGroupEgress", 0), "ToPort", 443)
    _, diag, text = _rdjson_with_fix(tmp_path, fix, text=text)
    rule = cfn_load(_apply(text, diag))["Resources"]["Sg"]["Properties"]["SecurityGroupEgress"]
    assert rule == [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}]


def test_rdjson_crlf_file(tmp_path):
    text = TEMPLATE.replace("\n", "\r\n")
    fix = Fix(("Resources", "EcrApi", "Properties"), "PrivateDnsEnabled", True)
    _, diag, _ = _rdjson_with_fix(tmp_path, fix, text=text)
    new = _apply(text, diag)
    assert "\n" not in new.replace("\r\n", "")
    assert cfn_load(new)["Resources"]["EcrApi"]["Properties"]["PrivateDnsEnabled"] is True


@pytest.mark.parametrize(
    "fix",
    [
        Fix(("Resources", "Nope", "Properties"), "PrivateDnsEnabled", True),  # path not found
        Fix(("Resources", "EcrApi", "Properties"), "ServiceName", {"Ref": "X"}, "append"),  # not a list
        Fix(("Resources", "EcrApi", "Properties"), "SubnetIds", True),  # not a scalar
    ],
)
def test_rdjson_no_suggestion_when_location_unusable(tmp_path, fix):
    _, diag, _ = _rdjson_with_fix(tmp_path, fix)
    assert "suggestions" not in diag


def test_rdjson_flow_mapping_edited_in_place(tmp_path):
    # issue 13: what the line planner does not do, ruamel.yaml's round trip does, in that line only
    fix = Fix(("Resources", "Flow", "Properties"), "PrivateDnsEnabled", True)
    _, diag, text = _rdjson_with_fix(tmp_path, fix)
    (sugg,) = diag["suggestions"]
    assert sugg == {"range": {"start": {"line": 33}, "end": {"line": 33}},
                    "text": "    Properties: {VpcId: !Ref Vpc, PrivateDnsEnabled: true}"}


def test_rdjson_suggestion_for_json_keeps_layout(tmp_path):
    # issue 13: JSON gets suggestions too, only the lines the fix needs (indentation and key order kept)
    text = json.dumps({"Resources": {"E": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcId": "v"}}}}, indent=2)
    fix = Fix(("Resources", "E", "Properties"), "PrivateDnsEnabled", True)
    _, diag, _ = _rdjson_with_fix(tmp_path, fix, text=text, name="t.json")
    (sugg,) = diag["suggestions"]
    assert sugg == {"range": {"start": {"line": 6}, "end": {"line": 6}},
                    "text": '        "VpcId": "v",\n        "PrivateDnsEnabled": true'}
    assert json.loads(_apply(text, diag))["Resources"]["E"]["Properties"]["PrivateDnsEnabled"] is True


def test_rdjson_no_suggestion_for_json_not_in_dumps_layout(tmp_path):
    text = '{"Resources": {"E": {"Type": "AWS::EC2::VPCEndpoint",\n  "Properties": {"VpcId": "v"}}}}'
    fix = Fix(("Resources", "E", "Properties"), "PrivateDnsEnabled", True)
    _, diag, _ = _rdjson_with_fix(tmp_path, fix, text=text, name="t.json")
    assert "suggestions" not in diag


def test_rdjson_no_suggestion_when_file_missing():
    f = Finding("EN2003", "m", ("Resources",), "/nonexistent/t.yaml", 1, 1, 1, 2, None,
                Fix(("Resources", "E", "Properties"), "PrivateDnsEnabled", True))
    (diag,) = json.loads(render([f], "rdjson"))["diagnostics"]
    assert "suggestions" not in diag


def test_rdjson_columns_are_utf8_bytes(tmp_path):
    path = tmp_path / "u.yaml"
    path.write_text("Description: é𐐀x\n", encoding="utf-8")
    f = Finding("EN2003", "m", ("Description",), str(path), 1, 16, 1, 17)
    (diag,) = json.loads(render([f], "rdjson"))["diagnostics"]
    # code points: D..: (12) + space = col 14 'é', 15 '𐐀', 16 'x'; bytes: 'é'=2, '𐐀'=4
    assert diag["location"]["range"]["start"] == {"line": 1, "column": 14 + 2 + 4}


def test_rdjson_round_trips_template_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = json.loads(render(evil_findings(), "rdjson"))
    assert {d["message"] for d in doc["diagnostics"]} == {SHOWN_EVIL, SHOWN_SECOND}
    assert SHOWN_EVIL_FILE in {d["location"]["path"] for d in doc["diagnostics"]}


def test_apply_suggestion_column_based():
    text = "a: haya15busa\nb: 1\n"
    sugg = {"range": {"start": {"line": 1, "column": 8}, "end": {"line": 1, "column": 10}}, "text": "14"}
    assert apply_suggestion(text, sugg) == "a: haya14busa\nb: 1\n"


def test_github_annotations_beyond_the_per_step_limit_are_summarised_not_lost():
    """GitHub shows 10 annotations of a kind per step: the 10th says how many more, and every
    finding past it is still printed, as a plain log line."""
    errors = [Finding("EN3001", f"fault {i}", ("Resources", f"R{i}"), "t.yaml", i + 1, 1, i + 1, 5) for i in range(14)]
    warnings = [Finding("WN2002", f"warn {i}", ("Resources", f"W{i}"), "t.yaml", 100 + i, 1, 100 + i, 5) for i in range(3)]
    lines = render(errors + warnings, "github").splitlines()
    error_commands = [l for l in lines if l.startswith("::error ")]
    assert len(error_commands) == 10
    assert error_commands[-1] == ("::error title=ecsnetpolicy::5 more error findings than GitHub shows as annotations in one step; "
                                  "they follow in this log, and are in the job summary and the SARIF upload")
    assert [l for l in lines if l.startswith("::warning ")].__len__() == 3  # under the limit: all annotated
    plain = [l for l in lines if not l.startswith("::")]
    assert plain == [f"ecsnetpolicy: t.yaml:{i + 1}:1: EN3001 error fault {i}" for i in range(9, 14)]
    for i in range(14):  # none lost
        assert any(f"fault {i}" in l for l in lines)
