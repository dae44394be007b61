"""The fixture accounts of tests/fixtures/accounts judged by `ecsnetpolicy check --aws-snapshot`
(issue 11): for every account of expectations.yaml, the exact findings with the account's
snapshot (rule, line, message patterns; no other E/W/I of ours), the template alone giving IN9001
only (the faults are visible only with the account), and each "one resource deleted" variant
giving IN9001 for the deleted resource and no new E/W.

Where this file asserts something other than expectations.yaml says, `ANCHOR_FIXES` holds it,
with the reason: the expectation, not the code, was off.  Cases failing for a known reason are
`xfail(strict=False)` with that reason (see PENDING_* below)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest
import yaml

from ecsnetpolicy.cli import main

from helpers import OUR_RULE, ROOT

ACCOUNTS = ROOT / "tests" / "fixtures" / "accounts"
EXPECTATIONS: Dict[str, dict] = yaml.safe_load((ACCOUNTS / "expectations.yaml").read_text(encoding="utf-8"))
NAMES = list(EXPECTATIONS)

# (account, rule, line in expectations.yaml) -> the line asserted here.  Issue 11 point 5: a
# finding about account resources anchors on the template property that brought them in, the
# list entry carrying the ID when there is one.  expectations.yaml puts EN4001 on
# NetworkConfiguration (the convention of the template-only fixtures); the code anchors on the
# Subnets that carry the account subnets, which is the better anchor by the issue.
ANCHOR_FIXES: Dict[Tuple[str, str, int], int] = {
    # Subnets[1] (!ImportValue platform-network-PrivateSubnetB): the one subnet without internet
    ("imported-subnets", "EN4001", 78): 83,
    # Subnets (!Ref PrivateSubnetIds): both subnets use the route table with the blackhole route
    ("blackhole-nat", "EN4001", 78): 81,
}

# accounts / deleted variants whose findings fail today, with the reason (none left)
PENDING_ACCOUNTS: Dict[str, str] = {}
PENDING_DELETED: Dict[Tuple[str, int], str] = {}
# IN9001 naming the AWS CLI command that would capture the missing resource (issue 11 point 4):
# every deleted variant's IN9001 does now.
_COMMAND_PENDING: Dict[Tuple[str, int], str] = {}

Expected = Tuple[str, int, Sequence[str], Sequence[str]]  # rule, line, patterns, must-not-name
Got = Tuple[str, int, str, str]  # rule, line, level, message


# ----------------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No configuration file, region or policy from around the test leaks in."""
    monkeypatch.chdir(tmp_path)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "ECSNETPOLICY_POLICIES", "ECSNETPOLICY_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


def _fixed_line(name: str, rule: str, line: int) -> int:
    return ANCHOR_FIXES.get((name, rule, line), line)


def _expected(name: str, findings: Sequence[dict], *, commands: bool = True) -> List[Expected]:
    """The findings of an expectations.yaml list, `same_as` resolved, ANCHOR_FIXES applied;
    without `commands`, the patterns that are AWS CLI commands ("aws ...") are left out."""
    main_findings = EXPECTATIONS[name]["findings"]
    out = []
    for f in findings:
        source = f
        if "same_as" in f:
            index = int(f["same_as"].split("[", 1)[1].rstrip("]"))
            source = main_findings[index]
            assert (source["rule"], source["line"]) == (f["rule"], f["line"]), f"{name}: same_as {f['same_as']} names another finding"
        patterns = [p for p in source.get("message_patterns") or [] if commands or not p.startswith("aws ")]
        out.append((f["rule"], _fixed_line(name, f["rule"], f["line"]), patterns, source.get("must_not_name") or []))
    return out


