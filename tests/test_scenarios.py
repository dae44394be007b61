"""Condition scenarios (issue 9, "no silent partial analysis"): only conditions that can change what
the engine reads multiply scenarios; realistic templates are explored completely; where a cap is
still reached the exploration is a covering design and one IN9001 names what was left out."""

from __future__ import annotations

import contextlib
import copy
import io
import itertools
import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from hypothesis import given, note, settings
from hypothesis import strategies as st

from ecsnetpolicy.values import conditions as sc
from ecsnetpolicy.api import deployment_units, raw_for
from ecsnetpolicy.checks import CHECKS, raw_findings
from ecsnetpolicy.engine import analyse, analyse_scenario
from ecsnetpolicy.load.template import load_file
from ecsnetpolicy.load.policy import load_policy
from ecsnetpolicy.values import Resolver
from helpers import CORPUS, FIXTURES, ROOT, corpus_files, fixture_files

PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "ci")
PROFILE = settings.get_profile(PROFILE_NAME)
EXPECTATIONS = yaml.safe_load((FIXTURES / "expectations.yaml").read_text(encoding="utf-8"))


def _load(path):
    return copy.deepcopy(dict(load_file(str(path))))


def _plan(template, params=None, limit=None):
    params = dict(params or {})
    return sc.plan(template, lambda extra: Resolver(template, params={**params, **extra}), params, limit)


def _cap_finding(raws):
    return [r for r in raws if r.rule_id == "IN9001" and r.path[:1] == ("Conditions",)]


def _findings(analysis):
    return sorted((r.rule_id, tuple(map(str, r.path)), r.message) for check in CHECKS.values() for r in check(analysis))


def _loadable(paths):
    out = []
    for p in paths:
        try:
            out.append((p, dict(load_file(str(p)))))
        except Exception:  # the corpus has files our loader refuses (duplicate keys): not ours to judge here
            continue
    return out


# ------------------------------------------------------------------------------------ slicing
def _conditional(template, **conds):
    t = copy.deepcopy(template)
    t.setdefault("Parameters", {})
    t.setdefault("Conditions", {})
    for name in conds:
        t["Parameters"][f"P{name}"] = {"Type": "String"}
        t["Conditions"][name] = {"Fn::Equals": [{"Ref": f"P{name}"}, "on"]}
    return t


def test_conditions_outside_the_network_do_not_multiply_scenarios():
    base = _load(FIXTURES / "good_private_endpoints.yaml")
    names = [f"Noise{i}" for i in range(9)]
    t = _conditional(base, **{n: None for n in names})
    res = t["Resources"]
    res["Fn"] = {"Type": "AWS::Lambda::Function", "Condition": "Noise0", "Properties": {"Role": {"Fn::If": ["Noise1", "a", "b"]}}}
    res["Alarm"] = {"Type": "AWS::CloudWatch::Alarm", "Condition": "Noise2", "Properties": {"AlarmActions": [{"Ref": "Fn"}]}}
    res["LogGroup"]["Properties"]["RetentionInDays"] = {"Fn::If": ["Noise3", 7, 14]}  # read by no check
    res["Vpc"]["Properties"]["Tags"] = [{"Key": "x", "Value": {"Fn::If": ["Noise4", "a", "b"]}}]
    t["Outputs"] = {"O": {"Condition": "Noise5", "Value": {"Fn::If": ["Noise6", "a", "b"]}}}
    t["Conditions"]["Both"] = {"Fn::And": [{"Condition": "Noise7"}, {"Condition": "Noise8"}]}
    res["Topic"] = {"Type": "AWS::SNS::Topic", "Condition": "Both"}
    plan = _plan(t)
    assert len(plan.scenarios) == 1 and not plan.capped
    assert plan.relevant == frozenset()
    assert raw_for(t) == raw_for(base) == []


