"""What templates name in the AWS account: resource IDs (literal or as parameter values), export
names, SSM parameter names, log groups, role ARNs.  `--aws` fetches exactly these (load/aws.py
fetch_live), and the snapshot's account is checked against the ARNs (load/snapshot/)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Set

_ID = re.compile(r"^(subnet|sg|vpc|rtb|vpce|pl|acl|nat|igw)-[0-9a-f]{8,17}$")
_KIND = {"subnet": "subnet_ids", "sg": "security_group_ids", "vpc": "vpc_ids", "rtb": "route_table_ids",
         "vpce": "vpc_endpoint_ids", "pl": "prefix_list_ids", "acl": "network_acl_ids", "nat": "nat_gateway_ids",
         "igw": "internet_gateway_ids"}
_SSM_TYPE = "AWS::SSM::Parameter::Value<"
_MAX_NODES = 200_000  # a bound on the walk (templates are at most 1 MB; this is far above any real one)


@dataclass
class References:
    """IDs and names by the keyword of load.aws.fetch_live that takes them; `arns` for the account check."""

    ids: Dict[str, Set[str]] = field(default_factory=dict)
    arns: Set[str] = field(default_factory=set)

    def add(self, keyword: str, value: str) -> None:
        self.ids.setdefault(keyword, set()).add(value)

    def as_kwargs(self) -> Dict[str, List[str]]:
        return {k: sorted(v) for k, v in self.ids.items()}


def _strings(node: Any, out: References, budget: List[int]) -> None:
    stack = [node]
    while stack and budget[0] > 0:
        budget[0] -= 1
        cur = stack.pop()
        if isinstance(cur, str):
            _string(cur, out)
        elif isinstance(cur, Mapping):
            for key, value in cur.items():
                if key == "Fn::ImportValue" and isinstance(value, str):
                    out.add("export_names", value)
                if key == "awslogs-group" and isinstance(value, str):
                    out.add("log_group_names", value)
                stack.append(value)
        elif isinstance(cur, list):
            stack.extend(cur)


def _string(text: str, out: References) -> None:
    for part in text.split(","):
        part = part.strip()
        m = _ID.match(part)
        if m:
            out.add(_KIND[m.group(1)], part)
    if text.startswith("arn:"):
        out.arns.add(text)
        if ":role/" in text and text.split(":")[2] == "iam":
            out.add("roles", text)


def template_references(stacks: Iterable[Any]) -> References:
    """Everything the templates name in the account, with the parameter values supplied for them
    (`stacks`: objects with `.template` and `.params`, or (template, params) pairs).  The value of
    an `AWS::SSM::Parameter::Value<...>` parameter is the name of an SSM parameter."""
    out = References()
    budget = [_MAX_NODES]
    for stack in stacks:
        template, params = (stack.template, stack.params) if hasattr(stack, "template") else stack
        if not isinstance(template, Mapping):
            continue
        params = params if isinstance(params, Mapping) else {}
        declared = template.get("Parameters")
        for name, spec in (declared.items() if isinstance(declared, Mapping) else ()):
            if not isinstance(spec, Mapping):
                continue
            value = params.get(name, spec.get("Default"))
            if isinstance(spec.get("Type"), str) and spec["Type"].startswith(_SSM_TYPE):
                if isinstance(value, str):
                    out.add("ssm_names", value)
            else:
                _strings(value, out, budget)
        for value in params.values():  # values for parameters the template may not declare (nested stacks)
            if isinstance(value, (list, tuple)):
                _strings(list(value), out, budget)
        _strings(template.get("Resources"), out, budget)
        _strings(template.get("Outputs"), out, budget)
    return out
