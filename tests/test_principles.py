"""Issue 14, part 2: principles the engine must hold, each with a regression fixture
(tests/fixtures/principles/, exact rule, line and message in expectations.yaml there) or a
focused test of the value or rule it rests on."""

from __future__ import annotations

import re

import pytest
import yaml

from helpers import ROOT, ours, plugin_run, standalone

PRINCIPLES = ROOT / "tests" / "fixtures" / "principles"
EXPECTATIONS = yaml.safe_load((PRINCIPLES / "expectations.yaml").read_text(encoding="utf-8"))
NAMES = sorted(EXPECTATIONS)


def _expected(name):
    return sorted((e["rule"], e["line"], e["message"]) for e in EXPECTATIONS[name])


@pytest.fixture(scope="module")
def plugin_results():
    return plugin_run([PRINCIPLES / n for n in NAMES])


def test_every_principle_fixture_has_expectations():
    files = {p.name for p in PRINCIPLES.glob("*.yaml") if p.name != "expectations.yaml"}
    assert files == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_standalone_findings_exact(name):
    got = [(r, line, m) for r, line, _c, m in standalone(PRINCIPLES / name)]
    assert got == _expected(name)


@pytest.mark.parametrize("name", NAMES)
def test_plugin_findings_exact_and_cfn_lint_clean(name, plugin_results):
    matches = plugin_results[str(PRINCIPLES / name)]
    assert [(r, line, m) for r, line, _c, m in ours(matches)] == _expected(name)
    assert [(m.rule.id, m.linenumber, m.message) for m in matches if m.rule.id.startswith("E") and m.rule.id[1:2] != "N"] == []


# ---------------------------------------------------------------- a literal ID never names a created resource
def test_literal_id_is_known_to_differ_from_created_resources():
    from ecsnetpolicy.values import LiteralId, Unknown, may_name

    lit = LiteralId("vpc-0abc", "VPC vpc-0abc is not defined in the templates given")
    assert isinstance(lit, Unknown)
    assert may_name(lit, created_here=True) is False  # never the template's own VPC
    assert may_name(lit, created_here=False) is True  # may be one of the account's
    assert may_name(Unknown("parameter Vpc has no value"), created_here=True) is True


# ---------------------------------------------------------------- one value to a list parameter
@pytest.mark.parametrize("ptype", ["List<AWS::EC2::Subnet::Id>", "CommaDelimitedList", "AWS::SSM::Parameter::Value<List<String>>"])
@pytest.mark.parametrize("supplied", ["subnet-0a1b2c3d", ["subnet-0a1b2c3d"]])
def test_single_value_to_a_list_parameter_is_one_item(ptype, supplied):
    from ecsnetpolicy.values import Resolver

    template = {"Parameters": {"Subnets": {"Type": ptype}}, "Resources": {}}
    r = Resolver(template, params={"Subnets": supplied})
    assert r.items({"Ref": "Subnets"}, ("p",)) == [("subnet-0a1b2c3d", ("p",))]


def test_single_resource_passed_to_a_nested_list_parameter_is_one_item():
    from ecsnetpolicy.values import ResRef, Resolver

    r = Resolver({"Resources": {"A": {"Type": "AWS::EC2::Subnet", "Properties": {}}}})
    assert r.resolve({"Fn::Split": [",", {"Ref": "A"}]}) == [ResRef("A")]


# ---------------------------------------------------------------- EN3002: any account or organisation key
ACCOUNT_KEYS = ["aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:ResourceAccount",
                "aws:ResourceOrgID", "aws:ResourceOrgPaths", "s3:ResourceAccount", "AWS:resourceorgid"]


def _doc(condition):
    stmt = {"Sid": "Mine", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    if condition is not None:
        stmt["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [stmt]}


@pytest.mark.parametrize("key", ACCOUNT_KEYS)
@pytest.mark.parametrize("op", ["StringEquals", "StringLike", "ForAnyValue:StringLike"])
def test_account_or_organisation_key_shuts_out_the_layer_bucket(key, op):
    from ecsnetpolicy.checks.s3 import layer_bucket_access

    allowed, why = layer_bucket_access(_doc({op: {key: "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*" if "Paths" in key else "o-a1b2c3d4e5"}}), "eu-west-1")
    assert allowed is False
    assert "condition, which ECR's requests to the AWS-owned bucket never meet" in why


@pytest.mark.parametrize("key", ACCOUNT_KEYS)
def test_negated_account_key_lets_the_layer_bucket_through(key):
    from ecsnetpolicy.checks.s3 import layer_bucket_access

    assert layer_bucket_access(_doc({"StringNotEquals": {key: "111122223333"}}), "eu-west-1")[0] is True


@pytest.mark.parametrize("condition", [
    {"StringEqualsIfExists": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}},  # absent outside an organisation
    {"StringLike": {"aws:PrincipalAccount": "*"}},
    {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}},  # a key we do not evaluate
])
def test_undecidable_condition_is_unknown_never_a_verdict(condition):
    from ecsnetpolicy.checks.s3 import layer_bucket_access

    allowed, why = layer_bucket_access(_doc(condition), "eu-west-1")
    assert allowed is None and "statement Mine" in why