def test_a_condition_reaches_the_slice_through_references_and_other_conditions():
    base = _load(FIXTURES / "good_private_endpoints.yaml")
    t = _conditional(base, Direct=None, Leaf=None)
    t["Conditions"]["Derived"] = {"Fn::Not": [{"Condition": "Leaf"}]}
    res = t["Resources"]
    res["ExtraRouteTable"] = {"Type": "AWS::EC2::RouteTable", "Condition": "Derived", "Properties": {"VpcId": {"Ref": "Vpc"}}}
    res["S3GatewayEndpoint"]["Properties"]["RouteTableIds"].append({"Fn::If": ["Direct", {"Ref": "ExtraRouteTable"}, {"Ref": "AWS::NoValue"}]})
    sl = sc.slice_template(t)
    assert {"Direct", "Derived", "Leaf"} <= sl.conditions
    assert "ExtraRouteTable" in sl.resources  # referenced by an endpoint (a root)


def test_an_ingress_rule_attaches_only_through_its_group():
    base = _load(FIXTURES / "good_private_endpoints.yaml")
    t = _conditional(base, OnEndpointGroup=None, OnOtherGroup=None)
    res = t["Resources"]
    res["OtherGroup"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", "VpcId": {"Ref": "Vpc"}}}
    rule = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "SourceSecurityGroupId": {"Ref": "TaskSecurityGroup"}}
    res["A"] = {"Type": "AWS::EC2::SecurityGroupIngress", "Condition": "OnEndpointGroup", "Properties": {**rule, "GroupId": {"Ref": "EndpointSecurityGroup"}}}
    res["B"] = {"Type": "AWS::EC2::SecurityGroupIngress", "Condition": "OnOtherGroup", "Properties": {**rule, "GroupId": {"Ref": "OtherGroup"}}}
    sl = sc.slice_template(t)
    assert "OnEndpointGroup" in sl.conditions and "OnOtherGroup" not in sl.conditions
    # a group named by a value we cannot follow might be any group: kept
    res["B"]["Properties"]["GroupId"] = {"Ref": "PGroup"}
    t["Parameters"]["PGroup"] = {"Type": "String"}
    assert "OnOtherGroup" in sc.slice_template(t).conditions


def test_every_resource_type_the_engine_names_is_classified():
    """Soundness of the slice rests on these lists naming every type the engine scans: a type added
    to the engine without a decision here fails this test."""
    known = sc.ROOT_TYPES | sc.SCHEDULED_TYPES | set(sc.ATTACH_KEYS) | sc.REFERENCED_TYPES | sc.ACCOUNT_ONLY_TYPES
    src = ROOT / "src" / "ecsnetpolicy"
    found = set()
    scanned = [src / "engine.py", src / "report" / "graph.py"]
    for folder in ("state", "adapters", "checks", "values"):
        scanned += [f for f in (src / folder).rglob("*.py") if f.name != "conditions.py"]
    for path in scanned:
        found |= set(re.findall(r"\"(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)\"", path.read_text(encoding="utf-8")))
    assert found and found <= known, sorted(found - known)


def _left_out_changes_nothing(template, left_out, scenarios_to_try):
    policy = load_policy()
    for scen in scenarios_to_try:
        base = _findings(analyse_scenario(template, scen, policy, params={}, region="us-east-1", stack_name="stack"))
        variants = [{n: False} for n in left_out] + [{n: False for n in left_out}]
        for flip in variants:
            flipped = sc.Scenario({**scen.conditions, **flip}, scen.params)
            got = _findings(analyse_scenario(template, flipped, policy, params={}, region="us-east-1", stack_name="stack"))
            assert got == base, (flip, set(got) ^ set(base))


def test_a_condition_left_out_of_the_slice_changes_no_finding():
    """The slice's claim, checked by the engine itself on every fixture and corpus template: with
    the relevant conditions fixed, setting the ones it left out to false (the analysis takes a
    condition it is not given as true), one at a time and all at once, changes nothing."""
    checked = 0
    for path, template in _loadable(fixture_files() + corpus_files()):
        conds = template.get("Conditions")
        if not isinstance(conds, dict):
            continue
        plan = _plan(template)
        left_out = [n for n in conds if n not in plan.relevant]
        if left_out:
            checked += 1
            _left_out_changes_nothing(template, left_out, plan.scenarios[:2])
    assert checked >= (3 if CORPUS.is_dir() else 0)


def _paths(node, path=()):
    """Every (path, value) under a resource's Properties that an Fn::If could wrap."""
    if isinstance(node, dict):
        if len(node) == 1 and next(iter(node)).startswith(("Fn::", "Ref")):
            yield path, node
            return
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))
    if path:
        yield path, node


