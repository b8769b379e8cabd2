"""explain's questions: the principal as a user has it at hand (an
assumed-role session ARN, ACCOUNT/ROLE), unknown actions, stale files."""

from __future__ import annotations

import pytest

from generator.cli import main

from .conftest import EXAMPLE, EXAMPLE_OUT

OBJ = "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/model.tar.gz"
PROD_ROLE = "arn:aws:iam::555555555555:role/SageMakerExecutionRole"


def explain(capsys, principal: str, action: str = "s3:GetObject", config=EXAMPLE, policies=EXAMPLE_OUT):
    code = main(["explain", "--config", str(config), "--policies", str(policies), "--principal", principal,
                 "--action", action, "--resource", OBJ])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("principal", [
    "prod/SageMakerExecutionRole",
    "arn:aws:sts::555555555555:assumed-role/SageMakerExecutionRole/botocore-session-1700000000",
])
def test_shorthand_and_assumed_role_sessions_are_their_role(capsys, principal):
    code, out, err = explain(capsys, principal)
    assert code == 0 and out.startswith("ALLOW")
    assert f"as {PROD_ROLE}" in err


def test_negative_first_the_shorthand_does_not_widen_anything(capsys):
    code, out, _ = explain(capsys, "test/SageMakerExecutionRole", "s3:PutObject")
    assert code == 1 and out.startswith("DENY")
    code, out, _ = explain(capsys, "arn:aws:sts::999999999999:assumed-role/SageMakerExecutionRole/x")
    assert code == 1 and out.startswith("DENY")


def test_unknown_account_in_shorthand_is_bad_input(capsys):
    code, _, err = explain(capsys, "nowhere/SageMakerExecutionRole")
    assert code == 2 and "is not an IAM role ARN" in err


def test_unknown_action_is_warned_with_did_you_mean(capsys):
    code, out, err = explain(capsys, PROD_ROLE, "s3:GetObjekt")
    assert code == 1 and out.startswith("DENY")
    assert "warning: s3:GetObjekt is not an action of s3 in the IAM data; did you mean s3:GetObject?" in err
    _, _, err = explain(capsys, PROD_ROLE, "s3:GetObject")
    assert "warning" not in err


def test_stale_policies_are_warned(tmp_path, capsys):
    config = tmp_path / "accounts.yaml"
    config.write_text(EXAMPLE.read_text().replace("consumers: [test, prod]", "consumers: [test]"))
    code, out, err = explain(capsys, PROD_ROLE, config=config)
    assert code == 0 and "warning:" in err and "is stale against the config" in err
    _, _, err = explain(capsys, PROD_ROLE)
    assert "stale" not in err


