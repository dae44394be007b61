"""The `fix` command: options (check's, plus --diff, --unsafe-fixes, --select), the edits per file,
and what it says.  Exit codes are check's: 0 when nothing at or above --fail-on is left, 2 when
such findings remain, 1 for usage or input errors (and when a template could not be judged)."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..findings import Finding
from ..phrasing import safe
from ..report.suggestions import fixed_text
from . import files as fs

LEVELS = {"error": 3, "warning": 2, "informational": 1, "none": 99}  # check's --fail-on levels
_NOT_FROM_CHECK = {"help", "output", "format"}  # fix reports in text; it writes templates, not a report
MAX_ROUNDS = 3  # a fix can uncover the next finding (a type set, then its private DNS): re-check, bounded

Collect = Callable[[argparse.Namespace], Tuple[List[Finding], Set[str]]]


def add_parser(sub: Any, check: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The `fix` subcommand with every option of `check` (shared action objects, as argparse's
    `parents=` shares them, so an option added to check is fix's too) plus its own."""
    parser = sub.add_parser("fix", help="write the findings' fixes into the templates (safe fixes; --unsafe-fixes for the rest)")
    for action in check._actions:  # argparse has no public way to copy another parser's options
        if action.dest not in _NOT_FROM_CHECK:
            parser._add_action(action)
    parser.add_argument("--diff", action="store_true", help="write nothing: print the changes as a unified diff")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="also make the fixes that add billed resources or widen permissions")
    parser.add_argument("--select", action="append", default=[], metavar="ID",
                        help="fix only these rule IDs or prefixes (repeatable, or comma-separated)")
    return parser


@dataclass
class Outcome:
    """One round: the new text per file, and what became of each finding."""

    texts: Dict[str, str] = field(default_factory=dict)  # filename -> new text (changed files only)
    fixed: List[Finding] = field(default_factory=list)  # its edit is made (or was already there)
    unsafe: List[Finding] = field(default_factory=list)
    refused: List[Tuple[Finding, str]] = field(default_factory=list)
    partial: List[Tuple[Finding, str]] = field(default_factory=list)  # fixed as far as the template allows


def plan(findings: Sequence[Finding], *, unsafe: bool, select: Sequence[str], given: Set[str], roots: List[str],
         read: Callable[[str], str] = fs.read) -> Outcome:
    """The edits of one round, made on the files' texts in memory, finding by finding (several
    findings of one file edit it in turn; one whose edit is already there changes nothing)."""
    out = Outcome()
    originals: Dict[str, str] = {}
    for f in findings:
        if f.fix is None or not _selected(f.rule_id, select):
            continue
        if f.fix.safety != "safe" and f.fix.kind != "manual" and not unsafe:
            out.unsafe.append(f)
            continue
        target = f.fix.filename or f.filename  # the file holding the fix's anchor
        why = _refusal(f, target, given, roots, originals, read)
        if why is not None:
            out.refused.append((f, why))
            continue
        new = fixed_text(out.texts.get(target, originals[target]), f.fix, filename=target)
        if new is None:
            out.refused.append((f, f"the edit cannot be made cleanly in {target} (a value written as a function, a flow "
                                   "mapping, or a JSON layout a rewrite would change): make it by hand"))
            continue
        out.fixed.append(f)
        if f.fix.reason:  # a partial fix: the rest needs a value only the user knows
            out.partial.append((f, f.fix.reason))
        if new != originals[target]:
            out.texts[target] = new
        else:
            out.texts.pop(target, None)
    return out


def _refusal(f: Finding, target: Optional[str], given: Set[str], roots: List[str], originals: Dict[str, str],
             read: Callable[[str], str]) -> Optional[str]:
    """Why the finding's fix cannot be made in `target`, or None (then its text is in originals)."""
    if f.fix.kind == "manual":
        return f.fix.reason or "the fix needs a value only you know"
    if not target:
        return "the finding is not in a file"
    why = fs.refusal(target, given, roots)
    if why is None and target not in originals:
        try:
            originals[target] = read(target)
        except (OSError, UnicodeDecodeError) as exc:
            why = f"cannot read {target} ({exc})"
    return why