UNCONDITIONED = [(os.path.relpath(p, FIXTURES), t) for p, t in _loadable(fixture_files()) if not t.get("Conditions")]


@settings(PROFILE, max_examples=min(PROFILE.max_examples, 60) if PROFILE_NAME == "ci" else PROFILE.max_examples)
@given(data=st.data())
def test_a_condition_anywhere_is_either_relevant_or_changes_nothing(data):
    rel, base = data.draw(st.sampled_from(UNCONDITIONED), label="fixture")
    t = copy.deepcopy(base)
    resources = t["Resources"]
    lid = data.draw(st.sampled_from(sorted(resources)), label="resource")
    t.setdefault("Parameters", {})["PFlip"] = {"Type": "String"}
    t["Conditions"] = {"Flip": {"Fn::Equals": [{"Ref": "PFlip"}, "on"]}}
    props = resources[lid].get("Properties")
    spots = list(_paths(props)) if isinstance(props, dict) else []
    if not spots or data.draw(st.booleans(), label="on the resource itself"):
        resources[lid]["Condition"] = "Flip"
    else:
        path, value = data.draw(st.sampled_from(spots), label="property")
        other = data.draw(st.sampled_from([{"Ref": "AWS::NoValue"}, "", [], "x"]), label="other branch")
        node = props
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = {"Fn::If": ["Flip", value, other]} if data.draw(st.booleans()) else {"Fn::If": ["Flip", other, value]}
    note(f"{rel}: {lid}")
    plan = _plan(t)
    if "Flip" not in plan.relevant:
        _left_out_changes_nothing(t, ["Flip"], plan.scenarios[:1])


# ------------------------------------------------------------------------------------ realistic templates
def test_every_corpus_template_is_explored_completely():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside the project")
    for path, template in _loadable(corpus_files()):
        plan = _plan(template)
        assert not plan.capped, (path, plan.total, len(plan.scenarios))
        assert not _cap_finding(raw_for(template)), path


def test_copilot_environment_and_workload_are_explored_completely():
    env = CORPUS / "aws__copilot-cli/internal__pkg__deploy__cloudformation__stack__testdata__environments__template-with-basic-manifest.yml"
    wl = CORPUS / "aws__copilot-cli/internal__pkg__deploy__cloudformation__stack__testdata__workloads__backend__simple-template.yml"
    if not (env.is_file() and wl.is_file()):
        pytest.skip("the copilot templates are not in ../shared/corpus")
    from ecsnetpolicy.load.deployment import Stack

    stacks = [Stack("app-test", str(env), _load(env)), Stack("wl", str(wl), _load(wl), {"AppName": "app", "EnvName": "test"})]
    units = [u for u in deployment_units(stacks, load=lambda p: dict(load_file(p))) if u.merged is not None]
    assert units and units[0].error is None
    report = analyse(units[0].template, params=units[0].params)
    assert not report.exploration.capped
    # 9 + 4 conditions, 13 of them decided by parameters without a value: before slicing the first
    # 64 of 2**9 * 2**4 combinations; now the ones that can change a finding, all of them
    assert len(report.scenarios) < sc.MAX_SCENARIOS
    assert not _cap_finding(raw_findings(report))


# ------------------------------------------------------------------------------------ covering and the cap
@pytest.mark.parametrize("levels,limit", [([2] * 12, 8), ([2] * 7, 64), ([3, 2, 2, 4, 2], 20), ([2] * 40, 16), ([5] * 6, 64)])
def test_covering_rows_see_every_value_before_exhausting_combinations(levels, limit):
    rows, strength = sc.covering_rows(levels, limit)
    assert len(rows) == min(limit, sc._prod(levels)) and len(set(rows)) == len(rows)
    assert rows[0] == tuple(0 for _ in levels)  # the first scenario stays the all-first one
    assert strength >= 1
    for i, n in enumerate(levels):
        assert {r[i] for r in rows} == set(range(n))
    if strength >= 2:
        for i, j in itertools.combinations(range(len(levels)), 2):
            assert {(r[i], r[j]) for r in rows} == set(itertools.product(range(levels[i]), range(levels[j])))


def test_pairs_are_covered_when_the_limit_allows():
    rows, strength = sc.covering_rows([2] * 7, 64)
    assert strength >= 2


