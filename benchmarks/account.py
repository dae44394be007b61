"""Account snapshot benchmark (issue 11): `ecsnetpolicy check` on a ~200-resource template, with
and without `--aws-snapshot`, for snapshots of 500 to 5,000 subnets (plus 2,000 security groups
and 20,000 rules, one route table per subnet), written as the AWS CLI prints them (`--shape
minimal`: only the fields the reader reads, compact).  Nothing here runs in CI.

    python benchmarks/account.py            # medians of 5 runs per point
    python benchmarks/account.py --runs 9
    python benchmarks/account.py --sizes 500,5000 --bytecode

By default every process compiles the package from source (PYTHONDONTWRITEBYTECODE, as on a
checkout); ``--bytecode`` caches the compiled modules in a temporary folder first (as an installed
package has them), which leaves only the work itself to measure.  The CPU columns (user + system
time of the process) move less than wall time on a machine shared with other work.

The template (benchmarks/gen.py, 200 resources) also runs one service in account subnets given as
parameters, so the account adapter really builds facts; every command runs in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REGION = "eu-west-1"
ACCOUNT = "123456789012"
SERVICE = """
  AccountService:
    Type: AWS::ECS::Service
    Properties:
      Cluster: !Ref Cluster
      LaunchType: FARGATE
      TaskDefinition: !Ref Svc0TaskDefinition
      NetworkConfiguration:
        AwsvpcConfiguration:
          Subnets: !Ref AccountSubnets
          SecurityGroups: [!Ref AccountGroup]
"""


def snapshot(folder: Path, subnets: int, groups: int = 2000, rules: int = 20000) -> list:
    """A snapshot folder in the AWS CLI's shape (`--output json`: 4-space indent, every field the
    CLI prints for these resources, ARNs and Name tags), and the IDs the template's service uses."""
    vpc = "vpc-0000000000000000a"
    sn, rts = [], []
    for i in range(subnets):
        sid, rid = f"subnet-{i:017x}", f"rtb-{i:017x}"
        sn.append({"AvailabilityZone": f"{REGION}{'abc'[i % 3]}", "AvailabilityZoneId": f"euw1-az{i % 3 + 1}", "AvailableIpAddressCount": 251,
                   "CidrBlock": f"10.{(i // 256) % 256}.{i % 256}.0/24", "DefaultForAz": False, "MapPublicIpOnLaunch": False,
                   "MapCustomerOwnedIpOnLaunch": False, "State": "available", "SubnetId": sid, "VpcId": vpc, "OwnerId": ACCOUNT,
                   "AssignIpv6AddressOnCreation": False, "Ipv6CidrBlockAssociationSet": [],
                   "Tags": [{"Key": "Name", "Value": f"private-{i}"}], "SubnetArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{sid}",
                   "EnableDns64": False, "Ipv6Native": False,
                   "PrivateDnsNameOptionsOnLaunch": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": False,
                                                     "EnableResourceNameDnsAAAARecord": False}})
        rts.append({"Associations": [{"Main": False, "RouteTableAssociationId": f"rtbassoc-{i:017x}", "RouteTableId": rid, "SubnetId": sid,
                                      "AssociationState": {"State": "associated"}}],
                    "PropagatingVgws": [], "RouteTableId": rid,
                    "Routes": [{"DestinationCidrBlock": "10.0.0.0/8", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"},
                               {"DestinationPrefixListId": "pl-6da54004", "GatewayId": "vpce-000000000000000s3", "Origin": "CreateRoute", "State": "active"}],
                    "Tags": [{"Key": "Name", "Value": f"private-{i}"}], "VpcId": vpc, "OwnerId": ACCOUNT})
    per = max(1, rules // groups)
    sgs = [{"Description": f"group {g}", "GroupName": f"g{g}",
            "IpPermissions": [{"FromPort": 1000 + k, "IpProtocol": "tcp", "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "internal"}],
                               "Ipv6Ranges": [], "PrefixListIds": [], "ToPort": 1000 + k, "UserIdGroupPairs": []} for k in range(per)],
            "OwnerId": ACCOUNT, "GroupId": f"sg-{g:017x}",
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [],
                                     "UserIdGroupPairs": []}],
            "Tags": [{"Key": "Name", "Value": f"g{g}"}], "VpcId": vpc, "SecurityGroupArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-{g:017x}"}
           for g in range(groups)]
    return _write(folder, vpc, sn, rts, sgs, cli=True)


