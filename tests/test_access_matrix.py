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
from generator.analysis.policyset import PolicySet
from generator.render import render

from tools import golden

from .conftest import EXAMPLE, EXAMPLE_OUT, EXAMPLE_REPORT

COMMITTED_REPORT = EXAMPLE_REPORT
GOOD = EXAMPLE.read_text()
KEY = "artifact key"
NONE: dict[str, set[str]] = {"churn-predictor": set(), "credit-risk": set(), KEY: set()}
DEV = {"register", "write", "read", "decrypt", "metadata"}
READER = {"read", "decrypt", "metadata"}

# (account, role as shown) -> column -> capabilities granted. Every row of the
# example, including the sentinels that prove unlisted principals get nothing.
REPO = "ECR credit-risk-serving"  # credit-risk's inference images: its developers push, its readers pull
NONE[REPO] = set()
EXPECTED = {
    ("data-science", "SageMakerExecutionRole"): {"churn-predictor": DEV, "credit-risk": DEV, REPO: {"push"},
                                                 KEY: {"encrypt", "decrypt", "metadata"}},
    ("data-science", "any other role"): NONE,
    ("deployment", "ModelDeployPipelineRole"): {"churn-predictor": READER, "credit-risk": READER, REPO: {"pull"},
                                                KEY: {"decrypt", "metadata"}},
    ("deployment", "any other role"): NONE,
    ("governance", "ModelApproverRole"): {"churn-predictor": {"approve", "metadata"}, "credit-risk": {"approve", "metadata"},
                                            REPO: set(), KEY: set()},
    ("governance", "any other role"): NONE,
    # prod consumes credit-risk only
    ("prod", "SageMakerExecutionRole"): {"churn-predictor": set(), "credit-risk": READER, REPO: {"pull"},
                                         KEY: {"decrypt", "metadata"}},
    ("prod", "any other role"): NONE,
    # deploy_role: each workload account's deploy role deploys the groups it consumes, and nothing else
    ("prod", "ModelDeployRole"): {"churn-predictor": set(), "credit-risk": {"deploy", "metadata"}, REPO: set(),
                                  KEY: set()},
    ("test", "ModelDeployRole"): {"churn-predictor": {"deploy", "metadata"}, "credit-risk": {"deploy", "metadata"},
                                  REPO: set(), KEY: set()},
    ("shared-services", "any other role"): NONE,
    ("test", "SageMakerExecutionRole"): {"churn-predictor": READER, "credit-risk": READER, REPO: {"pull"},
                                         KEY: {"decrypt", "metadata"}},
    ("test", "any other role"): NONE,
    ("(not in accounts.yaml)", "SageMakerExecutionRole"): NONE,
}


def granted(matrix) -> dict:
    return {
        (p.account, p.role): {col: {c.capability for c in matrix.row(p, col) if c.granted} for col in matrix.columns}
        for p in matrix.principals
    }


AP_TEXT = GOOD.replace("  kms_key_alias: alias/ml-model-artifacts\n",
                       "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n")


@pytest.fixture(scope="module")
def example_matrix(example_config, example_files):
    return report.evaluate(example_config, PolicySet(example_files))


@pytest.fixture(scope="module")
def ap_matrix():
    config = config_from_text(AP_TEXT)
    return report.evaluate(config, PolicySet(render(config)))


def test_example_matrix_matches_the_expected_cells(example_matrix):
    assert granted(example_matrix) == EXPECTED
    assert example_matrix.differences == []


def test_access_point_layout_gives_the_same_matrix(ap_matrix):
    """s3_layout: access_points: artifacts are evaluated through each group's
    access point (access point policy + bucket delegation + identity), as S3
    does; the matrix is the example's, with no false MISSING cells."""
    assert ap_matrix.s3_layout == "access_points"
    assert granted(ap_matrix) == EXPECTED
    assert ap_matrix.differences == []
    prod = next(p for p in ap_matrix.principals if p.label == "prod / SageMakerExecutionRole")
    why = ap_matrix.cells[(prod, "credit-risk", "read")].why()
    assert "s3-access-point-credit-risk.json ConsumersArtifactsRead" in why
    assert "s3-bucket-policy.json DelegateObjectsToRegistryAccessPoints" in why


def test_access_point_layout_also_asks_the_bucket_path(ap_matrix):
    """Both S3 paths are asked: the group's access point, then the bucket."""
    prod = next(p for p in ap_matrix.principals if p.label == "prod / SageMakerExecutionRole")
    resources = [way[0].probe.resource for way in ap_matrix.cells[(prod, "credit-risk", "write")].ways]
    assert resources == [
        "arn:aws:s3:us-east-1:111111111111:accesspoint/credit-risk/object/credit-risk/model.tar.gz",
        "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/model.tar.gz",
    ]


