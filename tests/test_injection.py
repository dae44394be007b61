"""Nothing executable in any output (issue 9, part 4).

Hostile template text -- logical IDs, condition names, parameter names and values, descriptions,
image names -- and hostile file names, holding line breaks, ESC, C1 controls (CSI ``\\x9b``, NEL
``\\x85``), U+2028/2029, a bidi override, an OSC 52 clipboard write, GitHub workflow commands
(``::error file=x::pwned``, ``%0A::warning::``), HTML (``</script><script>``), Mermaid syntax
(``click A "javascript:..."``, ``style``, ``%%{init}%%``) and Markdown links and images, go through

- ``ecsnetpolicy check`` in every ``--format`` (text json sarif github rdjson markdown),
- ``ecsnetpolicy graph`` (text and mermaid),
- the command's standard error (file names in its one-line errors),
- the cfn-lint plugin, in each of cfn-lint's formats (default text, parseable, json, junit,
  pretty, sarif; junit and sarif only where cfn-lint's optional formatter packages are present).

Each output must hold no C0 or C1 control character but line feed and tab, no U+2028/2029 or bidi
override, and no line that starts (after leading blanks) with ``::`` -- but the github format's own
workflow commands, which must be exactly one well-formed command per finding.  JSON and SARIF still
parse, and their decoded strings hold no control character either.  Markdown carries no HTML, link
or image from template text and stays under GitHub's 1 MiB job-summary limit; Mermaid carries no
statement, directive, tag or node ID from template text.  Every hostile input is shown to reach the
output (escaped), so that no test passes by printing nothing.

cfn-lint prints the file names it is given itself (outside the plugin's reach), so hostile *file
names* are sent only through our command.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import shutil
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import yaml

from ecsnetpolicy import cli
from ecsnetpolicy.findings import Finding
from ecsnetpolicy.report import render
from ecsnetpolicy.report.markdown import MARKDOWN_LIMIT
from ecsnetpolicy.report.graph import MAX_ID
from ecsnetpolicy.load.template import load_file

from helpers import FIXTURES, OUR_RULE, ROOT

MARK = "pwned"  # in every payload: proves the hostile text reached the output
PAYLOADS = {
    # everything at once, starting with a letter and a line break
    "all": (
        "X\n::error file=x::pwned\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\x9b31m\x85NEL\u2028LS\u2029\u202e"
        "%0A::warning::</script><script>alert(1)</script>\nclick A \"javascript:alert(1)\"\n"
        "![x](http://e) [y](http://e) %%{init: {'securityLevel': 'loose'}}%%\nstyle A fill:#f00\nclassDef x fill:#f00"
    ),
    # a workflow command at the very start of the name
    "command": "::error file=x,line=1::pwned%0A::warning::",
    # an escape sequence at the start: OSC 52 writes the clipboard, CSI clears the screen
    "escape": "\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b2Jpwned",
    # Unicode line breaks, then a command
    "separators": "\u2028::warning::pwned\u2029\x85::notice::",
}
BASE = FIXTURES / "traps" / "f_conditional_route_tables.yaml"  # one EN3001, only when a condition is false
INCIDENT = FIXTURES / "runbook_incident.yaml"
HOSTILE_FILE_NAME = "::error file=x::pwned\n::warning::\x1b[31m\x85\u2028\x9b2J.yaml"

# what no output may hold: C0 controls but tab and line feed, DEL, C1 controls, the Unicode line
# and paragraph separators, and the bidi overrides / isolates that reorder what a reader sees
BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
GITHUB_COMMAND = re.compile(
    r"^::(error|warning|notice) file=[^:,]*,line=\d+,endLine=\d+(,col=\d+,endColumn=\d+)?,title=[^:,]*::(?P<message>.*)$"
)
GITHUB_MORE = re.compile(r"^::(error|warning|notice) title=ecsnetpolicy::(?P<message>\d+ more \w+ findings than GitHub shows as annotations in one step; [^:]*)$")
MERMAID_STATEMENT = re.compile(r"^\s*(click|style|classDef|class|linkStyle|%%\{|---|accTitle|accDescr|direction)\b")


# ------------------------------------------------------------------------------ the inputs
def _plain(x):
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    return x if isinstance(x, (bool, int, float, type(None))) else str(x)


def _rename(x, names: Dict[str, str]):
    if isinstance(x, dict):
        return {names.get(k, k): _rename(v, names) for k, v in x.items()}
    if isinstance(x, list):
        return [_rename(v, names) for v in x]
    if isinstance(x, str):
        return names.get(x, x)
    return x


def hostile_templates(folder: Path) -> List[Path]:
    """For each payload: (a) the payload in the logical IDs of a task subnet, its route table and
    the service, in the condition name and in descriptions; (b) in the value of the parameter the
    image comes from (an image from Docker Hub, no internet: EN4001); (c) in the name of a parameter
    without value (IN9001).  (a) also as YAML, for the YAML readers."""
    base = _plain(load_file(str(BASE)))
    out = []
    for key, p in PAYLOADS.items():
        names = {"TwoRouteTables": p + "C", "PrivateSubnetB": p + "S", "PrivateRouteTableB": p + "R", "Service": p + "W"}
        a = _rename(base, names)
        a["Description"] = p
        a["Parameters"]["Mode"]["Description"] = p
        for rule in a["Resources"]["TaskSecurityGroup"]["Properties"]["SecurityGroupEgress"]:
            rule["Description"] = p
        b = copy.deepcopy(base)
        b["Parameters"]["Img"] = {"Type": "String", "Default": "docker.io/" + p + ":1", "Description": p}
        b["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"] = {"Ref": "Img"}
        c = copy.deepcopy(base)
        c["Parameters"][p + "I"] = {"Type": "String"}
        c["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"] = {"Ref": p + "I"}
        for name, doc in (("a", a), ("b", b), ("c", c)):
            path = folder / f"{name}_{key}.json"
            path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
            out.append(path)
        path = folder / f"a_{key}.yaml"
        path.write_text(yaml.safe_dump(a, allow_unicode=False, width=1_000_000, sort_keys=False), encoding="utf-8")
        out.append(path)
    return out


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    hostile_templates(folder)
    return folder


@pytest.fixture(scope="module")
def hostile_name(tmp_path_factory) -> Path:
    """The runbook incident (one EN3001) under a hostile file name."""
    folder = tmp_path_factory.mktemp("named")
    path = folder / HOSTILE_FILE_NAME
    shutil.copyfile(INCIDENT, path)
    return path


# ------------------------------------------------------------------------------ the checks
def assert_clean(text: str, *, github: bool = False) -> None:
    """No control character (but \\n and \\t), separator or bidi override; no line-start ``::``
    but, in the github format, our own well-formed workflow commands."""
    bad = BAD.search(text)
    assert bad is None, f"{bad.group()!r} in ...{text[max(bad.start() - 60, 0):bad.end() + 60]!r}..."
    for line in text.split("\n"):
        if github and line.startswith("ecsnetpolicy: "):
            continue  # a finding past GitHub's annotations per step, as a plain log line (never a command)
        if github and line:
            m = GITHUB_COMMAND.match(line) or GITHUB_MORE.match(line)
            assert m, line[:300]
            message = m.group("message").replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
            assert "\n" not in message and "\r" not in message, line[:300]  # one annotation line
            continue
        assert not line.lstrip().startswith("::"), line[:300]


def strings(data) -> Iterator[str]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from strings(v)
    elif isinstance(data, str):
        yield data


def assert_clean_strings(data) -> None:
    """The decoded strings of a JSON document: no control character at all, no line-start ``::``
    (rdjson suggestions and SARIF fixes excepted: their text is lines of the user's own file, to
    replace lines of it, so it holds line breaks; but no other control character)."""
    if isinstance(data, dict) and "diagnostics" in data:
        for d in data["diagnostics"]:
            for sugg in d.get("suggestions", []):
                assert not BAD.search(sugg["text"]), sugg
        data = {**data, "diagnostics": [{k: v for k, v in d.items() if k != "suggestions"} for d in data["diagnostics"]]}
    if isinstance(data, dict) and "runs" in data:  # SARIF fixes: the same lines as rdjson's suggestions (issue 13)
        results = [r for run in data["runs"] for r in run.get("results", [])]
        for r in results:
            for fix in r.get("fixes", []):
                for change in fix["artifactChanges"]:
                    for rep in change["replacements"]:
                        assert not BAD.search(rep["insertedContent"]["text"]), rep
        data = {**data, "runs": [{**run, "results": [{k: v for k, v in r.items() if k != "fixes"} for r in run.get("results", [])]}
                                 for run in data["runs"]]}
    for s in strings(data):
        assert not BAD.search(s) and "\n" not in s and "\r" not in s, s[:300]
        assert not s.lstrip().startswith("::"), s[:300]


def run(*argv: str) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.chdir(ROOT)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "ECSNETPOLICY_POLICIES", "ECSNETPOLICY_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


def test_every_payload_is_in_the_findings(hostile_dir):
    """The inputs do what they are for: the payload lands in the messages of each template's
    finding (so the checks below are not vacuous)."""
    rc, out, err = run("check", str(hostile_dir), "--format", "json", "--fail-on", "none")
    assert rc == 0, err
    data = json.loads(out)
    by_file: Dict[str, List[dict]] = {}
    for d in data:
        by_file.setdefault(Path(d["Filename"]).name, []).append(d)
    assert set(by_file) == {p.name for p in hostile_dir.iterdir()}, sorted(by_file)
    for name, items in by_file.items():
        ids = {d["Rule"]["Id"] for d in items}
        expected = {"a": "EN3001", "b": "EN4001", "c": "IN9001"}[name[0]]
        assert expected in ids, (name, ids)
        assert any(MARK in d["Message"] for d in items), (name, [d["Message"][:200] for d in items])
    # the condition name is in the scenario words of the EN3001
    assert any("when condition" in d["Message"] and "pwned" in d["Message"].split("when condition", 1)[1] for d in data)


# ------------------------------------------------------------------------------ check, every format
@pytest.mark.parametrize("fmt", cli.FORMATS)
def test_check_output_is_inert(fmt, hostile_dir, hostile_name, monkeypatch):
    monkeypatch.chdir(hostile_name.parent)  # the hostile name as typed: "::error ..." starts the path
    rc, out, err = run("check", str(hostile_dir), hostile_name.name, "--format", fmt, "--color", "always")
    assert rc == 2, err  # the EN3001s and EN4001s are errors
    assert MARK in out
    if fmt == "text":
        # colour is ours: only the SGR codes of our styles; nothing else of ESC
        codes = set(re.findall("\x1b\\[[0-9;]*m", out))
        assert codes and codes <= {"\x1b[31m", "\x1b[33m", "\x1b[34m", "\x1b[1m", "\x1b[2m", "\x1b[0m"}, codes
        out = re.sub("\x1b\\[[0-9;]*m", "", out)
    assert_clean(out, github=fmt == "github")
    assert_clean(err)
    if fmt == "github":
        lines = out.splitlines()
        # one line per finding, no more: a command each, but past GitHub's 10 annotations of a kind
        # per step, one command saying how many more, and the rest as plain log lines
        findings = [l for l in lines if not GITHUB_MORE.match(l)]
        assert len(findings) == 4 * len(PAYLOADS) + 1
        assert len(lines) - len(findings) == sum(1 for kind in ("error", "warning", "notice")
                                                 if sum(1 for l in findings if l.startswith(f"::{kind} ")) >= 9
                                                 and any(l.startswith("ecsnetpolicy: ") for l in findings))
    if fmt in ("json", "sarif", "rdjson"):
        assert_clean_strings(json.loads(out))
    if fmt == "sarif":
        uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(out)["runs"][0]["results"] for loc in r["locations"]]
        assert all(not re.search(r"[\s\"<>|]", u) for u in uris), uris  # percent-encoded
        assert any("%0A" in u and "%1B" in u for u in uris), uris  # and still the real file
    if fmt == "markdown":
        assert_inert_markdown(out)


def test_check_output_is_inert_without_colour(hostile_dir):
    rc, out, _ = run("check", str(hostile_dir), "--format", "text", "--color", "never")
    assert rc == 2 and MARK in out
    assert_clean(out)


def assert_inert_markdown(out: str) -> None:
    assert "<" not in out and ">" not in out.replace("> **Cut:**", "")  # no HTML
    # no link or image but ours (rule IDs to their pages)
    for m in re.finditer(r"(?<!\\)\]\(", out):
        before = out[: m.start()]
        assert re.search(r"\[[EWI]N\d{4}$", before), out[m.start() - 80 : m.start() + 40]
    assert not re.search(r"(?<!\\)!(?=\\?\[)", out.replace("\\!", ""))
    assert "http://e" not in out and "javascript:" not in out
    for line in out.splitlines():  # table rows keep their own columns
        if line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", line)) in (3, 4, 5, 6), line[:200]


# ------------------------------------------------------------------------------ graph
def _graph_inputs(hostile_dir: Path, hostile_name: Path) -> List[Path]:
    return sorted(hostile_dir.iterdir()) + [hostile_name]


@pytest.mark.parametrize("fmt", ["text", "mermaid"])
def test_graph_output_is_inert(fmt, hostile_dir, hostile_name):
    shown = 0
    for path in _graph_inputs(hostile_dir, hostile_name):
        rc, out, err = run("graph", str(path), "--format", fmt)
        assert rc == 0, (path.name, err)
        assert err == ""
        assert_clean(out)
        shown += MARK in out
        if fmt == "mermaid":
            assert_inert_mermaid(out)
    assert shown >= 2 * len(PAYLOADS) + 1  # the names (a) and the reasons (c) are drawn, escaped


def assert_inert_mermaid(out: str) -> None:
    lines = out.splitlines()
    assert lines[0] == "flowchart LR"
    assert "%%{" not in out and "}%%" not in out  # no directive anywhere (Mermaid looks everywhere)
    for line in lines[1:]:
        assert not MERMAID_STATEMENT.match(line), line[:200]
        if line.lstrip().startswith("%%"):  # a comment: the rest of the line, escaped like a label
            assert re.fullmatch(r"  %% [^%\"<>`]*", line), line[:200]
            continue
        assert line.count('"') % 2 == 0, line[:200]
        labels = re.findall(r'"([^"]*)"', line)
        for label in labels:
            assert not re.search(r"[<>`%&]", label), label[:200]
        syntax = re.sub(r'"[^"]*"', '""', line)
        # outside the labels: our node IDs, shapes and arrows only
        assert re.fullmatch(r"[A-Za-z0-9_ \[\]\(\)\{\}|.>\-\"]*", syntax), syntax[:200]
        for token in re.findall(r"[A-Za-z0-9_]+", syntax):
            assert len(token) <= MAX_ID + 20, token


def test_mermaid_node_ids_are_ours(hostile_dir):
    """A node ID is a kind prefix and [A-Za-z0-9_] derived from the name, bounded in length."""
    rc, out, _ = run("graph", str(hostile_dir / "a_all.json"), "--format", "mermaid")
    ids = set(re.findall(r"\b((?:subnet|rt|workload|ep|nat|igw|gw|az|missing|unknown)_[A-Za-z0-9_]+)", re.sub(r'"[^"]*"', '""', out)))
    assert any(i.startswith("subnet_X") for i in ids)
    assert all(re.fullmatch(r"[a-z]+_[A-Za-z0-9_]{1,%d}" % (MAX_ID + 8), i) for i in ids), ids


# ------------------------------------------------------------------------------ stderr
def _hostile_copy(folder: Path, text: str, suffix: str = ".yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (HOSTILE_FILE_NAME[: -len(".yaml")] + suffix)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "case",
    ["unparsable", "not-a-template", "missing", "graph-unparsable", "graph-not-a-template"],
)
def test_stderr_is_inert(case, tmp_path):
    """The command's one-line errors name the file: safely.  (These lines are made in cli.py.)"""
    if case.endswith("unparsable"):
        path = _hostile_copy(tmp_path, "Resources:\n  Vpc: [\n")
    elif case.endswith("not-a-template"):
        path = _hostile_copy(tmp_path, "replicas: 3\nimage: nginx\n")
    else:
        path = tmp_path / HOSTILE_FILE_NAME
    argv = ["graph", str(path)] if case.startswith("graph") else ["check", str(path)]
    rc, out, err = run(*argv)
    assert rc == (0 if case == "not-a-template" else 1), (rc, err)  # check skips what is not a template
    assert err.strip(), "a refusal or a skip says why"
    assert_clean(err)
    assert_clean(out)
    assert "\\x1b" in err, err  # the name is shown, escaped
    assert "Traceback" not in err


