"""The fast way of reading large snapshot files (load/snapshot/fast.py, msgspec): it must read what
the standard way reads, or step aside.  For any file, reading it the fast way (forced here for
files of any size) and the standard way (json, the quick column check, the careful way) gives the
same snapshot, or the same one-line error; and `check` gives the same findings on every fixture
account either way."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecsnetpolicy.cli import main
from ecsnetpolicy.load.snapshot import SnapshotError, read_snapshot
from ecsnetpolicy.load.snapshot import builder as builder_module
from ecsnetpolicy.load.snapshot import fast
from ecsnetpolicy.load.snapshot.builder import _Builder
from ecsnetpolicy.load.snapshot.fields import project
from ecsnetpolicy.load.snapshot.folder import _parse

from helpers import ROOT

ACCOUNTS = ROOT / "tests" / "fixtures" / "accounts"
TABLED = {"subnets": "Subnets", "route_tables": "RouteTables", "security_groups": "SecurityGroups"}


@pytest.fixture
def forced(monkeypatch):
    """Every file read the fast way, whatever its size."""
    monkeypatch.setattr(fast, "FAST_MIN_BYTES", 0)


# ----------------------------------------------------------------------------- comparing


def _record(rec: Any, kind: str) -> Dict[str, Any]:
    """A record's fields, its raw entry restricted to the spec of its kind."""
    out = {f.name: getattr(rec, f.name) for f in dataclasses.fields(rec) if f.name != "raw"}
    out["raw"] = project(rec.raw, fast.SPECS[TABLED[kind]]) if kind in TABLED else rec.raw
    return out


def summary(snap: Any) -> Dict[str, Any]:
    """What a snapshot says, with every record built, and where each came from."""
    out: Dict[str, Any] = {}
    for f in dataclasses.fields(snap):
        if f.name.startswith("_") or f.name in ("origins", "source", "directory"):
            continue
        value = getattr(snap, f.name)
        if f.name in TABLED:
            value = {i: _record(value[i], f.name) for i in value}
            out[f.name + ":origins"] = {i: snap.origin_of(i, f.name) for i in getattr(snap, f.name)}
        out[f.name] = value
    out["origins"] = {k: v for k, v in snap.origins.items() if k[0] not in TABLED}
    return out


def read_one(data: bytes, way: str, monkeypatch: Any = None) -> Any:
    """The snapshot of one file holding `data` (as read_snapshot reads each file), or the error;
    `way`: "fast", "standard" (json and the quick column check) or "careful" (entry by entry)."""
    b = _Builder("snap", None)
    if way == "careful":
        monkeypatch.setattr(builder_module, "_ok_column", lambda items, spec: False)
    try:
        doc = fast.parse_fast(data) if way == "fast" else None
        if doc is None:
            doc = _parse("snap/f.json", data)
        b.add("snap/f.json", doc)
        snap = b.finish()
    except SnapshotError as exc:
        return "error", str(exc)
    return summary(snap), b.warnings  # records built now, after reading: a build must never fail


# ----------------------------------------------------------------------------- the known keys


def test_other_keys_are_the_builders_keys():
    assert set(fast.OTHER_KEYS) | set(fast.SPECS) == set(builder_module._HANDLERS) | {"VpcId", "EnableDnsSupport", "EnableDnsHostnames"}
    assert not set(fast.OTHER_KEYS) & set(fast.SPECS)


# ----------------------------------------------------------------------------- fixture accounts


