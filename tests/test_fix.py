"""`ecsnetpolicy fix` (issue 13): fixtures against golden fixed files (YAML with comments, and
JSON), what check and cfn-lint say after a fix, --diff, exit codes, idempotence, unsafe fixes,
--select, fixes that need the user's value, symbolic links, atomic writes, deployments, the
same edits in rdjson and SARIF, the pre-commit hook, and a property test over fixtures and the
corpus.  FIX_GOLDEN=1 rewrites the goldens (review the diff)."""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
from pathlib import Path
from typing import List, Tuple

import pytest
import yaml

from helpers import CORPUS, ROOT

from ecsnetpolicy.cli import _build_parser, _check, main

FIX = ROOT / "tests" / "fixtures" / "fix"
TEMPLATES = ROOT / "tests" / "fixtures" / "templates"
CASES = yaml.safe_load((FIX / "cases.yaml").read_text(encoding="utf-8"))
SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
FORMS = ("yaml", "json")


def _json_form(yaml_path: Path) -> str:
    from ecsnetpolicy.report.fixdata import load

    return json.dumps(load(yaml_path.read_text(encoding="utf-8")), indent=2) + "\n"


def _findings(path: Path, *extra: str) -> List:
    args = _build_parser().parse_args(["check", str(path), *extra])
    findings, _ = _check(args, collect=True)
    return findings


def _ew(findings) -> List[str]:
    return sorted(f.rule_id for f in findings if f.rule_id[0] in "EW")


def _fix(path: Path, *extra: str) -> int:
    return main(["fix", *extra, str(path)])


def _case_file(tmp_path: Path, name: str, form: str) -> Path:
    target = tmp_path / f"{name}.{form}"
    if form == "yaml":
        shutil.copy(FIX / f"{name}.yaml", target)
    else:
        target.write_text((FIX / f"{name}.json").read_text(encoding="utf-8"), encoding="utf-8")
    return target


def _comment_lines(text: str) -> List[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip().startswith("#")]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .ecsnetpolicy.yaml from above the fixtures
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "ECSNETPOLICY_POLICIES"):  # defaults, whatever ran before
        monkeypatch.delenv(name, raising=False)


# ------------------------------------------------------------------------------------------
# goldens


def test_json_forms_match_yaml_fixtures():
    for name in CASES:
        path = FIX / f"{name}.json"
        if os.environ.get("FIX_GOLDEN"):
            path.write_text(_json_form(FIX / f"{name}.yaml"), encoding="utf-8")
        assert path.read_text(encoding="utf-8") == _json_form(FIX / f"{name}.yaml"), name


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_fix_matches_golden(tmp_path, capsys, name, form):
    case = CASES[name]
    path = _case_file(tmp_path, name, form)
    before = path.read_text(encoding="utf-8")
    old = _findings(path)
    assert {r for r in case["fixes"]} <= {f.rule_id for f in old}, "the fixture must have the findings it fixes"
    _fix(path, "--unsafe-fixes")
    out = capsys.readouterr().out
    after = path.read_text(encoding="utf-8")
    golden = FIX / f"{name}.fixed.{form}"
    if os.environ.get("FIX_GOLDEN"):
        golden.write_text(after, encoding="utf-8")
    assert after == golden.read_text(encoding="utf-8")
    assert after != before
    # every comment line of the input is in the output
    assert set(_comment_lines(before)) <= set(_comment_lines(after))
    # check after the fix: none of the fixed findings, no new error or warning
    new = _findings(path)
    assert not [f for f in new if f.rule_id in case["fixes"]], out
    remains = case.get("remains") or {}
    assert sorted(f.rule_id for f in new if f.rule_id[0] in "EW") == sorted(remains)
    assert set(_ew(new)) <= set(_ew(old))
    for rule, why in remains.items():
        assert f"{rule} " in out and why.split(":")[0] in out


@pytest.mark.parametrize("name", sorted(CASES))
def test_fix_diff_is_only_the_needed_lines(tmp_path, name):
    """git diff after a fix: only added or changed lines, each one the fix's (the file's other
    lines, comments and layout, stay as they were)."""
    before = (FIX / f"{name}.yaml").read_text(encoding="utf-8").splitlines()
    after = (FIX / f"{name}.fixed.yaml").read_text(encoding="utf-8").splitlines()
    ops = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
    assert not [op for op in ops if op[0] == "delete"], ops
    assert all(i2 - i1 == 1 for tag, i1, i2, _, _ in ops if tag == "replace"), ops  # one value line at most, per edit
    assert any(tag in ("insert", "replace") for tag, *_ in ops)