# ---------------------------------------------------------------- EN2006: every non-gateway service
@pytest.mark.parametrize("service,interface_only", [("s3", False), ("dynamodb", False), ("s3express", False), ("sqs", True), ("sns", True),
                                                    ("ecr.api", True), ("execute-api", True), ("bedrock-runtime", True)])
def test_only_s3_s3express_and_dynamodb_offer_gateway_endpoints(service, interface_only):
    from ecsnetpolicy.load.policy import load_policy

    assert load_policy().interface_only(service) is interface_only


# ---------------------------------------------------------------- no internal representation in any message
_REPR = re.compile(r"\b(?:ResRef|ResAtt|Unknown|LiteralId|Partial|AZList|AZ)\(|<[A-Za-z_.]+ object at 0x|\x00|\ba (?:ResRef|ResAtt|Partial|LiteralId|AZ|NoneType|CommentedMap|CommentedSeq|str|int)\b|AWS::NoValue\b(?!\))")


def _fixture_templates():
    skip = {"expectations.yaml", "README.md"}
    for folder in ("templates", "principles", "foreach", "fail_closed"):
        for p in sorted((ROOT / "tests" / "fixtures" / folder).rglob("*")):
            if p.suffix in (".yaml", ".yml", ".json") and p.name not in skip:
                yield p


def test_no_internal_representation_in_any_message_of_any_fixture(capsys):
    from ecsnetpolicy.cli import main

    paths = [str(p) for p in _fixture_templates()]
    paths += [str(ROOT / "tests" / "fixtures" / "deployments")]
    main(["check", "--format", "json", "--fail-on", "none", *paths])
    out = capsys.readouterr().out
    import json

    messages = [m["Message"] for m in json.loads(out)]
    assert len(messages) > 50
    bad = [m for m in messages if _REPR.search(m)]
    assert bad == []


# ---------------------------------------------------------------- managed policies are data
@pytest.mark.parametrize("name,action,granted", [
    ("AmazonEC2ContainerRegistryReadOnly", "ecr:BatchGetImage", True),
    ("AmazonEC2ContainerRegistryReadOnly", "logs:CreateLogStream", False),
    ("CloudWatchLogsFullAccess", "logs:CreateLogGroup", True),
    ("SecretsManagerReadWrite", "secretsmanager:GetSecretValue", True),
    ("SecretsManagerReadWrite", "kms:Decrypt", False),  # kms:DescribeKey/ListKeys/ListAliases only
    ("AmazonSSMReadOnlyAccess", "ssm:GetParameters", True),
    ("AmazonS3ReadOnlyAccess", "s3:GetObject", True),
    ("service-role/AmazonECSTaskExecutionRolePolicy", "logs:CreateLogGroup", False),  # fact 25
])
def test_managed_policy_grants_are_data(name, action, granted):
    from ecsnetpolicy.checks.policy_documents import _match_any
    from ecsnetpolicy.load.policy import load_policy

    actions = load_policy().managed_policies[name]
    assert bool(_match_any(actions, action, ignore_case=True)) is granted


# ---------------------------------------------------------------- prefix lists belong to one region
GOOD = ROOT / "tests" / "fixtures" / "templates" / "good_private_endpoints.yaml"


def test_a_prefix_list_of_another_region_does_not_reach_s3():
    # pl-63a5400a is S3's list in us-east-1 (the fixture's default); in eu-west-1 S3's is pl-6da54004
    assert standalone(GOOD) == []
    got = standalone(GOOD, region="eu-west-1")
    assert [(r, line) for r, line, _c, _m in got] == [("EN1001", 68)]
    assert "does not allow TCP 443 out to the S3 gateway endpoint" in got[0][3]
    assert standalone(GOOD, params={"S3PrefixListId": "pl-6da54004"}, region="eu-west-1") == []


def test_a_prefix_list_the_policies_do_not_know_is_unknown_never_taken_for_s3():
    for params, region in (({}, "us-west-2"), ({"S3PrefixListId": "pl-0fedcba987654321a"}, "us-east-1")):
        got = standalone(GOOD, params=params, region=region)
        assert [(r, line) for r, line, _c, _m in got] == [("IN9001", 78)], got
        assert f"is not one whose addresses ecsnetpolicy knows in {region} (a prefix list ID belongs to one region)" in got[0][3]
