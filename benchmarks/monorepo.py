"""A monorepo benchmark (issue 15): `ecsnetpolicy check` on a folder of many templates (18,800 by
default, as the issue measured), with --jobs 1 and --jobs 2: wall time and peak memory (the
largest process's max RSS, from GNU time). Nothing here runs in CI.

    python benchmarks/monorepo.py                      # 18,800 templates
    python benchmarks/monorepo.py --count 2000 --jobs 1,2
    python benchmarks/monorepo.py --src /path/to/other/checkout/src   # the same folder, another version

The folder is written to a temporary directory (never into the repository): copies of the
fixture templates (tests/fixtures/templates, 86 templates, many with faults, none importing or
exporting), each copy in a folder of its own, plus one Helm-like YAML file per 100 templates that
is not CloudFormation (skipped)."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "templates"


def build(folder: Path, count: int) -> int:
    sources = sorted(p for p in FIXTURES.rglob("*.yaml") if p.name != "expectations.yaml")
    written = 0
    copy = 0
    while written < count:
        target = folder / f"team-{copy:04d}" / "templates"
        target.mkdir(parents=True, exist_ok=True)
        for src in sources:
            if written >= count:
                break
            shutil.copyfile(src, target / src.name)
            written += 1
            if written % 100 == 0:
                (target / f"values-{written}.yaml").write_text("replicaCount: 2\nimage: {repository: nginx}\n")
        copy += 1
    return written


def measure(folder: Path, jobs: int, src: Path) -> tuple:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    # the report to a file beside the folder (never -o /dev/null: versions before the fix of
    # _write_atomically replaced the device with a regular file)
    cmd = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "ecsnetpolicy", "check", str(folder), "-f", "json",
           "--fail-on", "none", "-o", str(folder.parent / "report.json")]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    rss = re.findall(r"^(\d+)$", proc.stderr, re.M)
    return elapsed, (int(rss[-1]) / 1024 if rss else float("nan")), proc.returncode, proc.stderr.strip().splitlines()[-2:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=18800)
    ap.add_argument("--jobs", default="1,2", help="comma-separated; 0 leaves --jobs out (an older version without it)")
    ap.add_argument("--src", default=str(ROOT / "src"), help="the package to measure (a src folder)")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecsnetpolicy-monorepo-") as tmp:
        folder = Path(tmp) / "repo"
        n = build(folder, opts.count)
        print(f"{n} templates in {folder}")
        print("| --jobs | wall time (s) | peak memory, largest process (MB) | exit |")
        print("|---|---|---|---|")
        for jobs in (int(j) for j in opts.jobs.split(",")):
            elapsed, mb, code, tail = measure(folder, jobs, Path(opts.src))
            print(f"| {jobs or '-'} | {elapsed:.1f} | {mb:.0f} | {code} |")
            for line in tail:
                print(f"    {line}")


if __name__ == "__main__":
    main()