def _cfn_lint_errors(path: Path) -> List[str]:
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    config = ConfigMixIn(["--", str(path)])  # cfn-lint's own rules only
    return sorted({m.rule.id for m in Runner(config).run() if m.rule.id.startswith("E")})


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_cfn_lint_reports_no_new_error_on_fixed_file(tmp_path, name, form):
    source = FIX / f"{name}.{form}"
    fixed = FIX / f"{name}.fixed.{form}"
    assert set(_cfn_lint_errors(fixed)) <= set(_cfn_lint_errors(source))


# ------------------------------------------------------------------------------------------
# the command


def test_diff_writes_nothing_and_prints_the_golden_diff(tmp_path, capsys):
    path = _case_file(tmp_path, "EN2003_private_dns_omitted", "yaml")
    before = path.read_text(encoding="utf-8")
    assert _fix(path, "--diff") == 0
    out = capsys.readouterr()
    assert path.read_text(encoding="utf-8") == before
    golden = (FIX / "EN2003_private_dns_omitted.fixed.yaml").read_text(encoding="utf-8")
    expected = "".join(difflib.unified_diff(before.splitlines(True), golden.splitlines(True), f"a/{path}", f"b/{path}"))
    assert out.out == expected
    assert "Would fix 1 finding in 1 file" in out.err


