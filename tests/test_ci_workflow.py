"""The CI workflow only runs Makefile targets: `make check` on the user's config.

One definition of every check (the Makefile); the workflow is a thin
caller, so a user who copies it gets exactly what `make check` does on a
laptop. The project's own CI (.ci/run) runs `make test`, which runs the
same `make check` on the example fixture.
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
    assert "check" in called and "test" not in called, "the user's CI checks their config, not the project"


def test_workflow_sets_up_python_and_uploads_the_sarif_lint_writes():
    uses = [step.get("uses", "") for step in steps()]
    assert uses[0].startswith("actions/checkout@") and uses[1].startswith("actions/setup-python@")
    (upload,) = [s for s in steps() if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert "build/lint.sarif" in recipe("lint-sarif")[0]
    assert any(line.endswith(" lint-sarif") for line in recipe("check"))
    assert upload["with"]["sarif_file"] == "build/lint.sarif"
    assert upload["if"].startswith("always()")


def test_make_check_runs_every_check_on_the_config_and_make_test_on_the_fixture():
    lines = recipe("check")
    for target in ("render-check", "lint-sarif", "report-check", "prove", "fmt-check", "checkov"):
        assert any(line.endswith(f" {target}") for line in lines), target
    assert "generator prove --config $(CONFIG) --policies $(OUT)" in recipe("prove")[0]
    assert "generator render --check --config $(CONFIG) --out $(OUT)" in recipe("render-check")[0]
    assert "generator lint --config $(CONFIG) --policies $(OUT)" in recipe("lint-sarif")[0]
    assert "generator report --check" in recipe("report-check")[0]
    test = recipe("test")
    assert any("pytest" in line for line in test)
    assert any(" check $(EXAMPLE_CHECK)" in line for line in test)
    assert "$(CONFIG)" not in "\n".join(test), "make test must not read the user's config"
    assert "EXAMPLE := tests/fixtures/example" in MAKEFILE.read_text()


def test_project_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
