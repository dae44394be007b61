"""Judging the templates of one `check` run, a few or tens of thousands (issue 15).

A handful of files are judged together, as they always were.  Many files are first **indexed**
(each template loaded, its export and import names and the log groups it creates noted, then let
go), **grouped** into the deployments `check` would find (stacks joined by an import of a name
another exports, under every region and parameter set of the run; the configured stacks with
those that import from them), and the groups are **judged one at a time**, in worker processes
with ``--jobs``: memory holds one group per worker, not the whole repository.  Grouping this way
never splits what the engine judges together (it joins every exporter of a name with every
importer), so a folder gives the same findings judged whole or group by group.

The command's own steps (loading a file, the account, refused files) come in through a
:class:`Context` of callables, so this module needs nothing from cli.py."""

from __future__ import annotations

import os
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

PARTITION_MIN = 64  # fewer files are judged in one go (nothing to gain from grouping)
MAX_INDEX_BYTES = 64 * 1024 * 1024  # past CloudFormation's limits: the loader refuses such a file anyway
# what a link between stacks needs to be spelled with (Fn::ImportValue / !ImportValue, Outputs'
# Export, Fn::GetStackOutput, a nested stack whose children export; an AWS::Logs::LogGroup another
# stack's awslogs may name; Fn::ForEach expands from text holding them too).  Every stack is also
# an exporter of ``stack:NAME`` (what Fn::GetStackOutput joins on): one that spells none of these
# words is still indexed under its name below.
_LINK_WORDS = re.compile(rb"ImportValue|Export|ForEach|GetStackOutput|AWS::CloudFormation::Stack|AWS::Serverless::Application")
_LOG_GROUP_WORDS = re.compile(_LINK_WORDS.pattern + rb"|AWS::Logs::LogGroup")  # when an account is given
BATCH_FILES = 200  # groups are judged in batches of about this many files: memory bounded, per-call costs shared


@dataclass
class Context:
    config: Any
    combos: List[Tuple[str, str, Dict[str, Any]]]  # (region, parameter set label, values)
    policy_files: List[str]
    ignore: List[str]
    names: Dict[str, str]  # stack names of templates (cdk.out manifests), by real path
    load: Callable[[str, str], Any]  # (path, region) -> template; raises `load_error`
    load_error: type
    load_problem: Callable[[str, Exception], str]
    account_for: Callable[[str, List[Any]], Any]  # (region, stacks) -> account or None
    refused: Callable[..., Any]  # (path, reason, line) -> EN9000 Finding (saying nothing: the note is the runner's)
    note: Callable[[str], None]  # tells the user (in this process: worker notes travel in Result.notes)
    want_summary: bool = False
    with_account: bool = False  # an account is given: the log groups other stacks create matter (EN5002)
    log_groups: Tuple[Set[str], List[str]] = field(default_factory=lambda: (set(), []))  # created elsewhere in the run


@dataclass
class Result:
    findings: List[Any] = field(default_factory=list)
    workloads: List[dict] = field(default_factory=list)  # the markdown summary's rows
    summary_note: Optional[str] = None
    notes: List[str] = field(default_factory=list)  # lines for stderr, in order (said by the main process)
    checked: int = 0
    skipped: int = 0
    failed: Set[str] = field(default_factory=set)

    def add(self, other: "Result") -> None:
        self.findings.extend(other.findings)
        self.workloads.extend(other.workloads)
        self.summary_note = self.summary_note or other.summary_note
        self.notes.extend(other.notes)
        self.checked += other.checked
        self.skipped += other.skipped
        self.failed |= other.failed


def stack_name(config: Any, path: str, names: Optional[Dict[str, str]] = None) -> str:
    """The stack name a file is judged under: the configuration's, else the cdk.out manifest's
    (`names`, by real path), else the file's stem."""
    sc = config.stack_for(path)
    if sc is not None:
        return sc.name
    return (names or {}).get(os.path.realpath(path)) or os.path.splitext(os.path.basename(path))[0]


def _is_template(data: object) -> bool:
    return isinstance(data, dict) and (isinstance(data.get("Resources"), dict) or "AWSTemplateFormatVersion" in data)


