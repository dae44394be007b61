"""The account adapter's lazy parts (issue 11's benchmark: judging with a large snapshot must stay
cheap) mean what the eager code they replaced meant: the indexes over route tables and groups
(built on first use, last entry wins, disassociated and failed associations left out), a group's
rules taken from describe-security-group-rules (worked out per group), a gateway endpoint's
route tables (held as IDs and one path), and the network ACL legs of a flow (only those that
cross an ACL).  No test here measures time."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Dict, List

import pytest

from ecsnetpolicy.adapters.account import Account
from ecsnetpolicy.adapters.account.view import _rule_entry, view_of
from ecsnetpolicy.checks.flows import EPHEMERAL, _nacl_flows
from ecsnetpolicy.load.snapshot import build_snapshot
from ecsnetpolicy.state import ANY_V4, Endpoint, NetworkState, Subnet
from ecsnetpolicy.values import Unknown

REGION = "us-east-1"
META = {"region": REGION, "account_id": "123456789012"}
PATH = ("Resources", "Service", "Properties", "NetworkConfiguration", "AwsvpcConfiguration", "Subnets")


def _assoc(subnet: Any = None, *, main: bool = False, state: Any = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {"Main": main, "RouteTableAssociationId": "rtbassoc-1"}
    if subnet is not None:
        out["SubnetId"] = subnet
    if state is not None:
        out["AssociationState"] = {"State": state}
    return out


def _route_tables() -> List[Dict[str, Any]]:
    """Two tables claiming subnet-1 (the later wins), a disassociated claim on subnet-2 after an
    active one, two main tables of vpc-1 of which the later failed, a table of vpc-2 whose main
    association also names a subnet (a main association names no subnet), one without associations."""
    return [
        {"RouteTableId": "rtb-a", "VpcId": "vpc-1", "Associations": [_assoc("subnet-1"), _assoc("subnet-2", state="associated")]},
        {"RouteTableId": "rtb-b", "VpcId": "vpc-1", "Associations": [_assoc("subnet-1")]},
        {"RouteTableId": "rtb-c", "VpcId": "vpc-1", "Associations": [_assoc("subnet-2", state="disassociated"), _assoc(main=True)]},
        {"RouteTableId": "rtb-d", "VpcId": "vpc-1", "Associations": [_assoc(main=True, state="failed"), _assoc("subnet-3", state="associating")]},
        {"RouteTableId": "rtb-e", "VpcId": "vpc-2", "Associations": [_assoc("subnet-9", main=True)]},
        {"RouteTableId": "rtb-f", "VpcId": "vpc-2", "Associations": []},
    ]


class _Untouchable(dict):
    """A table that fails the test if anything walks it."""

    def items(self):  # type: ignore[override]
        raise AssertionError("the table was walked")

    def values(self):  # type: ignore[override]
        raise AssertionError("the table was walked")


def test_route_table_indexes_keep_the_last_active_claim():
    view = SimpleNamespace(route_tables={rt["RouteTableId"]: rt for rt in _route_tables()})
    acct = Account(view)
    assert acct.rt_of_subnet == {"subnet-1": "rtb-b", "subnet-2": "rtb-a", "subnet-3": "rtb-d"}
    assert acct.main_rt == {"vpc-1": "rtb-c", "vpc-2": "rtb-e"}


def test_route_table_indexes_read_the_same_through_the_snapshot_reader():
    snap = build_snapshot([("route-tables.json", {"RouteTables": _route_tables()})], source="snap", meta=META)
    acct = Account(view_of(snap))
    assert (acct.rt_of_subnet, acct.main_rt) == ({"subnet-1": "rtb-b", "subnet-2": "rtb-a", "subnet-3": "rtb-d"},
                                                 {"vpc-1": "rtb-c", "vpc-2": "rtb-e"})


def test_default_group_index_keeps_the_last_group_named_default():
    groups = [{"GroupId": "sg-1", "GroupName": "default", "VpcId": "vpc-1"}, {"GroupId": "sg-2", "GroupName": "web", "VpcId": "vpc-1"},
              {"GroupId": "sg-3", "GroupName": "default", "VpcId": "vpc-1"}, {"GroupId": "sg-4", "GroupName": "default", "VpcId": "vpc-2"}]
    acct = Account(SimpleNamespace(security_groups={g["GroupId"]: g for g in groups}))
    assert acct.default_sg == {"vpc-1": "sg-3", "vpc-2": "sg-4"}


def test_an_account_walks_no_table_until_an_index_is_asked_for():
    tables = {kind: _Untouchable({"x-1": {}}) for kind in ("route_tables", "security_groups", "network_acls", "vpc_endpoints")}
    acct = Account(SimpleNamespace(**tables, has=lambda kind: False, where=lambda: "the account",
                                   capture_command=lambda kind, rid=None: f"aws ec2 describe-{kind}"))
    acct.reader(NetworkState())  # building the account and a reader reads no table
    with pytest.raises(AssertionError, match="walked"):
        acct.rt_of_subnet


# ---------------------------------------------------------------------------------- group rules
def _groups_documents() -> List[Any]:
    """sg-perm: its permissions in describe-security-groups (and a rule in
    describe-security-group-rules); sg-bare: in describe-security-groups without permissions, its
    rules in describe-security-group-rules; sg-rules: in describe-security-group-rules only;
    sg-empty: without permissions and without rules."""
    groups = [
        {"GroupId": "sg-perm", "GroupName": "perm", "VpcId": "vpc-1",
         "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}], "IpPermissionsEgress": []},
        {"GroupId": "sg-bare", "GroupName": "bare", "VpcId": "vpc-1"},
        {"GroupId": "sg-empty", "GroupName": "empty", "VpcId": "vpc-1"},
    ]
    rule = {"GroupOwnerId": "123456789012", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    rules = [
        {**rule, "GroupId": "sg-bare", "IsEgress": False, "CidrIpv4": "10.0.1.0/24", "SecurityGroupRuleId": "sgr-1"},
        {**rule, "GroupId": "sg-bare", "IsEgress": True, "CidrIpv4": "0.0.0.0/0", "SecurityGroupRuleId": "sgr-2"},
        {**rule, "GroupId": "sg-perm", "IsEgress": False, "CidrIpv4": "10.9.0.0/16", "SecurityGroupRuleId": "sgr-3"},
        {**rule, "GroupId": "sg-rules", "IsEgress": False, "ReferencedGroupInfo": {"GroupId": "sg-perm"}, "SecurityGroupRuleId": "sgr-4"},
    ]
    return [("security-groups.json", {"SecurityGroups": groups}), ("security-group-rules.json", {"SecurityGroupRules": rules})]


def _eager_rules(s: Any) -> Dict[str, List[Dict[str, Any]]]:
    """The table as the adapter built it before it was worked out per group (the definition)."""
    out: Dict[str, List[Dict[str, Any]]] = {}
    for gid, rec in s.security_groups.items():
        if "IpPermissions" in rec.raw or "IpPermissionsEgress" in rec.raw:
            continue
        listed = s.security_group_rules.get(gid)  # an entry without its permissions: its rules are these
        rules = list(listed) if listed is not None else list(rec.ingress) + list(rec.egress)
        if rules:
            out[gid] = [_rule_entry(gid, r) for r in rules]
    for gid, rules in s.security_group_rules.items():
        if gid not in s.security_groups:
            out[gid] = [_rule_entry(gid, r) for r in rules]
    return out


def _same_as_eager(snap: Any, rules: Any, expected: Dict[str, Any]) -> None:
    for gid in ("sg-perm", "sg-bare", "sg-empty", "sg-rules", "sg-none", None):
        assert (gid in rules) == (gid in expected)
        assert rules.get(gid) == expected.get(gid)
    assert list(rules) == list(expected) and len(rules) == len(expected) and dict(rules.items()) == expected
    with pytest.raises(KeyError):
        rules["sg-perm"]


def test_group_rules_worked_out_per_group_are_the_eager_table():
    snap = build_snapshot(_groups_documents(), source="snap", meta=META)
    expected = _eager_rules(build_snapshot(_groups_documents(), source="snap", meta=META))
    # a group of describe-security-groups keeps its own permissions; one whose entry has none (a
    # --query capture) takes its rules from describe-security-group-rules
    assert set(expected) == {"sg-bare", "sg-rules"}
    assert [r["CidrIpv4"] for r in expected["sg-bare"]] == ["10.0.1.0/24", "0.0.0.0/0"]
    _same_as_eager(snap, view_of(snap).security_group_rules, expected)
    ingress, egress = snap.rules_of("sg-bare")
    assert [r.rule_id for r in ingress] == ["sgr-1"] and [r.rule_id for r in egress] == ["sgr-2"]
    assert [r.cidr_ipv4 for r in snap.rules_of("sg-perm")[0]] == ["10.0.0.0/16"]  # its own permissions, not sgr-3


def test_group_rules_of_a_record_whose_entry_has_no_permissions_are_its_record_rules():
    """A group record that holds rules its AWS entry does not (a reader that merged
    describe-security-group-rules into it): those rules, in describe-security-group-rules shape."""
    snap = build_snapshot(_groups_documents(), source="snap", meta=META)
    rule = snap.security_group_rules["sg-rules"][0]
    bare = snap.security_groups["sg-bare"]
    records = {gid: snap.security_groups[gid] for gid in snap.security_groups}
    records["sg-bare"] = SimpleNamespace(raw=bare.raw, ingress=(rule,), egress=())
    listed = {gid: rules for gid, rules in snap.security_group_rules.items() if gid != "sg-bare"}
    fake = SimpleNamespace(security_groups=records, security_group_rules=listed)
    expected = _eager_rules(fake)
    assert set(expected) == {"sg-bare", "sg-rules"}
    from ecsnetpolicy.adapters.account.view import _GroupRules

    _same_as_eager(fake, _GroupRules(fake, {gid: rec.raw for gid, rec in records.items()}), expected)


# ---------------------------------------------------------------------------------- an endpoint's route tables
def _gateway_account(route_table_ids: List[Any]) -> Any:
    lists = {
        "vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "EnableDnsSupport": True, "EnableDnsHostnames": True}],
        "route_tables": [{"RouteTableId": f"rtb-{i}", "VpcId": "vpc-1", "Associations": [], "Routes": []} for i in range(3)],
        "vpc_endpoints": [{"VpcEndpointId": "vpce-s3", "VpcId": "vpc-1", "VpcEndpointType": "Gateway", "State": "available",
                           "ServiceName": f"com.amazonaws.{REGION}.s3", "RouteTableIds": route_table_ids}],
    }
    keyed = {"vpcs": "VpcId", "route_tables": "RouteTableId", "vpc_endpoints": "VpcEndpointId"}
    tables = {kind: {e[keyed[kind]]: e for e in lists[kind]} for kind in keyed}
    return SimpleNamespace(**tables, has=lambda kind: kind in keyed, where=lambda: "the account",
                           capture_command=lambda kind, rid=None: f"aws ec2 describe-{kind}", origin_of=lambda rid: "snap/ec2.json")


def _endpoint_route_tables(route_table_ids: List[Any]) -> Any:
    state = NetworkState()
    Account(_gateway_account(route_table_ids)).reader(state).known("vpc-1", PATH, "vpcs", direct=True)
    return state.endpoints["vpce-s3"].route_tables


def test_an_endpoint_whose_route_tables_are_all_known_lists_them_with_the_path():
    got = _endpoint_route_tables(["rtb-2", "rtb-0", "rtb-1"])
    expected = [("rtb-2", PATH), ("rtb-0", PATH), ("rtb-1", PATH)]
    assert got == expected and list(got) == expected and len(got) == 3 and got[1] == ("rtb-0", PATH) and got[1:] == expected[1:]
    assert [x for x, _ in got] == ["rtb-2", "rtb-0", "rtb-1"]


def test_an_endpoint_route_table_the_snapshot_lacks_stays_unknown_in_its_place():
    got = list(_endpoint_route_tables(["rtb-0", "rtb-404", ["not", "an", "id"]]))
    assert got[0] == ("rtb-0", PATH)
    assert isinstance(got[1][0], Unknown) and "route table rtb-404" in got[1][0].why and got[1][1] == PATH
    assert isinstance(got[2][0], Unknown) and "not an ID" in got[2][0].why


# ---------------------------------------------------------------------------------- network ACL legs
def _legs_unfiltered(a: Any, v: Any) -> List[Any]:
    """Every stateless leg of the flow, as _nacl_flows listed them before it left out the legs of
    subnets without an ACL (the definition)."""
    net = a.state
    src = net.subnets[v.subnet].cidr
    kind, target = v.dest
    legs: List[Any] = []
    if kind == "endpoint":
        for sn, _ in target.subnets:
            if not isinstance(sn, str) or sn == v.subnet:
                continue
            dst = net.subnets[sn].cidr
            legs += [(v.subnet, True, (443, 443), dst, f"endpoint {target.lid}"), (v.subnet, False, EPHEMERAL, dst, f"endpoint {target.lid}"),
                     (sn, False, (443, 443), src, f"the tasks in {v.subnet}"), (sn, True, EPHEMERAL, src, f"the tasks in {v.subnet}")]
    else:
        label = "S3" if kind == "s3" else "the internet"
        legs += [(v.subnet, True, (443, 443), ANY_V4, label), (v.subnet, False, EPHEMERAL, ANY_V4, label)]
    return legs


@pytest.mark.parametrize("with_acl", [(), ("tasks",), ("ep-a",), ("tasks", "ep-b"), ("tasks", "ep-a", "ep-b")])
@pytest.mark.parametrize("dest", ["endpoint", "s3", "internet"])
def test_nacl_legs_are_those_that_cross_an_acl(with_acl, dest):
    import ipaddress

    state = NetworkState()
    for i, sid in enumerate(("tasks", "ep-a", "ep-b")):
        state.subnets[sid] = Subnet(sid, "vpc-1", "us-east-1a", ipaddress.ip_network(f"10.0.{i}.0/24"), ("Resources", sid))
    for sid in with_acl:
        state.subnet_nacl[sid] = "acl-1"
    ep = Endpoint("vpce-1", "vpc-1", "ecr.api", "com.amazonaws.us-east-1.ecr.api", "Interface", True, True,
                  [("tasks", ()), ("ep-a", ()), ("ep-b", ())], None, None, None, ("Resources", "vpce-1"))
    v = SimpleNamespace(subnet="tasks", dest=(dest, ep if dest == "endpoint" else None))
    a = SimpleNamespace(state=state)
    expected = [leg for leg in _legs_unfiltered(a, v) if leg[0] in state.subnet_nacl]
    assert _nacl_flows(a, v) == expected
    assert all(state.nacl_decision(*leg[:4]) == (True, None) for leg in _legs_unfiltered(a, v) if leg not in expected)
