"""`ecsnetpolicy graph`: what the engine concluded, drawn per workload, and the coverage summary
the markdown (pull-request) report appends.

For each workload (first condition scenario; the output says how many there are):

- an Availability Zone x needed-service matrix.  A cell is ``ok`` (served in that AZ: an interface
  endpoint with a subnet in that AZ, or the S3 gateway endpoint on the subnet's route table),
  ``cross-AZ`` (an interface endpoint without a subnet in that AZ), ``internet`` (through a NAT or
  internet gateway), ``MISSING`` / ``NO ROUTE`` / ``NO DNS`` / ``WRONG TYPE`` / ``NO INTERNET``
  (the failing verdicts) or ``?`` (the templates cannot decide);
- each task subnet's route table, and whether it is in the S3 gateway endpoint's RouteTableIds;
- each task subnet's internet path;
- the inbound path beside the outbound one: each load balancer that sends to the workload, through
  which target group, to which container and port, and what the inbound rules (EN7001-EN7006)
  concluded (``ok``, the rule IDs that fired, or ``?``).

A resource the account adapter read (from an ``--aws-snapshot`` folder or live) rather than the
template is marked wherever its ID is shown: ``subnet-0a1b†`` in the text graph and the coverage
summary (with a legend line, only when one is shown), ``subnet subnet-0a1b (account)`` in a Mermaid
node label.  Template resources render as before.

Entry points: :func:`render_graph` (``text`` or ``mermaid``; :func:`render_deployment_graph` for
a template judged with the stacks it imports from), :func:`build_summary` (one template) and
:func:`deployment_summary` (what ``check --format markdown`` passes): the ``summary`` mapping
:func:`ecsnetpolicy.report.render` consumes for ``markdown``.  Reads only the engine's report;
imports nothing from cfn-lint.  The deployment entry points judge stacks with the two functions
their caller passes (``api.deployment_units`` and ``api.report_for``): report sits below api.

Template text (logical IDs, condition names, parameter text, file names) reaches the output
through one sanitising step per format: ``_t`` (phrasing.safe) for each value the text format
shows, ``mermaid_label`` (phrasing.safe, then Mermaid entity codes) for every label and comment
of the Mermaid format, whose node IDs are ours (a kind prefix and ``[A-Za-z0-9_]``, bounded).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from ..checks.inbound import judge
from ..engine import Analysis, Report, Verdict
from ..state import Endpoint, Workload, az_label, same_az, tri_any
from ..phrasing import safe
from ..values import AZ, Unknown

GRAPH_FORMATS = ("text", "mermaid")

OK, CROSS_AZ, INTERNET, UNKNOWN = "ok", "cross-AZ", "internet", "?"
FAILING = {
    "missing": "MISSING",
    "s3-route": "NO ROUTE",
    "no-private-dns": "NO DNS",
    "wrong-type": "WRONG TYPE",
    "no-internet": "NO INTERNET",
}
# a cell shows the worst of its verdicts (several subnets in one AZ, several needs of one service)
_RANK = {OK: 0, INTERNET: 1, CROSS_AZ: 2, UNKNOWN: 3, **{label: 4 + i for i, label in enumerate(FAILING.values())}}

LEGEND = {
    OK: "served in that AZ (an endpoint subnet in the AZ, or the gateway endpoint on the route table)",
    CROSS_AZ: "an interface endpoint without a subnet in that AZ: works, across AZs",
    INTERNET: "through a NAT gateway or an internet gateway",
    "MISSING": "no endpoint and no internet path",
    "NO ROUTE": "the gateway endpoint is not on the subnet's route table, and no internet path",
    "NO DNS": "the interface endpoint lacks PrivateDnsEnabled: true, and no internet path",
    "WRONG TYPE": "the endpoint has the wrong VpcEndpointType, and no internet path",
    "NO INTERNET": "only the internet serves it, and the subnet has no internet path",
    UNKNOWN: "not decidable from the templates (see the IN9001 findings)",
}


def _legend(statuses: Iterable[str]) -> Dict[str, str]:
    used = set(statuses)
    return {k: v for k, v in LEGEND.items() if k in used}


# ---------------------------------------------------------------------------------- account resources
ACCOUNT_MARK = "\u2020"  # the dagger after an account resource's ID (text graph, coverage summary)
ACCOUNT_LEGEND = "a resource of the AWS account (from the snapshot or read live), not of the template"
MERMAID_ACCOUNT = " (account)"  # after an account resource's ID in a Mermaid label: needs no legend
# an AWS resource ID (subnet-0a1b2c, rtb-..., vpce-..., nat-...) is one such token; a logical ID
# too, but no logical ID is ever a key of an account fact (those carry a "-")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


def account_ids(state: Any) -> FrozenSet[str]:
    """The IDs of the network facts the account adapter added (``origin.source == "account"``)."""
    ids = set()
    for facts in (state.vpcs, state.subnets, state.route_tables, state.nats, state.igws, state.sgs, state.endpoints, state.nacls):
        for key, fact in facts.items():
            origin = getattr(fact, "origin", None)
            if origin is None or origin.source != "account":
                continue
            for rid in (key, origin.resource_id):
                if isinstance(rid, str) and rid:
                    ids.add(rid)
    return frozenset(ids)


class _Marker:
    """Marks each account resource ID in a text with ``suffix``; ``used`` says whether it did.
    A template-only state has no account ID: every text comes back unchanged."""

    def __init__(self, analysis: Optional[Analysis], suffix: str) -> None:
        self.ids = account_ids(analysis.state) if analysis is not None else frozenset()
        self.suffix = suffix
        self.used = False

    def _one(self, m: "re.Match[str]") -> str:
        if m.group() in self.ids:
            self.used = True
            return m.group() + self.suffix
        return m.group()

    def __call__(self, text: Any) -> Any:
        if not self.ids or not isinstance(text, str):
            return text
        return _TOKEN_RE.sub(self._one, text)


# ---------------------------------------------------------------------------------- the view
@dataclass
class SubnetView:
    lid: str
    az: str  # row label
    route_table: str  # "PrivateRouteTableA", "main route table of VPC Vpc", "? (why)"
    s3: str  # "yes (S3GatewayEndpoint)", "no (...)", "?", "no S3 gateway endpoint in VPC X"
    s3_ok: Any  # True / False / None (unknown or no gateway)
    internet: Any  # True / False / Unknown
    internet_text: str


@dataclass
class WorkloadView:
    workload: Workload
    services: List[str] = field(default_factory=list)
    rows: List[Tuple[str, List[str]]] = field(default_factory=list)  # (AZ label, subnets)
    cells: Dict[Tuple[str, str], str] = field(default_factory=dict)
    subnets: List[SubnetView] = field(default_factory=list)
    verdicts: List[Verdict] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)  # what could not be shown, and why
    inbound: List["InboundView"] = field(default_factory=list)  # traffic into the tasks (issue 12)


@dataclass
class InboundView:
    """One LoadBalancers entry of a workload: load balancer -> target group -> container:port."""

    lb: Optional[str]  # the load balancer's lid; None when not known
    source: str  # "LoadBalancer (application, internet-facing)", or what is not known
    target_group: str
    target: str  # "container api port 8080"
    status: str  # "ok", "EN7003, EN7004", or "?"

    @property
    def failing(self) -> bool:
        return self.status != "ok"


def _az_row(a: Analysis, subnet: str) -> Tuple[Tuple[int, Any], str]:
    az = a.state.az_of(subnet)
    if isinstance(az, Unknown):
        return (2, subnet), f"AZ of {subnet}: ?"
    if isinstance(az, AZ):
        return (0, az.index), az_label(az)
    return (1, az_label(az)), az_label(az)


def cell_status(a: Analysis, v: Verdict) -> str:
    """The matrix cell of one verdict (before aggregation)."""
    if v.outcome in FAILING:
        return FAILING[v.outcome]
    if v.outcome != "ok":
        return UNKNOWN
    if v.via == "internet":
        return INTERNET
    ep = v.via
    if not isinstance(ep, Endpoint) or ep.type != "Interface":
        return OK  # the gateway endpoint serves every subnet whose route table it is on
    if isinstance(ep.subnets, Unknown):
        return UNKNOWN
    here = a.state.az_of(v.subnet)
    covered = tri_any([same_az(here, a.state.az_of(s)) for s, _ in ep.subnets])
    if covered is True:
        return OK
    if covered is False:
        return CROSS_AZ
    return UNKNOWN


def _worst(a: str, b: Optional[str]) -> str:
    if b is None:
        return a
    return a if _RANK.get(a, 3) >= _RANK.get(b, 3) else b


def _s3_gateways(a: Analysis, vpc: Any) -> List[Endpoint]:
    return [
        ep for ep in a.state.endpoints.values()
        if ep.service == "s3" and ep.type == "Gateway" and (ep.vpc == vpc or isinstance(ep.vpc, Unknown))
    ]


def _route_table_text(a: Analysis, subnet: str) -> Tuple[str, Any]:
    sn = a.state.subnets[subnet]
    rt = sn.route_table
    if isinstance(rt, Unknown):
        return f"? ({rt.why})", rt
    if rt is None:
        vpc = sn.vpc if isinstance(sn.vpc, str) else "?"
        return f"main route table of VPC {vpc}", None
    return rt, rt


def _s3_text(a: Analysis, subnet: str, rt: Any) -> Tuple[str, Any]:
    sn = a.state.subnets[subnet]
    gateways = _s3_gateways(a, sn.vpc)
    if not gateways:
        vpc = sn.vpc if isinstance(sn.vpc, str) else "of the subnet"
        return f"no S3 gateway endpoint in VPC {vpc}", None
    unknown: Optional[str] = None
    names = [gw.lid for gw in gateways]
    for gw in gateways:
        if isinstance(gw.route_tables, Unknown):
            unknown = unknown or gw.route_tables.why
            continue
        ids = [x for x, _ in gw.route_tables]
        if isinstance(rt, str) and rt in ids:
            return f"in RouteTableIds of {gw.lid}", True
        bad = next((x for x in ids if isinstance(x, Unknown)), None)
        if bad is not None:
            unknown = unknown or bad.why
    if isinstance(rt, Unknown):
        return "? (the route table is not known)", None
    if unknown is not None:
        return f"? ({unknown})", None
    return f"NOT in RouteTableIds of {' or '.join(names)}", False


def _internet_text(a: Analysis, subnet: str, w: Workload) -> Tuple[Any, str]:
    has, why = a.state.internet_path(subnet, w)
    if has is True:
        return True, f"yes, through {why}" if why else "yes"
    if has is False:
        return False, f"none: {why}" if why else "none"
    reason = has.why if isinstance(has, Unknown) else str(has)
    return has, f"? ({reason})"


def workload_views(a: Analysis) -> List[WorkloadView]:
    """One view per workload entry of the analysis (awsvpc tasks, or the container instances
    bridge/host tasks, daemons and EC2 agents use), in template order."""
    # keyed by the workload entry: one workload on several groups of instances has an entry per group
    by_workload: Dict[int, List[Verdict]] = {}
    for v in a.verdicts:
        by_workload.setdefault(id(v.workload), []).append(v)
    notes: Dict[int, List[str]] = {}
    for unknown, w, what in a.unknowns:
        text = f"{what.format(w=w.label)}: {unknown.why}"
        bucket = notes.setdefault(id(w), [])
        if text not in bucket:
            bucket.append(text)
    views = []
    for w in a.state.workloads.values():
        view = WorkloadView(w, verdicts=by_workload.get(id(w), []), notes=list(notes.get(id(w), [])))
        subnets: List[str] = []
        if not isinstance(w.subnets, Unknown):
            subnets = [s for s, _ in w.subnets if isinstance(s, str) and s in a.state.subnets]
        rows: Dict[str, Tuple[Any, List[str]]] = {}
        for s in dict.fromkeys(subnets):
            key, label = _az_row(a, s)
            rows.setdefault(label, (key, []))[1].append(s)
            rt_text, rt = _route_table_text(a, s)
            s3_text, s3_ok = _s3_text(a, s, rt)
            has, inet_text = _internet_text(a, s, w)
            view.subnets.append(SubnetView(s, label, rt_text, s3_text, s3_ok, has, inet_text))
        view.rows = [(label, subs) for label, (_, subs) in sorted(rows.items(), key=lambda kv: kv[1][0])]
        row_of = {s: label for label, subs in view.rows for s in subs}
        for v in view.verdicts:
            if v.service not in view.services:
                view.services.append(v.service)
            label = row_of.get(v.subnet)
            if label is None:
                continue
            key = (label, v.service)
            view.cells[key] = _worst(cell_status(a, v), view.cells.get(key))
        view.services.sort(key=lambda s: (s == "internet", s))
        view.inbound = inbound_views(a, w)
        views.append(view)
    return views


_INBOUND_RULES = ("EN7001", "EN7002", "EN7003", "EN7004", "WN7005", "EN7006")


def inbound_views(a: Analysis, w: Workload) -> List[InboundView]:
    """The inbound paths of one workload and what the inbound rules concluded about each."""
    st = a.state
    j = judge(a)
    unknown = any(item[1] is w for item in j.unknowns)
    out: List[InboundView] = []
    for att in st.lb_attachments:
        if st.workloads.get(att.workload) is not w:
            continue
        target = f"container {att.container} port {att.port}" if not isinstance(att.container, Unknown) and not isinstance(att.port, Unknown) else "container ?"
        tg_id = att.target_group
        if isinstance(tg_id, Unknown):
            out.append(InboundView(None, "?", f"? ({tg_id.why})", target, "?"))
            continue
        tg = st.target_groups[tg_id]
        tg_text = f"{tg.lid} ({tg.target_type if isinstance(tg.target_type, str) else '?'}, port {tg.port if isinstance(tg.port, int) else '?'}, health checks {tg.health_port if not isinstance(tg.health_port, Unknown) else '?'})"
        fired = [rid for rid in _INBOUND_RULES for raw in j.raws.get(rid, [])
                 if raw.workload == w.lid and (tg.lid in raw.message or tuple(raw.path) == tuple(att.path))]
        status = ", ".join(dict.fromkeys(fired)) or ("?" if unknown else "ok")
        lbs = tg.load_balancers or [Unknown("no listener forwards to it")]
        for lb_id in lbs:
            if isinstance(lb_id, Unknown):
                out.append(InboundView(None, f"? ({lb_id.why})", tg_text, target, status if fired else "?"))
                continue
            lb = st.load_balancers[lb_id]
            kind = ", ".join(x if isinstance(x, str) else "?" for x in (lb.type, lb.scheme))
            out.append(InboundView(lb.lid, f"{lb.lid} ({kind})", tg_text, target, status))
    return out


def _views(analysis: Optional[Analysis], include: Optional[Callable[[str], bool]]) -> List[WorkloadView]:
    if analysis is None:
        return []
    return [v for v in workload_views(analysis) if include is None or include(v.workload.lid)]


def _scenario_words(report: Report) -> Optional[str]:
    n = len(report.analyses)
    if n <= 1:
        return None
    first = report.analyses[0].scenario
    conds = ", ".join(f"{name} {'true' if val else 'false'}" for name, val in sorted(first.conditions.items()))
    return f"{n} condition scenarios; showing the first" + (f" ({conds})" if conds else "")


# ---------------------------------------------------------------------------------- text
MAX_TEXT = 1000  # characters of one value (a name, a reason) the graph shows


def _t(value: Any) -> str:
    """Template text made safe for a terminal and a CI log (phrasing.safe): one line, no control
    characters, no line-start ``::`` workflow command, bounded."""
    return safe(value, MAX_TEXT)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "    ") -> List[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for r in [header, *rows]:
        cells = [str(c).ljust(widths[i]) for i, c in enumerate(r)]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


NO_WORKLOAD = "no ECS service or task set with awsvpc networking"


def _prepare(report: Report, include: Optional[Callable[[str], bool]]):
    """What both renderers start from: the scenario words, the first scenario's analysis, and the
    workload views to draw."""
    analysis = report.analyses[0] if report.analyses else None
    return _scenario_words(report), analysis, _views(analysis, include)


def render_text(report: Report, filename: str, include: Optional[Callable[[str], bool]] = None) -> str:
    lines = [_t(filename)]
    words, analysis, views = _prepare(report, include)
    if words:
        lines.append(f"({_t(words)})")
    if not views:
        lines += ["", NO_WORKLOAD]
        return "\n".join(lines) + "\n"
    mark = _Marker(analysis, ACCOUNT_MARK)
    for view in views:
        w = view.workload
        lines.append("")
        lines.append(_t(w.label))
        if view.rows and view.services:
            lines.append("  coverage (Availability Zone x what the tasks need)")
            header = ["AZ", "subnets", *map(_t, view.services)]
            rows = [
                [_t(mark(label)), _t(mark(", ".join(subs))), *[_t(view.cells.get((label, s), "-")) for s in view.services]]
                for label, subs in view.rows
            ]
            lines += _table(header, rows)
        if view.subnets:
            lines.append("  route tables (S3 gateway endpoint)")
            lines += _table(
                ["subnet", "route table", "S3 gateway"], [[_t(mark(s.lid)), _t(mark(s.route_table)), _t(mark(s.s3))] for s in view.subnets]
            )
            lines.append("  internet path")
            lines += _table(["subnet", "internet"], [[_t(mark(s.lid)), _t(mark(s.internet_text))] for s in view.subnets])
        if view.inbound:
            lines.append("  inbound path (load balancer -> target group -> tasks)")
            lines += _table(["load balancer", "target group", "tasks", "inbound"],
                            [[_t(i.source), _t(i.target_group), _t(i.target), _t(i.status)] for i in view.inbound])
        for note in view.notes:
            lines.append(f"  not shown: {_t(mark(note))}")
        if not view.subnets and not view.notes:
            lines.append("  no subnets")
    legend = _legend(c for view in views for c in view.cells.values())
    if mark.used:
        legend[ACCOUNT_MARK] = ACCOUNT_LEGEND
    if legend:
        lines.append("")
        width = max(len(k) for k in legend)
        lines += [f"{k.ljust(width)}  {v}" for k, v in legend.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- mermaid
_ID_RE = re.compile(r"[^A-Za-z0-9]")
MAX_ID = 48  # characters of a name kept in a node ID (a counter keeps cut names apart)
# what Mermaid or the HTML of a label would interpret: entity codes (Mermaid turns #name; into
# &name;).  "#" first, so the codes themselves are not re-coded; "%" so that no "%%{init}%%"
# directive (Mermaid finds those anywhere in the text) or "%%" comment can be spelt
_MERMAID_CODES = (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;"), ("&", "#amp;"), ("%", "#37;"))


def mermaid_label(value: Any) -> str:
    """A quoted Mermaid label: one line (phrasing.safe), entity codes for the characters Mermaid
    or HTML would interpret.  Nothing in it can end the quotes, start a line (``click``,
    ``style``, ``classDef``) or a directive, or open an HTML tag."""
    s = safe(re.sub(r"[\r\n\u2028\u2029\x85]+", " ", str(value)), MAX_TEXT)
    for raw, code in _MERMAID_CODES:
        s = s.replace(raw, code)
    return f'"{s}"'


def _comment(value: Any) -> str:
    """A ``%%`` comment line's text: a label without its quotes."""
    return mermaid_label(value)[1:-1]


