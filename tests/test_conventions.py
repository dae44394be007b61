"""The conventions cfn-lint users expect of a command (issue 15, first part): `--version`/`-v`,
`rules` sorted by ID, `explain ID` as plain text a terminal shows well (no raw Markdown, no file
the wheel does not ship), `--help` with the exit codes and examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecsnetpolicy import __version__, cli
from ecsnetpolicy.catalogue import RULES
from ecsnetpolicy.report.doctext import markdown_to_text

from helpers import ROOT

PAGES = ROOT / "docs" / "rules"
# Files a wheel ships beside the code (pyproject's force-include): a page may name these.
SHIPPED = {"policies/ecs.yaml": ROOT / "policies" / "ecs.yaml"}
# Raw Markdown a terminal would show as is (outside indented code blocks).
RAW = re.compile(r"`|\*\*|\]\(|^#{1,6} |^\s*\|.*\|\s*$|^\s*:?-{3,}:?\s*\|")


def run(capsys, *argv):
    try:
        rc = cli.main(list(argv))
    except SystemExit as exc:  # argparse's --version and --help exit 0
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version(capsys, flag):
    rc, out, err = run(capsys, flag)
    assert (rc, out.strip(), err) == (0, f"ecsnetpolicy {__version__}", "")


def test_rules_sorted_by_id(capsys):
    rc, out, _ = run(capsys, "rules")
    ids = [line.split()[0] for line in out.splitlines()]
    assert rc == 0 and ids == sorted(RULES) and set(ids) == set(RULES)
    assert list(RULES) != sorted(RULES)  # the catalogue's own order is not sorted: this test can fail


def test_help_gives_exit_codes_and_examples(capsys):
    rc, out, _ = run(capsys, "--help")
    assert rc == 0
    codes = out[out.index("exit codes:"):]
    for code in ("0 ", "1 ", "2 "):
        assert re.search(rf"^\s+{code}", codes, re.M), code
    assert "examples:" in out and "ecsnetpolicy check templates/" in out and "ecsnetpolicy explain EN3001" in out
    rc, out, _ = run(capsys, "check", "--help")
    assert rc == 0 and "exit codes:" in out and "examples:" in out


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_explain_is_plain_text(capsys, rule_id):
    rc, out, err = run(capsys, "explain", rule_id)
    assert (rc, err) == (0, "")
    assert out.startswith(rule_id), out[:80]
    prose = [line for line in out.splitlines() if not line.startswith("    ")]  # code blocks stay as written
    raw = [line for line in prose if RAW.search(line)]
    assert not raw, raw[:5]
    assert "\x00" not in out


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_explain_names_no_file_the_wheel_lacks(capsys, rule_id):
    _, out, _ = run(capsys, "explain", rule_id)
    for unshipped in ("aws-facts.md", "rules.md", "../shared", "docs/", "tests/"):
        assert not re.search(r"(?<![/\w])" + re.escape(unshipped), out), unshipped  # (a URL's /docs/ is fine)
    for name, path in SHIPPED.items():
        if name in out:
            assert path.is_file(), name


def test_markdown_to_text_elements():
    page = (
        "# EN0000 title\n\nSome `code` and **bold `PrivateDnsEnabled` text** across\n"
        "a `line\nbreak`, a [link](https://example.com/x) and a [local one](../other.md).\n\n"
        "## Why\n\n- Fact 3 in `aws-facts.md`\n\n"
        "| need | actions |\n| --- | --- |\n| `ecr` | a, b |\n\n"
        "```yaml\nKey: `kept`  # **as is**\n```\n"
    )
    assert markdown_to_text(page) == (
        "EN0000 title\n============\n\nSome code and bold PrivateDnsEnabled text across\n"
        "a line\nbreak, a link (https://example.com/x) and a local one.\n\n"
        "Why\n---\n\n- Fact 3 in ecsnetpolicy's AWS facts\n\n"
        "need  actions\n----  -------\necr   a, b\n\n"
        "    Key: `kept`  # **as is**\n"
    )


def test_explain_markdown_prints_the_page_source(capsys):
    rc, out, _ = run(capsys, "explain", "EN3001", "--markdown")
    assert rc == 0 and out == (PAGES / "EN3001.md").read_text(encoding="utf-8")