def test_rows_outside_the_rendered_set_have_unknown_identity(example_matrix):
    """'any other role' and the outside account: their IAM is not rendered,
    so it is unknown and assumed to allow (as IAM Access Analyzer judges
    external access): the registry side alone keeps them out."""
    sentinel = next(p for p in example_matrix.principals if p.label == "prod / any other role")
    assert sentinel.identity == "unknown" and "unknown" in sentinel.note
    cell = example_matrix.cells[(sentinel, "credit-risk", "read")]
    get = next(c for c in cell.checks if c.probe.action == "s3:GetObject").decision
    assert get.identity_unknown and get.identity_allows and not get.resource_allows
    outside = next(p for p in example_matrix.principals if p.account == "(not in accounts.yaml)")
    assert outside.account_id == "999999999999" and outside.identity == "unknown"
    registry = next(p for p in example_matrix.principals if p.label == "shared-services / any other role")
    assert registry.identity == "none"


def test_metadata_only_access_is_a_capability():
    """Describe- and list-only access shows as "metadata": each request alone counts."""
    from generator.report.capabilities import CAPABILITIES

    metadata = next(c for c in CAPABILITIES if c.name == "metadata" and c.scope == "group")
    assert sorted(way[0].action for way in metadata.ways) == [
        "s3:ListBucket", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup",
        "sagemaker:ListModelPackages"]


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
    """The example's report golden is refreshed by `make render`; review its diff like the policies'."""
    _, files = report.build(example_config, PolicySet(example_files), golden.label(EXAMPLE), golden.label(EXAMPLE_OUT))
    plan = writer.diff(COMMITTED_REPORT, files, patterns=report.FILES)
    assert not plan.written and not plan.removed, f"{COMMITTED_REPORT} is stale (run `make render`): {plan.written}"


def test_report_is_deterministic(example_config, example_files):
    first = report.build(example_config, PolicySet(example_files))[1]
    second = report.build(example_config, PolicySet(dict(example_files)))[1]
    assert first == second


# --- weakened policies: copies of the rendered example, edited by hand -------

def _policies(tmp_path: Path) -> Path:
    out = tmp_path / "policies"
    shutil.copytree(EXAMPLE_OUT, out)
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
    # test: 2 groups + key decrypt + key metadata (DescribeKey); prod: credit-risk + key decrypt + key metadata
    assert missing == ["MISSING prod / SageMakerExecutionRole"] * 3 + ["MISSING test / SageMakerExecutionRole"] * 4
    assert "no resource-policy statement allows it" in err


