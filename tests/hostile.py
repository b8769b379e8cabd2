"""Shared helpers for the hostile-input tests (issue 12): a base config that
does not depend on the committed accounts.yaml, and a runner that checks
the one-line, exit-2 contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
partition: aws
region: us-east-1
organization_id: o-a1b2c3d4e5

registry:
  account: shared-services
  artifact_bucket: acme-ml-model-artifacts
  kms_key_alias: alias/ml-model-artifacts

accounts:
  shared-services: {id: "111111111111", kind: registry}
  data-science:    {id: "222222222222", kind: development, roles: [SageMakerExecutionRole]}
  deployment:      {id: "333333333333", kind: deployment,  roles: [ModelDeployPipelineRole]}
  test:            {id: "444444444444", kind: workload, stage: test, roles: [SageMakerExecutionRole]}
  prod:            {id: "555555555555", kind: workload, stage: prod, roles: [SageMakerExecutionRole]}
  governance:      {id: "666666666666", kind: governance, roles: [ModelApproverRole]}

model_groups:
  credit-risk:
    description: Credit risk scoring model
    developers: [data-science]
    consumers: [test, prod]
  churn-predictor:
    description: Customer churn predictor
    developers: [data-science]
    consumers: [test]
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def run_cli(*argv: str, timeout: float = 30, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """A real process: catches segfaults, tracebacks and hangs that an in-process call would hide."""
    return subprocess.run([sys.executable, "-m", "generator", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def assert_one_line(stderr: str, fragment: str = "") -> None:
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr[:2000]
    assert "Traceback" not in stderr
    assert fragment in stderr, stderr


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (links not followed) with its content."""
    out = {}
    if not directory.exists():
        return out
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            out[path.relative_to(directory).as_posix()] = b"->" + str(path.readlink()).encode()
        elif path.is_file():
            out[path.relative_to(directory).as_posix()] = path.read_bytes()
    return out
