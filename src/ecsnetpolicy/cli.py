"""`ecsnetpolicy`: the standalone command (pre-commit path).  It loads templates with our own
line-marked loader and runs the shared engine, without importing cfn-lint, so it answers in a
fraction of cfn-lint's start-up time with the very same findings.

Exit codes: 0 clean, 2 findings at or above --fail-on, 1 usage or input errors (one line)."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

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
    check.add_argument("--allow-outside", action="store_true",
                       help="let the configuration's stacks and policies and nested stacks' local TemplateURLs lead outside the template's folder and the repository")
    check.add_argument("--ignore", "-i", action="append", default=[], metavar="ID", help="rule IDs or prefixes to skip (EN2001, WN, ...)")
    check.add_argument("--fail-on", choices=list(LEVELS), default="error", help="lowest severity that makes the exit code 2 (default: error)")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    for cmd in (check,):
        _account_options(cmd)
    from .fix import add_parser as fix_parser  # issue 13: check's options, plus --diff, --unsafe-fixes, --select

    fix_parser(sub, check)
    snap = sub.add_parser("snapshot", help="save the network of an AWS account and region as a snapshot folder for --aws-snapshot (needs: pip install 'ecsnetpolicy[aws]'; read-only calls)")
    snap.add_argument("--region", required=True, help="the region to capture")
    snap.add_argument("--vpc-id", action="append", default=[], metavar="ID", help="capture only these VPCs' subnets, route tables, endpoints... (repeatable)")
    snap.add_argument("--profile", default=None, help="the AWS credentials profile (default: boto3's usual chain)")
    snap.add_argument("--out", required=True, metavar="DIR", help="the folder to write: new, empty, or a previous snapshot (replaced whole)")
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
    graph.add_argument("--allow-outside", action="store_true",
                       help="let the configuration's stacks and policies and nested stacks' local TemplateURLs lead outside the template's folder and the repository")
    _account_options(graph)
    return parser


def _account_options(cmd: argparse.ArgumentParser) -> None:
    """The AWS account the templates deploy into, as a second source of facts (docs/aws-snapshot.md)."""
    cmd.add_argument("--aws-snapshot", metavar="DIR", default=None,
                     help="a saved snapshot of the account's network (AWS CLI JSON outputs, or `ecsnetpolicy snapshot`)")
    cmd.add_argument("--aws", action="store_true", help="read the account live, with read-only calls for the IDs the templates reference (needs boto3)")
    cmd.add_argument("--profile", default=None, help="with --aws: the AWS credentials profile")


def _region(arg: Optional[str]) -> str:
    # the same default as cfn-lint, so both paths judge the same region
    return arg or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _context(args: argparse.Namespace):
    """What check and graph share: the configuration, parameter values, region, policy files."""
    from .load.config import ConfigError, load_config
    from .load.policy import PolicyError, load_policy

    try:
        config = load_config(args.config, allow_outside=args.allow_outside)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if args.allow_outside or config.allow_outside:
        from .load import deployment

        deployment.ALLOW_OUTSIDE = True  # one command, one process: nested TemplateURLs too
    params = _parameters(args.parameter)
    region = _region(args.region or config.region)
    policy_files = list(config.policies) + list(args.policy)
    try:
        load_policy(policy_files)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None
    return config, params, region, policy_files


def load(path: str, region: Optional[str] = None):
    """A template as cfn-lint's rules see it, or a one-line usage error: loaded, then, when it
    declares AWS::LanguageExtensions, with its Fn::ForEach expanded as cfn-lint's transform does
    (transforms.expand, with the region cfn-lint would use; cfn-lint is imported only then)."""
    from .load.template import LoadError, load_file
    from .load.transforms import expand

    try:
        return expand(load_file(path), path, _region(region))
    except LoadError as exc:
        raise UsageError(str(exc)) from exc  # the cause keeps the line for EN9000


def _say(text: str) -> None:
    """One line on stderr, safe to show (file names and messages may come from the user's files)."""
    from .phrasing import safe

    print(f"ecsnetpolicy: {safe(text, 1000)}", file=sys.stderr)


def _refused(path: str, reason: str, line: int = 1):
    """EN9000 for a file that could not be judged (as cfn-lint reports E0000 for one it cannot
    parse): the run goes on with the other files and the exit code says an error occurred."""
    from .api import not_analysed
    from .findings import Finding

    raw = not_analysed(reason)
    _say(f"{path}: {reason}")
    return Finding(raw.rule_id, raw.message, (), path, line, 1, line, 2)


def _expand_paths(paths: Sequence[str]):
    """(files, problems): problems are (path, reason) pairs reported as EN9000, never a stop."""
    from .load.files import expand

    return expand(paths, TEMPLATE_SUFFIXES)


def _check(args: argparse.Namespace, collect: bool = False) -> Any:
    """check; with collect=True (for `fix`), the sorted findings and the real paths of the given
    templates instead of a report and an exit code."""
    from .api import deployment_raws, deployment_units, failure_reason, report_for
    from .checks import to_findings
    from .load.deployment import Stack
    from .report import render
    from .load import transforms
    from .load.template import LoadError, locate

    config, params, region, policy_files = _context(args)
    saved, region = _saved_account(args, config, region)

    files, problems = _expand_paths(args.paths)
    for path, reason in problems:  # a pattern that matches nothing is a mistyped command, not a bad file
        if reason == "no file matches this pattern":
            raise UsageError(f"{path}: no file matches")
    findings = [_refused(path, reason) for path, reason in problems]
    if not files and not findings:
        raise UsageError(f"no templates found in {' '.join(args.paths)}")
    given = {os.path.realpath(f) for f in files}
    stacks = []
    for path in files:
        try:
            template = load(path, region)
        except UsageError as exc:  # one bad file is one finding; the others are still judged
            err = exc.__cause__ if isinstance(exc.__cause__, LoadError) else None
            findings.append(_refused(path, _load_problem(path, exc), getattr(err, "line", None) or 1))
            continue
        if not _is_template(template):
            # YAML that is not CloudFormation (a Helm values file under templates/, ...): skip it
            _say(f"{path}: skipped, not a CloudFormation template (no Resources section)")
            given.discard(os.path.realpath(path))
            continue
        sc = config.stack_for(path)
        stacks.append(Stack(sc.name if sc else Path(path).stem, path, template, {**(sc.parameters if sc else {}), **params}))
    for sc in config.stacks:  # the rest of the deployment, as context for imports
        if os.path.realpath(sc.template) not in given:
            try:
                stacks.append(Stack(sc.name, sc.template, load(sc.template, region), dict(sc.parameters)))
            except UsageError as exc:
                findings.append(_refused(sc.template, f"stack {sc.name} of the configured deployment cannot be loaded: {_load_problem(sc.template, exc)}"))
    account = _account(args, region, stacks, saved) if stacks else None
    ignored = list(args.ignore) + config.disabled()
    load_file = functools.partial(transforms.load_file, region=region)  # nested children: Fn::ForEach expanded too
    for stack, raw in deployment_raws(stacks, region=region, policy_files=policy_files, load=load_file, account=account) if stacks else []:
        if any(raw.rule_id.startswith(p) for p in ignored):
            continue
        top = stack
        while top.parent is not None:
            top = top.parent[0]
        if os.path.realpath(top.filename) not in given:
            continue
        if raw.rule_id == "EN9000":
            _say(f"{stack.filename}: {raw.message}")
        findings.extend(to_findings([raw], stack.template, stack.filename, locate))
    findings.sort(key=lambda f: f.sort_key())
    if collect:
        return findings, given
    color = args.color == "always" or (args.color == "auto" and args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    summary = None
    if args.format == "markdown" and stacks:  # the coverage matrix of the pull-request summary (only here: keeps check fast)
        from .report.graph import deployment_summary

        try:
            summary = deployment_summary(stacks, region=region, policy_files=policy_files, load=load_file, given=given,
                                         deployment_units=deployment_units, report_for=functools.partial(report_for, account=account))
        except Exception as exc:  # the summary is extra: its failure must not lose the findings
            if os.environ.get("ECSNETPOLICY_DEBUG"):
                raise
            if not any(f.rule_id == "EN9000" for f in findings):  # else already said
                _say(f"the coverage summary could not be built: {failure_reason(exc)}")
    text = render(findings, args.format, color=color, summary=summary)
    if args.output:
        _write_atomically(args.output, text)
    else:
        sys.stdout.write(text)
        if text and not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
    if any(f.rule_id == "EN9000" for f in findings):
        return 1  # something was not judged: never a pass, whatever --fail-on says
    threshold = LEVELS[args.fail_on]
    worst = max((LEVELS[f.severity] for f in findings), default=0)
    return 2 if worst >= threshold else 0


def _load_problem(path: str, exc: Exception) -> str:
    """The reason of a load error, without the file name it starts with (the finding names it)."""
    text = str(exc)
    for prefix in (f"{path}: ",):
        if text.startswith(prefix):
            return text[len(prefix):]
    cause = exc.__cause__
    return getattr(cause, "problem", None) or text


def _write_atomically(target: str, text: str) -> None:
    """The report file is written whole or not at all (temporary file, then rename)."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(target))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ecsnetpolicy-", dir=folder)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise UsageError(f"{target}: cannot write ({exc.strerror})") from None


def _graph(args: argparse.Namespace) -> int:
    from .api import deployment_units, report_for
    from .load.deployment import Stack
    from .report.graph import render_deployment_graph
    from .load import transforms

    config, params, region, policy_files = _context(args)
    saved, region = _saved_account(args, config, region)

    if os.path.isdir(args.path):
        raise UsageError(f"{args.path}: is a directory; graph takes one template file")
    template = load(args.path, region)
    if not _is_template(template):
        raise UsageError(f"{args.path}: not a CloudFormation template (no Resources section)")
    sc = config.stack_for(args.path)
    stacks = [Stack(sc.name if sc else Path(args.path).stem, args.path, template, {**(sc.parameters if sc else {}), **params})]
    target = os.path.realpath(args.path)
    for other in config.stacks:  # the rest of the deployment, as context for imports
        if os.path.realpath(other.template) != target:
            stacks.append(Stack(other.name, other.template, load(other.template, region), dict(other.parameters)))
    account = _account(args, region, stacks, saved)
    load_file = functools.partial(transforms.load_file, region=region)
    sys.stdout.write(render_deployment_graph(stacks, args.format, region=region, policy_files=policy_files, load=load_file,
                                             deployment_units=deployment_units, report_for=functools.partial(report_for, account=account)))
    return 0


def _region_given(args: argparse.Namespace, config: Any) -> bool:
    return bool(args.region or config.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))


def _saved_account(args: argparse.Namespace, config: Any, region: str):
    """(the saved account snapshot of --aws-snapshot or the config's aws_snapshot, or None; the
    region to check).  Read before the templates, so that with no region given anywhere the
    snapshot's own region is the one checked (Fn::ForEach expansion included)."""
    directory = args.aws_snapshot or config.aws_snapshot
    if args.profile and not args.aws:
        raise UsageError("--profile goes with --aws (a snapshot folder needs no credentials)")
    if args.aws and args.aws_snapshot:
        raise UsageError("give --aws or --aws-snapshot, not both")
    if args.aws or not directory:
        return None, region
    from .load.snapshot import SnapshotError, read_snapshot

    try:
        account = read_snapshot(directory, warn=_say)
    except SnapshotError as exc:
        raise UsageError(str(exc)) from None
    if not _region_given(args, config) and account.region:
        region = account.region
    return account, region


def _account(args: argparse.Namespace, region: str, stacks: Sequence[Any], saved: Any):
    """The AWS account the templates deploy into, or None: the saved snapshot, or with --aws the
    account read live (read-only calls for the IDs the templates reference).  A snapshot of
    another region than the one checked, or of another account than an ARN of the templates
    names, is a one-line error."""
    if saved is None and not args.aws:
        return None
    from .load.references import template_references
    from .load.snapshot import SnapshotError, check_matches

    errors: tuple = (SnapshotError,)
    if saved is None:  # boto3's module only for a live read
        from .load.aws import AwsError

        errors = (SnapshotError, AwsError)
    refs = template_references(stacks)
    try:
        account = saved if saved is not None else _read_live(args, region, refs)
        check_matches(account, region, sorted(refs.arns))
    except errors as exc:
        raise UsageError(str(exc)) from None
    return account


def _read_live(args: argparse.Namespace, region: str, refs: Any):
    """The account read live for what the templates name.  Exports and SSM parameters are read
    first when the templates use them: the IDs their values hold (an imported subnet list...) are
    then read with the rest, as a snapshot would hold them."""
    from .load.aws import fetch_live
    from .load.references import template_references

    wanted = refs.as_kwargs()
    names = {k: wanted[k] for k in ("export_names", "ssm_names") if wanted.get(k)}
    if names:
        first = fetch_live(region, profile=args.profile, warn=_say, **names)
        values = list(first.exports.values()) + [v for v in first.ssm_parameters.values() if isinstance(v, str)]
        for keyword, ids in template_references([({"Resources": {"Values": values}}, {})]).as_kwargs().items():
            wanted[keyword] = sorted(set(wanted.get(keyword, [])) | set(ids))
    return fetch_live(region, profile=args.profile, warn=_say, **wanted)


def _snapshot(args: argparse.Namespace) -> int:
    """`ecsnetpolicy snapshot`: the account's network written as AWS CLI JSON files (load/aws.py)."""
    from .load.aws import AwsError, capture

    try:
        written = capture(args.region, vpc_ids=args.vpc_id, profile=args.profile, out_dir=args.out, warn=_say)
    except AwsError as exc:
        raise UsageError(str(exc)) from None
    _say(f"wrote {len(written)} files to {args.out}; check with: ecsnetpolicy check --aws-snapshot {args.out} TEMPLATE")
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
    from .load import deployment

    allow_outside = deployment.ALLOW_OUTSIDE
    try:
        return _main(argv)
    finally:  # --allow-outside holds for this call only (tests call main in-process)
        deployment.ALLOW_OUTSIDE = allow_outside


def _main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "check":
            return _check(args)
        if args.command == "fix":
            from .fix import run

            return run(args, functools.partial(_check, collect=True), _say)
        if args.command == "rules":
            return _rules()
        if args.command == "explain":
            return _explain(args.rule_id)
        if args.command == "graph":
            return _graph(args)
        if args.command == "snapshot":
            return _snapshot(args)
        parser.print_help()
        return 1
    except UsageError as exc:
        _say(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`| head`): end quietly, but never as a pass
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except RecursionError:
        _say("a template nests or refers to itself too deeply to be analysed")
        return 1
    except Exception as exc:  # one line, never a traceback (ECSNETPOLICY_DEBUG=1 shows it)
        if os.environ.get("ECSNETPOLICY_DEBUG"):
            raise
        detail = " ".join(str(exc).split())[:300]
        _say(f"internal error ({exc.__class__.__name__}{': ' + detail if detail else ''}); ECSNETPOLICY_DEBUG=1 shows the traceback")
        return 1

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
