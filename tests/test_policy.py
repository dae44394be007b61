"""policies/: the shipped files are valid against their schema; broken files give one clear line
naming file and field; user files add needs that the rules then enforce."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import jsonschema
import pytest
import yaml

from ecsnetpolicy.load.policy import PolicyError, load_policy, load_policy_file, policies_dir
from helpers import FIXTURES, standalone


def test_shipped_policies_validate_against_schema():
    schema = json.loads((policies_dir() / "policy.schema.json").read_text())
    jsonschema.validators.validator_for(schema).check_schema(schema)
    files = sorted(policies_dir().glob("*.yaml"))
    assert files
    for path in files:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_shipped_knowledge():
    policy = load_policy()
    ecr = policy.needs["ecr-image"]
    assert set(ecr.requires) == {"ecr.api", "ecr.dkr", "s3"}
    assert set(policy.needs["ecr-image-legacy-platform"].requires) == {"ecr.dkr", "s3"}
    assert policy.needs["ecs-exec"].requires == ("ssmmessages",)  # aws-facts 4: not ssm/ec2messages
    assert policy.kind("s3") == "gateway" and policy.kind("logs") == "interface"


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_broken_policy_names_file_and_field(tmp_path):
    bad = _write(tmp_path, "ours.yaml", """\
        schema_version: 1
        needs:
          - id: sts
            description: call STS
            symptom: AccessDenied
            when: {always: true}
            requires: sts
        """)
    with pytest.raises(PolicyError) as err:
        load_policy_file(bad)
    msg = str(err.value)
    assert "\n" not in msg and str(bad) in msg and "needs/0/requires" in msg


def test_policy_with_unknown_service_is_rejected(tmp_path):
    bad = _write(tmp_path, "ours.yaml", """\
        schema_version: 1
        needs:
          - {id: x, description: call X, symptom: errors, when: {always: true}, requires: [nosuch]}
        """)
    with pytest.raises(PolicyError, match="unknown service 'nosuch'"):
        load_policy([str(bad)])


def test_invalid_yaml_policy_names_line(tmp_path):
    bad = _write(tmp_path, "ours.yaml", "schema_version: 1\nneeds: [\n")
    with pytest.raises(PolicyError, match=r"not valid YAML \(line \d+\)"):
        load_policy_file(bad)


STS_POLICY = """\
    schema_version: 1
    services:
      sts: {kind: interface, description: AWS STS}
    needs:
      - id: our-sts
        description: call STS
        symptom: AccessDenied errors at start-up
        when: {always: true}
        requires: [sts]
    """


def test_user_policy_adds_a_need_that_fires(tmp_path, monkeypatch):
    extra = _write(tmp_path, "sts.yaml", STS_POLICY)
    baseline = standalone(FIXTURES / "good_private_endpoints.yaml")
    assert baseline == []
    monkeypatch.setenv("ECSNETPOLICY_POLICIES", str(extra))
    rows = standalone(FIXTURES / "good_private_endpoints.yaml")
    assert [r[0] for r in rows] == ["EN2001"]
    assert "no sts endpoint" in rows[0][3] and "call STS" in rows[0][3]


def test_cli_policy_option_and_broken_policy_exit(tmp_path):
    extra = _write(tmp_path, "sts.yaml", STS_POLICY)
    tpl = str(FIXTURES / "good_private_endpoints.yaml")
    ok = subprocess.run([sys.executable, "-m", "ecsnetpolicy", "check", tpl, "--policy", str(extra)], capture_output=True, text=True)
    assert ok.returncode == 2 and "EN2001" in ok.stdout
    bad = _write(tmp_path, "bad.yaml", "schema_version: 2\n")
    res = subprocess.run([sys.executable, "-m", "ecsnetpolicy", "check", tpl, "--policy", str(bad)], capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr.count("\n") == 1 and "bad.yaml" in res.stderr and "schema_version" in res.stderr
    assert "Traceback" not in res.stderr


def test_wheel_ships_policies_schemas_and_rule_docs(tmp_path):
    """A non-editable install must find policies/ (and `explain` the docs): build the wheel
    offline (hatchling comes with the test extra) and look inside."""
    import zipfile
    from pathlib import Path

    from ecsnetpolicy.catalogue import RULES

    root = Path(__file__).resolve().parents[1]
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", str(root), "-w", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert res.returncode == 0, res.stderr
    (wheel,) = tmp_path.glob("ecsnetpolicy-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"ecsnetpolicy/policies/policy.schema.json", "ecsnetpolicy/policies/ecs.yaml", "ecsnetpolicy/config.schema.json"} <= names
    assert {f"ecsnetpolicy/docs/rules/{rid}.md" for rid in RULES} <= names
