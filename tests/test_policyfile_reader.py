"""The one path rule for rendered files (generator.analysis.policyfile): every way a
file under --policies can be refused, with its exact message, and the same
answer whether a file is read alone (read_text) or as one of many through a
Tree, which keeps the directories it walked open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.analysis import policyfile
from generator.analysis.policyfile import PolicyInputError, Tree, read_text

POLICY = "acct/policies/a.json"


@pytest.fixture()
def out(tmp_path):
    root = tmp_path / "out"
    (root / "acct" / "policies").mkdir(parents=True)
    (root / "acct" / "policies" / "a.json").write_text('{"a": 1}')
    (root / "acct" / "policies" / "b.json").write_text('{"b": 2}')
    (root / "other").mkdir()
    (root / "other" / "c.json").write_text('{"c": 3}')
    return root


def _link_dir(out: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.json").write_text('{"secret": 1}')
    (out / "acct" / "policies" / "a.json").unlink()
    (out / "acct" / "policies" / "b.json").unlink()
    (out / "acct" / "policies").rmdir()
    os.symlink(elsewhere, out / "acct" / "policies")


def _fifo(out: Path, tmp_path: Path) -> None:
    (out / POLICY).unlink()
    os.mkfifo(out / POLICY)  # opening it for reading would block: it must be refused before


REFUSALS = [
    ("missing file", lambda out, tmp: (out / POLICY).unlink(), "{out}/acct/policies/a.json: not found (run `make render` first)"),
    ("missing directory", lambda out, tmp: os.rename(out / "acct", tmp / "moved"),
     "{out}/acct: not found (run `make render` first)"),
    ("file is a link", lambda out, tmp: ((out / POLICY).unlink(), os.symlink(out / "other" / "c.json", out / POLICY)),
     "{out}/acct/policies/a.json: is a symbolic link; rendered files are read only inside {out}, never through links"),
    ("directory is a link", _link_dir,
     "{out}/acct/policies: is a symbolic link; rendered files are read only inside {out}, never through links"),
    ("directory is a file", lambda out, tmp: ((out / "acct" / "policies" / "a.json").unlink(),
                                              (out / "acct" / "policies" / "b.json").unlink(),
                                              (out / "acct" / "policies").rmdir(),
                                              (out / "acct" / "policies").write_text("x")),
     "{out}/acct/policies: not a directory"),
    ("file is a directory", lambda out, tmp: ((out / POLICY).unlink(), (out / POLICY).mkdir()),
     "{out}/acct/policies/a.json: not a regular file"),
    ("file is a fifo", _fifo, "{out}/acct/policies/a.json: not a regular file"),
    ("not UTF-8", lambda out, tmp: (out / POLICY).write_bytes(b"\xff\xfe"), "{out}/acct/policies/a.json: not UTF-8 text"),
    ("path leaves the directory", None, "{out}/manifest.json: manifest path must stay inside the output directory"),
]


def _refused(read, out: Path, relative: str = POLICY) -> str:
    with pytest.raises(PolicyInputError) as caught:
        read(out, relative)
    return str(caught.value)


def _through_tree(out: Path, relative: str) -> str:
    with Tree(out) as tree:
        assert tree.read("other/c.json") == '{"c": 3}'  # a walk before, and one after, share nothing broken
        try:
            return tree.read(relative)
        finally:
            assert tree.read("other/c.json") == '{"c": 3}'


@pytest.mark.parametrize("read", [read_text, _through_tree], ids=["read_text", "tree"])
@pytest.mark.parametrize("case", [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS])
def test_each_refusal_is_one_exact_line(out, tmp_path, read, case):
    change, message = case
    relative = POLICY
    if change is None:
        relative = "acct/../../secret.json"
    else:
        change(out, tmp_path)
    got = _refused(read, out, relative)
    expected = message.format(out=out)
    if change is None:
        assert got.startswith(f"{out}/manifest.json: ") and "leaves the output directory" in got, got
    else:
        assert got == expected


def _tree_alone(out: Path, relative: str) -> str:
    with Tree(out) as tree:
        return tree.read(relative)


@pytest.mark.parametrize("read", [read_text, _tree_alone], ids=["read_text", "tree"])
def test_larger_than_the_limit_is_refused(out, monkeypatch, read):
    monkeypatch.setattr(policyfile, "MAX_FILE_BYTES", 4)
    assert _refused(read, out) == f"{out}/acct/policies/a.json: larger than 0 MiB"


def test_a_tree_reads_what_read_text_reads(out):
    (out / "other" / "empty.json").write_text("")
    (out / "other" / "large.json").write_text("x" * 300_000)
    paths = [POLICY, "acct/policies/b.json", "other/c.json", POLICY, "other/empty.json", "other/large.json"]
    with Tree(out) as tree:
        assert [tree.read(p) for p in paths] == [(out / p).read_text() for p in paths]
    assert [read_text(out, p) for p in paths] == [(out / p).read_text() for p in paths]


def test_a_directory_swapped_for_a_link_after_the_walk_is_not_followed(out, tmp_path):
    """The Tree holds the directory it walked: replacing that directory by a
    link to elsewhere afterwards cannot make it read elsewhere's file."""
    with Tree(out) as tree:
        assert tree.read(POLICY) == '{"a": 1}'
        os.rename(out / "acct" / "policies", tmp_path / "old-policies")
        _elsewhere = tmp_path / "elsewhere"
        _elsewhere.mkdir()
        (_elsewhere / "b.json").write_text('{"secret": 1}')
        os.symlink(_elsewhere, out / "acct" / "policies")
        assert tree.read("acct/policies/b.json") != '{"secret": 1}'


def test_many_directories_do_not_run_out_of_file_descriptors(tmp_path):
    """A Tree keeps only a few directories open, however many it reads from
    (500 accounts each have their own directory)."""
    import resource

    root = tmp_path / "out"
    for i in range(300):
        (root / f"a{i}" / "policies").mkdir(parents=True)
        (root / f"a{i}" / "policies" / "p.json").write_text(str(i))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(200, hard), hard))
    try:
        with Tree(root) as tree:
            assert [tree.read(f"a{i}/policies/p.json") for i in range(300)] == [str(i) for i in range(300)]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_closed_tree_leaves_no_descriptor_open(out):
    before = len(os.listdir("/proc/self/fd"))
    with Tree(out) as tree:
        tree.read(POLICY)
        tree.read("other/c.json")
    assert len(os.listdir("/proc/self/fd")) == before