def _stacks(ctx: Context, files: Sequence[str], context: Sequence[Any], region: str, params: Dict[str, Any], say: bool,
            notes: List[str]):
    """(stacks of the files and of the configured stacks `context`, real paths of the given
    templates, EN9000 findings of files that cannot be loaded, how many were skipped)."""
    from .load.deployment import Stack
    from .load.template import LoadError

    config = ctx.config
    given = {os.path.realpath(f) for f in files}
    stacks, refused, skipped = [], [], 0
    for path in files:
        try:
            template = ctx.load(path, region)
        except ctx.load_error as exc:  # one bad file is one finding; the others are still judged
            err = exc.__cause__ if isinstance(exc.__cause__, LoadError) else None
            if say:
                reason = ctx.load_problem(path, exc)
                notes.append(f"{path}: {reason}")
                refused.append(ctx.refused(path, reason, getattr(err, "line", None) or 1))
            continue
        if not _is_template(template):
            # YAML that is not CloudFormation (a Helm values file under templates/, ...): skip it
            if say:
                notes.append(f"{path}: skipped, not a CloudFormation template (no Resources section)")
            skipped += 1
            given.discard(os.path.realpath(path))
            continue
        sc = config.stack_for(path)
        stacks.append(Stack(stack_name(config, path, ctx.names), path, template, {**(sc.parameters if sc else {}), **params}))
    for sc in context:  # the rest of the deployment, as context for imports
        if os.path.realpath(sc.template) not in given:
            try:
                stacks.append(Stack(sc.name, sc.template, ctx.load(sc.template, region), dict(sc.parameters)))
            except ctx.load_error as exc:
                if say:
                    reason = f"stack {sc.name} of the configured deployment cannot be loaded: {ctx.load_problem(sc.template, exc)}"
                    notes.append(f"{sc.template}: {reason}")
                    refused.append(ctx.refused(sc.template, reason))
    return stacks, given, refused, skipped


def judge(ctx: Context, files: Sequence[str], context: Optional[Sequence[Any]] = None) -> Result:
    """The findings of `files` judged together (with the configured stacks `context`, default all),
    in every (region, parameter set) combination; a finding in only some says in which."""
    import functools

    from .api import deployment_raws, deployment_units, failure_reason, report_for, with_log_groups, with_variants
    from .checks import to_findings
    from .load.directives import Suppressions
    from .load.template import locate
    from .load.transforms import load_file

    context = ctx.config.stacks if context is None else context
    result = Result()
    found: "OrderedDict[tuple, tuple]" = OrderedDict()  # (file, rule, path, message) -> (stack, raw, [combination])
    disabled = ctx.config.disabled()
    suppressions: Dict[str, Any] = {}  # per file: its Metadata's cfn-lint ignore_checks, as cfn-lint honours them
    first = None
    for i, (region, _label, values) in enumerate(ctx.combos):
        stacks, given, refused, skipped = _stacks(ctx, files, context, region, values, i == 0, result.notes)
        if i == 0:
            result.findings.extend(refused)
            result.failed |= {f.filename for f in refused}
            result.skipped = skipped
            result.checked = len(given - {os.path.realpath(f.filename) for f in refused})
        account = ctx.account_for(region, stacks) if stacks else None
        account = with_log_groups(account, *ctx.log_groups)
        load = functools.partial(load_file, region=region)  # nested children: Fn::ForEach expanded too
        if first is None:
            first = (stacks, given, account, load, region)
        for stack, raw in deployment_raws(stacks, region=region, policy_files=ctx.policy_files, load=load, account=account) if stacks else []:
            if any(raw.rule_id.startswith(p) for p in disabled):
                continue
            if stack.filename not in suppressions:
                suppressions[stack.filename] = Suppressions(stack.template, ctx.ignore)
            if suppressions[stack.filename].suppressed(raw.rule_id, raw.path):
                continue
            top = stack
            while top.parent is not None:
                top = top.parent[0]
            if os.path.realpath(top.filename) not in given:
                continue
            entry = found.setdefault((stack.filename, raw.rule_id, raw.path, raw.message), (stack, raw, []))
            if i not in entry[2]:
                entry[2].append(i)
    region_labels = [f"in region {r}" for r, _l, _v in ctx.combos]
    set_labels = [label for _r, label, _v in ctx.combos]
    spelled = {os.path.realpath(f): f for f in files}  # a file reached again (nested, another spelling): shown as given
    for stack, raw, where in found.values():
        shown = spelled.get(os.path.realpath(stack.filename), stack.filename)  # one file, one path (issue 14)
        if raw.rule_id == "EN9000":
            result.notes.append(f"{shown}: {raw.message}")
            result.failed.add(shown)
        result.findings.extend(to_findings([with_variants(raw, where, region_labels, set_labels)], stack.template, shown, locate))
    if ctx.want_summary and first is not None and first[0]:
        from .report.graph import deployment_summary

        stacks, given, account, load, region = first
        try:
            summary = deployment_summary(stacks, region=region, policy_files=ctx.policy_files, load=load, given=given,
                                         deployment_units=deployment_units, report_for=functools.partial(report_for, account=account))
        except Exception as exc:  # the summary is extra: its failure must not lose the findings
            if os.environ.get("ECSNETPOLICY_DEBUG"):
                raise
            summary = None
            if not result.failed:  # else already said
                result.notes.append(f"the coverage summary could not be built: {failure_reason(exc)}")
        if summary:
            result.workloads.extend(summary.get("workloads", []))
            result.summary_note = summary.get("note")
    return result


