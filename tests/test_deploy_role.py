"""Deploy roles in workload accounts (deploy_role), evaluated on the rendered
example: who can assume them, and what they can do once assumed.

Negative cases first: the promise is mostly about what nobody else can do.
"""

from __future__ import annotations

import json

import pytest

from generator import limits
from generator.config import config_from_text
from generator.errors import ConfigError, PolicyTooLarge
from generator.render import build_policies, render

from .conftest import EXAMPLE, World, world_from_text

REG = "111111111111"
SM = f"arn:aws:sagemaker:us-east-1:{REG}"
CREDIT_V1 = f"{SM}:model-package/credit-risk/1"
CHURN_V1 = f"{SM}:model-package/churn-predictor/1"
B = "arn:aws:s3:::acme-ml-model-artifacts"

DS = "arn:aws:iam::222222222222:role/SageMakerExecutionRole"
DEPLOY = "arn:aws:iam::333333333333:role/ModelDeployPipelineRole"
DEPLOY_OTHER = "arn:aws:iam::333333333333:role/SomeOtherPipelineRole"
TEST_EXEC = "arn:aws:iam::444444444444:role/SageMakerExecutionRole"
PROD_EXEC = "arn:aws:iam::555555555555:role/SageMakerExecutionRole"
GOV = "arn:aws:iam::666666666666:role/ModelApproverRole"
OUTSIDER = "arn:aws:iam::999999999999:role/ModelDeployPipelineRole"

TEST_DR = "arn:aws:iam::444444444444:role/ModelDeployRole"
PROD_DR = "arn:aws:iam::555555555555:role/ModelDeployRole"
GOV_DR = "arn:aws:iam::666666666666:role/ModelDeployRole"
PROD_SM = "arn:aws:sagemaker:us-east-1:555555555555"
TEST_SM = "arn:aws:sagemaker:us-east-1:444444444444"
PASS = "iam__PassedToService"

DEPLOYER_POLICY = "deployment/policies/iam-role-ModelDeployPipelineRole.json"

EXAMPLE_TEXT = EXAMPLE.read_text()


def copy_of(world: World, path: str) -> list[dict]:
    return [json.loads(world.files[path])]


# --- who may assume a deploy role: negative cases first ---------------------

def test_another_role_in_the_deployment_account_cannot_assume_even_with_a_copied_policy(world):
    # The deployment account's admins could attach the pipeline's policy to any role.
    assert not world.can(DEPLOY_OTHER, "sts:AssumeRole", TEST_DR, identity=copy_of(world, DEPLOYER_POLICY))


@pytest.mark.parametrize("who", [DS, GOV, TEST_EXEC, PROD_EXEC, PROD_DR], ids=["developer", "approver", "test exec", "prod exec", "other deploy role"])
def test_other_parties_cannot_assume_even_with_a_copied_policy(world, who):
    assert not world.can(who, "sts:AssumeRole", TEST_DR, identity=copy_of(world, DEPLOYER_POLICY))
    assert not world.can(who, "sts:AssumeRole", PROD_DR, identity=copy_of(world, DEPLOYER_POLICY))


def test_an_outsider_cannot_assume(world):
    assert not world.can(OUTSIDER, "sts:AssumeRole", TEST_DR, identity=copy_of(world, DEPLOYER_POLICY))


def test_the_pipeline_from_another_organization_cannot_assume(world):
    assert not world.can(DEPLOY, "sts:AssumeRole", TEST_DR, org="o-zzzzzzzzzz")
    assert not world.can(DEPLOY, "sts:AssumeRole", TEST_DR, org=None)


def test_the_pipeline_assumes_only_the_deploy_roles_it_deploys_to(world):
    # No deploy role exists in governance: the pipeline's own policy names none there.
    assert not world.can(DEPLOY, "sts:AssumeRole", GOV_DR)
    assert not world.can(DEPLOY, "sts:AssumeRole", "arn:aws:iam::444444444444:role/SageMakerExecutionRole")
    assert world.can(DEPLOY, "sts:AssumeRole", TEST_DR)
    assert world.can(DEPLOY, "sts:AssumeRole", PROD_DR)


def test_both_halves_are_needed_to_assume(world):
    # Without the pipeline's own AssumeRole statement the trust policy alone does not do it...
    assert not world.can(DEPLOY, "sts:AssumeRole", TEST_DR, identity=[])
    # ...and the pipeline's statement does not work on a role whose trust policy does not name it.
    assert world.decide(DEPLOY, "sts:AssumeRole", TEST_DR).identity_allows


# --- what a deploy role can do: negative cases first ------------------------

