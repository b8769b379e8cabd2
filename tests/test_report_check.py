"""`report --check` (part of `make check`): stale report files fail, nothing is written."""

from __future__ import annotations

import shutil

from generator.cli import main
from tools import golden

from .conftest import EXAMPLE, EXAMPLE_OUT, EXAMPLE_REPORT, ROOT


def _check(capsys, report) -> tuple[int, str, str]:
    code = main(["report", "--check", "--config", golden.label(EXAMPLE), "--policies", golden.label(EXAMPLE_OUT),
                 "--out", str(report)])
    out, err = capsys.readouterr()
    return code, out, err


def test_stale_report_fails_and_is_not_rewritten(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)  # the golden names the config by its path from the project root
    report = tmp_path / "report"
    shutil.copytree(EXAMPLE_REPORT, report)
    stale = (report / "access-matrix.md").read_text().replace("who can do what", "who did what")
    (report / "access-matrix.md").write_text(stale)
    code, _, err = _check(capsys, report)
    assert code == 1 and "stale" in err and "access-matrix.md" in err
    assert (report / "access-matrix.md").read_text() == stale


def test_missing_report_fails_and_current_report_passes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, _, err = _check(capsys, tmp_path / "none")
    assert code == 1 and not (tmp_path / "none").exists()
    code, out, _ = _check(capsys, EXAMPLE_REPORT)
    assert code == 0 and "up to date" in out


def _ask(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", "--config", str(EXAMPLE), "--policies", str(EXAMPLE_OUT), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_group_and_capability_answer_who_on_stdout(capsys):
    code, out, _ = _ask(capsys, "--group", "credit-risk", "--capability", "approve")
    assert code == 0 and out == "credit-risk: approve: governance / ModelApproverRole\n"
    code, out, _ = _ask(capsys, "--group", "churn-predictor", "--capability", "read")
    assert "prod" not in out and "test / SageMakerExecutionRole" in out  # prod consumes credit-risk only
    code, out, _ = _ask(capsys, "--capability", "write")
    assert out.splitlines() == ["churn-predictor: write: data-science / SageMakerExecutionRole",
                                "credit-risk: write: data-science / SageMakerExecutionRole"]


def test_stdout_without_filters_is_the_markdown_matrix(capsys, tmp_path):
    code, out, _ = _ask(capsys, "--out", "-")
    assert code == 0 and out.startswith("# Access matrix: who can do what")
    assert not (tmp_path / "-").exists()


def test_report_filters_bad_input(capsys):
    code, _, err = _ask(capsys, "--group", "credit-risc")
    assert code == 2 and "did you mean 'credit-risk'?" in err
    code, _, err = _ask(capsys, "--capability", "fly")
    assert code == 2 and "'fly' is not one of" in err
    code, _, err = _ask(capsys, "--check")
    assert code == 2 and "--check compares with the files in --out DIR" in err
