"""`render --atlantis FILE` (issue 31): an Atlantis repo config that plans
only the roots a change touches, checked against Atlantis's documented
repo-level config (https://www.runatlantis.io/docs/repo-level-atlantis-yaml,
version 3): the top-level and project keys it documents, one project per
root with a unique name, ``dir`` relative to the file, and
``autoplan.when_modified`` (relative to ``dir``) covering every file of the
root and every file of each local module it calls, and nothing of another
root."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import yaml

from generator.cli import main

from .conftest import EXAMPLE

# Atlantis's documented keys (repo-level atlantis.yaml reference).
TOP_KEYS = {"version", "automerge", "autodiscover", "delete_source_branch_on_merge", "parallel_plan",
            "parallel_apply", "abort_on_execution_order_fail", "projects", "workflows", "allowed_regexp_prefixes"}
PROJECT_KEYS = {"name", "branch", "dir", "workspace", "execution_order_group", "delete_source_branch_on_merge",
                "repo_locking", "repo_locks", "custom_policy_check", "autoplan", "terraform_version",
                "terraform_distribution", "plan_requirements", "apply_requirements", "import_requirements",
                "silence_pr_comments", "workflow", "depends_on", "policy_check"}
AUTOPLAN_KEYS = {"enabled", "when_modified"}


def _render(tmp_path, monkeypatch, capsys):
    (tmp_path / "accounts.yaml").write_text(EXAMPLE.read_text())
    monkeypatch.chdir(tmp_path)
    assert main(["render", "--atlantis", "atlantis.yaml"]) == 0
    assert main(["modules", "--out", "terraform/modules"]) == 0
    capsys.readouterr()
    return yaml.safe_load((tmp_path / "atlantis.yaml").read_text())


def _matched(project_dir: Path, patterns: list[str]) -> set[Path]:
    found = set()
    for pattern in patterns:
        found |= {Path(os.path.normpath(p)) for p in glob.glob(str(project_dir / pattern))}
    return found


def test_the_config_is_atlantis_repo_config_version_3(tmp_path, monkeypatch, capsys):
    config = _render(tmp_path, monkeypatch, capsys)
    assert config["version"] == 3 and set(config) <= TOP_KEYS
    names = [p["name"] for p in config["projects"]]
    assert len(names) == len(set(names))
    roots = sorted(p.parent.name for p in (tmp_path / "terraform" / "accounts").glob("*/main.tf"))
    assert sorted(names) == roots  # one project per root
    for project in config["projects"]:
        assert set(project) <= PROJECT_KEYS and set(project["autoplan"]) <= AUTOPLAN_KEYS
        assert project["autoplan"]["enabled"] is True
        assert not Path(project["dir"]).is_absolute() and (tmp_path / project["dir"] / "main.tf").is_file()


def test_each_project_plans_on_its_files_and_its_modules_only(tmp_path, monkeypatch, capsys):
    config = _render(tmp_path, monkeypatch, capsys)
    from generator.atlantis import local_modules

    for project in config["projects"]:
        root = tmp_path / project["dir"]
        watched = _matched(root, project["autoplan"]["when_modified"])
        own = {Path(os.path.normpath(p)) for p in root.rglob("*") if p.is_file()}
        assert own <= watched, project["name"]
        modules = local_modules((root / "main.tf").read_text())
        assert modules
        for source in modules:
            module_files = {Path(os.path.normpath(p)) for p in (root / source).glob("*.tf")}
            assert module_files and module_files <= watched, (project["name"], source)
        others = {Path(os.path.normpath(p)) for p in (tmp_path / "terraform" / "accounts").rglob("*")
                  if p.is_file() and Path(os.path.normpath(p)).parent != Path(os.path.normpath(root))
                  and Path(os.path.normpath(root)) not in Path(os.path.normpath(p)).parents}
        assert not (watched & others), project["name"]


def test_the_config_is_byte_stable_and_only_on_request(tmp_path, monkeypatch, capsys):
    _render(tmp_path, monkeypatch, capsys)
    first = (tmp_path / "atlantis.yaml").read_bytes()
    assert main(["render", "--atlantis", "atlantis.yaml"]) == 0
    assert (tmp_path / "atlantis.yaml").read_bytes() == first
    (tmp_path / "atlantis.yaml").unlink()
    assert main(["render"]) == 0
    assert not (tmp_path / "atlantis.yaml").exists()
