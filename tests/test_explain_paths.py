"""One-line answers (issue 31): the first line of explain is the verdict and
the path that allows it; `--can deploy` follows the pipeline's sts:AssumeRole
into each workload account's deploy role and names the hop that refuses;
`--can approve --stage S` and `report --capability approve-stage:S` answer
who approves a stage. Negative cases first."""

from __future__ import annotations

import json
import shutil

import pytest

from generator.cli import main

from .conftest import EXAMPLE, EXAMPLE_OUT

PIPELINE = "deployment/ModelDeployPipelineRole"
PIPELINE_ARN = "arn:aws:iam::333333333333:role/ModelDeployPipelineRole"
PROD_DEPLOY_ROLE = "arn:aws:iam::555555555555:role/ModelDeployRole"
TEST_DEPLOY_ROLE = "arn:aws:iam::444444444444:role/ModelDeployRole"


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """The example with the shipped accounts.yaml's stages Test and Prod, rendered (the fixture is unstaged)."""
    root = tmp_path_factory.mktemp("staged")
    config = root / "accounts.yaml"
    config.write_text(EXAMPLE.read_text() + "\nstages:\n  - name: Test\n  - name: Prod\n")
    assert main(["render", "--config", str(config), "--out", str(root / "out")]) == 0
    return config, root / "out"


def explain(capsys, *args, config=EXAMPLE, policies=EXAMPLE_OUT):
    code = main(["explain", "--config", str(config), "--policies", str(policies), *args])
    out, err = capsys.readouterr()
    return code, out, err


# --- deploy: the pipeline through sts:AssumeRole --------------------------------------------------
def test_a_role_the_trust_policy_does_not_name_cannot_deploy_and_hop_1_says_the_trust_policy_refuses(capsys):
    """Another role of the deployment account (its identity policy is not rendered: assumed to allow)
    is refused by the deploy role's trust policy, in every account."""
    code, out, _ = explain(capsys, "--principal", "arn:aws:iam::333333333333:role/SomeOtherRole",
                           "--can", "deploy", "--group", "credit-risk")
    first = out.splitlines()[0]
    assert code == 1 and first.startswith("NO: arn:aws:iam::333333333333:role/SomeOtherRole cannot deploy "
                                          "model group credit-risk into ")
    assert "hop 1 refuses" in first and "trust policy does not allow the caller" in first
    assert "ALLOW sts:AssumeRole" not in out


def test_a_role_whose_identity_policy_has_no_assume_role_is_refused_at_hop_1_by_its_own_half(capsys):
    """prod's execution role cannot deploy in its own account, nor assume test's deploy role: its own
    identity policy has no sts:AssumeRole (and the trust policy does not name it either)."""
    code, out, _ = explain(capsys, "--principal", "prod/SageMakerExecutionRole", "--can", "deploy",
                           "--group", "credit-risk", "--into", "test")
    first = out.splitlines()[0]
    assert code == 1 and first.startswith("NO:") and "into test: test: hop 1 refuses" in first
    assert "identity policy" in first


def test_the_pipeline_outside_the_organization_is_refused_at_hop_1(capsys):
    code, out, _ = explain(capsys, "--principal", PIPELINE, "--can", "deploy", "--group", "credit-risk",
                           "--into", "prod", "--context", "aws:PrincipalOrgID=")
    first = out.splitlines()[0]
    assert code == 1 and first.startswith("NO:") and "hop 1 refuses" in first and PROD_DEPLOY_ROLE in first


def test_hop_2_names_the_group_policy_when_the_registry_half_refuses(capsys, tmp_path):
    """With the prod deploy role taken out of the group policy's DescribeModelPackage statements, the
    pipeline still assumes the role, and hop 2 says the registry's half refuses DescribeModelPackage."""
    policies = tmp_path / "accounts"
    shutil.copytree(EXAMPLE_OUT, policies)
    path = policies / "shared-services/policies/model-package-group-credit-risk.json"
    doc = json.loads(path.read_text())
    for stmt in doc["Statement"]:
        for values in (stmt.get("Condition") or {}).values():
            arns = values.get("aws:PrincipalArn")
            if isinstance(arns, list) and PROD_DEPLOY_ROLE in arns:
                arns.remove(PROD_DEPLOY_ROLE)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    code, out, _ = explain(capsys, "--principal", PIPELINE, "--can", "deploy", "--group", "credit-risk",
                           "--into", "prod", policies=policies)
    first = out.splitlines()[0]
    assert code == 1 and first.startswith("NO:"), out
    assert "hop 2 refuses, as the deploy role: sagemaker:DescribeModelPackage" in first
    assert "the resource policy (the registry's half) does not allow it" in first
    assert f"ALLOW sts:AssumeRole on {PROD_DEPLOY_ROLE}" in out