def test_exit_codes(tmp_path, capsys):
    fixed = _case_file(tmp_path, "EN2003_private_dns_omitted", "yaml")
    assert _fix(fixed) == 0  # everything fixed: nothing left at or above error
    manual = tmp_path / "manual.yaml"
    shutil.copy(TEMPLATES / "traps" / "c_egress_vpc_cidr_only.yaml", manual)
    assert _fix(manual) == 2  # an error remains
    assert _fix(manual, "--fail-on", "none") == 0
    assert main(["fix", str(tmp_path / "nope-*.yaml")]) == 1  # usage error
    assert main(["fix", "--select"]) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources: [\n", encoding="utf-8")
    assert _fix(bad) == 1  # not judged: never a pass
    assert bad.read_text(encoding="utf-8") == "Resources: [\n"
    capsys.readouterr()


def test_warning_left_exits_2_only_with_fail_on_warning(tmp_path, capsys):
    path = _case_file(tmp_path, "WN6001_no_circuit_breaker", "yaml")
    assert _fix(path, "--diff", "--fail-on", "warning") == 0  # the warning would be fixed
    assert _fix(path, "--select", "EN", "--fail-on", "warning") == 2  # not selected: it stays
    capsys.readouterr()


@pytest.mark.parametrize("form", FORMS)
def test_idempotent(tmp_path, capsys, form):
    for name in CASES:
        path = _case_file(tmp_path, name, form)
        _fix(path, "--unsafe-fixes")
        once = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime_ns
        _fix(path, "--unsafe-fixes")
        assert path.read_text(encoding="utf-8") == once, name
        assert path.stat().st_mtime_ns == mtime, f"{name}: a file with no fix left must not be written"
        _fix(path, "--unsafe-fixes", "--diff")
        assert capsys.readouterr().out.count("\n+++ ") == 0


def test_unsafe_fixes_only_when_asked(tmp_path, capsys):
    path = _case_file(tmp_path, "EN2001_missing_logs_endpoint", "yaml")
    before = path.read_text(encoding="utf-8")
    assert _fix(path) == 2
    out = capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == before
    assert "1 more fix with --unsafe-fixes." in out
    assert _fix(path, "--unsafe-fixes") == 0


def test_select(tmp_path, capsys):
    path = tmp_path / "two.yaml"
    text = (FIX / "EN2004_dns_hostnames_omitted.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("PrivateDnsEnabled: true", "PrivateDnsEnabled: false", 1), encoding="utf-8")
    assert {"EN2003", "EN2004"} <= {f.rule_id for f in _findings(path)}
    _fix(path, "--select", "EN2003")
    assert {f.rule_id for f in _findings(path)} >= {"EN2004"}
    assert "EN2003" not in {f.rule_id for f in _findings(path)}
    _fix(path, "--select", "en2001,EN2004")
    assert not {f.rule_id for f in _findings(path)} & {"EN2003", "EN2004"}
    capsys.readouterr()


def test_fix_needing_a_users_value_says_why_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    shutil.copy(TEMPLATES / "traps" / "c_egress_vpc_cidr_only.yaml", path)
    before = path.read_text(encoding="utf-8")
    _fix(path, "--unsafe-fixes")
    out = capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == before
    assert re.search(r"t\.yaml:\d+:\d+: EN1001 not fixed: the S3 prefix list ID of us-east-1 \(com\.amazonaws\.us-east-1\.s3\) "
                     r"differs per region", out)


def test_no_write_through_symlink_out_of_given_paths(tmp_path, capsys):
    outside = tmp_path / "outside"
    given = tmp_path / "templates"
    outside.mkdir()
    given.mkdir()
    target = outside / "t.yaml"
    shutil.copy(FIX / "EN2003_private_dns_omitted.yaml", target)
    before = target.read_text(encoding="utf-8")
    (given / "link.yaml").symlink_to(target)
    _fix(given)
    out = capsys.readouterr().out
    assert target.read_text(encoding="utf-8") == before
    assert "symbolic link out of the given paths" in out
    # a link inside the given folder is written through, and stays a link
    inside = given / "real.yaml"
    shutil.copy(FIX / "EN2003_private_dns_omitted.yaml", inside)
    (given / "link.yaml").unlink()
    (given / "alias.yaml").symlink_to(inside)
    _fix(given)
    assert (given / "alias.yaml").is_symlink()
    assert inside.read_text(encoding="utf-8") == (FIX / "EN2003_private_dns_omitted.fixed.yaml").read_text(encoding="utf-8")
    capsys.readouterr()


def test_atomic_write_keeps_mode_and_loses_nothing_when_interrupted(tmp_path, capsys, monkeypatch):
    path = _case_file(tmp_path, "EN2003_private_dns_omitted", "yaml")
    os.chmod(path, 0o640)
    before = path.read_text(encoding="utf-8")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    assert _fix(path) == 1
    assert path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left
    assert "No space left on device" in capsys.readouterr().err
    monkeypatch.undo()
    os.chdir(tmp_path)
    assert _fix(path) == 0
    assert (path.stat().st_mode & 0o777) == 0o640
    capsys.readouterr()


def test_crlf_file_keeps_its_line_ends(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_bytes((FIX / "EN2003_private_dns_omitted.yaml").read_bytes().replace(b"\n", b"\r\n"))
    _fix(path)
    data = path.read_bytes()
    assert data == (FIX / "EN2003_private_dns_omitted.fixed.yaml").read_bytes().replace(b"\n", b"\r\n")
    capsys.readouterr()


def test_deployment_edit_goes_into_the_file_holding_the_anchor(tmp_path, capsys):
    shutil.copytree(ROOT / "tests" / "fixtures" / "deployments", tmp_path / "d")
    net, svc = tmp_path / "d" / "split" / "network.yaml", tmp_path / "d" / "split" / "service.yaml"
    svc_before = svc.read_text(encoding="utf-8")
    assert _fix(net, ) in (0, 2)
    assert main(["fix", str(net), str(svc)]) == 0
    assert svc.read_text(encoding="utf-8") == svc_before
    assert "        - !Ref PrivateRouteTableB\n" in net.read_text(encoding="utf-8")
    # CDK output (JSON, indent 1): the network stack gets the route table, its layout kept
    cdk = tmp_path / "d" / "cdk" / "cdk.out"
    before = (cdk / "NetworkStack.template.json").read_text(encoding="utf-8")
    assert main(["fix", str(cdk)]) == 0
    after = (cdk / "NetworkStack.template.json").read_text(encoding="utf-8")
    diff = [ln for ln in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0) if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
    assert diff == ["+     },", "+     {", '+      "Ref": "VpcPrivateSubnet2RouteTableA678073B"']
    capsys.readouterr()


# ------------------------------------------------------------------------------------------
# one source of truth: rdjson suggestions and SARIF fixes are the same edits


def _report(path: Path, fmt: str, capsys) -> dict:
    main(["check", "-f", fmt, str(path)])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("form", FORMS)
def test_rdjson_and_sarif_carry_the_same_edit(tmp_path, capsys, form):
    from ecsnetpolicy.report.suggestions import apply_suggestion

    for name in CASES:
        if len(CASES[name]["fixes"]) != 1 or CASES[name].get("unsafe"):
            continue
        path = _case_file(tmp_path, name, form)
        text = path.read_text(encoding="utf-8")
        golden = (FIX / f"{name}.fixed.{form}").read_text(encoding="utf-8")
        rd = _report(path, "rdjson", capsys)
        suggs = [d["suggestions"][0] for d in rd["diagnostics"] if d.get("suggestions")]
        assert suggs, name
        assert apply_suggestion(text, suggs[0]) == golden or len({json.dumps(s) for s in suggs}) > 1, name
        sarif = _report(path, "sarif", capsys)
        fixes = [r["fixes"][0] for r in sarif["runs"][0]["results"] if r.get("fixes")]
        assert len(fixes) == len(suggs), name
        (change,) = fixes[0]["artifactChanges"]
        (rep,) = change["replacements"]
        assert rep["insertedContent"]["text"] == suggs[0]["text"]
        assert rep["deletedRegion"]["startLine"] == suggs[0]["range"]["start"]["line"]
        assert rep["deletedRegion"]["endLine"] == suggs[0]["range"]["end"]["line"]


@pytest.mark.skipif(not SCHEMA.is_file(), reason="../shared/schemas is not here")
def test_sarif_with_fixes_is_valid(tmp_path, capsys):
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for name in ("EN3001_route_table_missing", "EN2001_missing_logs_endpoint", "EN1001_egress_s3_only"):
        path = _case_file(tmp_path, name, "yaml")
        doc = _report(path, "sarif", capsys)
        assert any(r.get("fixes") for r in doc["runs"][0]["results"])
        jsonschema.validate(doc, schema)


# ------------------------------------------------------------------------------------------
# the pre-commit hook


def test_precommit_hook_applies_safe_fixes():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    hook = hooks["ecsnetpolicy-fix"]
    assert hook["entry"] == "ecsnetpolicy fix"
    assert "--unsafe-fixes" not in json.dumps(hook)
    assert hook["files"] == hooks["ecsnetpolicy"]["files"] and hook["exclude"] == hooks["ecsnetpolicy"]["exclude"]
    assert hook["require_serial"] is True


# ------------------------------------------------------------------------------------------
# property: over the fixtures and the corpus


def _property_files() -> List[Path]:
    files = sorted(FIX.glob("*.yaml")) + sorted(FIX.glob("*.json"))
    files = [f for f in files if ".fixed." not in f.name and f.name != "cases.yaml"]
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
    return files


def test_property_fix_never_adds_findings_is_idempotent_and_keeps_comments(tmp_path_factory):
    from hypothesis import HealthCheck, given, settings, strategies as st

    files = _property_files()

    @settings(max_examples=min(40, len(files)), deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.sampled_from(files), st.booleans())
    def prop(source: Path, unsafe: bool):
        work = tmp_path_factory.mktemp("prop")
        os.chdir(work)
        path = work / ("t" + source.suffix)
        shutil.copy(source, path)
        text = path.read_text(encoding="utf-8", errors="replace")
        extra = ("--unsafe-fixes",) if unsafe else ()
        try:
            before = _findings(path)
        except Exception:  # not a template our check takes: fix must leave it alone
            assert main(["fix", *extra, str(path)]) in (0, 1, 2)
            assert path.read_text(encoding="utf-8", errors="replace") == text
            return
        main(["fix", *extra, str(path)])
        once = path.read_text(encoding="utf-8", errors="replace")
        after = _findings(path)
        assert set(_ew(after)) <= set(_ew(before)), (source, _ew(before), _ew(after))
        assert set(_comment_lines(text)) <= set(_comment_lines(once)), source
        main(["fix", *extra, str(path)])
        assert path.read_text(encoding="utf-8", errors="replace") == once, source

    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        prop()


def test_account_fact_gets_the_log_group_resource(tmp_path, capsys):
    """EN5002 (judged with the account snapshot): the unsafe fix adds the log group to the template,
    named by the task definition's own awslogs-group value."""
    folder = tmp_path / "acct"
    shutil.copytree(ROOT / "tests" / "fixtures" / "accounts" / "missing-log-group", folder)
    path = folder / "service.yaml"
    acct = ("--aws-snapshot", str(folder), "--region", "eu-west-1")  # the snapshot's region, whatever the environment says
    assert "EN5002" in {f.rule_id for f in _findings(path, *acct)}
    assert main(["fix", *acct, str(path)]) == 2
    assert "1 more fix with --unsafe-fixes." in capsys.readouterr().out
    main(["fix", "--unsafe-fixes", *acct, str(path)])
    assert "  TaskDefinitionLogGroup:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      LogGroupName: /ecs/orders-api\n" in path.read_text(encoding="utf-8")
    assert "EN5002" not in {f.rule_id for f in _findings(path, *acct)}
    capsys.readouterr()


def test_deployment_fix_in_another_stack_than_the_finding(tmp_path, capsys):
    """EN2001 is reported on the service stack (where the tasks run); its unsafe fix, a new logs
    endpoint, goes into the network stack that holds the VPC and the endpoint it is modelled on."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "deployments" / "split", tmp_path / "d")
    (tmp_path / "d" / "service_wrong_export.yaml").unlink()
    net, svc = tmp_path / "d" / "network.yaml", tmp_path / "d" / "service.yaml"
    text = net.read_text(encoding="utf-8")
    start = text.index("  LogsEndpoint:\n")
    net.write_text(text[:start] + text[text.index("  S3GatewayEndpoint:\n"):], encoding="utf-8")
    found = [f for f in _findings(tmp_path / "d") if f.rule_id == "EN2001"]
    assert [Path(f.filename).name for f in found] == ["service.yaml"]
    assert Path(found[0].fix.filename).name == "network.yaml"
    svc_before = svc.read_text(encoding="utf-8")
    main(["fix", "--unsafe-fixes", str(tmp_path / "d")])
    assert svc.read_text(encoding="utf-8") == svc_before
    assert "  LogsEndpoint:\n    Type: AWS::EC2::VPCEndpoint\n" in net.read_text(encoding="utf-8")
    assert not [f for f in _findings(tmp_path / "d") if f.rule_id[0] in "EW"]
    # rdjson cannot suggest in another file than the diagnostic's; SARIF names the other file
    net.write_text(text[:start] + text[text.index("  S3GatewayEndpoint:\n"):], encoding="utf-8")
    capsys.readouterr()
    main(["check", "-f", "sarif", str(tmp_path / "d")])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    (change,) = next(r for r in results if r["ruleId"] == "EN2001")["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"].endswith("network.yaml")
    main(["check", "-f", "rdjson", str(tmp_path / "d")])
    diags = json.loads(capsys.readouterr().out)["diagnostics"]
    assert "suggestions" not in next(d for d in diags if d["code"]["value"] == "EN2001")


def test_flow_style_kept(tmp_path, capsys):
    """A flow mapping the line planner does not edit goes through ruamel.yaml's round trip, which
    keeps its flow style (the file round-trips byte for byte, so only that line changes)."""
    path = tmp_path / "t.yaml"
    text = (FIX / "EN2003_private_dns_omitted.yaml").read_text(encoding="utf-8")
    golden = (FIX / "EN2003_private_dns_omitted.fixed.yaml").read_text(encoding="utf-8")
    start = text.index("  LogsEndpoint:\n")
    end = text.index("\n\n", start)
    flow = "  LogsEndpoint:\n    Type: AWS::EC2::VPCEndpoint\n    Properties: {VpcId: !Ref Vpc, ServiceName: !Sub 'com.amazonaws.${AWS::Region}.logs', " \
           "VpcEndpointType: Interface, SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB], SecurityGroupIds: [!Ref EndpointSecurityGroup]}"
    assert "PrivateDnsEnabled" not in text[start:end]
    path.write_text(text[:start] + flow + text[end:], encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    _fix(path)
    after = path.read_text(encoding="utf-8")
    assert after == before.replace("[!Ref EndpointSecurityGroup]}", "[!Ref EndpointSecurityGroup], PrivateDnsEnabled: true}")
    assert "EN2003" not in {f.rule_id for f in _findings(path)}
    assert golden != after
    capsys.readouterr()


@pytest.mark.parametrize("form", FORMS)
def test_generic_set_fix_of_any_rule(tmp_path, form):
    """A rule only has to give its finding a Fix: EN7001's `TargetType: ip` (another issue) is
    written like every other set, in YAML (after a comment-bearing key) and JSON."""
    from ecsnetpolicy.findings import Finding, Fix
    from ecsnetpolicy.fix.command import plan

    data = {"Resources": {"Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                                 "Properties": {"Port": 80, "Protocol": "HTTP", "VpcId": {"Ref": "Vpc"}}}}}
    path = tmp_path / f"t.{form}"
    if form == "yaml":
        path.write_text("Resources:\n  Tg:\n    Type: AWS::ElasticLoadBalancingV2::TargetGroup\n    Properties:\n"
                        "      Port: 80  # http\n      Protocol: HTTP\n      VpcId: !Ref Vpc\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
    fix = Fix(("Resources", "Tg", "Properties"), "TargetType", "ip")
    finding = Finding("EN7001", "m", ("Resources", "Tg"), str(path), 2, 3, 2, 5, None, fix)
    out = plan([finding], unsafe=False, select=[], given={os.path.realpath(path)}, roots=[os.path.realpath(tmp_path)])
    (text,) = out.texts.values()
    if form == "yaml":
        assert text.endswith("      VpcId: !Ref Vpc\n      TargetType: ip\n") and "Port: 80  # http\n" in text
    else:
        data["Resources"]["Tg"]["Properties"]["TargetType"] = "ip"
        assert text == json.dumps(data, indent=4) + "\n"
