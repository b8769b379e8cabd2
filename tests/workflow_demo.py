"""``make workflow-demo``: register -> approve Development -> QA -> Prod against a local AWS.

Offline and self-contained: starts moto's server with the local AWS extensions
(generator/apply/localaws.py: ModelLifeCycle, which moto ignores) on 127.0.0.1 at a random
port, registers a version of credit-risk as a data scientist would (stage
Development, PendingApproval), then runs the real CLI as subprocesses: status,
a refused skip, each stage approved in order with status after each, the stage
history, ``--latest-approved Prod`` and the HTML page. After each step it asks
the rendered policies (tests/fixtures/workflow.yaml, evaluated with the project's
evaluator) whether each consumer role may describe the version in its current
stage. Exits non-zero if any step's exit code or any visibility is not the
expected one.

moto has no cross-account SageMaker, so every command runs with a role in the
registry account (the fixture's apply.role_name); who may decide which stage is the stage
gates' job, evaluated here through the rendered policies, not by the server.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import boto3

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
from generator.apply.localaws import LocalAws  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "fixtures" / "workflow.yaml"
WORK = ROOT / "build" / "workflow-demo"
REGISTRY = "111111111111"
REGION = "us-east-1"
GROUP = "credit-risk"
CONSUMERS = {"QA": "arn:aws:iam::444444444444:role/SageMakerExecutionRole",
             "Prod": "arn:aws:iam::555555555555:role/SageMakerExecutionRole"}


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="demo-access-key", AWS_SECRET_ACCESS_KEY="demo-secret-key",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    return env


def register(endpoint_url: str) -> str:
    """As the data scientist's training job: a new version, Development / PendingApproval."""
    env = offline_env()
    base = boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=REGION)
    creds = base.client("sts", endpoint_url=endpoint_url).assume_role(
        RoleArn=f"arn:aws:iam::{REGISTRY}:role/SageMakerExecutionRole", RoleSessionName="training-job"
    )["Credentials"]
    sagemaker = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=REGION,
    ).client("sagemaker", endpoint_url=endpoint_url)
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP, ModelPackageGroupDescription="Credit risk")
    return sagemaker.create_model_package(
        ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval",
        ModelLifeCycle={"Stage": "Development", "StageStatus": "PendingApproval",
                        "StageDescription": "registered by training job 2026-11-28"},
    )["ModelPackageArn"]


class Visibility:
    """Which consumer roles the rendered policies let describe the version, in its live stage."""

    def __init__(self):
        from generator.apply.workflow import approved_for
        from generator.config import load_config
        from generator.analysis.policyset import PolicySet
        from generator.render import render

        self.config = load_config(CONFIG)
        self.files = render(self.config)
        self.policies = PolicySet(self.files)
        self.approved_for = approved_for
        self.gated = any("CurrentModelLifeCycleStage" in text for text in self.files.values())

    def check(self, state) -> bool:
        ok = True
        for stage, role in CONSUMERS.items():
            context = {}
            if state.stage:
                context = {"sagemaker:CurrentModelLifeCycleStage": state.stage,
                           "sagemaker:CurrentModelLifeCycleStageStatus": state.stage_status}
            base = self.policies.normal_context(role, state.arn, self.config.organization_id)
            allowed = self.policies.decide(role, "sagemaker:DescribeModelPackage", state.arn,
                                           {**base, **context}, org=self.config.organization_id).allowed
            expected = self.approved_for(self.config, state, stage)
            if self.gated:
                verdict = "as expected" if allowed == expected else "WRONG"
                ok = ok and allowed == expected
            else:
                verdict = (f"the stage rule says {'yes' if expected else 'no'}; the rendered policies carry no "
                           "stage gate yet (issue 15), so every consumer may describe every version")
            print(f"    {stage} consumer may describe version {state.version}: {'yes' if allowed else 'no'} ({verdict})")
        return ok


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    visibility = Visibility()
    with LocalAws() as aws:
        endpoint = aws.endpoint_url
        arn = register(endpoint)
        print(f"$ # a training job registered {arn} as Development / PendingApproval\n")

        def cli(expected: int, *args: str) -> str:
            argv = [sys.executable, "-m", "generator", *args, "--config", str(CONFIG.relative_to(ROOT)),
                    "--endpoint-url", endpoint]
            shown = shlex.join(["python", "-m", "generator", *args, "--config", "tests/fixtures/workflow.yaml"])
            print(f"$ {shown}")
            proc = subprocess.run(argv, cwd=ROOT, env=offline_env(), text=True, capture_output=True)
            sys.stdout.write(proc.stdout.replace(endpoint, "http://127.0.0.1:PORT"))
            sys.stdout.write(proc.stderr.replace(endpoint, "http://127.0.0.1:PORT"))
            print(f"[exit {proc.returncode}]\n")
            if proc.returncode != expected:
                failures.append(f"{shown}: exit {proc.returncode}, expected {expected}")
            return proc.stdout

        def visible() -> None:
            from generator.apply.aws import Access, Lifecycle
            from generator.apply.workflow import state_from

            env = offline_env()
            os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
            registry = Lifecycle(Access("aws", REGION, REGISTRY, endpoint,
                                        f"arn:aws:iam::{REGISTRY}:role/ModelRegistryPolicyApplier", 3, "standard"))
            state = state_from(GROUP, registry.describe(arn))
            if not visibility.check(state):
                failures.append(f"consumer visibility wrong at {state.stage} {state.stage_status}")
            print()

        cli(0, "status", "--group", GROUP)
        visible()
        cli(1, "promote", "--group", GROUP, "--version", "1", "--to", "QA", "--approve", "--note", "skip Development")
        cli(0, "promote", "--group", GROUP, "--version", "1", "--to", "Development", "--approve",
            "--note", "offline metrics meet the bar (AUC 0.91)")
        visible()
        cli(1, "promote", "--group", GROUP, "--version", "1", "--to", "Prod", "--approve", "--note", "skip QA")
        cli(0, "promote", "--group", GROUP, "--version", "1", "--to", "QA", "--approve",
            "--note", "shadow traffic 7 days, no regression")
        visible()
        cli(1, "promote", "--group", GROUP, "--version", "1", "--to", "Development", "--reject", "--note", "go back")
        cli(0, "promote", "--group", GROUP, "--version", "1", "--to", "Prod", "--approve", "--note", "CAB-1042 approved")
        visible()
        cli(0, "status", "--group", GROUP, "--history")
        cli(0, "status", "--latest-approved", "Prod", "--group", GROUP)
        cli(0, "status", "--format", "html", "--out", str((WORK / "status.html").relative_to(ROOT)))
        cli(0, "status", "--format", "json", "--out", str((WORK / "status.json").relative_to(ROOT)))
        updates = [c for c in aws.api.calls if c.operation == "UpdateModelPackage"]
        print(f"the server saw {len(updates)} UpdateModelPackage calls (3 approvals; the 3 refused steps made none)")
        if len(updates) != 3:
            failures.append(f"{len(updates)} UpdateModelPackage calls, expected 3")
    if failures:
        print("workflow demo FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("workflow demo: every step as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