def _run(capsys, argv: Sequence[str]) -> Tuple[int, List[Got], str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert all(line.startswith("ecsnetpolicy: ") for line in err.splitlines()), err  # stderr: one-line notes only
    rows = json.loads(out)  # stdout is the JSON report and nothing else
    got = [(r["Rule"]["Id"], r["Location"]["Start"]["LineNumber"], r["Level"], r["Message"]) for r in rows]
    assert all(OUR_RULE.match(rule) for rule, *_ in got), got
    return rc, got, err


def _check(capsys, name: str, snapshot: Optional[Path]) -> Tuple[int, List[Got], str]:
    e = EXPECTATIONS[name]
    folder = snapshot if snapshot is not None else ACCOUNTS / name
    argv = ["check", str(folder / e["template"]), "--region", e["region"], "-f", "json"]
    for key, value in (e.get("parameters") or {}).items():
        argv += ["--parameter", f"{key}={value}"]
    if snapshot is not None:
        argv += ["--aws-snapshot", str(snapshot)]
    return _run(capsys, argv)


def _assignment(expected: Sequence[Expected], got: Sequence[Got]) -> Optional[List[int]]:
    """One distinct finding of `got` per expected finding (same rule and line, every pattern in
    the message, no must-not-name), or None.  Backtracking: several findings may share a rule and
    line (one EN2003 per endpoint) and differ only in what they name."""
    used: List[int] = []

    def fits(exp: Expected, g: Got) -> bool:
        rule, line, patterns, banned = exp
        return g[0] == rule and g[1] == line and all(p in g[3] for p in patterns) and not any(b in g[3] for b in banned)

    def place(i: int) -> bool:
        if i == len(expected):
            return True
        for j, g in enumerate(got):
            if j not in used and fits(expected[i], g):
                used.append(j)
                if place(i + 1):
                    return True
                used.pop()
        return False

    return list(used) if place(0) else None


def _assert_findings(expected: Sequence[Expected], got: Sequence[Got]) -> None:
    def show() -> str:
        return "\n".join(f"  {rule} line {line} [{level}]: {message}" for rule, line, level, message in got)

    assert sorted((r, l) for r, l, _, _ in expected) == sorted((r, l) for r, l, _, _ in got), "findings:\n" + show()
    assert _assignment(expected, got) is not None, (
        "a finding lacks a message pattern (or names what it must not):\n"
        + "\n".join(f"  want {r} line {l}: {list(p)} not {list(b)}" for r, l, p, b in expected) + "\n" + show())


def _params(names: Sequence[str], pending: Dict[str, str]):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=False, reason=pending[n])) if n in pending else n for n in names]


DELETED = [(name, i) for name in NAMES for i in range(len(EXPECTATIONS[name].get("deleted") or []))]


def _deleted_params(pending: Dict[Tuple[str, int], str], keep=lambda name, i: True):
    out = []
    for name, i in DELETED:
        if not keep(name, i):
            continue
        ident = f"{name}-deleted-{i}"
        marks = [pytest.mark.xfail(strict=False, reason=pending[(name, i)])] if (name, i) in pending else []
        out.append(pytest.param(name, i, id=ident, marks=marks))
    return out


def _copy_with_deletions(name: str, index: int, tmp_path: Path) -> Path:
    """A copy of the account with every `delete` op of the variant applied; each op must remove
    exactly one entry (or one file), so a typo in expectations.yaml cannot pass as a no-op."""
    target = tmp_path / name
    shutil.copytree(ACCOUNTS / name, target)
    for op in EXPECTATIONS[name]["deleted"][index]["delete"]:
        path = target / op["file"]
        assert path.is_file(), f"{name}: {op['file']} is not in the account"
        if op.get("whole_file"):
            path.unlink()
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        before = doc[op["key"]]
        doc[op["key"]] = [item for item in before if item.get(op["id_field"]) != op["id"]]
        assert len(before) - len(doc[op["key"]]) == 1, f"{name}: {op['id']} is not exactly one entry of {op['file']} {op['key']}"
        path.write_text(json.dumps(doc, indent=4), encoding="utf-8")
    return target


