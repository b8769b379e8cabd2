"""`explain`: allow or deny one request, with the deciding statements per
policy file; exit 0 allow, 1 deny, 2 bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from generator.cli import main

from .conftest import EXAMPLE, EXAMPLE_DIR, EXAMPLE_OUT, ROOT

POLICIES = str(EXAMPLE_OUT)
PROD = "arn:aws:iam::555555555555:role/SageMakerExecutionRole"
DS = "arn:aws:iam::222222222222:role/SageMakerExecutionRole"
CREDIT_V1 = "arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-risk/1"
OBJ = "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/model.tar.gz"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["explain", "--config", str(EXAMPLE), "--policies", POLICIES, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_allow_names_the_statement_of_each_half(capsys):
    code, out, _ = run(capsys, "--principal", PROD, "--action", "s3:GetObject", "--resource", OBJ)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"ALLOW: s3:GetObject on {OBJ}: allowed by identity:ArtifactsRead, resource:CreditRiskConsumersArtifactsRead"
    assert f"  identity policy {POLICIES}/prod/policies/iam-role-SageMakerExecutionRole.json:" in lines
    assert f"  resource policy {POLICIES}/shared-services/policies/s3-bucket-policy.json:" in lines
    assert "    Allow ArtifactsRead" in lines and "    Allow CreditRiskConsumersArtifactsRead" in lines
    assert any(line.startswith("  cross-account call:") for line in lines)


def test_explicit_deny_is_shown_with_its_file(capsys):
    code, out, _ = run(capsys, "--principal", DS, "--action", "sagemaker:UpdateModelPackage", "--resource", CREDIT_V1,
                       "--context", "sagemaker:ModelApprovalStatus=Approved")
    assert code == 1
    assert out.startswith("DENY: sagemaker:UpdateModelPackage")
    assert "    Deny DenyApproval" in out and "    Deny DevelopersDenyApproval" in out
    assert "model-package-group-credit-risk.json:" in out
    assert "sagemaker:ModelApprovalStatus=Approved" in out.splitlines()[-1]


def test_deny_says_which_half_is_missing(capsys):
    code, out, _ = run(capsys, "--principal", PROD, "--action", "sagemaker:UpdateModelPackage", "--resource", CREDIT_V1,
                       "--context", "sagemaker:ModelApprovalStatus=Approved")
    assert code == 1
    assert "why: no identity-policy statement allows it" in out
    assert "iam-role-SageMakerExecutionRole.json: no statement applies" in out


def test_context_overrides_and_removes_normal_keys(capsys):
    code, out, _ = run(capsys, "--principal", PROD, "--action", "s3:GetObject", "--resource", OBJ,
                       "--context", "aws:SecureTransport=false")
    assert code == 1 and "Deny DenyInsecureTransport" in out
    code, out, _ = run(capsys, "--principal", PROD, "--action", "s3:GetObject", "--resource", OBJ,
                       "--context", "aws:PrincipalOrgID=")
    assert code == 1 and "aws:PrincipalOrgID" not in out.splitlines()[-1]


def test_list_context_values(capsys):
    key = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    base = ["--principal", PROD, "--action", "kms:Decrypt", "--resource", key,
            "--context", "kms:ViaService=s3.us-east-1.amazonaws.com"]
    assert run(capsys, *base)[0] == 0
    code, _, _ = run(capsys, *base, "--context", "kms:ResourceAliases=alias/other",
                     "--context", "kms:ResourceAliases=alias/also-other")
    assert code == 1
    code, out, _ = run(capsys, *base, "--context", "kms:ResourceAliases=alias/other",
                       "--context", "kms:ResourceAliases=alias/ml-model-artifacts")
    assert code == 0, out


def test_unlisted_role_has_an_unknown_identity_policy_and_the_registry_side_decides(capsys):
    """Issue 11 item 3: a role whose IAM we do not render is not 'denied for
    lack of an identity policy': its identity policy is unknown, and the
    registry's resource policies alone decide (here: they refuse it)."""
    code, out, _ = run(capsys, "--principal", "arn:aws:iam::555555555555:role/Other", "--action", "s3:GetObject",
                       "--resource", OBJ)
    assert code == 1
    assert "identity policy: unknown (this role's identity policy is not rendered" in out
    assert "why: no resource-policy statement allows it" in out
    assert "no identity policy is attached" not in out


