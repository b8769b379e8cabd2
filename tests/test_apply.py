"""apply over the wire: the real CLI and real boto3 against a local AWS.

The local AWS is moto's server with the policy-call extension and fault
injection of tests/localaws.py (moto lacks Put/Get/DeleteModelPackageGroupPolicy).
Writes are counted at the server, never inside our code.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from .localaws import LocalAws
from moto.sagemaker.models import sagemaker_backends

from generator.cli import main
from generator.config import load_config
from generator.render import build_policies

ROOT = Path(__file__).resolve().parent.parent
from tests.conftest import EXAMPLE, popen_with_ctrl_c, with_apply, with_terraform  # noqa: E402  (the fixture, never the user's file)
REGISTRY = "111111111111"
REGION = "us-east-1"
BASE_ACCOUNT = "123456789012"  # moto's account for unknown access keys
GROUPS = ("churn-predictor", "credit-risk")


@pytest.fixture(scope="module")
def server():
    with LocalAws() as aws:
        yield aws


@pytest.fixture
def aws(server, monkeypatch, tmp_path):
    server.reset()
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in offline_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    return server


def offline_env(tmp_path: Path) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "test-access-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture
def config_with_tags(tmp_path) -> Path:
    text = EXAMPLE.read_text().replace(
        "    description: Credit risk scoring model\n",
        "    description: Credit risk scoring model\n    tags: {team: risk, cost-center: \"4711\"}\n",
    )
    path = tmp_path / "accounts.yaml"
    path.write_text(text)
    return path


def apply(aws: LocalAws, capsys, *args: str, config: Path = EXAMPLE, backups: Path | None = None):
    argv = ["apply", "--config", str(config), "--endpoint-url", aws.endpoint_url, "--max-attempts", "3"]
    if backups is not None:
        argv += ["--backup-dir", str(backups)]
    code = main([*argv, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rendered(config: Path = EXAMPLE) -> dict[str, str]:
    """Group name -> the exact text `make render` writes for it."""
    return {p.extra["model_group"]: p.text for p in build_policies(load_config(config))
            if p.kind == "model_package_group_policy"}


def sent(text: str) -> str:
    """The string apply puts for a rendered text: its document minified (plan.wire)."""
    return json.dumps(json.loads(text), separators=(",", ":"))


def registry_client(endpoint_url: str):
    """SageMaker in the registry account, through a real STS AssumeRole at the server."""
    creds = boto3.client("sts", endpoint_url=endpoint_url, region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{REGISTRY}:role/TestSetup", RoleSessionName="test-setup"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=REGION,
    ).client("sagemaker", endpoint_url=endpoint_url)


def drifted(text: str) -> str:
    """A hand edit: one statement dropped, a broad one added (lint refuses
    to restore this one: see tests/test_hostile_apply.py)."""
    doc = json.loads(text)
    doc["Statement"] = doc["Statement"][1:] + [{
        "Sid": "LegacyFullAccess", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
        "Action": "sagemaker:*", "Resource": f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/credit-risk/*",
    }]
    return json.dumps(doc)


def seed(aws: LocalAws, group: str, policy: str | None) -> None:
    sagemaker = registry_client(aws.endpoint_url)
    sagemaker.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="pre-existing")
    if policy is not None:
        sagemaker.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=policy)
    aws.api.calls.clear()  # count only what apply does


def writes(aws: LocalAws) -> list[tuple[str, str | None, int]]:
    return [(c.operation, c.group, c.status) for c in aws.api.writes()]


def stored(aws: LocalAws, group: str) -> str | None:
    return aws.api.policy(REGISTRY, REGION, group)


# --- idempotency -----------------------------------------------------------------
def test_first_run_creates_groups_with_description_and_tags_and_puts_the_rendered_text(aws, capsys, tmp_path,
                                                                                        config_with_tags):
    code, out, err = apply(aws, capsys, config=config_with_tags, backups=tmp_path / "b")
    assert code == 0, err
    assert sorted(writes(aws)) == sorted([
        ("CreateModelPackageGroup", "churn-predictor", 200), ("PutModelPackageGroupPolicy", "churn-predictor", 200),
        ("CreateModelPackageGroup", "credit-risk", 200), ("PutModelPackageGroupPolicy", "credit-risk", 200),
    ])
    # what AWS holds is the reviewed file's document, minified as Terraform's provider sends it too
    for group, text in rendered(config_with_tags).items():
        assert stored(aws, group) == json.dumps(json.loads(text), separators=(",", ":"))
    group = sagemaker_backends[REGISTRY][REGION].model_package_groups["credit-risk"]
    assert group.model_package_group_description == "Credit risk scoring model"
    tags = registry_client(aws.endpoint_url).list_tags(ResourceArn=group.arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("cost-center", "4711"), ("team", "risk")]
    assert "created  churn-predictor" in out and "created  credit-risk" in out


def test_second_run_makes_no_write_call(aws, capsys, tmp_path):
    assert apply(aws, capsys, backups=tmp_path / "b")[0] == 0
    aws.api.calls.clear()
    code, out, _ = apply(aws, capsys, backups=tmp_path / "b")
    assert code == 0
    assert writes(aws) == []
    assert set(aws.api.operations()) == {"DescribeModelPackageGroup", "GetModelPackageGroupPolicy"}
    assert "result: 2 unchanged" in out
    assert len(list((tmp_path / "b").iterdir())) == 2  # one per change of the first run; none from the second


def test_equivalent_policy_in_aws_is_left_alone(aws, capsys, tmp_path):
    """Reordered statements and lists, single strings for one-element lists: no put."""
    doc = json.loads(rendered()["credit-risk"])
    doc["Statement"].reverse()
    for statement in doc["Statement"]:
        statement["Action"] = statement["Action"][0] if len(statement["Action"]) == 1 else statement["Action"][::-1]
        statement["Principal"]["AWS"] = statement["Principal"]["AWS"][::-1]
    equivalent = json.dumps(doc, separators=(",", ":"))
    seed(aws, "credit-risk", equivalent)
    code, out, _ = apply(aws, capsys, "--group", "credit-risk", backups=tmp_path / "b")
    assert code == 0
    assert writes(aws) == []
    assert stored(aws, "credit-risk") == equivalent
    assert "unchanged  credit-risk" in out


# --- dry-run and check --------------------------------------------------------------
def test_dry_run_shows_the_diff_and_writes_nothing(aws, capsys, tmp_path):
    seed(aws, "credit-risk", drifted(rendered()["credit-risk"]))
    before = stored(aws, "credit-risk")
    code, out, _ = apply(aws, capsys, "--dry-run", backups=tmp_path / "b")
    assert code == 0
    assert writes(aws) == []
    assert stored(aws, "credit-risk") == before
    assert not (tmp_path / "b").exists()
    assert "would create  churn-predictor" in out and "would update  credit-risk" in out
    assert "    - LegacyFullAccess (Allow sagemaker:*)" in out
    assert "    + DevelopersDescribeGroup (Allow sagemaker:DescribeModelPackageGroup)" in out
    assert '-      "Sid": "LegacyFullAccess",' in out  # the unified diff of the normal forms


def test_check_exit_codes(aws, capsys, tmp_path):
    code, out, _ = apply(aws, capsys, "--check")
    assert code == 1 and "missing  churn-predictor" in out
    assert apply(aws, capsys, backups=tmp_path / "b")[0] == 0
    aws.api.calls.clear()
    code, out, _ = apply(aws, capsys, "--check")
    assert code == 0 and "result: 2 in sync" in out
    registry_client(aws.endpoint_url).put_model_package_group_policy(
        ModelPackageGroupName="credit-risk", ResourcePolicy=drifted(rendered()["credit-risk"]))
    aws.api.calls.clear()
    code, out, _ = apply(aws, capsys, "--check")
    assert code == 1
    assert "drift    credit-risk" in out and "in sync  churn-predictor" in out
    assert writes(aws) == []


def test_group_without_policy_counts_as_drift_and_gets_one(aws, capsys, tmp_path):
    seed(aws, "credit-risk", None)
    assert apply(aws, capsys, "--check", "--group", "credit-risk")[0] == 1
    code, out, _ = apply(aws, capsys, "--group", "credit-risk", backups=tmp_path / "b")
    assert code == 0 and "updated  credit-risk" in out
    assert writes(aws) == [("PutModelPackageGroupPolicy", "credit-risk", 200)]  # no create: it existed


# --- faults ------------------------------------------------------------------
def test_throttling_is_retried_to_success(aws, capsys, tmp_path):
    aws.api.inject("throttle", "PutModelPackageGroupPolicy", group="credit-risk", times=2)
    code, out, err = apply(aws, capsys, backups=tmp_path / "b")
    assert code == 0, err
    puts = [w for w in writes(aws) if w[:2] == ("PutModelPackageGroupPolicy", "credit-risk")]
    assert [status for _, _, status in puts] == [400, 400, 200]
    assert stored(aws, "credit-risk") == sent(rendered()["credit-risk"])


def test_throttling_beyond_max_attempts_fails_only_that_group(aws, capsys, tmp_path):
    aws.api.inject("throttle", "PutModelPackageGroupPolicy", group="credit-risk")
    code, out, err = apply(aws, capsys, "--max-attempts", "2", backups=tmp_path / "b")
    assert code == 1
    assert err.strip().splitlines() == [
        "error: credit-risk: PutModelPackageGroupPolicy still throttled after 2 attempts; re-run later or raise "
        "--max-attempts (the group was created without a policy (no cross-account access) until a re-run puts it)"
    ]
    assert [s for o, g, s in writes(aws) if (o, g) == ("PutModelPackageGroupPolicy", "credit-risk")] == [400, 400]
    assert "created  churn-predictor" in out and "failed   credit-risk" in out


def test_access_denied_on_one_group_while_the_others_succeed(aws, capsys, tmp_path):
    aws.api.inject("deny", "PutModelPackageGroupPolicy", group="churn-predictor")
    code, out, err = apply(aws, capsys, backups=tmp_path / "b")
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("error: churn-predictor: access denied on PutModelPackageGroupPolicy for "
                           f"arn:aws:sts::{REGISTRY}:assumed-role/ModelRegistryPolicyApplier/")
    assert "allow sagemaker:PutModelPackageGroupPolicy" in line
    assert line.endswith("(the group was created without a policy (no cross-account access) until a re-run puts it)")
    assert stored(aws, "churn-predictor") is None
    assert stored(aws, "credit-risk") == sent(rendered()["credit-risk"])
    summary = out[out.index("summary"):].splitlines()
    assert summary[1:] == ["  failed   churn-predictor", "  created  credit-risk",
                           "result: 1 failed, 1 created"]


def test_network_error_on_one_group_while_the_others_succeed(aws, capsys, tmp_path):
    aws.api.inject("drop", "GetModelPackageGroupPolicy", group="churn-predictor")
    seed(aws, "churn-predictor", None)
    code, out, err = apply(aws, capsys, "--max-attempts", "2", backups=tmp_path / "b")
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("error: churn-predictor: network error on GetModelPackageGroupPolicy at "
                           f"{aws.endpoint_url} after 2 attempts: Connection was closed")
    assert line.endswith("nothing was changed: re-run when the endpoint is reachable")
    assert [o for o, g, s in writes(aws) if g == "churn-predictor"] == []
    assert stored(aws, "credit-risk") == sent(rendered()["credit-risk"])


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Cannot find Model Package Group: {arn}",
         "error: credit-risk: PutModelPackageGroupPolicy: the group does not exist (deleted while apply ran?); "
         "re-run apply to create it"),
        ("Invalid principal in policy",
         "error: credit-risk: SageMaker rejected PutModelPackageGroupPolicy: Invalid principal in policy"),
    ],
)
def test_validation_exceptions_are_one_line_naming_the_group(aws, capsys, tmp_path, message, expected):
    seed(aws, "credit-risk", drifted(rendered()["credit-risk"]))
    aws.api.inject("error", "PutModelPackageGroupPolicy", group="credit-risk", code="ValidationException",
                   message=message)
    code, out, err = apply(aws, capsys, backups=tmp_path / "b")
    assert code == 1
    [line] = err.strip().splitlines()
    assert line == f"{expected} (backup of the previous state: {_only_backup(tmp_path / 'b', 'credit-risk')})"
    assert stored(aws, "churn-predictor") == sent(rendered()["churn-predictor"])


def test_policy_over_the_size_limit_is_refused_before_anything_is_sent(aws, capsys, tmp_path):
    config = tmp_path / "big.yaml"
    config.write_text(_big_config())
    code, out, err = apply(aws, capsys, config=config, backups=tmp_path / "b")
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("error: huge: refusing to send reg/policies/model-package-group-huge.json: "
                           "policy is ")
    assert "over the SageMaker model package group policy limit of 20,480" in line
    assert [(o, g) for o, g, _ in writes(aws)] == [("CreateModelPackageGroup", "small"),
                                                   ("PutModelPackageGroupPolicy", "small")]
    assert "huge" not in {c.group for c in aws.api.calls}  # not even read
    assert not list((tmp_path / "b").glob("*-huge.json"))


def _big_config() -> str:
    """A group whose policy renders over 20,480 characters even in the compact
    principal form (every account lists different roles), next to a small one."""
    lines = [
        "region: us-east-1",
        "registry: {account: reg, artifact_bucket: acme-ml-artifacts, kms_key_alias: alias/ml}",
        "accounts:",
        '  reg: {id: "111111111111", kind: registry}',
        '  dev: {id: "222222222222", kind: development, roles: [Trainer]}',
    ]
    for n in range(60):
        roles = ", ".join(f"EndpointExecutionRoleForTeam{r:02d}Of{n:02d}" for r in range(6))
        lines.append(f'  w{n:02d}: {{id: "3{n:011d}", kind: workload, stage: s{n:02d}, roles: [{roles}]}}')
    workloads = ", ".join(f"w{n:02d}" for n in range(60))
    lines += ["model_groups:", f"  huge: {{developers: [dev], consumers: [{workloads}]}}",
              "  small: {developers: [dev]}", "apply: {role_name: ModelRegistryPolicyApplier}"]
    return "\n".join(lines) + "\n"


def _only_backup(directory: Path, group: str) -> Path:
    [path] = directory.glob(f"*-{group}.json")
    return path


# --- backups and restore ------------------------------------------------------------
def narrowed(text: str) -> str:
    """An older, narrower policy: the first statement missing (lint-clean, so restorable)."""
    doc = json.loads(text)
    doc["Statement"] = doc["Statement"][1:]
    return json.dumps(doc)


def test_backup_holds_the_exact_previous_policy_and_restore_puts_it_back(aws, capsys, tmp_path):
    old = narrowed(rendered()["credit-risk"])
    dropped = json.loads(rendered()["credit-risk"])["Statement"][0]["Sid"]
    seed(aws, "credit-risk", old)
    assert apply(aws, capsys, backups=tmp_path / "b")[0] == 0
    saved = _only_backup(tmp_path / "b", "credit-risk")
    backup = json.loads(saved.read_text())
    assert backup["previous_policy"] == old
    assert backup["model_package_group_arn"] == f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package-group/credit-risk"
    assert (backup["account_id"], backup["region"], backup["group_existed"]) == (REGISTRY, REGION, True)

    aws.api.calls.clear()
    code, out, _ = apply(aws, capsys, "--restore", str(saved), "--dry-run", backups=tmp_path / "b")
    assert code == 0 and writes(aws) == [] and "would restore  credit-risk" in out
    assert f"    - {dropped} (Allow" in out

    code, out, err = apply(aws, capsys, "--restore", str(saved), backups=tmp_path / "b")
    assert code == 0, err
    assert stored(aws, "credit-risk") == old  # byte for byte
    assert "restored  credit-risk" in out
    # the restore backed up what it replaced, so it can be undone too
    newest = max((tmp_path / "b").glob("*-credit-risk*.json"), key=lambda p: p.stat().st_mtime_ns)
    assert json.loads(newest.read_text())["previous_policy"] == sent(rendered()["credit-risk"])
    assert json.loads(newest.read_text())["reason"] == "restore"
    # and restoring again changes nothing
    aws.api.calls.clear()
    assert apply(aws, capsys, "--restore", str(saved), backups=tmp_path / "b")[0] == 0
    assert writes(aws) == []


def test_restore_of_a_group_that_had_no_policy_deletes_the_policy(aws, capsys, tmp_path):
    assert apply(aws, capsys, "--group", "churn-predictor", backups=tmp_path / "b")[0] == 0
    saved = _only_backup(tmp_path / "b", "churn-predictor")
    assert json.loads(saved.read_text())["previous_policy"] is None
    aws.api.calls.clear()
    code, out, _ = apply(aws, capsys, "--restore", str(saved), backups=tmp_path / "b")
    assert code == 0
    assert writes(aws) == [("DeleteModelPackageGroupPolicy", "churn-predictor", 200)]
    assert stored(aws, "churn-predictor") is None
    assert "deleted the policy (the backup had none)" in out


def test_restore_refuses_bad_files_and_other_accounts(aws, capsys, tmp_path):
    not_json = tmp_path / "x.json"
    not_json.write_text("nope")
    code, _, err = apply(aws, capsys, "--restore", str(not_json))
    assert code == 2 and err.count("\n") == 1 and "is not JSON" in err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({
        "format": "model-package-group-policy-backup/1", "taken_at": "20250101T000000Z", "reason": "apply",
        "account_id": "999999999999", "region": REGION, "model_package_group": "credit-risk",
        "model_package_group_arn": "arn:aws:sagemaker:us-east-1:999999999999:model-package-group/credit-risk",
        "group_existed": True, "previous_policy": None,
    }))
    code, _, err = apply(aws, capsys, "--restore", str(other))
    assert code == 2 and err.count("\n") == 1 and "from account 999999999999" in err
    assert aws.api.calls == []  # refused before any AWS call


# --- credentials and role assumption ----------------------------------------------------
def test_assumes_a_role_into_the_registry_account(aws, capsys, tmp_path):
    code, out, _ = apply(aws, capsys, "--role-name", "PolicyApplier", backups=tmp_path / "b")
    assert code == 0
    assert f"as arn:aws:sts::{REGISTRY}:assumed-role/PolicyApplier/model-registry-policy-apply" in out
    assert aws.api.operations("sts")["AssumeRole"] == 1
    assert {c.account for c in aws.api.calls if c.service == "sagemaker"} == {REGISTRY}
    assert set(sagemaker_backends[REGISTRY][REGION].model_package_groups) == set(GROUPS)
    assert not sagemaker_backends[BASE_ACCOUNT][REGION].model_package_groups


def test_refuses_credentials_of_another_account(aws, capsys):
    code, out, err = apply(aws, capsys, "--no-assume-role")
    assert code == 1
    assert err == (f"error: the credentials are for account {BASE_ACCOUNT} (arn:aws:sts::{BASE_ACCOUNT}:user/moto), "
                   f"but the registry account is {REGISTRY}; refusing to change anything: name a role in it to "
                   "assume (apply.role_name in accounts.yaml, or --role-name/--role-arn), or use credentials of "
                   "the registry account\n")
    assert [c for c in aws.api.calls if c.service == "sagemaker"] == []


def test_without_an_apply_role_the_ambient_credentials_are_used_and_checked(aws, capsys, tmp_path):
    """Issue 31: no apply: section assumes nothing (never OrganizationAccountAccessRole): the ambient
    credentials, here another account's, are refused before any SageMaker call."""
    config = tmp_path / "accounts.yaml"
    config.write_text(with_apply(EXAMPLE.read_text(), ""))
    code, _, err = apply(aws, capsys, config=config)
    assert code == 1 and f"the credentials are for account {BASE_ACCOUNT}" in err
    assert "apply.role_name in accounts.yaml" in err
    assert aws.api.operations("sts") == {"GetCallerIdentity": 1}  # no AssumeRole
    assert [c for c in aws.api.calls if c.service == "sagemaker"] == []


