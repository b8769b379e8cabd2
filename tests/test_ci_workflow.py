"""The CI workflow only runs Makefile targets, and `make test` runs the checks.

One definition of every check (the Makefile); the workflow is a thin
caller, so a user who copies it gets exactly what `make test` does here.
"""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
MAKEFILE = ROOT / "Makefile"
# Targets the workflow calls that another branch adds to the Makefile.
# When the target lands, this test fails until the entry is removed here.
AWAITING_MERGE: dict[str, str] = {}


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9_.-]+):", MAKEFILE.read_text(), re.MULTILINE))


def recipe(target: str) -> list[str]:
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", MAKEFILE.read_text(), re.MULTILINE)
    assert match, f"no recipe for {target}"
    return [line.strip() for line in match.group(1).splitlines()]


def steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    return job["steps"]


def test_workflow_runs_only_make_targets_that_exist():
    runs = [step["run"] for step in steps() if "run" in step]
    assert runs, "the workflow runs nothing"
    targets = makefile_targets()
    called = []
    for command in runs:
        match = re.fullmatch(r"make ((?:[a-z0-9-]+ ?)+)", command.strip())
        assert match, f"workflow step runs {command!r}: call a Makefile target instead"
        called.extend(match.group(1).split())
    missing = [t for t in called if t not in targets and t not in AWAITING_MERGE]
    assert not missing, f"workflow calls targets the Makefile lacks: {missing}"
    landed = [t for t in AWAITING_MERGE if t in targets]
    assert not landed, f"{landed} now exist in the Makefile: remove them from AWAITING_MERGE"
    assert {"render-check", "lint-sarif", "test"} <= set(called)


def test_workflow_sets_up_python_and_uploads_the_sarif_lint_writes():
    uses = [step.get("uses", "") for step in steps()]
    assert uses[0].startswith("actions/checkout@") and uses[1].startswith("actions/setup-python@")
    (upload,) = [s for s in steps() if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert "build/lint.sarif" in recipe("lint-sarif")[0]
    assert upload["with"]["sarif_file"] == "build/lint.sarif"
    assert upload["if"].startswith("always()")


def test_make_test_runs_render_check_and_lint():
    lines = recipe("test")
    assert any(line.endswith("render-check") for line in lines)
    assert any(line.endswith(" lint") for line in lines)
    assert "generator render --check" in recipe("render-check")[0]
    assert "generator lint" in recipe("lint")[0]
