"""Traffic into the tasks (issue 12) at the unit level: the port ranges security groups must admit
(bridge tasks' dynamic host ports, which no workload of this branch has yet: the network mode is set
on the built Workload), Network Load Balancers with client IP preservation, and the state's
queries.  The fixtures under tests/fixtures/templates/EN7*/ and inbound/ cover the rest."""

from __future__ import annotations

import ipaddress

import pytest

from ecsnetpolicy.checks.coverage import in9001
from ecsnetpolicy.checks.inbound import DYNAMIC_PORTS, judge
from ecsnetpolicy.engine import analyse
from ecsnetpolicy.load.template import loads
from ecsnetpolicy.state import NetworkState, Rule, SecurityGroup
from helpers import FIXTURES

BASE = (FIXTURES / "inbound" / "good_alb_fargate_private.yaml").read_text(encoding="utf-8")
TASK_INGRESS = """          FromPort: 8080
          ToPort: 8080
          SourceSecurityGroupId: !Ref LoadBalancerSecurityGroup
"""


def _analysis(text: str, mode: str = "awsvpc"):
    """The first scenario's analysis, with every workload put in network mode `mode` (as the
    workload adapter of issue 14 will build bridge and host workloads)."""
    a = analyse(loads(text, "t.yaml")).analyses[0]
    for w in a.state.workloads.values():
        w.network_mode = mode
    a.__dict__.pop("_inbound", None)
    return a


def _rules(a):
    j = judge(a)
    return {rid: [r.message for r in raws] for rid, raws in j.raws.items() if raws}


def _bridge(ingress_from: int, ingress_to: int, host_port: str = "") -> str:
    """The ALB baseline as a bridge service: instance target group, the container's host port
    (dynamic when `host_port` is empty) and a task group admitting `ingress_from`-`ingress_to`."""
    text = BASE.replace("      TargetType: ip\n", "      TargetType: instance\n")
    text = text.replace(TASK_INGRESS, TASK_INGRESS.replace("FromPort: 8080", f"FromPort: {ingress_from}").replace("ToPort: 8080", f"ToPort: {ingress_to}"))
    if host_port:
        text = text.replace("            - ContainerPort: 8080\n", f"            - ContainerPort: 8080\n              HostPort: {host_port}\n")
    return text


def test_bridge_dynamic_host_ports_admitted_whole_range_is_clean():
    a = _analysis(_bridge(*DYNAMIC_PORTS), "bridge")
    assert _rules(a) == {}
    assert [r for r in in9001(a) if "load balancer" in r.message] == []


@pytest.mark.parametrize("host_port", ["", "0"])
def test_bridge_dynamic_host_ports_not_admitted_is_en7003(host_port):
    a = _analysis(_bridge(8080, 8080, host_port), "bridge")
    got = _rules(a)
    assert list(got) == ["EN7003"]
    assert "does not allow the dynamic host ports (32768-65535) (traffic and health checks)" in got["EN7003"][0]
    assert "an ingress rule for TCP 32768-65535 from security group LoadBalancerSecurityGroup" in got["EN7003"][0]
    fix = judge(a).raws["EN7003"][0].fix
    assert fix is not None and fix.kind == "append" and fix.value["FromPort"] == 32768 and fix.value["ToPort"] == 65535


def test_bridge_dynamic_host_ports_partly_admitted_is_unknown_never_an_error():
    """Docker's range is the instance's ip_local_port_range (32768-60999 by default on Linux),
    else 49153-65535: a group admitting only the latter may or may not be enough."""
    a = _analysis(_bridge(49153, 65535), "bridge")
    assert _rules(a) == {}
    notes = [r.message for r in in9001(a) if "load balancer LoadBalancer" in r.message]
    assert notes and "admits only part of TCP ports 32768-65535" in notes[0]


def test_bridge_static_host_port_needs_that_port_not_the_container_port():
    a = _analysis(_bridge(8080, 8080, "80"), "bridge")
    got = _rules(a)
    assert list(got) == ["EN7003"] and "does not allow TCP 80 (traffic and health checks)" in got["EN7003"][0]
    assert _rules(_analysis(_bridge(80, 80, "80"), "bridge")) == {}


def test_target_type_is_judged_for_awsvpc_only():
    text = BASE.replace("      TargetType: ip\n", "      TargetType: instance\n")
    assert list(_rules(_analysis(text))) == ["EN7001"]
    for mode in ("bridge", "host"):
        assert "EN7001" not in _rules(_analysis(text, mode))


