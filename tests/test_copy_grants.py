"""Promote by copy: who can and cannot do what, on the render of tests/fixtures/copy.

credit-risk is registered by copy and churn-predictor directly, in one
config. Each row is one request through the project's evaluator: the
caller's identity policy with the registry's resource policy (bucket,
key, group), as AWS combines them. Negative cases first.
"""

from __future__ import annotations

import json

import pytest

from generator import copyflow
from generator.config import config_from_text, load_config
from generator.errors import ConfigError
from generator.render import render

from .conftest import FIXTURES, World
from .kindkit import rendered_files

CONFIG = FIXTURES / "copy" / "accounts.yaml"
REG, DEV, OTHER = "111111111111", "222222222222", "777777777777"
B = "arn:aws:s3:::acme-ml-model-artifacts"
SM = f"arn:aws:sagemaker:us-east-1:{REG}"
CREDIT_V1 = f"{SM}:model-package/credit-risk/1"
CHURN_V1 = f"{SM}:model-package/churn-predictor/1"
DS = f"arn:aws:iam::{DEV}:role/SageMakerExecutionRole"
RESEARCH = f"arn:aws:iam::{OTHER}:role/SageMakerExecutionRole"
PROD = "arn:aws:iam::555555555555:role/SageMakerExecutionRole"
DEPLOY = "arn:aws:iam::333333333333:role/ModelDeployPipelineRole"
GOV = "arn:aws:iam::666666666666:role/ModelApproverRole"
FN = f"arn:aws:iam::{REG}:role/{copyflow.ROLE_NAME}"
ADMIN = f"arn:aws:iam::{REG}:role/Admin"
SOURCE = f"arn:aws:sagemaker:us-east-1:{DEV}:model-package/credit-risk/4"
STATUS = "sagemaker__ModelApprovalStatus"
STAGE, STAGE_STATUS = "sagemaker__ModelLifeCycle:Stage", "sagemaker__ModelLifeCycle:StageStatus"
META = f"sagemaker__CustomerMetadataProperties/{copyflow_key}" if (copyflow_key := "SourceModelPackageArn") else ""
PENDING = "PendingManualApproval"
FIRST = {STAGE: "Test", STAGE_STATUS: "PendingApproval"}
ONCE = {"s3__if-none-match": "*", "s3__ObjectCreationOperation": "PutObject"}
RELEASED = f"{B}/released/credit-risk/{DEV}-4/model.tar.gz"
INCOMING = f"{B}/incoming/{DEV}/credit-risk/run-1/model.tar.gz"

