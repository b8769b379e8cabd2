"""access-matrix.html: parses, names every principal and group, needs no
network, escapes what comes from the config."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from generator import report
from generator.config import config_from_text
from generator.analysis.policyset import PolicySet
from generator.render import render

from .conftest import EXAMPLE

VOID = {"meta", "input", "br", "hr", "img", "link", "area", "base", "col", "embed", "source", "track", "wbr"}


class Page(HTMLParser):
    """Collects text, tags and attributes, and checks that tags balance."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.cells: list[str] = []
        self._cell: list[str] | None = None
        self.script = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "td":
            self._cell = []
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()
        if tag == "td" and self._cell is not None:
            self.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script += data
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


@pytest.fixture(scope="module")
def built(example_config, example_files):
    return report.build(example_config, PolicySet(example_files))


def test_html_parses_with_balanced_tags(built):
    page = parse(built[1]["access-matrix.html"])
    assert page.errors == [] and page.stack == []
    assert page.tags[0][0] == "html"


def test_html_names_every_principal_and_group(built, example_config):
    matrix, files = built
    page = parse(files["access-matrix.html"])
    text = " ".join(page.text)
    for group in example_config.model_groups:
        assert group in text
    for name, account in example_config.accounts.items():
        assert name in page.cells and account.id in page.cells
        for role in account.roles:
            assert f"arn:aws:iam::{account.id}:role/{role}" in text
    for principal in matrix.principals:
        assert principal.arn in text and principal.label in text
    rows = [t for t in page.tags if t[0] == "tr" and "data-caps" in t[1]]
    assert len(rows) == len(matrix.principals) == 14  # 12 + the deploy roles of test and prod


def test_html_cells_show_the_evaluated_capabilities(built):
    page = parse(built[1]["access-matrix.html"])
    # data-science's listed role row: account, id, kind, role+arn, churn, credit, ECR repository, key
    start = page.cells.index("data-science")
    row = page.cells[start:start + 8]
    assert row[:3] == ["data-science", "222222222222", "development"]
    assert row[3] == "SageMakerExecutionRole arn:aws:iam::222222222222:role/SageMakerExecutionRole"
    assert row[4].split() == row[5].split() == ["register", "write", "read", "decrypt", "metadata"]
    assert row[6].split() == ["push"]
    assert row[7].split() == ["encrypt", "decrypt", "metadata"]
    start = page.cells.index("prod")
    assert page.cells[start + 4:start + 8] == ["none", "read decrypt metadata", "pull", "decrypt metadata"]


def test_html_needs_no_network(built):
    text = built[1]["access-matrix.html"]
    assert not re.search(r"https?:", text, re.IGNORECASE)
    page = parse(text)
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "base"), tag
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    assert "@import" not in text and "url(" not in text
    for call in ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "EventSource", "sendBeacon"):
        assert call not in page.script, call


def test_everything_from_the_config_is_escaped():
    evil = '<script>alert(1)</script> | *bold* `tick` & "quote"'
    text = EXAMPLE.read_text().replace("description: Credit risk scoring model", f"description: '{evil}'")
    config = config_from_text(text)
    _, files = report.build(config, PolicySet(render(config)))
    html = files["access-matrix.html"]
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = parse(html)
    assert page.errors == []
    assert evil in " ".join(page.text) or any(evil == attrs.get("title") for _, attrs in page.tags)
    md = files["access-matrix.md"]
    assert "<script>" not in md
    assert r'\<script\>alert(1)\</script\> \| \*bold\* \`tick\` &amp; "quote"' in md