class _Ids:
    """Mermaid node ids from template names: non-alphanumerics become `_`, a kind prefix keeps
    ids off Mermaid keywords (end, graph, ...), and a counter separates names that collide."""

    def __init__(self) -> None:
        self._by_name: Dict[Tuple[str, str], str] = {}
        self._used: set = set()

    def __call__(self, kind: str, name: Any) -> str:
        key = (kind, str(name))
        if key not in self._by_name:
            base = f"{_ID_RE.sub('_', kind)}_{_ID_RE.sub('_', str(name))[:MAX_ID]}"
            nid, n = base, 1
            while nid in self._used:
                n += 1
                nid = f"{base}_{n}"
            self._used.add(nid)
            self._by_name[key] = nid
        return self._by_name[key]


def render_mermaid(report: Report, filename: str, include: Optional[Callable[[str], bool]] = None) -> str:
    ids = _Ids()
    out = ["flowchart LR"]
    # %% comments end at the line break: sanitise them like labels
    out.append(f"  %% {_comment(filename)}")
    words, analysis, views = _prepare(report, include)
    if words:
        out.append(f"  %% {_comment(words)}")
    if not views:
        out.append(f"  none[{mermaid_label(NO_WORKLOAD)}]")
        return "\n".join(out) + "\n"
    a = analysis
    mark = _Marker(a, MERMAID_ACCOUNT)  # node labels only: edge labels name services

    def shown(text: str) -> str:
        return mermaid_label(mark(text))

    nodes: Dict[str, str] = {}  # id -> declaration
    az_members: Dict[str, List[str]] = {}
    az_order: List[str] = []
    edges: Dict[Tuple[str, str, bool, str], List[str]] = {}  # (src, dst, failing, prefix) -> labels

    def node(nid: str, decl: str) -> str:
        nodes.setdefault(nid, decl)
        return nid

    def edge(src: str, dst: str, label: Optional[str], failing: bool, prefix: str = "") -> None:
        labels = edges.setdefault((src, dst, failing, prefix), [])
        if label and label not in labels:
            labels.append(label)

    def subnet_node(s: str, label: str) -> str:
        nid = ids("subnet", s)
        if label not in az_members:
            az_members[label] = []
            az_order.append(label)
        if nid not in az_members[label]:
            az_members[label].append(nid)
        return node(nid, f"{nid}[{shown('subnet ' + s)}]")

    def rt_node(s: SubnetView) -> str:
        rt = a.state.subnets[s.lid].route_table
        name = rt if isinstance(rt, str) else s.route_table
        nid = ids("rt", name)
        return node(nid, f"{nid}[{shown(('route table ' + name) if isinstance(rt, str) else name)}]")

    def ep_node(ep: Endpoint) -> str:
        nid = ids("ep", ep.lid)
        service = ep.service if isinstance(ep.service, str) else "?"
        shape = ("([", "])") if ep.type == "Gateway" else ("[[", "]]")
        return node(nid, f"{nid}{shape[0]}{shown(f'{service} {ep.type.lower()} endpoint {ep.lid}')}{shape[1]}")

    def internet_nodes(s: SubnetView) -> Optional[str]:
        """The default route's target (NAT gateway or internet gateway), wired to the internet."""
        rt = a.state.subnets[s.lid].route_table
        if not isinstance(rt, str) or rt not in a.state.route_tables:
            return None
        default = [r for r in a.state.route_tables[rt].routes if getattr(r.destination, "prefixlen", None) == 0]
        if not default:
            return None
        route = default[-1]
        inet = node("internet", f"internet(({mermaid_label('internet')}))")
        if route.target == "nat":
            nid = node(ids("nat", route.target_id), f"{ids('nat', route.target_id)}[{shown(route.detail)}]")
            nat = a.state.nats.get(route.target_id)
            conn = nat.connectivity if nat is not None else None
            if isinstance(conn, str) and conn.lower() == "private":
                return nid
            nat_subnet = nat.subnet if nat is not None else None
            up = a.state.subnets.get(nat_subnet) if isinstance(nat_subnet, str) else None
            up_rt = up.route_table if up is not None else None
            igw = None
            if isinstance(up_rt, str) and up_rt in a.state.route_tables:
                ups = [r for r in a.state.route_tables[up_rt].routes if getattr(r.destination, "prefixlen", None) == 0]
                if ups and ups[-1].target == "igw":
                    igw = node(ids("igw", ups[-1].target_id), f"{ids('igw', ups[-1].target_id)}[{shown(ups[-1].detail)}]")
            if igw is not None:
                edge(nid, igw, None, False)
                edge(igw, inet, None, False)
            else:
                edge(nid, inet, "?", True)
            return nid
        if route.target == "igw":
            nid = node(ids("igw", route.target_id), f"{ids('igw', route.target_id)}[{shown(route.detail)}]")
            edge(nid, inet, None, False)
            return nid
        nid = node(ids("gw", route.detail), f"{ids('gw', route.detail)}[{shown(route.detail)}]")
        return nid

    for view in views:
        w = view.workload
        wid = node(ids("workload", w.lid), f"{ids('workload', w.lid)}([{mermaid_label(w.label)}])")
        for s in view.subnets:
            sid = subnet_node(s.lid, s.az)
            edge(wid, sid, None, False)
            rid = rt_node(s)
            edge(sid, rid, None, False)
        subnet_view = {s.lid: s for s in view.subnets}
        for v in view.verdicts:
            s = subnet_view.get(v.subnet)
            if s is None:
                continue
            sid, rid = ids("subnet", s.lid), ids("rt", a.state.subnets[s.lid].route_table if isinstance(a.state.subnets[s.lid].route_table, str) else s.route_table)
            status = cell_status(a, v)
            failing = status in FAILING.values() or status == UNKNOWN
            label = v.service if status in (OK, INTERNET) else f"{v.service}: {status}"
            if status == INTERNET:
                target = internet_nodes(s)
                if target is not None:
                    edge(rid, target, v.service, False, "0.0.0.0/0: ")
                continue
            if isinstance(v.via, Endpoint):
                target = ep_node(v.via)
                edge(rid if v.via.type == "Gateway" else sid, target, label, failing)
                continue
            if v.outcome == "no-internet":
                target = internet_nodes(s) or node("internet", f"internet(({mermaid_label('internet')}))")
                edge(rid, target, label, True)
                continue
            if v.outcome == "missing":
                target = node(ids("missing", v.service), f"{ids('missing', v.service)}{{{{{mermaid_label(f'no {v.service} endpoint')}}}}}")
            else:
                target = node(ids("unknown", v.service), f"{ids('unknown', v.service)}{{{{{mermaid_label(f'{v.service}: not decidable')}}}}}")
            edge(sid, target, label, True)
        for i in view.inbound:  # the inbound path, beside the outbound one
            lid = ids("lb", i.lb or i.source)
            src = node(lid, f"{lid}[/{mermaid_label('load balancer ' + i.source)}/]")
            edge(src, wid, f"{i.target_group}: {i.status}" if i.failing else i.target_group, i.failing)
    for az in az_order:
        out.append(f"  subgraph {ids('az', az)}[{shown(az)}]")
        for nid in az_members[az]:
            out.append(f"    {nodes.pop(nid)}")
        out.append("  end")
    for decl in nodes.values():
        out.append(f"  {decl}")
    for (src, dst, failing, prefix), labels in edges.items():
        arrow = "-.->" if failing else "-->"
        text = prefix + ", ".join(labels) if labels else prefix.rstrip(": ")
        out.append(f"  {src} {arrow}{'|' + mermaid_label(text) + '|' if text else ''} {dst}")
    return "\n".join(out) + "\n"


