"""status and promote over the wire: the real CLI and boto3 against the local AWS.

The local AWS (tests/localaws.py) is moto's server plus the ModelLifeCycle
stand-in (moto ignores ModelLifeCycle) and fault injection. Every "nothing was
changed" is checked at the server: no UpdateModelPackage arrived.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import boto3
import pytest
from moto.sagemaker.models import sagemaker_backends

from generator.cli import main

from .conftest import EXAMPLE, popen_with_ctrl_c
from .localaws import LocalAws
from .test_apply import offline_env

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "workflow.yaml"
REGISTRY = "111111111111"
REGION = "us-east-1"
CALLER = f"arn:aws:sts::{REGISTRY}:assumed-role/ModelRegistryPolicyApplier/promote-tester"


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


def scientist(endpoint_url: str):
    """SageMaker as a data scientist's role in the registry account (moto has no cross-account SageMaker)."""
    creds = boto3.client("sts", endpoint_url=endpoint_url, region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{REGISTRY}:role/SageMakerExecutionRole", RoleSessionName="training-job"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=REGION,
    ).client("sagemaker", endpoint_url=endpoint_url)


PENDING = {"Stage": "Development", "StageStatus": "PendingApproval"}


def register(aws: LocalAws, group: str = "credit-risk", count: int = 1, lifecycle: dict | None = None) -> list[str]:
    sagemaker = scientist(aws.endpoint_url)
    if group not in sagemaker_backends[REGISTRY][REGION].model_package_groups:
        sagemaker.create_model_package_group(ModelPackageGroupName=group)
    arns = []
    for _ in range(count):
        params = {"ModelPackageGroupName": group, "ModelApprovalStatus": "PendingManualApproval"}
        if lifecycle:
            params["ModelLifeCycle"] = lifecycle
        arns.append(sagemaker.create_model_package(**params)["ModelPackageArn"])
    aws.api.calls.clear()  # count only what the command does
    return arns


