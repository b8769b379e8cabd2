"""Every demo is a test (issue 31): `make apply-demo` and `make workflow-demo`
run here as the Makefile runs them (the demo script with the virtualenv's
python, in a subprocess, on a local moto server), on the project's fixtures
and never on the user's accounts.yaml. A demo that exits non-zero fails the
suite with its whole transcript."""

from __future__ import annotations

import subprocess
import sys

from .conftest import EXAMPLE, ROOT


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_apply_demo_runs_every_step_as_documented(tmp_path):
    proc = _run("tests/apply_demo.py", "--config", str(EXAMPLE), "--work", str(tmp_path / "apply-demo"))
    transcript = proc.stdout + proc.stderr
    assert proc.returncode == 0, transcript
    assert "!! expected exit code" not in transcript
    # the emergency rollback: refused without the override, done with it, and on record
    assert "to roll back to it anyway, add --restore-unlinted" in transcript
    assert "restored  credit-risk" in transcript
    [audit] = [p for p in (tmp_path / "apply-demo" / "backups").glob("*credit-risk*.json")
               if "restore --restore-unlinted" in p.read_text()]
    assert "LegacyFullAccess" in audit.read_text()


def test_copy_demo_runs_every_step_as_documented():
    """The second half of `make workflow-demo`: promote by copy (docs/copy.md)."""
    proc = _run("tests/copy_demo.py")
    transcript = proc.stdout + proc.stderr
    assert proc.returncode == 0, transcript
    assert "copy demo: every step as expected" in transcript and "  !!  " not in transcript


def test_workflow_demo_runs_every_step_as_documented():
    proc = _run("tests/workflow_demo.py")
    transcript = proc.stdout + proc.stderr
    assert proc.returncode == 0, transcript
    assert "workflow demo: every step as expected" in transcript