# -- many templates --------------------------------------------------------------------------


def _index_one(ctx: Context, path: str) -> Tuple[Set[str], Set[str], Set[str], List[str]]:
    """(export names, import names, log groups created, log groups created under unresolved
    names) of one file under every combination; empty for what cannot be loaded or is not a
    template (judged alone, where it is refused or skipped as usual)."""
    import functools

    from .api import created_log_groups
    from .load.deployment import Stack, links
    from .load.transforms import load_file

    sc = ctx.config.stack_for(path)
    name = stack_name(ctx.config, path, ctx.names)
    exports: Set[str] = {f"stack:{name}"}  # what Fn::GetStackOutput of another stack joins on, parsed or not
    imports: Set[str] = set()
    groups: Set[str] = set()
    unresolved: List[str] = []
    region0 = ctx.combos[0][0]
    try:  # a template that never spells these words links to nothing: no need to parse it here
        with open(path, "rb") as fh:
            if not (_LOG_GROUP_WORDS if ctx.with_account else _LINK_WORDS).search(fh.read(MAX_INDEX_BYTES + 1)):
                return exports, imports, groups, unresolved
    except OSError:
        return exports, imports, groups, unresolved
    try:
        template = ctx.load(path, region0)
    except ctx.load_error:
        return exports, imports, groups, unresolved
    except Exception:  # judged alone, where the command says what is wrong with it
        return exports, imports, groups, unresolved
    if not _is_template(template):
        return exports, imports, groups, unresolved
    for region, _label, values in ctx.combos:
        stack = Stack(name, path, template, {**(sc.parameters if sc else {}), **values})
        try:
            e, i = links(stack, region, functools.partial(load_file, region=region))
            g, u = created_log_groups([stack], region) if ctx.with_account else (set(), [])
        except Exception:  # the group is judged anyway; the engine says what is wrong
            continue
        exports |= e
        imports |= i
        groups |= g
        unresolved += [x for x in u if x not in unresolved]
    return exports, imports, groups, unresolved


_WORKER: Dict[str, Any] = {}  # the context a forked worker inherits


def _index_task(path: str):
    return path, _index_one(_WORKER["ctx"], path)


def _judge_task(task: Tuple[List[str], List[Any]]):
    files, context = task
    res = judge(_WORKER["ctx"], files, context)
    res.findings = [_plain_finding(f) for f in res.findings]
    return len(files), res