def test_cannot_create_a_model_for_a_group_its_account_does_not_consume(world):
    # prod consumes credit-risk only.
    assert not world.can(PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/churn-predictor-v1")
    assert not world.can(PROD_DR, "sagemaker:DescribeModelPackage", CHURN_V1)
    assert not world.can(PROD_DR, "sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint/churn-predictor-live")


def test_cannot_use_names_outside_the_group_prefix(world):
    assert not world.can(PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/credit-risk")  # no "-"
    assert not world.can(PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/my-credit-risk-v1")
    assert not world.can(PROD_DR, "sagemaker:DeleteEndpoint", f"{PROD_SM}:endpoint/payments-live")


def test_endpoint_configs_serve_only_the_groups_models(world):
    config = f"{PROD_SM}:endpoint-config/credit-risk-v1"
    assert not world.can(PROD_DR, "sagemaker:CreateEndpointConfig", config,
                         sagemaker__ModelArn=f"{PROD_SM}:model/payments-v1")
    assert not world.can(PROD_DR, "sagemaker:CreateEndpointConfig", config)
    assert world.can(PROD_DR, "sagemaker:CreateEndpointConfig", config,
                     sagemaker__ModelArn=f"{PROD_SM}:model/credit-risk-v1")


# Issue 30: the test above passes with one list of every group's models,
# because prod deploys one group (payments is no group). test deploys two:
# each endpoint configuration serves only its own group's models.
@pytest.mark.parametrize("config_name,model_name", [
    ("churn-predictor-c1", "credit-risk-v1"),
    ("credit-risk-c1", "churn-predictor-v1"),
])
def test_endpoint_configs_do_not_serve_another_groups_model(world, config_name, model_name):
    assert not world.can(TEST_DR, "sagemaker:CreateEndpointConfig", f"{TEST_SM}:endpoint-config/{config_name}",
                         sagemaker__ModelArn=f"{TEST_SM}:model/{model_name}")


@pytest.mark.parametrize("group", ["credit-risk", "churn-predictor"])
def test_endpoint_configs_serve_their_own_groups_model(world, group):
    assert world.can(TEST_DR, "sagemaker:CreateEndpointConfig", f"{TEST_SM}:endpoint-config/{group}-c1",
                     sagemaker__ModelArn=f"{TEST_SM}:model/{group}-v1")


def test_cannot_act_in_another_workload_account(world):
    assert not world.can(TEST_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/credit-risk-v1")
    assert not world.can(TEST_DR, "iam:PassRole", PROD_EXEC, **{PASS: "sagemaker.amazonaws.com"})


@pytest.mark.parametrize("service", ["ec2.amazonaws.com", "lambda.amazonaws.com", None])
def test_cannot_pass_the_execution_role_to_another_service(world, service):
    context = {PASS: service} if service else {}
    assert not world.can(PROD_DR, "iam:PassRole", PROD_EXEC, **context)


@pytest.mark.parametrize("role", ["Admin", "OrganizationAccountAccessRole", "ModelDeployRole"])
def test_cannot_pass_an_admin_role_or_itself(world, role):
    assert not world.can(PROD_DR, "iam:PassRole", f"arn:aws:iam::555555555555:role/{role}",
                         **{PASS: "sagemaker.amazonaws.com"})


@pytest.mark.parametrize("action,resource", [
    ("iam:CreateRole", "arn:aws:iam::555555555555:role/Anything"),
    ("iam:PutRolePolicy", "arn:aws:iam::555555555555:role/ModelDeployRole"),
    ("iam:AttachRolePolicy", "arn:aws:iam::555555555555:role/ModelDeployRole"),
    ("iam:CreatePolicy", "arn:aws:iam::555555555555:policy/Anything"),
    ("iam:UpdateAssumeRolePolicy", "arn:aws:iam::555555555555:role/SageMakerExecutionRole"),
])
def test_cannot_create_roles_or_policies(world, action, resource):
    assert not world.can(PROD_DR, action, resource)


@pytest.mark.parametrize("action,resource", [
    ("s3:PutObject", f"{B}/credit-risk/model.tar.gz"),
    ("s3:PutObject", "arn:aws:s3:::prod-bucket/anything"),
    ("s3:DeleteObject", f"{B}/credit-risk/model.tar.gz"),
    ("s3:GetObject", f"{B}/credit-risk/model.tar.gz"),  # the execution role reads artifacts, not the deploy role
])
def test_cannot_touch_s3(world, action, resource):
    assert not world.can(PROD_DR, action, resource)


@pytest.mark.parametrize("action", ["sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage",
                                    "sagemaker:DeleteModelPackage", "sagemaker:PutModelPackageGroupPolicy"])
def test_cannot_change_the_registry(world, action):
    resource = f"{SM}:model-package-group/credit-risk" if "Group" in action else CREDIT_V1
    for status in (None, "Approved"):
        context = {"sagemaker__ModelApprovalStatus": status} if status else {}
        assert not world.can(PROD_DR, action, resource, **context)


def test_the_pipeline_itself_cannot_deploy_without_assuming(world):
    assert not world.can(DEPLOY, "sagemaker:CreateModel", f"{PROD_SM}:model/credit-risk-v1")
    assert not world.can(DEPLOY, "iam:PassRole", PROD_EXEC, **{PASS: "sagemaker.amazonaws.com"})


# --- and what it can -----------------------------------------------------------

@pytest.mark.parametrize("who,action,resource,context", [
    (PROD_DR, "sagemaker:DescribeModelPackage", CREDIT_V1, {}),
    (PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/credit-risk-v1", {}),
    (PROD_DR, "sagemaker:DescribeModel", f"{PROD_SM}:model/credit-risk-v1", {}),
    (PROD_DR, "sagemaker:DeleteModel", f"{PROD_SM}:model/credit-risk-v1", {}),
    (PROD_DR, "sagemaker:DescribeEndpointConfig", f"{PROD_SM}:endpoint-config/credit-risk-v1", {}),
    (PROD_DR, "sagemaker:DeleteEndpointConfig", f"{PROD_SM}:endpoint-config/credit-risk-v1", {}),
    (PROD_DR, "sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint/credit-risk-live", {}),
    (PROD_DR, "sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint-config/credit-risk-v1", {}),
    (PROD_DR, "sagemaker:UpdateEndpoint", f"{PROD_SM}:endpoint/credit-risk-live", {}),
    (PROD_DR, "sagemaker:DescribeEndpoint", f"{PROD_SM}:endpoint/credit-risk-live", {}),
    (PROD_DR, "sagemaker:DeleteEndpoint", f"{PROD_SM}:endpoint/credit-risk-live", {}),
    (PROD_DR, "iam:PassRole", PROD_EXEC, {PASS: "sagemaker.amazonaws.com"}),
    (TEST_DR, "sagemaker:DescribeModelPackage", CHURN_V1, {}),
    (TEST_DR, "sagemaker:CreateModel", f"{TEST_SM}:model/churn-predictor-v1", {}),
])
def test_deploys_its_groups(world, who, action, resource, context):
    decision = world.decide(who, action, resource, **context)
    assert decision.allowed, decision.reason


def test_describing_a_version_needs_the_group_policy_too(world):
    group_policy = "shared-services/policies/model-package-group-credit-risk.json"
    doc = json.loads(world.files[group_policy])
    # The deploy roles are named in the consumers' own statement: the same gate by construction.
    (consumers,) = [s for s in doc["Statement"] if s["Sid"] == "ConsumersDescribeVersions"]
    assert PROD_DR in consumers["Condition"]["ArnLike"]["aws:PrincipalArn"]
    decision = world.decide(PROD_DR, "sagemaker:DescribeModelPackage", CREDIT_V1)
    assert any(m.source == group_policy and m.sid == "ConsumersDescribeVersions" for m in decision.matches)
    alone = world.decide(PROD_DR, "sagemaker:DescribeModelPackage", CREDIT_V1,
                         identity=[{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}])
    assert alone.allowed
    churn = world.decide(PROD_DR, "sagemaker:DescribeModelPackage", CHURN_V1,
                         identity=[{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}])
    assert not churn.allowed, "the registry half alone keeps prod's deploy role out of churn-predictor"


# --- config -----------------------------------------------------------------

def test_without_deploy_role_nothing_changes():
    text = EXAMPLE_TEXT.replace("deploy_role:\n  name: ModelDeployRole\n", "")
    assert text != EXAMPLE_TEXT
    files = render(config_from_text(text))
    assert not [p for p in files if "deploy-role" in p or "execution-role-trust" in p]
    joined = "".join(files.values())
    assert "AssumeDeployRoles" not in joined and "DeployRoles" not in joined and "deploy_role" not in joined


@pytest.mark.parametrize("name,message", [
    ("service-role/Deploy", "must be a plain IAM role name"),
    ("Deploy*", "must be a plain IAM role name"),
    ("x" * 65, "must be a plain IAM role name"),
    ("", "must be a plain IAM role name"),
])
def test_bad_role_name_is_bad_input(name, message):
    text = EXAMPLE_TEXT.replace("name: ModelDeployRole", f"name: '{name}'")
    with pytest.raises(ConfigError) as caught:
        config_from_text(text)
    assert caught.value.key == "deploy_role.name" and message in caught.value.message


def test_unknown_key_under_deploy_role_is_bad_input():
    with pytest.raises(ConfigError) as caught:
        config_from_text(EXAMPLE_TEXT.replace("name: ModelDeployRole", "name: ModelDeployRole\n  path: /x/"))
    assert caught.value.key == "deploy_role.path"


def test_deploy_role_may_not_be_an_execution_role():
    text = EXAMPLE_TEXT.replace("name: ModelDeployRole", "name: SageMakerExecutionRole")
    with pytest.raises(ConfigError) as caught:
        config_from_text(text)
    assert caught.value.key == "accounts.prod.roles[0]"
    assert "must be a different role" in caught.value.message


def test_bad_name_through_the_cli_writes_nothing(tmp_path):
    import subprocess
    import sys

    config = tmp_path / "accounts.yaml"
    config.write_text(EXAMPLE_TEXT.replace("name: ModelDeployRole", "name: 'a/b'"))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "generator", "render", "--config", str(config), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert line.startswith(f"error: {config}:") and "deploy_role.name:" in line and "\n" not in line
    assert not out.exists()


def test_account_whose_groups_nobody_deploys_gets_no_deploy_role():
    text = EXAMPLE_TEXT.replace("    consumers: [test]\n", "    consumers: [test]\n    deployers: []\n")
    text = text.replace("    consumers: [test, prod]\n", "    consumers: [test, prod]\n    deployers: []\n")
    files = render(config_from_text(text))
    assert not [p for p in files if "deploy-role" in p]
    assert "AssumeDeployRoles" not in "".join(files.values())


def test_pipeline_assumes_only_where_its_groups_go():
    # A second deployment account deploys churn-predictor only (consumed by test).
    text = EXAMPLE_TEXT.replace(
        '  governance:', '  deployment2:     {id: "777777777777", kind: deployment,  roles: [OtherPipeline]}\n  governance:')
    text = text.replace("    consumers: [test]\n", "    consumers: [test]\n    deployers: [deployment2]\n")
    text = text.replace("    consumers: [test, prod]\n", "    consumers: [test, prod]\n    deployers: [deployment]\n")
    world = world_from_text(text)
    other = "arn:aws:iam::777777777777:role/OtherPipeline"
    assert world.can(other, "sts:AssumeRole", TEST_DR)
    assert not world.can(other, "sts:AssumeRole", PROD_DR)
    assert not world.can(other, "sts:AssumeRole", PROD_DR, identity=copy_of(world, DEPLOYER_POLICY))
    # test's role deploys both groups; prod's only credit-risk, deployed by 'deployment'.
    assert world.can(TEST_DR, "sagemaker:CreateModel", f"{TEST_SM}:model/churn-predictor-v1")
    assert not world.can(PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/churn-predictor-v1")


# --- documents ----------------------------------------------------------------

def test_execution_role_trust_document(example_files):
    doc = json.loads(example_files["prod/policies/sagemaker-execution-role-trust-SageMakerExecutionRole.json"])
    (stmt,) = doc["Statement"]
    assert stmt["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert stmt["Action"] == ["sts:AssumeRole"]
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ["555555555555"]}}


def test_trust_policy_has_no_resource_and_fits(example_files):
    text = example_files["prod/policies/deploy-role-ModelDeployRole-trust.json"]
    doc = json.loads(text)
    assert all("Resource" not in s for s in doc["Statement"])
    assert limits.check("iam_role_trust_policy", text) is None


def _many_groups_config(count: int) -> str:
    groups = "".join(f"  g{i:04d}:\n    developers: [data-science]\n    consumers: [prod]\n" for i in range(count))
    head = EXAMPLE_TEXT.split("model_groups:")[0].replace("  kms_key_alias: alias/ml-model-artifacts\n", "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n")
    return head + "model_groups:\n" + groups + "deploy_role:\n  name: ModelDeployRole\n"


def test_many_groups_split_over_several_exact_policies():
    config = config_from_text(_many_groups_config(60))
    policies = [p for p in build_policies(config) if p.extra.get("scope") == "deploy-role"]
    assert len(policies) > 1
    assert [p.extra["part"] for p in policies] == list(range(1, len(policies) + 1))
    covered = []
    for p in policies:
        assert limits.check("iam_role_policy", p.text) is None
        covered += [r for s in p.document["Statement"] if s["Sid"] == "ManageGroupModels" for r in s["Resource"]]
    assert sorted(covered) == sorted(f"{PROD_SM}:model/g{i:04d}-*" for i in range(60))
    assert sum("PassExecutionRolesToSageMaker" in p.text for p in policies) == 1
    world = World(render(config))
    assert world.can(PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/g0059-v1")
    assert world.can(PROD_DR, "sagemaker:DescribeModelPackage", f"{SM}:model-package/g0059/3")
    assert not world.can(PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/g0060-v1")


# --- resource-name prefixes ---------------------------------------------------------

OVERLAP = """
partition: aws
region: us-east-1
organization_id: o-a1b2c3d4e5
registry: {account: reg, artifact_bucket: acme-overlap-artifacts, kms_key_alias: alias/overlap}
accounts:
  reg:    {id: "111111111111", kind: registry}
  ds:     {id: "222222222222", kind: development, roles: [Exec]}
  deploy: {id: "333333333333", kind: deployment, roles: [Pipeline]}
  prod:   {id: "555555555555", kind: workload, roles: [Exec]}
model_groups:
  churn: {developers: [ds], consumers: [prod]}
  churn-v2: {developers: [ds], consumers: CONSUMERS}
deploy_role: {name: ModelDeployRole}
"""


def _lint(text: str, tmp_path):
    from generator.lint import lint
    from tests.lintkit import write

    config = config_from_text(text)
    return [f for f in lint(config, write(tmp_path, render(config))).findings]


def test_overlapping_prefixes_are_flagged(tmp_path):
    findings = _lint(OVERLAP.replace("CONSUMERS", "[]"), tmp_path)
    assert [(f.rule_id, f.message) for f in findings] == [(
        "deploy-prefix-overlap",
        "statement ManageGroupModels: names churn-* of account prod also cover group 'churn-v2' (churn-v2-...), "
        "which it does not deploy",
    )]


def test_overlap_within_what_the_account_deploys_is_not_flagged(tmp_path):
    assert _lint(OVERLAP.replace("CONSUMERS", "[prod]"), tmp_path) == []


def test_renamed_groups_do_not_overlap(tmp_path):
    text = OVERLAP.replace("  churn: {", "  churn-v1: {").replace("CONSUMERS", "[]")
    assert _lint(text, tmp_path) == []


# --- explain ------------------------------------------------------------------

@pytest.mark.parametrize("principal,action,resource,context,verdict,lines", [
    (DEPLOY, "sts:AssumeRole", PROD_DR, {}, "ALLOW",
     ["  cross-account call: the identity policy AND the resource policy must allow; a Deny in either wins",
      "  resource policy prod/policies/deploy-role-ModelDeployRole-trust.json:", "    Allow DeploymentRolesAssume",
      "    Allow AssumeDeployRoles"]),
    (DS, "sts:AssumeRole", PROD_DR, {}, "DENY",
     ["  resource policy prod/policies/deploy-role-ModelDeployRole-trust.json: no statement applies"]),
    (PROD_DR, "iam:PassRole", PROD_EXEC, {"iam:PassedToService": "ec2.amazonaws.com"}, "DENY",
     ["  same-account call: either policy may allow; a Deny in either wins",
      "  identity policy prod/policies/deploy-role-ModelDeployRole.json: no statement applies"]),
    (PROD_DR, "iam:PassRole", PROD_EXEC, {"iam:PassedToService": "sagemaker.amazonaws.com"}, "ALLOW",
     ["    Allow PassExecutionRolesToSageMaker"]),
    (PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/churn-predictor-v1", {}, "DENY",
     ["  resource policy: none (no rendered resource policy governs this resource)"]),
])
def test_explain_answers_deploy_questions(world, principal, action, resource, context, verdict, lines):
    from generator.analysis.explain import explain, format_explained
    from generator.analysis.policyset import PolicySet

    policies = PolicySet(world.files)
    text = format_explained(explain(policies, principal, action, resource, context, "o-a1b2c3d4e5"), "")
    assert text.startswith(f"{verdict}: {action} on {resource}: ")  # the verdict and what decided it
    for line in lines:
        assert line in text.splitlines(), text


# --- with stages: the deploy role reads versions through its account's stage gate ---

def _staged_world() -> World:
    from .test_stage_gates import staged_text

    text = staged_text()
    assert "deploy_role:" in text
    return World(render(config_from_text(text)))


def _lc(current, status):
    return {"sagemaker__CurrentModelLifeCycleStage": current, "sagemaker__CurrentModelLifeCycleStageStatus": status}


@pytest.mark.parametrize("who,exec_role,context,expected", [
    # negative first: what the account's consumers cannot read, its deploy role cannot either
    (PROD_DR, PROD_EXEC, _lc("Test", "Approved"), False),
    (PROD_DR, PROD_EXEC, _lc("Prod", "PendingApproval"), False),
    (PROD_DR, PROD_EXEC, {}, False),
    (TEST_DR, TEST_EXEC, _lc("Test", "PendingApproval"), False),
    (TEST_DR, TEST_EXEC, _lc("Test", "Rejected"), False),
    (PROD_DR, PROD_EXEC, _lc("Prod", "Approved"), True),
    (TEST_DR, TEST_EXEC, _lc("Test", "Approved"), True),
])
def test_stage_gate_is_the_consumers_gate(who, exec_role, context, expected):
    world = _staged_world()
    deploy = world.decide(who, "sagemaker:DescribeModelPackage", CREDIT_V1, **context)
    consumer = world.decide(exec_role, "sagemaker:DescribeModelPackage", CREDIT_V1, **context)
    assert deploy.allowed is expected, deploy.reason
    assert consumer.allowed is expected, consumer.reason
    # the registry half alone enforces it too (the deploy role's own account could allow anything)
    alone = world.decide(who, "sagemaker:DescribeModelPackage", CREDIT_V1,
                         identity=[{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}], **context)
    assert alone.allowed is expected, alone.reason


# --- at scale: many groups in one workload account (issue 18, benchmark 500 x 10,000) ---
#
# The benchmark's busiest workload account consumes 144 groups named like
# model-00564. The deploy role's permissions must fit the IAM default of 10
# managed policies of 6,144 characters, without granting anything more: the
# tests below ask the policies who can do what, negative cases first, and
# compare the compact form's decisions with the explicit form's.

def _scale_text(prod: int, test_only: int = 0, max_policies: int | None = None, names: str = "model-{:05d}") -> str:
    head = EXAMPLE_TEXT.split("model_groups:")[0].replace(
        "  kms_key_alias: alias/ml-model-artifacts\n",
        "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n  access_point_prefix: mr-\n")
    groups = "".join(f"  {names.format(i)}:\n    developers: [data-science]\n    consumers: [prod]\n" for i in range(prod))
    groups += "".join(f"  {names.format(i)}:\n    developers: [data-science]\n    consumers: [test]\n"
                      for i in range(prod, prod + test_only))
    setting = f"  max_managed_policies: {max_policies}\n" if max_policies is not None else ""
    return head + "model_groups:\n" + groups + "deploy_role:\n  name: ModelDeployRole\n" + setting


def _deploy_policies(files: dict[str, str], account: str = "prod") -> list[dict]:
    return [json.loads(text) for path, text in sorted(files.items())
            if path.startswith(f"{account}/policies/deploy-role-ModelDeployRole") and not path.endswith("-trust.json")]


def _resources(docs: list[dict]) -> list[str]:
    return [r for doc in docs for s in doc["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str)
                                                                    else s["Resource"])]


TAG = "model-registry-group"
REQ, RES = f"aws:RequestTag/{TAG}", f"aws:ResourceTag/{TAG}"


def created(group: str, **more) -> dict:
    """The context of a create request tagged as the pipeline must tag it."""
    return {REQ: group, "aws:TagKeys": [TAG], **more}


def existing(group: str, **more) -> dict:
    """The context of a request on a resource that carries its group's tag."""
    return {RES: group, **more}


@pytest.fixture(scope="module")
def scale_files() -> dict[str, str]:
    # 160 groups in prod (more than the benchmark's busiest account), 4 more that only test consumes:
    # past the explicit and compact forms, so the tagged form.
    return render(config_from_text(_scale_text(160, 4)))


@pytest.fixture(scope="module")
def scale_world(scale_files) -> World:
    return World(scale_files)


G0, G159, G160 = "model-00000", "model-00159", "model-00160"  # G160: consumed by test only


@pytest.mark.parametrize("action,resource,context", [
    # another group's names, tagged for that group (test consumes G160, prod does not)
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G160}-v1", created(G160)),
    ("sagemaker:DeleteModel", f"{PROD_SM}:model/{G160}-v1", existing(G160)),
    ("sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint/{G160}-live", created(G160)),
    ("sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint-config/{G160}-v1", existing(G160)),
    ("sagemaker:UpdateEndpoint", f"{PROD_SM}:endpoint-config/{G160}-v2", existing(G160)),
    ("sagemaker:DescribeEndpoint", f"{PROD_SM}:endpoint/{G160}-live", existing(G160)),
    ("sagemaker:DeleteEndpointConfig", f"{PROD_SM}:endpoint-config/{G160}-v1", existing(G160)),
    ("sagemaker:DescribeModelPackage", f"{SM}:model-package/{G160}/1", {}),
    # its own group's names, but tagged for another group (of the account, or not)
    ("sagemaker:DeleteModel", f"{PROD_SM}:model/{G0}-v1", existing(G159)),
    ("sagemaker:UpdateEndpoint", f"{PROD_SM}:endpoint/{G0}-live", existing(G160)),
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G0}-v1", created(G159)),
    # another group's resource, tagged into one of the account's groups
    ("sagemaker:DeleteEndpoint", f"{PROD_SM}:endpoint/{G160}-live", existing(G0)),
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G160}-v1", created(G0)),
    # untagged: cannot create, cannot touch
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G0}-v1", {}),
    ("sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint/{G0}-live", {}),
    ("sagemaker:CreateEndpointConfig", f"{PROD_SM}:endpoint-config/{G0}-v1", {"sagemaker:ModelArn": f"{PROD_SM}:model/{G0}-v1"}),
    ("sagemaker:DescribeModel", f"{PROD_SM}:model/{G0}-v1", {}),
    ("sagemaker:DeleteEndpoint", f"{PROD_SM}:endpoint/{G0}-live", {}),
    # the group tag with another key beside it, or a second spelling of its key
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G0}-v1", {REQ: G0, "aws:TagKeys": [TAG, "owner"]}),
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G0}-v1", {REQ: G0, "aws:TagKeys": [TAG, "Model-Registry-Group"]}),
    # a tag value that is a wildcard or a prefix of a group, not a group
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G0}-v1", created("*")),
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G0}-v1", created("model")),
    ("sagemaker:DescribeModel", f"{PROD_SM}:model/{G0}-v1", existing("model")),
    # endpoint configurations serve only their own group's models
    ("sagemaker:CreateEndpointConfig", f"{PROD_SM}:endpoint-config/{G0}-v1", created(G0, **{"sagemaker:ModelArn": f"{PROD_SM}:model/{G159}-v1"})),
    ("sagemaker:CreateEndpointConfig", f"{PROD_SM}:endpoint-config/{G0}-v1", created(G0, **{"sagemaker:ModelArn": f"{PROD_SM}:model/{G160}-v1"})),
    ("sagemaker:CreateEndpointConfig", f"{PROD_SM}:endpoint-config/{G0}-v1", created(G0)),
    # retagging: no AddTags outside a creation, no DeleteTags
    ("sagemaker:AddTags", f"{PROD_SM}:model/{G0}-v1", created(G0)),
    ("sagemaker:AddTags", f"{PROD_SM}:model/{G160}-v1", created(G0)),
    ("sagemaker:AddTags", f"{PROD_SM}:model/{G0}-v1", created(G0, **{"sagemaker:TaggingAction": "AddTags"})),
    ("sagemaker:AddTags", f"{PROD_SM}:model/{G160}-v1", created(G0, **{"sagemaker:TaggingAction": "CreateModel"})),
    ("sagemaker:AddTags", f"{PROD_SM}:training-job/{G0}-v1", created(G0, **{"sagemaker:TaggingAction": "CreateTrainingJob"})),
    ("sagemaker:DeleteTags", f"{PROD_SM}:model/{G0}-v1", existing(G0, **{"aws:TagKeys": [TAG]})),
    # names outside the prefix, and in another account
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G0}", created(G0)),
    ("sagemaker:CreateModel", f"{PROD_SM}:model/x{G0}-v1", created(G0)),
    ("sagemaker:CreateModel", f"{TEST_SM}:model/{G0}-v1", created(G0)),
    ("sagemaker:DeleteEndpoint", f"{TEST_SM}:endpoint/{G0}-live", existing(G0)),
    # the group's names and tag, but other actions and other resource types
    ("sagemaker:CreateTrainingJob", f"{PROD_SM}:training-job/{G0}-v1", created(G0)),
    ("sagemaker:CreateInferenceComponent", f"{PROD_SM}:inference-component/{G0}-v1", created(G0)),
    ("sagemaker:DeleteInferenceComponent", f"{PROD_SM}:inference-component/{G0}-v1", existing(G0)),
    ("sagemaker:UpdateModelPackage", f"{SM}:model-package/{G0}/1", {"sagemaker:ModelApprovalStatus": "Approved"}),
    ("iam:PassRole", PROD_EXEC, {"iam:PassedToService": "ec2.amazonaws.com"}),
    ("iam:PassRole", "arn:aws:iam::555555555555:role/Admin", {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    ("iam:CreateRole", "arn:aws:iam::555555555555:role/Anything", {}),
    ("s3:PutObject", f"{B}/{G0}/model.tar.gz", {}),
])
def test_at_scale_the_deploy_role_still_cannot(scale_world, action, resource, context):
    decision = scale_world.decide(PROD_DR, action, resource, **context)
    assert not decision.allowed, decision.reason


