"""Inference images: ECR repositories, who can push and who can pull.

Config: tests/fixtures/ecr.yaml. ``fraud-serving`` serves the fraud group
(developer fraud-science, consumer prod); ``ml/shared-base`` serves fraud
and churn (churn: developer data-science, consumer test). The deployment
account deploys both groups (default deployers). Negative cases first.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from generator import limits, render
from generator.access import ECR_PULL_ACTIONS, ECR_PUSH_ACTIONS
from generator.cli import main
from generator.config import config_from_text, load_config
from generator.errors import ConfigError

from .kindkit import rendered_files
from .conftest import World

FIXTURE = Path(__file__).parent / "fixtures" / "ecr.yaml"
TEXT = FIXTURE.read_text()
ORG = "o-a1b2c3d4e5"

REG = "111111111111"
FRAUD_REPO = f"arn:aws:ecr:us-east-1:{REG}:repository/fraud-serving"
BASE_REPO = f"arn:aws:ecr:us-east-1:{REG}:repository/ml/shared-base"
OTHER_REPO = f"arn:aws:ecr:us-east-1:{REG}:repository/not-in-config"

FRAUD_DEV = "arn:aws:iam::777777777777:role/FraudScientist"
CHURN_DEV = "arn:aws:iam::222222222222:role/SageMakerExecutionRole"
DEPLOY = "arn:aws:iam::333333333333:role/ModelDeployPipelineRole"
TEST = "arn:aws:iam::444444444444:role/SageMakerExecutionRole"
PROD = "arn:aws:iam::555555555555:role/SageMakerExecutionRole"
GOV = "arn:aws:iam::666666666666:role/ModelApproverRole"
OUTSIDER = "arn:aws:iam::999999999999:role/SageMakerExecutionRole"

PUSH = "ecr:PutImage"
LAYER_PUSH = ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload")
PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
ADMIN = ("ecr:DeleteRepository", "ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy", "ecr:BatchDeleteImage",
         "ecr:PutLifecyclePolicy", "ecr:PutImageTagMutability", "ecr:TagResource")

CASES = [
    # --- negative first: another group's developer, consumers pushing, outsiders, admin
    ("churn developer cannot push to fraud-serving", CHURN_DEV, PUSH, FRAUD_REPO, False),
    ("churn developer cannot upload layers to fraud-serving", CHURN_DEV, "ecr:InitiateLayerUpload", FRAUD_REPO, False),
    ("fraud developer cannot push to an unlisted repository", FRAUD_DEV, PUSH, OTHER_REPO, False),
    ("prod (consumer) cannot push", PROD, PUSH, FRAUD_REPO, False),
    *[(f"prod (consumer) cannot {a}", PROD, a, FRAUD_REPO, False) for a in LAYER_PUSH],
    ("test (consumer) cannot push to the shared base", TEST, PUSH, BASE_REPO, False),
    ("deployer cannot push", DEPLOY, PUSH, BASE_REPO, False),
    ("test cannot pull fraud-serving (not a fraud consumer)", TEST, "ecr:GetDownloadUrlForLayer", FRAUD_REPO, False),
    ("test cannot pull fraud-serving manifests", TEST, "ecr:BatchGetImage", FRAUD_REPO, False),
    ("approver cannot pull", GOV, "ecr:BatchGetImage", BASE_REPO, False),
    ("approver cannot push", GOV, PUSH, BASE_REPO, False),
    ("outsider cannot pull", OUTSIDER, "ecr:BatchGetImage", BASE_REPO, False),
    ("outsider cannot push", OUTSIDER, PUSH, BASE_REPO, False),
    ("developers push but do not download layers", FRAUD_DEV, "ecr:GetDownloadUrlForLayer", FRAUD_REPO, False),
    *[(f"fraud developer cannot {a}", FRAUD_DEV, a, FRAUD_REPO, False) for a in ADMIN],
    *[(f"deployer cannot {a}", DEPLOY, a, BASE_REPO, False) for a in ADMIN],
    ("approver gets no ECR token", GOV, "ecr:GetAuthorizationToken", "*", False),
    # --- positive
    ("fraud developer pushes fraud-serving", FRAUD_DEV, PUSH, FRAUD_REPO, True),
    *[(f"fraud developer {a} on fraud-serving", FRAUD_DEV, a, FRAUD_REPO, True) for a in LAYER_PUSH],
    ("fraud developer checks layers", FRAUD_DEV, "ecr:BatchCheckLayerAvailability", FRAUD_REPO, True),
    ("fraud developer pushes the shared base", FRAUD_DEV, PUSH, BASE_REPO, True),
    ("churn developer pushes the shared base", CHURN_DEV, PUSH, BASE_REPO, True),
    *[(f"prod pulls fraud-serving: {a}", PROD, a, FRAUD_REPO, True) for a in PULL],
    *[(f"test pulls the shared base: {a}", TEST, a, BASE_REPO, True) for a in PULL],
    *[(f"deployer pulls fraud-serving: {a}", DEPLOY, a, FRAUD_REPO, True) for a in PULL],
    ("fraud developer gets an ECR token", FRAUD_DEV, "ecr:GetAuthorizationToken", "*", True),
    ("prod gets an ECR token", PROD, "ecr:GetAuthorizationToken", "*", True),
    ("deployer gets an ECR token", DEPLOY, "ecr:GetAuthorizationToken", "*", True),
]
REPOSITORY_CASES = [c for c in CASES if c[3] != "*"]


def _render(text: str, compact: bool = False) -> dict[str, str]:
    return rendered_files(text, compact)


@pytest.fixture(scope="module", params=["explicit", "compact"])
def world(request) -> World:
    """Both forms the generator may choose: explicit principals and
    per-repository identity ARNs, or (large organizations) compact
    principals and registry-wide identity policies. Both must grant the same."""
    files = _render(TEXT, compact=request.param == "compact")
    if request.param == "compact":
        assert '"aws:PrincipalAccount"' in "".join(files.values()) and "registry-wide" in files["manifest.json"]
    return World(files)


@pytest.mark.parametrize("who,action,resource,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_who_can_push_and_pull(world, who, action, resource, expected):
    decision = world.decide(who, action, resource, org=ORG)
    assert decision.allowed is expected, decision.reason


ALLOWED = [c for c in REPOSITORY_CASES if c[-1]]


@pytest.mark.parametrize("who,action,resource,expected", [c[1:] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_wrong_organization_gets_nothing(world, who, action, resource, expected):
    assert not world.decide(who, action, resource, org="o-zzzzzzzzzz").allowed
    assert not world.decide(who, action, resource, org=None).allowed


@pytest.mark.parametrize("who,action,resource,expected", [c[1:] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_every_push_and_pull_needs_both_halves(world, who, action, resource, expected):
    decision = world.decide(who, action, resource, org=ORG)
    assert decision.identity_allows and decision.resource_allows
    assert not world.decide(who, action, resource, identity=[], org=ORG).allowed


@pytest.mark.parametrize("who,action,resource,expected", [c[1:] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_unlisted_roles_cannot_push_or_pull_even_with_a_copied_identity_policy(world, who, action, resource, expected):
    copied = world.identity_policies(who)
    account = who.split(":")[4]
    for other in (f"arn:aws:iam::{account}:role/SomeOtherRole", who.replace(account, "888888888888")):
        assert not world.decide(other, action, resource, identity=copied, org=ORG).allowed


def test_only_pushers_and_pullers_get_the_token(world):
    """ecr:GetAuthorizationToken only takes "*": it is in exactly the
    identity policies of roles that push or pull."""
    holders = sorted(
        e["target"] for e in world.manifest
        if e["kind"] == "iam_role_policy"
        and any("ecr:GetAuthorizationToken" in s["Action"] for s in world.docs[e["path"]]["Statement"])
    )
    assert holders == sorted([FRAUD_DEV, CHURN_DEV, DEPLOY, TEST, PROD])
    for entry in world.manifest:
        for stmt in world.docs[entry["path"]].get("Statement", []):  # event rules hold no statements
            if "ecr:GetAuthorizationToken" in stmt["Action"]:
                assert stmt["Action"] == ["ecr:GetAuthorizationToken"] and stmt["Resource"] == ["*"]


def test_identity_half_names_exactly_the_repositories(world):
    """The same actions as the repository policy, on exactly those ARNs
    (or, in the registry-wide form, every repository of the registry)."""
    doc = world.docs[next(e["path"] for e in world.manifest if e["target"] == PROD)]
    pull = next(s for s in doc["Statement"] if s["Sid"] == "PullImages")
    assert pull["Action"] == sorted(ECR_PULL_ACTIONS)
    assert pull["Resource"] in ([FRAUD_REPO, BASE_REPO], [f"arn:aws:ecr:us-east-1:{REG}:repository/*"])
    doc = world.docs[next(e["path"] for e in world.manifest if e["target"] == CHURN_DEV)]
    push = next(s for s in doc["Statement"] if s["Sid"] == "PushImages")
    assert push["Action"] == sorted(ECR_PUSH_ACTIONS)
    assert push["Resource"] in ([BASE_REPO], [f"arn:aws:ecr:us-east-1:{REG}:repository/*"])


def test_repository_policies_are_what_ecr_accepts(world):
    """No Resource element (ECR rejects it), every statement an Allow for
    roles (aws:PrincipalArn) inside the organization, listed actions only."""
    entries = [e for e in world.manifest if e["kind"] == "ecr_repository_policy"]
    assert {e["target"] for e in entries} == {FRAUD_REPO, BASE_REPO}
    assert {e["repository"] for e in entries} == {"fraud-serving", "ml/shared-base"}
    for entry in entries:
        assert entry["account"] == "shared-services" and entry["account_id"] == REG
        for stmt in world.docs[entry["path"]]["Statement"]:
            assert "Resource" not in stmt and "NotResource" not in stmt
            assert stmt["Effect"] == "Allow"
            assert stmt["Condition"]["ArnLike"]["aws:PrincipalArn"]
            assert stmt["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == [ORG]
            assert set(stmt["Action"]) <= set(ECR_PUSH_ACTIONS) | set(ECR_PULL_ACTIONS)
            assert not any("*" in a for a in stmt["Action"])


def test_no_service_principal_is_rendered(world):
    """SageMaker pulls with the execution role passed to CreateModel, so
    the consumers' grant covers CreateModel (docs/ecr.md)."""
    for entry in world.manifest:
        if entry["kind"] == "ecr_repository_policy":
            assert "Service" not in json.dumps(world.docs[entry["path"]])