def _plain_finding(f: Any) -> Any:
    """A finding as plain data (the loader's line-marked strings become str) to cross processes."""
    import dataclasses

    def plain(v: Any) -> Any:
        if isinstance(v, str):
            return str(v)
        if isinstance(v, tuple):
            return tuple(plain(x) for x in v)
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {plain(k): plain(x) for k, x in v.items()}
        return v

    fix = f.fix
    if fix is not None and dataclasses.is_dataclass(fix):
        fix = dataclasses.replace(fix, **{fld.name: plain(getattr(fix, fld.name)) for fld in dataclasses.fields(fix)})
    return dataclasses.replace(f, message=str(f.message), path=plain(tuple(f.path)), filename=plain(f.filename),
                               workload=plain(f.workload), fix=fix)


def _pool(jobs: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return None  # (Windows) the context holds callables a spawned process cannot receive: one process
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))


def _map(jobs: int, fn: Callable, items: Sequence[Any]) -> Iterable[Any]:
    pool = _pool(jobs) if jobs > 1 and len(items) > 1 else None
    if pool is None:
        yield from map(fn, items)
        return
    with pool:
        yield from pool.map(fn, items, chunksize=max(1, min(64, len(items) // (jobs * 8) or 1)))


def partitions(ctx: Context, files: Sequence[str], jobs: int, progress: Callable[[str, int, int], None]) -> List[Tuple[List[str], List[Any]]]:
    """The files grouped into the deployments the engine would judge together, each with the
    configured stacks it imports from or that import from it; and the log groups every stack of
    the run creates (set on ctx: EN5002 counts them wherever they are)."""
    config_paths = [sc.template for sc in ctx.config.stacks]
    everything = list(dict.fromkeys(list(files) + [p for p in config_paths if os.path.realpath(p) not in {os.path.realpath(f) for f in files}]))
    index: Dict[str, Tuple[Set[str], Set[str], Set[str], List[str]]] = {}
    for n, (path, sig) in enumerate(_map(jobs, _index_task, everything), 1):
        index[path] = sig
        progress("indexed", n, len(everything))
    from .load.deployment import Joined

    joined = Joined(len(everything))

    exporters: Dict[str, List[int]] = {}
    for i, path in enumerate(everything):
        for name in index[path][0]:
            exporters.setdefault(name, []).append(i)
    for i, path in enumerate(everything):
        for name in index[path][1]:
            for j in exporters.get(name, ()):
                joined.join(i, j)  # every exporter of the name: the engine decides among them
    by_root: "OrderedDict[int, List[str]]" = OrderedDict()
    for i, path in enumerate(everything):
        by_root.setdefault(joined.find(i), []).append(path)
    configured = {os.path.realpath(p): sc for p, sc in zip(config_paths, ctx.config.stacks)}
    user = {os.path.realpath(f) for f in files}
    out: List[Tuple[List[str], List[Any]]] = []
    # independent groups judged together give what each gives alone (the engine groups them again):
    # batches of about BATCH_FILES files bound the memory and share the per-call costs
    for members in by_root.values():
        mine = [p for p in members if os.path.realpath(p) in user]
        if not mine:
            continue
        context = [configured[os.path.realpath(p)] for p in members if os.path.realpath(p) in configured]
        if out and len(out[-1][0]) + len(mine) <= BATCH_FILES:
            out[-1][0].extend(mine)
            out[-1][1].extend(c for c in context if c not in out[-1][1])
        else:
            out.append((list(mine), list(context)))
    names: Set[str] = set()
    unresolved: List[str] = []
    for sig in index.values():
        names |= sig[2]
        unresolved += [u for u in sig[3] if u not in unresolved]
    ctx.log_groups = (names, unresolved)
    return out


def run(ctx: Context, files: Sequence[str], jobs: int, progress: Callable[[str, int, int], None]) -> Result:
    """Every file judged, group by group when there are many (in `jobs` processes)."""
    if len(files) < PARTITION_MIN:
        return judge(ctx, files)
    _WORKER["ctx"] = ctx
    try:
        groups = partitions(ctx, files, jobs, progress)
        _WORKER["ctx"] = ctx  # with the run's log groups
        total = Result()
        done = 0
        for count, res in _map(jobs, _judge_task, groups):
            total.add(res)
            done += count
            progress("checked", done, len(files))
        return total
    finally:
        _WORKER.clear()


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.shown = False

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled or (done % 25 and done != total):
            return
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r{what} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} templates")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