def _account_dirs() -> List[Path]:
    return sorted(p for p in ACCOUNTS.iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", _account_dirs(), ids=lambda p: p.name)
def test_fixture_accounts_read_the_same_either_way(folder, monkeypatch):
    standard = summary(read_snapshot(folder, warn=lambda _: None))
    monkeypatch.setattr(fast, "FAST_MIN_BYTES", 0)
    calls = []
    real = fast.parse_fast
    monkeypatch.setattr("ecsnetpolicy.load.snapshot.parse_fast", lambda data: calls.append(real(data)) or calls[-1])
    assert summary(read_snapshot(folder, warn=lambda _: None)) == standard
    assert any(doc is not None for doc in calls), "no file was read the fast way"


EXPECTATIONS = yaml.safe_load((ACCOUNTS / "expectations.yaml").read_text(encoding="utf-8"))


def _findings(name: str, capsys) -> List[Any]:
    e = EXPECTATIONS[name]
    args = ["check", str(ACCOUNTS / name / e["template"]), "--aws-snapshot", str(ACCOUNTS / name), "--region", e["region"],
            "-f", "json", "--fail-on", "none"]
    for key, value in (e.get("parameters") or {}).items():
        args += ["--parameter", f"{key}={value}"]
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_fixture_accounts_give_the_same_findings_either_way(name, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "ECSNETPOLICY_POLICIES", "ECSNETPOLICY_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    standard = _findings(name, capsys)
    monkeypatch.setattr(fast, "FAST_MIN_BYTES", 0)
    assert _findings(name, capsys) == standard
    assert any(f["Level"] in ("Error", "Warning") for f in standard) or "clean" in name  # the faults were found, not only compared


# ----------------------------------------------------------------------------- odd files


BASE = {
    "Subnets": [{"SubnetId": "subnet-0a", "VpcId": "vpc-1", "AvailabilityZone": "eu-west-1a", "CidrBlock": "10.0.0.0/24",
                 "OwnerId": "123456789012", "MapPublicIpOnLaunch": False, "DefaultForAz": False,
                 "SubnetArn": "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0a",
                 "Tags": [{"Key": "Name", "Value": "a"}],
                 "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2001:db8::/64", "Ipv6CidrBlockState": {"State": "associated"}}]}],
    "RouteTables": [{"RouteTableId": "rtb-0a", "VpcId": "vpc-1", "OwnerId": "123456789012",
                     "Associations": [{"Main": False, "SubnetId": "subnet-0a", "AssociationState": {"State": "associated"}}],
                     "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
                                {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "blackhole"}],
                     "PropagatingVgws": [{"GatewayId": "vgw-1"}]}],
    "SecurityGroups": [{"GroupId": "sg-0a", "GroupName": "g", "VpcId": "vpc-1", "OwnerId": "123456789012", "Description": "d",
                        "SecurityGroupArn": "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a",
                        "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                                           "UserIdGroupPairs": [{"GroupId": "sg-0b", "UserId": "123456789012"}]}],
                        "IpPermissionsEgress": [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                                                 "PrefixListIds": [{"PrefixListId": "pl-1"}]}]}],
}


def _same_either_way(data: bytes, monkeypatch: Any) -> None:
    """The fast and the standard way read `data` as the careful way does (entry by entry: its
    evidence of region and account, its records, origins, warnings and errors)."""
    fast_way, standard = read_one(data, "fast"), read_one(data, "standard")
    with monkeypatch.context() as m:
        careful = read_one(data, "careful", m)
    assert fast_way == standard == careful


@pytest.mark.parametrize("data", [
    json.dumps(BASE).encode(),
    json.dumps(BASE, indent=4).encode(),
    json.dumps({"Subnets": BASE["Subnets"], "Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}], "NextToken": "x"}).encode(),
    json.dumps({"Subnets": BASE["Subnets"], "VpcId": "vpc-1", "EnableDnsSupport": {"Value": True}}).encode(),
    json.dumps({"Subnets": None}).encode(),
    json.dumps({"Subnets": [{"SubnetId": ""}]}).encode(),
    json.dumps({"Subnets": [{"VpcId": "vpc-1"}]}).encode(),
    json.dumps({"Subnets": [{"SubnetId": "subnet-1", "MapPublicIpOnLaunch": 1}]}).encode(),
    json.dumps({"RouteTables": [{"RouteTableId": "rtb-1", "Routes": [{"State": 3}]}]}).encode(),
    json.dumps({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"UserIdGroupPairs": [{"UserId": "1"}]}]}]}).encode(),
    json.dumps({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"FromPort": 1.0}]}]}).encode(),
    json.dumps({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"FromPort": 10 ** 30}]}]}).encode(),
    b'{"Subnets": [{"SubnetId": "subnet-1", "SubnetId": "subnet-2"}]}',
    b'{"Subnets": [{"SubnetId": 5, "SubnetId": "subnet-2"}]}',
    b'{"Subnets": [], "Subnets": [{"SubnetId": "subnet-2"}]}',
    b'{"Subnets": [{"SubnetId": "subnet-1", "Extra": NaN}]}',
    b'{"Subnets": [{"SubnetId": "subnet-1", "Tags": [{"Key": "\xed\xa0\x80", "Value": "v"}]}]}',
    b'{"Subnets": [{"SubnetId": "subnet-1", "Extra": "\xed\xa0\x80"}]}',
    b'{"Subnets": [{"SubnetId": "subnet-1", "Tags": [{"Key": "caf\xc3\xa9", "Value": "\\ud83d\\ude00"}]}]}',
    b'{"Subnets": [{"SubnetId": "subnet-1", "Tags": [{"Key": "k", "Value": "\\ud800"}]}]}',
    b'\xef\xbb\xbf{"Subnets": [{"SubnetId": "subnet-1"}]}',
    b'{"Subnets": [{"SubnetId": "subnet-1"}]',
    b'{"Subnets": [{"SubnetId": "subnet-1"},]}',
    b'{"Subnets": [{"SubnetId": "subnet-1"}]} trailing',
    b'[{"Subnets": []}]',
    b'  \n{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": null, "Tags": null}]}\n',
    # evidence of region and account a column at a time: contradictions, order, odd ARNs
    json.dumps({"Subnets": [{"SubnetId": "subnet-1", "AvailabilityZone": "eu-west-1a"},
                            {"SubnetId": "subnet-2", "AvailabilityZone": "us-east-1a"}]}).encode(),
    json.dumps({"Subnets": [{"SubnetId": "subnet-1", "AvailabilityZone": "eu-west-1a", "SubnetArn": "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-1"}]}).encode(),
    json.dumps({"Subnets": [{"SubnetId": "subnet-1", "SubnetArn": "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1"},
                            {"SubnetId": "subnet-2", "AvailabilityZone": "us-east-1b", "SubnetArn": "arn:aws:ec2:eu-west-1:210987654321:subnet/subnet-2"}]}).encode(),
    json.dumps({"SecurityGroups": [{"GroupId": "sg-1", "OwnerId": "210987654321", "SecurityGroupArn": "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1"},
                                   {"GroupId": "sg-2", "SecurityGroupArn": "arn:aws:ec2:ap-south-1:123456789012:security-group/sg-2"}]}).encode(),
    json.dumps({"SecurityGroups": [{"GroupId": "sg-1", "OwnerId": "123456789012", "SecurityGroupArn": "arn:aws-cn:ec2::210987654321:security-group/sg-1"},
                                   {"GroupId": "sg-2", "OwnerId": "210987654321", "SecurityGroupArn": "not an arn"}]}).encode(),
    json.dumps({"Subnets": [{"SubnetId": "subnet-1", "AvailabilityZone": "eu-west-1a", "OwnerId": "210987654321",
                             "SubnetArn": "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1"},
                            {"SubnetId": "subnet-2", "AvailabilityZone": "eu-west-1b", "OwnerId": "123456789012"}]}).encode(),
    # hostile: nesting far past any recursion limit, in a field the fast way skips and in one it reads
    b'{"SecurityGroups": [{"GroupId": "sg-1", "Extra": ' + b"[" * 100_000 + b"]" * 100_000 + b'}]}',
    b'{"SecurityGroups": [{"GroupId": "sg-1", "Tags": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b'}]}',
], ids=range(34))
def test_odd_files_read_the_same_either_way(data, forced, monkeypatch):
    _same_either_way(data, monkeypatch)