def test_hop_2_names_the_deploy_roles_own_policy_when_it_refuses(capsys, tmp_path):
    """Without the deploy role's own CreateModel statement, hop 2 names that request and that half."""
    policies = tmp_path / "accounts"
    shutil.copytree(EXAMPLE_OUT, policies)
    path = policies / "prod/policies/deploy-role-ModelDeployRole.json"
    doc = json.loads(path.read_text())
    doc["Statement"] = [s for s in doc["Statement"] if s.get("Sid") != "ManageGroupModels"]
    path.write_text(json.dumps(doc, indent=2) + "\n")
    code, out, _ = explain(capsys, "--principal", PIPELINE, "--can", "deploy", "--group", "credit-risk",
                           "--into", "prod", policies=policies)
    first = out.splitlines()[0]
    assert code == 1 and "hop 2 refuses, as the deploy role: sagemaker:CreateModel on " in first, out


def test_the_pipeline_deploys_into_every_consumer_through_its_deploy_role(capsys):
    code, out, _ = explain(capsys, "--principal", PIPELINE, "--can", "deploy", "--group", "credit-risk")
    first = out.splitlines()[0]
    assert code == 0, out
    assert first.startswith(f"YES: {PIPELINE_ARN} can deploy model group credit-risk into prod, test, through "
                            f"sts:AssumeRole on {PROD_DEPLOY_ROLE} (identity:AssumeDeployRoles, resource:")
    # the deployment is asked as the deploy role, in the workload account, tagged as docs/deploy.md requires
    assert f"hop 2, as {PROD_DEPLOY_ROLE}:" in out
    assert ("ALLOW sagemaker:CreateModel on arn:aws:sagemaker:us-east-1:555555555555:model/credit-risk-sample, "
            "aws:RequestTag/model-registry-group=credit-risk, aws:TagKeys=model-registry-group") in out
    assert "sagemaker:us-east-1:333333333333:model/" not in out.split("in its own account")[0]


def test_into_narrows_to_one_account_and_refuses_an_account_that_does_not_consume_the_group(capsys):
    code, out, _ = explain(capsys, "--principal", PIPELINE, "--can", "deploy", "--group", "churn-predictor",
                           "--into", "test")
    assert code == 0 and out.startswith(f"YES: {PIPELINE_ARN} can deploy model group churn-predictor into test,")
    assert "into prod" not in out
    code, _, err = explain(capsys, "--principal", PIPELINE, "--can", "deploy", "--group", "churn-predictor",
                           "--into", "prod")
    assert code == 2 and "--into: 'prod' is not a workload account that consumes churn-predictor: one of test" in err
    code, _, err = explain(capsys, "--principal", PIPELINE, "--can", "read", "--group", "credit-risk", "--into", "prod")
    assert code == 2 and "--into: goes with --can deploy" in err


def test_the_deploy_role_itself_still_deploys_in_its_own_account(capsys):
    code, out, _ = explain(capsys, "--principal", "prod/ModelDeployRole", "--can", "deploy", "--group", "credit-risk")
    assert code == 0 and out.startswith(f"YES: {PROD_DEPLOY_ROLE} can deploy on model group credit-risk, by way ")
    assert "hop 1" not in out


# --- stage approval ---------------------------------------------------------------------------------
def test_only_the_stages_approvers_approve_a_stage(capsys, staged):
    config, policies = staged
    capsys.readouterr()
    for principal in ("data-science/SageMakerExecutionRole", PIPELINE, "prod/SageMakerExecutionRole"):
        code, out, _ = explain(capsys, "--principal", principal, "--can", "approve", "--stage", "Prod",
                               "--group", "credit-risk", config=config, policies=policies)
        assert code == 1 and out.startswith("NO:") and "cannot approve stage Prod on model group credit-risk" in out
        assert "; the closest way (" in out.splitlines()[0]
    code, out, _ = explain(capsys, "--principal", "governance/ModelApproverRole", "--can", "approve", "--stage",
                           "prod", "--group", "credit-risk", config=config, policies=policies)
    assert code == 0
    assert out.splitlines()[0] == ("YES: arn:aws:iam::666666666666:role/ModelApproverRole can approve stage Prod on "
                                   "model group credit-risk, by way 1: allowed by identity:ApproveProdStage, "
                                   "resource:StageApproversApproveProdStage")


def test_stage_bad_input(capsys, staged):
    config, policies = staged
    capsys.readouterr()
    code, _, err = explain(capsys, "--principal", PIPELINE, "--can", "approve", "--stage", "Staging",
                           "--group", "credit-risk", config=config, policies=policies)
    assert code == 2 and "--stage: 'Staging' is not a stage of" in err and "one of Test, Prod" in err
    code, _, err = explain(capsys, "--principal", PIPELINE, "--can", "read", "--stage", "Prod", "--group", "credit-risk",
                           config=config, policies=policies)
    assert code == 2 and "--stage: goes with --can approve" in err
    code, _, err = explain(capsys, "--principal", PIPELINE, "--can", "approve", "--stage", "Prod",
                           "--group", "credit-risk")  # the unstaged example
    assert code == 2 and "has no stages:" in err