def run(aws: LocalAws, capsys, command: str, *args: str, config: Path = FIXTURE):
    argv = [command, "--config", str(config), "--endpoint-url", aws.endpoint_url, "--max-attempts", "3",
            "--session-name", "promote-tester"]
    code = main([*argv, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def promote(aws, capsys, version: int, to: str, decision: str = "--approve", note: str = "checked", group="credit-risk"):
    return run(aws, capsys, "promote", "--group", group, "--version", str(version), "--to", to, decision,
               "--note", note)


def updates(aws: LocalAws) -> list:
    return [c for c in aws.api.calls if c.operation == "UpdateModelPackage"]


def described(aws: LocalAws, version: int, group: str = "credit-risk") -> dict:
    return scientist(aws.endpoint_url).describe_model_package(
        ModelPackageName=f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/{group}/{version}")


def status_json(aws, capsys, *args) -> dict:
    code, out, err = run(aws, capsys, "status", "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


# --- promote: refusals first, each without any UpdateModelPackage -------------------------
def test_a_skip_is_refused_with_the_reason_and_no_call(aws, capsys):
    register(aws, lifecycle={"Stage": "Development", "StageStatus": "Approved"})
    code, out, err = promote(aws, capsys, 1, "Prod")
    assert code == 1
    assert err == ("refused (skip): version 1 of credit-risk is at Development (Approved); QA comes next (stages in "
                   "order: Development, QA, Prod): promote --to QA first; nothing was changed\n")
    assert updates(aws) == [] and out == ""


def test_a_version_without_a_stage_cannot_enter_a_later_one(aws, capsys):
    register(aws)
    code, _, err = promote(aws, capsys, 1, "QA")
    assert code == 1 and err.startswith("refused (skip): version 1 of credit-risk has no stage yet")
    code, _, err = promote(aws, capsys, 1, "Development")
    assert code == 1 and err.startswith("refused (order): version 1 of credit-risk has no stage yet; its "
                                        "developers register it into Development (PendingApproval) first")
    assert updates(aws) == []


def test_moving_back_is_refused(aws, capsys):
    register(aws, lifecycle={"Stage": "QA", "StageStatus": "Approved"})
    code, _, err = promote(aws, capsys, 1, "Development")
    assert code == 1 and err.startswith("refused (backwards): version 1 of credit-risk is at QA (Approved)")
    assert updates(aws) == []


def test_the_next_stage_needs_the_previous_one_approved(aws, capsys):
    register(aws, lifecycle={"Stage": "Development", "StageStatus": "PendingApproval"})
    code, _, err = promote(aws, capsys, 1, "QA")
    assert code == 1
    assert "is at Development (PendingApproval); QA needs Development Approved first; nothing was changed" in err
    assert updates(aws) == []


def test_a_missing_version_is_one_line_and_no_call(aws, capsys):
    register(aws)
    code, _, err = promote(aws, capsys, 7, "Development")
    assert code == 1
    assert err == (f"error: credit-risk has no version 7 in account {REGISTRY} ({REGION}); nothing was changed\n")
    assert updates(aws) == []


def test_a_decision_already_recorded_changes_nothing(aws, capsys):
    register(aws, lifecycle={"Stage": "QA", "StageStatus": "Approved"})
    code, out, _ = promote(aws, capsys, 1, "qa")
    assert code == 0 and out == "credit-risk version 1 is already QA Approved; nothing was changed\n"
    assert updates(aws) == []


GOOD = {"--group": "credit-risk", "--version": "1", "--to": "Development", "--note": "ok"}
BAD_FLAGS = [
    ({"--to": "Staging"}, [], "error: --to: 'Staging' is not one of the stages (Development, QA, Prod)"),
    ({}, ["--reject"], "error: python -m generator promote: argument --reject: not allowed with argument --approve"),
    ({"--version": "0"}, [], "error: --version must be 1 or more"),
    ({"--version": "two"}, [], "error: python -m generator promote: argument --version: invalid int value: 'two'"),
    ({"--group": "fraud"}, [], "error: --group: 'fraud' is not a model group in"),
    ({"--note": "   "}, [], "error: --note: say why"),
    ({"--note": "line one\nline two"}, [], "error: --note: one line please"),
    ({}, ["--role-name", "Approver", "--no-assume-role"], "error: --role-name and --no-assume-role exclude each other"),
    ({}, ["--session-name", "bad name"], "error: --session-name: 'bad name' is not a role session name"),
]


@pytest.mark.parametrize("values,flags,message", BAD_FLAGS, ids=[m[7:40] for _, _, m in BAD_FLAGS])
def test_bad_flags_are_one_line_exit_2_and_no_call_at_all(aws, capsys, values, flags, message):
    argv = [x for k, v in {**GOOD, **values}.items() for x in (k, v)] + ["--approve", *flags]
    try:
        code, _, err = run(aws, capsys, "promote", *argv)
    except SystemExit as exc:
        code, err = exc.code, capsys.readouterr().err
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1
    assert aws.api.calls == []


def test_a_config_without_stages_is_bad_input(aws, capsys):
    code, _, err = run(aws, capsys, "promote", "--group", "credit-risk", "--version", "1", "--to", "QA",
                       "--approve", "--note", "x", config=EXAMPLE)  # the example has no stages: section
    assert code == 2 and "has no stages: section" in err
    assert aws.api.calls == []


def test_a_note_too_long_for_stage_description_is_refused_before_the_update(aws, capsys):
    register(aws, lifecycle=PENDING)
    code, _, err = promote(aws, capsys, 1, "Development", note="x" * 1000)
    assert code == 2 and err.startswith("error: --note: at most ") and "it has 1000" in err
    assert updates(aws) == []


# --- promote: the whole way, recorded --------------------------------------------------
def test_register_then_approve_each_stage_in_order_records_who_and_why(aws, capsys):
    register(aws, lifecycle={"Stage": "Development", "StageStatus": "PendingApproval",
                             "StageDescription": "registered by training"})
    for stage, note in (("Development", "unit metrics ok"), ("QA", "shadow test passed"), ("Prod", "CAB-42")):
        code, out, err = promote(aws, capsys, 1, stage, note=note)
        assert code == 0, err
        assert out.splitlines()[0].endswith(f"-> {stage} (Approved) by {CALLER}")
        now = described(aws, 1)
        assert now["ModelLifeCycle"] == {"Stage": stage, "StageStatus": "Approved",
                                         "StageDescription": f"Approved by {CALLER}: {note}"}
        # One approval model: the version is Approved exactly when the last stage is.
        assert now["ModelApprovalStatus"] == ("Approved" if stage == "Prod" else "PendingManualApproval")
        assert now["LastModifiedBy"]["IamIdentity"]["Arn"] == CALLER
    assert len(updates(aws)) == 3
    doc = status_json(aws, capsys, "--history")
    [version] = doc["groups"][0]["versions"]
    assert (version["stage"], version["stage_status"]) == ("Prod", "Approved")
    assert [(h["stage"], h["stage_status"]) for h in version["history"]] == [
        ("Development", "PendingApproval"), ("Development", "Approved"), ("QA", "Approved"), ("Prod", "Approved")]
    assert version["created"]["by"] == f"arn:aws:sts::{REGISTRY}:assumed-role/SageMakerExecutionRole/training-job"
    assert version["last_modified"]["by"] == CALLER


def test_a_rejection_is_recorded_and_blocks_the_next_stage(aws, capsys):
    register(aws, lifecycle={"Stage": "Development", "StageStatus": "Approved"})
    code, _, _ = promote(aws, capsys, 1, "QA", decision="--reject", note="latency regression")
    assert code == 0
    assert described(aws, 1)["ModelLifeCycle"]["StageStatus"] == "Rejected"
    assert described(aws, 1)["ModelApprovalStatus"] == "Rejected"  # any stage's rejection rejects the version
    code, _, err = promote(aws, capsys, 1, "Prod")
    assert code == 1 and "QA (Rejected); Prod needs QA Approved first" in err


def test_a_decision_revised_after_a_rejection_makes_the_version_pending_again(aws, capsys):
    """One request per decision (the server sees one UpdateModelPackage each),
    and the approval status follows the stage decision both ways."""
    register(aws, lifecycle={"Stage": "Development", "StageStatus": "Approved"})
    assert promote(aws, capsys, 1, "QA", decision="--reject", note="latency regression")[0] == 0
    assert promote(aws, capsys, 1, "QA", note="fixed in the serving config")[0] == 0
    now = described(aws, 1)
    assert (now["ModelLifeCycle"]["StageStatus"], now["ModelApprovalStatus"]) == ("Approved", "PendingManualApproval")
    assert promote(aws, capsys, 1, "Prod", note="CAB-43")[0] == 0
    assert described(aws, 1)["ModelApprovalStatus"] == "Approved"
    assert promote(aws, capsys, 1, "Prod", decision="--reject", note="incident 7")[0] == 0
    assert described(aws, 1)["ModelApprovalStatus"] == "Rejected"  # revoking the last stage revokes the version
    assert len(updates(aws)) == 4


def test_access_denied_names_the_gate_in_one_line(aws, capsys):
    register(aws, lifecycle={"Stage": "QA", "StageStatus": "Approved"})
    aws.api.inject("error", "UpdateModelPackage", code="AccessDeniedException",
                   message=f"User: {CALLER} is not authorized to perform: sagemaker:UpdateModelPackage with an "
                           "explicit deny in a resource-based policy")
    code, out, err = promote(aws, capsys, 1, "Prod")
    assert code == 1 and out == ""
    assert err == (f"error: refused by the registry (not your stage): {CALLER} does not approve Prod; Prod is decided "
                   "by roles ModelRiskApprover in model-risk; nothing was changed\n")
    assert described(aws, 1)["ModelLifeCycle"]["Stage"] == "QA"


def test_throttling_is_retried_with_backoff(aws, capsys):
    register(aws, lifecycle=PENDING)
    aws.api.inject("throttle", "DescribeModelPackage", times=2)
    aws.api.inject("throttle", "UpdateModelPackage", times=2)
    code, _, err = promote(aws, capsys, 1, "Development")
    assert code == 0, err
    answered = [c.status for c in aws.api.calls if c.operation == "UpdateModelPackage"]
    assert answered == [400, 400, 200]
    assert described(aws, 1)["ModelLifeCycle"]["StageStatus"] == "Approved"


def test_a_dropped_connection_on_the_update_says_it_may_have_happened(aws, capsys):
    register(aws, lifecycle=PENDING)
    aws.api.inject("drop", "UpdateModelPackage")
    code, _, err = promote(aws, capsys, 1, "Development")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "network error on UpdateModelPackage" in err and "may or may not have taken effect" in err


def test_denied_credentials_are_one_line_and_no_sagemaker_call(aws, capsys):
    aws.api.inject("deny", "AssumeRole", service="sts")
    code, _, err = promote(aws, capsys, 1, "Development")
    assert code == 1 and err.startswith("error: cannot assume arn:aws:iam::111111111111:role/ModelRegistryPolicyApplier")
    assert err.count("\n") == 1
    assert [c for c in aws.api.calls if c.service == "sagemaker"] == []


# --- status --------------------------------------------------------------------------------
def seed_versions(aws: LocalAws, group: str, count: int) -> None:
    """Many versions at once: moto's own create call in-process (205 HTTP creates are slow on a busy machine)."""
    register(aws, group, 1)
    backend = sagemaker_backends[REGISTRY][REGION]
    for _ in range(count - 1):
        backend.create_model_package(
            model_package_name=None, model_package_group_name=group, model_package_description=None,
            inference_specification=None, validation_specification=None, source_algorithm_specification=None,
            certify_for_marketplace=False, tags=None, model_approval_status="PendingManualApproval",
            metadata_properties=None, model_metrics=None, client_token=None, customer_metadata_properties=None,
            drift_check_baselines=None, domain=None, task=None, sample_payload_url=None,
            additional_inference_specifications=None)


def test_status_reads_every_group_and_version_with_pagination(aws, capsys):
    seed_versions(aws, "credit-risk", 205)
    register(aws, "churn-predictor", 2, lifecycle={"Stage": "Development", "StageStatus": "PendingApproval"})
    doc = status_json(aws, capsys)
    groups = {g["name"]: g for g in doc["groups"]}
    assert sorted(groups) == ["churn-predictor", "credit-risk"]
    assert [v["version"] for v in groups["credit-risk"]["versions"]] == list(range(1, 206))
    assert groups["churn-predictor"]["versions"][0]["stage"] == "Development"
    ops = aws.api.operations()
    assert ops["ListModelPackages"] == 3 + 1  # 205 versions in pages of 100, plus one page for the other group
    assert ops["DescribeModelPackage"] == 207 and ops["ListModelPackageGroups"] == 1
    assert "UpdateModelPackage" not in ops


def test_status_json_is_byte_identical_between_reads(aws, capsys):
    register(aws, count=3)
    first = run(aws, capsys, "status", "--format", "json")[1]
    assert run(aws, capsys, "status", "--format", "json", "--workers", "1")[1] == first


@pytest.mark.parametrize("fmt,marker", [("html", "<!DOCTYPE html>"), ("md", "# Model registry status"),
                                        ("json", '"format": "model-registry-status/1"'), ("table", "registry ")])
def test_status_writes_each_format_to_a_file(aws, capsys, tmp_path, fmt, marker):
    register(aws, count=2)
    target = tmp_path / f"status.{fmt}"
    code, out, err = run(aws, capsys, "status", "--format", fmt, "--out", str(target))
    assert code == 0, err
    assert out == f"wrote {target}: 1 group(s), 2 version(s)\n"
    assert marker in target.read_text()


def test_status_of_named_groups_only(aws, capsys):
    register(aws, "credit-risk")
    register(aws, "churn-predictor")
    doc = status_json(aws, capsys, "--group", "churn-predictor")
    assert [g["name"] for g in doc["groups"]] == ["churn-predictor"]
    assert "ListModelPackageGroups" not in aws.api.operations()


def test_a_group_that_cannot_be_read_is_reported_and_the_rest_are_read(aws, capsys):
    register(aws, "credit-risk")
    register(aws, "churn-predictor")
    aws.api.inject("deny", "ListModelPackages", group="credit-risk")
    code, out, err = run(aws, capsys, "status", "--format", "json")
    assert code == 1
    groups = {g["name"]: g for g in json.loads(out)["groups"]}
    assert groups["credit-risk"]["error"].startswith("access denied on ListModelPackages")
    assert len(groups["churn-predictor"]["versions"]) == 1
    assert err.startswith("error: credit-risk: access denied on ListModelPackages") and err.count("\n") == 1


def test_status_retries_throttling_and_reports_what_stays_throttled(aws, capsys):
    register(aws, "credit-risk", 2)
    aws.api.inject("throttle", "DescribeModelPackage", times=2)
    assert len(status_json(aws, capsys)["groups"][0]["versions"]) == 2
    aws.api.inject("throttle", "ListModelPackages")  # every call: more than --max-attempts
    code, _, err = run(aws, capsys, "status")
    assert code == 1 and "ListModelPackages still throttled after 3 attempts" in err


def test_latest_approved_prints_one_arn_for_pipelines(aws, capsys):
    arns = register(aws, count=3, lifecycle={"Stage": "Development", "StageStatus": "Approved"})
    for version in (1, 2):
        assert promote(aws, capsys, version, "QA")[0] == 0
    assert promote(aws, capsys, 1, "Prod")[0] == 0
    aws.api.calls.clear()
    code, out, err = run(aws, capsys, "status", "--latest-approved", "prod", "--group", "credit-risk")
    assert (code, out, err) == (0, arns[0] + "\n", "")
    code, out, _ = run(aws, capsys, "status", "--latest-approved", "QA", "--group", "credit-risk")
    assert out == arns[1] + "\n"  # version 2 is QA Approved, 1 went on to Prod: the newest is 2
    assert aws.api.operations()["ListModelPackages"] == 2 and "DescribeModelPackage" not in aws.api.operations()


def test_latest_approved_without_one_exits_1_with_a_reason(aws, capsys):
    register(aws, count=2)
    code, out, err = run(aws, capsys, "status", "--latest-approved", "Prod", "--group", "credit-risk")
    assert (code, out) == (1, "")
    assert err == "error: no version of credit-risk is approved for Prod (2 version(s) in the group)\n"


@pytest.mark.parametrize("args,message", [
    (["--latest-approved", "Prod"], "error: --latest-approved needs exactly one --group"),
    (["--latest-approved", "Staging", "--group", "x"], "error: --latest-approved: 'Staging' is not one of the stages"),
    (["--latest-approved", "Prod", "--group", "x", "--format", "json"], "error: --latest-approved prints one ARN"),
    (["--workers", "0"], "error: --workers must be between 1 and 64"),
    (["--group", "bad_name"], "error: --group: 'bad_name' is not a model package group name"),
    (["--format", "xml"], "error: python -m generator status: argument --format: invalid choice: 'xml'"),
])
def test_status_bad_flags_are_one_line_exit_2(aws, capsys, args, message):
    try:
        code, _, err = run(aws, capsys, "status", *args)
    except SystemExit as exc:
        code, err = exc.code, capsys.readouterr().err
    assert code == 2 and err.startswith(message) and err.count("\n") == 1
    assert aws.api.calls == []


# --- the local AWS's ModelLifeCycle stand-in behaves as SageMaker does --------------------------
def test_a_lifecycle_update_keeps_the_approval_status_and_description(aws):
    register(aws)
    sagemaker = scientist(aws.endpoint_url)
    arn = f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/credit-risk/1"
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "QA", "StageStatus": "Approved"})
    now = sagemaker.describe_model_package(ModelPackageName=arn)
    assert (now["ModelApprovalStatus"], now["ApprovalDescription"]) == ("Approved", "ok")
    assert now["ModelLifeCycle"] == {"Stage": "QA", "StageStatus": "Approved"}
    listed = sagemaker.list_model_packages(ModelPackageGroupName="credit-risk")["ModelPackageSummaryList"]
    assert listed[0]["ModelLifeCycle"] == {"Stage": "QA", "StageStatus": "Approved"}


def test_the_stand_in_validates_lifecycle_values_like_the_service(aws):
    register(aws)
    sagemaker = scientist(aws.endpoint_url)
    arn = f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/credit-risk/1"
    with pytest.raises(sagemaker.exceptions.ClientError, match="modelLifeCycle.stage.*regular expression"):
        sagemaker.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Dev_1", "StageStatus": "Approved"})
    with pytest.raises(sagemaker.exceptions.ClientError, match="less than or equal to 1024"):
        sagemaker.update_model_package(ModelPackageArn=arn, ModelLifeCycle={
            "Stage": "QA", "StageStatus": "Approved", "StageDescription": "x" * 1025})


# --- Ctrl-C and progress (real processes) ----------------------------------------------------
def _spawn(aws: LocalAws, tmp_path: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(offline_env(tmp_path))
    return popen_with_ctrl_c([sys.executable, "-m", "generator", *args, "--config", str(FIXTURE),
                              "--endpoint-url", aws.endpoint_url], cwd=ROOT, env=env, text=True, **kwargs)


def test_ctrl_c_during_the_update_lets_it_finish_and_exits_130(aws, tmp_path):
    register(aws, lifecycle=PENDING)
    slow = aws.api.inject("delay", "UpdateModelPackage", seconds=1.5)
    proc = _spawn(aws, tmp_path, "promote", "--group", "credit-risk", "--version", "1", "--to", "Development",
                  "--approve", "--note", "ok", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slow.started.wait(30)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted after the change was made" in err
    assert described(aws, 1)["ModelLifeCycle"]["StageStatus"] == "Approved"


def test_ctrl_c_while_status_reads_writes_nothing(aws, tmp_path):
    register(aws, count=2)
    slow = aws.api.inject("delay", "DescribeModelPackage", seconds=3)
    target = tmp_path / "status.json"
    proc = _spawn(aws, tmp_path, "status", "--format", "json", "--out", str(target),
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slow.started.wait(30)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err == "interrupted: status only reads, nothing was changed or written\n"
    assert not target.exists() and list(tmp_path.glob(".status.json.*")) == []


def test_status_shows_a_progress_bar_on_a_terminal_only(aws, tmp_path):
    for group in ("a1", "a2", "a3"):
        register(aws, group)
    proc = _spawn(aws, tmp_path, "status", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == ""
    leader, follower = pty.openpty()
    # a terminal 100 columns wide (a new pty is 0 wide, where tqdm draws nothing)
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = _spawn(aws, tmp_path, "status", "--workers", "1", stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    proc.communicate(timeout=60)
    seen = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert b"0/3" in seen and b"group/s" in seen