def run(capsys, *args: str):
    code = main(["explain", "--config", str(EXAMPLE), "--policies", str(EXAMPLE_OUT), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_denied_by_a_condition_names_it_and_the_context_that_meets_it(capsys):
    code, out, _ = run(capsys, "--principal", PROD_ROLE, "--action", "s3:GetObject", "--resource", OBJ,
                       "--context", "aws:PrincipalOrgID=o-zzzzzzzzzz")
    assert code == 1 and out.startswith("DENY")
    assert "Allow CreditRiskConsumersArtifactsRead would apply, but the request fails" in out
    assert ("StringEquals aws:PrincipalOrgID o-a1b2c3d4e5 (the request has aws:PrincipalOrgID=o-zzzzzzzzzz): "
            "met with --context aws:PrincipalOrgID=o-a1b2c3d4e5") in out
    # and that context does answer ALLOW
    code, out, _ = run(capsys, "--principal", PROD_ROLE, "--action", "s3:GetObject", "--resource", OBJ,
                       "--context", "aws:PrincipalOrgID=o-a1b2c3d4e5")
    assert code == 0 and out.startswith("ALLOW")


def test_explicit_deny_names_the_conditions_that_made_it_apply(capsys):
    code, out, _ = run(capsys, "--principal", PROD_ROLE, "--action", "s3:GetObject", "--resource", OBJ,
                       "--context", "aws:SecureTransport=false")
    assert code == 1 and "why the deny applies:" in out
    assert "(the request has aws:SecureTransport=false)" in out


def test_no_statement_no_context_helps(capsys):
    code, out, _ = run(capsys, "--principal", PROD_ROLE, "--action", "s3:PutObject", "--resource", OBJ)
    assert code == 1 and "why not: no statement names this principal, action and resource" in out


def test_can_answers_a_capability_across_services_negative_first(capsys):
    code, out, _ = run(capsys, "--principal", "prod/SageMakerExecutionRole", "--can", "write", "--group", "credit-risk")
    assert code == 1 and out.startswith(f"NO: {PROD_ROLE} cannot write on model group credit-risk")
    code, out, _ = run(capsys, "--principal", "prod/SageMakerExecutionRole", "--can", "read", "--group",
                       "churn-predictor")
    assert code == 1 and out.startswith("NO:")  # prod consumes credit-risk only
    code, out, _ = run(capsys, "--principal", "governance/ModelApproverRole", "--can", "approve", "--group",
                       "credit-risk")
    assert code == 0 and out.startswith("YES:")
    code, out, _ = run(capsys, "--principal", "prod/SageMakerExecutionRole", "--can", "read", "--group", "credit-risk")
    assert code == 0 and out.startswith("YES:")
    assert "ALLOW sagemaker:DescribeModelPackage" in out and "ALLOW s3:GetObject" in out


def test_can_bad_input(capsys):
    code, _, err = run(capsys, "--principal", PROD_ROLE, "--can", "fly", "--group", "credit-risk")
    assert code == 2 and "'fly' is not a capability" in err
    code, _, err = run(capsys, "--principal", PROD_ROLE, "--can", "read", "--group", "credit-risc")
    assert code == 2 and "did you mean 'credit-risk'?" in err
    code, _, err = run(capsys, "--principal", PROD_ROLE)
    assert code == 2 and "needs --action and --resource, or --can" in err


def test_can_with_stages_tries_sample_lifecycles_negative_first(capsys, tmp_path):
    """With stages, --can asks as the report does: a version without a lifecycle and one Approved at
    each stage. A consumer reads only from its own stage on; a developer never reads a Prod-approved one."""
    config = tmp_path / "accounts.yaml"
    config.write_text(EXAMPLE.read_text() + "\nstages:\n  - name: Test\n  - name: Prod\n")
    out_dir = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out_dir)]) == 0
    capsys.readouterr()

    def can(principal, capability, group="credit-risk"):
        code = main(["explain", "--config", str(config), "--policies", str(out_dir), "--principal", principal,
                     "--can", capability, "--group", group])
        return code, capsys.readouterr().out

    code, out = can("prod/SageMakerExecutionRole", "write")
    assert code == 1 and out.startswith("NO:")
    code, out = can("prod/SageMakerExecutionRole", "read")
    assert code == 0 and out.startswith("YES:")
    assert "sagemaker:CurrentModelLifeCycleStage=Prod, sagemaker:CurrentModelLifeCycleStageStatus=Approved" in out
    # prod never reads a version approved only at Test: that way is denied
    assert ("DENY  sagemaker:DescribeModelPackage on arn:aws:sagemaker:us-east-1:111111111111:model-package/"
            "credit-risk/1, sagemaker:CurrentModelLifeCycleStage=Test") in out
    code, out = can("test/SageMakerExecutionRole", "read")
    assert code == 0 and out.startswith("YES:")


def test_can_deploy_asks_about_the_callers_own_account(capsys):
    """deploy's SageMaker resources are in the caller's own account: the
    prod deploy role can deploy credit-risk there; prod's execution role,
    whose identity policy grants no CreateModel, cannot; and the requests
    name prod's account, never an empty one."""
    code, out, _ = run(capsys, "--principal", "prod/SageMakerExecutionRole", "--can", "deploy", "--group", "credit-risk")
    assert code == 1 and out.startswith("NO")
    code, out, _ = run(capsys, "--principal", "prod/ModelDeployRole", "--can", "deploy", "--group", "credit-risk")
    assert code == 0 and out.startswith("YES"), out
    assert "arn:aws:sagemaker:us-east-1:555555555555:model/credit-risk-sample" in out
    assert ":sagemaker:us-east-1::" not in out


# --- issue 30: actions that take only Resource "*" (ecr:GetAuthorizationToken) can be asked -----
def test_resource_star_denies_what_no_identity_policy_allows(capsys):
    code, out, err = run(capsys, "--principal", "arn:aws:iam::666666666666:role/ModelApproverRole",
                         "--action", "ecr:GetAuthorizationToken", "--resource", "*")
    assert code == 1, err
    assert out.startswith("DENY: ecr:GetAuthorizationToken on *")
    code, out, err = run(capsys, "--principal", PROD_ROLE, "--action", "ecr:BatchGetImage", "--resource", "*")
    assert code == 1, err  # the pull actions are granted on the repository ARN, never on *


