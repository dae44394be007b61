"""Build the Lambda artefact of the hook: ``python -m ecsnetpolicy.hook.build --out DIR``.

The zip holds the ``ecsnetpolicy`` package with its shipped policies, and its runtime
dependencies: PyYAML, jsonschema (with attrs, referencing, jsonschema-specifications, rpds-py)
and cfn-flip's ``cfn_tools`` with ``six`` (``load/template.py`` takes the short-form tag
constants from it at import; cfn-flip's command-line dependency Click is left out).  Not
boto3/botocore (the Lambda Python runtime provides them) and not cfn-lint: the engine never
imports it (``tests/test_architecture.py``), and the cfn-lint plugin adaptors
(``ecsnetpolicy/rules/``) are left out.  A template that declares
``AWS::LanguageExtensions`` (``Fn::ForEach``) needs cfn-lint to expand: the hook answers it as
not checked, per its failure mode.

Dependencies come from PyPI as wheels for the Lambda platform (``pip install --platform
manylinux2014_x86_64 --python-version 3.12 --only-binary=:all:``; ``--arch arm64`` for Graviton),
or with ``--from-environment`` from this Python's installed packages (no network; only right when
this machine matches the Lambda runtime's Python and architecture: tests use it).

It prints the zipped and unzipped sizes against Lambda's limits (50 MB zipped for a direct
upload, 250 MB unzipped) and writes them to ``DIR/size.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Set

ZIP_NAME = "ecsnetpolicy-hook.zip"
HANDLER = "ecsnetpolicy.hook.handler"
REQUIREMENTS = ("pyyaml>=6", "jsonschema>=4", "cfn-flip>=1.3")
PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil"}  # the Lambda runtime has them
NOT_IMPORTED = {"click"}  # cfn-flip's command line; cfn_tools never imports it
LIMIT_ZIPPED = 50 * 1024 * 1024  # direct upload of a .zip (Lambda quotas)
LIMIT_UNZIPPED = 250 * 1024 * 1024  # deployment package, unzipped, layers included
LEFT_OUT = ("rules",)  # the cfn-lint plugin adaptors: they import cfnlint
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # reproducible zips


class BuildError(Exception):
    """One line for the user."""


def _package_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def _copy_package(stage: Path) -> None:
    from ..load.policy import policies_dir

    target = stage / "ecsnetpolicy"
    shutil.copytree(_package_dir(), target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in LEFT_OUT:
        shutil.rmtree(target / name, ignore_errors=True)
    if not (target / "policies").is_dir():
        shutil.copytree(policies_dir(), target / "policies", ignore=shutil.ignore_patterns("__pycache__"))


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(roots: Iterable[str]) -> List[metadata.Distribution]:
    """The installed distributions of `roots` and their unconditional requirements."""
    seen: Set[str] = set()
    out: List[metadata.Distribution] = []
    todo = [re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0] for r in roots]
    while todo:
        name = _canonical(todo.pop())
        if name in seen or name in PROVIDED or name in NOT_IMPORTED:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise BuildError(f"{name} is not installed here (needed with --from-environment)") from None
        out.append(dist)
        for req in dist.requires or []:
            if ";" in req and "extra ==" in req.split(";", 1)[1]:
                continue
            if ";" in req and not _marker_holds(req.split(";", 1)[1]):
                continue
            todo.append(re.split(r"[<>=!~ ;\[(]", req, maxsplit=1)[0])
    return out


def _marker_holds(marker: str) -> bool:
    """Environment markers (python_version < "3.13"...), judged for this Python; without the
    `packaging` library a marker we cannot read counts as true (an extra module never hurts)."""
    try:
        from packaging.markers import Marker
    except ImportError:
        return True
    return Marker(marker.strip()).evaluate()


def _copy_installed(stage: Path) -> None:
    for dist in _closure(REQUIREMENTS):
        for f in dist.files or []:
            src = Path(dist.locate_file(f))
            parts = Path(str(f)).parts
            if not parts or parts[0] == ".." or "__pycache__" in parts or not src.is_file():
                continue
            dest = stage / Path(str(f))
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)


def _pip_install(stage: Path, python: str, arch: str) -> None:
    platform = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}[arch]
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(stage), "--only-binary=:all:",
           "--platform", platform, "--python-version", python, "--implementation", "cp", "--no-compile", *REQUIREMENTS]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise BuildError(f"pip could not fetch the dependencies ({last}); try --from-environment")
    for name in os.listdir(stage):  # pip may drag in what the runtime provides: leave it out
        if _canonical(name.split("-")[0]) in PROVIDED | NOT_IMPORTED or name in ("bin",):
            shutil.rmtree(stage / name, ignore_errors=True)


def _zip(stage: Path, target: Path) -> int:
    """Zip `stage` reproducibly; returns the unzipped size."""
    total = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(p for p in stage.rglob("*") if p.is_file()):
            rel = path.relative_to(stage).as_posix()
            info = zipfile.ZipInfo(rel, _FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            total += len(data)
            zf.writestr(info, data)
    return total


def imports_of_handler(directory: Path) -> List[str]:
    """The modules a fresh Python loads to import the handler from `directory` alone (no site
    packages: -S), from ``python -X importtime``.  BuildError if the import fails."""
    code = f"import sys; sys.path.insert(0, {str(directory)!r}); import ecsnetpolicy.hook"
    done = subprocess.run([sys.executable, "-S", "-X", "importtime", "-c", code], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")})
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise BuildError(f"the artefact cannot import the handler: {last}")
    return [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")][1:]


def build(out: Path, *, from_environment: bool = False, python: str = "3.12", arch: str = "x86_64",
          verify: Optional[bool] = None) -> dict:
    """Build DIR/ecsnetpolicy-hook.zip; returns (and writes to DIR/size.json) its sizes."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ecsnetpolicy-hook-") as tmp:
        stage = Path(tmp) / "stage"
        stage.mkdir()
        _copy_package(stage)
        if from_environment:
            _copy_installed(stage)
        else:
            _pip_install(stage, python, arch)
        if verify if verify is not None else from_environment:
            loaded = imports_of_handler(stage)
            bad = sorted({m.split(".")[0] for m in loaded} & {"cfnlint", "cfn_flip", "boto3", "botocore"})
            if bad:
                raise BuildError(f"importing the handler loads {', '.join(bad)}")
        target = out / ZIP_NAME
        unzipped = _zip(stage, target)
    zipped = target.stat().st_size
    sizes = {"zip": str(target), "handler": HANDLER, "zipped_bytes": zipped, "unzipped_bytes": unzipped,
             "limit_zipped_bytes": LIMIT_ZIPPED, "limit_unzipped_bytes": LIMIT_UNZIPPED,
             "zipped_share_of_limit": round(zipped / LIMIT_ZIPPED, 4), "unzipped_share_of_limit": round(unzipped / LIMIT_UNZIPPED, 4)}
    (out / "size.json").write_text(json.dumps(sizes, indent=2) + "\n", encoding="utf-8")
    if zipped > LIMIT_ZIPPED or unzipped > LIMIT_UNZIPPED:
        raise BuildError(f"{target}: {zipped} bytes zipped, {unzipped} unzipped: over Lambda's limits")
    return sizes


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecsnetpolicy.hook.build", description="Build the Lambda zip of the ecsnetpolicy CloudFormation hook.")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write ecsnetpolicy-hook.zip and size.json to")
    parser.add_argument("--python", default="3.12", help="the Lambda runtime's Python version (default 3.12)")
    parser.add_argument("--arch", choices=("x86_64", "arm64"), default="x86_64", help="the function's architecture")
    parser.add_argument("--from-environment", action="store_true", help="copy the dependencies installed here instead of fetching wheels (offline)")
    args = parser.parse_args(argv)
    try:
        sizes = build(Path(args.out), from_environment=args.from_environment, python=args.python, arch=args.arch)
    except BuildError as exc:
        print(f"ecsnetpolicy.hook.build: {exc}", file=sys.stderr)
        return 1
    mib = 1024 * 1024
    print(f"{sizes['zip']}: {sizes['zipped_bytes'] / mib:.2f} MiB zipped ({100 * sizes['zipped_share_of_limit']:.1f}% of 50 MB), "
          f"{sizes['unzipped_bytes'] / mib:.2f} MiB unzipped ({100 * sizes['unzipped_share_of_limit']:.1f}% of 250 MB); handler {HANDLER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
