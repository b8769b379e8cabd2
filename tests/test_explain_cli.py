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
