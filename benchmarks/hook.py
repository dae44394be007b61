"""CloudFormation Lambda hook benchmark (issue 16): the Lambda artefact's size, and the handler's
cold and warm time on the runbook incident and on a ~200-resource template.  Nothing here runs
in CI.

    python benchmarks/hook.py              # 5 warm runs per template
    python benchmarks/hook.py --runs 9

The artefact is built offline (``python -m ecsnetpolicy.hook.build --from-environment``) and
unpacked; each measurement runs in a fresh process that imports the handler from the unpacked zip
(its own copies of PyYAML, jsonschema, cfn_tools), like a Lambda cold start.  The account is moto's
(``mock_aws``, started before the clock runs), with the template payload in a moto S3 bucket read
through its presigned URL: the AWS calls are counted, and answered in-process, so on AWS each adds
its round trip (tens of milliseconds, in the same region).

- cold: import of ``ecsnetpolicy.hook`` + the first ``handler`` call (payload download, parse,
  live account reads, analysis, answer);
- warm: later calls in the same process, each with a new ``clientRequestToken`` (the template is
  downloaded, parsed, read and judged again: the cache of the engine is keyed on the template
  object, so nothing is reused but the imports).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

CHILD = r'''
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
template_text = open(sys.argv[2], encoding="utf-8").read()
runs = int(sys.argv[3])
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="eu-west-1",
                  AWS_REGION="eu-west-1", ECSNETPOLICY_FAILURE_MODE="FAIL")
import boto3, requests
from moto import mock_aws
with mock_aws():
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    pl = next(p["PrefixListId"] for p in ec2.describe_prefix_lists()["PrefixLists"] if p["PrefixListName"].endswith(".s3"))
    template_text = template_text.replace("pl-63a5400a", pl)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="hook-payloads")
    s3.put_object(Bucket="hook-payloads", Key="p", Body=json.dumps({"template": template_text, "previousTemplate": ""}).encode())
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "hook-payloads", "Key": "p"}, ExpiresIn=3600)
    calls = [0]
    def event(i):
        return {"clientRequestToken": f"bench-{i}", "awsAccountId": "123456789012",
                "stackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/bench/1", "changeSetId": None,
                "actionInvocationPoint": "CREATE_PRE_PROVISION",
                "requestData": {"targetName": "STACK", "targetType": "STACK", "targetLogicalId": "bench", "payload": url},
                "requestContext": {"invocation": 1, "callbackContext": None}}
    t0 = time.perf_counter()
    import ecsnetpolicy.hook as hook
    from ecsnetpolicy.hook import invocation
    t_import = time.perf_counter() - t0
    invocation.download = lambda u: requests.get(u, timeout=10).content  # moto answers requests, not urllib
    real_session = hook.session_for
    def counted(region):
        s = real_session(region)
        s.events.register("before-call", lambda **_: calls.__setitem__(0, calls[0] + 1))
        return s
    hook.session_for = counted
    phases = {"account": [], "engine": []}
    def timed(name, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases[name].append(time.perf_counter() - t)
        return wrapper
    hook.read_account = timed("account", hook.read_account)
    hook._findings = timed("engine", hook._findings)
    t0 = time.perf_counter()
    answer = hook.handler(event(0), None)
    cold = t_import + time.perf_counter() - t0
    first_calls = calls[0]
    warm = []
    for i in range(1, runs + 1):
        t0 = time.perf_counter()
        hook.handler(event(i), None)
        warm.append(time.perf_counter() - t0)
    print(json.dumps({"import": t_import, "cold": cold, "warm": warm, "aws_calls": first_calls, "phases": phases,
                      "status": answer["hookStatus"], "message_chars": len(answer["message"]),
                      "first_line": answer["message"].splitlines()[0]}))
'''


def _artefact(tmp: Path) -> dict:
    from ecsnetpolicy.hook.build import ZIP_NAME, build

    sizes = build(tmp / "out", from_environment=True)
    with zipfile.ZipFile(tmp / "out" / ZIP_NAME) as zf:
        zf.extractall(tmp / "unpacked")
    return sizes


def _templates(tmp: Path) -> dict:
    incident = ROOT / "tests" / "fixtures" / "templates" / "runbook_incident.yaml"
    big = tmp / "t200.yaml"
    big.write_text(subprocess.run([sys.executable, str(HERE / "gen.py"), "200"], capture_output=True, text=True, check=True).stdout,
                   encoding="utf-8")
    return {"runbook incident": incident, "~200 resources (gen.py 200)": big}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="warm calls per template")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecsnetpolicy-hook-bench-") as tmp_name:
        tmp = Path(tmp_name)
        sizes = _artefact(tmp)
        mib = 1024 * 1024
        print(f"artefact: {sizes['zipped_bytes'] / mib:.2f} MiB zipped ({100 * sizes['zipped_share_of_limit']:.1f}% of Lambda's 50 MB), "
              f"{sizes['unzipped_bytes'] / mib:.2f} MiB unzipped ({100 * sizes['unzipped_share_of_limit']:.1f}% of 250 MB)")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # a fresh Lambda has no bytecode of ours
        for name, path in _templates(tmp).items():
            resources = path.read_text(encoding="utf-8").count("\n    Type: AWS::")
            done = subprocess.run([sys.executable, "-c", CHILD, str(tmp / "unpacked"), str(path), str(args.runs)],
                                  capture_output=True, text=True, env=env)
            if done.returncode != 0:
                print(f"{name}: failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{name} ({resources} resources): cold {r['cold']:.2f}s (import {r['import']:.2f}s), "
                  f"warm median {statistics.median(r['warm']):.2f}s (min {min(r['warm']):.2f}s, max {max(r['warm']):.2f}s, {len(r['warm'])} runs); "
                  f"first call: account reads {r['phases']['account'][0]:.2f}s, engine {r['phases']['engine'][0]:.2f}s; "
                  f"warm: account reads {statistics.median(r['phases']['account'][1:]):.2f}s, engine {statistics.median(r['phases']['engine'][1:]):.2f}s; "
                  f"{r['aws_calls']} AWS calls; {r['status']}, message {r['message_chars']} chars: {r['first_line'][:120]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