# ------------------------------------------------------------------------------------- tests


def test_expectations_cover_every_fixture_account():
    assert sorted(NAMES) == sorted(p.name for p in ACCOUNTS.iterdir() if p.is_dir())
    assert set(k[0] for k in ANCHOR_FIXES) <= set(NAMES) and set(PENDING_ACCOUNTS) <= set(NAMES)
    assert set(PENDING_DELETED) <= set(DELETED) and set(_COMMAND_PENDING) <= set(DELETED)


@pytest.mark.parametrize("name", _params(NAMES, PENDING_ACCOUNTS))
def test_account_findings_with_the_snapshot(capsys, name):
    """Exactly the expected findings (rule and line, every message pattern, nothing named that
    must not be), no other E, W or I of ours (the snapshot is complete: no IN9001), and the
    exit code that follows from them."""
    rc, got, _ = _check(capsys, name, ACCOUNTS / name)
    expected = _expected(name, EXPECTATIONS[name]["findings"])
    _assert_findings(expected, got)
    assert rc == (2 if any(level == "Error" for _, _, level, _ in got) else 0)


@pytest.mark.parametrize("name", NAMES)
def test_account_faults_are_invisible_without_the_snapshot(capsys, name):
    """The same template and parameters with no account: IN9001 only (what expectations.yaml
    lists under without_snapshot, each naming its unknown value), no E or W, exit 0."""
    rc, got, _ = _check(capsys, name, None)
    assert [g for g in got if g[0] != "IN9001" or g[2] != "Informational"] == [], got
    want = EXPECTATIONS[name]["without_snapshot"]
    assert sorted((g[0], g[1]) for g in got) == sorted((w["rule"], w["line"]) for w in want)
    assert _assignment([(w["rule"], w["line"], [w["names"]], []) for w in want], got) is not None, got
    assert rc == 0


@pytest.mark.parametrize("name,index", _deleted_params(PENDING_DELETED))
def test_account_with_one_resource_deleted(capsys, tmp_path, name, index):
    """A resource deleted from a copy of the snapshot: exactly the variant's findings (the
    unchanged ones, plus IN9001 naming the deleted resource), no new E or W.  The AWS CLI
    command the IN9001 should name is asserted separately (next test)."""
    variant = EXPECTATIONS[name]["deleted"][index]
    rc, got, _ = _check(capsys, name, _copy_with_deletions(name, index, tmp_path))
    _assert_findings(_expected(name, variant["findings"], commands=False), got)
    assert rc == (2 if any(level == "Error" for _, _, level, _ in got) else 0)


def _has_command(name: str, index: int) -> bool:
    return any(p.startswith("aws ") for f in EXPECTATIONS[name]["deleted"][index]["findings"] for p in f.get("message_patterns") or [])


@pytest.mark.parametrize("name,index", _deleted_params(_COMMAND_PENDING, keep=_has_command))
def test_deleted_resource_in9001_names_the_capture_command(capsys, tmp_path, name, index):
    """Issue 11 point 4: IN9001 names the missing resource and the CLI command that would
    capture it (`aws ec2 describe-security-groups`, `aws ssm get-parameters`...).  The IN9001 is
    found by its other patterns (not its line: anchors are the previous test's business)."""
    variant = EXPECTATIONS[name]["deleted"][index]
    _, got, _ = _check(capsys, name, _copy_with_deletions(name, index, tmp_path))
    for f in variant["findings"]:
        commands = [p for p in f.get("message_patterns") or [] if p.startswith("aws ")]
        if not commands:
            continue
        others = [p for p in f["message_patterns"] if not p.startswith("aws ")]
        candidates = [m for rule, _, _, m in got if rule == f["rule"] and all(p in m for p in others)]
        assert candidates, f"no {f['rule']} naming {others}: {got}"
        assert any(all(c in m for c in commands) for m in candidates), f"{commands} not named in {candidates}"