CASES = [
    # --- developers of a copy-mode group: their own incoming/ prefix, nothing central
    ("ds cannot write released/", DS, "s3:PutObject", RELEASED, ONCE, False),
    ("ds cannot write the direct layout of a copy group", DS, "s3:PutObject", f"{B}/credit-risk/model.tar.gz", {}, False),
    ("ds cannot write another account's incoming/", DS, "s3:PutObject", f"{B}/incoming/{OTHER}/credit-risk/m", {}, False),
    ("ds cannot write another group's incoming/", DS, "s3:PutObject", f"{B}/incoming/{DEV}/other/m", {}, False),
    ("ds cannot register central credit-risk versions", DS, "sagemaker:CreateModelPackage", CREDIT_V1,
     {STATUS: PENDING, **FIRST}, False),
    ("ds cannot update central credit-risk versions", DS, "sagemaker:UpdateModelPackage", CREDIT_V1, {}, False),
    ("ds cannot delete released/", DS, "s3:DeleteObject", RELEASED, {}, False),
    ("ds writes its own incoming/ prefix", DS, "s3:PutObject", INCOMING, {}, True),
    ("ds lists its own incoming/ prefix", DS, "s3:ListBucket", B, {"s3__prefix": f"incoming/{DEV}/credit-risk/"}, True),
    ("ds reads central credit-risk versions", DS, "sagemaker:DescribeModelPackage", CREDIT_V1, {}, True),
    ("ds still registers churn-predictor (direct) pending", DS, "sagemaker:CreateModelPackage", CHURN_V1,
     {STATUS: PENDING, **FIRST}, True),
    # --- readers: released/ only
    ("prod cannot read incoming/", PROD, "s3:GetObject", INCOMING, {}, False),
    ("prod cannot read the direct layout of a copy group", PROD, "s3:GetObject", f"{B}/credit-risk/m", {}, False),
    ("prod reads released/", PROD, "s3:GetObject", RELEASED, {}, True),
    ("deployer cannot read incoming/", DEPLOY, "s3:GetObject", INCOMING, {}, False),
    ("deployer reads released/", DEPLOY, "s3:GetObject", RELEASED, {}, True),
    # --- the registry function: exactly the copy, once
    ("fn cannot overwrite released/ (no If-None-Match)", FN, "s3:PutObject", RELEASED,
     {"s3__ObjectCreationOperation": "PutObject"}, False),
    ("fn cannot overwrite released/ (If-Match)", FN, "s3:PutObject", RELEASED, {**ONCE, "s3__if-match": '"e"'}, False),
    ("fn cannot CopyObject onto released/", FN, "s3:PutObject", RELEASED, {"s3__ObjectCreationOperation": "CopyObject"}, False),
    ("fn cannot complete a multipart upload without If-None-Match", FN, "s3:PutObject", RELEASED,
     {"s3__ObjectCreationOperation": "CompleteMultipartUpload"}, False),
    ("fn cannot delete released/", FN, "s3:DeleteObject", RELEASED, {}, False),
    ("fn cannot write another group's released/", FN, "s3:PutObject", f"{B}/released/churn-predictor/x", ONCE, False),
    ("fn cannot read an account's incoming/ that does not develop the group", FN, "s3:GetObject",
     f"{B}/incoming/{OTHER}/credit-risk/m", {}, False),
    ("fn cannot write incoming/", FN, "s3:PutObject", INCOMING, ONCE, False),
    ("fn cannot register approved", FN, "sagemaker:CreateModelPackage", CREDIT_V1,
     {STATUS: "Approved", **FIRST, META: SOURCE}, False),
    ("fn cannot register past the first stage", FN, "sagemaker:CreateModelPackage", CREDIT_V1,
     {STATUS: PENDING, STAGE: "Prod", STAGE_STATUS: "PendingApproval", META: SOURCE}, False),
    ("fn cannot register without naming its source", FN, "sagemaker:CreateModelPackage", CREDIT_V1,
     {STATUS: PENDING, **FIRST}, False),
    ("fn cannot register a source of an unconfigured account", FN, "sagemaker:CreateModelPackage", CREDIT_V1,
     {STATUS: PENDING, **FIRST, META: SOURCE.replace(DEV, OTHER)}, False),
    ("fn cannot update versions", FN, "sagemaker:UpdateModelPackage", CREDIT_V1, {STATUS: "Approved"}, False),
    ("fn cannot register direct groups' versions", FN, "sagemaker:CreateModelPackage", CHURN_V1,
     {STATUS: PENDING, **FIRST, META: SOURCE}, False),
    ("fn writes released/ once", FN, "s3:PutObject", RELEASED, ONCE, True),
    ("fn copies parts without the header (multipart exemption)", FN, "s3:PutObject", RELEASED,
     {"s3__ObjectCreationOperation": "UploadPartCopy"}, True),
    ("fn completes the upload with If-None-Match", FN, "s3:PutObject", RELEASED,
     {"s3__if-none-match": "*", "s3__ObjectCreationOperation": "CompleteMultipartUpload"}, True),
    ("fn reads the developer's incoming/", FN, "s3:GetObject", INCOMING, {}, True),
    ("fn registers pending at the first stage, naming its source", FN, "sagemaker:CreateModelPackage", CREDIT_V1,
     {STATUS: PENDING, **FIRST, META: SOURCE}, True),
    # --- the registry account's other principals
    ("a registry admin cannot write released/", ADMIN, "s3:PutObject", RELEASED, ONCE, False),
    ("a registry admin cannot delete released/", ADMIN, "s3:DeleteObject", RELEASED, {}, False),
    # --- approvers: with stages, one approval model (docs/stages.md): the status only with the last stage
    ("gov cannot approve central credit-risk outside a stage decision", GOV, "sagemaker:UpdateModelPackage",
     CREDIT_V1, {STATUS: "Approved"}, False),
    ("gov approves Prod of central credit-risk and the version with it", GOV, "sagemaker:UpdateModelPackage",
     CREDIT_V1, {STATUS: "Approved", "sagemaker__ModelLifeCycle__Stage": "Prod",
                 "sagemaker__ModelLifeCycle__StageStatus": "Approved",
                 "sagemaker__CurrentModelLifeCycleStage": "Test",
                 "sagemaker__CurrentModelLifeCycleStageStatus": "Approved"}, True),
]


