"""The README is a short front door, and every link in the docs resolves.

README.md says what the tool is, the two commands, how to map an
organization and install the command, and links one page per topic in
docs/. This file keeps it that way:

- README.md stays at most 15 KB;
- every relative link in README.md and docs/**/*.md (not docs/report/,
  which `make render` writes, though it may be a link's target) names a
  file that exists, and its `#anchor` names a heading of the target as
  GitHub computes heading anchors (same-file `#anchor` links included);
- every page docs/*.md is linked from README.md.

External links (http, https, mailto, any URL scheme) are not followed.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_BYTES = 15 * 1024
GENERATED = "report"  # docs/report/: written by `make render`, checked as a target only

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line outside fenced code blocks."""
    lines, fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0] * len(match.group(1))
            continue
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= {fence[0]}:
                fence = None
            continue
        lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text as rendered, lowercased,
    every character but letters, digits, `_`, `-` and spaces dropped, and
    each space a `-` (runs of spaces are not collapsed)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file; a repeated one gets -1, -2, ..."""
    seen: dict[str, int] = {}
    found = set()
    for _, line in _prose_lines(path.read_text(encoding="utf-8")):
        match = ATX_HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[tuple[int, str]]:
    """(line, target) of every inline link and link definition, outside code."""
    prose = _prose_lines(path.read_text(encoding="utf-8"))
    found = []
    # Code spans may run over a line break but never over a blank line:
    # blank code spans out paragraph by paragraph, keeping line numbers.
    paragraphs: list[list[tuple[int, str]]] = [[]]
    for number, line in prose:
        if line.strip():
            paragraphs[-1].append((number, line))
        else:
            paragraphs.append([])
    for paragraph in paragraphs:
        if not paragraph:
            continue
        first = paragraph[0][0]
        text = "\n".join(line for _, line in paragraph)
        text = CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", "x", m.group(0)), text)
        for offset, line in enumerate(text.split("\n")):
            number = paragraph[offset][0] if offset < len(paragraph) else first + offset
            found += [(number, m.group(1)) for m in INLINE_LINK.finditer(line)]
            definition = LINK_DEFINITION.match(line)
            if definition:
                found.append((number, definition.group(1)))
    return found


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """One message per relative link of `path` that does not resolve."""
    problems = []
    for number, target in links(path):
        if SCHEME.match(target):
            continue  # http(s), mailto: not followed
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / unquote(file_part)).resolve() if file_part else path.resolve()
        where = f"{path.relative_to(root)}:{number}: ({target})"
        if not resolved.is_relative_to(root.resolve()):
            problems.append(f"{where} points outside the repository")
        elif not resolved.exists():
            problems.append(f"{where}: {file_part} does not exist")
        elif anchor and resolved.suffix == ".md" and unquote(anchor) not in anchors(resolved):
            problems.append(f"{where}: no heading with anchor #{anchor} in {resolved.relative_to(root.resolve())}")
    return problems


def markdown_files() -> list[Path]:
    pages = [README]
    for page in sorted(DOCS.rglob("*.md")):
        if page.relative_to(DOCS).parts[0] != GENERATED:
            pages.append(page)
    return pages


def test_readme_is_a_front_door_of_at_most_15_kb():
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, (
        f"README.md is {size:,} bytes, over {README_MAX_BYTES:,}: move the detail to a page in docs/ and link it"
    )


def test_the_two_commands_are_in_the_readme():
    text = README.read_text(encoding="utf-8")
    assert "make render" in text and "make test" in text


@pytest.mark.parametrize("page", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path):
    problems = broken_links(page)
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_every_docs_page_is_linked_from_the_readme():
    linked = set()
    for _, target in links(README):
        file_part = target.partition("#")[0]
        if file_part and not SCHEME.match(target):
            linked.add((README.parent / unquote(file_part)).resolve())
    missing = [page.name for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked]
    assert missing == [], f"docs pages not linked from README.md: {missing}"


# The checker itself: it must fail on what it is there to catch.

@pytest.mark.parametrize("heading, anchor", [
    ("accounts.yaml reference", "accountsyaml-reference"),
    ("Inference images (`ecr_repositories:`)", "inference-images-ecr_repositories"),
    ("Scaling: 500 accounts and 10,000 model groups", "scaling-500-accounts-and-10000-model-groups"),
    ("`status` over 10,000 groups × 10 versions", "status-over-10000-groups--10-versions"),
    ('How the tests reach "AWS"', "how-the-tests-reach-aws"),
    ("Many groups in one account: the compact form", "many-groups-in-one-account-the-compact-form"),
    ("What each party may do, and why", "what-each-party-may-do-and-why"),
    ("`deploy-role-trust`", "deploy-role-trust"),
    ("Deploying: Terraform, account by account", "deploying-terraform-account-by-account"),
])
def test_slug_is_githubs(heading, anchor):
    assert slug(heading) == anchor


def test_the_checker_reports_each_kind_of_broken_link(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## Same\n\n## Same\n", encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Page\n\n"
        "[ok](other.md) [ok](other.md#other-page) [ok](other.md#same-1) [ok](#page) [ok](https://example.com/x)\n"
        "[missing file](nothere.md) [missing anchor](other.md#nope) [third same](other.md#same-2)\n"
        "[same file](#no-such-heading) [outside](../../../etc/passwd)\n\n"
        "`[in code](nothere.md)`\n\n```\n[in a fence](nothere.md)\n```\n",
        encoding="utf-8",
    )
    problems = broken_links(page, root=tmp_path)
    assert [p.split(" (")[1].split(")")[0] for p in problems] == [
        "nothere.md", "other.md#nope", "other.md#same-2", "#no-such-heading", "../../../etc/passwd",
    ]
