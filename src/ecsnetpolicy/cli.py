"""`ecsnetpolicy`: the standalone command (pre-commit path).  It loads templates with our own
line-marked loader and runs the shared engine, without importing cfn-lint, so it answers in a
fraction of cfn-lint's start-up time with the very same findings.

Exit codes: 0 clean, 2 findings at or above --fail-on, 1 usage or input errors (one line)."""

from __future__ import annotations

import argparse
import functools
import gc
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


class _CommaList(argparse.Action):
    """A repeatable option whose value may list several items with commas (-i EN3,WN)."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        items = list(getattr(namespace, self.dest, None) or [])
        items.extend(v.strip() for v in str(values).split(",") if v.strip())
        setattr(namespace, self.dest, items)


def _parameters(items: Sequence[str]) -> Dict[str, Any]:
    """NAME=VALUE assignments (a VALUE written as a JSON list is a list)."""
    from .load.parameters import ParameterError, parse_assignment

    try:
        return dict(parse_assignment(item) for item in items)
    except ParameterError as exc:
        raise UsageError(str(exc)) from None


def _is_template(data: object) -> bool:
    return isinstance(data, dict) and (isinstance(data.get("Resources"), dict) or "AWSTemplateFormatVersion" in data)


EPILOG = """\
exit codes:
  0  every template checked, no finding at or above --fail-on
  2  findings at or above --fail-on (default: error)
  1  usage or input error (one line on stderr), or a template that could not be analysed (EN9000)

