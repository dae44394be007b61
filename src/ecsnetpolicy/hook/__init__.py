"""ecsnetpolicy as a CloudFormation Lambda hook (issue 16): ``ecsnetpolicy.hook.handler``.

CloudFormation invokes the function before it creates or updates anything, for the targets the
hook is activated on: ``STACK`` (the proposed template), ``CHANGE_SET`` (its template and
changes) and ``RESOURCE`` (an ECS service, task set or Express service, judged as a one-resource
template).  The handler reads the proposal (``invocation.py``), reads the account it deploys into
with the function's read-only role (``account.py``: parameters, task definitions, and the network
through the live adapter of ``check --aws``), runs the same engine as the command (``api.py``) and
answers in CloudFormation's documented shape (``respond.py``).

Time: CloudFormation waits up to 30 seconds for a Lambda hook, and a hook may answer
``IN_PROGRESS`` up to 3 times.  The work runs in a thread; the handler waits until 3 seconds
before the smaller of that budget and the Lambda's own remaining time
(``context.get_remaining_time_in_millis()``), then answers ``IN_PROGRESS`` with a
``callbackContext`` (the work goes on in this execution environment and is picked up by the next
invocation when Lambda sends it here), and after the third, as the failure mode says.

Errors never block a deployment by accident, and never reach the log as a traceback: every
expected failure (a payload or template that cannot be read, a denied call, an account that
cannot be read) is one log line and an answer per the failure mode.  Nothing here imports
cfn-lint (the package is deployed without it: ``python -m ecsnetpolicy.hook.build``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..api import failure_reason, safe_raw_for
from ..checks import to_findings
from ..findings import Finding, Raw
from ..load.aws import AwsError
from ..load.template import locate
from . import invocation as _invocation
from .account import read_account, session_for
from .invocation import EXPRESS_NOT_APPLICABLE, HookInputError, Proposal, express_path, token_of
from .respond import Config, finding_line, in_progress, problem, skipped, verdict

log = logging.getLogger("ecsnetpolicy.hook")
log.setLevel(logging.INFO)

HOOK_WAIT_SECONDS = 30.0  # "When Hooks invoke your Lambda it will wait up to 30 seconds"
SAFETY_SECONDS = 3.0  # time kept to answer (serialising, the network back to CloudFormation)
MAX_INVOCATIONS = 3  # "A Hook can return IN_PROGRESS 3 times"
CALLBACK_DELAY_SECONDS = 1


class _Job:
    """One invocation's work, run in a daemon thread so the handler can answer in time."""

    def __init__(self, work: Callable[[], Dict[str, Any]]):
        self.answer: Optional[Dict[str, Any]] = None
        self.done = threading.Event()
        self._work = work
        self.thread = threading.Thread(target=self._run, name="ecsnetpolicy-hook", daemon=True)

    def _run(self) -> None:
        try:
            self.answer = self._work()
        finally:
            self.done.set()


_JOBS: Dict[str, _Job] = {}  # clientRequestToken -> work under way in this execution environment


def _budget(context: Any) -> float:
    """Seconds the handler may wait for the work: the hook's wait and the Lambda's own time left."""
    seconds = HOOK_WAIT_SECONDS
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        try:
            seconds = min(seconds, float(remaining()) / 1000.0)
        except (TypeError, ValueError):
            pass
    return max(0.0, seconds - SAFETY_SECONDS)


