"""Policies for configs other than the example: options change grants as documented."""

from __future__ import annotations

import json

from .conftest import EXAMPLE, world_from_text

GOOD = EXAMPLE.read_text()
KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_without_organization_no_org_condition_is_rendered_and_access_still_works():
    world = world_from_text(GOOD.replace("organization_id: o-a1b2c3d4e5\n", ""))
    assert "aws:PrincipalOrgID" not in "".join(world.files.values())
    assert world.can("arn:aws:iam::555555555555:role/SageMakerExecutionRole", "s3:GetObject",
                     "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/m.tar.gz", org=None)


def test_known_key_arn_scopes_identity_policies_to_the_key_and_pins_the_bucket_to_it():
    text = GOOD.replace("  kms_key_alias: alias/ml-model-artifacts\n",
                        f"  kms_key_alias: alias/ml-model-artifacts\n  kms_key_arn: {KEY_ARN}\n")
    world = world_from_text(text)
    identity = json.loads(world.files["data-science/policies/iam-role-SageMakerExecutionRole.json"])
    kms = next(s for s in identity["Statement"] if s["Sid"] == "EncryptArtifacts")
    assert kms["Resource"] == [KEY_ARN]
    assert "ForAnyValue:StringEquals" not in kms["Condition"]
    ds = "arn:aws:iam::222222222222:role/SageMakerExecutionRole"
    obj = "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/m.tar.gz"
    other_key = KEY_ARN.replace("1234abcd", "99999999")
    assert not world.can(ds, "s3:PutObject", obj, **{"s3__x-amz-server-side-encryption-aws-kms-key-id": other_key})
    assert world.can(ds, "s3:PutObject", obj, **{"s3__x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN})
    assert not world.can(ds, "kms:Decrypt", other_key, kms__ViaService="s3.us-east-1.amazonaws.com")


def test_sso_wildcard_and_path_roles_are_matched_by_pattern_only():
    text = GOOD.replace(
        "roles: [SageMakerExecutionRole]}\n  deployment",
        'roles: ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*", "service-role/Trainer"]}\n  deployment',
    )
    world = world_from_text(text)
    paths = sorted(p for p in world.files if p.startswith("data-science/policies/"))
    assert paths == [
        "data-science/policies/iam-role-aws-reserved.sso.amazonaws.com.AWSReservedSSO_DataScientist_STAR.json",
        "data-science/policies/iam-role-service-role.Trainer.json",
    ]
    obj = "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/m.tar.gz"
    sso = "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_0123abcd"
    assert world.can(sso, "s3:PutObject", obj)
    assert world.can("arn:aws:iam::222222222222:role/service-role/Trainer", "s3:PutObject", obj)
    copied = world.identity_policies(sso)
    for other in ("arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1",
                  "arn:aws:iam::222222222222:role/Trainer"):
        assert not world.can(other, "s3:PutObject", obj, identity=copied)


def test_gov_cloud_partition_in_every_arn():
    text = GOOD.replace("partition: aws", "partition: aws-us-gov").replace("region: us-east-1", "region: us-gov-west-1")
    world = world_from_text(text)
    body = "".join(world.files.values())
    assert "arn:aws:" not in body
    assert "arn:aws-us-gov:sagemaker:us-gov-west-1:111111111111:model-package/credit-risk/*" in body


def test_explicit_deployers_and_approvers_replace_the_defaults():
    text = GOOD.replace(
        "  governance:      {id: \"666666666666\", kind: governance, roles: [ModelApproverRole]}\n",
        "  governance:      {id: \"666666666666\", kind: governance, roles: [ModelApproverRole]}\n"
        "  risk-office:     {id: \"777777777777\", kind: governance, roles: [RiskApprover]}\n",
    ).replace("    consumers: [test]\n", "    consumers: [test]\n    approvers: [risk-office]\n    deployers: []\n")
    world = world_from_text(text)
    churn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-predictor/3"
    credit = "arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-risk/3"
    gov = "arn:aws:iam::666666666666:role/ModelApproverRole"
    risk = "arn:aws:iam::777777777777:role/RiskApprover"
    approve = {"sagemaker__ModelApprovalStatus": "Approved"}
    assert world.can(risk, "sagemaker:UpdateModelPackage", churn, **approve)
    assert not world.can(gov, "sagemaker:UpdateModelPackage", churn, **approve)
    assert world.can(gov, "sagemaker:UpdateModelPackage", credit, **approve)  # default: every governance account
    assert world.can(risk, "sagemaker:UpdateModelPackage", credit, **approve)
    deployer = "arn:aws:iam::333333333333:role/ModelDeployPipelineRole"
    assert not world.can(deployer, "sagemaker:DescribeModelPackage", churn)
    assert world.can(deployer, "sagemaker:DescribeModelPackage", credit)