examples:
  ecsnetpolicy check templates/                         every template under a folder
  ecsnetpolicy check network.yaml service.yaml          two stacks judged as one deployment
  ecsnetpolicy check -p Subnets=subnet-a,subnet-b --region eu-west-1 service.yaml
  ecsnetpolicy check --format sarif --output results.sarif templates/
  ecsnetpolicy rules                                    the rule catalogue, sorted by ID
  ecsnetpolicy explain EN3001                           a rule's page, as plain text
  ecsnetpolicy graph template.yaml                      AZ x endpoint coverage per workload
  ecsnetpolicy check --regions us-east-1 eu-west-1 --parameter-file prod.json templates/
  ecsnetpolicy check templates/ -f github --output sarif=r.sarif --output markdown=summary.md
  ecsnetpolicy fix --diff templates/                    the safe fixes, as a diff (fix writes them)
  ecsnetpolicy check --aws-snapshot snapshot/ service.yaml   with the account's network (see snapshot)
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ecsnetpolicy", description="Check that ECS tasks in CloudFormation templates can reach what they need.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", "-v", action="version", version=f"ecsnetpolicy {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = sub.add_parser("check", help="check templates (files, directories, globs)", epilog=EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--format", "-f", choices=FORMATS, default="text")
    check.add_argument("--output", "-o", action="append", default=[], metavar="[FORMAT=]FILE",
                       help="write the report to FILE instead of standard output; FORMAT=FILE (repeatable) writes one more report "
                            "in that format, e.g. --output sarif=r.sarif --output markdown=summary.md")
    check.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                       help="judge deployment groups in N processes (default: all cores; many files only)")
    check.add_argument("--changed", action="store_true",
                       help="the paths are changed files (pre-commit): check, in full, every deployment they belong to, its other "
                            "templates found in the repository")
    check.add_argument("--quiet", "-q", action="store_true", help="print the findings only: no count line, no notes on standard error")
    check.add_argument("--include-checks", "-c", action="append", default=[], metavar="ID",
                       help="accepted for cfn-lint compatibility: every ecsnetpolicy rule, informational included, is on by default")
    check.add_argument("--parameter", "-p", action="append", default=[], metavar="NAME=VALUE", help="a parameter value (repeatable)")
    check.add_argument("--region", default=None, help="the deployment region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)")
    check.add_argument("--regions", nargs="+", action="extend", default=[], metavar="REGION",
                       help="check in each of these regions too (like cfn-lint's --regions); a finding in only some says in which")
    check.add_argument("--parameter-file", "--parameter-files", dest="parameter_file", nargs="+", action="extend", default=[], metavar="FILE",
                       help="parameter values, one set per file: AWS CLI ParameterKey/ParameterValue JSON, a CodePipeline template "
                            "configuration, a cfn-lint deployment file, or a plain NAME: VALUE mapping (--parameter values apply on top)")
    check.add_argument("--config", metavar="FILE", help="the configuration file (default: .ecsnetpolicy.yaml found from the working directory upward)")
    check.add_argument("--policy", action="append", default=[], metavar="FILE", help="an extra policy file or folder (repeatable)")
    check.add_argument("--allow-outside", action="store_true",
                       help="let the configuration's stacks and policies and nested stacks' local TemplateURLs lead outside the template's folder and the repository")
    check.add_argument("--ignore", "--ignore-checks", "-i", dest="ignore", action=_CommaList, default=[], metavar="ID", help="rule IDs or prefixes to skip, repeatable or comma-separated (EN2001, WN, ...)")
    check.add_argument("--fail-on", choices=list(LEVELS), default=None,
                       help="lowest severity that makes the exit code 2 (default: the configuration's fail_on, else error)")
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
    lint = sub.add_parser("lint", help="run cfn-lint with the ecsnetpolicy rules on the changed files' whole deployments (the cfn-lint pre-commit hook)")
    lint.add_argument("paths", nargs="+", metavar="PATH")
    lint.add_argument("--region", default=None, help="the deployment region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)")
    lint.add_argument("--config", metavar="FILE", help="the configuration file (default: .ecsnetpolicy.yaml found from the working directory upward)")
    lint.add_argument("--fail-on", choices=list(LEVELS), default=None, help="lowest severity that fails (default: the configuration's fail_on, else error)")
    sub.add_parser("rules", help="list the rule catalogue")
    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule_id", metavar="ID")
    explain.add_argument("--markdown", action="store_true", help="print the page's Markdown source instead of plain text")
    graph = sub.add_parser("graph", help="show per workload the AZ x endpoint coverage, route tables and internet paths")
    graph.add_argument("paths", nargs="+", metavar="PATH", help="templates, folders or globs, as check takes them")
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


_NOTES = {"on": True}  # --quiet turns the notes off (errors are still said)


def _note(text: str) -> None:
    """A note on stderr (a skipped or refused file, a snapshot file of another shape): not with --quiet."""
    if _NOTES["on"]:
        _say(text)


def _say(text: str) -> None:
    """One line on stderr, safe to show (file names and messages may come from the user's files)."""
    from .phrasing import safe

    print(f"ecsnetpolicy: {safe(text, 1000)}", file=sys.stderr)


def _refused(path: str, reason: str, line: int = 1):
    """EN9000 for a file that could not be judged (as cfn-lint reports E0000 for one it cannot
    parse), said on stderr: the run goes on with the other files and the exit code says an error
    occurred."""
    _note(f"{path}: {reason}")
    return _refused_finding(path, reason, line)


def _refused_finding(path: str, reason: str, line: int = 1):
    from .api import not_analysed
    from .findings import Finding

    raw = not_analysed(reason)
    return Finding(raw.rule_id, raw.message, (), path, line, 1, line, 2)


def _expand_paths(paths: Sequence[str]):
    """(files, problems): problems are (path, reason) pairs reported as EN9000, never a stop."""
    from .load.files import expand

    return expand(paths, TEMPLATE_SUFFIXES)


def _check(args: argparse.Namespace, collect: bool = False) -> Any:
    """check; with collect=True (for `fix`), the sorted findings and the real paths of the given
    templates instead of a report and an exit code."""
    from . import runner
    from .report import render

    _NOTES["on"] = not args.quiet
    config, _params, region, policy_files = _context(args)
    saved, region = _saved_account(args, config, region)
    regions = _regions(args, region)
    psets = _parameter_sets(args)

    files, problems = _expand_paths(args.paths)
    for path, reason in problems:  # a pattern that matches nothing is a mistyped command, not a bad file
        if reason == "no file matches this pattern":
            raise UsageError(f"{path}: no file matches")
    findings = [_refused(path, reason) for path, reason in problems]
    if not files and not findings:
        raise UsageError(f"no templates found in {' '.join(args.paths)}")
    from .load.cdk import select as cdk_select

    files, cdk = cdk_select(files)  # in a cdk.out folder, the manifest's stack templates only (the rest quietly left out)
    cdk_regions = {s.region for s in cdk.values()}
    if cdk and not args.regions and not _region_given(args, config) and len(cdk_regions) == 1 and None not in cdk_regions:
        regions = [next(iter(cdk_regions))]  # the region the assembly's stacks deploy to
    if not files and not findings:
        raise UsageError(f"no templates found in {' '.join(args.paths)}")
    if getattr(args, "changed", False):  # pre-commit: the whole deployments of the changed files
        from .precommit import deployment_files

        files = deployment_files(files, region=regions[0], config=config, suffixes=TEMPLATE_SUFFIXES)
    # every (region, parameter set) combination, as cfn-lint lints a template with each: a finding
    # that holds in only some says in which (api.with_variants, the plugin's wording)
    outputs = [] if collect else _outputs(args)  # (fix reports no findings: it has no --output/--format)
    wanted = set() if collect else {fmt or args.format for fmt, _file in outputs} | ({args.format} if not any(f is None for f, _t in outputs) else set())
    ctx = runner.Context(
        config=config, combos=[(r, label, values) for r in regions for label, values in psets], policy_files=policy_files,
        ignore=list(args.ignore), names={k: v.name for k, v in cdk.items()}, load=load, load_error=UsageError,
        load_problem=_load_problem, account_for=lambda reg, stacks: _account(args, reg, stacks, saved), refused=_refused_finding,
        note=_note, want_summary="markdown" in wanted, with_account=saved is not None or bool(args.aws))
    progress = runner.Progress(not args.quiet)
    try:
        result = runner.run(ctx, files, _jobs(args), progress)
    finally:
        progress.close()
    findings.extend(result.findings)
    for line in result.notes:
        _note(line)
    if not args.quiet and (len(files) >= runner.PARTITION_MIN or sys.stderr.isatty()):
        failed = len(result.failed | {f.filename for f in findings if f.rule_id == "EN9000"})
        _say(f"{len(files)} files: {result.checked} templates checked, {result.skipped} skipped (not CloudFormation), {failed} failed")
    findings.sort(key=lambda f: f.sort_key())
    if collect:
        args.fail_on = args.fail_on or config.fail_on or "error"  # fix's exit code: check's threshold
        return findings, {os.path.realpath(f) for f in files}
    summary = None
    if result.workloads or result.summary_note:
        summary = _merge_summary(result)
    to_stdout = not any(fmt is None for fmt, _file in outputs)
    color = args.color == "always" or (args.color == "auto" and to_stdout and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    for fmt, target in outputs:
        _write_atomically(target, render(findings, fmt or args.format, color=False, summary=summary, quiet=args.quiet))
    if to_stdout:
        text = render(findings, args.format, color=color, summary=summary, quiet=args.quiet)
        sys.stdout.write(text)
        if text and not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
    if any(f.rule_id == "EN9000" for f in findings):
        return 1  # something was not judged: never a pass, whatever --fail-on says
    threshold = LEVELS[args.fail_on or config.fail_on or "error"]
    worst = max((LEVELS[f.severity] for f in findings), default=0)
    return 2 if worst >= threshold else 0


def _regions(args: argparse.Namespace, region: str) -> list:
    """The regions to check in (--region and --regions, like cfn-lint's --regions), each one an
    AWS region cfn-lint knows: a mistyped name is a one-line error, never findings about a region
    that does not exist."""
    from .load.regions import RegionError, check_regions

    wanted = ([args.region] if args.region else []) + list(getattr(args, "regions", None) or [])
    try:
        return check_regions(wanted or [region])
    except RegionError as exc:
        raise UsageError(str(exc)) from None


def _parameter_sets(args: argparse.Namespace) -> list:
    from .load.parameters import ParameterError, parameter_sets

    try:
        return parameter_sets(list(getattr(args, "parameter_file", None) or []), args.parameter)
    except ParameterError as exc:
        raise UsageError(str(exc)) from None


def _outputs(args: argparse.Namespace) -> list:
    """[(format or None for --format's, file)] of the --output options: ``FORMAT=FILE`` writes one
    more report in FORMAT; a plain FILE takes --format's report off standard output."""
    out = []
    for item in args.output:
        fmt, sep, target = item.partition("=")
        if sep and fmt in FORMATS:
            if not target:
                raise UsageError(f"--output {item}: give a file after {fmt}=")
            out.append((fmt, target))
        else:
            out.append((None, item))
    if sum(1 for fmt, _t in out if fmt is None) > 1:
        raise UsageError("--output FILE takes --format's report off standard output: give it once (use FORMAT=FILE for more)")
    return out


def _jobs(args: argparse.Namespace) -> int:
    if args.jobs is not None:
        if args.jobs < 1:
            raise UsageError("--jobs takes a number of processes, 1 or more")
        return args.jobs
    return os.cpu_count() or 1


def _merge_summary(result: Any) -> dict:
    """The markdown summary from the groups' workloads (graph.merge_summary's shape)."""
    from .report.graph import merge_summary

    return merge_summary(result.workloads, result.summary_note)


def _lint(args: argparse.Namespace) -> int:
    """cfn-lint with our rules on the whole deployments of the changed files, failing at the same
    severity as `check` (the configuration's fail_on): the cfn-lint pre-commit hook."""
    from .load.config import ConfigError, load_config
    from .precommit import deployment_files, run_cfn_lint

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    region = _regions(args, _region(args.region or config.region))[0]
    files, problems = _expand_paths(args.paths)
    for path, reason in problems:
        _note(f"{path}: {reason}")
    if not files:
        raise UsageError(f"no templates found in {' '.join(args.paths)}")
    templates = deployment_files(files, region=region, config=config, suffixes=TEMPLATE_SUFFIXES)
    code = run_cfn_lint(templates, args.fail_on or config.fail_on or "error")
    return 1 if problems and code == 0 else code


def _load_problem(path: str, exc: Exception) -> str:
    """The reason of a load error, without the file name it starts with (the finding names it)."""
    text = str(exc)
    for prefix in (f"{path}: ",):
        if text.startswith(prefix):
            return text[len(prefix):]
    cause = exc.__cause__
    return getattr(cause, "problem", None) or text


def _report_mode(target: str) -> int:
    """The mode of the file replaced, else what the umask gives a new file."""
    import stat

    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_atomically(target: str, text: str) -> None:
    """The report file is written whole or not at all (temporary file, then rename).  A target
    that is not a regular file (/dev/null, /dev/stdout, a FIFO) is written to as it is: replacing
    it would put a file where the device was.  A symbolic link is written through."""
    import stat
    import tempfile

    target = os.path.realpath(target) if os.path.islink(target) else target
    try:
        special = os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode)
    except OSError:
        special = False
    if special:
        try:
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"{target}: cannot write ({exc.strerror})") from None
        return
    folder = os.path.dirname(os.path.abspath(target))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ecsnetpolicy-", dir=folder)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, _report_mode(target))  # mkstemp makes it private: a report is as readable as any new file
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise UsageError(f"{target}: cannot write ({exc.strerror})") from None