def render_graph(report: Report, filename: str, fmt: str = "text", include: Optional[Callable[[str], bool]] = None) -> str:
    """The graph of one template (``include``: which workloads, by logical ID; default all)."""
    if fmt == "text":
        return render_text(report, filename, include)
    if fmt == "mermaid":
        return render_mermaid(report, filename, include)
    raise ValueError(f"unknown graph format {fmt!r}; expected one of: {', '.join(GRAPH_FORMATS)}")


# ---------------------------------------------------------------------------------- summary
# report/markdown.py puts an icon before ok, missing, cross-AZ and unknown (not "?"); the other failures
# carry their own, so every failing cell of the pull-request summary is marked
_SUMMARY_STATUS = {UNKNOWN: "unknown", **{label: f"❌ {label}" for label in FAILING.values() if label != "MISSING"}}


def build_summary(report: Report, filename: Optional[str] = None) -> dict:
    """The coverage summary of one template, in the shape ``report.render(..., summary=)`` takes:
    ``{"workloads": [{"name", "matrix": {AZ: {service: status}}, "route_tables", ...}], "legend"}``.
    Empty (falsy) when the template has no awsvpc workload."""
    account: List[bool] = []
    workloads = _summary_workloads(report, lambda lid: (lid, filename), account)
    if not workloads:
        return {}
    legend = _summary_legend(workloads, bool(account))
    return {"workloads": workloads, "legend": legend} if legend else {"workloads": workloads}