def handler(event: Any, context: Any = None) -> Dict[str, Any]:
    """The Lambda entry point (``ecsnetpolicy.hook.handler``)."""
    started = time.monotonic()
    config = Config.from_env()
    token = token_of(event)
    request = event.get("requestContext") if isinstance(event, dict) else None
    attempt = request.get("invocation") if isinstance(request, dict) else None
    attempt = attempt if isinstance(attempt, int) and attempt > 0 else 1
    key = str(token) if token is not None else f"untokened-{id(event)}"
    job = _JOBS.get(key)
    if job is None:
        job = _JOBS[key] = _Job(lambda: judge(event, config))
        job.thread.start()
    job.done.wait(max(0.0, _budget(context) - (time.monotonic() - started)))
    if not job.done.is_set():
        if attempt < MAX_INVOCATIONS:
            log.info("ecsnetpolicy: invocation %d of request %s: still checking, answering IN_PROGRESS", attempt, key)
            return in_progress(token, {"ecsnetpolicy": "checking", "invocation": attempt}, CALLBACK_DELAY_SECONDS)
        _JOBS.pop(key, None)
        reason = f"it did not finish within CloudFormation's time for a hook ({MAX_INVOCATIONS} invocations of {int(HOOK_WAIT_SECONDS)} seconds)"
        log.warning("ecsnetpolicy: request %s: %s", key, reason)
        return problem(token, config, "", reason)
    _JOBS.pop(key, None)
    answer = job.answer or problem(token, config, "", "the check ended without an answer")
    log.info("ecsnetpolicy: request %s: %s in %.1fs", key, answer.get("hookStatus"), time.monotonic() - started)
    return answer


def judge(event: Any, config: Config) -> Dict[str, Any]:
    """The answer for one invocation; never raises (every failure is an answer per the mode)."""
    token = token_of(event)
    subject = ""
    try:
        proposal = _invocation.read(event, os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
                                    fetch=lambda url: _invocation.download(url))
        subject = proposal.subject
        if proposal.skip:
            log.info("ecsnetpolicy: %s", proposal.skip)
            return skipped(token, proposal.skip)
        reads = read_account(proposal, session_for(proposal.region))
        if reads.skip:
            log.info("ecsnetpolicy: %s", reads.skip)
            return skipped(token, reads.skip)
        if reads.denied:
            shown = "; ".join(reads.denied[:3]) + (f"; and {len(reads.denied) - 3} more" if len(reads.denied) > 3 else "")
            return _problem(token, config, subject, f"the hook's role may not read the account ({shown}); "
                                                    "give it the read-only policy of docs/hook.md")
        findings, error = _findings(proposal, reads.account)
        if error:
            return _problem(token, config, subject, error)
        for f in findings:
            log.info("ecsnetpolicy: %s: %s", subject, finding_line(f, proposal.lines, proposal.labels))
        return verdict(token, config, subject, findings, proposal.lines, labels=proposal.labels)
    except (HookInputError, AwsError) as exc:
        return _problem(token, config, subject or getattr(exc, "subject", ""), str(exc))
    except Exception as exc:  # the last guard: an internal error answers per the failure mode, one line
        if os.environ.get("ECSNETPOLICY_DEBUG"):
            log.exception("ecsnetpolicy: internal error")
        return _problem(token, config, subject, failure_reason(exc))


def _problem(token: Optional[str], config: Config, subject: str, reason: str) -> Dict[str, Any]:
    log.warning("ecsnetpolicy: %s not checked: %s", subject or "invocation", " ".join(str(reason).split()))
    return problem(token, config, subject, reason)


def _findings(proposal: Proposal, account: Any) -> Tuple[List[Finding], Optional[str]]:
    """(findings located in the template, None) or ([], the reason the template was not judged)."""
    raws = safe_raw_for(proposal.template, params=proposal.params, region=proposal.region,
                        stack_name=proposal.stack_name, account=account)
    failed = [r for r in raws if r.rule_id == "EN9000"]
    if failed:
        return [], failed[0].message
    if proposal.express:
        raws = [Raw(r.rule_id, express_path(r.path, proposal.express), r.message, r.workload)
                for r in raws if r.rule_id not in EXPRESS_NOT_APPLICABLE]
    return to_findings(raws, proposal.template, "template", locate), None


__all__ = ["handler", "judge", "HOOK_WAIT_SECONDS"]