def _selected(rule_id: str, select: Sequence[str]) -> bool:
    ids = [s.strip().upper() for item in select for s in item.split(",") if s.strip()]
    return not ids or any(rule_id.startswith(i) for i in ids)


def run(args: argparse.Namespace, collect: Collect, say: Callable[[str], None]) -> int:
    """`ecsnetpolicy fix`: rounds of check, edit, write, until nothing more is fixed.  With --diff,
    one round, nothing written."""
    roots = fs.roots(args.paths)
    findings, given = collect(args)
    first = findings
    written: Set[str] = set()
    notes: Dict[Tuple[str, str, str], str] = {}  # what was not (wholly) fixed, and why: said once
    outcome = Outcome()
    for _ in range(1 if args.diff else MAX_ROUNDS):
        outcome = plan(findings, unsafe=args.unsafe_fixes, select=args.select, given=given, roots=roots)
        for label, items in (("not fixed", outcome.refused), ("partly fixed", outcome.partial)):
            for f, why in items:
                notes.setdefault((f"{f.filename}:{f.line}:{f.column}", f.rule_id, why), label)
        if args.diff:
            _print_diff(outcome.texts)
            done = {id(f) for f in outcome.fixed} - {id(f) for f, _ in outcome.partial}
            findings = [f for f in findings if id(f) not in done]
            break
        if not outcome.texts:
            break
        for name, text in outcome.texts.items():
            try:
                fs.write_atomically(name, text)
            except OSError as exc:
                say(f"{name}: cannot write ({exc.strerror or exc}); the file is unchanged")
                return 1
            written.add(name)
        findings, given = collect(args)  # what is left, as check sees it now
    nfiles = len(outcome.texts) if args.diff else len(written)
    return _report(args, first, findings, nfiles, notes, outcome.unsafe)


def _print_diff(texts: Dict[str, str]) -> None:
    for name in sorted(texts):
        old = fs.read(name)
        label = safe(name, 1000)  # the diff's lines are the file's own; its name is made one safe line
        for line in difflib.unified_diff(old.splitlines(keepends=True), texts[name].splitlines(keepends=True),
                                         f"a/{label}", f"b/{label}"):
            # as git shows it: difflib leaves a last line without its line break unmarked
            sys.stdout.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    sys.stdout.flush()


def _report(args: argparse.Namespace, first: List[Finding], left: List[Finding], nfiles: int,
            notes: Dict[Tuple[str, str, str], str], unsafe: List[Finding]) -> int:
    from ..report import render

    out = sys.stderr if args.diff else sys.stdout
    if not args.diff:  # what is left, as check shows it (its --color too)
        color = args.color == "always" or (args.color == "auto" and out.isatty() and "NO_COLOR" not in os.environ)
        out.write(render(left, "text", color=color))
    for (where, rule, why), label in notes.items():  # file names and reasons come from the user's files
        out.write(safe(f"{where}: {rule} {label}: {why}", 2000) + "\n")
    n = max(len(first) - len(left), 0)
    verb = "Would fix" if args.diff else "Fixed"
    out.write(f"{verb} {n} finding{'s' if n != 1 else ''} in {nfiles} file{'s' if nfiles != 1 else ''}"
              f" ({len(left)} of {len(first)} left).\n")
    if unsafe:
        out.write(f"{len(unsafe)} more fix{'es' if len(unsafe) != 1 else ''} with --unsafe-fixes.\n")
    out.flush()
    if any(f.rule_id == "EN9000" for f in left):
        return 1
    worst = max((LEVELS[f.severity] for f in left), default=0)
    return 2 if worst >= LEVELS[args.fail_on] else 0
