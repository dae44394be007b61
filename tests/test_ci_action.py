"""The GitHub Action (action.yml) and the examples: they parse, use the current major versions of
the actions they call, name only files that exist and flags our command accepts, keep the inputs
out of the shell scripts, survive fork pull requests; and the action's own scripts, run here with
a stand-in for the runner, write the SARIF, the annotations and the job summary of one check."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from ecsnetpolicy import cli

from helpers import ROOT

ACTION = ROOT / "action.yml"
EXAMPLES = sorted((ROOT / "examples").glob("*.y*ml"))
CURRENT = {"actions/checkout": "v6", "actions/setup-python": "v6", "github/codeql-action": "v4"}
INCIDENT = ROOT / "tests" / "fixtures" / "templates" / "runbook_incident.yaml"
USES = re.compile(r"^\s*#?\s*-?\s*uses:\s*([^\s#]+)", re.M)
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
HANG_GUARD = 600  # seconds: a guard against hangs, not a timing assertion


def _action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def _check_options() -> set:
    """Every option string `ecsnetpolicy check` accepts (from its parser, as --help shows them)."""
    parser = cli._build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return {opt for action in sub.choices["check"]._actions for opt in action.option_strings}


def _commands(text: str) -> List[List[str]]:
    """The `ecsnetpolicy check ...` command lines in a file (comments included: they are advice too)."""
    out = []
    for line in re.sub(r"\\\n\s*", " ", text).splitlines():  # shell line continuations joined
        m = re.search(r"ecsnetpolicy check\b(.*)", line)
        if m:
            out.append(m.group(1).split(">>")[0].split("||")[0].split())
    return out


# ------------------------------------------------------------------------------ static checks
def test_action_is_a_composite_action_with_documented_permissions():
    action = _action()
    assert action["runs"]["using"] == "composite"
    text = ACTION.read_text(encoding="utf-8")
    for permission in ("contents: read", "security-events: write", "actions: read"):
        assert permission in text, permission
    for step in action["runs"]["steps"]:
        assert "run" in step or "uses" in step
        if "run" in step:
            assert step.get("shell") == "bash"  # composite run steps must name their shell


def test_action_scripts_take_inputs_from_the_environment():
    """`${{ inputs.x }}` pasted into a script is a script injection; they go through `env:`."""
    for step in _action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


def test_upload_never_fails_the_job_and_skips_read_only_tokens():
    (upload,) = [s for s in _action()["runs"]["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    assert upload["continue-on-error"] is True
    assert "github.event.pull_request.head.repo.full_name != github.repository" in upload["if"]
    assert "dependabot[bot]" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    # annotations and the summary do not depend on the upload: the check writes them before it, whatever happens
    names = [s.get("name") for s in _action()["runs"]["steps"]]
    assert names.index("Check templates") < names.index("Upload SARIF to code scanning")


@pytest.mark.parametrize("path", [ACTION, *EXAMPLES, ROOT / "README.md"], ids=lambda p: p.name)
def test_actions_used_are_at_their_current_major_version(path):
    used = USES.findall(path.read_text(encoding="utf-8"))
    for ref in used:
        name, _, version = ref.partition("@")
        for prefix, major in CURRENT.items():
            if name == prefix or name.startswith(prefix + "/"):
                assert version == major, f"{path.name}: {ref} (current: {major})"


@pytest.mark.parametrize("path", [ACTION, *EXAMPLES, ROOT / "README.md"], ids=lambda p: p.name)
def test_examples_parse_and_every_check_flag_exists(path):
    if path.suffix != ".md":
        yaml.safe_load(path.read_text(encoding="utf-8"))
    options = _check_options()
    commands = _commands(path.read_text(encoding="utf-8"))
    flags = {tok.split("=")[0] for cmd in commands for tok in cmd if tok.startswith("-") and tok != "--"}
    assert flags <= options, flags - options


def test_the_example_workflow_is_one_action_step():
    wf = yaml.safe_load((ROOT / "examples" / "github-actions.yml").read_text(encoding="utf-8"))
    job = wf["jobs"]["ecsnetpolicy"]
    assert job["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}
    ours = [s for s in job["steps"] if s.get("uses", "").startswith("ecsnetpolicy/ecsnetpolicy@")]
    assert len(ours) == 1 and set(ours[0]["with"]) <= set(_action()["inputs"])


def test_files_the_examples_and_readme_name_exist():
    named = set()
    for path in [ACTION, *EXAMPLES, ROOT / "README.md"]:
        text = path.read_text(encoding="utf-8")
        if path.suffix != ".md":  # (the README's sample configurations name the reader's own files)
            named |= set(re.findall(r"(?<![\w/.])((?:examples|docs|policies|tests|src)/[\w./-]*\w|\.pre-commit-hooks\.yaml|action\.yml)", text))
        named |= {m for m in re.findall(r"\]\(([^)#\s]+)\)", text) if "://" not in m}  # Markdown links
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert not missing, missing


def test_local_pre_commit_hook_matches_the_published_one():
    """The example's `repo: local` hook selects the same files as .pre-commit-hooks.yaml."""
    published = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    example = yaml.safe_load((ROOT / "examples" / "pre-commit-config.yaml").read_text(encoding="utf-8"))
    (local,) = [r for r in example["repos"] if r["repo"] == "local"]
    for hook in local["hooks"]:
        ref = published[hook["id"]]
        assert (hook["files"], hook["exclude"], hook["entry"]) == (ref["files"], ref["exclude"], ref["entry"])
        assert hook["require_serial"] is True


