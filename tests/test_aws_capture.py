"""`ecsnetpolicy snapshot` and the live path (load/aws.py) against a small moto account: the
captured folder reads back to the account's resources, a live fetch of one subnet gives the same
facts, no credentials are written, the output folder is written atomically and never over a
user's files, and without boto3 the error is one line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from ecsnetpolicy.load.aws import AwsError, capture, cli_shape, fetch_live
from ecsnetpolicy.load.snapshot import read_snapshot

REGION = "eu-west-1"
ACCESS_KEY = "AKIAECSNETPOLICYTEST"
SECRET_KEY = "ecsnetpolicy/Secret+Key/For/Tests/Only/0000"
TOKEN = "ecsnetpolicy-session-token-for-tests"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]}
STACK = {
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {"Subnet": {"Value": "subnet-from-stack", "Export": {"Name": "network-Subnet"}}},
}


def _fake_credentials(mp, tmp):
    """Fake credentials and region in the environment; no ~/.aws file is read."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        mp.delenv(name, raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    mp.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    mp.setenv("AWS_SESSION_TOKEN", TOKEN)
    mp.setenv("AWS_DEFAULT_REGION", REGION)
    mp.setenv("AWS_CONFIG_FILE", str(tmp / "no-config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp / "no-credentials"))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    """A small account in moto: a VPC with two subnets in two AZs, a route table with an S3
    gateway endpoint, an interface endpoint with its security group, a task group, a NACL, an
    internet gateway, an SSM parameter, a log group, a role with policies and an exporting stack."""
    pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    tmp = tmp_path_factory.mktemp("aws")
    with pytest.MonkeyPatch.context() as mp:
        _fake_credentials(mp, tmp)
        with mock_aws():
            ec2 = boto3.client("ec2", region_name=REGION)
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
            a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="eu-west-1a")["Subnet"]["SubnetId"]
            b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="eu-west-1b")["Subnet"]["SubnetId"]
            rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
            ec2.associate_route_table(RouteTableId=rt, SubnetId=a)
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            ep_sg = ec2.create_security_group(GroupName="endpoints", Description="endpoints", VpcId=vpc)["GroupId"]
            task_sg = ec2.create_security_group(GroupName="task", Description="task", VpcId=vpc)["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=ep_sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": task_sg}]}])
            s3 = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway",
                                         RouteTableIds=[rt])["VpcEndpoint"]["VpcEndpointId"]
            ecr = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.ecr.dkr", VpcEndpointType="Interface",
                                          SubnetIds=[a], SecurityGroupIds=[ep_sg], PrivateDnsEnabled=True)["VpcEndpoint"]["VpcEndpointId"]
            acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
            other_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
            boto3.client("ssm", region_name=REGION).put_parameter(Name="/net/subnet", Value=a, Type="String")
            boto3.client("ssm", region_name=REGION).put_parameter(Name="/net/secret", Value="hunter2-secret", Type="SecureString")
            boto3.client("logs", region_name=REGION).create_log_group(logGroupName="/ecs/web")
            iam = boto3.client("iam")
            iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
            iam.put_role_policy(RoleName="exec", PolicyName="inline", PolicyDocument=json.dumps(POLICY))
            arn = iam.create_policy(PolicyName="pull", PolicyDocument=json.dumps(POLICY))["Policy"]["Arn"]
            iam.attach_role_policy(RoleName="exec", PolicyArn=arn)
            boto3.client("cloudformation", region_name=REGION).create_stack(StackName="network", TemplateBody=json.dumps(STACK))
            out = tmp / "snap"
            warnings = []
            written = capture(REGION, out_dir=out, warn=warnings.append)
            yield {"ec2": ec2, "boto3": boto3, "vpc": vpc, "subnets": (a, b), "rt": rt, "igw": igw, "sgs": (ep_sg, task_sg),
                   "endpoints": (s3, ecr), "acl": acl, "other_vpc": other_vpc, "policy_arn": arn, "out": out,
                   "written": written, "warnings": warnings, "tmp": tmp}


def test_capture_writes_cli_shaped_files_and_meta(account):
    out = account["out"]
    assert account["warnings"] == []
    assert set(os.listdir(out)) == set(account["written"])
    meta = json.loads((out / "meta.json").read_text())
    assert meta["region"] == REGION and re.fullmatch(r"\d{12}", meta["account_id"]) and meta["tool"] == "ecsnetpolicy"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["time"]) and meta["filters"] == {"vpc_ids": []}
    assert meta["files"]["subnets.json"] == "aws ec2 describe-subnets"
    subnets = json.loads((out / "subnets.json").read_text())
    assert set(subnets) == {"Subnets"}  # no ResponseMetadata, no NextToken
    iam = json.loads((out / "iam-authorization-details.json").read_text())
    created = iam["RoleDetailList"][0]["CreateDate"]
    assert isinstance(created, str) and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", created)  # ISO, as the CLI prints


def test_snapshot_reads_back_the_account(account):
    snap = read_snapshot(account["out"])
    ec2 = account["ec2"]
    assert set(snap.subnets) == {s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]}
    assert set(snap.route_tables) == {r["RouteTableId"] for r in ec2.describe_route_tables()["RouteTables"]}
    assert set(snap.vpc_endpoints) == set(account["endpoints"])
    assert set(snap.security_groups) == {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    a, b = account["subnets"]
    s3, ecr = account["endpoints"]
    ep_sg, task_sg = account["sgs"]
    assert snap.route_table_of(a)[0].id == account["rt"]
    assert any(r.target == s3 and r.target_kind == "vpc-endpoint" for r in snap.route_tables[account["rt"]].routes)
    assert snap.route_table_of(b)[1] is False  # the main table
    assert snap.vpc_endpoints[ecr].subnet_ids == (a,) and snap.vpc_endpoints[ecr].group_ids == (ep_sg,)
    assert snap.security_groups[ep_sg].ingress[0].group_id == task_sg
    assert snap.vpcs[account["vpc"]].enable_dns_hostnames is True and snap.vpcs[account["vpc"]].enable_dns_support is True
    assert snap.internet_gateways[account["igw"]].vpc_ids == (account["vpc"],)
    assert account["acl"] in snap.network_acls
    assert f"com.amazonaws.{REGION}.ecr.dkr" in snap.service_details
    pl = snap.route_tables[account["rt"]].routes[-1].destination
    assert snap.prefix_lists[pl].name == f"com.amazonaws.{REGION}.s3" and snap.prefix_lists[pl].cidrs
    assert snap.ssm_parameters == {"/net/subnet": a}  # SecureString parameters are not captured
    assert "/ecs/web" in snap.log_groups
    assert snap.roles["exec"].inline_policies == {"inline": POLICY}
    assert snap.managed_policies[account["policy_arn"]].document == POLICY
    assert snap.exports == {"network-Subnet": "subnet-from-stack"} and "network" in snap.stacks
    assert snap.region == REGION and snap.account_id
    assert snap.known_absent("subnets", "subnet-0000000000000000")


def test_no_file_holds_credentials_or_secrets(account):
    for name in os.listdir(account["out"]):
        text = (account["out"] / name).read_text()
        for secret in (ACCESS_KEY, SECRET_KEY, TOKEN, "hunter2-secret"):
            assert secret not in text, (name, secret)


def test_live_fetch_of_one_subnet_gives_the_snapshot_facts(account):
    snap = read_snapshot(account["out"])
    a, _ = account["subnets"]
    live = fetch_live(REGION, subnet_ids=[a], roles=["exec"], ssm_names=["/net/subnet", "/net/none"],
                      log_group_names=["/ecs/web", "/ecs/none"], export_names=["network-Subnet"], stack_names=["network", "gone"])
    assert live.subnets[a] == snap.subnets[a]
    assert live.route_table_of(a) == snap.route_table_of(a)
    assert live.nacl_of(a) == snap.nacl_of(a)
    assert live.vpcs[account["vpc"]] == snap.vpcs[account["vpc"]]
    assert live.vpc_endpoints == snap.vpc_endpoints
    ep_sg, task_sg = account["sgs"]
    assert live.security_groups[ep_sg] == snap.security_groups[ep_sg] and task_sg in live.security_groups
    pl = snap.route_tables[account["rt"]].routes[-1].destination
    assert live.prefix_lists[pl].cidrs == snap.prefix_lists[pl].cidrs
    ecr = f"com.amazonaws.{REGION}.ecr.dkr"
    assert live.service_details[ecr].zones_by_type == snap.service_details[ecr].zones_by_type
    assert live.ssm_parameters == snap.ssm_parameters and live.log_groups == {"/ecs/web"}
    assert live.exports == snap.exports and live.stacks["network"].outputs == snap.stacks["network"].outputs
    role = live.roles["exec"]
    assert (role.inline_policies, role.attached_policy_arns) == (snap.roles["exec"].inline_policies, snap.roles["exec"].attached_policy_arns)
    assert live.managed_policies[account["policy_arn"]].document == POLICY
    assert live.region == REGION and live.account_id == snap.account_id
    # only what the subnet leads to: the other VPC is not fetched
    assert account["other_vpc"] in snap.vpcs and account["other_vpc"] not in live.vpcs
    # asked for and not returned: known absent; not asked for: unknown
    assert live.known_absent("ssm_parameters", "/net/none") and live.known_absent("stacks", "gone")
    assert live.known_absent("log_groups", "/ecs/none")
    assert not live.known_absent("subnets", "subnet-notasked")
    missing = fetch_live(REGION, subnet_ids=["subnet-0123456789abcdef0"])
    assert missing.known_absent("subnets", "subnet-0123456789abcdef0") and not missing.subnets


def test_live_fetch_by_other_ids_and_missing_ones(account):
    s3, ecr = account["endpoints"]
    missing_rt, missing_nat = "rtb-0123456789abcdef0", "nat-0123456789abcdef0"
    live = fetch_live(REGION, route_table_ids=[account["rt"], missing_rt], vpc_endpoint_ids=[ecr], network_acl_ids=[account["acl"]],
                      internet_gateway_ids=[account["igw"]], nat_gateway_ids=[missing_nat], prefix_list_ids=["pl-00000000"],
                      service_names=[f"com.amazonaws.{REGION}.nope"])
    assert account["rt"] in live.route_tables and account["vpc"] in live.vpcs  # the VPC they lead to
    assert live.vpc_endpoints[s3].route_table_ids == (account["rt"],)
    assert live.known_absent("route_tables", missing_rt) and live.known_absent("nat_gateways", missing_nat)
    assert live.known_absent("prefix_lists", "pl-00000000")
    assert live.known_absent("service_details", f"com.amazonaws.{REGION}.nope")
    assert f"com.amazonaws.{REGION}.ecr.dkr" in live.service_details  # the VPC's endpoints' services


def test_capture_filtered_by_vpc(account):
    out = account["tmp"] / "one-vpc"
    capture(REGION, vpc_ids=[account["vpc"]], out_dir=out)
    snap = read_snapshot(out)
    assert set(snap.vpcs) == {account["vpc"]} and snap.vpc_filter == (account["vpc"],)
    assert {s.vpc_id for s in snap.subnets.values()} == {account["vpc"]}
    assert not snap.known_absent("subnets", "subnet-elsewhere")  # may be in a VPC not captured


def test_refuses_a_folder_of_user_files_and_replaces_a_previous_snapshot(account):
    user = account["tmp"] / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    with pytest.raises(AwsError) as info:
        capture(REGION, out_dir=user)
    assert "not empty" in str(info.value) and "\n" not in str(info.value)
    assert os.listdir(user) == ["notes.txt"] and (user / "notes.txt").read_text() == "mine"

    again = account["tmp"] / "again"
    capture(REGION, out_dir=again)
    (again / "stale.json").write_text("{}")  # a previous snapshot: replaced whole
    capture(REGION, out_dir=again)
    assert "stale.json" not in os.listdir(again) and "subnets.json" in os.listdir(again)
    assert not [n for n in os.listdir(account["tmp"]) if n.startswith(".again.")]  # no temporary folder left

    (again / "README.md").write_text("mine")  # no longer only a snapshot
    with pytest.raises(AwsError):
        capture(REGION, out_dir=again)
    assert (again / "README.md").read_text() == "mine"


class _DeniedIam:
    """A boto3 session whose IAM client answers `operation` with AccessDenied (and nothing else)."""

    def __init__(self, boto3, operation):
        self.real = boto3.session.Session(region_name=REGION)
        self.operation = operation
        self.stubs = []

    def client(self, service, **kw):
        from botocore.stub import Stubber

        client = self.real.client(service, **kw)
        if service == "iam":
            stub = Stubber(client)
            stub.add_client_error(self.operation, "AccessDenied", "not allowed")
            stub.activate()
            self.stubs.append(stub)
        return client


def test_denied_call_is_left_out_and_named(account):
    Session = lambda: _DeniedIam(account["boto3"], "get_account_authorization_details")  # noqa: E731

    out = account["tmp"] / "denied"
    warnings = []
    capture(REGION, out_dir=out, session=Session(), warn=warnings.append)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["errors"] == [{"command": "aws iam get-account-authorization-details --filter Role LocalManagedPolicy",
                               "code": "AccessDenied"}]
    assert len(warnings) == 1 and "AccessDenied" in warnings[0]
    snap = read_snapshot(out)
    assert snap.missing("roles") and snap.has("subnets")
    assert snap.command_for("roles").startswith("aws iam get-account-authorization-details")


def test_denied_live_call_leaves_the_kind_unknown(account):
    warnings = []
    live = fetch_live(REGION, roles=["exec"], session=_DeniedIam(account["boto3"], "get_role"), warn=warnings.append)
    assert live.missing("roles") and not live.known_absent("roles", "exec")
    assert len(warnings) == 1 and "aws iam get-role" in warnings[0] and "AccessDenied" in warnings[0]


def test_call_that_is_not_read_only_is_refused(account):
    from ecsnetpolicy.load.aws import _Calls

    calls = _Calls(account["boto3"].session.Session(region_name=REGION), REGION, None)
    with pytest.raises(AwsError) as info:
        calls.call("ec2", "delete_vpc", VpcId=account["vpc"])
    assert "not read-only" in str(info.value)
    assert account["vpc"] in {v["VpcId"] for v in account["ec2"].describe_vpcs()["Vpcs"]}


def test_cli_shape_drops_metadata_and_writes_iso_times():
    import datetime as dt

    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    doc = cli_shape({"Stacks": [{"CreationTime": when}], "ResponseMetadata": {"RequestId": "x"}})
    assert doc == {"Stacks": [{"CreationTime": "2024-01-02T03:04:05+00:00"}]}


def test_without_boto3_the_error_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` raises ImportError
    for call in (lambda: capture(REGION, out_dir=tmp_path / "x"), lambda: fetch_live(REGION, subnet_ids=["subnet-1"])):
        with pytest.raises(AwsError) as info:
            call()
        text = str(info.value)
        assert "pip install 'ecsnetpolicy[aws]'" in text and "\n" not in text
    assert not (tmp_path / "x").exists()


def test_without_boto3_the_package_still_imports():
    """In a fresh interpreter where boto3 and botocore cannot be imported, the snapshot reader and
    the aws module import, and a call gives the one-line error."""
    code = (
        "import sys\n"
        "sys.modules['boto3'] = None\n"
        "sys.modules['botocore'] = None\n"
        "from ecsnetpolicy.load import snapshot, aws\n"
        "try:\n"
        "    aws.fetch_live('eu-west-1', subnet_ids=['subnet-1'])\n"
        "except aws.AwsError as exc:\n"
        "    print(exc)\n"
    )
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("pip install 'ecsnetpolicy[aws]'") and done.stdout.count("\n") == 1


def test_no_credentials_is_one_line(monkeypatch, tmp_path):
    pytest.importorskip("boto3")
    _fake_credentials(monkeypatch, tmp_path)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    with pytest.raises(AwsError) as info:
        capture(REGION, out_dir=tmp_path / "x")
    assert "no AWS credentials" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "x").exists()


def test_unknown_profile_is_one_line(monkeypatch, tmp_path):
    pytest.importorskip("boto3")
    _fake_credentials(monkeypatch, tmp_path)
    with pytest.raises(AwsError) as info:
        fetch_live(REGION, profile="nope", subnet_ids=["subnet-1"])
    assert "'nope' not found" in str(info.value)