@pytest.fixture(scope="module")
def world():
    return World(render(load_config(CONFIG)))


@pytest.mark.parametrize("what, who, action, resource, context, expected", CASES, ids=[c[0] for c in CASES])
def test_who_can_do_what_with_copy(world, what, who, action, resource, context, expected):
    # The registry admin's identity policy is not ours: assume it allows everything.
    identity = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}] \
        if who == ADMIN else None
    assert world.can(who, action, resource, identity=identity, **context) is expected, what


def test_the_local_group_policy_lets_only_the_function_describe(world):
    doc = json.loads(world.files["data-science/policies/local-model-package-group-credit-risk.json"])
    [stmt] = doc["Statement"]
    assert stmt["Action"] == ["sagemaker:DescribeModelPackage"]
    assert stmt["Principal"] == {"AWS": [f"arn:aws:iam::{REG}:root"]}
    assert stmt["Condition"]["ArnEquals"] == {"aws:PrincipalArn": [FN]}
    assert stmt["Resource"] == [f"arn:aws:sagemaker:us-east-1:{DEV}:model-package/credit-risk/*"]
    # research develops only churn-predictor (direct): no local group, no forwarding
    assert not [p for p in world.files if p.startswith("research/policies/local-")]
    assert not [p for p in world.files if p.startswith("research/policies/event-rule-")]


