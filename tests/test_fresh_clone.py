"""A fresh clone passes: the repository, cloned into an empty folder without `../shared` beside
it, collects its whole test suite (the collection step of the README's test command,
`python -m pytest`) with no error, reading nothing outside the clone but the Python installation;
and the tests that need the corpus beside the repository report as skipped, not as errors.

What is cloned is the current commit (HEAD), as a newcomer gets it: uncommitted changes are not
part of it. Python's audit hooks (PEP 578) record every file the collection opens and every folder
it lists; the import path is first cut down to the clone and the Python installation, so an
editable install of some other checkout cannot stand in for the clone's code."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import ROOT

HANG_GUARD = 1800  # seconds: a guard against hangs (collecting the whole suite on a busy machine), not a timing assertion


def _is_git_checkout() -> bool:
    if shutil.which("git") is None:
        return False
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() == "true"


pytestmark = pytest.mark.skipif(not _is_git_checkout(), reason="git is missing or the project is not a git checkout")

# Runs in the clone as `python -m pytest ARGS` would, with the audit hook in place first; writes
# the paths it saw opened or listed, and where ecsnetpolicy was imported from, to REPORT.
AUDIT = textwrap.dedent(
    """
    import json, os, runpy, site, sys
    clone, report, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    home = os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)

    def inside(path, roots):
        return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)

    # the import path: the clone and the Python installation only (an editable install of another
    # checkout puts that checkout's src/ here; the clone's own comes from PYTHONPATH)
    sys.path[:] = [p for p in sys.path if p and inside(os.path.realpath(p), (clone,) + home)]
    seen = set()

    def hook(event, args):
        if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.fsdecode(args[0])
            seen.add(os.path.realpath(path if os.path.isabs(path) else os.path.join(os.getcwd(), path)))

    sys.addaudithook(hook)
    sys.argv = ["pytest", *args]
    try:
        runpy.run_module("pytest", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exc:
        code = exc.code
    mod = sys.modules.get("ecsnetpolicy")
    with open(report, "w", encoding="utf-8") as out:
        json.dump({"seen": sorted(seen), "ecsnetpolicy": getattr(mod, "__file__", None), "code": code}, out)
    sys.exit(code)
    """
)
# Outside the clone, collection may read only the Python installation and the system's own files.
SYSTEM = ("/usr", "/lib", "/lib64", "/etc", "/proc", "/sys", "/dev", "/opt/conda")


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The repository as `git clone` gives it, alone in an empty folder (no ../shared beside it)."""
    where = tmp_path_factory.mktemp("fresh") / "ecsnetpolicy"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(where)], check=True, capture_output=True,
                   timeout=HANG_GUARD)
    assert not (where.parent / "shared").exists()
    return where


def _pytest_in(clone: Path, report: Path, *args: str) -> subprocess.CompletedProcess:
    script = report.with_suffix(".py")
    script.write_text(AUDIT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECSNETPOLICY", "AWS_", "PYTEST_", "HYPOTHESIS_"))}
    scratch = report.parent / "scratch"  # pytest's capture files (TemporaryFile) go here, not to /tmp
    scratch.mkdir(exist_ok=True)
    env.update(PYTHONPATH=str(clone / "src"), NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1", TMPDIR=str(scratch))
    return subprocess.run([sys.executable, str(script), str(clone.resolve()), str(report), *args], capture_output=True,
                          text=True, cwd=str(clone), env=env, timeout=HANG_GUARD)


def _outside(seen, clone: Path, report: Path):
    allowed = [str(clone.resolve()), str(report.resolve()), str((report.parent / "scratch").resolve())]
    allowed += [os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}]
    allowed += list(SYSTEM)
    return [p for p in seen if not any(p == a or p.startswith(a.rstrip("/") + "/") for a in allowed)]


def test_a_fresh_clone_collects_the_whole_suite_reading_only_itself(clone, tmp_path):
    report = tmp_path / "collect.json"
    done = _pytest_in(clone, report, "--collect-only", "-q")  # the README's `python -m pytest`, collection only
    tail = (done.stdout + done.stderr)[-4000:]
    assert done.returncode == 0, tail
    assert "error" not in done.stdout.lower().splitlines()[-1], tail  # e.g. "1234 tests collected, 1 error"
    result = json.loads(report.read_text(encoding="utf-8"))
    assert result["ecsnetpolicy"] and result["ecsnetpolicy"].startswith(str(clone.resolve())), result["ecsnetpolicy"]
    here = [p for p in result["seen"] if p.startswith(str(ROOT.resolve()) + "/") or p.startswith(str(ROOT.parent.resolve() / "shared"))]
    assert not here, here[:20]  # nothing from the checkout the clone was made from, nor from ../shared
    outside = _outside(result["seen"], clone, report)
    assert not outside, outside[:20]
    assert any(p.endswith("tests/test_fresh_clone.py") for p in result["seen"])  # the hook did see the collection


def test_without_the_corpus_its_tests_skip(clone, tmp_path):
    report = tmp_path / "corpus.json"
    done = _pytest_in(clone, report, "-rs", "-p", "no:cacheprovider", "tests/test_corpus.py")
    tail = (done.stdout + done.stderr)[-4000:]
    assert done.returncode == 0, tail
    (counts,) = [line for line in done.stdout.splitlines() if re.match(r"^=*\s*\d+ skipped", line)]
    assert "error" not in counts and "failed" not in counts and "passed" not in counts, tail
    assert "../shared/corpus is not beside the project" in done.stdout, tail


def test_the_clone_validates_sarif_with_its_own_schema(clone, tmp_path):
    """The SARIF schema (and its licence) ship under tests/schemas: validation runs, not skips."""
    report = tmp_path / "sarif.json"
    done = _pytest_in(clone, report, "-p", "no:cacheprovider", "tests/test_formats.py", "-k", "sarif_valid_against_schema")
    tail = (done.stdout + done.stderr)[-4000:]
    assert done.returncode == 0 and re.search(r"^=*\s*1 passed", done.stdout, re.M), tail
    assert (clone / "tests" / "schemas" / "SARIF-LICENSE.md").is_file()
    outside = _outside(json.loads(report.read_text(encoding="utf-8"))["seen"], clone, report)
    assert not outside, outside[:20]
