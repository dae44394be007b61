"""Issue 15: the pre-commit hooks give the result of checking the whole repository for every
deployment a changed file belongs to, however pre-commit splits the file list and whether or not
the partner stacks were staged; warnings fail both hooks or neither, by one setting (fail_on)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT
from test_precommit import hook_repo, precommit_env  # noqa: F401  (the real pre-commit's fixtures)

SPLIT = ROOT / "tests" / "fixtures" / "deployments" / "split"
FILLER = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false",
                    "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True, capture_output=True)


def _repo(tmp_path: Path, fillers: int = 0, name_length: int = 20) -> Path:
    """A git repository with the split deployment (network exports, service imports; the fault,
    EN3001, anchors in network.yaml) among `fillers` unrelated templates, all committed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "templates").mkdir(parents=True)
    # the stack names are the file stems (the service imports network-...): pre-commit's sorted
    # list puts the fillers (o-...) between network.yaml and service.yaml
    shutil.copy2(SPLIT / "network.yaml", repo / "templates" / "network.yaml")
    shutil.copy2(SPLIT / "service.yaml", repo / "templates" / "service.yaml")
    for i in range(fillers):
        (repo / "templates" / f"o-{i:05d}-{'x' * name_length}.yaml").write_text(FILLER)
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "-m", "initial", cwd=repo)
    return repo


def _run(repo: Path, *argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run([sys.executable, "-m", "ecsnetpolicy", *argv], cwd=repo, env=env, capture_output=True, text=True, timeout=900)


def test_check_changed_finds_the_partner_stack(tmp_path: Path) -> None:
    repo = _repo(tmp_path, fillers=3)
    alone = _run(repo, "check", "templates/service.yaml")
    assert alone.returncode == 0 and "EN3001" not in alone.stdout  # the fault needs the network stack
    whole = _run(repo, "check", "--changed", "templates/service.yaml")
    assert whole.returncode == 2, whole.stdout + whole.stderr
    lines = [line for line in whole.stdout.splitlines() if ": EN" in line or ": WN" in line or ": IN" in line]
    assert [line.split(": ")[1].split()[0] for line in lines] == ["EN3001"], whole.stdout
    assert lines[0].startswith("templates/network.yaml:")
    # the same as checking the whole repository, restricted to that deployment
    folder = _run(repo, "check", "templates")
    assert [line for line in folder.stdout.splitlines() if "network.yaml" in line] == lines
    # a filler alone: its own deployment only
    filler = _run(repo, "check", "--changed", next(str(p.relative_to(repo)) for p in (repo / "templates").glob("o-*.yaml")))
    assert filler.returncode == 0 and "EN3001" not in filler.stdout


def test_lint_changed_gives_cfn_lint_the_same_deployment(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    out = _run(repo, "lint", "templates/service.yaml")
    assert out.returncode != 0, out.stdout + out.stderr
    assert "EN3001" in out.stdout and "network.yaml" in out.stdout, out.stdout


def test_one_setting_fails_both_hooks_on_warnings(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    warn = repo / "templates" / "warn.yaml"
    shutil.copy2(ROOT / "tests" / "fixtures" / "templates" / "WN6001" / "bad_no_circuit_breaker.yaml", warn) \
        if (ROOT / "tests" / "fixtures" / "templates" / "WN6001" / "bad_no_circuit_breaker.yaml").is_file() else pytest.skip("no WN6001 fixture")
    for setting, fails in (("error", False), ("warning", True)):
        (repo / ".ecsnetpolicy.yaml").write_text(f"fail_on: {setting}\n")
        ours = _run(repo, "check", "--changed", "templates/warn.yaml")
        theirs = _run(repo, "lint", "templates/warn.yaml")
        assert "WN6001" in ours.stdout and "WN6001" in theirs.stdout, (ours.stdout, theirs.stdout)
        assert (ours.returncode != 0) is fails, ours.stdout + ours.stderr
        assert (theirs.returncode != 0) is fails, theirs.stdout + theirs.stderr


@pytest.mark.precommit
def test_a_split_file_list_still_reports_the_cross_stack_fault(tmp_path: Path, hook_repo: Path, precommit_env: dict) -> None:
    """pre-commit splits a file list longer than its command-line limit (128 KiB) into several
    invocations: the network and the service stacks land in different ones."""
    repo = _repo(tmp_path, fillers=1100, name_length=110)
    files = sorted(str(p.relative_to(repo)) for p in (repo / "templates").glob("*.yaml"))
    assert sum(len(f) + 1 for f in files) > 2 ** 17  # longer than pre-commit's limit: it must split
    assert files[0].endswith("network.yaml") and files[-1].endswith("service.yaml")
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "ecsnetpolicy", "--verbose",
                           "--color", "never", "--all-files"], cwd=repo, env=precommit_env, capture_output=True, text=True, timeout=1800)
    out = proc.stdout + proc.stderr
    assert "An unexpected error has occurred" not in out, out[-3000:]
    assert proc.returncode != 0, out[-3000:]
    assert "templates/network.yaml" in out and "EN3001" in out, out[-3000:]
