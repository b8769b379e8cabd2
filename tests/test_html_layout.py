"""The HTML pages fit a 1,024 px screen, measured in a real headless browser.

tools/browser/check.mjs opens a page in Chromium (the npm package
@sparticuz/chromium, driven by puppeteer-core; `make test` installs both
with `npm ci` from tools/browser/package-lock.json) at a viewport width and
reports what a reader gets: how wide the document scrolls, and for each
table its scroll container (the nearest ancestor whose overflow-x scrolls),
the container's widths, and whether its last header cell comes into view
when the container is scrolled fully right.

Without node or npm, or before tools/browser is installed, these tests skip
with one line saying which; they never pass without a browser.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.apply.status_format import GroupStatus, Status, page
from generator.apply.workflow import Change, VersionState

from .conftest import ROOT

BROWSER = ROOT / "tools" / "browser"
WIDTH = 1024


def measure(path: Path, width: int = WIDTH) -> dict:
    """check.mjs's measurements of ``path`` at ``width`` px, or a skip saying why there are none."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the headless-browser layout checks need Node.js")
    if not (BROWSER / "node_modules" / "puppeteer-core").is_dir():
        pytest.skip("tools/browser is not installed: run `make test` (or `npm ci` in tools/browser)")
    proc = subprocess.run(["node", str(BROWSER / "check.mjs"), str(path), str(width)],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def fits(result: dict, width: int = WIDTH) -> None:
    """The page does not scroll sideways; every table scrolls inside a
    container that fits the page, and its last column can be reached there."""
    assert result["viewport"] == width
    assert result["document"]["scroll_width"] <= width, (
        f"the page scrolls sideways: {result['document']['scroll_width']} px wide at {width} px")
    for table in result["tables"]:
        box = table["container"]
        assert box is not None, f"table {table['id']!r} sits in no scroll container"
        assert 0 <= box["left"] and box["right"] <= width, f"table {table['id']!r}: its container is off the page"
        assert box["scroll_width"] >= table["table"]["width"] - 1
        last = table["last_header"]
        assert last["end"] <= box["scroll_width"] + 1, f"{table['id']!r}: {last['text']!r} beyond the scroll range"
        assert last["visible_when_scrolled"], f"{table['id']!r}: {last['text']!r} never comes into view"


# --- status --format html ----------------------------------------------------------

ACCOUNT = "210987654321"
WHO = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_ModelRiskReviewer_0123456789abcdef/jane.doe@example.com"


def _version(group: str, number: int) -> VersionState:
    # What a long real registry row looks like: an Identity Center role ARN
    # for who, and a 1,024-character description (the ModelLifeCycle maximum)
    # with a 300-character word in it (a pasted URL or digest).
    note = f"Approved by {WHO}: CAB-1042 " + "sha256:" + "0123456789abcdef" * 18 + " " + "signed off " * 60
    return VersionState(
        group=group, version=number, arn=f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model-package/{group}/{number}",
        approval="PendingManualApproval", stage="Canary", stage_status="Approved", stage_description=note[:1024],
        created_at="2026-11-28T10:25:38Z", created_by=WHO, modified_at="2026-11-28T10:27:17Z", modified_by=WHO,
        history=(Change("2026-11-28T10:25:38Z", WHO, "Shadow", "Approved", f"Approved by {WHO}: shadow week"),
                 Change("2026-11-28T10:27:17Z", WHO, "Canary", "Approved", note[:1024])),
    )


def status_page(tmp_path: Path, history: bool) -> Path:
    groups = [GroupStatus(name, f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model-package-group/{name}",
                          [_version(name, n) for n in (1, 2, 3)])
              for name in ("fraud-scoring", "card-transactions-realtime-fraud-scoring-ensemble-v2")]
    groups.append(GroupStatus("search-ranking", f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:model-package-group/search-ranking",
                              error="ListModelPackages still throttled after 6 attempts; re-run later or raise "
                                    "--max-attempts"))
    path = tmp_path / "status.html"
    path.write_text(page(Status(ACCOUNT, "eu-west-1", groups, ["Shadow", "Canary", "Live"], history)))
    return path


@pytest.mark.parametrize("history", [False, True], ids=["table", "with-history"])
def test_status_html_scrolls_inside_the_page_at_1024_px(tmp_path, history):
    result = measure(status_page(tmp_path, history))
    fits(result)
    [table] = result["tables"]
    box = table["container"]
    # Ten (eleven) columns do not fit 1,024 px: the table really scrolls, in its box.
    assert box["scroll_width"] > box["client_width"]
    assert table["last_header"]["text"] == ("history" if history else "modified by")
    # Long words wrap: no column takes a 1,024-character description or a
    # 300-character word on one line.
    assert table["widest_cell"] <= 640, table["widest_cell"]


def test_the_check_fails_a_page_that_is_too_wide(tmp_path):
    """The measurement itself: a wide table straight in the body (the status
    page before it had a scroll box) makes the document scroll and has no
    container, and `fits` says so."""
    wide = tmp_path / "wide.html"
    cells = "".join(f"<th>column {i} {'x' * 40}</th>" for i in range(12))
    wide.write_text(f"<!DOCTYPE html><html><body><table id='t'><thead><tr>{cells}</tr></thead></table></body></html>")
    result = measure(wide)
    assert result["document"]["scroll_width"] > WIDTH
    with pytest.raises(AssertionError, match="scrolls sideways"):
        fits(result)
    assert result["tables"][0]["container"] is None


# --- the access matrix -------------------------------------------------------------

def test_access_matrix_html_scrolls_inside_the_page_at_1024_px():
    fits(measure(ROOT / "tests" / "fixtures" / "example" / "report" / "access-matrix.html"))