def _egress_toggles(base, names, faulty_when_true=()):
    """A clone of the base's service per name, each with its own security group whose HTTPS egress
    exists only under condition `name` (or its negation): a fault (EN1001) when it is absent."""
    t = copy.deepcopy(base)
    res = t["Resources"]
    svc_lid = next(l for l, r in res.items() if r.get("Type") == "AWS::ECS::Service" and "NetworkConfiguration" in r.get("Properties", {}))
    vpc = next(l for l, r in res.items() if r.get("Type") == "AWS::EC2::VPC")
    t.setdefault("Parameters", {})
    t.setdefault("Conditions", {})
    for name in names:
        t["Parameters"][f"P{name}"] = {"Type": "String"}
        t["Conditions"][name] = {"Fn::Equals": [{"Ref": f"P{name}"}, "on"]}
        guard = name
        if name in faulty_when_true:
            guard = f"Not{name}"
            t["Conditions"][guard] = {"Fn::Not": [{"Condition": name}]}
        res[f"Sg{name}"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": name, "VpcId": {"Ref": vpc},
            "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}]}}
        res[f"Https{name}"] = {"Type": "AWS::EC2::SecurityGroupEgress", "Condition": guard, "Properties": {
            "GroupId": {"Ref": f"Sg{name}"}, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}}
        svc = copy.deepcopy(res[svc_lid])
        svc.pop("DependsOn", None)
        aws = svc["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        aws["SecurityGroups"] = [{"Ref": f"Sg{name}"}]
        res[f"Svc{name}"] = svc
    return t


def _route_toggles(base, names, faulty_when_true=()):
    """A clone of the base's service per name in a subnet of its own whose route table is on the S3
    gateway endpoint only under condition `name` (or its negation): EN3001 when it is not."""
    t = copy.deepcopy(base)
    res = t["Resources"]
    svc_lid = next(l for l, r in res.items() if r.get("Type") == "AWS::ECS::Service" and "NetworkConfiguration" in r.get("Properties", {}))
    vpc = next(l for l, r in res.items() if r.get("Type") == "AWS::EC2::VPC")
    s3 = next(l for l, r in res.items() if r.get("Type") == "AWS::EC2::VPCEndpoint" and ".s3" in str(r["Properties"].get("ServiceName"))
              and r["Properties"].get("VpcEndpointType", "Gateway") == "Gateway")
    t.setdefault("Parameters", {})
    t.setdefault("Conditions", {})
    for k, name in enumerate(names):
        t["Parameters"][f"P{name}"] = {"Type": "String"}
        t["Conditions"][name] = {"Fn::Equals": [{"Ref": f"P{name}"}, "on"]}
        yes, no = ({"Ref": f"Rt{name}"}, {"Ref": "AWS::NoValue"})
        if name in faulty_when_true:
            yes, no = no, yes
        res[f"Subnet{name}"] = {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": vpc}, "CidrBlock": f"10.0.{200 + k}.0/24", "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}}
        res[f"Rt{name}"] = {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": vpc}}}
        res[f"Assoc{name}"] = {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
            "SubnetId": {"Ref": f"Subnet{name}"}, "RouteTableId": {"Ref": f"Rt{name}"}}}
        rts = res[s3]["Properties"].setdefault("RouteTableIds", [])
        rts.append({"Fn::If": [name, yes, no]})
        svc = copy.deepcopy(res[svc_lid])
        svc.pop("DependsOn", None)
        svc["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] = [{"Ref": f"Subnet{name}"}]
        res[f"Svc{name}"] = svc
    return t


def test_a_capped_template_says_which_conditions_it_did_not_combine():
    base = _load(FIXTURES / "good_private_endpoints.yaml")
    names = [f"Toggle{i:02d}" for i in range(8)]
    t = _egress_toggles(base, names)
    raws = raw_for(t)
    cap = _cap_finding(raws)
    assert len(cap) == 1
    assert cap[0].path == ("Conditions", "Toggle00")
    assert "of 256 combinations that matter to the network checks, 64 were analysed (the limit is 64)" in cap[0].message
    for n in names:
        assert re.search(rf"\b{n}\b", cap[0].message), n
        # and yet every single fault was found: every condition was analysed true and false
        hits = [r for r in raws if r.rule_id == "EN1001" and r.workload == f"Svc{n}"]
        assert hits and all(f"when condition {n} is false" in r.message for r in hits), n
    assert "each condition was analysed with each of its values, and every three of them together" in cap[0].message


def test_the_cap_finding_is_on_the_first_condition_line_in_both_paths(tmp_path):
    from ecsnetpolicy.cli import main
    from helpers import ours, plugin_run, standalone

    base = _load(FIXTURES / "good_private_endpoints.yaml")
    t = _egress_toggles(base, [f"Toggle{i:02d}" for i in range(7)])
    path = tmp_path / "capped.yaml"
    path.write_text(yaml.safe_dump(json.loads(json.dumps(t)), sort_keys=False), encoding="utf-8")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("  Toggle00:"))
    rows = standalone(path)
    cap = [r for r in rows if r[0] == "IN9001" and "every combination of its conditions" in r[3]]
    assert len(cap) == 1 and cap[0][1] == line
    assert ours(plugin_run([path])[str(path)]) == rows
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["check", "--format", "json", "--fail-on", "none", str(path)])
    assert code == 0
    assert [m["Location"]["Start"]["LineNumber"] for m in json.loads(out.getvalue()) if "every combination" in m["Message"]] == [line]