def test_en7001_fix_sets_target_type_ip():
    a = _analysis(BASE.replace("      TargetType: ip\n", ""))
    fix = judge(a).raws["EN7001"][0].fix
    assert (fix.path, fix.key, fix.value, fix.kind) == (("Resources", "TargetGroup", "Properties"), "TargetType", "ip", "set")


def test_en7003_fix_appends_ingress_from_the_load_balancer_group_never_open():
    a = _analysis(BASE.replace(TASK_INGRESS, TASK_INGRESS.replace("8080", "80")))
    fix = judge(a).raws["EN7003"][0].fix
    assert fix.kind == "append" and fix.key == "SecurityGroupIngress"
    assert fix.value == {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "SourceSecurityGroupId": {"Ref": "LoadBalancerSecurityGroup"}}
    assert "0.0.0.0/0" not in str(fix.value)


def _nlb(tg_extra: str, protocol: str = "TCP") -> str:
    text = (FIXTURES / "inbound" / "good_nlb_without_groups.yaml").read_text(encoding="utf-8")
    return text.replace("      Protocol: TCP\n      Port: 8080\n", f"      Protocol: {protocol}\n      Port: 8080\n{tg_extra}")


def test_nlb_client_ip_preservation_leaves_the_clients_unknown_never_an_error():
    attr = "      TargetGroupAttributes:\n        - Key: preserve_client_ip.enabled\n          Value: 'true'\n"
    a = _analysis(_nlb(attr))
    assert _rules(a) == {}
    notes = [r.message for r in in9001(a) if "preserves client IP addresses" in r.message]
    assert len(notes) == 1 and "LoadBalancer" in notes[0]


def test_nlb_without_preservation_needs_only_its_subnets():
    attr = "      TargetGroupAttributes:\n        - Key: preserve_client_ip.enabled\n          Value: 'false'\n"
    a = _analysis(_nlb(attr))
    assert _rules(a) == {} and [r for r in in9001(a) if "load balancer" in r.message] == []


def test_nlb_subnets_admitted_one_by_one():
    """Two rules, one per load balancer subnet, admit the nodes together."""
    a = _analysis(_nlb(""))
    assert _rules(a) == {}
    only_a = _nlb("").replace("          CidrIp: 10.0.3.0/24\n", "          CidrIp: 10.0.9.0/24\n")
    got = _rules(_analysis(only_a))
    assert list(got) == ["EN7003"] and "PublicSubnetA and PublicSubnetB" in got["EN7003"][0]


def _sg(*rules: Rule) -> SecurityGroup:
    return SecurityGroup("Tasks", "Vpc", ("Resources", "Tasks"), ingress=list(rules))


@pytest.mark.parametrize(
    "rules,expected",
    [
        ([Rule("6", 32768, 65535, peer_sg="Lb")], True),
        ([Rule("6", 32768, 50000, peer_sg="Lb"), Rule("6", 50001, 65535, peer_sg="Lb")], True),
        ([Rule("-1", None, None, peer_sg="Lb")], True),
        ([Rule("6", 8080, 8080, peer_sg="Lb")], False),
        ([Rule("17", 0, 65535, peer_sg="Lb")], False),
        ([Rule("6", 32768, 65535, peer_sg="Other")], False),
        ([Rule("6", 49153, 65535, peer_sg="Lb")], "unknown"),
    ],
)
def test_ingress_port_ranges(rules, expected):
    st = NetworkState()
    st.sgs["Tasks"] = _sg(*rules)
    got = st.ingress_from(["Tasks"], *DYNAMIC_PORTS, src_sgs=["Lb"])
    assert (got if isinstance(got, bool) else "unknown") == expected


def test_ingress_from_a_network_needs_a_rule_covering_it():
    st = NetworkState()
    st.sgs["Tasks"] = _sg(Rule("6", 8080, 8080, cidr=ipaddress.ip_network("10.0.0.0/16")))
    assert st.ingress_from(["Tasks"], 8080, 8080, src_net=ipaddress.ip_network("10.0.3.0/24")) is True
    assert st.ingress_from(["Tasks"], 8080, 8080, src_net=ipaddress.ip_network("10.1.0.0/24")) is False