def _graph(args: argparse.Namespace) -> int:
    """The graph of each template given (files, folders, globs, as `check` takes them), each
    judged with the others given and the configured deployment.  Several Mermaid diagrams come as
    Markdown, one fenced diagram under a heading per template."""
    from .api import deployment_units, report_for
    from .load.deployment import Stack
    from .report.graph import render_deployment_graph
    from .load import transforms

    config, params, region, policy_files = _context(args)
    saved, region = _saved_account(args, config, region)
    files, problems = _expand_paths(args.paths)
    for path, reason in problems:
        if len(args.paths) == 1 or reason == "no file matches this pattern":
            raise UsageError(f"{path}: {reason}")  # the one thing asked for cannot be drawn: one line
        _say(f"{path}: {reason}")
    from .load.cdk import select as cdk_select
    from .runner import stack_name

    files, cdk = cdk_select(files)
    given = []
    for path in files:
        try:
            template = load(path, region)
        except UsageError as exc:
            if len(args.paths) == 1 and len(files) == 1:
                raise
            _say(str(exc))
            problems.append((path, str(exc)))
            continue
        if not _is_template(template):
            if len(files) == 1:
                raise UsageError(f"{path}: not a CloudFormation template (no Resources section)")
            _note(f"{path}: skipped, not a CloudFormation template (no Resources section)")
            continue
        sc = config.stack_for(path)
        given.append(Stack(stack_name(config, path, {k: v.name for k, v in cdk.items()}), path, template, {**(sc.parameters if sc else {}), **params}))
    if not given:
        raise UsageError(f"no templates found in {' '.join(args.paths)}")
    targets = {os.path.realpath(s.filename) for s in given}
    context = [Stack(o.name, o.template, load(o.template, region), dict(o.parameters)) for o in config.stacks
               if os.path.realpath(o.template) not in targets]  # the rest of the deployment, as context for imports
    account = _account(args, region, given + context, saved)
    load_file = functools.partial(transforms.load_file, region=region)
    several = len(given) > 1
    for i, stack in enumerate(given):
        stacks = [stack] + [s for s in given if s is not stack] + context
        text = render_deployment_graph(stacks, args.format, region=region, policy_files=policy_files, load=load_file,
                                       deployment_units=deployment_units, report_for=functools.partial(report_for, account=account))
        if several and args.format == "mermaid":
            from .phrasing import safe

            text = f"### {safe(stack.filename, 300)}\n\n```mermaid\n{text.rstrip()}\n```\n"
        if i:
            sys.stdout.write("\n")
        sys.stdout.write(text)
    return 1 if problems else 0


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
        account = read_snapshot(directory, warn=_note)
    except SnapshotError as exc:
        raise UsageError(str(exc)) from None
    # The snapshot's parsed documents live until the command ends (records are built from them on
    # first lookup) and hold no reference cycles; left in the collector's generations, every later
    # full collection walks them again (a 5,000-subnet snapshot: a tenth of the run).  This process
    # is short-lived, so move what exists now out of the collector's reach (the library, which may
    # live in a long-running process, leaves that choice to its caller).
    gc.freeze()
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
    for info in sorted(RULES.values(), key=lambda info: info.rule_id):  # by ID, as cfn-lint lists its rules
        print(f"{info.rule_id}  {info.severity:<13} {info.name:<28} {info.shortdesc}")
    return 0


def _explain(rule_id: str, markdown: bool = False) -> int:
    rule_id = rule_id.upper()
    if rule_id not in RULES:
        raise UsageError(f"unknown rule {rule_id!r}; `ecsnetpolicy rules` lists them")
    here = Path(__file__).resolve().parent
    for candidate in (here / "docs" / "rules", here.parent.parent / "docs" / "rules"):
        page = candidate / f"{rule_id}.md"
        if page.is_file():
            text = page.read_text(encoding="utf-8")
            if not markdown:
                from .report.doctext import markdown_to_text

                text = markdown_to_text(text)
            sys.stdout.write(text)
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
            return _explain(args.rule_id, args.markdown)
        if args.command == "graph":
            return _graph(args)
        if args.command == "snapshot":
            return _snapshot(args)
        if args.command == "lint":
            return _lint(args)
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