def test_the_receiving_bus_admits_only_the_forwarding_rule_roles(world):
    doc = json.loads(world.files[f"shared-services/policies/event-bus-policy-{copyflow.BUS_NAME}.json"])
    [stmt] = doc["Statement"]
    assert stmt["Principal"] == {"AWS": [f"arn:aws:iam::{DEV}:root"]}
    assert stmt["Condition"]["ArnLike"] == {
        "aws:PrincipalArn": [f"arn:aws:iam::{DEV}:role/{copyflow.FORWARD_ROLE_NAME}"],
        "aws:SourceArn": [f"arn:aws:events:us-east-1:{DEV}:rule/{copyflow.FORWARD_RULE_PREFIX}*"]}
    assert stmt["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}


def test_the_forwarding_rule_role_is_assumed_by_eventbridge_for_its_own_rules(world):
    doc = json.loads(world.files[f"data-science/policies/iam-role-{copyflow.FORWARD_ROLE_NAME}-trust.json"])
    [stmt] = doc["Statement"]
    assert stmt["Principal"] == {"Service": "events.amazonaws.com"}
    assert stmt["Condition"] == {"ArnLike": {"aws:SourceArn": [f"arn:aws:events:us-east-1:{DEV}:rule/model-registry-copy-*"]},
                                 "StringEquals": {"aws:SourceAccount": [DEV]}}
    policy = json.loads(world.files[f"data-science/policies/iam-role-{copyflow.FORWARD_ROLE_NAME}.json"])
    assert [s["Action"] for s in policy["Statement"]] == [["events:PutEvents"]]
    assert [s["Resource"] for s in policy["Statement"]] == [[f"arn:aws:events:us-east-1:{REG}:event-bus/model-registry-copy"]]


def test_the_forwarding_rule_sends_only_local_approvals_of_copy_groups(world):
    rule = json.loads(world.files["data-science/policies/event-rule-model-registry-copy-1.json"])
    assert rule["EventPattern"]["detail"] == {"ModelApprovalStatus": ["Approved"], "ModelPackageGroupName": ["credit-risk"]}


def test_only_the_receiving_rule_invokes_the_function(world):
    doc = json.loads(world.files[f"shared-services/policies/lambda-function-policy-{copyflow.FUNCTION_NAME}.json"])
    [stmt] = doc["Statement"]
    assert stmt["Principal"] == {"Service": "events.amazonaws.com"}
    assert stmt["Condition"]["ArnEquals"] == {
        "aws:SourceArn": [f"arn:aws:events:us-east-1:{REG}:rule/model-registry-copy/model-registry-copy"]}


def test_a_config_without_copy_groups_renders_nothing_of_the_copy_flow():
    files = render(load_config(FIXTURES / "example" / "accounts.yaml"))
    assert not [p for p in files if "model-registry-copy" in p or "model-registry-function" in p or "local-model" in p]
    assert "released/" not in files["shared-services/policies/s3-bucket-policy.json"]


# --- the config ------------------------------------------------------------------

def _copy_text(extra: str = "", group_extra: str = "") -> str:
    text = CONFIG.read_text()
    return text.replace("    registration: copy        # default: direct\n",
                        f"    registration: copy        # default: direct\n{group_extra}") + extra


def test_copy_with_access_points_is_refused_naming_the_key():
    text = _copy_text().replace("  kms_key_alias: alias/ml-model-artifacts\n",
                                "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n")
    with pytest.raises(ConfigError) as error:
        config_from_text(text)
    assert "model_groups.credit-risk.registration" in str(error.value)
    assert "access_points" in str(error.value)


def test_copy_without_developers_is_refused():
    text = _copy_text().replace("    developers: [data-science]\n    consumers: [test, prod]\n",
                                "    consumers: [test, prod]\n")
    with pytest.raises(ConfigError, match="copy needs at least one development account"):
        config_from_text(text)


@pytest.mark.parametrize("name", ["incoming", "released"])
def test_a_group_named_like_a_copy_prefix_is_refused(name):
    text = _copy_text().replace("  churn-predictor:\n", f"  {name}:\n")
    with pytest.raises(ConfigError, match=f"model_groups.{name}"):
        config_from_text(text)


def test_an_unknown_registration_is_refused():
    text = _copy_text().replace("registration: copy ", "registration: Copy ")
    with pytest.raises(ConfigError, match="registration"):
        config_from_text(text)


# --- the function describes local versions: both halves ---------------------------------

LOCAL_V4 = SOURCE


def test_only_the_function_describes_local_versions(world):
    assert world.can(FN, "sagemaker:DescribeModelPackage", LOCAL_V4)
    assert not world.can(PROD, "sagemaker:DescribeModelPackage", LOCAL_V4)
    assert not world.can(GOV, "sagemaker:DescribeModelPackage", LOCAL_V4)
    # research develops churn-predictor directly: it has no local group the function may read
    assert not world.can(FN, "sagemaker:DescribeModelPackage",
                         f"arn:aws:sagemaker:us-east-1:{OTHER}:model-package/credit-risk/1")
    assert not world.can(FN, "sagemaker:UpdateModelPackage", LOCAL_V4, sagemaker__ModelApprovalStatus="Approved")


# --- many copy-mode groups: the function's account-wide policy ------------------------------

def _many_copy_groups(n: int) -> str:
    groups = "".join(f"  g{i:02d}-model:\n    registration: copy\n    developers: [data-science]\n" for i in range(n))
    return CONFIG.read_text().replace("model_groups:\n", "model_groups:\n" + groups)


@pytest.fixture(scope="module")
def wide():
    """Every size limit at 1 (tests/kindkit.py): the compact forms, the
    function's account-wide policy among them."""
    return World(rendered_files(_many_copy_groups(4), compact=True))


def test_the_function_policy_goes_account_wide_only_over_its_limit(wide):
    from generator.arns import Arns
    from generator.kinds.iam_role_policy import KIND
    from generator.policies import copy

    doc = json.loads(wide.files[f"shared-services/policies/iam-role-{copyflow.ROLE_NAME}.json"])
    assert [s["Resource"] for s in doc["Statement"] if s["Sid"] == "RegisterCopiedVersions"] == [[f"{SM}:model-package/*"]]
    config = config_from_text(_many_copy_groups(4))
    assert copy.function_policy(config, Arns.of(config), KIND) == copy.function_policy_exact(config, Arns.of(config))
    config = config_from_text(_many_copy_groups(5))
    wide_doc = copy.function_policy(config, Arns.of(config), KIND)
    assert wide_doc == copy.function_policy_wide(config, Arns.of(config))
    assert len(json.dumps(wide_doc, separators=(",", ":"))) <= KIND.limit.size


@pytest.mark.parametrize("what, action, resource, context, expected", [
    ("cannot register in a direct group", "sagemaker:CreateModelPackage", CHURN_V1,
     {STATUS: PENDING, **FIRST, META: SOURCE}, False),
    ("cannot register approved", "sagemaker:CreateModelPackage", f"{SM}:model-package/g03-model/1",
     {STATUS: "Approved", **FIRST, META: SOURCE}, False),
    ("cannot describe a local group without its policy", "sagemaker:DescribeModelPackage",
     f"arn:aws:sagemaker:us-east-1:{OTHER}:model-package/g03-model/1", {}, False),
    ("cannot overwrite released/", "s3:PutObject", f"{B}/released/g03-model/x",
     {"s3__ObjectCreationOperation": "PutObject"}, False),
    ("registers pending in a copy group", "sagemaker:CreateModelPackage", f"{SM}:model-package/g03-model/1",
     {STATUS: PENDING, **FIRST, META: SOURCE.replace("credit-risk", "g03-model")}, True),
    ("describes a configured local version", "sagemaker:DescribeModelPackage",
     f"arn:aws:sagemaker:us-east-1:{DEV}:model-package/g03-model/1", {}, True),
])
def test_the_account_wide_function_policy_grants_what_the_exact_one_does(wide, what, action, resource, context, expected):
    assert wide.can(FN, action, resource, **context) is expected, what


def test_the_cli_refuses_copy_with_access_points_in_one_line_and_writes_nothing(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "accounts.yaml"
    bad.write_text(_copy_text().replace("  kms_key_alias: alias/ml-model-artifacts\n",
                                        "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n"))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "generator", "render", "--config", str(bad), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if "registration: copy" in text)
    assert lines[0].startswith(f"error: {bad}:{line}: model_groups.credit-risk.registration: "), lines[0]
    assert not out.exists()


# --- the organization guardrails leave the function its one registration ---------------------

@pytest.mark.parametrize("what, context, refused", [
    ("another stage", {STATUS: PENDING, STAGE: "Prod", STAGE_STATUS: "PendingApproval", META: SOURCE}, True),
    ("a decision at the first stage", {STATUS: PENDING, STAGE: "Test", STAGE_STATUS: "Approved", META: SOURCE}, True),
    ("approved", {STATUS: "Approved", **FIRST, META: SOURCE}, True),
    ("pending at the first stage", {STATUS: PENDING, **FIRST, META: SOURCE}, False),
])
def test_the_guardrails_refuse_the_function_everything_but_a_pending_copy(world, what, context, refused):
    from generator.analysis.evaluate import Request
    from generator.analysis.guardrails import denies, from_policyset

    ctx = {k.replace("__", ":"): v for k, v in context.items()} | {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}
    found = denies(Request(FN, "sagemaker:CreateModelPackage", CREDIT_V1, ctx), from_policyset(world),
                   "o-a1b2c3d4e5")
    assert bool(found) is refused, (what, found)


# --- who may put events on the receiving bus (explicit and compact forms) ---------------------

COPY_BUS = f"arn:aws:events:us-east-1:{REG}:event-bus/{copyflow.BUS_NAME}"
FORWARDER = f"arn:aws:iam::{DEV}:role/{copyflow.FORWARD_ROLE_NAME}"
EVENT = {"events__source": "aws.sagemaker", "events__detail-type": "SageMaker Model Package State Change",
         "aws__SourceArn": f"arn:aws:events:us-east-1:{DEV}:rule/model-registry-copy-1"}


@pytest.fixture(scope="module", params=["explicit", "compact"])
def bus_world(request, world):
    return world if request.param == "explicit" else World(rendered_files(CONFIG.read_text(), compact=True))


@pytest.mark.parametrize("what, who, context, expected", [
    ("the developers' own role cannot put", DS, EVENT, False),
    ("research's forwarder (no copy group) cannot put", f"arn:aws:iam::{OTHER}:role/{copyflow.FORWARD_ROLE_NAME}",
     {**EVENT, "aws__SourceArn": f"arn:aws:events:us-east-1:{OTHER}:rule/model-registry-copy-1"}, False),
    ("the forwarder cannot put another source", FORWARDER, {**EVENT, "events__source": "custom.forged"}, False),
    ("the forwarder cannot put from another rule", FORWARDER,
     {**EVENT, "aws__SourceArn": f"arn:aws:events:us-east-1:{DEV}:rule/other"}, False),
    ("the forwarder puts local approvals", FORWARDER, EVENT, True),
])
def test_who_may_put_on_the_receiving_bus(bus_world, what, who, context, expected):
    identity = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]
    assert bus_world.can(who, "events:PutEvents", COPY_BUS, identity=identity, **context) is expected, what


