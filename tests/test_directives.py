"""Issue 15, "the same answer everywhere": cfn-lint's `Metadata` suppressions
(`cfn-lint: config: ignore_checks`) are honoured by our command exactly as cfn-lint honours them
for the plugin: at template level as rule IDs or prefixes (replaced by the command line's own
--ignore), at resource level as exact rule IDs on findings inside that resource."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from ecsnetpolicy import cli
from ecsnetpolicy.load.directives import Suppressions, resource_ignores, template_ignores
from helpers import FIXTURES, ours, plugin_run

INCIDENT = (FIXTURES / "runbook_incident.yaml").read_text()
S3_ENDPOINT = "  S3GatewayEndpoint:\n    Type: AWS::EC2::VPCEndpoint\n"
CLUSTER = "  Cluster:\n    Type: AWS::ECS::Cluster\n"


def _with_resource_metadata(text: str, header: str, ids: str) -> str:
    assert header in text
    return text.replace(header, header + f"    Metadata:\n      cfn-lint:\n        config:\n          ignore_checks: {ids}\n", 1)


def _with_template_metadata(text: str, ids: str) -> str:
    return text.replace("Parameters:\n", f"Metadata:\n  cfn-lint:\n    config:\n      ignore_checks: {ids}\n\nParameters:\n", 1)


def _command(path: Path, *extra: str):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["check", str(path), "--format", "json", "--fail-on", "none", *extra])
    assert code == 0, err.getvalue()
    return sorted((r["Rule"]["Id"], r["Location"]["Start"]["LineNumber"], r["Location"]["Start"]["ColumnNumber"], r["Message"])
                  for r in json.loads(out.getvalue() or "[]"))


CASES = {
    # name: (template text, our extra args, cfn-lint extra args, EN3001 expected)
    "resource ignores EN3001 on the anchor's resource": (_with_resource_metadata(INCIDENT, S3_ENDPOINT, "[EN3001]"), (), (), False),
    "resource ignores EN3001 on another resource": (_with_resource_metadata(INCIDENT, CLUSTER, "[EN3001]"), (), (), True),
    "resource-level entries are exact IDs, not prefixes": (_with_resource_metadata(INCIDENT, S3_ENDPOINT, "[EN3]"), (), (), True),
    "template ignores a prefix": (_with_template_metadata(INCIDENT, "[EN3]"), (), (), False),
    "the command line's ignore replaces the template's": (_with_template_metadata(INCIDENT, "[EN3]"), ("--ignore", "WN"), ("--ignore-checks", "WN"), True),
    "a template value of the wrong type is ignored": (_with_template_metadata(INCIDENT, "EN3001"), (), (), True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_command_honours_metadata_suppressions_like_cfn_lint(tmp_path: Path, name: str) -> None:
    text, our_args, lint_args, expected = CASES[name]
    path = tmp_path / "t.yaml"
    path.write_text(text)
    mine = _command(path, *our_args)
    assert any(r[0] == "EN3001" for r in mine) is expected, mine
    theirs = ours(plugin_run([path], lint_args)[str(path)])
    assert mine == theirs


def test_readers() -> None:
    template = {
        "Metadata": {"cfn-lint": {"config": {"ignore_checks": ["WN", 3, ""]}}},
        "Resources": {
            "A": {"Metadata": {"cfn-lint": {"config": {"ignore_checks": ["EN1001", "EN2001"]}}}},
            "B": {"Metadata": {"cfn-lint": {"config": {"ignore_checks": ["EN1001"]}}}},
            "C": {"Metadata": {"cfn-lint": "odd"}},
            "D": "not a mapping",
        },
    }
    assert template_ignores(template) == ["WN"]
    assert resource_ignores(template) == {"EN1001": {"A", "B"}, "EN2001": {"A"}}
    s = Suppressions(template)
    assert s.suppressed("WN6001", ("Resources", "X"))
    assert s.suppressed("EN2001", ("Resources", "A", "Properties"))
    assert not s.suppressed("EN2001", ("Resources", "B", "Properties"))
    assert not s.suppressed("EN2001", ("Outputs", "A"))
    assert not Suppressions(template, ["EN9"]).suppressed("WN6001", ("Resources", "X"))
    assert template_ignores("not a template") == [] and resource_ignores([]) == {}
