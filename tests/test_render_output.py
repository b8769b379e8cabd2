"""The rendered example: golden files, determinism, manifest, writer."""

from __future__ import annotations

import json
import re
from pathlib import Path

from generator import render, writer
from generator.cli import main
from generator.config import load_config

from .conftest import EXAMPLE, EXAMPLE_OUT, ROOT

COMMITTED = EXAMPLE_OUT


def test_committed_example_matches_a_fresh_render(example_files):
    """Golden files: the example's terraform/accounts/ is the reviewed output. After a
    policy change run `make render` and review the diff."""
    plan = writer.diff(COMMITTED, example_files)
    assert not plan.written and not plan.removed, (
        f"{COMMITTED} is stale (run `make render`): changed={plan.written} removed={plan.removed}"
    )


def test_render_is_byte_identical_across_runs(example_files):
    again = render.render(load_config(EXAMPLE))
    assert again == example_files


def test_second_render_writes_nothing(tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert main(["render", "--config", str(EXAMPLE), "--out", str(out)]) == 0
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert main(["render", "--config", str(EXAMPLE), "--out", str(out)]) == 0
    assert "0 written" in [line for line in capsys.readouterr().out.splitlines() if line.startswith("rendered ")][-1]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps


def test_writer_removes_what_the_config_no_longer_renders_and_keeps_foreign_files(tmp_path: Path):
    out = tmp_path / "out"
    files = render.render(load_config(EXAMPLE))
    writer.write(out, files)
    (out / "notes.txt").write_text("mine")
    fewer = {k: v for k, v in files.items() if "churn-predictor" not in k}
    result = writer.write(out, fewer)
    assert result.removed == ["shared-services/policies/model-package-group-churn-predictor.json"]
    assert (out / "notes.txt").read_text() == "mine"


def policy_files(files: dict[str, str]) -> dict[str, str]:
    """Every policy document; event rules (a pattern and targets, not a policy) are not."""
    return {path: text for path, text in files.items()
            if writer.owned(path, (writer.POLICY_FILES,)) and "/policies/event-rule-" not in path}


def test_manifest_lists_every_policy_once_with_its_target(example_files):
    manifest = json.loads(example_files["manifest.json"])["policies"]
    paths = [e["path"] for e in manifest]
    assert sorted(paths) == sorted(p for p in example_files if writer.owned(p, (writer.POLICY_FILES,)))
    assert len(set(paths)) == len(paths)
    kinds = {(e["kind"], e["target"]) for e in manifest}
    assert ("s3_bucket_policy", "arn:aws:s3:::acme-ml-model-artifacts") in kinds
    assert ("kms_key_policy", "arn:aws:kms:us-east-1:111111111111:alias/ml-model-artifacts") in kinds
    assert ("model_package_group_policy",
            "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/credit-risk") in kinds
    assert ("iam_role_policy", "arn:aws:iam::555555555555:role/SageMakerExecutionRole") in kinds
    for entry in manifest:
        assert set(entry) >= {"account", "account_id", "kind", "target", "path"}
        assert entry["path"].startswith(f"{entry['account']}/policies/")


def test_policies_are_complete_documents_without_placeholders(example_files):
    for path, text in policy_files(example_files).items():
        doc = json.loads(text)
        assert doc["Version"] == "2012-10-17"
        assert doc["Statement"]
        # IAM's own policy variables (the deploy role's group tag) are no placeholders:
        # Terraform reads the files with file(), which does not interpolate
        iam_variables = re.sub(r"\$\{aws:(Request|Resource)Tag/model-registry-group\}", "", text)
        assert "${" not in iam_variables and "{{" not in text, path
        sids = [s["Sid"] for s in doc["Statement"]]
        assert len(sids) == len(set(sids)), path
        for stmt in doc["Statement"]:
            assert stmt["Action"] == sorted(stmt["Action"]), (path, stmt["Sid"])
            assert stmt["Sid"].isalnum()


def test_no_allow_names_a_whole_account_without_narrowing_it_to_roles(example_files):
    """Grants name roles: every cross-account Allow that names account
    principals also carries an aws:PrincipalArn condition."""
    for path, text in policy_files(example_files).items():
        for stmt in json.loads(text)["Statement"]:
            principals = stmt.get("Principal", {})
            if stmt["Effect"] != "Allow" or not isinstance(principals, dict):
                continue
            roots = [p for p in principals.get("AWS", []) if p.endswith(":root") and ":111111111111:" not in p]
            if roots:
                assert stmt["Condition"]["ArnLike"]["aws:PrincipalArn"], (path, stmt["Sid"])


def test_no_wildcard_actions_in_allows(example_files):
    for path, text in policy_files(example_files).items():
        for stmt in json.loads(text)["Statement"]:
            if stmt["Effect"] == "Allow":
                assert all("*" not in action for action in stmt["Action"]), (path, stmt["Sid"])


def test_group_policies_only_name_model_package_actions(example_files):
    """sagemaker:CreateModel takes the model type: it has no effect in a group policy."""
    for path, text in example_files.items():
        if "model-package-group-" in path:
            actions = {a for s in json.loads(text)["Statement"] for a in s["Action"]}
            assert "sagemaker:CreateModel" not in actions
            assert all(a.startswith("sagemaker:") for a in actions)


def test_fast_serializer_is_byte_identical_to_json_dumps(example_files):
    """render.to_json replaces json.dumps(indent=2) for speed: same bytes."""
    samples = [json.loads(text) for path, text in example_files.items() if path.endswith(".json")]
    samples += [
        {}, [], {"a": []}, {"a": {}}, {"k": [1, 2.5, True, None, "x"]}, {"é ü \u2028 \"q\" \\ \n \t": ["ß", "\x00"]},
        {"nested": [[["deep"]], {"x": {"y": []}}]}, ("tuple", "items"),
    ]
    for sample in samples:
        assert render.to_json(sample) == json.dumps(sample, indent=2, ensure_ascii=False) + "\n"