def test_repository_file_names_never_collide():
    text = TEXT.replace("  ml/shared-base:\n", "  ml.shared-base:\n    model_groups: [churn]\n  ml/shared-base:\n")
    paths = [p.path for p in render.build_policies(config_from_text(text)) if p.kind == "ecr_repository_policy"]
    assert len(set(paths)) == 3


def test_without_the_section_nothing_changes():
    text = TEXT.split("ecr_repositories:")[0]
    files = _render(text)
    assert not any('"ecr:' in t for t in files.values())


def test_repository_policy_over_its_limit_stops_the_render(tmp_path: Path, capsys, monkeypatch):
    """Over 10,240 characters even in the compact form: exit 2, one line naming the file."""
    monkeypatch.setitem(limits.LIMITS, "ecr_repository_policy",
                        dataclasses.replace(limits.LIMITS["ecr_repository_policy"], size=50))
    config = tmp_path / "accounts.yaml"
    config.write_text(TEXT)
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "ecr-repository-fraud-serving.json: ECR repository policy is" in err, err
    assert not (tmp_path / "out").exists()


# --- bad input ------------------------------------------------------------

def _edit(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


BAD = [
    ("uppercase name", _edit("  fraud-serving:\n", "  Fraud-Serving:\n"), "ecr_repositories.Fraud-Serving: must be an ECR repository name"),
    ("name ending in a separator", _edit("  fraud-serving:\n", "  fraud-:\n"), "ecr_repositories.fraud-: must be an ECR repository name"),
    ("leading slash", _edit("  fraud-serving:\n", "  /fraud:\n"), "ecr_repositories./fraud: must be an ECR repository name"),
    ("one character", _edit("  fraud-serving:\n", "  f:\n"), "ecr_repositories.f: an ECR repository name is 2-256 characters"),
    ("unknown group", _edit("model_groups: [fraud]\n", "model_groups: [fraud, frod]\n"),
     "ecr_repositories.fraud-serving.model_groups[1]: 'frod' is not declared under model_groups"),
    ("group listed twice", _edit("model_groups: [fraud]\n", "model_groups: [fraud, fraud]\n"),
     "ecr_repositories.fraud-serving.model_groups[1]: 'fraud' is listed twice"),
    ("duplicate repository", _edit("  ml/shared-base:\n", "  fraud-serving:\n    model_groups: [churn]\n  ml/shared-base:\n"),
     "ecr_repositories.fraud-serving: duplicate key"),
    ("no groups", _edit("model_groups: [fraud]\n", "model_groups: []\n"), "ecr_repositories.fraud-serving.model_groups:"),
    ("unknown key", _edit("model_groups: [fraud]\n", "model_groups: [fraud]\n    push: [prod]\n"),
     "ecr_repositories.fraud-serving.push: unknown key"),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_repositories_are_one_line_exit_2_nothing_written(tmp_path: Path, capsys, text, expected):
    config = tmp_path / "accounts.yaml"
    config.write_text(text)
    out = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {config}:"), err
    assert expected in err, err
    assert not out.exists()


def test_repository_that_grants_nothing_is_refused():
    text = _edit("  fraud:\n    developers: [fraud-science]\n    consumers: [prod]\n",
                 "  fraud:\n    approvers: [governance]\n    deployers: []\n")
    with pytest.raises(ConfigError) as error:
        config_from_text(text)
    assert error.value.key == "ecr_repositories.fraud-serving.model_groups"
    assert "no account would push or pull" in error.value.message


def test_fixture_loads():
    assert set(load_config(FIXTURE).ecr_repositories) == {"fraud-serving", "ml/shared-base"}


# --- Terraform ------------------------------------------------------------

def test_terraform_creates_locked_down_repositories_and_sets_each_rendered_policy(tmp_path: Path):
    """aws_ecr_repository: immutable tags, scan on push, KMS with the
    artifact key; aws_ecr_repository_policy from the rendered file of each
    repository, read with file() (Python owns the statements)."""
    from .terraform_helpers import MODULES, file_refs, parse_dir, single, write_tree

    module = parse_dir(MODULES / "model-registry")
    resources = {(t, n): body for block in module["resource"] for t, named in block.items() for n, body in named.items()}
    repo = resources[("aws_ecr_repository", "images")]
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert single_block(repo["image_scanning_configuration"])["scan_on_push"] is True
    encryption = single_block(repo["encryption_configuration"])
    assert encryption["encryption_type"] == "KMS" and "aws_kms_key.artifacts.arn" in encryption["kms_key"]
    assert "force_delete" not in repo  # default false: a repository with images is never deleted by a plan
    policy = resources[("aws_ecr_repository_policy", "images")]
    assert "each.value.repository_policy_json" in policy["policy"]

    accounts = write_tree(tmp_path, render.render(config_from_text(TEXT)))
    root = parse_dir(accounts / "shared-services")
    _, call = single([b for b in root["module"] if "model_registry" in b])  # beside registry_events
    refs = dict(file_refs(call["ecr_repositories"]))
    assert refs == {
        "fraud-serving.repository_policy_json": "policies/ecr-repository-fraud-serving.json",
        "ml/shared-base.repository_policy_json": "policies/ecr-repository-ml+shared-base.json",
    }
    for relative in refs.values():
        assert (accounts / "shared-services" / relative).is_file()


def single_block(value):
    return value[0] if isinstance(value, list) else value


# --- the access matrix ------------------------------------------------------

def _matrix(files: dict[str, str]):
    from generator.analysis.policyset import PolicySet
    from generator.report.matrix import evaluate

    return evaluate(config_from_text(TEXT), PolicySet(files))


def _granted(matrix, account: str, role: str, column: str) -> set[str]:
    principal = next(p for p in matrix.principals if p.account == account and p.role == role)
    return {c.capability for c in matrix.row(principal, column) if c.granted}


def test_matrix_shows_push_and_pull_per_repository():
    matrix = _matrix(_render(TEXT))
    assert matrix.differences == []
    assert "ECR fraud-serving" in matrix.columns and "ECR ml/shared-base" in matrix.columns
    assert _granted(matrix, "fraud-science", "FraudScientist", "ECR fraud-serving") == {"push"}
    assert _granted(matrix, "data-science", "SageMakerExecutionRole", "ECR fraud-serving") == set()
    assert _granted(matrix, "data-science", "SageMakerExecutionRole", "ECR ml/shared-base") == {"push"}
    assert _granted(matrix, "prod", "SageMakerExecutionRole", "ECR fraud-serving") == {"pull"}
    assert _granted(matrix, "test", "SageMakerExecutionRole", "ECR fraud-serving") == set()
    assert _granted(matrix, "deployment", "ModelDeployPipelineRole", "ECR ml/shared-base") == {"pull"}
    assert _granted(matrix, "governance", "ModelApproverRole", "ECR ml/shared-base") == set()
    assert _granted(matrix, "governance", "any other role", "ECR ml/shared-base") == set()


def test_matrix_reports_a_consumer_that_can_push():
    """A hand edit that lets consumers push shows up as an EXTRA push cell."""
    files = _render(TEXT)
    path = "shared-services/policies/ecr-repository-fraud-serving.json"
    doc = json.loads(files[path])
    next(s for s in doc["Statement"] if s["Sid"] == "ConsumersPullImages")["Action"].append("ecr:PutImage")
    files[path] = json.dumps(doc)
    prod = "arn:aws:iam::555555555555:role/SageMakerExecutionRole"
    path = next(p for p in files if p.startswith("prod/policies/"))
    doc = json.loads(files[path])
    next(s for s in doc["Statement"] if s["Sid"] == "PullImages")["Action"].append("ecr:PutImage")
    files[path] = json.dumps(doc)
    extra = [c for c in _matrix(files).differences if c.difference == "extra"]
    assert [(c.principal.arn, c.column, c.capability) for c in extra] == [(prod, "ECR fraud-serving", "push")]


def test_explain_answers_a_push_question(tmp_path: Path, capsys):
    out = tmp_path / "out"
    config = tmp_path / "accounts.yaml"
    config.write_text(TEXT)
    assert main(["render", "--config", str(config), "--out", str(out)]) == 0
    capsys.readouterr()
    code = main(["explain", "--config", str(config), "--policies", str(out), "--principal", PROD,
                 "--action", "ecr:PutImage", "--resource", FRAUD_REPO])
    text = capsys.readouterr().out
    assert code != 0 or "DENY" in text
    assert text.startswith("DENY: ecr:PutImage on " + FRAUD_REPO), text
    assert "ecr-repository-fraud-serving.json: no statement applies" in text, text


# --- end to end on the local AWS server (moto over HTTP, tests/localaws.py) --

def test_rendered_repository_policies_set_and_read_back_on_the_local_server():
    """Create each repository as Terraform does (immutable tags, scan on
    push, KMS), set the rendered policy file as written, read it back: the
    repository ARN is the manifest's target and the stored policy is the
    rendered document."""
    import boto3

    from .localaws import LocalAws

    policies = render.build_policies(config_from_text(TEXT))
    repositories = [p for p in policies if p.kind == "ecr_repository_policy"]
    assert len(repositories) == 2
    with LocalAws() as aws:
        session = dict(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing",
                       endpoint_url=aws.endpoint_url)
        sts = boto3.client("sts", **session)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{REG}:role/OrganizationAccountAccessRole",
                                RoleSessionName="ecr-test")["Credentials"]
        ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=aws.endpoint_url,
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
        for policy in repositories:
            name = policy.extra["repository"]
            created = ecr.create_repository(
                repositoryName=name, imageTagMutability="IMMUTABLE",
                imageScanningConfiguration={"scanOnPush": True}, encryptionConfiguration={"encryptionType": "KMS"},
            )["repository"]
            assert created["repositoryArn"] == policy.target
            assert created["registryId"] == REG == policy.account_id
            assert created["imageTagMutability"] == "IMMUTABLE"
            assert created["imageScanningConfiguration"] == {"scanOnPush": True}
            ecr.set_repository_policy(repositoryName=name, policyText=policy.text)
            stored = ecr.get_repository_policy(repositoryName=name)
            assert stored["repositoryName"] == name and stored["registryId"] == REG
            assert json.loads(stored["policyText"]) == json.loads(policy.text)
        listed = {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}
        assert listed == {"fraud-serving", "ml/shared-base"}


def test_repository_policies_render_the_same_in_worker_processes(monkeypatch):
    """Large configs build group and repository policies in forked workers:
    the same files as the serial loop."""
    serial = _render(TEXT)
    monkeypatch.setattr(render, "PARALLEL_FROM_GROUPS", 1)
    assert _render(TEXT) == serial