def test_config_can_turn_role_assumption_off(aws, capsys, tmp_path):
    config = tmp_path / "accounts.yaml"
    config.write_text(with_apply(EXAMPLE.read_text(), "apply: {assume_role: false}"))
    code, _, err = apply(aws, capsys, config=config)
    assert code == 1 and f"the credentials are for account {BASE_ACCOUNT}" in err
    assert aws.api.operations("sts") == {"GetCallerIdentity": 1}  # no AssumeRole


def test_no_assume_role_inside_the_registry_account(aws, capsys, tmp_path, monkeypatch):
    creds = boto3.client("sts", endpoint_url=aws.endpoint_url, region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{REGISTRY}:role/Pipeline", RoleSessionName="pipeline")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    aws.api.calls.clear()
    code, out, _ = apply(aws, capsys, "--no-assume-role", backups=tmp_path / "b")
    assert code == 0
    assert aws.api.operations("sts") == {"GetCallerIdentity": 1}
    assert stored(aws, "credit-risk") == sent(rendered()["credit-risk"])


def test_denied_assume_role_is_one_line_and_changes_nothing(aws, capsys):
    aws.api.inject("deny", "AssumeRole", service="sts")
    code, _, err = apply(aws, capsys)
    assert code == 1
    assert err == (f"error: cannot assume arn:aws:iam::{REGISTRY}:role/ModelRegistryPolicyApplier: User: "
                   f"arn:aws:iam::{BASE_ACCOUNT}:user/test is not authorized to perform: sts:AssumeRole; the role's "
                   "trust policy must allow your principal to call sts:AssumeRole (or pass --role-name/--role-arn, "
                   "or --no-assume-role inside the registry account)\n")
    assert [c for c in aws.api.calls if c.service == "sagemaker"] == []


def test_missing_credentials_are_one_line(aws, capsys, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, err = apply(aws, capsys)
    assert code == 1
    assert err.startswith("error: no AWS credentials found") and err.count("\n") == 1


# --- bad input: one line, exit 2, no AWS call ---------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group", "nope"], "error: --group: 'nope' is not a model group in "),
        (["--dry-run", "--check"], "error: --dry-run and --check exclude each other"),
        (["--role-arn", "arn:aws:iam::222222222222:role/X"],
         "error: --role-arn: must be a role in the registry account 111111111111, not 222222222222"),
        (["--role-name", "Bad Name"], "error: --role-name: 'Bad Name' is not an IAM role name"),
        (["--role-name", "A", "--no-assume-role"], "error: --role-name and --no-assume-role exclude each other"),
        (["--max-attempts", "0"], "error: --max-attempts must be at least 1"),
        (["--restore", "x.json", "--group", "credit-risk"], "error: --restore names its group in the backup file"),
    ],
)
def test_bad_options(aws, capsys, args, message):
    code, out, err = apply(aws, capsys, *args)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1
    assert aws.api.calls == []


