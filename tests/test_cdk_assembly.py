"""Issue 15: a `cdk.out` cloud assembly is read through its manifest: its stack templates (with
their stack names and regions, nested stage assemblies included) are judged, and its other files
(tree.json, *.assets.json, asset folders) are left out quietly."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

from ecsnetpolicy import cli
from ecsnetpolicy.load.cdk import select, stacks
from helpers import ROOT

CDK = ROOT / "tests" / "fixtures" / "deployments" / "cdk" / "cdk.out"


def _stack(template: str, region: str = "eu-west-1", name: str = "") -> dict:
    props = {"templateFile": template}
    if name:
        props["stackName"] = name
    return {"type": "aws:cloudformation:stack", "environment": f"aws://123456789012/{region}", "properties": props}


def _assembly(tmp_path: Path) -> Path:
    out = tmp_path / "cdk.out"
    out.mkdir()
    for name in ("NetworkStack.template.json", "ServiceStack.template.json"):
        shutil.copy2(CDK / name, out / name)
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {
        "NetworkStack": _stack("NetworkStack.template.json"),
        "ServiceStack": _stack("ServiceStack.template.json", name="prod-service"),
        "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
        "Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Stage"}},
    }}))
    (out / "tree.json").write_text('{"version": "tree-0.1", "tree": {}}')
    (out / "cdk.out").write_text('{"version": "36.0.0"}')
    (out / "NetworkStack.assets.json").write_text('{"version": "36.0.0", "files": {}}')
    (out / "asset.0123abcd").mkdir()
    (out / "asset.0123abcd" / "package.json").write_text('{"name": "handler"}')
    (out / "asset.0123abcd" / "broken.json").write_text("{not json")
    stage = out / "assembly-Stage"
    stage.mkdir()
    shutil.copy2(CDK / "NetworkStack.template.json", stage / "StageNetwork.template.json")
    (stage / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {
        "StageNetwork": _stack("StageNetwork.template.json", region="unknown-region")}}))
    return out


def test_manifest_names_the_templates_their_stacks_and_regions(tmp_path: Path) -> None:
    out = _assembly(tmp_path)
    found = {Path(s.template).name: (s.name, s.region) for s in stacks(str(out))}
    assert found == {
        "NetworkStack.template.json": ("NetworkStack", "eu-west-1"),
        "ServiceStack.template.json": ("prod-service", "eu-west-1"),
        "StageNetwork.template.json": ("StageNetwork", None),
    }
    every = sorted(str(p) for p in out.rglob("*.json"))
    kept, known = select(every)
    assert sorted(Path(k).name for k in kept) == ["NetworkStack.template.json", "ServiceStack.template.json", "StageNetwork.template.json"]
    assert len(known) == 3
    outside = tmp_path / "other.yaml"
    assert select([str(outside)])[0] == [str(outside)]


def test_check_on_an_assembly_is_quiet_and_judges_the_stacks(tmp_path: Path) -> None:
    out = _assembly(tmp_path)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["check", str(tmp_path), "--format", "json", "--fail-on", "none"])
    assert code == 0 and stderr.getvalue() == ""  # no "skipped" note for tree.json, assets, asset folders
    rows = json.loads(stdout.getvalue())
    # the stage copy of the network exports the same names: two environments, the service judged
    # against each (issue 14), so the fault is found in both networks
    assert sorted({Path(r["Filename"]).name for r in rows}) == ["NetworkStack.template.json", "StageNetwork.template.json"]
    assert {r["Rule"]["Id"] for r in rows} == {"EN3001"}
    assert str(out) in rows[0]["Filename"]
