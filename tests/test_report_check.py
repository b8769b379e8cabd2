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
