"""Malformed rendered policies and manifests (issue 12): report, explain and
lint refuse them with one line and exit 2 (lint may instead report
invalid-structure findings, exit 1), never a traceback; a manifest path that
leaves the directory is refused by all three with the same rule."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator.cli import main

from .hostile import BASE, assert_one_line

GROUP_POLICY = "shared-services/policies/model-package-group-credit-risk.json"
ROLE_POLICY = "test/policies/iam-role-SageMakerExecutionRole.json"
ROLE = "arn:aws:iam::444444444444:role/SageMakerExecutionRole"
GROUP = "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/credit-risk"


@pytest.fixture()
def rendered(tmp_path):
    config = tmp_path / "accounts.yaml"
    config.write_text(BASE)
    out = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 0
    return config, out


def commands(config: Path, out: Path, tmp_path: Path) -> dict[str, list[str]]:
    return {
        "report": ["report", "--config", str(config), "--policies", str(out), "--out", str(tmp_path / "report")],
        "explain": ["explain", "--config", str(config), "--policies", str(out), "--principal", ROLE,
                    "--action", "sagemaker:DescribeModelPackageGroup", "--resource", GROUP],
        "lint": ["lint", "--config", str(config), "--policies", str(out)],
    }


def _first_statement(doc: dict) -> dict:
    return doc["Statement"][0]


def mutate_statement(change):
    def apply(doc):
        change(_first_statement(doc))
        return doc
    return apply


SHAPES = [
    ("unknown operator", mutate_statement(lambda s: s.__setitem__("Condition", {"StringEqualz": {"aws:PrincipalOrgID": "o-x"}}))),
    ("unsupported operator", mutate_statement(lambda s: s.__setitem__("Condition", {"NumericLessThan": {"s3:max-keys": "10"}}))),
    ("Action is a number", mutate_statement(lambda s: s.__setitem__("Action", 5))),
    ("Condition is a list", mutate_statement(lambda s: s.__setitem__("Condition", [{"Bool": {"aws:SecureTransport": "true"}}]))),
    ("document is a list", lambda doc: [doc]),
    ("document is a string", lambda doc: "policy"),
    ("Principal AWS is a mapping", mutate_statement(lambda s: s.__setitem__("Principal", {"AWS": {"arn": "x"}}))),
    ("Resource is a mapping", mutate_statement(lambda s: s.__setitem__("Resource", {"arn": "x"}))),
    ("Statement is a string", lambda doc: {**doc, "Statement": "all"}),
    ("statement is a number", lambda doc: {**doc, "Statement": [7]}),
    ("Condition values are a mapping", mutate_statement(lambda s: s.__setitem__("Condition", {"StringEquals": {"aws:PrincipalOrgID": {"a": 1}}}))),
    ("Principal is a list", mutate_statement(lambda s: s.__setitem__("Principal", ["arn:aws:iam::1:root"]))),
    ("Effect missing", mutate_statement(lambda s: s.pop("Effect"))),
    ("Action and NotAction", mutate_statement(lambda s: s.__setitem__("NotAction", "iam:*"))),
]


@pytest.mark.parametrize("command", ["report", "explain", "lint"])
@pytest.mark.parametrize("change", [s[1] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_malformed_policy_shapes(rendered, tmp_path, capsys, command, change):
    config, out = rendered
    path = out / GROUP_POLICY
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    capsys.readouterr()
    code = main(commands(config, out, tmp_path)[command])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    if command == "lint":
        assert code in (1, 2), captured
        if code == 2:
            assert_one_line(captured.err)
        else:
            assert "lint: " in captured.out and " errors" in captured.out
    else:
        assert code == 2, captured
        assert_one_line(captured.err, GROUP_POLICY)


def _manifest(out: Path, change) -> None:
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


FILE_CASES = [
    ("non-UTF-8 policy", lambda out: (out / GROUP_POLICY).write_bytes(b'{"Version": "\xff\xfe"}'), "UTF-8"),
    ("100k-deep JSON", lambda out: (out / GROUP_POLICY).write_text("[" * 100_000 + "]" * 100_000), "nested"),
    ("directory as policy", lambda out: ((out / GROUP_POLICY).unlink(), (out / GROUP_POLICY).mkdir()), "not a regular file"),
    ("manifest path ../secret.json", lambda out: _manifest(out, lambda m: m["policies"][0].__setitem__("path", "../secret.json")),
     "leaves the output directory"),
    ("absolute manifest path", lambda out: _manifest(out, lambda m: m["policies"][0].__setitem__("path", str(out.parent / "secret.json"))),
     "absolute"),
    ("manifest target is a number", lambda out: _manifest(out, lambda m: m["policies"][0].__setitem__("target", 5)), "target"),
    ("manifest is a list", lambda out: (out / "manifest.json").write_text("[]"), "manifest.json"),
    ("manifest not UTF-8", lambda out: (out / "manifest.json").write_bytes(b"\xff"), "manifest.json"),
    ("manifest deep", lambda out: (out / "manifest.json").write_text("[" * 100_000), "manifest.json"),
    ("policy missing", lambda out: (out / GROUP_POLICY).unlink(), "not found"),
    # issue 30: a second "Statement" was read as the last one; AWS's reading may differ
    ("two Statement keys", lambda out: _duplicate(out / GROUP_POLICY, '{"Statement": [], '),
     f"{GROUP_POLICY}: duplicate key 'Statement'"),
    ("two Effect keys in a statement", lambda out: _duplicate(out / GROUP_POLICY, None),
     f"{GROUP_POLICY}: duplicate key 'Effect'"),
    ("two policies keys in the manifest", lambda out: _duplicate(out / "manifest.json", '{"policies": [], '),
     "manifest.json: duplicate key 'policies'"),
]


def _duplicate(path: Path, prefix: str | None) -> None:
    text = path.read_text()
    if prefix is None:  # a second Effect inside the first statement
        text = text.replace('"Effect": "Allow"', '"Effect": "Deny", "Effect": "Allow"', 1)
        assert '"Effect": "Deny", "Effect"' in text
    else:
        assert text.startswith("{")
        text = prefix + text[1:]
    path.write_text(text)


@pytest.mark.parametrize("command", ["report", "explain", "lint"])
@pytest.mark.parametrize("case", [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_unreadable_inputs_one_line_exit_2(rendered, tmp_path, capsys, command, case):
    config, out = rendered
    (tmp_path / "secret.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": []}))
    change, fragment = case
    change(out)
    capsys.readouterr()
    code = main(commands(config, out, tmp_path)[command])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    if command == "lint" and code == 1:  # lint may report a missing file as a finding
        assert fragment in ("not found",), captured
        return
    assert code == 2, captured
    assert_one_line(captured.err, fragment)


def test_symlinked_policy_file_is_not_read(rendered, tmp_path, capsys):
    config, out = rendered
    secret = tmp_path / "secret.json"
    secret.write_text((out / GROUP_POLICY).read_text())
    (out / GROUP_POLICY).unlink()
    os.symlink(secret, out / GROUP_POLICY)
    for command, argv in commands(config, out, tmp_path).items():
        capsys.readouterr()
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 2, (command, captured)
        assert_one_line(captured.err, "symbolic link")