@pytest.mark.parametrize("action,resource,context", [
    ("sagemaker:CreateModel", f"{PROD_SM}:model/{G159}-v1", created(G159)),
    ("sagemaker:AddTags", f"{PROD_SM}:model/{G159}-v1", created(G159, **{"sagemaker:TaggingAction": "CreateModel"})),
    ("sagemaker:DescribeModel", f"{PROD_SM}:model/{G0}-v1", existing(G0)),
    ("sagemaker:CreateEndpointConfig", f"{PROD_SM}:endpoint-config/{G159}-v1",
     created(G159, **{"sagemaker:ModelArn": f"{PROD_SM}:model/{G159}-v1"})),
    ("sagemaker:AddTags", f"{PROD_SM}:endpoint-config/{G159}-v1",
     created(G159, **{"sagemaker:TaggingAction": "CreateEndpointConfig"})),
    ("sagemaker:DescribeEndpointConfig", f"{PROD_SM}:endpoint-config/{G159}-v1", existing(G159)),
    ("sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint/{G159}-live", created(G159)),
    ("sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint-config/{G159}-v1", existing(G159, **created(G159))),
    ("sagemaker:UpdateEndpoint", f"{PROD_SM}:endpoint/{G0}-live", existing(G0)),
    ("sagemaker:UpdateEndpoint", f"{PROD_SM}:endpoint-config/{G0}-v2", existing(G0)),
    ("sagemaker:DeleteEndpoint", f"{PROD_SM}:endpoint/{G0}-live", existing(G0)),
    ("sagemaker:DescribeModelPackage", f"{SM}:model-package/{G159}/3", {}),
    ("iam:PassRole", PROD_EXEC, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
])
def test_at_scale_the_deploy_role_deploys_every_group_of_its_account(scale_world, action, resource, context):
    decision = scale_world.decide(PROD_DR, action, resource, **context)
    assert decision.allowed, decision.reason


def test_at_scale_the_deploy_role_fits_the_default_managed_policy_quota(scale_files):
    docs = _deploy_policies(scale_files)
    assert 1 < len(docs) <= 10
    for doc in docs:
        assert limits.check("iam_role_policy", "", doc) is None
    # no resource of the workload account is named per group: the tagged form
    assert not [r for r in _resources(docs) if r.startswith(PROD_SM) and "${" not in r]
    # each statement's list (group tag values, version ARNs) is spread over the policies:
    # every group exactly once per statement, none of another account
    lists: dict = {}
    for doc in docs:
        for stmt in doc["Statement"]:
            equals = stmt.get("Condition", {}).get("StringEquals", {})
            values = [v for key in (REQ, RES) for v in equals.get(key, []) if not v.startswith("${")]
            if stmt["Action"] == ["sagemaker:DescribeModelPackage"]:
                values = [r.split("/")[1] for r in stmt["Resource"]]
            if values:
                lists.setdefault(stmt["Sid"], []).extend(values)
    assert sorted(lists) == ["CreateTaggedGroupEndpointConfigs", "CreateTaggedGroupEndpoints", "CreateTaggedGroupModels",
                             "DescribeRegistryVersions", "ManageTaggedGroupModelsAndEndpoints"]
    for sid, values in lists.items():
        assert sorted(values) == [f"model-{i:05d}" for i in range(160)], sid
    assert sum("PassExecutionRolesToSageMaker" in json.dumps(doc) for doc in docs) == 1


def test_small_accounts_keep_one_resource_type_per_arn(example_files):
    # The explicit form: every ARN names its resource type (model/, endpoint-config/, endpoint/).
    for account in ("test", "prod"):
        resources = _resources(_deploy_policies(example_files, account))
        assert resources and not [r for r in resources if ":*/" in r]


NAMES = [f"{G0}-v1", f"{G0}-live", "model-00015-v1", f"{G0}", f"x{G0}-v1", "model-00016-v1", "model-0000-v1"]


def _group_of(name: str) -> str | None:
    """The group (of the 17 in _form_documents' config) whose resources ``name`` names."""
    for group in (G0, "model-00015", "model-00016"):
        if name.startswith(group + "-"):
            return group
    return None


def _contexts(action: str, account: str, name: str) -> list[dict]:
    """The contexts a request for ``action`` on ``name`` is asked with: its
    tags right, wrong and absent, and the condition keys the action has."""
    sm = f"arn:aws:sagemaker:us-east-1:{account}"
    own = _group_of(name) or G0
    other = "model-00015" if own != "model-00015" else G0
    tags = [{}, {REQ: own, "aws:TagKeys": [TAG]}, {REQ: other, "aws:TagKeys": [TAG]},
            {REQ: own, "aws:TagKeys": [TAG, "owner"]}, {REQ: "model-00016", "aws:TagKeys": [TAG]},
            {RES: own}, {RES: other}, {RES: "model-00016"}, {RES: own, REQ: other, "aws:TagKeys": [TAG]}]
    if action == "sagemaker:CreateEndpointConfig":
        models = [{}] + [{"sagemaker:ModelArn": f"{sm}:model/{g}-v1"} for g in (G0, "model-00015", "model-00016")]
        return [{**t, **m} for t in tags for m in models]
    if action == "sagemaker:AddTags":
        return [{**t, **a} for t in tags for a in ({}, {"sagemaker:TaggingAction": "CreateModel"},
                                                   {"sagemaker:TaggingAction": "CreateEndpoint"})]
    if action == "iam:PassRole":
        return [{}, {"iam:PassedToService": "sagemaker.amazonaws.com"}, {"iam:PassedToService": "ec2.amazonaws.com"}]
    return tags


def _decisions(docs: list[dict]) -> dict:
    """What the identity policies ``docs`` allow PROD_DR, for every request
    of a grid that AWS can make: each action on ARNs of the resource types
    it takes (the evaluator matches strings; it does not know that
    CreateModel is only ever asked about a model), with the contexts of
    :func:`_contexts`."""
    from generator.analysis.evaluate import Request, decide
    from generator.lint import iam_data

    out = {}
    for account in ("555555555555", "444444444444"):
        sm = f"arn:aws:sagemaker:us-east-1:{account}"
        resources = [(f"{sm}:{kind}/{name}", name) for kind in ("model", "endpoint-config", "endpoint", "training-job",
                                                                "inference-component", "model-package")
                     for name in NAMES]
        resources += [(f"{SM}:model-package/{g}/1", "") for g in (G0, "model-00015", "model-00016")]
        resources += [(f"arn:aws:iam::{account}:role/{r}", "") for r in ("SageMakerExecutionRole", "Admin", "ModelDeployRole")]
        actions = sorted({a for doc in docs for s in doc["Statement"] for a in s["Action"]} | {
            "sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:CreateTrainingJob",
            "sagemaker:CreateInferenceComponent", "sagemaker:UpdateModelPackage", "sagemaker:DeleteModelPackage",
            "iam:CreateRole"})
        for action in actions:
            templates = [template for _, template in iam_data.resource_types(action)]
            for resource, name in resources:
                if not any(iam_data.arn_fits(t, resource) for t in templates):
                    continue
                for context in _contexts(action, account, name):
                    request = Request(PROD_DR, action, resource, context)
                    key = (action, resource, json.dumps(context, sort_keys=True))
                    allowed = bool(decide(request, docs, None, "555555555555").identity_allows)
                    creating = context.get("sagemaker:TaggingAction")
                    created_kind = {"CreateModel": ":model/", "CreateEndpointConfig": ":endpoint-config/",
                                    "CreateEndpoint": ":endpoint/"}.get(creating)
                    if action == "sagemaker:AddTags" and creating and created_kind not in resource:
                        continue  # tags go on what is created (CreateEndpoint tags no configuration): no such request
                    if action == "sagemaker:AddTags" and creating:
                        # tagging while creating: SageMaker authorizes AddTags beside the
                        # creating action, and the request needs both
                        alongside = {k: v for k, v in context.items() if k != "sagemaker:TaggingAction"}
                        allowed = allowed and bool(decide(Request(PROD_DR, f"sagemaker:{creating}", resource, alongside),
                                                          docs, None, "555555555555").identity_allows)
                    out[key] = allowed
    return out


def _form_documents(form: str, groups: int = 16) -> list[dict]:
    """One form's statements over the same groups, as one document (the
    render splits a form over policies by whole groups; see test_at_scale_*
    for the rendered split)."""
    from generator.arns import Arns
    from generator.policies import deploy_role

    config = config_from_text(_scale_text(groups, 1))
    (target,) = [t for t in deploy_role.targets(config) if t.account == "prod"]
    return [{"Version": "2012-10-17", "Statement": deploy_role._statements(
        config, Arns.of(config), target, list(target.groups), True, form=form)}]


@pytest.fixture(scope="module")
def explicit_decisions() -> dict:
    return _decisions(_form_documents("explicit"))


def test_compact_form_grants_exactly_what_the_explicit_form_grants(explicit_decisions):
    explicit, compact = _form_documents("explicit"), _form_documents("compact")
    assert not [r for r in _resources(explicit) if ":*/" in r]
    assert [r for r in _resources(compact) if ":*/" in r]
    left, right = explicit_decisions, _decisions(compact)
    assert left == right
    allowed = {key for key, ok in left.items() if ok}
    assert len(allowed) > 20  # the grid does reach what the role may do
    assert all(f"{G0}-" in key[1] or "model-00015-" in key[1] or "model-package/" in key[1]
               or key[0] == "iam:PassRole" for key in allowed)
    assert not [key for key in allowed if "model-00016" in key[1] or "444444444444" in key[1]]


def _well_tagged(action: str, resource: str, context: dict) -> bool:
    """Is this request tagged as the pipeline must tag (docs/deploy.md)?
    Creating (CreateModel, CreateEndpointConfig, CreateEndpoint's endpoint,
    AddTags while creating): the request carries the group tag alone, valued
    the group the name is of. An existing model, endpoint configuration or
    endpoint carries the tag of the group it is named for."""
    kind_name = resource.rsplit(":", 1)[-1]
    kind, _, name = kind_name.partition("/")
    if ":sagemaker:" not in resource or kind not in ("model", "endpoint-config", "endpoint"):
        return True
    group = _group_of(name)
    creating = action in ("sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:AddTags") or (
        action == "sagemaker:CreateEndpoint" and kind == "endpoint")
    if creating:
        return context.get(REQ) == group and context.get("aws:TagKeys") == [TAG]
    if action == "sagemaker:CreateEndpoint":
        # the configuration an endpoint is created from: its own group's (narrower than the
        # explicit form, which lets churn-live be created from fraud-c1)
        return context.get(RES) == group and context.get(REQ) == group
    return context.get(RES) == group


def test_tagged_form_decides_as_the_explicit_form_on_tagged_resources_and_refuses_the_rest(explicit_decisions):
    explicit, tagged = explicit_decisions, _decisions(_form_documents("tagged"))
    assert explicit.keys() == tagged.keys()
    wider = [key for key in tagged if tagged[key] and not explicit[key]]
    assert wider == [], wider[:5]  # never more than the explicit form, on any request
    differ = [key for key in tagged if tagged[key] != explicit[key]
              and _well_tagged(key[0], key[1], json.loads(key[2]))]
    # the one place the tagged form binds more: an endpoint is created from its own group's configuration
    cross = [key for key in tagged if explicit[key] and not tagged[key] and key[0] == "sagemaker:CreateEndpoint"
             and ":endpoint-config/" in key[1] and json.loads(key[2]).get(REQ) not in (None, _group_of(key[1].split("/")[1]))]
    assert cross
    assert differ == [], differ[:5]  # exactly the explicit form's answer on requests tagged as documented
    untagged = [key for key in tagged if tagged[key] and not _well_tagged(key[0], key[1], json.loads(key[2]))]
    assert untagged == [], untagged[:5]  # and no to every request that is not
    assert sum(tagged.values()) > 20  # the grid does reach what the role may do
    assert len(tagged) > 4000


@pytest.mark.parametrize("most,form", [(3, "explicit"), (2, "compact"), (1, "tagged")])
def test_each_form_only_when_the_smaller_ones_are_over_the_setting(most, form):
    # 16 groups: the explicit form takes three managed policies, the compact two, the tagged one.
    from generator.arns import Arns
    from generator.kinds.iam_role_policy import KIND
    from generator.policies import deploy_role

    config = config_from_text(_scale_text(16, 1, max_policies=most))
    (target,) = [t for t in deploy_role.targets(config) if t.account == "prod"]
    chosen, docs = deploy_role.documents_in_form(config, Arns.of(config), target, KIND)
    assert (chosen, len(docs)) == (form, most)
    assert docs == _deploy_policies(render(config))
    sids = {s["Sid"] for doc in docs for s in doc["Statement"]}
    assert {"explicit": "ManageGroupModels", "compact": "ManageGroupModelsAndEndpoints",
            "tagged": "ManageTaggedGroupModelsAndEndpoints"}[form] in sids


def test_refuses_when_even_the_tagged_form_is_over_the_setting():
    with pytest.raises(PolicyTooLarge) as caught:
        build_policies(config_from_text(_scale_text(60, max_policies=1)))
    message = str(caught.value)
    assert "\n" not in message
    assert "prod/policies/deploy-role-ModelDeployRole.json: the deploy role of prod needs" in message
    assert "managed policies of 6,144 characters for its 60 groups even in its smallest (tagged) form" in message
    assert "over deploy_role.max_managed_policies (1)" in message
    assert "quota" in message and "split the account's groups over more workload accounts" in message


@pytest.mark.parametrize("declared", [
    "quotas:\n  managed_policies_per_role: 20\n",  # the one place for raised quotas
    None,  # its older name, deploy_role.max_managed_policies
])
def test_a_raised_quota_holds_more_groups(declared):
    text = _scale_text(600)
    with pytest.raises(PolicyTooLarge) as caught:
        build_policies(config_from_text(text))
    assert "over quotas.managed_policies_per_role (10)" in str(caught.value)
    assert "declare it as quotas.managed_policies_per_role" in str(caught.value)
    raised = (text + declared if declared else
              text.replace("  name: ModelDeployRole\n", "  name: ModelDeployRole\n  max_managed_policies: 20\n"))
    policies = [p for p in build_policies(config_from_text(raised)) if p.extra.get("scope") == "deploy-role"]
    assert 10 < len(policies) <= 20
    assert all(limits.check("iam_role_policy", p.text) is None for p in policies)


def test_max_managed_policies_defaults_to_the_iam_default():
    assert config_from_text(EXAMPLE_TEXT).deploy_role.max_managed_policies == 10


@pytest.mark.parametrize("most", [3, 2, 1], ids=["explicit", "compact", "tagged"])
def test_every_form_lints_clean(tmp_path, most):
    assert _lint(_scale_text(16, 1, max_policies=most), tmp_path) == []


@pytest.mark.parametrize("most,sid", [(2, "ManageGroupModelsAndEndpoints"), (1, "CreateTaggedGroupModels")])
def test_overlapping_prefixes_are_flagged_in_the_compact_and_tagged_forms(tmp_path, most, sid):
    text = _scale_text(16, max_policies=most).replace("deploy_role:", (
        "  churn:\n    developers: [data-science]\n    consumers: [prod]\n"
        "  churn-v2:\n    developers: [data-science]\n    consumers: [test]\n"
        "deploy_role:"))
    findings = _lint(text, tmp_path)
    assert [(f.rule_id, f.message) for f in findings] == [(
        "deploy-prefix-overlap",
        f"statement {sid}: names churn-* of account prod also cover group 'churn-v2' "
        "(churn-v2-...), which it does not deploy",
    )]


def _lint_policy(tmp_path, mutate) -> list:
    """Lint findings of the tagged form's render after ``mutate`` edits prod's first policy."""
    from generator.lint import lint
    from tests.lintkit import write

    config = config_from_text(_scale_text(16, 1, max_policies=1))
    files = render(config)
    path = "prod/policies/deploy-role-ModelDeployRole.json"
    doc = json.loads(files[path])
    mutate({s["Sid"]: s for s in doc["Statement"]})
    files[path] = json.dumps(doc, indent=2) + "\n"
    return [(f.rule_id, f.message) for f in lint(config, write(tmp_path, files)).findings]


@pytest.mark.parametrize("mutate,expected", [
    (lambda s: s["TagGroupResourcesOnCreate"]["Condition"]["StringEquals"].update({"sagemaker:TaggingAction": ["AddTags"]}),
     "grants sagemaker:AddTags beyond creation"),
    (lambda s: s["ManageTaggedGroupModelsAndEndpoints"]["Condition"]["StringEquals"][RES].append("payments"),
     "does not keep the tag to this account's groups"),
    (lambda s: s["CreateTaggedGroupModels"]["Condition"].pop("ForAllValues:StringEquals"),
     "does not keep the tag to this account's groups"),
    (lambda s: s["ManageTaggedGroupModelsAndEndpoints"]["Action"].append("sagemaker:DeleteTags"),
     "grants sagemaker:DeleteTags, which deploying does not need"),
    # a deploy action of another resource type beside "*/${aws:ResourceTag/...}-*": model packages named for a group
    (lambda s: s["ManageTaggedGroupModelsAndEndpoints"]["Action"].append("sagemaker:DescribeModelPackage"),
     "names any resource type, and sagemaker:DescribeModelPackage takes types other than"),
    # the configuration half's exemption from a group list is for the configuration only
    (lambda s: s["CreateTaggedEndpointsFromTheirGroupsConfigs"]["Resource"].append(
        "arn:aws:sagemaker:us-east-1:555555555555:endpoint/${aws:RequestTag/model-registry-group}-*"),
     "does not keep the tag to this account's groups"),
])
def test_lint_catches_a_widened_tagged_form(tmp_path, mutate, expected):
    findings = _lint_policy(tmp_path, mutate)
    assert any(rule == "deploy-role-only-deploys" and expected in message for rule, message in findings), findings
# --- issue 30: PassRole on a wildcard role is fenced like the registry half -----------
FENCED_TEXT = EXAMPLE_TEXT.replace(
    'prod:            {id: "555555555555", kind: workload, stage: prod, roles: [SageMakerExecutionRole]}',
    'prod:            {id: "555555555555", kind: workload, stage: prod, roles: ["service-role/ProdExec*"]}')


@pytest.fixture(scope="module")
def fenced_world():
    assert FENCED_TEXT != EXAMPLE_TEXT
    return world_from_text(FENCED_TEXT)


@pytest.mark.parametrize("impostor", [
    "service-role/ProdExecx/Impostor",
    "service-role/ProdExec/Impostor",
    "service-role/ProdExec-a/b/c",
])
def test_cannot_pass_a_role_under_a_path_the_wildcard_spans(fenced_world, impostor):
    # a role anyone with iam:CreateRole in the account can make
    assert not fenced_world.can(PROD_DR, "iam:PassRole", f"arn:aws:iam::555555555555:role/{impostor}",
                                **{PASS: "sagemaker.amazonaws.com"})


@pytest.mark.parametrize("role", ["service-role/ProdExec", "service-role/ProdExecRole", "service-role/ProdExec-2"])
def test_passes_the_roles_the_wildcard_names(fenced_world, role):
    assert fenced_world.can(PROD_DR, "iam:PassRole", f"arn:aws:iam::555555555555:role/{role}",
                            **{PASS: "sagemaker.amazonaws.com"})


# --- issue 30: SageMaker writes model, endpoint-config and endpoint ARNs in lowercase --
CAPITAL_TEXT = EXAMPLE_TEXT.replace("  credit-risk:\n", "  CreditRisk:\n").replace(
    "model_groups: [credit-risk]", "model_groups: [CreditRisk]")


@pytest.fixture(scope="module")
def capital_world():
    assert "CreditRisk:" in CAPITAL_TEXT and "[CreditRisk]" in CAPITAL_TEXT
    return world_from_text(CAPITAL_TEXT)


def test_capital_group_cannot_reach_another_groups_lowercase_names(capital_world):
    assert not capital_world.can(PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/churn-predictor-v1")
    assert not capital_world.can(PROD_DR, "sagemaker:CreateModel", f"{PROD_SM}:model/creditriskx-v1")
    assert not capital_world.can(PROD_DR, "sagemaker:CreateEndpointConfig", f"{PROD_SM}:endpoint-config/creditrisk-c1",
                                 sagemaker__ModelArn=f"{PROD_SM}:model/churn-predictor-v1")


@pytest.mark.parametrize("action,resource,context", [
    # the ARNs SageMaker evaluates for a model named CreditRisk-v1 etc.: lowercase
    ("sagemaker:CreateModel", f"{PROD_SM}:model/creditrisk-v1", {}),
    ("sagemaker:CreateEndpointConfig", f"{PROD_SM}:endpoint-config/creditrisk-c1",
     {"sagemaker__ModelArn": f"{PROD_SM}:model/creditrisk-v1"}),
    ("sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint/creditrisk-prod", {}),
    ("sagemaker:CreateEndpoint", f"{PROD_SM}:endpoint-config/creditrisk-c1", {}),
])
def test_a_group_with_capitals_can_deploy(capital_world, action, resource, context):
    assert capital_world.can(PROD_DR, action, resource, **context)