def test_bad_config_is_one_line_with_its_line_number(aws, capsys, tmp_path):
    config = tmp_path / "accounts.yaml"
    text = with_apply(EXAMPLE.read_text(), "apply:\n  role_arn: arn:aws:iam::222222222222:role/X\n")
    config.write_text(text)
    code, _, err = apply(aws, capsys, config=config)
    assert code == 2
    line = text.count("\n")  # role_arn is the last line
    assert err == (f"error: {config}:{line}: apply.role_arn: must be a role in the registry account 111111111111, "
                   "not 222222222222\n")
    assert aws.api.calls == []


# --- Ctrl-C and progress (real processes) ------------------------------------------------
def _spawn(aws: LocalAws, tmp_path: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(offline_env(tmp_path))
    return popen_with_ctrl_c(
        [sys.executable, "-m", "generator", "apply", "--config", str(EXAMPLE), "--endpoint-url", aws.endpoint_url,
         "--backup-dir", str(tmp_path / "b"), *args],
        cwd=ROOT, env=env, text=True, **kwargs,
    )


def test_ctrl_c_during_a_change_finishes_that_group_and_skips_the_rest(aws, tmp_path):
    slow = aws.api.inject("delay", "PutModelPackageGroupPolicy", group="churn-predictor", seconds=1.5)
    proc = _spawn(aws, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slow.started.wait(30), "apply never reached the put"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert stored(aws, "churn-predictor") == sent(rendered()["churn-predictor"])  # the change in flight finished
    assert [g for _, g, _ in writes(aws)] == ["churn-predictor", "churn-predictor"]  # create + put, nothing else
    assert "interrupt: finishing the change to churn-predictor" in err
    assert "  created  churn-predictor" in out and "  skipped  credit-risk" in out
    assert "interrupted (exit 130)" in out


def test_second_ctrl_c_stops_at_once_and_says_the_group_is_old_or_new(aws, tmp_path):
    slow = aws.api.inject("delay", "PutModelPackageGroupPolicy", group="churn-predictor", seconds=3)
    proc = _spawn(aws, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slow.started.wait(30)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "skipped  churn-predictor" in out and "skipped  credit-risk" in out
    # A new group: it was created and its put was in flight (issue 12: say exactly that, not "old or new").
    assert ("churn-predictor: skipped (stopped after creating the group, during its policy put: the group exists "
            "with no policy (no cross-account access) or with the new one; the next apply run finishes it") in out
    assert "Traceback" not in err
    deadline = time.monotonic() + 10  # the server finishes the put it had received
    while len(writes(aws)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [(o, g) for o, g, _ in writes(aws)] == [("CreateModelPackageGroup", "churn-predictor"),
                                                   ("PutModelPackageGroupPolicy", "churn-predictor")]


def test_ctrl_c_while_reading_stops_with_nothing_changed(aws, tmp_path):
    slow = aws.api.inject("delay", "DescribeModelPackageGroup", group="churn-predictor", seconds=3)
    proc = _spawn(aws, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slow.started.wait(30)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert writes(aws) == []
    assert "  skipped  churn-predictor" in out and "  skipped  credit-risk" in out
    assert "Traceback" not in err


def test_progress_shows_on_a_terminal_only(aws, tmp_path):
    proc = _spawn(aws, tmp_path, "--dry-run", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == ""

    leader, follower = pty.openpty()
    proc = _spawn(aws, tmp_path, "--dry-run", stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    proc.communicate(timeout=60)
    seen = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: everything was read
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert b"[1/2] churn-predictor" in seen and b"[2/2] credit-risk" in seen


def test_apply_refuses_to_write_when_terraform_owns_the_group_policies(aws, capsys, tmp_path):
    """Exactly one writer per group policy: with terraform.group_policies:
    terraform, apply writes nothing but --check still detects drift."""
    config = tmp_path / "accounts.yaml"
    config.write_text(with_terraform(EXAMPLE.read_text(), "group_policies: terraform"))
    code, out, err = apply(aws, capsys, config=config, backups=tmp_path / "b")
    assert code == 2
    assert err.startswith("error: terraform.group_policies is terraform") and err.count("\n") == 1
    assert aws.api.writes() == []
    code, out, err = apply(aws, capsys, "--check", config=config)
    assert code == 1  # nothing applied yet: every group drifts
