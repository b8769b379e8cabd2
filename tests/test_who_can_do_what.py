"""Who can do what, evaluated on the rendered example policies.

Each row is one request made by one role; the evaluator combines the
role's identity policy with the registry resource policy, as AWS does for a
cross-account call. These pin the product's promises: prod cannot write,
scientists cannot approve, an unlisted role gets nothing, one group's
parties cannot touch another group.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from generator import limits, render
from generator.config import config_from_text

from .kindkit import tiny_limit
from .conftest import EXAMPLE, EXAMPLE_OUT, World

REG = "111111111111"
B = "arn:aws:s3:::acme-ml-model-artifacts"
KEY = f"arn:aws:kms:us-east-1:{REG}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SM = f"arn:aws:sagemaker:us-east-1:{REG}"
CREDIT_V1 = f"{SM}:model-package/credit-risk/1"
CHURN_V1 = f"{SM}:model-package/churn-predictor/1"
CREDIT_GROUP = f"{SM}:model-package-group/credit-risk"
CHURN_GROUP = f"{SM}:model-package-group/churn-predictor"

DS = "arn:aws:iam::222222222222:role/SageMakerExecutionRole"
DEPLOY = "arn:aws:iam::333333333333:role/ModelDeployPipelineRole"
TEST = "arn:aws:iam::444444444444:role/SageMakerExecutionRole"
PROD = "arn:aws:iam::555555555555:role/SageMakerExecutionRole"
GOV = "arn:aws:iam::666666666666:role/ModelApproverRole"

S3_VIA = "s3.us-east-1.amazonaws.com"
SM_VIA = "sagemaker.us-east-1.amazonaws.com"
PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
STATUS = "sagemaker__ModelApprovalStatus"
SSE = "s3__x-amz-server-side-encryption"
SSE_KEY = "s3__x-amz-server-side-encryption-aws-kms-key-id"
SSE_C = "s3__x-amz-server-side-encryption-customer-algorithm"
DS_KEY = "arn:aws:kms:us-east-1:222222222222:key/00000000-1111-2222-3333-444444444444"

CASES = [
    # --- developers: write their group's artifacts, register as pending, never approve
    ("ds puts credit-risk artifact", DS, "s3:PutObject", f"{B}/credit-risk/model.tar.gz", {}, True),
    ("ds reads churn artifact", DS, "s3:GetObject", f"{B}/churn-predictor/model.tar.gz", {}, True),
    ("ds cannot write outside group prefixes", DS, "s3:PutObject", f"{B}/other/model.tar.gz", {}, False),
    ("ds cannot write at bucket root", DS, "s3:PutObject", f"{B}/model.tar.gz", {}, False),
    ("ds cannot delete artifacts", DS, "s3:DeleteObject", f"{B}/credit-risk/model.tar.gz", {}, False),
    ("ds lists its prefix", DS, "s3:ListBucket", B, {"s3__prefix": "credit-risk/"}, True),
    ("ds cannot list the whole bucket", DS, "s3:ListBucket", B, {"s3__prefix": ""}, False),
    ("ds cannot list without prefix", DS, "s3:ListBucket", B, {}, False),
    ("ds cannot list another prefix", DS, "s3:ListBucket", B, {"s3__prefix": "other/"}, False),
    ("ds cannot change the bucket policy", DS, "s3:PutBucketPolicy", B, {}, False),
    ("ds registers pending", DS, "sagemaker:CreateModelPackage", CREDIT_V1, {STATUS: PENDING}, True),
    ("ds cannot register approved", DS, "sagemaker:CreateModelPackage", CREDIT_V1, {STATUS: APPROVED}, False),
    ("ds cannot register rejected", DS, "sagemaker:CreateModelPackage", CREDIT_V1, {STATUS: REJECTED}, False),
    ("ds must pass the status explicitly", DS, "sagemaker:CreateModelPackage", CREDIT_V1, {}, False),
    ("ds updates metadata", DS, "sagemaker:UpdateModelPackage", CREDIT_V1, {}, True),
    ("ds cannot approve", DS, "sagemaker:UpdateModelPackage", CREDIT_V1, {STATUS: APPROVED}, False),
    ("ds cannot reject", DS, "sagemaker:UpdateModelPackage", CREDIT_V1, {STATUS: REJECTED}, False),
    ("ds describes versions", DS, "sagemaker:DescribeModelPackage", CHURN_V1, {}, True),
    ("ds lists versions", DS, "sagemaker:ListModelPackages", f"{SM}:model-package/credit-risk/*", {}, True),
    ("ds describes group", DS, "sagemaker:DescribeModelPackageGroup", CREDIT_GROUP, {}, True),
    ("ds cannot delete versions", DS, "sagemaker:DeleteModelPackage", CREDIT_V1, {}, False),
    ("ds cannot change group policy", DS, "sagemaker:PutModelPackageGroupPolicy", CREDIT_GROUP, {}, False),
    ("ds generates data key via s3", DS, "kms:GenerateDataKey", KEY, {"kms__ViaService": S3_VIA}, True),
    ("ds cannot use key directly", DS, "kms:GenerateDataKey", KEY, {}, False),
    ("ds cannot administer key", DS, "kms:PutKeyPolicy", KEY, {"kms__ViaService": S3_VIA}, False),
    ("ds cannot schedule key deletion", DS, "kms:ScheduleKeyDeletion", KEY, {}, False),
    # --- deployers: read and describe, never write
    ("deployer reads artifact", DEPLOY, "s3:GetObject", f"{B}/credit-risk/model.tar.gz", {}, True),
    ("deployer cannot write artifact", DEPLOY, "s3:PutObject", f"{B}/credit-risk/model.tar.gz", {}, False),
    ("deployer describes group", DEPLOY, "sagemaker:DescribeModelPackageGroup", CHURN_GROUP, {}, True),
    ("deployer lists versions", DEPLOY, "sagemaker:ListModelPackages", f"{SM}:model-package/churn-predictor/*", {}, True),
    ("deployer cannot update", DEPLOY, "sagemaker:UpdateModelPackage", CREDIT_V1, {STATUS: APPROVED}, False),
    ("deployer cannot register", DEPLOY, "sagemaker:CreateModelPackage", CREDIT_V1, {STATUS: PENDING}, False),
    ("deployer decrypts via s3", DEPLOY, "kms:Decrypt", KEY, {"kms__ViaService": S3_VIA}, True),
    ("deployer cannot encrypt", DEPLOY, "kms:GenerateDataKey", KEY, {"kms__ViaService": S3_VIA}, False),
    # --- consumers: read their groups only
    ("prod reads credit-risk", PROD, "s3:GetObject", f"{B}/credit-risk/model.tar.gz", {}, True),
    ("prod cannot write", PROD, "s3:PutObject", f"{B}/credit-risk/model.tar.gz", {}, False),
    ("prod cannot read churn (not a consumer)", PROD, "s3:GetObject", f"{B}/churn-predictor/model.tar.gz", {}, False),
    ("prod describes credit-risk version", PROD, "sagemaker:DescribeModelPackage", CREDIT_V1, {}, True),
    ("prod cannot describe churn version", PROD, "sagemaker:DescribeModelPackage", CHURN_V1, {}, False),
    ("prod cannot update versions", PROD, "sagemaker:UpdateModelPackage", CREDIT_V1, {}, False),
    ("prod cannot approve", PROD, "sagemaker:UpdateModelPackage", CREDIT_V1, {STATUS: APPROVED}, False),
    ("test reads churn", TEST, "s3:GetObject", f"{B}/churn-predictor/model.tar.gz", {}, True),
    ("prod decrypts via s3", PROD, "kms:Decrypt", KEY, {"kms__ViaService": S3_VIA}, True),
    ("prod cannot generate data keys", PROD, "kms:GenerateDataKey", KEY, {"kms__ViaService": S3_VIA}, False),
    # no grants on the artifact key: reading needs Decrypt; the endpoint's volume key is the caller's own
    ("prod cannot create grants on the key, even for an endpoint", PROD, "kms:CreateGrant", KEY,
     {"kms__ViaService": SM_VIA, "kms__GrantIsForAWSResource": "true"}, False),
    ("prod cannot grant for itself", PROD, "kms:CreateGrant", KEY,
     {"kms__ViaService": SM_VIA, "kms__GrantIsForAWSResource": "false"}, False),
    ("prod cannot grant outside sagemaker", PROD, "kms:CreateGrant", KEY, {"kms__GrantIsForAWSResource": "true"}, False),
    # listing: S3Prefix (uncompressed) model data is every object under a prefix
    ("prod cannot list another group's prefix", PROD, "s3:ListBucket", B, {"s3__prefix": "churn-predictor/"}, False),
    ("prod cannot list the whole bucket", PROD, "s3:ListBucket", B, {"s3__prefix": ""}, False),
    ("prod cannot list without a prefix", PROD, "s3:ListBucket", B, {}, False),
    ("prod lists its group's prefix (S3Prefix model data)", PROD, "s3:ListBucket", B,
     {"s3__prefix": "credit-risk/model-1/"}, True),
    ("deployer cannot list outside group prefixes", DEPLOY, "s3:ListBucket", B, {"s3__prefix": "other/"}, False),
    ("deployer lists a group prefix", DEPLOY, "s3:ListBucket", B, {"s3__prefix": "churn-predictor/"}, True),
    # --- approvers: approve, but touch no artifacts or keys
    ("governance cannot update without setting a status", GOV, "sagemaker:UpdateModelPackage", CREDIT_V1, {}, False),
    ("governance cannot update other fields without a status", GOV, "sagemaker:UpdateModelPackage", CREDIT_V1,
     {"sagemaker__CustomerMetadataProperties/owner": "x"}, False),
    ("governance approves", GOV, "sagemaker:UpdateModelPackage", CREDIT_V1, {STATUS: APPROVED}, True),
    ("governance rejects", GOV, "sagemaker:UpdateModelPackage", CHURN_V1, {STATUS: REJECTED}, True),
    ("governance lists versions", GOV, "sagemaker:ListModelPackages", f"{SM}:model-package/credit-risk/*", {}, True),
    ("governance cannot register", GOV, "sagemaker:CreateModelPackage", CREDIT_V1, {STATUS: APPROVED}, False),
    ("governance cannot read artifacts", GOV, "s3:GetObject", f"{B}/credit-risk/model.tar.gz", {}, False),
    ("governance cannot decrypt", GOV, "kms:Decrypt", KEY, {"kms__ViaService": S3_VIA}, False),
    # --- guardrails
    ("no TLS, no access", DS, "s3:GetObject", f"{B}/credit-risk/model.tar.gz", {"aws__SecureTransport": "false"}, False),
    # uploads every other party can read: the registry key or the bucket default, nothing else
    ("SSE-S3 header refused", DS, "s3:PutObject", f"{B}/credit-risk/m.tar.gz", {SSE: "AES256"}, False),
    ("DSSE-KMS header refused", DS, "s3:PutObject", f"{B}/credit-risk/m.tar.gz", {SSE: "aws:kms:dsse"}, False),
    ("aws:kms without a key id (the uploader's aws/s3 key) refused", DS, "s3:PutObject",
     f"{B}/credit-risk/m.tar.gz", {SSE: "aws:kms"}, False),
    ("aws:kms with the uploader's own key refused", DS, "s3:PutObject", f"{B}/credit-risk/m.tar.gz",
     {SSE: "aws:kms", SSE_KEY: DS_KEY}, False),
    ("aws:kms with a bare key id (resolved in the uploader's account) refused", DS, "s3:PutObject",
     f"{B}/credit-risk/m.tar.gz", {SSE: "aws:kms", SSE_KEY: KEY.rsplit("/", 1)[1]}, False),
    ("aws:kms with a bare alias (resolved in the uploader's account) refused", DS, "s3:PutObject",
     f"{B}/credit-risk/m.tar.gz", {SSE: "aws:kms", SSE_KEY: "alias/ml-model-artifacts"}, False),
    ("a key id of another account without the algorithm header refused", DS, "s3:PutObject",
     f"{B}/credit-risk/m.tar.gz", {SSE_KEY: DS_KEY}, False),
    ("SSE-C refused", DS, "s3:PutObject", f"{B}/credit-risk/m.tar.gz", {SSE_C: "AES256"}, False),
    ("no encryption header: bucket default (SDK S3Uploader without kms_key)", DS, "s3:PutObject",
     f"{B}/credit-risk/m.tar.gz", {}, True),
    ("aws:kms with the registry key ARN (training output KmsKeyId) accepted", DS, "s3:PutObject",
     f"{B}/credit-risk/m.tar.gz", {SSE: "aws:kms", SSE_KEY: KEY}, True),
    ("aws:kms with the registry alias ARN accepted", DS, "s3:PutObject", f"{B}/credit-risk/m.tar.gz",
     {SSE: "aws:kms", SSE_KEY: f"arn:aws:kms:us-east-1:{REG}:alias/ml-model-artifacts"}, True),
]


AP = f"arn:aws:s3:us-east-1:{REG}:accesspoint"


def through_access_points(resource: str, context: dict) -> str:
    """The same request made through a group's access point (s3_layout:
    access_points). A key outside any group goes through credit-risk's
    access point; listing goes through the access point of the prefix."""
    if resource == B:
        prefix = context.get("s3__prefix") or ""
        group = prefix.split("/")[0] if prefix.split("/")[0] in ("credit-risk", "churn-predictor") else "credit-risk"
        return f"{AP}/{group}"
    if resource.startswith(B + "/"):
        key = resource[len(B) + 1:]
        group = key.split("/")[0] if key.split("/")[0] in ("credit-risk", "churn-predictor") else "credit-risk"
        return f"{AP}/{group}/object/{key}"
    return resource


def _layout_text(layout: str) -> str:
    text = EXAMPLE.read_text()
    if "access_points" in layout:
        text = text.replace("  kms_key_alias: alias/ml-model-artifacts\n",
                            "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n")
    return text


LAYOUTS = ["bucket_policy", "bucket_policy+compact", "access_points", "access_points+compact"]


@pytest.fixture(scope="module", params=LAYOUTS)
def layout(request, world):
    """The example in every layout the generator can choose. "+compact"
    shrinks every size limit so that registry policies take their compact
    principal form and identity policies their registry-wide form: the
    forms used for large organizations must grant exactly the same."""
    name = request.param
    if name == "bucket_policy":
        return name, world, lambda resource, context: resource
    patched = {}
    if name.endswith("+compact"):
        for kind, limit in limits.LIMITS.items():
            patched[kind] = limit
            limits.LIMITS[kind] = tiny_limit(kind, limit)
    try:
        files = render.build_policies(config_from_text(_layout_text(name)))
        files = {p.path: p.text for p in files} | {
            "manifest.json": render.to_json({"policies": [p.manifest_entry() for p in files]})}
    finally:
        limits.LIMITS.update(patched)
    if name.endswith("+compact"):
        body = "".join(files.values())
        assert '"aws:PrincipalAccount"' in body and "registry-wide" in files["manifest.json"]
    translate = through_access_points if name.startswith("access_points") else (lambda resource, context: resource)
    return name, World(files), translate


@pytest.mark.parametrize("who,action,resource,context,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_who_can_do_what(layout, who, action, resource, context, expected):
    _, world, translate = layout
    decision = world.decide(who, action, translate(resource, context), **context)
    assert decision.allowed is expected, decision.reason


ALLOWED = [c for c in CASES if c[-1]]


@pytest.mark.parametrize("who,action,resource,context,expected", [c[1:] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_every_allowed_call_needs_both_halves(layout, who, action, resource, context, expected):
    """Both halves are rendered: drop either one and the call is denied."""
    _, world, translate = layout
    resource = translate(resource, context)
    decision = world.decide(who, action, resource, **context)
    assert decision.identity_allows and decision.resource_allows
    assert not world.decide(who, action, resource, identity=[], **context).allowed


@pytest.mark.parametrize("who,action,resource,context,expected", [c[1:] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_outside_the_organization_nothing_is_allowed(layout, who, action, resource, context, expected):
    _, world, translate = layout
    resource = translate(resource, context)
    assert not world.decide(who, action, resource, org="o-zzzzzzzzzz", **context).allowed
    assert not world.decide(who, action, resource, org=None, **context).allowed


@pytest.mark.parametrize("who,action,resource,context,expected", [c[1:] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_unlisted_roles_get_nothing_even_with_a_copied_identity_policy(layout, who, action, resource, context, expected):
    """Another role in the same account, or the same role name in an account
    not in the config, is refused by the registry side even if an admin
    attached the very same identity policy to it."""
    _, world, translate = layout
    resource = translate(resource, context)
    copied = world.identity_policies(who)
    account = who.split(":")[4]
    for other in (f"arn:aws:iam::{account}:role/SomeOtherRole", who.replace(account, "777777777777")):
        assert not world.decide(other, action, resource, identity=copied, **context).allowed


@pytest.mark.parametrize("who", [DS, DEPLOY, PROD])
def test_with_access_points_the_bucket_itself_is_closed(layout, who):
    """In the access-point layout nobody outside the registry reaches the
    bucket directly: the bucket policy only delegates to access points."""
    name, world, _ = layout
    if not name.startswith("access_points"):
        pytest.skip("bucket-policy layout")
    for action in ("s3:GetObject", "s3:PutObject"):
        assert not world.can(who, action, f"{B}/credit-risk/model.tar.gz", identity=[ALLOW_ALL])


ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Sid": "All", "Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]}


def test_identity_policy_is_pinned_to_the_registry_bucket_owner(world):
    """A bucket of the same name in another account is not writable."""
    decision = world.decide(DS, "s3:PutObject", f"{B}/credit-risk/x", aws__ResourceAccount="999999999999")
    assert not decision.identity_allows


def test_key_grants_need_the_alias(world):
    """Without the key id, the identity half names any registry key behind the artifact alias only."""
    other_key = world.decide(DS, "kms:GenerateDataKey", KEY, kms__ViaService=S3_VIA, kms__ResourceAliases=["alias/other"])
    assert not other_key.identity_allows


def test_registry_account_keeps_key_administration(world):
    """Never orphan the key: the registry account's own IAM can still change
    the key policy, cancel deletion and rotate (key policy names its root)."""
    admin = "arn:aws:iam::111111111111:role/KeyAdmin"
    iam_allows = [{"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Action": ["kms:*"], "Resource": ["*"]}]}]
    for action in ("kms:PutKeyPolicy", "kms:CancelKeyDeletion", "kms:EnableKeyRotation", "kms:DescribeKey"):
        assert world.can(admin, action, KEY, identity=iam_allows, org=None), action
    # ...but only through its IAM: the key policy alone grants the registry's roles nothing.
    assert not world.can(admin, "kms:PutKeyPolicy", KEY, identity=[], org=None)


def test_committed_example_loads_from_disk():
    from generator.analysis.policyset import PolicySet

    policies = PolicySet.from_dir(EXAMPLE_OUT)
    assert policies.decide(PROD, "s3:GetObject", f"{B}/credit-risk/m.tar.gz", org="o-a1b2c3d4e5").allowed
    assert not policies.decide(PROD, "s3:PutObject", f"{B}/credit-risk/m.tar.gz", org="o-a1b2c3d4e5").allowed


def _with_rogue_access_point(world: World, name: str) -> World:
    """The same policies plus an access point someone else created in the
    registry account, whose policy lets anyone do anything through it."""
    arn = f"{AP}/{name}"
    manifest = json.loads(world.files["manifest.json"])
    path = f"shared-services/policies/s3-access-point-{name}.json"
    manifest["policies"].append({"account": "shared-services", "account_id": REG, "kind": "s3_access_point_policy",
                                 "target": arn, "path": path, "model_group": name, "access_point": name})
    rogue = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["s3:*"],
         "Resource": [arn, f"{arn}/object/*"]}]}
    return World(world.files | {"manifest.json": json.dumps(manifest), path: json.dumps(rogue)})


@pytest.mark.parametrize("name", ["rogue", "credit-risk-2", "creditrisk"])
def test_the_bucket_delegates_only_to_this_configurations_access_points(layout, name):
    """An access point anyone in the registry account creates, with any
    policy, must not reach the artifacts: the bucket policy delegates to the
    access points this configuration renders, not to every access point of
    the account (s3:DataAccessPointArn, not s3:DataAccessPointAccount alone)."""
    layout_name, world, _ = layout
    if not layout_name.startswith("access_points"):
        pytest.skip("bucket-policy layout")
    rogue = _with_rogue_access_point(world, name)
    for who, action in ((PROD, "s3:GetObject"), (PROD, "s3:PutObject"), (GOV, "s3:GetObject")):
        decision = rogue.decide(who, action, f"{AP}/{name}/object/churn-predictor/model.tar.gz", identity=[ALLOW_ALL])
        assert not decision.allowed, (who, action, decision.reason)
    assert not rogue.can(PROD, "s3:ListBucket", f"{AP}/{name}", identity=[ALLOW_ALL], s3__prefix="")
    # ...while the configuration's own access points keep working
    assert rogue.can(TEST, "s3:GetObject", f"{AP}/churn-predictor/object/churn-predictor/model.tar.gz")


def test_access_point_prefix_names_and_delegates_by_prefix():
    text = _layout_text("access_points").replace("  s3_layout: access_points\n",
                                                 "  s3_layout: access_points\n  access_point_prefix: mr-\n")
    world = World(render.render(config_from_text(text)))
    obj = f"{AP}/mr-credit-risk/object/credit-risk/m.tar.gz"
    assert world.can(PROD, "s3:GetObject", obj)
    assert not world.can(PROD, "s3:PutObject", obj)
    # another access point of the account, outside the prefix, is not delegated to
    rogue = _with_rogue_access_point(world, "credit-risk")
    assert not rogue.can(PROD, "s3:GetObject", f"{AP}/credit-risk/object/churn-predictor/m.tar.gz", identity=[ALLOW_ALL])


def test_with_the_key_arn_known_only_that_key_encrypts_uploads():
    text = EXAMPLE.read_text().replace(
        "  kms_key_alias: alias/ml-model-artifacts\n",
        f"  kms_key_alias: alias/ml-model-artifacts\n  kms_key_arn: {KEY}\n")
    world = World(render.render(config_from_text(text)))
    obj = f"{B}/credit-risk/m.tar.gz"
    other_registry_key = f"arn:aws:kms:us-east-1:{REG}:key/99999999-1111-2222-3333-444444444444"
    assert not world.can(DS, "s3:PutObject", obj, **{SSE: "aws:kms", SSE_KEY: other_registry_key})
    assert not world.can(DS, "s3:PutObject", obj, **{SSE: "aws:kms"})
    assert world.can(DS, "s3:PutObject", obj, **{SSE: "aws:kms", SSE_KEY: KEY})
    assert world.can(DS, "s3:PutObject", obj)
