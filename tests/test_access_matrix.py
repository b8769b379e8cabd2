"""The access matrix: evaluated from the rendered policies, compared with accounts.yaml.

The expected cells for the example are written out here by hand (not taken
from generator.report), and weakened copies of the rendered policies must
make `report` fail naming the extra or missing cell.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator import report, writer
from generator.cli import main
from generator.config import config_from_text
from generator.policyset import PolicySet
from generator.render import render

from .conftest import EXAMPLE, ROOT

COMMITTED_REPORT = ROOT / "docs" / "report"
GOOD = EXAMPLE.read_text()
KEY = "artifact key"
NONE: dict[str, set[str]] = {"churn-predictor": set(), "credit-risk": set(), KEY: set()}
DEV = {"register", "write", "read", "decrypt"}
READER = {"read", "decrypt"}

# (account, role as shown) -> column -> capabilities granted. Every row of the
# example, including the sentinels that prove unlisted principals get nothing.
EXPECTED = {
    ("data-science", "SageMakerExecutionRole"): {"churn-predictor": DEV, "credit-risk": DEV, KEY: {"encrypt", "decrypt"}},
    ("data-science", "any other role"): NONE,
    ("deployment", "ModelDeployPipelineRole"): {"churn-predictor": READER, "credit-risk": READER, KEY: {"decrypt"}},
    ("deployment", "any other role"): NONE,
    ("governance", "ModelApproverRole"): {"churn-predictor": {"approve"}, "credit-risk": {"approve"}, KEY: set()},
    ("governance", "any other role"): NONE,
    # prod consumes credit-risk only
    ("prod", "SageMakerExecutionRole"): {"churn-predictor": set(), "credit-risk": READER, KEY: {"decrypt"}},
    ("prod", "any other role"): NONE,
    ("shared-services", "any other role"): NONE,
    ("test", "SageMakerExecutionRole"): {"churn-predictor": READER, "credit-risk": READER, KEY: {"decrypt"}},
    ("test", "any other role"): NONE,
    ("(not in accounts.yaml)", "SageMakerExecutionRole"): NONE,
}


def granted(matrix) -> dict:
    return {
        (p.account, p.role): {col: {c.capability for c in matrix.row(p, col) if c.granted} for col in matrix.columns}
        for p in matrix.principals
    }


@pytest.fixture(scope="module")
def example_matrix(example_config, example_files):
    return report.evaluate(example_config, PolicySet(example_files))


def test_example_matrix_matches_the_expected_cells(example_matrix):
    assert granted(example_matrix) == EXPECTED
    assert example_matrix.differences == []


def test_sentinels_are_evaluated_with_the_accounts_real_identity_policies(example_matrix):
    """'any other role' is a real test of the registry side: it carries a
    copy of the account's identity policy, so only the aws:PrincipalArn
    condition of the resource policies keeps it out."""
    sentinel = next(p for p in example_matrix.principals if p.label == "prod / any other role")
    assert sentinel.copied_identity == ("prod/policies/iam-role-SageMakerExecutionRole.json",)
    cell = example_matrix.cells[(sentinel, "credit-risk", "read")]
    get = next(c for c in cell.checks if c.probe.action == "s3:GetObject").decision
    assert get.identity_allows and not get.resource_allows
    outside = example_matrix.principals[-1]
    assert outside.account_id == "999999999999" and len(outside.copied_identity) == 5


def test_evidence_names_files_and_statement_ids(example_matrix):
    prod = next(p for p in example_matrix.principals if p.label == "prod / SageMakerExecutionRole")
    why = example_matrix.cells[(prod, "credit-risk", "decrypt")].why()
    assert "prod/policies/iam-role-SageMakerExecutionRole.json ArtifactsRead" in why
    assert "shared-services/policies/s3-bucket-policy.json CreditRiskConsumersArtifactsRead" in why
    assert "shared-services/policies/kms-key-policy.json ConsumersDecryptArtifacts" in why


def test_wildcard_roles_are_evaluated_as_a_sample_arn_and_say_so():
    text = GOOD.replace("roles: [SageMakerExecutionRole]}\n  deployment",
                        'roles: ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*"]}\n  deployment')
    config = config_from_text(text)
    matrix = report.evaluate(config, PolicySet(render(config)))
    row = next(p for p in matrix.principals if p.account == "data-science" and p.listed)
    assert row.arn == "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_EXAMPLE"
    assert "pattern" in row.note and row.arn in row.note
    assert {c.capability for c in matrix.row(row, "credit-risk") if c.granted} == DEV
    assert matrix.differences == []


def test_committed_report_matches_a_fresh_one(example_config, example_files):
    """docs/report/ is refreshed by `make render`; review its diff like the policies'."""
    _, files = report.build(example_config, PolicySet(example_files), "accounts.yaml", "terraform/accounts")
    plan = writer.diff(COMMITTED_REPORT, files, patterns=report.FILES)
    assert not plan.written and not plan.removed, f"docs/report/ is stale (run `make render`): {plan.written}"