def _summary_workloads(
    report: Report, name_of: Callable[[str], Optional[Tuple[str, Optional[str]]]], account: Optional[List[bool]] = None
) -> List[dict]:
    """name_of(logical id) -> (name to show, template file) or None to leave the workload out.
    Account resource IDs are marked (ACCOUNT_MARK); when one is, True is appended to ``account``."""
    analysis = report.analyses[0] if report.analyses else None
    if analysis is None:
        return []
    words = _scenario_words(report)
    mark = _Marker(analysis, ACCOUNT_MARK)
    workloads = []
    for view in workload_views(analysis):
        named = name_of(view.workload.lid)
        if named is None:
            continue
        name, filename = named
        entry: Dict[str, Any] = {"name": name}
        matrix: Dict[str, Dict[str, str]] = {}
        for label, _subs in view.rows:
            row = {s: _SUMMARY_STATUS.get(view.cells[(label, s)], view.cells[(label, s)]) for s in view.services if (label, s) in view.cells}
            if row:
                matrix[label] = row
        if matrix:
            entry["matrix"] = matrix
        if view.subnets:
            entry["route_tables"] = {mark(s.lid): mark(f"{s.route_table} ({s.s3})") for s in view.subnets}
        if filename is not None:
            entry["template"] = filename
        if view.rows:
            entry["subnets"] = {mark(label): [mark(s) for s in subs] for label, subs in view.rows}
        if view.subnets:
            entry["internet path"] = {mark(s.lid): mark(s.internet_text) for s in view.subnets}
        if view.inbound:
            entry["inbound path"] = {f"{i.source} → {i.target_group} → {i.target}": i.status for i in view.inbound}
        if view.notes:
            entry["not shown"] = [mark(note) for note in view.notes]
        if words:
            entry["scenarios"] = words
        workloads.append(entry)
    if mark.used and account is not None:
        account.append(True)
    return workloads


