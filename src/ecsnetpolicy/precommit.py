"""What the pre-commit hooks check: every deployment a changed file belongs to, whole.

pre-commit passes the changed files that match the hook's pattern, and splits a long list into
several invocations whatever `require_serial` says.  A deployment's stacks (an exporter and its
importers, a parent and its nested children, the configured stacks) may then be split over
invocations, or not be in the list at all because only one of them changed.  So each invocation
looks for the partners itself: it reads every template of the repository (the git work tree, which
pre-commit has set to what is staged), groups them into deployments as `check` does for a folder,
and checks the deployments that hold a changed file, in full.  Each invocation gives the result of
checking the whole repository, restricted to those deployments; two invocations that share a
deployment both report it (the same findings), so no split can hide a cross-stack fault.

`ecsnetpolicy lint` does the same for cfn-lint with our rules: it expands the list the same way
and tells the plugin (ECSNETPOLICY_DEPLOYMENT) which templates are judged together, so both hooks
give one answer; both fail at the same severity (the configuration's `fail_on`, as cfn-lint's
--non-zero-exit-code)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, List, Sequence, Set

DEPLOYMENT_ENV = "ECSNETPOLICY_DEPLOYMENT"  # JSON list of the template paths judged together (the plugin reads it)


def repository_root(start: str) -> str:
    """The git work tree holding `start`, else `start` itself."""
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return start
    top = out.stdout.strip()
    return top if out.returncode == 0 and top and os.path.isdir(top) else start


def deployment_files(changed: Sequence[str], *, region: str, config: Any, suffixes: Sequence[str]) -> List[str]:
    """The changed files, with every other template of the deployments they belong to (found in
    the repository), in the order a folder run would list them.  A changed file that is not a
    template, or cannot be loaded, stays in the list (check says so, as for any file)."""
    from .api import deployment_units
    from .load.deployment import Stack
    from .load.files import expand
    from .load.transforms import load_file
    from .runner import stack_name

    changed_real = {os.path.realpath(c) for c in changed}
    root = repository_root(os.getcwd())
    repo_files, _problems = expand([root], suffixes)
    here = os.getcwd()
    # spelled as pre-commit spells them (relative to the repository root it runs in)
    repo_files = [os.path.relpath(f, here) if not os.path.relpath(f, here).startswith("..") else f for f in repo_files]
    stacks: List[Stack] = []
    for path in repo_files:
        try:
            template = load_file(path, region)
        except Exception:  # a broken file of another deployment is not this commit's business
            continue
        if not (isinstance(template, dict) and isinstance(template.get("Resources"), dict)):
            continue
        sc = config.stack_for(path)
        stacks.append(Stack(stack_name(config, path), path, template, dict(sc.parameters) if sc else {}))
    affected: Set[str] = set()
    for unit in deployment_units(stacks, region=region, load=lambda p: load_file(p, region)):
        members = list(unit.stacks) + (list(unit.merged.stacks) if unit.merged is not None else [])
        names = {os.path.realpath(s.filename) for s in members}
        if names & changed_real:
            affected |= names
    listed = [f for f in repo_files if os.path.realpath(f) in affected]
    seen = {os.path.realpath(f) for f in listed}
    return listed + [c for c in changed if os.path.realpath(c) not in seen]


def run_cfn_lint(files: Sequence[str], fail_on: str) -> int:
    """cfn-lint with our rules on `files` (one run: the deployment judged together), failing at
    `fail_on` like our command; its output passes straight through."""
    args = ["--append-rules", "ecsnetpolicy.rules", "--non-zero-exit-code", fail_on if fail_on != "none" else "none"]
    if fail_on == "informational":
        args += ["--include-checks", "I"]
    env = dict(os.environ)
    env[DEPLOYMENT_ENV] = json.dumps([os.path.abspath(f) for f in files])
    code = "import sys; from cfnlint.runner import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args, "--", *files], env=env, check=False).returncode
