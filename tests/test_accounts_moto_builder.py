"""tests/accounts_moto.py rebuilds each fixture account of tests/fixtures/accounts in moto: every
subnet, route table (routes, associations), security group rule, network ACL and endpoint of the
snapshot exists in moto under the returned ID mapping, with the same wiring; and the faults the
accounts are about survive the trip (they are what "live and snapshot give identical findings"
will compare)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accounts_moto import ID_RE, MotoBuildError, build_in_moto, load_snapshot, remap, remap_parameters

pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

ACCOUNTS = Path(__file__).resolve().parent / "fixtures" / "accounts"
NAMES = sorted(p.name for p in ACCOUNTS.iterdir() if p.is_dir())
NEEDS_MANAGED_POLICIES = {"missing-log-group"}


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch, tmp_path):
    """Fake credentials and no ~/.aws: nothing here can reach or read a real account."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # no AMIs needed: saves ~1s per account


def _mock(name):
    from moto import mock_aws

    return mock_aws(config={"iam": {"load_aws_managed_policies": name in NEEDS_MANAGED_POLICIES}})


def _ec2(snap):
    return boto3.client("ec2", region_name=snap["meta"]["region"])


def _route_key(route, ids):
    dest = route.get("DestinationCidrBlock") or route.get("DestinationPrefixListId")
    target = route.get("GatewayId") or route.get("NatGatewayId")
    return (ids.get(dest, dest), ids.get(target, target))


def _perm_keys(perms, ids):
    out = set()
    for p in perms:
        ports = (p.get("FromPort"), p.get("ToPort")) if p["IpProtocol"] != "-1" else (None, None)
        head = (p["IpProtocol"],) + ports
        out |= {head + ("cidr", r["CidrIp"]) for r in p.get("IpRanges", [])}
        out |= {head + ("pl", ids.get(r["PrefixListId"], r["PrefixListId"])) for r in p.get("PrefixListIds", [])}
        out |= {head + ("sg", ids.get(r["GroupId"], r["GroupId"])) for r in p.get("UserIdGroupPairs", [])}
    return out


def _entry_keys(entries):
    return {(e["Egress"], e["RuleNumber"], e["Protocol"], e["RuleAction"], e.get("CidrBlock"),
             tuple(sorted(e.get("PortRange", {}).items()))) for e in entries if e["RuleNumber"] != 32767}


@pytest.mark.parametrize("name", NAMES)
def test_account_rebuilt_with_the_same_wiring(name):
    snap = load_snapshot(ACCOUNTS / name)
    with _mock(name):
        ids = build_in_moto(ACCOUNTS / name)
        ec2 = _ec2(snap)
        for s in snap["Subnets"]:
            got = ec2.describe_subnets(SubnetIds=[ids[s["SubnetId"]]])["Subnets"][0]
            assert (got["VpcId"], got["CidrBlock"], got["AvailabilityZone"], got["MapPublicIpOnLaunch"]) == (
                ids[s["VpcId"]], s["CidrBlock"], s["AvailabilityZone"], s["MapPublicIpOnLaunch"]), s["SubnetId"]
        for v in snap["Vpcs"]:
            for attr, value in snap["VpcAttributes"][v["VpcId"]].items():
                assert ec2.describe_vpc_attribute(VpcId=ids[v["VpcId"]], Attribute=attr[0].lower() + attr[1:])[attr]["Value"] is value
        for rt in snap["RouteTables"]:
            got = ec2.describe_route_tables(RouteTableIds=[ids[rt["RouteTableId"]]])["RouteTables"][0]
            want_subnets = {ids[a["SubnetId"]] for a in rt["Associations"] if a.get("SubnetId")}
            assert {a["SubnetId"] for a in got["Associations"] if a.get("SubnetId")} == want_subnets, rt["RouteTableId"]
            assert any(a.get("Main") for a in got["Associations"]) == any(a.get("Main") for a in rt["Associations"])
            assert {_route_key(r, {}) for r in got["Routes"]} == {_route_key(r, ids) for r in rt["Routes"]}, rt["RouteTableId"]
        for g in snap["SecurityGroups"]:
            got = ec2.describe_security_groups(GroupIds=[ids[g["GroupId"]]])["SecurityGroups"][0]
            assert _perm_keys(got["IpPermissions"], {}) == _perm_keys(g["IpPermissions"], ids), g["GroupId"]
            assert _perm_keys(got["IpPermissionsEgress"], {}) == _perm_keys(g["IpPermissionsEgress"], ids), g["GroupId"]
        for acl in snap["NetworkAcls"]:
            got = ec2.describe_network_acls(NetworkAclIds=[ids[acl["NetworkAclId"]]])["NetworkAcls"][0]
            assert {a["SubnetId"] for a in got["Associations"]} == {ids[a["SubnetId"]] for a in acl["Associations"]}, acl["NetworkAclId"]
            assert _entry_keys(got["Entries"]) == _entry_keys(acl["Entries"]), acl["NetworkAclId"]
        for ep in snap["VpcEndpoints"]:
            got = ec2.describe_vpc_endpoints(VpcEndpointIds=[ids[ep["VpcEndpointId"]]])["VpcEndpoints"][0]
            assert (got["VpcEndpointType"], got["ServiceName"], got["VpcId"]) == (ep["VpcEndpointType"], ep["ServiceName"], ids[ep["VpcId"]])
            assert set(got.get("RouteTableIds", [])) == {ids[r] for r in ep["RouteTableIds"]}, ep["VpcEndpointId"]
            if ep["VpcEndpointType"] == "Interface":
                assert set(got["SubnetIds"]) == {ids[s] for s in ep["SubnetIds"]}
                assert {g["GroupId"] for g in got["Groups"]} == {ids[g["GroupId"]] for g in ep["Groups"]}
                assert got["PrivateDnsEnabled"] is ep["PrivateDnsEnabled"], ep["VpcEndpointId"]
                assert json.loads(got["PolicyDocument"]) == json.loads(ep["PolicyDocument"])