# ------------------------------------------------------------------------------ the scripts, run
def _substitute(value: str, context: Dict[str, str]) -> str:
    return EXPR.sub(lambda m: context[m.group(1)], value)


def _run_step(step: dict, context: Dict[str, str], env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    step_env = dict(env, **{k: _substitute(str(v), context) for k, v in (step.get("env") or {}).items()})
    # GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], capture_output=True,
                          text=True, env=step_env, cwd=str(cwd), timeout=HANG_GUARD)


@pytest.fixture
def runner(tmp_path):
    """A stand-in for the runner: the files GitHub gives a step, and `ecsnetpolicy` on the PATH
    running this checkout (the install step itself needs a package index, so it is not run)."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "ecsnetpolicy").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ecsnetpolicy "$@"\n', encoding="utf-8")
    (shim / "ecsnetpolicy").chmod(0o755)
    work = tmp_path / "work"
    (work / "templates").mkdir(parents=True)
    (work / "templates" / "incident.yaml").write_bytes(INCIDENT.read_bytes())
    (work / "templates" / "clean.yaml").write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECSNETPOLICY", "AWS_", "GITHUB_"))}
    env.update(PATH=f"{shim}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(ROOT / "src"), NO_COLOR="1",
               GITHUB_OUTPUT=str(tmp_path / "output"), GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))
    return work, env, tmp_path


def _context(**inputs: str) -> Dict[str, str]:
    defaults = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    defaults.update({f"inputs.{k.replace('_', '-')}": v for k, v in inputs.items()})
    defaults["github.action_path"] = str(ROOT)
    return defaults


def _steps() -> Dict[str, dict]:
    return {s.get("name"): s for s in _action()["runs"]["steps"]}


def test_one_action_run_writes_sarif_annotations_and_summary(runner):
    work, env, tmp = runner
    steps = _steps()
    context = _context(paths="templates/incident.yaml\n  templates/clean.yaml", sarif_file="out/r.sarif")
    (work / "out").mkdir()
    check = _run_step(steps["Check templates"], context, env, work)
    assert check.returncode == 0, check.stderr  # the step records the exit code, it does not fail
    assert (tmp / "output").read_text(encoding="utf-8").splitlines() == ["exit-code=2"]
    # one run: the SARIF file, the annotations on stdout, the job summary
    sarif = json.loads((work / "out" / "r.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["EN3001"]
    assert check.stdout.startswith("::error file=templates/incident.yaml,"), check.stdout
    text = (tmp / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("## ❌ ecsnetpolicy") and "EN3001" in text

    context["steps.check.outputs.exit-code"] = "2"
    fail = _run_step(steps["Fail on findings"], context, env, work)
    assert fail.returncode == 1 and "::error title=ecsnetpolicy::findings" in fail.stdout


def test_the_action_passes_a_clean_folder_and_quotes_its_inputs(runner):
    work, env, tmp = runner
    (work / "templates" / "incident.yaml").unlink()
    # extra arguments are split into words but never run as shell: `$(...)` stays a literal value
    context = _context(paths="templates/", args="--region eu-west-1 -p Name=$(touch${IFS}pwned)")
    check = _run_step(_steps()["Check templates"], context, env, work)
    assert check.returncode == 0, check.stderr
    assert (tmp / "output").read_text(encoding="utf-8").strip() == "exit-code=0", check.stderr
    assert not (work / "pwned").exists()
    assert json.loads((work / "ecsnetpolicy.sarif").read_text(encoding="utf-8"))["runs"][0]["results"] == []