def test_outside_role_allowed_by_a_tampered_group_policy_is_allow(tmp_path, capsys):
    import json
    import shutil

    policies = tmp_path / "p"
    shutil.copytree(POLICIES, policies)
    path = policies / "shared-services/policies/model-package-group-credit-risk.json"
    doc = json.loads(path.read_text())
    doc["Statement"].append({
        "Sid": "Tampered", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
        "Action": "sagemaker:DescribeModelPackage", "Resource": CREDIT_V1,
        "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::999999999999:role/Intruder"},
                      "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}})
    path.write_text(json.dumps(doc))
    code = main(["explain", "--config", str(EXAMPLE), "--policies", str(policies), "--principal",
                 "arn:aws:iam::999999999999:role/Intruder", "--action", "sagemaker:DescribeModelPackage",
                 "--resource", CREDIT_V1])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("ALLOW") and "    Allow Tampered" in out
    assert "identity policy: unknown" in out and "the registry side alone decides" in out


def test_registry_role_is_evaluated_with_no_identity_policy(capsys):
    code, out, _ = run(capsys, "--principal", "arn:aws:iam::111111111111:role/Admin", "--action", "s3:GetObject",
                       "--resource", OBJ)
    assert code == 1
    assert "identity policy: none (a role of the registry account: its own IAM" in out


AP_OBJ = "arn:aws:s3:us-east-1:111111111111:accesspoint/credit-risk/object/credit-risk/model.tar.gz"


@pytest.fixture(scope="module")
def ap_policies(tmp_path_factory):
    root = tmp_path_factory.mktemp("ap")
    config = root / "ap.yaml"
    config.write_text(EXAMPLE.read_text().replace(
        "  kms_key_alias: alias/ml-model-artifacts\n", "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n"))
    assert main(["render", "--config", str(config), "--out", str(root / "out")]) == 0
    return config, root / "out"


def test_access_point_request_is_decided_by_all_three_policies(ap_policies, capsys):
    """s3_layout: access_points: identity + access point policy + the bucket's delegation, as S3 evaluates it."""
    config, out_dir = ap_policies
    capsys.readouterr()
    code = main(["explain", "--config", str(config), "--policies", str(out_dir), "--principal", PROD,
                 "--action", "s3:GetObject", "--resource", AP_OBJ])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "s3-access-point-credit-risk.json:" in out and "    Allow ConsumersArtifactsRead" in out
    assert "s3-bucket-policy.json:" in out and "    Allow DelegateObjectsToRegistryAccessPoints" in out
    code = main(["explain", "--config", str(config), "--policies", str(out_dir), "--principal", PROD,
                 "--action", "s3:PutObject", "--resource", AP_OBJ])
    assert code == 1


def test_bucket_path_on_the_access_point_layout_points_at_the_access_point(ap_policies, capsys):
    config, out_dir = ap_policies
    capsys.readouterr()
    code = main(["explain", "--config", str(config), "--policies", str(out_dir), "--principal", PROD,
                 "--action", "s3:GetObject", "--resource", OBJ])
    out = capsys.readouterr().out
    assert code == 1
    assert f"note: s3_layout is access_points: the group's grants are on its access point; ask about {AP_OBJ}" in out


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--principal", "prod", "--action", "s3:GetObject", "--resource", OBJ], "--principal: 'prod' is not an IAM role ARN"),
        (["--principal", PROD, "--action", "GetObject", "--resource", OBJ], "--action: 'GetObject' is not an action"),
        (["--principal", PROD, "--action", "s3:GetObject", "--resource", "bucket/key"], "--resource: 'bucket/key' is not an ARN"),
        (["--principal", PROD, "--action", "s3:GetObject", "--resource", OBJ, "--context", "novalue"], "--context: 'novalue'"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args, fragment):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err, err


def test_missing_policies_exit_2(tmp_path, capsys):
    code = main(["explain", "--config", str(EXAMPLE), "--policies", str(tmp_path), "--principal", PROD,
                 "--action", "s3:GetObject", "--resource", OBJ])
    assert code == 2 and "cannot read the rendered policies" in capsys.readouterr().err


def test_real_process_exit_codes():
    # The defaults (accounts.yaml, terraform/accounts) relative to the working
    # directory: the fixture directory has the layout of a user's checkout.
    base = [sys.executable, "-m", "generator", "explain", "--principal", PROD, "--resource", OBJ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    allow = subprocess.run(base + ["--action", "s3:GetObject"], cwd=EXAMPLE_DIR, env=env, capture_output=True, text=True)
    deny = subprocess.run(base + ["--action", "s3:PutObject"], cwd=EXAMPLE_DIR, env=env, capture_output=True, text=True)
    assert (allow.returncode, deny.returncode) == (0, 1), allow.stderr + deny.stderr
    assert allow.stdout.startswith("ALLOW") and deny.stdout.startswith("DENY")