def _subnet_route_table(ec2, subnet):
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
    assert len(tables) == 1
    return tables[0]


def test_runbook_incident_subnet_b_is_off_the_s3_endpoint_in_moto():
    d = ACCOUNTS / "runbook-incident"
    params = json.loads((d / "parameters.json").read_text())
    with _mock(d.name):
        ids = build_in_moto(d)
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        live = {p["ParameterKey"]: p["ParameterValue"] for p in remap_parameters(params, ids)}
        subnet_a, subnet_b = live["PrivateSubnetIds"]
        assert all(s in ids.values() for s in (subnet_a, subnet_b)) and live["TaskSecurityGroupIds"][0] in ids.values()
        (s3,) = [e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["ServiceName"].endswith(".s3")]
        assert _subnet_route_table(ec2, subnet_a)["RouteTableId"] in s3["RouteTableIds"]
        assert _subnet_route_table(ec2, subnet_b)["RouteTableId"] not in s3["RouteTableIds"]
        assert not [r for r in _subnet_route_table(ec2, subnet_b)["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]


def test_imported_subnets_exports_name_the_moto_subnets():
    d = ACCOUNTS / "imported-subnets"
    snap = load_snapshot(d)
    with _mock(d.name):
        ids = build_in_moto(d)
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        exports = {e["Name"]: e["Value"] for e in boto3.client("cloudformation", region_name="eu-west-1").list_exports()["Exports"]}
        assert exports == {e["Name"]: remap(e["Value"], ids) for e in snap["Exports"]}
        a, b = exports["platform-network-PrivateSubnetA"], exports["platform-network-PrivateSubnetB"]
        nat_a = [r.get("NatGatewayId") for r in _subnet_route_table(ec2, a)["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert nat_a and ec2.describe_nat_gateways(NatGatewayIds=nat_a)["NatGateways"][0]["State"] == "available"
        assert not [r for r in _subnet_route_table(ec2, b)["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]


def test_ssm_subnet_parameter_value_names_the_data_subnet_behind_its_nacl():
    d = ACCOUNTS / "ssm-subnet-parameter"
    with _mock(d.name):
        ids = build_in_moto(d)
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        value = boto3.client("ssm", region_name="eu-west-1").get_parameters(Names=["/platform/inventory/app-subnet-ids"])["Parameters"][0]["Value"]
        subnets = value.split(",")
        assert len(subnets) == 3 and all(s in ids.values() for s in subnets)
        acls = {s: ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [s]}])["NetworkAcls"][0] for s in subnets}
        assert [acls[s]["IsDefault"] for s in subnets] == [True, True, False]
        inbound = [e for e in acls[subnets[2]]["Entries"] if not e["Egress"] and e["RuleAction"] == "allow"]
        assert {e["CidrBlock"] for e in inbound if e.get("PortRange", {}).get("To") == 65535} == {"10.60.0.0/16"}


def test_blackhole_nat_route_points_at_a_deleted_nat_gateway():
    d = ACCOUNTS / "blackhole-nat"
    with _mock(d.name):
        ids = build_in_moto(d)
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        params = {p["ParameterKey"]: p["ParameterValue"] for p in remap_parameters(json.loads((d / "parameters.json").read_text()), ids)}
        for subnet in params["PrivateSubnetIds"]:
            (default,) = [r for r in _subnet_route_table(ec2, subnet)["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
            nat = ec2.describe_nat_gateways(NatGatewayIds=[default["NatGatewayId"]])["NatGateways"][0]
            assert nat["State"] == "deleted"


def test_missing_log_group_account_has_the_neighbours_and_the_role():
    d = ACCOUNTS / "missing-log-group"
    snap = load_snapshot(d)
    with _mock(d.name):
        build_in_moto(d)
        names = {g["logGroupName"] for g in boto3.client("logs", region_name="eu-west-1").describe_log_groups()["logGroups"]}
        assert names == {g["logGroupName"] for g in snap["logGroups"]} and "/ecs/orders-api" not in names
        iam = boto3.client("iam", region_name="eu-west-1")
        attached = iam.list_attached_role_policies(RoleName="platform-ecs-task-execution")["AttachedPolicies"]
        assert [p["PolicyName"] for p in attached] == ["AmazonECSTaskExecutionRolePolicy"]


def test_managed_policy_without_moto_loading_them_is_a_one_line_error():
    from moto import mock_aws

    with mock_aws():
        with pytest.raises(MotoBuildError) as err:
            build_in_moto(ACCOUNTS / "missing-log-group")
    assert "load_aws_managed_policies" in str(err.value) and "\n" not in str(err.value)


def test_remap_replaces_whole_ids_only():
    ids = {"subnet-0123456789abcdef0": "subnet-0aaaaaaaaaaaaaaaa"}
    assert remap({"a": ["subnet-0123456789abcdef0,subnet-0123456789abcdef1"]}, ids) == {"a": ["subnet-0aaaaaaaaaaaaaaaa,subnet-0123456789abcdef1"]}


@pytest.mark.parametrize("name", NAMES)
def test_fixture_account_is_consistent(name):
    """What a real account guarantees: every ID a record names exists (a deleted NAT gateway
    stays listed), subnets sit inside their VPC without overlap, each subnet has one network ACL
    and at most one explicit route table, a gateway endpoint's route tables carry its route,
    and the parameters name resources of the account."""
    import ipaddress

    d = ACCOUNTS / name
    snap = load_snapshot(d)
    known = {item[key] for lk, key in (("Vpcs", "VpcId"), ("Subnets", "SubnetId"), ("RouteTables", "RouteTableId"),
                                       ("SecurityGroups", "GroupId"), ("NetworkAcls", "NetworkAclId"), ("NatGateways", "NatGatewayId"),
                                       ("InternetGateways", "InternetGatewayId"), ("VpcEndpoints", "VpcEndpointId"),
                                       ("PrefixLists", "PrefixListId"), ("DhcpOptions", "DhcpOptionsId"))
             for item in snap.get(lk, [])}
    text = "\n".join(p.read_text() for p in d.glob("*.json") if p.name not in ("parameters.json", "meta.json"))
    named = set(ID_RE.findall(text))
    assert named <= known, sorted(named - known)
    vpcs = {v["VpcId"]: ipaddress.ip_network(v["CidrBlock"]) for v in snap["Vpcs"]}
    nets = [(s["VpcId"], ipaddress.ip_network(s["CidrBlock"])) for s in snap["Subnets"]]
    assert all(net.subnet_of(vpcs[vpc]) for vpc, net in nets)
    assert not [(a, b) for i, a in enumerate(nets) for b in nets[i + 1:] if a[0] == b[0] and a[1].overlaps(b[1])]
    acl_of = [a["SubnetId"] for acl in snap["NetworkAcls"] for a in acl["Associations"]]
    assert sorted(acl_of) == sorted(s["SubnetId"] for s in snap["Subnets"])
    rt_of = [a["SubnetId"] for rt in snap["RouteTables"] for a in rt["Associations"] if a.get("SubnetId")]
    assert len(rt_of) == len(set(rt_of))
    for ep in snap["VpcEndpoints"]:
        if ep["VpcEndpointType"] == "Gateway":
            carrying = {rt["RouteTableId"] for rt in snap["RouteTables"] if any(r.get("GatewayId") == ep["VpcEndpointId"] for r in rt["Routes"])}
            assert carrying == set(ep["RouteTableIds"]), ep["VpcEndpointId"]
        azs = [next(s["AvailabilityZone"] for s in snap["Subnets"] if s["SubnetId"] == sid) for sid in ep["SubnetIds"]]
        assert len(azs) == len(set(azs)), ep["VpcEndpointId"]
    assert all(s["AvailabilityZone"].startswith(snap["meta"]["region"]) for s in snap["Subnets"])
    params = d / "parameters.json"
    if params.exists():
        assert set(ID_RE.findall(params.read_text())) <= known