def _summary_legend(workloads: Sequence[Any], account: bool = False) -> Dict[str, str]:
    """The legend of the statuses the matrices show, and of the account mark when one is shown."""
    back = {v: k for k, v in _SUMMARY_STATUS.items()}
    used = [back.get(c, c) for wl in workloads if isinstance(wl, dict) for row in (wl.get("matrix") or {}).values() for c in row.values()]
    legend = {("unknown" if k == UNKNOWN else k): v for k, v in _legend(used).items()}
    if account:
        legend[ACCOUNT_MARK] = ACCOUNT_LEGEND
    return legend


# ---------------------------------------------------------------------------------- deployments
def _top_file(stack: Any) -> str:
    while stack.parent is not None:
        stack = stack.parent[0]
    return os.path.realpath(stack.filename)


def deployment_reports(
    stacks: Sequence[Any],
    *,
    region: str,
    policy_files: Sequence[str] = (),
    load: Any = None,
    deployment_units: Callable[..., Sequence[Any]],
    report_for: Callable[..., Report],
) -> List[Tuple[List[Any], Report, Callable[[str], Tuple[Any, str]]]]:
    """(stacks, the engine's report, origin) for each group of stacks judged together, as
    ``check`` judges them (api.deployment_raws); origin maps a workload's logical ID in the
    (possibly merged) template to (its stack, its own logical ID).  ``deployment_units`` and
    ``report_for`` are api's (passed in: report does not import api, which sits above it)."""
    out: List[Tuple[List[Any], Report, Callable[[str], Tuple[Any, str]]]] = []
    for unit in deployment_units(stacks, region=region, load=load):
        report = report_for(unit.template, params=unit.params, region=region, stack_name=unit.stack_name, policy_files=policy_files)

        def origin(lid: str, unit: Any = unit) -> Tuple[Any, str]:
            stack, path = unit.translate(("Resources", lid))
            return stack, (path[1] if len(path) > 1 else lid)

        out.append((unit.stacks, report, origin))
    return out


