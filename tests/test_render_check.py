"""`render --check`: stale output fails with a short diff, and nothing is written."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import EXAMPLE, EXAMPLE_OUT, ROOT
from tests.lintkit import write

BUCKET = "shared-services/policies/s3-bucket-policy.json"


def check(out):
    return subprocess.run(
        [sys.executable, "-m", "generator", "render", "--check", "--config", str(EXAMPLE), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )


def snapshot(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_committed_output_is_up_to_date(example_files):
    result = check(EXAMPLE_OUT)
    assert result.returncode == 0, result.stderr
    assert f"up to date ({len(example_files)} files match accounts.yaml)" in result.stdout


def test_stale_output_fails_with_diff_and_writes_nothing(example_files, tmp_path):
    files = dict(example_files)
    files[BUCKET] = files[BUCKET].replace('"s3:GetObject"', '"s3:GetObject",\n        "s3:PutObject"', 1)
    del files["prod/policies/iam-role-SageMakerExecutionRole.json"]
    files["prod/policies/iam-role-Retired.json"] = "{}\n"
    # A file the previous render wrote (its manifest lists it) that this one no longer produces.
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = sorted(set(manifest["files"]) | {"prod/policies/iam-role-Retired.json"})
    files["manifest.json"] = json.dumps(manifest, indent=2) + "\n"
    out = write(tmp_path, files)
    before = snapshot(out)
    result = check(out)
    assert result.returncode == 1
    assert snapshot(out) == before
    report = result.stderr
    assert f"{out}: stale: `make render` would change 4 files" in report  # and the manifest
    assert f"  update {BUCKET}" in report
    assert "  create prod/policies/iam-role-SageMakerExecutionRole.json" in report
    assert "  remove prod/policies/iam-role-Retired.json" in report
    assert f"--- a/{BUCKET}" in report and '-        "s3:PutObject"' in report
    assert report.rstrip().endswith("run `make render` and commit the result")


def test_empty_directory_is_stale(tmp_path, example_files):
    result = check(tmp_path)
    assert result.returncode == 1
    assert f"would change {len(example_files)} files" in result.stderr
    assert list(tmp_path.iterdir()) == []