def test_resource_star_is_decided_by_the_identity_policy_alone(capsys):
    code, out, err = run(capsys, "--principal", PROD_ROLE, "--action", "ecr:GetAuthorizationToken", "--resource", "*")
    assert code == 0, err
    assert out.startswith("ALLOW: ecr:GetAuthorizationToken on *")
    assert "Allow GetEcrAuthorizationToken" in out
    assert "cross-account" not in out and "the identity policy alone decides" in out


# --- where explain disagreed with AWS (issue 30) ---------------------------
def ask(capsys, principal: str, action: str, resource: str, *context: str):
    argv = ["explain", "--config", str(EXAMPLE), "--policies", str(EXAMPLE_OUT), "--principal", principal,
            "--action", action, "--resource", resource]
    for item in context:
        argv += ["--context", item]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_same_account_assume_role_needs_the_roles_trust_policy_even_when_it_is_not_rendered(capsys):
    """A role's trust policy must allow sts:AssumeRole, in the role's own
    account too (IAM User Guide, policy evaluation logic: role trust policies
    are an exception to "either policy may allow"). A role whose trust policy
    is not rendered is not shown to trust anyone, whatever the caller's IAM."""
    unlisted = "arn:aws:iam::555555555555:role/Unlisted"  # identity unknown: assumed to allow
    code, out, _ = ask(capsys, unlisted, "sts:AssumeRole", "arn:aws:iam::555555555555:role/SomeOtherRole")
    assert code == 1 and out.startswith("DENY"), out
    assert "trust policy" in out
    # the same caller on a role whose trust policy is rendered and does not name it
    code, out, _ = ask(capsys, unlisted, "sts:AssumeRole", "arn:aws:iam::555555555555:role/ModelDeployRole")
    assert code == 1 and out.startswith("DENY"), out
    # and the trusted caller still may (positive)
    code, out, _ = ask(capsys, "arn:aws:iam::333333333333:role/ModelDeployPipelineRole", "sts:AssumeRole",
                       "arn:aws:iam::555555555555:role/ModelDeployRole")
    assert code == 0 and out.startswith("ALLOW"), out


FORWARDER = "arn:aws:iam::111111111111:role/model-registry-event-forwarder"
BUS = "arn:aws:events:us-east-1:333333333333:event-bus/model-registry-events"
EVENT = ("aws:SourceArn=arn:aws:events:us-east-1:111111111111:rule/model-registry-events-d8adc381ec-1",
         "events:source=aws.sagemaker", "events:detail-type=SageMaker Model Package State Change")


def test_a_receivers_bus_policy_is_the_resource_half_of_put_events(capsys):
    # negative first: another registry role, another source, another rule
    code, out, _ = ask(capsys, "arn:aws:iam::111111111111:role/Admin", "events:PutEvents", BUS, *EVENT)
    assert code == 1 and out.startswith("DENY"), out
    code, out, _ = ask(capsys, FORWARDER, "events:PutEvents", BUS, EVENT[0], "events:source=aws.ec2", EVENT[2])
    assert code == 1 and out.startswith("DENY"), out
    code, out, _ = ask(capsys, FORWARDER, "events:PutEvents", BUS,
                       "aws:SourceArn=arn:aws:events:us-east-1:111111111111:rule/someone-elses", *EVENT[1:])
    assert code == 1 and out.startswith("DENY"), out
    # the rule role forwarding a model package event: both halves allow it
    code, out, _ = ask(capsys, FORWARDER, "events:PutEvents", BUS, *EVENT)
    assert code == 0 and out.startswith("ALLOW"), out
    assert "deployment/policies/event-bus-policy.json" in out


def test_the_normal_put_events_request_is_a_forwarded_model_package_event(capsys):
    """Without --context, a request on a receiver's bus is what the rendered
    rule sends (events:source, detail-type, the rule as aws:SourceArn, as the
    normal context names the artifact key's alias for KMS): the rule role is
    allowed, nobody else is, and removing a key shows the condition."""
    code, out, _ = ask(capsys, "arn:aws:iam::111111111111:role/Admin", "events:PutEvents", BUS)
    assert code == 1 and out.startswith("DENY"), out
    code, out, _ = ask(capsys, FORWARDER, "events:PutEvents", BUS, "events:source=")
    assert code == 1 and out.startswith("DENY") and "events:source" in out, out
    code, out, _ = ask(capsys, FORWARDER, "events:PutEvents", BUS)
    assert code == 0 and out.startswith("ALLOW"), out
    assert "aws:SourceArn=arn:aws:events:us-east-1:111111111111:rule/model-registry-events-" in out
