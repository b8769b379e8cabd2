"""Fuzzing render, lint, report and explain with mutated configs and policy
files (issue 12). Whatever the input: exit 0, 1 or 2, never a traceback,
never a file outside --out, and nothing written on exit 2.

In-process for speed, derandomized (a fixed sequence of examples) so `make
test` is deterministic, and few examples so it stays fast.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import main

from .hostile import BASE, tree

FUZZ = settings(max_examples=15, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

# Fragments a careless user or an attacker might splice into a config.
SNIPPETS = st.sampled_from([
    "!!binary ZGV2", "&a [*a]", "*a", "? [a, b]", "<<: {x: 1}", "{", "[", "]", "}", ":", "- ", "\t", "\x00",
    "yes", "~", "2024-01-01", '"\\n"', '"٢٢٢"', "*e*", "aws:tag", "\b", "1e400", "0o777", "!!python/name:os.system",
    "'", '"', "#", "---", "...", "%YAML 1.1", "@", "`", "|", ">", "é", "\u202e",
])


def _mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    for position, cut, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + cut % 5:]
    return text


EDITS = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10), st.one_of(SNIPPETS, st.text(max_size=8))),
                 min_size=1, max_size=4)


def _run(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    except BaseException:  # noqa: BLE001  (any escaping exception is a traceback for the user)
        raise AssertionError(f"traceback for {argv}:\n{traceback.format_exc()}") from None
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err


@FUZZ
@given(edits=EDITS)
def test_render_of_mutated_configs(tmp_path_factory, capsys, edits):
    work = tmp_path_factory.mktemp("fuzz-render")
    config = work / "accounts.yaml"
    config.write_bytes(_mutate(BASE, edits).encode("utf-8", "surrogatepass"))
    out = work / "out"
    before = tree(work)
    code, err = _run(["render", "--config", str(config), "--out", str(out)], capsys)
    assert code in (0, 2), (code, err)
    after = tree(work)
    outside = {p for p in set(after) ^ set(before) if not p.startswith("out/")}
    assert not outside, outside
    if code == 2:
        # One line per problem (config errors are all reported at once).
        assert err and all(line.startswith("error: ") for line in err.splitlines()), err
        assert not out.exists()


@FUZZ
@given(target=st.sampled_from(["manifest.json", "shared-services/policies/model-package-group-credit-risk.json",
                               "test/policies/iam-role-SageMakerExecutionRole.json",
                               "shared-services/policies/s3-bucket-policy.json"]),
       edits=EDITS)
def test_lint_report_explain_of_mutated_policy_files(tmp_path_factory, capsys, target, edits):
    work = tmp_path_factory.mktemp("fuzz-policies")
    config = work / "accounts.yaml"
    config.write_text(BASE)
    out = work / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 0
    path = out / target
    path.write_bytes(_mutate(path.read_text(), edits).encode("utf-8", "surrogatepass"))
    capsys.readouterr()
    before = tree(work)
    report_dir = work / "report"
    for argv in (
        ["lint", "--config", str(config), "--policies", str(out)],
        ["report", "--config", str(config), "--policies", str(out), "--out", str(report_dir)],
        ["explain", "--config", str(config), "--policies", str(out),
         "--principal", "arn:aws:iam::444444444444:role/SageMakerExecutionRole",
         "--action", "sagemaker:DescribeModelPackageGroup",
         "--resource", "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/credit-risk"],
    ):
        code, err = _run(argv, capsys)
        assert code in (0, 1, 2), (argv[0], code, err)
        if code == 2:
            assert err.startswith("error: ") and err.count("\n") == 1, (argv[0], err)
            if argv[0] == "report":
                assert not report_dir.exists()
    changed = {p for p in set(tree(work)) ^ set(before)} | {p for p in before if tree(work).get(p) != before[p]}
    assert all(p.startswith("report/") for p in changed), changed


@FUZZ
@given(doc=st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
                                  st.sampled_from(["Allow", "Deny", "*", "s3:*", "sagemaker:*", "2012-10-17"])),
                        lambda children: st.one_of(
                            st.lists(children, max_size=3),
                            st.dictionaries(st.sampled_from(["Version", "Statement", "Effect", "Action", "NotAction",
                                                             "Resource", "NotResource", "Principal", "NotPrincipal",
                                                             "AWS", "Condition", "StringEquals", "Sid", "x"]),
                                            children, max_size=4)),
                        max_leaves=12))
def test_report_and_explain_on_arbitrary_json_documents(tmp_path_factory, capsys, doc):
    work = tmp_path_factory.mktemp("fuzz-docs")
    config = work / "accounts.yaml"
    config.write_text(BASE)
    out = work / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 0
    (out / "shared-services/policies/model-package-group-credit-risk.json").write_text(json.dumps(doc))
    capsys.readouterr()
    for argv in (
        ["report", "--config", str(config), "--policies", str(out), "--out", str(work / "report")],
        ["lint", "--config", str(config), "--policies", str(out)],
    ):
        code, err = _run(argv, capsys)
        assert code in (0, 1, 2), (argv[0], code, err)