def deployment_summary(
    stacks: Sequence[Any],
    *,
    region: str,
    policy_files: Sequence[str] = (),
    load: Any = None,
    given: Optional[Iterable[str]] = None,
    deployment_units: Callable[..., Sequence[Any]],
    report_for: Callable[..., Report],
) -> Optional[dict]:
    """The coverage summary of the workloads of the templates a ``check`` was given (``given``:
    their real paths; default every stack), for ``report.render(..., summary=)``; None when
    there is no workload to show."""
    keep = None if given is None else set(given)
    workloads: List[dict] = []
    account: List[bool] = []
    try:
        for _group, report, origin in deployment_reports(
            stacks, region=region, policy_files=policy_files, load=load, deployment_units=deployment_units, report_for=report_for
        ):

            def name_of(lid: str, origin: Any = origin) -> Optional[Tuple[str, Optional[str]]]:
                stack, _own = origin(lid)
                if stack is None or (keep is not None and _top_file(stack) not in keep):
                    return None
                return lid, stack.filename  # the name the findings of this workload are grouped under

            workloads.extend(_summary_workloads(report, name_of, account))
    except RecursionError:
        return {"note": "the coverage summary could not be computed: a template nests or refers to itself too deeply"}
    if not workloads:
        return None
    workloads.sort(key=lambda w: (str(w.get("template", "")), str(w.get("name", ""))))
    legend = _summary_legend(workloads, bool(account))
    return {"workloads": workloads, "legend": legend} if legend else {"workloads": workloads}


