"""The pure half of apply: semantic comparison, size check, backups, config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.apply import backup, plan
from generator.config import config_from_text, load_config
from generator.errors import ConfigError
from generator.render import render

ROOT = Path(__file__).resolve().parent.parent
from tests.conftest import EXAMPLE, with_apply  # noqa: E402  (the fixture, never the user's file)

BASE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "arn:aws:iam::2:root"]},
         "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
         "Resource": ["arn:x/g/*"],
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-1"]}, "Bool": {"aws:SecureTransport": "true"}}},
        {"Sid": "B", "Effect": "Deny", "Principal": "*", "Action": "sagemaker:UpdateModelPackage",
         "Resource": "arn:x/g/*"},
    ],
}


def variant(**changes) -> str:
    doc = json.loads(json.dumps(BASE))
    for path, value in changes.items():
        index, key = path.split("__", 1)
        doc["Statement"][int(index[1:])][key] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(json.dumps(BASE, indent=4), id="whitespace"),
        pytest.param(json.dumps({"Statement": BASE["Statement"][::-1], "Version": "2012-10-17"}), id="statement-order"),
        pytest.param(variant(s0__Action=["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"]),
                     id="action-order"),
        pytest.param(variant(s1__Action=["sagemaker:UpdateModelPackage"]), id="string-vs-one-element-list"),
        pytest.param(variant(s0__Principal={"AWS": ["arn:aws:iam::2:root", "arn:aws:iam::1:root",
                                                   "arn:aws:iam::1:root"]}), id="principal-order-and-duplicate"),
        pytest.param(variant(s0__Condition={"Bool": {"aws:SecureTransport": True},
                                            "StringEquals": {"aws:PrincipalOrgID": "o-1"}}),
                     id="condition-bool-and-scalar"),
        pytest.param(json.dumps({**BASE, "Statement": BASE["Statement"] + [BASE["Statement"][1]]}),
                     id="duplicate-statement"),
    ],
)
def test_equivalent_policies_are_the_same(other):
    assert plan.same(json.dumps(BASE), other)
    assert plan.statement_changes(json.dumps(BASE), other) == []


@pytest.mark.parametrize(
    ("other", "change"),
    [
        pytest.param(variant(s0__Action=["sagemaker:DescribeModelPackage"]),
                     "~ A (Allow sagemaker:DescribeModelPackage)", id="action-removed"),
        pytest.param(variant(s1__Effect="Allow"), "~ B (Allow sagemaker:UpdateModelPackage)", id="effect"),
        pytest.param(variant(s0__Principal={"AWS": ["arn:aws:iam::1:root"]}),
                     "~ A (Allow sagemaker:DescribeModelPackage, sagemaker:ListModelPackages)", id="principal-removed"),
        pytest.param(variant(s0__Condition={"StringEquals": {"aws:PrincipalOrgID": ["o-1"]}}),
                     "~ A (Allow sagemaker:DescribeModelPackage, sagemaker:ListModelPackages)", id="condition-dropped"),
        pytest.param(variant(s1__Principal={"AWS": "*"}), "~ B (Deny sagemaker:UpdateModelPackage)",
                     id="star-principal-forms-count-as-different"),
        pytest.param(variant(s1__Action="SageMaker:UpdateModelPackage"), "~ B (Deny SageMaker:UpdateModelPackage)",
                     id="case-counts-as-different"),
        pytest.param(json.dumps({**BASE, "Statement": BASE["Statement"][:1]}),
                     "- B (Deny sagemaker:UpdateModelPackage)",
                     id="statement-removed"),
    ],
)
def test_different_policies_differ(other, change):
    assert not plan.same(json.dumps(BASE), other)
    assert plan.statement_changes(json.dumps(BASE), other) == [change]


def test_absent_and_unparsable_policies():
    assert plan.same(None, None)
    assert not plan.same(None, json.dumps(BASE))
    assert not plan.same("not json", json.dumps(BASE))
    assert plan.statement_changes(None, json.dumps(BASE)) == [
        "+ A (Allow sagemaker:DescribeModelPackage, sagemaker:ListModelPackages)",
        "+ B (Deny sagemaker:UpdateModelPackage)",
    ]


def test_diff_shows_only_semantic_changes():
    reordered = json.dumps({"Statement": BASE["Statement"][::-1], "Version": "2012-10-17"})
    assert plan.diff(json.dumps(BASE), reordered, "a", "b") == ""
    text = plan.diff(json.dumps(BASE), variant(s1__Effect="Allow"), "in AWS", "rendered")
    assert [line for line in text.splitlines() if line[:1] in "+-"] == [
        "--- in AWS", "+++ rendered", '-      "Effect": "Deny",', '+      "Effect": "Allow",'
    ]


# --- what is sent --------------------------------------------------------------------
def _policy_of_length(length: int) -> str:
    head = '{"Version":"2012-10-17","Statement":[],"Id":"'
    return head + "x" * (length - len(head) - 2) + '"}'


def test_size_limit_is_20480_characters_of_the_exact_text():
    plan.check_sendable(_policy_of_length(20_480))
    with pytest.raises(plan.PolicyRefused, match="20,481 characters, over the SageMaker model package group "
                                                 "policy limit of 20,480"):
        plan.check_sendable(_policy_of_length(20_481))
    # characters, not bytes: 20,480 non-ASCII characters still fit
    doc = _policy_of_length(20_480).replace("x", "é")
    assert len(doc.encode()) > 20_480
    plan.check_sendable(doc)


@pytest.mark.parametrize(("text", "reason"), [("{", "not valid JSON"), ("[]", "not a JSON object with a Statement"),
                                              ('{"Version": "2012-10-17"}', "not a JSON object with a Statement")])
def test_unparsable_policies_are_refused(text, reason):
    with pytest.raises(plan.PolicyRefused, match=reason):
        plan.check_sendable(text)


def test_targets_send_exactly_the_rendered_files():
    config = load_config(EXAMPLE)
    files = render(config)
    targets = plan.targets(config)
    assert [t.name for t in targets] == ["churn-predictor", "credit-risk"]
    for target in targets:
        assert target.text == files[target.path]
        assert target.arn == f"arn:aws:sagemaker:us-east-1:111111111111:model-package-group/{target.name}"
    assert [t.name for t in plan.targets(config, ("credit-risk",))] == ["credit-risk"]


# --- backups ---------------------------------------------------------------------------
def _backup(previous: str | None) -> backup.Backup:
    return backup.Backup("111111111111", "us-east-1", "credit-risk",
                         "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/credit-risk",
                         previous, True, "20250102T030405Z", "apply")


def test_backups_are_named_deterministically_and_never_overwritten(tmp_path):
    first = backup.write(tmp_path, _backup('{"Statement": []}'))
    second = backup.write(tmp_path, _backup(None))
    assert first.name == "20250102T030405Z-111111111111-us-east-1-credit-risk.json"
    assert second.name == "20250102T030405Z-111111111111-us-east-1-credit-risk-2.json"
    assert backup.read(first).previous_policy == '{"Statement": []}'
    assert backup.read(second).previous_policy is None
    assert backup.read(first) == _backup('{"Statement": []}')


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "is not a model package group policy backup"),
        (json.dumps({"format": backup.FORMAT}), "missing key"),
        (json.dumps({**json.loads(_backup(None).to_json()), "previous_policy": {"Statement": []}}),
         "previous_policy must be the policy text or null"),
        (json.dumps({**json.loads(_backup(None).to_json()), "account_id": ""}), "account_id must be a non-empty"),
    ],
)
def test_bad_backup_files_are_refused(tmp_path, content, message):
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(backup.BadBackup, match=message):
        backup.read(path)


# --- the optional apply: section of accounts.yaml ----------------------------------------
def _config(apply_section: str):
    return config_from_text(with_apply(EXAMPLE.read_text(), apply_section))


def test_apply_assumes_no_role_it_is_not_told_to():
    """Issue 31: no default role, least of all the organization's administrator role: without apply: the
    helper uses the ambient credentials (checked to be the registry account's)."""
    from generator.apply.run import Options, role_to_assume

    bare = _config("")
    assert (bare.apply.role_name, bare.apply.role_arn, bare.apply.assumes) == (None, None, False)
    assert role_to_assume(bare, Options(config=EXAMPLE)) is None
    named = _config("apply: {role_name: ops/PolicyApplier}")
    assert named.apply.assumes
    assert role_to_assume(named, Options(config=EXAMPLE)) == "arn:aws:iam::111111111111:role/ops/PolicyApplier"
    assert not _config("apply: {role_name: X, assume_role: false}").apply.assumes


def test_assume_role_true_without_a_role_is_refused_naming_the_key():
    with pytest.raises(ConfigError) as exc:
        _config("apply: {assume_role: true}")
    assert exc.value.key == "apply.role_name" and "no role is named" in exc.value.message


def test_apply_section_of_the_example():
    settings = load_config(EXAMPLE).apply
    assert settings.assumes
    assert (settings.role_name, settings.role_arn) == ("ModelRegistryPolicyApplier", None)
    custom = _config("apply: {role_arn: 'arn:aws:iam::111111111111:role/ops/PolicyApplier'}").apply
    assert custom.role_arn == "arn:aws:iam::111111111111:role/ops/PolicyApplier"


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ("apply: {role: X}", "apply.role", "unknown key"),
        ("apply: {assume_role: 'yes'}", "apply.assume_role", "valid boolean"),
        ("apply: {role_name: 'Bad Name'}", "apply.role_name", "must be an IAM role name"),
        ("apply: {role_name: 'Ops*'}", "apply.role_name", "must name one role"),
        ("apply: {role_arn: 'arn:aws:iam::222222222222:role/X'}", "apply.role_arn",
         "must be a role in the registry account 111111111111, not 222222222222"),
        ("apply: {role_arn: 'arn:aws-cn:iam::111111111111:role/X'}", "apply.role_arn", "must be in partition aws"),
        ("apply: {role_arn: 'arn:aws:iam::111111111111:user/X'}", "apply.role_arn", "must be an IAM role ARN"),
        ("apply: {role_arn: 'arn:aws:iam::111111111111:role/X', role_name: Y}", "apply.role_name",
         "set either apply.role_arn or apply.role_name, not both"),
    ],
)
def test_bad_apply_section(section, key, message):
    with pytest.raises(ConfigError) as error:
        _config(section)
    assert error.value.key == key
    assert message in error.value.message
    text = EXAMPLE.read_text()
    assert error.value.line == text[:text.index("\napply:")].count("\n") + 2  # the line of the apply: section