def test_report_cli_writes_both_files_and_exits_0_for_the_example(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["report", "--config", str(EXAMPLE), "--policies", str(EXAMPLE_OUT),
                 "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["access-matrix.html", "access-matrix.md"]
    assert "2 written" in capsys.readouterr().out
    assert main(["report", "--config", str(EXAMPLE), "--policies", str(EXAMPLE_OUT),
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
    code = main(["report", "--config", str(bad), "--policies", str(EXAMPLE_OUT),
                 "--out", str(tmp_path / "r")])
    assert code == 2 and "accounts.governance.kind" in capsys.readouterr().err


# --- principals accounts.yaml does not name: the registry side alone decides ---

def _add_statement(out: Path, path: str, statement: dict) -> None:
    file = out / path
    doc = json.loads(file.read_text())
    doc["Statement"].append(statement)
    file.write_text(json.dumps(doc, indent=2) + "\n")


def _narrowed(principal: str, role_pattern: str, actions: list[str], resource: str, sid: str) -> dict:
    """A statement lint would pass: an account root narrowed by aws:PrincipalArn, with the org guard."""
    return {
        "Sid": sid, "Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, "Resource": resource,
        "Condition": {"ArnLike": {"aws:PrincipalArn": [role_pattern]},
                      "StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}},
    }


def test_group_policy_granting_an_account_not_in_accounts_yaml_is_reported(tmp_path, capsys):
    """Issue 11 item 3: a group policy tampered to allow 999999999999, narrowed
    by aws:PrincipalArn and the org guard. Its identity policy is not ours to
    know, so the group policy alone decides: report exits 1 naming it."""
    policies = _policies(tmp_path)
    _add_statement(policies, "shared-services/policies/model-package-group-credit-risk.json", _narrowed(
        "arn:aws:iam::999999999999:root", "arn:aws:iam::999999999999:role/Intruder",
        ["sagemaker:UpdateModelPackage"], "arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-risk/*",
        "Tampered"))
    code, err, md = _report(tmp_path, policies, capsys)
    assert code == 1
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert len(lines) == 1, err
    assert lines[0].startswith("EXTRA (not in accounts.yaml) / Intruder (arn:aws:iam::999999999999:role/Intruder) "
                               "can approve on model group credit-risk")
    assert "model-package-group-credit-risk.json Tampered" in lines[0]
    assert "| (not in accounts.yaml) | 999999999999 | outside | Intruder | — | **extra: approve** | — |" in md


def test_unlisted_role_of_a_listed_account_is_reported_even_for_metadata_only(tmp_path, capsys):
    """A role accounts.yaml does not list, in a listed account, granted only
    DescribeModelPackageGroup: metadata access is a capability, so it shows."""
    policies = _policies(tmp_path)
    _add_statement(policies, "shared-services/policies/model-package-group-churn-predictor.json", _narrowed(
        "arn:aws:iam::555555555555:root", "arn:aws:iam::555555555555:role/Snoop*",
        ["sagemaker:DescribeModelPackageGroup"],
        "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn-predictor", "Peek"))
    code, err, _ = _report(tmp_path, policies, capsys)
    assert code == 1
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert len(lines) == 1, err
    assert lines[0].startswith("EXTRA prod / Snoop* (not in accounts.yaml) (arn:aws:iam::555555555555:role/SnoopEXAMPLE) "
                               "can see the metadata of model group churn-predictor")


def test_key_policy_granting_an_outside_account_is_reported(tmp_path, capsys):
    policies = _policies(tmp_path)
    _add_statement(policies, "shared-services/policies/kms-key-policy.json", _narrowed(
        "arn:aws:iam::777777777777:root", "arn:aws:iam::777777777777:role/*", ["kms:Decrypt"], "*", "Leak"))
    code, err, _ = _report(tmp_path, policies, capsys)
    assert code == 1
    assert "EXTRA (not in accounts.yaml) / * (arn:aws:iam::777777777777:role/EXAMPLE) can decrypt on the artifact key" in err


# --- s3_layout: access_points, through the CLI as `make render` runs it ---------

def _render_ap(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "ap.yaml"
    config.write_text(AP_TEXT)
    out = tmp_path / "ap"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 0
    return config, out


def test_report_passes_on_the_access_point_layout(tmp_path, capsys):
    config, out = _render_ap(tmp_path)
    code = main(["report", "--config", str(config), "--policies", str(out), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 0, err
    md = (tmp_path / "r" / "access-matrix.md").read_text()
    assert "through the group's access point" in md


def test_access_point_policy_letting_prod_write_is_reported(tmp_path, capsys):
    config, out = _render_ap(tmp_path)
    _edit(out, "shared-services/policies/s3-access-point-credit-risk.json", "ConsumersArtifactsRead", ["s3:PutObject"])
    _edit(out, "prod/policies/iam-role-SageMakerExecutionRole.json", "ArtifactsRead", ["s3:PutObject"])
    capsys.readouterr()
    code = main(["report", "--config", str(config), "--policies", str(out), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 1
    assert "EXTRA prod / SageMakerExecutionRole" in err and "can write on model group credit-risk" in err
    assert "s3-access-point-credit-risk.json ConsumersArtifactsRead" in err


def test_bucket_path_granted_directly_on_the_access_point_layout_is_reported(tmp_path, capsys):
    """The bucket path is asked too: a bucket policy letting an outside role
    write directly shows, though no grant of ours uses that path."""
    config, out = _render_ap(tmp_path)
    _add_statement(out, "shared-services/policies/s3-bucket-policy.json", _narrowed(
        "arn:aws:iam::888888888888:root", "arn:aws:iam::888888888888:role/Writer", ["s3:PutObject"],
        "arn:aws:s3:::acme-ml-model-artifacts/*", "Direct"))
    capsys.readouterr()
    code = main(["report", "--config", str(config), "--policies", str(out), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 1
    lines = sorted(line.strip() for line in err.splitlines()[1:])
    assert len(lines) == 2, err  # both groups
    assert lines[0].startswith("EXTRA (not in accounts.yaml) / Writer (arn:aws:iam::888888888888:role/Writer) "
                               "can write on model group churn-predictor")
    assert "s3-bucket-policy.json Direct" in lines[0]


def test_the_report_builds_the_matrix_with_the_garbage_collector_paused(tmp_path, monkeypatch):
    """`report` evaluates and writes the matrix with the cyclic collector
    paused (its passes over the growing cells were about a fifth of
    evaluating a large organization) and resumes it after."""
    import gc

    from generator import report

    seen = []
    real = report.build

    def noting(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "build", noting)
    assert gc.isenabled()
    assert main(["report", "--config", str(EXAMPLE), "--policies", str(EXAMPLE_OUT),
                 "--out", str(tmp_path / "r")]) == 0
    assert seen == [False] and gc.isenabled()