def test_the_compact_bus_policy_pins_the_accounts():
    doc = json.loads(rendered_files(CONFIG.read_text(), compact=True)[
        f"shared-services/policies/event-bus-policy-{copyflow.BUS_NAME}.json"])
    [stmt] = doc["Statement"]
    assert stmt["Principal"] == {"AWS": "*"}
    assert stmt["Condition"]["StringEquals"] == {"aws:PrincipalAccount": [DEV], "aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}


# --- lint: the rendered copy documents are clean, and a widened one is caught -----------------

def _lint(files, tmp_path, rule=None):
    from .lintkit import findings, write

    return findings(load_config(CONFIG), write(tmp_path, {p: t for p, t in files.items() if isinstance(t, str)}), rule)


def test_a_bus_policy_opened_to_another_account_is_caught(tmp_path):
    from .lintkit import broken

    files = rendered_files(CONFIG.read_text(), compact=True)
    path = f"shared-services/policies/event-bus-policy-{copyflow.BUS_NAME}.json"
    widened = broken(files, path, lambda doc: doc["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalAccount"]
                     .append(OTHER))
    assert [f.rule_id for f in _lint(widened, tmp_path / "bad")] == ["bus-policy-names-rule-role"]
    assert _lint(files, tmp_path / "good") == []


def test_a_local_group_policy_naming_another_role_is_caught(tmp_path):
    from .lintkit import broken

    files = rendered_files(CONFIG.read_text())
    path = "data-science/policies/local-model-package-group-credit-risk.json"
    widened = broken(files, path, lambda doc: doc["Statement"][0]["Condition"]["ArnEquals"]["aws:PrincipalArn"]
                     .append(f"arn:aws:iam::{REG}:role/Admin"))
    assert [f.rule_id for f in _lint(widened, tmp_path / "bad")] == ["unlisted-principal"]
    assert _lint(files, tmp_path / "good") == []


def test_only_the_receiving_rule_may_send_to_the_dead_letter_queue(world):
    doc = json.loads(world.files[f"shared-services/policies/sqs-queue-policy-{copyflow.QUEUE_NAME}.json"])
    [stmt] = doc["Statement"]
    assert stmt["Principal"] == {"Service": "events.amazonaws.com"} and stmt["Action"] == ["sqs:SendMessage"]
    assert stmt["Condition"] == {"ArnEquals": {"aws:SourceArn": [
        f"arn:aws:events:us-east-1:{REG}:rule/{copyflow.BUS_NAME}/{copyflow.RULE_NAME}"]}}
    assert stmt["Resource"] == [f"arn:aws:sqs:us-east-1:{REG}:{copyflow.QUEUE_NAME}"]
