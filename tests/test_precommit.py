"""pre-commit hooks and CI examples.

The fast tests check the hook manifest, its default `files` pattern and the example configs.
The `precommit`-marked tests run the real `pre-commit try-repo` against a snapshot of this
project: pre-commit builds the hook's virtualenv offline (it sees this interpreter's packages and
pip may not reach any index), so they take a few seconds each. Deselect them locally with `-m "not precommit"`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "templates"
HOOK_IDS = ("ecsnetpolicy", "ecsnetpolicy-cfn-lint", "ecsnetpolicy-fix")

SHOULD_MATCH = [
    "templates/app.yaml",
    "template.yaml",
    "template.yml",
    "infra/network/vpc.json",
    "infrastructure/ecs.yaml",
    "stacks/a/b.yml",
    "cloudformation/x.yaml",
    "cfn/y.json",
    "api.cfn.yml",
    "deploy/app.template.json",
    "vpc-template.yaml",
    "template-prod.yaml",
    "tests/fixtures/templates/runbook_incident.yaml",
]
SHOULD_NOT_MATCH = [
    ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml",
    ".github/workflows/ci.yml",
    ".github/workflows/templates/reusable.yml",
    ".github/ISSUE_TEMPLATE/bug.yml",
    "docker-compose.yml",
    "docker-compose.override.yaml",
    "compose.yaml",
    ".gitlab-ci.yml",
    "charts/app/templates/deployment.yaml",
    "helm/templates/service.yaml",
    "package.json",
    "src/app/config.yaml",
    "examples/pre-commit-config.yaml",
    "mytemplates.yaml",
    "templates/README.md",
]


def _manifest():
    return yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def _selected(hook: dict, path: str) -> bool:
    """pre-commit's selection: re.search on `files`, minus `exclude`."""
    if not re.search(hook.get("files", ""), path):
        return False
    exclude = hook.get("exclude", "^$")
    return not re.search(exclude, path)


# ------------------------------------------------------------------------------------------
# fast checks


def test_manifest_is_valid_for_pre_commit():
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert set(hooks) == set(HOOK_IDS)
    assert hooks["ecsnetpolicy"]["entry"] == "ecsnetpolicy check --changed"
    assert hooks["ecsnetpolicy-cfn-lint"]["entry"] == "ecsnetpolicy lint"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is True
        assert hook["require_serial"] is True  # invocations one after the other (each reads the repository)


@pytest.mark.parametrize("hook_id", HOOK_IDS)
def test_default_files_pattern_is_narrow(hook_id):
    hook = next(h for h in _manifest() if h["id"] == hook_id)
    assert [p for p in SHOULD_MATCH if not _selected(hook, p)] == []
    assert [p for p in SHOULD_NOT_MATCH if _selected(hook, p)] == []


def test_example_pre_commit_config_is_valid():
    from pre_commit.clientlib import load_config

    cfg = load_config(str(ROOT / "examples" / "pre-commit-config.yaml"))
    ids = [h["id"] for repo in cfg["repos"] for h in repo["hooks"]]
    assert "ecsnetpolicy" in ids


def test_example_cfnlintrc_is_valid():
    import jsonschema
    import cfnlint

    schema_path = Path(cfnlint.__file__).parent / "data" / "CfnLintCli" / "config" / "schema.json"
    rc = yaml.safe_load((ROOT / "examples" / ".cfnlintrc").read_text(encoding="utf-8"))
    jsonschema.validate(rc, json.loads(schema_path.read_text(encoding="utf-8")))
    assert rc["append_rules"] == ["ecsnetpolicy.rules"]


def test_example_workflow():
    """One `uses:` step of the repository's own action (tests/test_ci_action.py checks the action)."""
    wf = yaml.safe_load((ROOT / "examples" / "github-actions.yml").read_text(encoding="utf-8"))
    job = wf["jobs"]["ecsnetpolicy"]
    assert job["permissions"]["security-events"] == "write"
    uses = [s.get("uses", "") for s in job["steps"]]
    assert uses[0] == "actions/checkout@v6" and uses[1].startswith("ecsnetpolicy/ecsnetpolicy@")
    assert job["steps"][1]["with"]["paths"] == "templates/"


# ------------------------------------------------------------------------------------------
# the real pre-commit


