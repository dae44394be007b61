"""ecsnetpolicy benchmarks: one command, every ratio side by side.

    python benchmarks/run.py                 # the table (a few minutes: cfn-lint on 2,000 resources)
    python benchmarks/run.py --quick         # skip cfn-lint on the 2,000-resource template
    python benchmarks/run.py --runs 7        # more runs per command (wall-clock medians)
    python benchmarks/run.py --profile       # cProfile of `ecsnetpolicy check` on 2,000 resources
    python benchmarks/run.py --hostile       # seconds per hostile input (tests/test_hostile.py), target 5 s

Templates are generated (benchmarks/gen.py) into a temporary folder, never into the repository.
Every measurement is a fresh subprocess; times are wall-clock medians, memory is the child's peak
RSS (os.wait4's ru_maxrss).  No assertion: the table says PASS or MISS against each target.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen  # noqa: E402

SMALL, LARGE = 200, 2000


def _exe(name: str, module: str) -> List[str]:
    """The console script next to this interpreter, else `python -m module`."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    return [found] if found else [sys.executable, "-m", module]


CFN_LINT = _exe("cfn-lint", "cfnlint")
ECSNETPOLICY = _exe("ecsnetpolicy", "ecsnetpolicy")


GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def run_once(cmd: Sequence[str]) -> Tuple[float, int, int]:
    """(wall seconds, peak RSS in MB, exit code) of one subprocess.

    Peak RSS comes from /usr/bin/time (%M) when it is there: os.wait4's ru_maxrss of a direct
    child also counts the pages it shared with this (bigger) process between fork and exec."""
    env = dict(os.environ, NO_COLOR="1")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        full = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *cmd] if GNU_TIME else list(cmd)
        start = time.perf_counter()
        proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _out, err_bytes = proc.communicate()
        wall = time.perf_counter() - start
        rss_kb = 0
        if GNU_TIME:
            lines = [ln for ln in open(rss_file.name).read().split() if ln.isdigit()]
            rss_kb = int(lines[-1]) if lines else 0
    err = err_bytes.decode("utf-8", "replace")
    if "Traceback" in err:
        raise SystemExit(f"{' '.join(cmd)} crashed:\n{err[-2000:]}")
    return wall, rss_kb // 1024, proc.returncode


def measure(label: str, cmd: Sequence[str], runs: int) -> Dict[str, float]:
    walls, rss = [], []
    for _ in range(runs):
        w, m, _rc = run_once(cmd)
        walls.append(w)
        rss.append(m)
    result = {"median": statistics.median(walls), "min": min(walls), "max": max(walls), "rss": max(rss), "runs": runs}
    print(f"  {label:<44} median {result['median']:7.3f} s  (min {result['min']:.3f}, max {result['max']:.3f}, n={runs})  "
          f"peak RSS {result['rss']} MB", flush=True)
    return result


FLOOR = """\
import yaml
class Loader(yaml.CSafeLoader):
    pass
def tagged(loader, suffix, node):  # CloudFormation short forms (!Ref, !Sub, ...): build the plain value
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)
Loader.add_multi_constructor("!", tagged)
with open(PATH) as f:
    yaml.load(f, Loader=Loader)
"""


def measure_pair(labels: Tuple[str, str], cmds: Tuple[Sequence[str], Sequence[str]], runs: int) -> Tuple[Dict[str, float], Dict[str, float]]:
    """Two commands run alternately (a, b, a, b, ...), so that drift in the machine's load hits both."""
    walls: Tuple[List[float], List[float]] = ([], [])
    rss: Tuple[List[int], List[int]] = ([], [])
    for _ in range(runs):
        for k in (0, 1):
            w, mb, _rc = run_once(cmds[k])
            walls[k].append(w)
            rss[k].append(mb)
    out = []
    for k in (0, 1):
        r = {"median": statistics.median(walls[k]), "min": min(walls[k]), "max": max(walls[k]), "rss": max(rss[k]), "runs": runs}
        print(f"  {labels[k]:<44} median {r['median']:7.3f} s  (min {r['min']:.3f}, max {r['max']:.3f}, n={runs})  "
              f"peak RSS {r['rss']} MB", flush=True)
        out.append(r)
    return out[0], out[1]


def yaml_floor_cmd(path: Path) -> List[str]:
    """PyYAML's C loader on the same file, in a fresh interpreter (short-form tags accepted)."""
    return [sys.executable, "-c", FLOOR.replace("PATH", repr(str(path)))]


def write_templates(folder: Path) -> Dict[int, Path]:
    out = {}
    for size in (SMALL, LARGE):
        t = gen.template(gen.services_for(size))
        path = folder / f"fargate_{size}.yaml"
        path.write_text(gen.to_yaml(t), encoding="utf-8")
        print(f"  {path.name}: {len(t['Resources'])} resources, {path.stat().st_size // 1024} KB", flush=True)
        out[size] = path
    return out


def verdict(value: Optional[float], target: Optional[float]) -> str:
    if value is None or target is None:
        return "-"
    return "PASS" if value <= target else "MISS"


def table(rows: List[Tuple[str, Optional[float], str, Optional[float]]]) -> None:
    print()
    print(f"{'measure':<58} {'value':>10} {'target':>10}  result")
    print("-" * 90)
    for name, value, unit, target in rows:
        v = "n/a" if value is None else (f"{value:.3f}" if unit == "x" else f"{value:.0f} {unit}")
        t = "report" if target is None else (f"<= {target:g}" if unit == "x" else f"<= {target:g} {unit}")
        print(f"{name:<58} {v:>10} {t:>10}  {verdict(value, target)}")
    print()


