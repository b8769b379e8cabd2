"""Helpers for the lint tests: write the rendered example, break it, lint it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from generator.lint import lint

BUCKET = "shared-services/policies/s3-bucket-policy.json"
KEY = "shared-services/policies/kms-key-policy.json"
GROUP = "shared-services/policies/model-package-group-credit-risk.json"
DS = "data-science/policies/iam-role-SageMakerExecutionRole.json"
DEPLOY = "deployment/policies/iam-role-ModelDeployPipelineRole.json"
PROD = "prod/policies/iam-role-SageMakerExecutionRole.json"
ECR = "shared-services/policies/ecr-repository-credit-risk-serving.json"
SCP = "organization/policies/scp-model-registry-guardrails.json"
RCP = "organization/policies/rcp-model-registry-resource-guardrails.json"
BUS = "deployment/policies/event-bus-policy.json"

REG = "111111111111"
BUCKET_ARN = "arn:aws:s3:::acme-ml-model-artifacts"
GROUP_ARN = f"arn:aws:sagemaker:us-east-1:{REG}:model-package-group/credit-risk"
PACKAGES = f"arn:aws:sagemaker:us-east-1:{REG}:model-package/credit-risk/*"
KEY_ARNS = f"arn:aws:kms:us-east-1:{REG}:key/*"
REPO_ARN = f"arn:aws:ecr:us-east-1:{REG}:repository/credit-risk-serving"

Mutation = Callable[[dict], None]


def write(out: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return out


def stmt(doc: dict, sid: str) -> dict:
    return next(s for s in doc["Statement"] if s["Sid"] == sid)


def broken(files: dict[str, str], path: str, mutate: Mutation) -> dict[str, str]:
    """A copy of the rendered files with one policy document changed."""
    doc = json.loads(files[path])
    mutate(doc)
    return {**files, path: json.dumps(doc, indent=2) + "\n"}


def findings(config, out: Path, rule_id: str | None = None) -> list:
    report = lint(config, out)
    return [f for f in report.findings if rule_id is None or f.rule_id == rule_id]