# ----------------------------------------------------------------------------- any file

_VALUES = st.sampled_from([None, "", "x", "subnet-9", "eu-west-1b", "us-east-1a", "123456789012", "210987654321", 0, 1, -1, 2 ** 70, 1.5, True, False,
                           "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-9", "arn:aws:ec2:us-east-1:123456789012:x",
                           "arn:aws-cn:ec2:cn-north-1:210987654321:x", "arn:aws:ec2::210987654321:x", "arn:aws:ec2:eu-west-1", "arn:xyz:a:b:c:d",
                           [], {}, [{}], [None], {"State": "associated"}, {"State": 1}, [{"Key": "k"}], ["a"]])


def _second(entry: Dict[str, Any], key: str) -> Dict[str, Any]:
    """Another entry like `entry` (its ID and ARN changed; a second copy keeps the ID: a clash)."""
    text = json.dumps(entry).replace("-0a", "-0c")
    return json.loads(text)


def _paths(value: Any, prefix: tuple = ()) -> List[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


def _mutate(doc: Any, path: tuple, how: str, value: Any) -> Any:
    if not path:
        return value
    doc = json.loads(json.dumps(doc))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "delete" and isinstance(parent, dict):
        del parent[last]
    elif how == "add" and isinstance(parent, dict):
        parent[f"Unknown{len(parent)}"] = value
    else:
        parent[last] = value
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_mutated_file_reads_the_same_either_way(data, forced, monkeypatch):
    doc: Any = {k: v + [_second(v[0], k)] * data.draw(st.integers(0, 2)) for k, v in BASE.items()}
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)))
        doc = _mutate(doc, path, data.draw(st.sampled_from(["set", "delete", "add"])), data.draw(_VALUES))
    _same_either_way(json.dumps(doc, indent=data.draw(st.sampled_from([None, 4]))).encode(), monkeypatch)


def test_the_fast_way_is_taken_for_the_large_outputs(forced):
    doc = fast.parse_fast(json.dumps(BASE, indent=4).encode())
    assert isinstance(doc, fast.Checked) and set(doc) == set(fast.SPECS)
    assert doc["Subnets"][0] == project(BASE["Subnets"][0], fast.SPECS["Subnets"])  # unknown fields (DefaultForAz) left out
    assert "DefaultForAz" not in doc["Subnets"][0]


def test_small_files_are_read_the_standard_way():
    assert fast.FAST_MIN_BYTES > 1024
    assert fast.parse_fast(json.dumps(BASE).encode()) is None