def merge_summary(workloads: List[dict], note: Optional[str] = None) -> Optional[dict]:
    """One summary from the workloads of several groups judged apart (runner), as
    deployment_summary gives for all of them at once."""
    if not workloads:
        return {"note": note} if note else None
    workloads = sorted(workloads, key=lambda w: (str(w.get("template", "")), str(w.get("name", ""))))
    account = ACCOUNT_MARK in repr(workloads)
    legend = _summary_legend(workloads, account)
    return {"workloads": workloads, "legend": legend} if legend else {"workloads": workloads}


def render_deployment_graph(
    stacks: Sequence[Any],
    fmt: str = "text",
    *,
    region: str,
    policy_files: Sequence[str] = (),
    load: Any = None,
    deployment_units: Callable[..., Sequence[Any]],
    report_for: Callable[..., Report],
) -> str:
    """The graph of the first stack's template (its workloads only), judged together with the
    stacks it imports from or nests, as ``check`` judges it."""
    target = stacks[0]
    top = _top_file(target)
    for group, report, origin in deployment_reports(
        stacks, region=region, policy_files=policy_files, load=load, deployment_units=deployment_units, report_for=report_for
    ):
        if not any(s is target for s in group):
            continue

        def mine(lid: str, origin: Any = origin) -> bool:
            stack = origin(lid)[0]
            return stack is not None and _top_file(stack) == top

        return render_graph(report, target.filename, fmt, include=mine)
    return render_graph(Report([]), target.filename, fmt)  # pragma: no cover - the target is in a group
