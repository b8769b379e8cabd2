"""The installable command: package contents, module sources, --version.

Building and installing the wheel needs the network and a minute; it is
tools/install_check.sh (a fresh venv, `pip install .`, `mrpolicy` run from
another directory), not part of the suite. These tests pin what that
relies on.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from generator import __version__, resources, terraform
from generator.cli import main
from generator.config import config_from_text
from generator.errors import ConfigError
from generator.render import render

from .conftest import EXAMPLE, MODULES, ROOT, with_terraform

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_every_generator_package_is_shipped():
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "generator").rglob("__init__.py")
    }
    missing = found - set(SETUPTOOLS["packages"])
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"


@pytest.mark.parametrize("package,directory", [
    ("generator.templates", ROOT / "templates"),
    ("generator.terraform_modules", MODULES),
    ("generator.report", ROOT / "generator" / "report"),
])
def test_every_data_file_is_package_data(package, directory):
    """A template or module file the patterns miss would be absent from the wheel."""
    assert package == "generator.report" or SETUPTOOLS["package-dir"][package] == directory.relative_to(ROOT).as_posix()
    patterns = SETUPTOOLS["package-data"][package]
    files = [p.relative_to(directory).as_posix() for p in directory.rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert files
    unshipped = [f for f in files if not any(fnmatch.fnmatchcase(f, pattern) for pattern in patterns)]
    assert not unshipped, f"{package}: {unshipped} would not be installed"


# An exact pin: NAME==VERSION, NAME[EXTRA]==VERSION.
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[A-Za-z0-9,._-]+\])?==([0-9][0-9A-Za-z.+!-]*)$")


def _names(requirements: list[str]) -> list[str]:
    return [re.sub(r"[-_.]+", "-", _PIN.match(r)[1]).lower() for r in requirements]


def test_dependencies_are_exact_pins_and_the_test_extra_is_apart():
    """`pip install .` gets the command's run-time packages and `.[test]` adds
    the tests' and checks' tools: every one pinned exactly, none in both
    lists (a pin in both could differ, and pip would pick one)."""
    runtime = PYPROJECT["project"]["dependencies"]
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(extras) == {"test", "sandbox"}
    loose = [r for r in runtime + extras["test"] + extras["sandbox"] if not _PIN.match(r)]
    assert not loose, f"pin exactly (NAME==VERSION): {loose}"
    for requirements in (runtime, extras["test"]):
        assert len(set(_names(requirements))) == len(requirements), f"listed twice: {requirements}"
    both = set(_names(runtime)) & set(_names(extras["test"]))
    assert not both, f"{sorted(both)}: a run-time dependency, not in the test extra"


def test_the_sandbox_extra_is_the_tests_moto_and_not_a_runtime_dependency():
    """`pip install '.[sandbox]'` adds moto's server, exactly as the tests pin
    it (the tests run the sandbox's server); a plain install does not."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert [r.split("==")[0] for r in extras["sandbox"]] == ["moto[server]"]
    assert set(extras["sandbox"]) <= set(extras["test"])
    assert "moto" not in _names(PYPROJECT["project"]["dependencies"])


def test_make_installs_the_test_extra_from_pyproject():
    """.venv is (re)built from pyproject.toml, editable, with the test extra."""
    rule = re.search(r"^\$\(STAMP\):(.*)\n((?:#.*\n|\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert rule and "pyproject.toml" in rule[1].split()
    assert "$(PIP) -e '.[test]'" in rule[2]
    assert not (ROOT / "requirements.txt").exists()


def test_console_command_and_version():
    assert PYPROJECT["project"]["scripts"]["mrpolicy"] == "generator.cli:run"
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'mrpolicy'; "
                           "from generator.cli import run; run()", "--version"],
                          cwd="/", env={"PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == f"mrpolicy {__version__}\n", proc.stderr


def test_data_is_found_from_the_package_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (resources.templates_dir() / "registry.main.tf.j2").is_file()
    assert (resources.modules_dir() / "registry-access" / "main.tf").is_file()
    assert main(["render", "--config", str(EXAMPLE), "--out", "out"]) == 0


# --- module source ---------------------------------------------------------------

def _sources(files: dict[str, str]) -> set[str]:
    return {line.split("=", 1)[1].strip() for path, text in files.items() if path.endswith("/main.tf")
            for line in text.splitlines() if line.strip().startswith("source ")}


def test_default_module_source_is_beside_the_output():
    assert _sources(render(config_from_text(EXAMPLE.read_text()))) == {
        '"../../modules/model-registry"', '"../../modules/registry-access"', '"../../modules/deploy-role"',
        '"../../modules/organization-guardrails"', '"../../modules/registry-events"', '"../../modules/event-bus"'}


@pytest.mark.parametrize("source,expected", [
    ("../../../infra/modules", '"../../../infra/modules/registry-access"'),
    ("git::https://example.com/org/mr.git//terraform/modules?ref=v0.1.0",
     '"git::https://example.com/org/mr.git//terraform/modules/registry-access?ref=v0.1.0"'),
])
def test_module_source_is_configurable(source, expected):
    files = render(config_from_text(with_terraform(EXAMPLE.read_text(), f"module_source: '{source}'")))
    assert expected in _sources(files)
    assert terraform.module_source(source, "registry-access") == expected.strip('"')


@pytest.mark.parametrize("bad", ["../modules/", 'x" ; y', "a b", "${var.x}"])
def test_bad_module_source_is_a_config_error(bad):
    with pytest.raises(ConfigError) as error:
        config_from_text(with_terraform(EXAMPLE.read_text(), f"module_source: '{bad}'"))
    assert error.value.key == "terraform.module_source"


def test_render_elsewhere_warns_until_the_modules_are_written(tmp_path, capsys):
    out = tmp_path / "infra" / "accounts"
    assert main(["render", "--config", str(EXAMPLE), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and f"modules --out {tmp_path / 'infra' / 'modules'}" in err
    assert main(["modules", "--out", str(tmp_path / "infra" / "modules")]) == 0
    written = {p.relative_to(tmp_path / "infra" / "modules").as_posix() for p in (tmp_path / "infra" / "modules").rglob("*.tf")}
    assert written == {p.relative_to(MODULES).as_posix() for p in MODULES.rglob("*.tf")}
    capsys.readouterr()
    assert main(["render", "--config", str(EXAMPLE), "--out", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err
    for root in (p for p in out.iterdir() if p.is_dir()):
        for source in _sources({f"{root.name}/main.tf": (root / "main.tf").read_text()}):
            assert (root / source.strip('"')).is_dir()


def test_render_says_loudly_when_an_account_root_is_removed(tmp_path, capsys):
    out = tmp_path / "accounts"
    assert main(["render", "--config", str(EXAMPLE), "--out", str(out)]) == 0
    (out / "prod" / ".terraform").mkdir()  # it was initialised: see tests/test_removed_roots.py for the rest
    smaller = tmp_path / "accounts.yaml"
    smaller.write_text(EXAMPLE.read_text().replace("consumers: [test, prod]", "consumers: [test]"))
    capsys.readouterr()
    assert main(["render", "--config", str(smaller), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "WARNING: the account 'prod' no longer has a Terraform root" in err
    assert f"terraform -chdir={out / 'prod'} destroy" in err
    assert not (out / "prod" / "main.tf").exists() and (out / "prod" / ".terraform").is_dir()


def test_pre_commit_hooks_run_real_commands():
    import shlex

    import yaml

    from generator.cli import build_parser

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {hook["id"] for hook in hooks} == {"mrpolicy-render-check", "mrpolicy-lint"}
    for hook in hooks:
        command, *args = shlex.split(hook["entry"])
        assert command == "mrpolicy" and hook["language"] == "python" and hook["pass_filenames"] is False
        build_parser("mrpolicy").parse_args(args)  # exits on an unknown subcommand or flag
