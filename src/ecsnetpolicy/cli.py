"""`ecsnetpolicy`: the standalone command (pre-commit path).  It loads templates with our own
line-marked loader and runs the shared engine, without importing cfn-lint, so it answers in a
fraction of cfn-lint's start-up time with the very same findings.

Exit codes: 0 clean, 2 findings at or above --fail-on, 1 usage or input errors (one line)."""

from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from . import __version__
from .catalogue import RULES

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
LEVELS = {"error": 3, "warning": 2, "informational": 1, "none": 99}
FORMATS = ("text", "json", "sarif", "github", "rdjson", "markdown")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 1 (argparse's default is 2)
        raise UsageError(message)


def _parameters(items: Sequence[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--parameter takes NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def _expand(paths: Sequence[str]) -> List[str]:
    """Files, directories (recursively: template-looking files only) and globs."""
    out: List[str] = []
    for raw in paths:
        if any(ch in raw for ch in "*?["):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                raise UsageError(f"{raw}: no file matches")
            out.extend(m for m in matches if os.path.isfile(m))
        elif os.path.isdir(raw):
            for root, dirs, files in os.walk(raw):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
                out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(TEMPLATE_SUFFIXES))
        else:
            out.append(raw)
    return list(dict.fromkeys(out))


def _is_template(data: object) -> bool:
    return isinstance(data, dict) and (isinstance(data.get("Resources"), dict) or "AWSTemplateFormatVersion" in data)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ecsnetpolicy", description="Check that ECS tasks in CloudFormation templates can reach what they need.")
    parser.add_argument("--version", action="version", version=f"ecsnetpolicy {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = sub.add_parser("check", help="check templates (files, directories, globs)")
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--format", "-f", choices=FORMATS, default="text")
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    check.add_argument("--parameter", "-p", action="append", default=[], metavar="NAME=VALUE", help="a parameter value (repeatable)")
    check.add_argument("--region", default=None, help="the deployment region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)")
    check.add_argument("--config", metavar="FILE", help="the configuration file (default: .ecsnetpolicy.yaml found from the working directory upward)")
    check.add_argument("--policy", action="append", default=[], metavar="FILE", help="an extra policy file or folder (repeatable)")
    check.add_argument("--ignore", "-i", action="append", default=[], metavar="ID", help="rule IDs or prefixes to skip (EN2001, WN, ...)")
    check.add_argument("--fail-on", choices=list(LEVELS), default="error", help="lowest severity that makes the exit code 2 (default: error)")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    sub.add_parser("rules", help="list the rule catalogue")
    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule_id", metavar="ID")
    graph = sub.add_parser("graph", help="show per workload the AZ x endpoint coverage, route tables and internet paths")
    graph.add_argument("path", metavar="FILE")
    graph.add_argument("--format", "-f", choices=("text", "mermaid"), default="text")
    graph.add_argument("--parameter", "-p", action="append", default=[], metavar="NAME=VALUE", help="a parameter value (repeatable)")
    graph.add_argument("--region", default=None, help="the deployment region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)")
    graph.add_argument("--config", metavar="FILE", help="the configuration file (default: .ecsnetpolicy.yaml found from the working directory upward)")
    graph.add_argument("--policy", action="append", default=[], metavar="FILE", help="an extra policy file or folder (repeatable)")
    return parser


def _region(arg: Optional[str]) -> str:
    # the same default as cfn-lint, so both paths judge the same region
    return arg or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _context(args: argparse.Namespace):
    """What check and graph share: the configuration, parameter values, region, policy files."""
    from .config import ConfigError, load_config
    from .policy import PolicyError, load_policy

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    params = _parameters(args.parameter)
    region = _region(args.region or config.region)
    policy_files = list(config.policies) + list(args.policy)
    try:
        load_policy(policy_files)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None
    return config, params, region, policy_files


def load(path: str):
    """A template, or a one-line usage error."""
    from .loader import LoadError, load_file

    try:
        return load_file(path)
    except LoadError as exc:
        raise UsageError(str(exc)) from None


def _check(args: argparse.Namespace) -> int:
    from .api import deployment_raws
    from .checks import to_findings
    from .deployment import Stack
    from .formats import render
    from .loader import load_file, locate

    config, params, region, policy_files = _context(args)

    files = _expand(args.paths)
    if not files:
        raise UsageError(f"no templates found in {' '.join(args.paths)}")
    given = {os.path.realpath(f) for f in files}
    stacks = []
    for path in files:
        template = load(path)
        if not _is_template(template):
            # YAML that is not CloudFormation (a Helm values file under templates/, ...): skip it
            print(f"ecsnetpolicy: {path}: skipped, not a CloudFormation template (no Resources section)", file=sys.stderr)
            given.discard(os.path.realpath(path))
            continue
        sc = config.stack_for(path)
        stacks.append(Stack(sc.name if sc else Path(path).stem, path, template, {**(sc.parameters if sc else {}), **params}))
    for sc in config.stacks:  # the rest of the deployment, as context for imports
        if os.path.realpath(sc.template) not in given:
            stacks.append(Stack(sc.name, sc.template, load(sc.template), dict(sc.parameters)))
    ignored = list(args.ignore) + config.disabled()
    findings = []
    for stack, raw in deployment_raws(stacks, region=region, policy_files=policy_files, load=load_file):
        if any(raw.rule_id.startswith(p) for p in ignored):
            continue
        top = stack
        while top.parent is not None:
            top = top.parent[0]
        if os.path.realpath(top.filename) not in given:
            continue
        findings.extend(to_findings([raw], stack.template, stack.filename, locate))
    findings.sort(key=lambda f: f.sort_key())
    out_stream = sys.stdout
    color = args.color == "always" or (args.color == "auto" and args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    summary = None
    if args.format == "markdown":  # the coverage matrix of the pull-request summary (only here: keeps check fast)
        from .graph import deployment_summary

        summary = deployment_summary(stacks, region=region, policy_files=policy_files, load=load_file, given=given)
    text = render(findings, args.format, color=color, summary=summary)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write ({exc.strerror})") from None
    else:
        out_stream.write(text)
        if text and not text.endswith("\n"):
            out_stream.write("\n")
    threshold = LEVELS[args.fail_on]
    worst = max((LEVELS[f.severity] for f in findings), default=0)
    return 2 if worst >= threshold else 0


def _graph(args: argparse.Namespace) -> int:
    from .deployment import Stack
    from .graph import render_deployment_graph
    from .loader import load_file

    config, params, region, policy_files = _context(args)

    if os.path.isdir(args.path):
        raise UsageError(f"{args.path}: is a directory; graph takes one template file")
    template = load(args.path)
    if not _is_template(template):
        raise UsageError(f"{args.path}: not a CloudFormation template (no Resources section)")
    sc = config.stack_for(args.path)
    stacks = [Stack(sc.name if sc else Path(args.path).stem, args.path, template, {**(sc.parameters if sc else {}), **params})]
    target = os.path.realpath(args.path)
    for other in config.stacks:  # the rest of the deployment, as context for imports
        if os.path.realpath(other.template) != target:
            stacks.append(Stack(other.name, other.template, load(other.template), dict(other.parameters)))
    sys.stdout.write(render_deployment_graph(stacks, args.format, region=region, policy_files=policy_files, load=load_file))
    return 0


def _rules() -> int:
    for info in RULES.values():
        print(f"{info.rule_id}  {info.severity:<13} {info.name:<28} {info.shortdesc}")
    return 0


def _explain(rule_id: str) -> int:
    rule_id = rule_id.upper()
    if rule_id not in RULES:
        raise UsageError(f"unknown rule {rule_id!r}; `ecsnetpolicy rules` lists them")
    here = Path(__file__).resolve().parent
    for candidate in (here / "docs" / "rules", here.parent.parent / "docs" / "rules"):
        page = candidate / f"{rule_id}.md"
        if page.is_file():
            sys.stdout.write(page.read_text(encoding="utf-8"))
            return 0
    raise UsageError(f"the documentation page of {rule_id} is missing from this installation")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "check":
            return _check(args)
        if args.command == "rules":
            return _rules()
        if args.command == "explain":
            return _explain(args.rule_id)
        if args.command == "graph":
            return _graph(args)
        parser.print_help()
        return 1
    except UsageError as exc:
        print(f"ecsnetpolicy: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except RecursionError:
        print("ecsnetpolicy: a template nests or refers to itself too deeply to be analysed", file=sys.stderr)
        return 1
    except Exception as exc:  # one line, never a traceback (ECSNETPOLICY_DEBUG=1 shows it)
        if os.environ.get("ECSNETPOLICY_DEBUG"):
            raise
        detail = " ".join(str(exc).split())[:300]
        print(f"ecsnetpolicy: internal error ({exc.__class__.__name__}{': ' + detail if detail else ''}); ECSNETPOLICY_DEBUG=1 shows the traceback", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