def _git(*args, cwd):
    return subprocess.run(
        [
            "git",
            "-c", "user.name=ecsnetpolicy-tests",
            "-c", "user.email=tests@example.invalid",
            "-c", "commit.gpgsign=false",
            "-c", "core.hooksPath=/dev/null",
            "-c", "init.defaultBranch=main",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )


def _project_files() -> list:
    """The project's working-tree files (tracked and untracked, minus ignored ones)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        ).stdout
        files = [f for f in out.decode("utf-8").split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".venv", "build", "dist"}
        files = []
        for dirpath, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = [d for d in dirnames if d not in skip and not d.endswith(".egg-info")]
            files += [os.path.relpath(os.path.join(dirpath, f), ROOT) for f in filenames]
    return [f for f in files if (ROOT / f).is_file()]


@pytest.fixture(scope="session")
def precommit_env(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("pre-commit is not installed")
    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env["PRE_COMMIT_COLOR"] = "never"
    # No network: the hook's virtualenv sees this interpreter's site-packages (where the test
    # extra installed cfn-lint, hatchling, ...), and pip may use nothing but those.
    env["VIRTUALENV_SYSTEM_SITE_PACKAGES"] = "1"
    # (and when the tests themselves run in a virtualenv, its site-packages too)
    import site

    env["PYTHONPATH"] = os.pathsep.join([*site.getsitepackages(), *filter(None, [env.get("PYTHONPATH")])])
    env["PIP_NO_INDEX"] = "1"
    env["PIP_NO_BUILD_ISOLATION"] = "0"  # pip's spelling for "build without isolation"
    env.pop("PRE_COMMIT", None)
    env.pop("SKIP", None)
    return env


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory):
    """A committed snapshot of this project's working tree.

    `pre-commit try-repo` clones the repository at HEAD (plus tracked changes), so pointing it at
    the project root directly would test the last commit, miss new untracked files and fail in a
    checkout without commits. The snapshot tests exactly what is on disk."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for rel in _project_files():
        dst = repo / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dst)
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "-m", "snapshot", cwd=repo)
    return repo


@pytest.fixture(scope="session")
def work_repo(tmp_path_factory):
    """A user's repository holding one failing and one passing template."""
    bad = FIXTURES / "runbook_incident.yaml"
    good = FIXTURES / "good_private_endpoints.yaml"
    for f in (bad, good):
        if not f.is_file():
            pytest.skip(f"fixture {f.name} is missing")
    repo = tmp_path_factory.mktemp("user-repo")
    _git("init", "-q", cwd=repo)
    (repo / "templates").mkdir()
    shutil.copy2(bad, repo / "templates" / "runbook_incident.yaml")
    shutil.copy2(good, repo / "templates" / "good_private_endpoints.yaml")
    _git("add", "-A", cwd=repo)
    return repo


def _try_repo(hook_repo, work_repo, env, hook_id, *files):
    proc = subprocess.run(
        [
            sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook_id,
            "--verbose", "--color", "never", "--files", *files,
        ],
        cwd=work_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.precommit
def test_try_repo_fails_on_runbook_incident(hook_repo, work_repo, precommit_env):
    rc, out = _try_repo(hook_repo, work_repo, precommit_env, "ecsnetpolicy", "templates/runbook_incident.yaml")
    assert "An unexpected error has occurred" not in out, out
    assert rc != 0, out
    assert "EN3001" in out, out


@pytest.mark.precommit
def test_try_repo_passes_on_good_template(hook_repo, work_repo, precommit_env):
    rc, out = _try_repo(hook_repo, work_repo, precommit_env, "ecsnetpolicy", "templates/good_private_endpoints.yaml")
    assert rc == 0, out
    assert "Passed" in out, out


@pytest.mark.precommit
def test_try_repo_fix_hook_fixes_then_passes(hook_repo, precommit_env, tmp_path):
    """ecsnetpolicy-fix (issue 13): applies the safe fix and fails because it changed a file, as
    ruff's fixing hook does; the next run finds nothing to change and passes."""
    repo = tmp_path / "user"
    (repo / "templates").mkdir(parents=True)
    _git("init", "-q", cwd=repo)
    source = ROOT / "tests" / "fixtures" / "fix" / "EN2003_private_dns_omitted.yaml"
    shutil.copy2(source, repo / "templates" / "app.yaml")
    _git("add", "-A", cwd=repo)
    rc, out = _try_repo(hook_repo, repo, precommit_env, "ecsnetpolicy-fix", "templates/app.yaml")
    assert rc != 0 and "files were modified by this hook" in out, out
    fixed = (repo / "templates" / "app.yaml").read_text(encoding="utf-8")
    assert fixed == source.with_name("EN2003_private_dns_omitted.fixed.yaml").read_text(encoding="utf-8")
    _git("add", "-A", cwd=repo)
    rc, out = _try_repo(hook_repo, repo, precommit_env, "ecsnetpolicy-fix", "templates/app.yaml")
    assert rc == 0 and "Passed" in out, out
