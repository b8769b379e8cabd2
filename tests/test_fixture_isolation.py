"""The project's tests never read the user's accounts.yaml or its output.

A user maps their own organization by editing accounts.yaml and running
`make render`; that changes accounts.yaml, terraform/accounts/ and
docs/report/, and `make test` must still pass. The tests read the example
fixture (tests/fixtures/example/) instead; this file keeps it that way, by
reading the test sources and by editing a copy of the project the way a
user would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from .conftest import ROOT

# What a user's edit changes. Only the user-facing demo (make apply-demo)
# may use them: it demonstrates the user's own config.
USER_PATHS = re.compile(
    r"""(?:ROOT|parent)\s*/\s*["']accounts\.yaml["']"""
    r"""|ROOT\s*/\s*["']terraform["']\s*/\s*["']accounts["']"""
    r"""|ROOT\s*/\s*["']docs["']\s*/\s*["']report["']"""
)
ALLOWED = {"apply_demo.py", "test_fixture_isolation.py"}

# A different organization: other ids and org, an account added, a group
# added, a second prod account. Valid, and lint-clean.
OTHER_ORG = """\
region: eu-west-1
organization_id: o-zz9yy8xx7w
registry:
  account: ml-registry
  artifact_bucket: globex-models
  kms_key_alias: alias/globex-models
accounts:
  ml-registry: {id: "900000000001", kind: registry}
  research:    {id: "900000000002", kind: development, roles: [SageMakerExecutionRole]}
  analytics:   {id: "900000000007", kind: development, roles: [NotebookRole]}
  release:     {id: "900000000003", kind: deployment, roles: [ReleasePipeline]}
  staging:     {id: "900000000004", kind: workload, stage: test, roles: [InferenceRole]}
  prod-eu:     {id: "900000000005", kind: workload, stage: prod, roles: [InferenceRole]}
  prod-us:     {id: "900000000008", kind: workload, stage: prod, roles: [InferenceRole]}
  risk:        {id: "900000000006", kind: governance, roles: [ModelApprover]}
model_groups:
  fraud:
    developers: [research]
    consumers: [staging, prod-eu, prod-us]
  pricing:
    developers: [research, analytics]
    consumers: [staging]
"""

# The tests that compare goldens or read rendered output from disk (the
# whole suite would take minutes; the source scan above covers the rest).
GOLDEN_TESTS = [
    "tests/test_render_output.py::test_committed_example_matches_a_fresh_render",
    "tests/test_terraform_roots.py::test_committed_example_is_current",
    "tests/test_access_matrix.py::test_committed_report_matches_a_fresh_one",
    "tests/test_render_check.py::test_committed_output_is_up_to_date",
    "tests/test_report_check.py",
    "tests/test_schema.py",
    "tests/test_explain.py::test_real_process_exit_codes",
    "tests/test_lint_cli.py::test_committed_example_lints_clean",
    "tests/test_terraform_checks.py::test_committed_terraform_is_formatted",
    "tests/test_fixture_isolation.py::test_no_test_reads_the_users_files",
]


def test_no_test_reads_the_users_files():
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name in ALLOWED or "fixtures" in path.parts:
            continue
        for match in USER_PATHS.finditer(path.read_text()):
            line = path.read_text()[: match.start()].count("\n") + 1
            offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)!r}")
    assert not offenders, "tests must read tests/fixtures/ (conftest.EXAMPLE...), not the user's files:\n" + "\n".join(
        offenders
    )


def test_the_golden_tests_pass_after_a_user_maps_another_organization(tmp_path):
    """Copy the project, put another organization in accounts.yaml, render it
    as a user would, and run the tests that compare goldens in the copy."""
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT, copy, symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv", ".venv-checkov", "build", ".pytest_cache", "__pycache__"),
    )
    (copy / "accounts.yaml").write_text(OTHER_ORG)
    env = {**os.environ, "PYTHONPATH": str(copy)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True)

    render = run("-m", "generator", "render", "--config", "accounts.yaml", "--out", "terraform/accounts")
    assert render.returncode == 0, render.stderr
    report = run("-m", "generator", "report", "--config", "accounts.yaml", "--policies", "terraform/accounts",
                 "--out", "docs/report")
    assert report.returncode == 0, report.stderr
    assert "globex-models" in (copy / "terraform/accounts/ml-registry/policies/s3-bucket-policy.json").read_text()
    assert not (copy / "terraform/accounts/shared-services").exists()  # the example's roots are gone
    tests = run("-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-o", "addopts=", *GOLDEN_TESTS)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