# ------------------------------------------------------------------------------ the plugin
CFNLINT_FORMATS = ["default", "parseable", "json", "junit", "pretty", "sarif"]
OPTIONAL = {"junit": "junit_xml", "sarif": "sarif_om"}


@pytest.fixture(scope="module")
def plugin_matches(hostile_dir):
    """cfn-lint in-process with our rules appended, over every hostile template (one start-up)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    paths = sorted(str(p) for p in hostile_dir.iterdir())
    config = ConfigMixIn(["--append-rules=ecsnetpolicy.rules", "--include-checks", "I", "--", *paths])
    runner = Runner(config)
    matches = list(runner.run())
    matches.sort(key=lambda m: (m.filename, m.linenumber, m.rule.id))
    return runner, matches


def test_plugin_messages_are_inert(plugin_matches):
    _, matches = plugin_matches
    ours = [m for m in matches if OUR_RULE.match(m.rule.id)]
    assert {m.rule.id for m in ours} >= {"EN3001", "EN4001", "IN9001"}
    assert sum(MARK in m.message for m in ours) >= 3 * len(PAYLOADS)
    for m in ours:
        assert not BAD.search(m.message) and "\n" not in m.message and "\r" not in m.message, m.message[:300]
        assert not m.message.lstrip().startswith("::"), m.message[:300]


@pytest.mark.parametrize("fmt", CFNLINT_FORMATS)
def test_plugin_output_is_inert(fmt, plugin_matches):
    if fmt in OPTIONAL:
        pytest.importorskip(OPTIONAL[fmt], reason=f"cfn-lint's {fmt} format needs cfn-lint[{fmt}]")
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner.cli import get_formatter

    runner, matches = plugin_matches
    args = [] if fmt == "default" else ["--format", fmt]
    config = ConfigMixIn(["--append-rules=ecsnetpolicy.rules", "--include-checks", "I", *args])
    out = get_formatter(config).print_matches(matches, runner.rules, config=config) or ""
    assert MARK in out
    assert_clean(out)
    if fmt == "json":
        data = json.loads(out)
        assert_clean_strings([d for d in data if OUR_RULE.match(d["Rule"]["Id"])])
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert_clean_strings([r for r in results if OUR_RULE.match(r["ruleId"])])


# ------------------------------------------------------------------------------ bounded sizes
def test_markdown_summary_stays_under_githubs_limit():
    """GitHub drops a job summary over 1 MiB whole: ours is cut below it, and says so."""
    message = "Tasks of service Api cannot pull " + "x" * 3900
    findings = [
        Finding("EN3001", message + str(i), ("Resources", f"R{i}"), f"t{i % 7}.yaml", i + 1, 1, i + 1, 5, "Api")
        for i in range(1500)
    ]
    out = render(findings, "markdown")
    size = len(out.encode("utf-8"))
    assert size <= MARKDOWN_LIMIT < 1024 * 1024
    assert out.endswith("\n")
    assert "Cut:" in out and "1 MiB" in out
    assert out.count("| [EN3001]") > 100  # what fits is shown
    assert_inert_markdown(out)


def test_markdown_under_the_limit_is_not_cut():
    f = Finding("EN3001", "m", ("Resources", "R"), "t.yaml", 1, 1, 1, 2, "Api")
    assert "Cut:" not in render([f], "markdown")


def test_every_message_and_name_is_bounded(tmp_path):
    """A huge parameter value (the image) or a long logical ID does not make a huge line:
    messages and names are cut, with a mark."""
    base = _plain(load_file(str(BASE)))
    doc = _rename(base, {"PrivateSubnetB": "S" * 1000})  # YAML (and so our JSON reader) keys stop at 1024
    doc["Parameters"]["Img"] = {"Type": "String", "Default": "docker.io/" + "i" * 300_000 + ":1"}
    doc["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"] = {"Ref": "Img"}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    for fmt in cli.FORMATS:
        rc, out, err = run("check", str(path), "--format", fmt)
        assert rc == 2, err
        assert "i" * 4000 not in out, fmt
        assert "\u2026" in out or "\\u2026" in out, fmt  # the message was cut, and says so
        assert max(len(line) for line in out.splitlines()) < 20_000, fmt
    for fmt in ("text", "mermaid"):
        rc, out, err = run("graph", str(path), "--format", fmt)
        assert rc == 0, err
        assert max(len(line) for line in out.splitlines()) < 20_000, fmt
