"""Commands that write one file (schema --out, status --out, lint --output)
refuse the config, a directory and any existing file they did not write
(issue 30: `status --out accounts.yaml` and `schema --out accounts.yaml`
replaced the config silently). One line, exit 2, the file untouched and, for
status, no AWS call."""

from __future__ import annotations

import shutil

import pytest

from generator import schema
from generator.cli import main

from .hostile import assert_one_line
from .test_workflow import FIXTURE, aws, register, run, server  # noqa: F401  (fixtures)


@pytest.fixture()
def config_copy(tmp_path):
    path = tmp_path / "accounts.yaml"
    shutil.copyfile(FIXTURE, path)
    return path


# --- schema --------------------------------------------------------------------------
def test_schema_refuses_the_config(config_copy, capsys):
    before = config_copy.read_bytes()
    assert main(["schema", "--out", str(config_copy)]) == 2
    assert_one_line(capsys.readouterr().err, "was not written by mrpolicy")
    assert config_copy.read_bytes() == before


def test_schema_refuses_a_directory(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    assert main(["schema", "--out", str(tmp_path / "d")]) == 2
    assert_one_line(capsys.readouterr().err, "is a directory")


def test_schema_refuses_a_foreign_file(tmp_path, capsys):
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": true}\n')
    assert main(["schema", "--out", str(notes)]) == 2
    assert_one_line(capsys.readouterr().err, f"--out {notes} exists and was not written by mrpolicy schema")
    assert notes.read_text() == '{"mine": true}\n'


def test_schema_refuses_a_link(tmp_path, capsys):
    target = tmp_path / "elsewhere.json"
    target.write_text(schema.text())
    (tmp_path / "link.json").symlink_to(target)
    assert main(["schema", "--out", str(tmp_path / "link.json")]) == 2
    assert_one_line(capsys.readouterr().err, "symbolic link")


def test_schema_still_replaces_its_own_file(tmp_path, capsys):
    out = tmp_path / "schema.json"
    out.write_text(schema.text().replace("Input of the SageMaker", "Input of an older SageMaker", 1))
    assert out.read_text() != schema.text()
    assert main(["schema", "--out", str(out)]) == 0, capsys.readouterr().err
    assert out.read_text() == schema.text()


# --- status --------------------------------------------------------------------------
def test_status_refuses_the_config_before_any_call(aws, capsys, config_copy):
    before = config_copy.read_bytes()
    code, _, err = run(aws, capsys, "status", "--out", str(config_copy), config=config_copy)
    assert code == 2
    assert_one_line(err, "is the config file")
    assert config_copy.read_bytes() == before
    assert aws.api.calls == []


def test_status_refuses_a_directory(aws, capsys, tmp_path):
    code, _, err = run(aws, capsys, "status", "--out", str(tmp_path))
    assert code == 2
    assert_one_line(err, "is a directory")


@pytest.mark.parametrize("fmt", ["table", "json", "md", "html"])
def test_status_refuses_a_foreign_file(aws, capsys, tmp_path, fmt):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    code, _, err = run(aws, capsys, "status", "--format", fmt, "--out", str(notes))
    assert code == 2
    assert_one_line(err, "exists and was not written by mrpolicy status")
    assert notes.read_text() == "my notes\n"
    assert aws.api.calls == []


@pytest.mark.parametrize("fmt", ["table", "json", "md", "html"])
def test_status_replaces_its_own_file(aws, capsys, tmp_path, fmt):
    register(aws, count=1)
    target = tmp_path / f"status.{fmt}"
    assert run(aws, capsys, "status", "--format", fmt, "--out", str(target))[0] == 0
    register(aws, count=1)
    code, _, err = run(aws, capsys, "status", "--format", fmt, "--out", str(target))
    assert code == 0, err


# --- lint --output -------------------------------------------------------------------
def test_lint_output_refuses_the_config(config_copy, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", "--config", str(config_copy), "--out", str(out)]) == 0
    before = config_copy.read_bytes()
    capsys.readouterr()
    code = main(["lint", "--config", str(config_copy), "--policies", str(out), "--output", str(config_copy)])
    assert code == 2
    assert_one_line(capsys.readouterr().err, "is the config file")
    assert config_copy.read_bytes() == before


def test_lint_output_refuses_a_foreign_file_and_replaces_its_own(config_copy, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", "--config", str(config_copy), "--out", str(out)]) == 0
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    lint = ["lint", "--config", str(config_copy), "--policies", str(out), "--output"]
    capsys.readouterr()
    assert main(lint + [str(notes)]) == 2
    assert_one_line(capsys.readouterr().err, "exists and was not written by mrpolicy lint")
    assert notes.read_text() == "my notes\n"
    for fmt in ("text", "sarif"):
        target = tmp_path / f"lint.{fmt}"
        assert main(lint + [str(target), "--format", fmt]) == 0
        assert main(lint + [str(target), "--format", fmt]) == 0, capsys.readouterr().err


# --- report --out and modules --out (directories of named files) ----------------------
@pytest.fixture()
def rendered(config_copy, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", "--config", str(config_copy), "--out", str(out)]) == 0
    capsys.readouterr()
    return ["report", "--config", str(config_copy), "--policies", str(out), "--out"]


@pytest.mark.parametrize("name", ["access-matrix.md", "access-matrix.html"])
def test_report_refuses_a_foreign_file_of_its_name(rendered, tmp_path, capsys, name):
    report_dir = tmp_path / "docs"
    report_dir.mkdir()
    (report_dir / name).write_text("my own matrix\n")
    assert main(rendered + [str(report_dir)]) == 2
    assert_one_line(capsys.readouterr().err, "exists and was not written by mrpolicy report")
    assert (report_dir / name).read_text() == "my own matrix\n"
    assert sorted(p.name for p in report_dir.iterdir()) == [name], "nothing else written"


@pytest.mark.parametrize("kind", ["directory", "link"])
def test_report_refuses_a_directory_or_a_link_of_its_name(rendered, tmp_path, capsys, kind):
    report_dir = tmp_path / "docs"
    report_dir.mkdir()
    target = tmp_path / "elsewhere.md"
    target.write_text("kept\n")
    if kind == "directory":
        (report_dir / "access-matrix.md").mkdir()
    else:
        (report_dir / "access-matrix.md").symlink_to(target)
    assert main(rendered + [str(report_dir)]) == 2
    assert_one_line(capsys.readouterr().err, "symbolic link" if kind == "link" else "is a directory")
    assert target.read_text() == "kept\n"
    assert not (report_dir / "access-matrix.html").exists()


def test_report_refuses_the_config(rendered, config_copy, capsys):
    before = config_copy.read_bytes()
    assert main(rendered + [str(config_copy)]) == 2
    assert_one_line(capsys.readouterr().err, "is the config file")
    assert config_copy.read_bytes() == before


def test_report_replaces_its_own_files(rendered, tmp_path, capsys):
    report_dir = tmp_path / "docs"
    assert main(rendered + [str(report_dir)]) == 0
    page = report_dir / "access-matrix.md"
    page.write_text(page.read_text().replace("who can do what", "who could do what", 1))
    assert main(rendered + [str(report_dir)]) == 0, capsys.readouterr().err
    assert "who could do what" not in page.read_text()


def test_modules_refuses_a_file_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "modules"
    (out / "model-registry").mkdir(parents=True)
    mine = out / "model-registry" / "main.tf"
    mine.write_text("# my own module\n")
    assert main(["modules", "--out", str(out)]) == 2
    assert_one_line(capsys.readouterr().err, "was not written by mrpolicy modules")
    assert mine.read_text() == "# my own module\n"
    assert [p.name for p in out.rglob("*") if p.is_file()] == ["main.tf"], "nothing else written"


def test_modules_refuses_a_file_edited_since_it_wrote_it(tmp_path, capsys):
    out = tmp_path / "modules"
    assert main(["modules", "--out", str(out)]) == 0
    edited = out / "model-registry" / "main.tf"
    edited.write_text(edited.read_text() + "# a local change\n")
    capsys.readouterr()
    assert main(["modules", "--out", str(out)]) == 2
    assert_one_line(capsys.readouterr().err, "was not written by mrpolicy modules")
    assert edited.read_text().endswith("# a local change\n")


@pytest.mark.parametrize("kind", ["config", "link", "directory"])
def test_modules_refuses_the_config_a_link_and_a_directory(tmp_path, capsys, config_copy, kind):
    out = tmp_path / "modules"
    if kind == "config":
        before = config_copy.read_bytes()
        assert main(["modules", "--out", str(config_copy)]) == 2
        assert_one_line(capsys.readouterr().err, "is a file, not a directory")
        assert config_copy.read_bytes() == before
        return
    (out / "model-registry").mkdir(parents=True)
    if kind == "link":
        (out / "model-registry" / "main.tf").symlink_to(config_copy)
    else:
        (out / "model-registry" / "main.tf").mkdir()
    before = config_copy.read_bytes()
    assert main(["modules", "--out", str(out)]) == 2
    assert_one_line(capsys.readouterr().err, "symbolic link" if kind == "link" else "is a directory")
    assert config_copy.read_bytes() == before


def test_modules_replaces_what_it_wrote_and_keeps_an_identical_copy(tmp_path, capsys):
    from generator import resources

    out = tmp_path / "modules"
    # an identical copy (the project's own terraform/modules) is not foreign
    shutil.copytree(resources.modules_dir(), out)
    assert main(["modules", "--out", str(out)]) == 0, capsys.readouterr().err
    assert main(["modules", "--out", str(out)]) == 0, capsys.readouterr().err