def benchmark(runs: int, quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="ecsnetpolicy-bench-") as tmp:
        print("templates:")
        paths = write_templates(Path(tmp))
        small, large = paths[SMALL], paths[LARGE]
        slow_runs = max(3, runs // 2)  # cfn-lint on 2,000 resources takes ~20 s a run
        print("measurements (wall-clock, fresh subprocess each run):")
        m = {}
        m["yaml_small"] = measure(f"PyYAML CSafeLoader, {SMALL}", yaml_floor_cmd(small), runs)
        m["yaml_large"] = measure(f"PyYAML CSafeLoader, {LARGE}", yaml_floor_cmd(large), runs)
        m["ours_small"] = measure(f"ecsnetpolicy check, {SMALL}", [*ECSNETPOLICY, "check", str(small)], runs)
        m["ours_large"] = measure(f"ecsnetpolicy check, {LARGE}", [*ECSNETPOLICY, "check", str(large)], runs)
        m["cfn_small"], m["plugin_small"] = measure_pair(
            (f"cfn-lint, {SMALL}", f"cfn-lint + ecsnetpolicy.rules, {SMALL}"),
            ([*CFN_LINT, "--", str(small)], [*CFN_LINT, "--append-rules=ecsnetpolicy.rules", "--", str(small)]),
            runs,
        )
        if not quick:
            m["cfn_large"], m["plugin_large"] = measure_pair(
                (f"cfn-lint, {LARGE}", f"cfn-lint + ecsnetpolicy.rules, {LARGE}"),
                ([*CFN_LINT, "--", str(large)], [*CFN_LINT, "--append-rules=ecsnetpolicy.rules", "--", str(large)]),
                slow_runs,
            )

        def ratio(a: str, b: str) -> Optional[float]:
            if a not in m or b not in m:
                return None
            return m[a]["median"] / m[b]["median"]

        table([
            (f"plugin overhead: cfn-lint+rules / cfn-lint ({SMALL})", ratio("plugin_small", "cfn_small"), "x", 1.05),
            (f"plugin overhead: cfn-lint+rules / cfn-lint ({LARGE})", ratio("plugin_large", "cfn_large"), "x", 1.05),
            (f"standalone: ecsnetpolicy check / cfn-lint ({SMALL})", ratio("ours_small", "cfn_small"), "x", 0.10),
            (f"floor: ecsnetpolicy check / PyYAML C loader ({SMALL})", ratio("ours_small", "yaml_small"), "x", None),
            (f"floor: ecsnetpolicy check / PyYAML C loader ({LARGE})", ratio("ours_large", "yaml_large"), "x", None),
            (f"scaling: ecsnetpolicy check {LARGE} / {SMALL}", ratio("ours_large", "ours_small"), "x", 10),
            (f"peak memory: ecsnetpolicy check ({LARGE})", float(m["ours_large"]["rss"]), "MB", 150),
            (f"ecsnetpolicy check ({SMALL}), median", m["ours_small"]["median"] * 1000, "ms", None),
            (f"ecsnetpolicy check ({LARGE}), median", m["ours_large"]["median"] * 1000, "ms", None),
        ])


def profile(top: int = 25) -> None:
    with tempfile.TemporaryDirectory(prefix="ecsnetpolicy-profile-") as tmp:
        path = Path(tmp) / f"fargate_{LARGE}.yaml"
        t = gen.template(gen.services_for(LARGE))
        path.write_text(gen.to_yaml(t), encoding="utf-8")
        from ecsnetpolicy.cli import main

        profiler = cProfile.Profile()
        sink = io.StringIO()
        saved = sys.stdout
        sys.stdout = sink
        try:
            profiler.enable()
            main(["check", str(path), "--color", "never"])
            profiler.disable()
        finally:
            sys.stdout = saved
        print(f"cProfile of `ecsnetpolicy check` on {len(t['Resources'])} resources (in-process; top {top} by cumulative time):")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.strip_dirs().sort_stats("cumulative").print_stats(top)


def hostile(target: float = 5.0) -> None:
    """Seconds `ecsnetpolicy check` takes on each hostile input of tests/test_hostile.py."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    import test_hostile  # noqa: E402 - its generator of hostile files

    files = test_hostile.hostile_files()
    with tempfile.TemporaryDirectory(prefix="ecsnetpolicy-hostile-") as tmp:
        folder = Path(tmp)
        (folder / "child.yaml").write_text(test_hostile.CHILD, encoding="utf-8")
        for name, data in files.items():
            (folder / name).write_bytes(data)
        rows = []
        for name in sorted(files):
            cmd = [*ECSNETPOLICY, "check", str(folder / name)]
            start = time.perf_counter()
            try:
                proc = subprocess.run(cmd, capture_output=True, timeout=60, cwd=tmp)
                rc: object = proc.returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
            rows.append((time.perf_counter() - start, name, rc))
        rows.sort(reverse=True)
        print(f"`ecsnetpolicy check` on {len(rows)} hostile inputs, slowest first (target: within {target:g} s each):")
        for secs, name, rc in rows[:15]:
            print(f"  {secs:7.2f} s  exit {rc!s:<8} {name}  {'PASS' if secs <= target and rc != 'timeout' else 'MISS'}")
        misses = [r for r in rows if r[0] > target or r[2] == "timeout"]
        print(f"{len(rows) - len(misses)} of {len(rows)} within {target:g} s")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per command (cfn-lint on 2,000 resources: half, at least 3)")
    parser.add_argument("--quick", action="store_true", help="skip cfn-lint on the 2,000-resource template")
    parser.add_argument("--profile", action="store_true", help="cProfile the standalone path on 2,000 resources")
    parser.add_argument("--hostile", action="store_true", help="time the standalone command on the hostile inputs")
    args = parser.parse_args(argv)
    if args.profile:
        profile()
        return 0
    if args.hostile:
        hostile()
        return 0
    benchmark(args.runs, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
