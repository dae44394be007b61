"""Every fixture: the exact rule, line and message of each finding of ours, and nothing else of
ours, through the cfn-lint plugin and through the standalone path; the same after cfn-flip's
YAML -> JSON conversion, with line numbers that point at the anchor in the JSON text."""

from __future__ import annotations

import json


import pytest
import yaml
from cfn_flip import to_json

from helpers import FIXTURES, fixture_files, ours, plugin_run, standalone

EXPECTATIONS = yaml.safe_load((FIXTURES / "expectations.yaml").read_text(encoding="utf-8"))
NAMES = sorted(EXPECTATIONS)
# rules that rest on facts only the AWS account gives (endpoint service AZs, the account's log groups)
ACCOUNT_RULES = ("EN2008", "EN5002")


def _expected(name):
    return sorted((e["rule"], e["line"], e["message"]) for e in EXPECTATIONS[name])


@pytest.fixture(scope="module")
def plugin_results():
    return plugin_run([FIXTURES / n for n in NAMES])


def test_every_fixture_has_expectations():
    listed = {FIXTURES / n for n in NAMES}
    assert set(fixture_files()) == listed


def test_every_rule_has_a_failing_and_a_passing_fixture():
    from ecsnetpolicy.catalogue import RULES

    for rule_id in RULES:
        if rule_id == "EN9000":  # a template that cannot be analysed at all: tests/fixtures/fail_closed,
            continue             # asserted through both paths in tests/test_fail_closed.py
        if rule_id in ACCOUNT_RULES:  # decided only with the AWS account (a snapshot): a template alone
            continue                  # never fires them; proven by tests/fixtures/accounts and tests/test_account_rules.py
        failing = [n for n in NAMES if any(e["rule"] == rule_id for e in EXPECTATIONS[n])]
        assert failing, f"no failing fixture for {rule_id}"
        passing = [n for n in NAMES if n.startswith(f"{rule_id}/good_") and not EXPECTATIONS[n]]
        assert passing, f"no passing fixture for {rule_id}"


@pytest.mark.parametrize("name", NAMES)
def test_plugin_findings_exact(name, plugin_results):
    got = [(r, line, m) for r, line, _c, m in ours(plugin_results[str(FIXTURES / name)])]
    assert got == _expected(name)


@pytest.mark.parametrize("name", NAMES)
def test_fixture_is_clean_for_cfn_lint_itself(name, plugin_results):
    others = [(m.rule.id, m.linenumber, m.message) for m in plugin_results[str(FIXTURES / name)] if not m.rule.id[1:2] == "N"]
    assert [o for o in others if o[0].startswith("E")] == []


@pytest.mark.parametrize("name", NAMES)
def test_standalone_findings_exact(name):
    got = [(r, line, m) for r, line, _c, m in standalone(FIXTURES / name)]
    assert got == _expected(name)


def test_runbook_incident_is_exactly_one_en3001_on_route_table_ids():
    rows = standalone(FIXTURES / "runbook_incident.yaml")
    assert [r[0] for r in rows] == ["EN3001"]
    line = (FIXTURES / "runbook_incident.yaml").read_text().splitlines()[rows[0][1] - 1]
    assert line.strip().startswith("RouteTableIds:")
    assert "PrivateRouteTableB" in rows[0][3] and "S3GatewayEndpoint" in rows[0][3]


def _anchor_token(path):
    """The text a JSON line must carry for a finding anchored at `path`."""
    last = path[-1]
    if isinstance(last, str):
        return json.dumps(last)
    return None


@pytest.fixture(scope="module")
def json_copies(tmp_path_factory):
    out = tmp_path_factory.mktemp("json")
    copies = {}
    for name in NAMES:
        target = out / (name.replace("/", "__").rsplit(".", 1)[0] + ".json")
        target.write_text(to_json((FIXTURES / name).read_text(encoding="utf-8")), encoding="utf-8")
        copies[name] = target
    return copies


def test_json_conversion_same_findings_and_lines_point_at_anchor(json_copies):
    from ecsnetpolicy.api import raw_for
    from ecsnetpolicy.load.template import load_file

    results = plugin_run(list(json_copies.values()))
    for name, path in json_copies.items():
        got = ours(results[str(path)])
        assert sorted((r, m) for r, _l, _c, m in got) == sorted((r, m) for r, _l, m in _expected(name)), name
        assert [row for row in standalone(path)] == got, name
        lines = path.read_text(encoding="utf-8").splitlines()
        template = load_file(str(path))
        raws = {(r.rule_id, r.message): r.path for r in raw_for(template, stack_name=path.stem)}
        for rule, line, _c, message in got:
            anchor = raws[(rule, message)]
            token = _anchor_token(anchor)
            text = lines[line - 1]
            if token is not None:
                assert token in text, (name, rule, line, text)
            else:  # a list item: the line holds the item (e.g. {"Ref": "PrivateSubnetB"})
                assert text.strip().startswith("{") or '"Ref"' in text, (name, rule, line, text)
