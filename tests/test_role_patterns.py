"""Who can do what with wildcard and IAM Identity Center role entries.

In ArnLike, * matches '/' too: a pattern for role names also matches a
role with a path, which anyone allowed iam:CreateRole in that account can
create. Identity Center roles live under aws-reserved/sso.amazonaws.com/,
with a Region segment outside us-east-1 (AWS: "Referencing permission sets
in resource policies"). Every case runs in all four layouts; impostors
come first.
"""

from __future__ import annotations

import pytest

from generator import render
from generator.config import config_from_text
from generator.errors import ConfigError

from .kindkit import rendered_files
from .conftest import EXAMPLE, World

REG = "111111111111"
DSA = "222222222222"
B = "arn:aws:s3:::acme-ml-model-artifacts"
AP = f"arn:aws:s3:us-east-1:{REG}:accesspoint"
SM = f"arn:aws:sagemaker:us-east-1:{REG}"
KEY = f"arn:aws:kms:us-east-1:{REG}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
V1 = f"{SM}:model-package/credit-risk/1"
SSO = f"arn:aws:iam::{DSA}:role/aws-reserved/sso.amazonaws.com"

ROLES = '[SageMakerExecutionRole, "AWSReservedSSO_DataScientist_*", "Team*", "service-role/Trainer*"]'
TEXT = EXAMPLE.read_text().replace("roles: [SageMakerExecutionRole]}", f"roles: {ROLES}}}", 1)
assert ROLES in TEXT

LAYOUTS = ["bucket_policy", "bucket_policy+compact", "access_points", "access_points+compact"]


def _render(text: str, layout: str) -> World:
    if layout.startswith("access_points"):
        text = text.replace("  kms_key_alias: alias/ml-model-artifacts\n",
                            "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n")
    return World(rendered_files(text, compact=layout.endswith("+compact")))


@pytest.fixture(scope="module", params=LAYOUTS)
def world(request):
    return request.param, _render(TEXT, request.param)


def obj(layout: str, key: str = "credit-risk/model.tar.gz") -> str:
    return f"{AP}/credit-risk/object/{key}" if layout.startswith("access_points") else f"{B}/{key}"


IMPOSTORS = [
    # made by anyone with iam:CreateRole in the development account
    f"arn:aws:iam::{DSA}:role/AWSReservedSSO_DataScientist_x/Impostor",
    f"arn:aws:iam::{DSA}:role/AWSReservedSSO_DataScientist_abcdef0123456789",  # right name, no reserved path
    f"arn:aws:iam::{DSA}:role/TeamX/Impostor",
    f"arn:aws:iam::{DSA}:role/Team/Impostor",
    f"arn:aws:iam::{DSA}:role/service-role/TrainerX/Impostor",
    f"arn:aws:iam::{DSA}:role/service-role/Trainer/deep/Impostor",
    # the SSO role name of another account not in accounts.yaml
    f"arn:aws:iam::777777777777:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_abcdef0123456789",
]
MEANT = [
    f"{SSO}/AWSReservedSSO_DataScientist_abcdef0123456789",  # Identity Center in us-east-1
    f"{SSO}/eu-west-2/AWSReservedSSO_DataScientist_abcdef0123456789",  # everywhere else
    f"{SSO}/us-gov-west-1/AWSReservedSSO_DataScientist_0123456789abcdef",  # GovCloud's regional form
    f"arn:aws:iam::{DSA}:role/TeamLead",
    f"arn:aws:iam::{DSA}:role/Team",
    f"arn:aws:iam::{DSA}:role/service-role/TrainerJob7",
]
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Sid": "All", "Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]}


@pytest.mark.parametrize("who", IMPOSTORS)
def test_impostor_roles_get_nothing_even_with_an_allow_all_identity_policy(world, who):
    layout, w = world
    requests = [
        ("s3:PutObject", obj(layout), {}),
        ("s3:GetObject", obj(layout), {}),
        ("sagemaker:CreateModelPackage", V1, {"sagemaker__ModelApprovalStatus": "PendingManualApproval"}),
        ("sagemaker:DescribeModelPackage", V1, {}),
        ("kms:GenerateDataKey", KEY, {"kms__ViaService": "s3.us-east-1.amazonaws.com"}),
    ]
    for action, resource, context in requests:
        decision = w.decide(who, action, resource, identity=[ALLOW_ALL], **context)
        assert not decision.allowed, (action, decision.reason)


@pytest.mark.parametrize("who", MEANT)
def test_the_roles_meant_get_the_developer_grant(world, who):
    layout, w = world
    copied = w.identity_policies(f"arn:aws:iam::{DSA}:role/SageMakerExecutionRole")
    assert w.can(who, "s3:PutObject", obj(layout), identity=copied)
    assert w.can(who, "sagemaker:CreateModelPackage", V1, identity=copied,
                 sagemaker__ModelApprovalStatus="PendingManualApproval")
    assert not w.can(who, "sagemaker:UpdateModelPackage", V1, identity=copied, sagemaker__ModelApprovalStatus="Approved")


def test_identity_policy_of_an_sso_entry_covers_both_forms(world):
    _, w = world
    for who in MEANT[:3]:
        assert w.identity_policies(who), who
    assert not w.identity_policies(IMPOSTORS[0])


@pytest.mark.parametrize("entry,fragment", [
    ("team/*/Runner", "a * in the role path matches any deeper path"),
    ("foo/AWSReservedSSO_DataScientist_*", "IAM Identity Center roles (AWSReservedSSO_...) exist only under"),
])
def test_unfenceable_patterns_are_refused(entry, fragment):
    text = TEXT.replace(ROLES, f'[SageMakerExecutionRole, "{entry}"]')
    with pytest.raises(ConfigError) as error:
        config_from_text(text)
    assert error.value.key == "accounts.data-science.roles[1]" and fragment in error.value.message


def test_a_fence_that_would_exclude_another_listed_role_is_refused():
    text = TEXT.replace(ROLES, '[SageMakerExecutionRole, "Team*", "TeamA/Runner"]')
    with pytest.raises(ConfigError) as error:
        config_from_text(text)
    assert error.value.key == "accounts.data-science.roles[1]" and "'TeamA/Runner'" in error.value.message


@pytest.mark.parametrize("entry,valid", [
    ("team/*/Runner", False),
    ("foo/AWSReservedSSO_DataScientist_*", False),
    ("AWSReservedSSO_DataScientist_*", True),
    ("aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*", True),
    ("aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_DataScientist_*", True),
    ("service-role/Trainer*", True),
])
def test_the_schema_publishes_the_role_rules(entry, valid):
    import jsonschema
    import yaml

    from generator import schema

    data = yaml.safe_load(TEXT.replace(ROLES, f'[SageMakerExecutionRole, "{entry}"]'))
    errors = list(jsonschema.Draft7Validator(schema.schema()).iter_errors(data))
    assert (not errors) is valid, errors


def test_the_report_agrees_with_accounts_yaml_for_wildcard_and_sso_roles():
    from generator import report
    from generator.analysis.policyset import PolicySet

    config = config_from_text(TEXT)
    assert report.evaluate(config, PolicySet(render.render(config))).differences == []
