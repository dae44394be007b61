"""The shape of the package (issue 10): imports run one way, the state is plain data, cfn-lint stays
in the plugin adaptors.  docs/architecture.md describes the layers these tests hold to.

The import graph is read from the source with `ast` (module-level *and* function-level imports, so a
lazy import cannot hide a cycle); the no-cfn-lint claims are also checked at run time with
`python -X importtime`, which lists every module a command really loaded.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set

import pytest

from helpers import ROOT

PACKAGE = ROOT / "src" / "ecsnetpolicy"

# Lowest first.  A module may import modules of its own layer or of a lower one, never a higher one.
LAYERS: List[List[str]] = [
    ["phrasing", "findings", "catalogue"],
    ["load", "load.files", "load.template"],
    ["values"],
    ["load.transforms", "load.deployment", "load.config", "load.policy"],
    ["state"],
    ["adapters"],
    ["engine"],
    ["checks"],
    ["report"],
    ["api"],
    ["fix", "runner"],  # runner: judging many templates group by group (issue 15); fix: issue 13: `ecsnetpolicy fix` (edits files; uses api and report.suggestions)
    ["precommit"],  # issue 15: the pre-commit hooks' whole-deployment view (used by cli and the plugin)
    ["rules", "cli", "__main__", "hook"],  # hook: issue 16, the CloudFormation Lambda hook
]


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["ecsnetpolicy", *parts])


def _modules() -> Dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: Set[str]) -> Set[str]:
    """Every ecsnetpolicy module `name` imports, wherever the import statement sits."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rsplit(".", 1)[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # `from pkg import sub` imports the submodule pkg.sub when there is one
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:  # ecsnetpolicy.values.Unknown -> ecsnetpolicy.values
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def _graph() -> Dict[str, Set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _layer(name: str) -> int:
    short = name[len("ecsnetpolicy."):] if name != "ecsnetpolicy" else ""
    best = (-1, -1)  # (length of the matching prefix, layer)
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (short == prefix or short.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), i)
    return best[1]


def test_every_module_has_a_layer():
    unplaced = [m for m in _modules() if m != "ecsnetpolicy" and _layer(m) < 0]
    assert not unplaced, f"place these modules in LAYERS (and docs/architecture.md): {unplaced}"


def test_imports_never_go_up_a_layer():
    graph = _graph()
    upward = []
    for mod, targets in graph.items():
        for t in targets:
            if t == "ecsnetpolicy":
                continue  # the package root holds only __version__
            if _layer(t) > _layer(mod):
                upward.append(f"{mod} -> {t}")
    assert not upward, "imports that go up a layer:\n" + "\n".join(sorted(upward))


def test_there_is_no_import_cycle():
    graph = _graph()
    state: Dict[str, int] = {}  # 1 visiting, 2 done
    stack: List[str] = []
    cycles: List[List[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_graph_reader_sees_lazy_imports():
    """The reader is not vacuous: it finds a function-level import this package really has."""
    graph = _graph()
    assert "ecsnetpolicy.load.transforms" in graph["ecsnetpolicy.cli"] or any(
        t.startswith("ecsnetpolicy.load.transforms") for t in graph["ecsnetpolicy.cli"]
    )
    assert graph["ecsnetpolicy.engine"] and all(t.startswith("ecsnetpolicy") for t in graph["ecsnetpolicy.engine"])


def test_only_the_plugin_adaptors_and_the_transform_import_cfnlint():
    allowed = ("ecsnetpolicy.rules", "ecsnetpolicy.load.transforms")
    offenders = []
    for name, path in _modules().items():
        if name.startswith(allowed):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(n == "cfnlint" or n.startswith("cfnlint.") for n in names):
                offenders.append(name)
    assert not offenders, offenders


def test_the_state_is_plain_data():
    """state/ holds facts and answers questions about them: it parses nothing and reads no template."""
    graph = _graph()
    for mod, targets in graph.items():
        if not (mod == "ecsnetpolicy.state" or mod.startswith("ecsnetpolicy.state.")):
            continue
        assert not [t for t in targets if t.startswith(("ecsnetpolicy.load", "ecsnetpolicy.adapters", "ecsnetpolicy.engine"))], (mod, targets)
        text = _modules()[mod].read_text(encoding="utf-8")
        assert "Resolver" not in text and "Resources" not in text, f"{mod} reads the template"


def test_every_fact_of_the_state_says_where_it_came_from():
    from ecsnetpolicy.adapters.cloudformation import build
    from ecsnetpolicy.load.template import load_file
    from ecsnetpolicy.values import Resolver

    template = load_file(str(ROOT / "tests" / "fixtures" / "templates" / "good_private_endpoints.yaml"))
    state = build(Resolver(template))[0]
    facts = [
        *state.vpcs.values(), *state.subnets.values(), *state.route_tables.values(), *state.sgs.values(),
        *state.endpoints.values(), *state.workloads.values(),
    ]
    assert facts
    for fact in facts:
        origin = fact.origin
        # a VPC's default security group is a fact the VPC resource brings
        lid = fact.lid.split(":", 1)[1] if fact.lid.startswith("default-sg:") else fact.lid
        assert origin.source == "template" and origin.logical_id == lid and origin.path[:2] == ("Resources", lid)


def _imported_by(args: List[str]) -> List[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ecsnetpolicy", *args],
        capture_output=True, text=True, timeout=600, cwd=str(ROOT),
    )
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    return [line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:") and "|" in line]


@pytest.mark.parametrize(
    "args",
    [
        ["check", "tests/fixtures/templates/runbook_incident.yaml", "-f", "sarif"],
        ["graph", "tests/fixtures/templates/runbook_incident.yaml"],
        ["rules"],
    ],
    ids=["check", "graph", "rules"],
)
def test_the_standalone_command_imports_no_cfnlint(args):
    modules = _imported_by(args)
    assert "ecsnetpolicy.cli" in modules  # the command really ran in this process
    assert not [m for m in modules if m == "cfnlint" or m.startswith("cfnlint.")]