def minimal_snapshot(folder: Path, subnets: int, groups: int = 2000, rules: int = 20000) -> list:
    """The same account with only the fields the reader reads, no ARNs or tags, compact JSON (the
    shape of the issue 11 notes before 2026-12-01)."""
    vpc = "vpc-0000000000000000a"
    sn, rts = [], []
    for i in range(subnets):
        sid, rid = f"subnet-{i:017x}", f"rtb-{i:017x}"
        sn.append({"SubnetId": sid, "VpcId": vpc, "AvailabilityZone": f"{REGION}{'abc'[i % 3]}",
                   "CidrBlock": f"10.{(i // 256) % 256}.{i % 256}.0/24", "MapPublicIpOnLaunch": False, "OwnerId": ACCOUNT})
        rts.append({"RouteTableId": rid, "VpcId": vpc, "Associations": [{"SubnetId": sid, "Main": False}],
                    "Routes": [{"DestinationCidrBlock": "10.0.0.0/8", "GatewayId": "local", "State": "active"},
                               {"DestinationPrefixListId": "pl-6da54004", "GatewayId": "vpce-000000000000000s3", "State": "active"}]})
    per = max(1, rules // groups)
    sgs = [{"GroupId": f"sg-{g:017x}", "GroupName": f"g{g}", "VpcId": vpc, "OwnerId": ACCOUNT,
            "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 1000 + k, "ToPort": 1000 + k, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]} for k in range(per)],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]} for g in range(groups)]
    return _write(folder, vpc, sn, rts, sgs, cli=False)


def _write(folder: Path, vpc: str, sn: list, rts: list, sgs: list, cli: bool) -> list:
    """The endpoints (an S3 gateway endpoint on every route table, ECR and logs interface
    endpoints in the first three subnets), the VPC and the S3 prefix list, and the files."""
    eps = [{"VpcEndpointId": "vpce-000000000000000s3", "VpcId": vpc, "VpcEndpointType": "Gateway", "ServiceName": f"com.amazonaws.{REGION}.s3",
            "RouteTableIds": [r["RouteTableId"] for r in rts], "State": "available"}]
    group = {"GroupId": sgs[0]["GroupId"], **({"GroupName": sgs[0]["GroupName"]} if cli else {})}
    for svc in ("ecr.api", "ecr.dkr", "logs"):
        eps.append({"VpcEndpointId": f"vpce-{svc.replace('.', ''):0>17}"[:22], "VpcId": vpc, "VpcEndpointType": "Interface",
                    "ServiceName": f"com.amazonaws.{REGION}.{svc}", "SubnetIds": [s["SubnetId"] for s in sn[:3]],
                    "Groups": [group], "PrivateDnsEnabled": True, "State": "available"})
    docs = {"subnets.json": {"Subnets": sn}, "route-tables.json": {"RouteTables": rts}, "security-groups.json": {"SecurityGroups": sgs},
            "vpc-endpoints.json": {"VpcEndpoints": eps},
            "vpcs.json": {"Vpcs": [{"VpcId": vpc, "CidrBlock": "10.0.0.0/8", "OwnerId": ACCOUNT}]},
            "prefix-lists.json": {"PrefixLists": [{"PrefixListId": "pl-6da54004", "PrefixListName": f"com.amazonaws.{REGION}.s3", "Cidrs": ["52.218.0.0/17"]}]},
            "meta.json": {"region": REGION, "account_id": ACCOUNT}}
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        (folder / name).write_text(json.dumps(doc, indent=4 if cli else None))
    return [s["SubnetId"] for s in sn[:3]] + [sgs[1]["GroupId"]]


def template(folder: Path) -> Path:
    text = subprocess.run([sys.executable, str(HERE / "gen.py"), "200"], capture_output=True, text=True, check=True).stdout
    text = text.replace("Resources:\n", "Parameters:\n  AccountSubnets: {Type: CommaDelimitedList}\n  AccountGroup: {Type: String}\nResources:\n" + SERVICE.lstrip("\n"), 1) \
        if "Parameters:" not in text else text.replace("Parameters:\n", "Parameters:\n  AccountSubnets: {Type: CommaDelimitedList}\n  AccountGroup: {Type: String}\n", 1).replace("Resources:\n", "Resources:\n" + SERVICE.lstrip("\n"), 1)
    path = folder / "t.yaml"
    path.write_text(text)
    return path


def timed(args: list, runs: int) -> tuple:
    """(median wall time, median CPU time) of `runs` fresh processes."""
    times, cpu = [], []
    for _ in range(runs):
        before = os.times()
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ecsnetpolicy", "check", *args, "--fail-on", "none", "-f", "json"], capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        after = os.times()
        cpu.append(after.children_user - before.children_user + after.children_system - before.children_system)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="500,1000,2500,5000", help="subnet counts, comma-separated")
    ap.add_argument("--bytecode", action="store_true", help="cache compiled modules first (as an installed package)")
    ap.add_argument("--shape", choices=("cli", "minimal"), default="cli",
                    help="cli: files as the AWS CLI prints them (default); minimal: only the fields read, compact")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecsnetpolicy-account-") as tmp:
        root = Path(tmp)
        if opts.bytecode:
            os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
            os.environ["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        t = template(root)
        print("| subnets | without snapshot (s) | with snapshot (s) | ratio | CPU without (s) | CPU with (s) | CPU ratio |")
        print("|---|---|---|---|---|---|---|")
        for n in (int(x) for x in opts.sizes.split(",")):
            ids = (snapshot if opts.shape == "cli" else minimal_snapshot)(root / f"snap{n}", n)
            params = ["-p", f"AccountSubnets={','.join(ids[:3])}", "-p", f"AccountGroup={ids[3]}", "--region", REGION]
            if opts.bytecode:  # one run of each to compile and cache every module either path imports
                timed([str(t), *params, "--aws-snapshot", str(root / f"snap{n}")], 1)
            without, cpu_without = timed([str(t), *params], opts.runs)
            with_, cpu_with = timed([str(t), *params, "--aws-snapshot", str(root / f"snap{n}")], opts.runs)
            print(f"| {n} | {without:.2f} | {with_:.2f} | {with_ / without:.2f} | {cpu_without:.2f} | {cpu_with:.2f} | {cpu_with / cpu_without:.2f} |")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