def test_report_is_deterministic(example_config, example_files):
    first = report.build(example_config, PolicySet(example_files))[1]
    second = report.build(example_config, PolicySet(dict(example_files)))[1]
    assert first == second


# --- weakened policies: copies of the rendered example, edited by hand -------

def _policies(tmp_path: Path) -> Path:
    out = tmp_path / "policies"
    shutil.copytree(ROOT / "terraform" / "accounts", out)
    return out


def _edit(out: Path, path: str, sid: str, add_actions: list[str]) -> None:
    file = out / path
    doc = json.loads(file.read_text())
    stmt = next(s for s in doc["Statement"] if s["Sid"] == sid)
    stmt["Action"] = sorted(set(stmt["Action"]) | set(add_actions))
    file.write_text(json.dumps(doc, indent=2) + "\n")


def _report(tmp_path: Path, policies: Path, capsys) -> tuple[int, str, str]:
    code = main(["report", "--config", str(EXAMPLE), "--policies", str(policies), "--out", str(tmp_path / "report")])
    out, err = capsys.readouterr()
    return code, err, (tmp_path / "report" / "access-matrix.md").read_text()


def test_consumer_allowed_to_approve_fails_the_report_naming_the_cell(tmp_path, capsys):
    policies = _policies(tmp_path)
    # Both halves weakened: the group policy's consumer statement and prod's identity policy.
    _edit(policies, "shared-services/policies/model-package-group-credit-risk.json", "ConsumersDescribeVersions",
          ["sagemaker:UpdateModelPackage"])
    _edit(policies, "prod/policies/iam-role-SageMakerExecutionRole.json", "DescribeVersions",
          ["sagemaker:UpdateModelPackage"])
    code, err, md = _report(tmp_path, policies, capsys)
    assert code == 1
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert len(lines) == 1, err  # test's identity policy still refuses: only prod gains it
    assert lines[0].startswith("EXTRA prod / SageMakerExecutionRole (arn:aws:iam::555555555555:role/SageMakerExecutionRole) "
                               "can approve on model group credit-risk")
    assert "model-package-group-credit-risk.json ConsumersDescribeVersions" in lines[0]
    assert "1 difference between" in err.splitlines()[0]
    assert "**extra: approve**" in md  # the written report shows it too


def test_bucket_policy_letting_prod_write_fails_the_report(tmp_path, capsys):
    policies = _policies(tmp_path)
    _edit(policies, "shared-services/policies/s3-bucket-policy.json", "CreditRiskConsumersArtifactsRead", ["s3:PutObject"])
    _edit(policies, "prod/policies/iam-role-SageMakerExecutionRole.json", "ArtifactsRead", ["s3:PutObject"])
    code, err, _ = _report(tmp_path, policies, capsys)
    assert code == 1
    assert "EXTRA prod / SageMakerExecutionRole" in err and "can write on model group credit-risk" in err
    # test is named in the same bucket statement, but its identity policy does not allow PutObject
    assert "EXTRA test /" not in err