def test_graph_and_summary_show_the_inbound_path_beside_the_outbound_one():
    from ecsnetpolicy.report.graph import build_summary, render_graph

    report = analyse(loads(BASE.replace(TASK_INGRESS, TASK_INGRESS.replace("8080", "80")), "t.yaml"))
    text = render_graph(report, "t.yaml")
    assert "  internet path" in text and "  inbound path (load balancer -> target group -> tasks)" in text
    assert text.rstrip().splitlines()[-3].split() == [
        "LoadBalancer", "(application,", "internet-facing)", "TargetGroup", "(ip,", "port", "8080,", "health", "checks", "traffic-port)",
        "container", "api", "port", "8080", "EN7003"]
    mermaid = render_graph(report, "t.yaml", "mermaid")
    assert "lb_LoadBalancer -.->|" in mermaid and "EN7003" in mermaid
    summary = build_summary(analyse(loads(BASE, "t.yaml")), "t.yaml")
    assert summary["workloads"][0]["inbound path"] == {
        "LoadBalancer (application, internet-facing) → TargetGroup (ip, port 8080, health checks traffic-port) → container api port 8080": "ok"}


LB_EGRESS_443 = """          CidrIp: 0.0.0.0/0
      SecurityGroupEgress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 0.0.0.0/0

  LoadBalancer:"""


def _lb_https_only(text: str) -> str:
    return text.replace("          CidrIp: 0.0.0.0/0\n\n  LoadBalancer:", LB_EGRESS_443, 1)


def test_en7004_fix_never_makes_two_groups_name_each_other():
    """The task group names the load balancer's group inline: an inline egress rule back would be a
    circular dependency (cfn-lint E3004), so EN7004 carries no Fix; the message still says what to add."""
    a = _analysis(_lb_https_only(BASE))
    raw = judge(a).raws["EN7004"][0]
    assert raw.fix is None and "an egress rule for TCP 8080 to security group TaskSecurityGroup" in raw.message
    by_cidr = _lb_https_only(BASE.replace(TASK_INGRESS, TASK_INGRESS.replace("SourceSecurityGroupId: !Ref LoadBalancerSecurityGroup", "CidrIp: 10.0.0.0/16")))
    fix = judge(_analysis(by_cidr)).raws["EN7004"][0].fix
    assert fix.kind == "append" and fix.value == {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "DestinationSecurityGroupId": {"Ref": "TaskSecurityGroup"}}


@pytest.mark.parametrize(
    "old,new,blocked",
    [
        ("      TargetType: ip\n", "      TargetType: !Ref TargetType\n", "parameter TargetType has no value"),
        ("      SecurityGroups:\n        - !Ref LoadBalancerSecurityGroup\n", "      SecurityGroups: !Ref LbGroups\n", "parameter LbGroups has no value"),
        ("        - !Ref PublicSubnetA\n        - !Ref PublicSubnetB\n      SecurityGroups:", "        - !Ref LbSubnetA\n        - !Ref PublicSubnetB\n      SecurityGroups:", "parameter LbSubnetA has no value"),
    ],
    ids=["target-type", "lb-groups", "lb-subnet"],
)
def test_unknown_load_balancer_values_give_in9001_never_an_error(old, new, blocked):
    """The target type, the load balancer's groups, or one of its subnets (the only one that could
    cover the zone of PrivateSubnetA) made a parameter without a value: IN9001 naming it, no E or W."""
    name = new.split("!Ref ")[1].split("\n")[0]
    text = BASE.replace("Resources:\n", f"Parameters:\n  {name}:\n    Type: String\n\nResources:\n", 1)
    assert old in text
    a = _analysis(text.replace(old, new, 1))
    assert _rules(a) == {}
    notes = [r.message for r in in9001(a)]
    assert any(blocked in m for m in notes), notes


def test_a_target_type_under_a_condition_is_reported_for_that_scenario():
    from ecsnetpolicy.api import raw_for

    text = BASE.replace("Resources:\n", "Parameters:\n  Mode:\n    Type: String\n    AllowedValues: [ip, legacy]\nConditions:\n  UseIp: !Equals [!Ref Mode, ip]\n\nResources:\n", 1)
    text = text.replace("      TargetType: ip\n", "      TargetType: !If [UseIp, ip, instance]\n")
    raws = raw_for(loads(text, "t.yaml"))
    assert [r.rule_id for r in raws] == ["EN7001"]
    assert raws[0].message.endswith("set TargetType: ip on TargetGroup (when condition UseIp is false).")
