"""`mrpolicy plan` (issue 31): after render, what to deploy since the
committed render, in order: the registry's root, then `mrpolicy apply` for
the groups whose policy changed, then the other roots, the guardrails' root
last; removed roots apart. Against git HEAD (untracked files included) or a
--base directory. Run on a throw-away git repository holding the example."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from generator.cli import main

from .conftest import EXAMPLE
from .hostile import assert_one_line


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(repo), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A user's repository: the example rendered and committed."""
    (tmp_path / "accounts.yaml").write_text(EXAMPLE.read_text())
    monkeypatch.chdir(tmp_path)
    assert main(["render"]) == 0
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "render")
    return tmp_path


def plan(capsys, *args):
    code = main(["plan", "--format", "json", *args])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


def test_nothing_changed_nothing_to_deploy(repo, capsys):
    code, result, _ = plan(capsys)
    assert code == 0 and result["steps"] == [] and result["removed_roots"] == []
    assert main(["plan"]) == 0
    assert "nothing to deploy" in capsys.readouterr().out


def test_a_new_consumer_needs_the_group_policy_applied_and_its_root_but_not_the_registry_root(repo, capsys):
    # test also consumes churn-predictor now: its group policy and test's identity policy change
    text = (repo / "accounts.yaml").read_text()
    assert text.count("consumers: [test]") == 1
    (repo / "accounts.yaml").write_text(text.replace("consumers: [test]", "consumers: [test, prod]"))
    capsys.readouterr()
    assert main(["render"]) == 0
    capsys.readouterr()
    code, result, _ = plan(capsys)
    assert code == 0
    actions = [(s["action"], s.get("root", "").rsplit("/", 1)[-1] or tuple(s.get("groups", ()))) for s in result["steps"]]
    assert ("mrpolicy apply", ("churn-predictor",)) in actions
    assert ("terraform apply", "prod") in actions
    # the group policy is the helper's (terraform.group_policies: apply): no registry root step for it alone
    registry = [s for s in result["steps"] if s.get("root", "").endswith("/shared-services")]
    assert all("policies/model-package-group-churn-predictor.json" not in s["files"] for s in registry)
    # order: the registry root (if any) first, the groups before the other roots, the guardrails' root last
    kinds = [s["action"] for s in result["steps"]]
    assert kinds.index("mrpolicy apply") < kinds.index("terraform apply", kinds.index("mrpolicy apply"))
    roots = [s["root"].rsplit("/", 1)[-1] for s in result["steps"] if s["action"] == "terraform apply"]
    if "shared-services" in roots:
        assert roots[0] == "shared-services"
    if "organization" in roots:
        assert roots[-1] == "organization"
    [apply_step] = [s for s in result["steps"] if s["action"] == "mrpolicy apply"]
    assert apply_step["command"] == ["mrpolicy", "apply", "--config", "accounts.yaml", "--group", "churn-predictor"]


def test_a_changed_description_needs_only_the_registry_root(repo, capsys):
    text = (repo / "accounts.yaml").read_text()
    (repo / "accounts.yaml").write_text(text.replace("description: Credit risk scoring model",
                                                     "description: Credit risk scoring, v2"))
    assert main(["render"]) == 0
    capsys.readouterr()
    code, result, _ = plan(capsys)
    assert [(s["action"], s["root"].rsplit("/", 1)[-1]) for s in result["steps"]] == [("terraform apply", "shared-services")]
    assert result["steps"][0]["files"] == ["main.tf"]


def test_a_removed_root_is_listed_apart_and_not_applied(repo, capsys):
    text = (repo / "accounts.yaml").read_text()
    (repo / "accounts.yaml").write_text(text.replace("consumers: [test, prod]", "consumers: [test]"))
    assert main(["render"]) == 0
    capsys.readouterr()
    code, result, _ = plan(capsys)
    assert result["removed_roots"] == ["terraform/accounts/prod"]
    assert all(not s.get("root", "").endswith("/prod") for s in result["steps"])


def test_against_a_base_directory_without_git(tmp_path, capsys, monkeypatch):
    (tmp_path / "accounts.yaml").write_text(EXAMPLE.read_text())
    monkeypatch.chdir(tmp_path)
    assert main(["render"]) == 0
    shutil.copytree(tmp_path / "terraform" / "accounts", tmp_path / "before")
    text = (tmp_path / "accounts.yaml").read_text()
    (tmp_path / "accounts.yaml").write_text(text.replace("description: Credit risk scoring model",
                                                         "description: Credit risk scoring, v2"))
    assert main(["render"]) == 0
    capsys.readouterr()
    code, result, _ = plan(capsys, "--base", "before")
    assert code == 0 and result["against"] == "before"
    assert [s["root"] for s in result["steps"]] == ["terraform/accounts/shared-services"]
    # outside git and without --base: one line, exit 2
    code, _, err = plan(capsys)
    assert code == 2
    assert_one_line(err, "pass --base DIR")