def test_registering_as_approved_counts_as_approve(tmp_path, capsys):
    """Self-approval by registering a version as Approved is shown as approve."""
    policies = _policies(tmp_path)
    for path, sid in (("data-science/policies/iam-role-SageMakerExecutionRole.json", "DenyApproval"),
                      ("shared-services/policies/model-package-group-churn-predictor.json", "DevelopersDenyApproval")):
        doc = json.loads((policies / path).read_text())
        doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != sid]
        if "churn" in path:
            stmt = next(s for s in doc["Statement"] if s["Sid"] == "DevelopersRegisterPendingVersions")
            stmt["Condition"]["StringEquals"]["sagemaker:ModelApprovalStatus"] = ["PendingManualApproval", "Approved"]
        else:
            stmt = next(s for s in doc["Statement"] if s["Sid"] == "RegisterPendingVersions")
            stmt["Condition"] = {"StringEquals": {"sagemaker:ModelApprovalStatus": ["PendingManualApproval", "Approved"]}}
        (policies / path).write_text(json.dumps(doc))
    code, err, _ = _report(tmp_path, policies, capsys)
    assert code == 1
    assert "can approve on model group churn-predictor" in err
    assert "credit-risk" not in err  # the credit-risk group policy still denies it


def test_one_weakened_half_is_not_enough(tmp_path, capsys):
    """Cross-account access needs both halves: loosening only the group
    policy grants nothing, and the report says so by passing."""
    policies = _policies(tmp_path)
    _edit(policies, "shared-services/policies/model-package-group-credit-risk.json", "ConsumersDescribeVersions",
          ["sagemaker:UpdateModelPackage"])
    code, err, _ = _report(tmp_path, policies, capsys)
    assert code == 0, err


def test_removed_key_statement_is_reported_missing(tmp_path, capsys):
    policies = _policies(tmp_path)
    path = policies / "shared-services/policies/kms-key-policy.json"
    doc = json.loads(path.read_text())
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "ConsumersDecryptArtifacts"]
    path.write_text(json.dumps(doc))
    code, err, _ = _report(tmp_path, policies, capsys)
    assert code == 1
    missing = sorted(line.strip().split(" (")[0] for line in err.splitlines()[1:])
    # test: 2 groups + key; prod: credit-risk + key
    assert missing == ["MISSING prod / SageMakerExecutionRole"] * 2 + ["MISSING test / SageMakerExecutionRole"] * 3
    assert "no resource-policy statement allows it" in err


def test_report_cli_writes_both_files_and_exits_0_for_the_example(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["report", "--config", str(EXAMPLE), "--policies", str(ROOT / "terraform" / "accounts"),
                 "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["access-matrix.html", "access-matrix.md"]
    assert "2 written" in capsys.readouterr().out
    assert main(["report", "--config", str(EXAMPLE), "--policies", str(ROOT / "terraform" / "accounts"),
                 "--out", str(out)]) == 0
    assert "0 written, 2 unchanged" in capsys.readouterr().out


def test_report_without_rendered_policies_is_bad_input(tmp_path, capsys):
    code = main(["report", "--config", str(EXAMPLE), "--policies", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: cannot read the rendered policies") and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


def test_report_with_bad_config_is_bad_input(tmp_path, capsys):
    bad = tmp_path / "accounts.yaml"
    bad.write_text(GOOD.replace("kind: governance", "kind: auditor"))
    code = main(["report", "--config", str(bad), "--policies", str(ROOT / "terraform" / "accounts"),
                 "--out", str(tmp_path / "r")])
    assert code == 2 and "accounts.governance.kind" in capsys.readouterr().err