def test_a_large_template_has_a_lower_cap_and_says_so():
    base = _load(FIXTURES / "good_private_endpoints.yaml")
    t = _egress_toggles(base, ["A1", "A2", "A3", "A4", "A5"])
    for i in range(2000):  # a resource the checks read costs time in every scenario; others do not count
        t["Resources"][f"Rule{i}"] = {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "EndpointSecurityGroup"}, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": f"10.1.{i % 250}.0/24"}}
        t["Resources"][f"Log{i}"] = {"Type": "AWS::Logs::LogGroup"}
    plan = _plan(t)
    read = len(sc.slice_template(t).resources)
    assert 2000 < read < 2100 and plan.limit == max(sc.MIN_SCENARIOS, sc.WORK_BUDGET // read) < 32
    assert plan.capped and len(plan.scenarios) == plan.limit and plan.strength >= 2  # still every pair
    path, message = plan.unexplored_finding()
    assert path == ("Conditions", "A1")
    assert f"the limit for a template whose network checks read {read} resources is {plan.limit}" in message


def test_undecidable_comparisons_are_inputs_too_and_never_silently_false():
    base = _load(FIXTURES / "good_private_endpoints.yaml")
    names = [f"Imp{i:02d}" for i in range(14)]
    t = _egress_toggles(base, names)
    for n in names:  # each compares an import: more than MAX_ATOMS undecidable comparisons
        t["Conditions"][n] = {"Fn::Equals": [{"Fn::ImportValue": f"x-{n}"}, "on"]}
    plan = _plan(t)
    assert plan.capped and plan.total is None
    path, message = plan.unexplored_finding()
    assert "may not have been analysed with every value" in message
    assert "more combinations than could be counted" in message and "each condition was analysed" not in message
    assert all(re.search(rf"\b{n}\b", message) for n in names[:sc._NAMES_SHOWN])


def test_partial_findings_still_say_when():
    t = _load(FIXTURES / "traps/f_conditional_route_tables.yaml")
    raws = raw_for(t)
    assert [r.rule_id for r in raws] == ["EN3001"]
    assert raws[0].message.endswith("(when condition TwoRouteTables is false).")


def test_a_parameter_read_only_in_conditions_does_not_multiply_scenarios():
    base = _load(FIXTURES / "good_private_endpoints.yaml")
    t = _egress_toggles(base, ["Mode"])
    t["Parameters"]["PMode"]["AllowedValues"] = [f"v{i}" for i in range(80)] + ["on"]
    plan = _plan(t)
    assert len(plan.scenarios) == 2 and not plan.capped  # "on" and one stand-in for the 80 others
    # read directly by a resource too, each value matters to the analysis: listed while they fit,
    # then folded into "any other allowed value" (unknown to the resources, so IN9001 where it matters)
    t["Resources"]["SgMode"]["Properties"]["GroupDescription"] = {"Ref": "PMode"}
    plan = _plan(t)
    assert not plan.capped and len(plan.scenarios) == 2
    assert {s.params.get("PMode") for s in plan.scenarios} == {"on", None}
    t["Parameters"]["PMode"]["AllowedValues"] = ["on", "v1", "v2"]
    assert {s.params.get("PMode") for s in _plan(t).scenarios} == {"on", "v1", "v2"}


def test_importing_either_module_first_works():
    for first in ("ecsnetpolicy.values.conditions", "ecsnetpolicy.values"):
        code = f"import {first}; from ecsnetpolicy.values import scenarios, describe_scenarios, Scenario, MAX_SCENARIOS, ConditionEvaluator"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr


# ------------------------------------------------------------------------------------ the property
def _bases():
    """Small passing fixtures with an awsvpc Fargate service: (template, can it take route toggles)."""
    out = []
    for path in fixture_files():
        rel = os.path.relpath(path, FIXTURES)
        if EXPECTATIONS.get(rel) != [] or "ec2" in rel:
            continue
        t = _load(path)
        res = t.get("Resources", {})
        if t.get("Conditions") or not any(r.get("Type") == "AWS::EC2::VPC" for r in res.values()):
            continue
        if not any(r.get("Type") == "AWS::ECS::Service" and "NetworkConfiguration" in r.get("Properties", {}) for r in res.values()):
            continue
        kinds = []
        for kind, build, rule in (("egress", _egress_toggles, "EN1001"), ("route", _route_toggles, "EN3001")):
            try:
                faulty = build(t, ["Probe"], faulty_when_true=["Probe"])
            except StopIteration:
                continue
            # the fault must show when its condition holds, and only then
            if any(r.rule_id == rule and r.workload == "SvcProbe" for r in raw_for(faulty, params={"PProbe": "on"})) and not any(
                r.rule_id == rule and r.workload == "SvcProbe" for r in raw_for(copy.deepcopy(faulty), params={"PProbe": "off"})
            ):
                kinds.append((kind, build, rule))
        if kinds:
            out.append((rel, t, kinds))
    return out


BASES = _bases()


def test_the_property_has_bases_of_both_kinds():
    kinds = {k for _, _, ks in BASES for k, _, _ in ks}
    assert len(BASES) >= 5 and kinds == {"egress", "route"}


# up to 64 analyses an example (~0.3 s): 25 in CI, 1,000 (~6 min) in the fuzz profile
@settings(PROFILE, max_examples=min(PROFILE.max_examples, 25 if PROFILE_NAME == "ci" else 1000))
@given(data=st.data())
def test_any_number_of_independent_conditions_finds_each_fault_or_says_which_it_did_not_explore(data):
    rel, base, kinds = data.draw(st.sampled_from(BASES), label="base")
    k = data.draw(st.integers(1, 12), label="conditions")
    noise = data.draw(st.integers(0, 4), label="irrelevant conditions")
    names = [f"Toggle{i:02d}" for i in range(k)]
    plan = []
    for n in names:
        kind = data.draw(st.sampled_from(kinds), label=f"kind of {n}")
        plan.append((n, kind, data.draw(st.booleans(), label=f"{n} faulty when true")))
    note(f"base {rel}: {[(n, kind[0], w) for n, kind, w in plan]}")
    t = copy.deepcopy(base)
    for n, (kind, build, rule), when_true in plan:
        t = build(t, [n], faulty_when_true=[n] if when_true else [])
    for j in range(noise):  # conditions on things no check reads must not eat into the cap
        t["Parameters"][f"PNoise{j}"] = {"Type": "String"}
        t["Conditions"][f"Noise{j}"] = {"Fn::Equals": [{"Ref": f"PNoise{j}"}, "x"]}
        t["Resources"][f"Noise{j}"] = {"Type": "AWS::Logs::LogGroup", "Condition": f"Noise{j}"}
    raws = raw_for(t)
    cap = _cap_finding(raws)
    assert len(cap) <= 1
    for r in raws:
        assert "Noise" not in r.message
    for n, (kind, build, rule), when_true in plan:
        value = "true" if when_true else "false"
        found = [r for r in raws if r.rule_id == rule and r.workload == f"Svc{n}" and f"condition {n} is {value}" in r.message]
        named = bool(cap) and re.search(rf"\b{n}\b", cap[0].message)
        assert found or named, (n, rule, value)
        if 2 ** k <= sc.MAX_SCENARIOS:
            assert found and not cap, n  # few enough: every combination analysed, nothing left to say