# --- the first line is the verdict and its path -----------------------------------------------------
def test_a_yes_answer_starts_with_the_allowing_way_not_a_failing_one(capsys, staged):
    """With stages, prod reads credit-risk only by the way of a version Approved at Prod (way 3): the
    answer names it first, not the refused ways 1 and 2."""
    config, policies = staged
    capsys.readouterr()
    code, out, _ = explain(capsys, "--principal", "prod/SageMakerExecutionRole", "--can", "read", "--group",
                           "credit-risk", config=config, policies=policies)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("YES:") and ", by way " in lines[0]
    number = lines[0].split(", by way ")[1].split(":")[0]
    ways = [line for line in lines if line.lstrip().startswith("way ")]
    assert number == "3" and ways[0].strip() == "way 3 (all allowed):"
    assert [w.strip() for w in ways[1:]] == ["way 1 (not all allowed):", "way 2 (not all allowed):"]
    assert "allowed by identity:DescribeApprovedAtOwnStage" in lines[0]


def test_a_single_request_answer_names_the_allowing_statements_on_its_first_line(capsys):
    code, out, _ = explain(capsys, "--principal", "prod/SageMakerExecutionRole", "--action", "s3:GetObject",
                           "--resource", "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/model.tar.gz")
    first = out.splitlines()[0]
    assert code == 0 and first.startswith("ALLOW: s3:GetObject on arn:aws:s3:::acme-ml-model-artifacts/credit-risk/")
    assert first.endswith("allowed by identity:ArtifactsRead, resource:CreditRiskConsumersArtifactsRead")
    code, out, _ = explain(capsys, "--principal", "prod/SageMakerExecutionRole", "--action", "s3:PutObject",
                           "--resource", "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/model.tar.gz")
    assert code == 1 and out.splitlines()[0].endswith(": no identity-policy statement allows it")


# --- report: who approves stage S -------------------------------------------------------------------
def report(capsys, staged, *args):
    config, policies = staged
    capsys.readouterr()
    code = main(["report", "--config", str(config), "--policies", str(policies), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_report_names_who_approves_a_stage_and_nobody_else(capsys, staged):
    code, out, _ = report(capsys, staged, "--group", "credit-risk", "--capability", "approve-stage:Prod")
    assert code == 0, out
    assert out == "credit-risk: approve-stage:Prod: governance / ModelApproverRole\n"


def test_report_approve_stage_bad_input(capsys, staged):
    code, _, err = report(capsys, staged, "--capability", "approve-stage:Staging")
    assert code == 2 and "--capability: 'approve-stage:Staging': Staging is not a stage" in err and "Test, Prod" in err
    code, _, err = report(capsys, staged, "--capability", "approve stage Prod")
    assert code == 2 and "approve-stage:STAGE" in err


@pytest.mark.parametrize("stage", ["Test", "Prod"])
def test_report_approve_stage_covers_every_group_without_group(capsys, staged, stage):
    code, out, _ = report(capsys, staged, "--capability", f"approve-stage:{stage}")
    assert code == 0
    assert out.splitlines() == [f"{g}: approve-stage:{stage}: governance / ModelApproverRole"
                                for g in ("churn-predictor", "credit-risk")]


def test_a_line_break_in_a_flag_value_cannot_forge_a_second_error_line(capsys, staged):
    code, _, err = explain(capsys, "--principal", PIPELINE, "--can", "deploy", "--group", "credit-risk",
                           "--into", "prod\nerror: forged")
    assert code == 2 and [line for line in err.splitlines() if line.startswith("error:")] == [err.splitlines()[-1]]
    assert "prod\\nerror: forged" in err
    code, _, err = report(capsys, staged, "--capability", "approve-stage:Prod\nerror: forged")
    assert code == 2 and len(err.splitlines()) == 1 and "\\n" in err
    code, _, err = report(capsys, staged, "--capability", "fly\nerror: forged")
    assert code == 2 and len(err.splitlines()) == 1


def test_into_another_account_is_not_answered_by_the_callers_own(capsys):
    """prod's deploy role deploys credit-risk in prod, but --into test asks about test: it must assume
    test's deploy role there, which its trust policy refuses."""
    code, out, _ = explain(capsys, "--principal", "prod/ModelDeployRole", "--can", "deploy", "--group", "credit-risk",
                           "--into", "test")
    first = out.splitlines()[0]
    assert code == 1 and first.startswith(f"NO: {PROD_DEPLOY_ROLE} cannot deploy model group credit-risk into test")
    assert f"hop 1 refuses: sts:AssumeRole on {TEST_DEPLOY_ROLE}" in first
    code, out, _ = explain(capsys, "--principal", "prod/ModelDeployRole", "--can", "deploy", "--group", "credit-risk",
                           "--into", "prod")
    assert code == 0 and out.startswith(f"YES: {PROD_DEPLOY_ROLE} can deploy on model group credit-risk, by way ")
