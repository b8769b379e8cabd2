"""The scalable matrix (generator/report/engine.py) gives exactly the answers
of evaluating every row, column and request one by one.

The engine skips rows a group's registry policies do not name and reuses a
decision for requests of the same shape; each of these configurations, and
hand-edited policies built to defeat both shortcuts, must give the same
matrix as the exhaustive evaluation.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.synth import build as synth
from generator import limits, render
from generator.config import config_from_text
from generator.analysis.policyset import PolicySet
from generator.report.matrix import column_scope, evaluate, evaluate_exhaustive
from tests.slowed import slowed, until_the_first_is_done

from .kindkit import tiny_limit
from .conftest import EXAMPLE

GOOD = EXAMPLE.read_text()
AP = GOOD.replace("  kms_key_alias: alias/ml-model-artifacts\n",
                  "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n")
AP_PREFIX = AP.replace("  s3_layout: access_points\n", "  s3_layout: access_points\n  access_point_prefix: mr-\n")
STAGED = GOOD.replace(
    "accounts:\n",
    'accounts:\n  model-risk:      {id: "777777777777", kind: governance, roles: [ModelRiskApprover]}\n', 1,
).replace("    consumers: [test, prod]\n", "    consumers: [test, prod]\n    approvers: [governance]\n", 1) + """
stages:
  - name: Development
    approvers: [governance]
  - name: Test
  - name: Prod
    approvers: [model-risk]
"""
# Another partition and region, with stages and access points behind a prefix.
GOV_STAGED_AP = STAGED.replace("partition: aws\n", "partition: aws-us-gov\n").replace(
    "region: us-east-1", "region: us-gov-west-1").replace(
    "  kms_key_alias: alias/ml-model-artifacts\n",
    "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n  access_point_prefix: mr-\n")
SSO = GOOD.replace("roles: [SageMakerExecutionRole]}\n  deployment",
                   'roles: [SageMakerExecutionRole, "aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*"]}'
                   "\n  deployment")


def files_of(text: str, tiny: bool = False) -> tuple[object, dict[str, str]]:
    config = config_from_text(text)
    saved = dict(limits.LIMITS)
    if tiny:
        for kind, limit in saved.items():
            limits.LIMITS[kind] = tiny_limit(kind, limit)
    try:
        policies = render.build_policies(config)
    finally:
        limits.LIMITS.update(saved)
    files = {p.path: p.text for p in policies}
    files["manifest.json"] = render.to_json({"policies": [p.manifest_entry() for p in policies]})
    return config, files


def granted(matrix) -> dict:
    """(granted, expected) of every cell, stored or not."""
    return {(p, column, c.name): (matrix.cells[(p, column, c.name)].granted, matrix.cells[(p, column, c.name)].expected)
            for p in matrix.principals for column in matrix.columns for c in matrix.capabilities(column)}


def same(config, files) -> None:
    policies = PolicySet(files)
    fast = evaluate(config, policies)
    reference = evaluate_exhaustive(config, PolicySet(files))
    assert granted(fast) == reference
    # Not a vacuous comparison: something is granted and expected in every
    # kind of column the config has (groups, repositories, the key).
    kinds = {column_scope(column) for (_, column, _), (g, e) in reference.items() if g and e}
    assert kinds == {"group", "key"} | ({"repository"} if config.ecr_repositories else set())


@pytest.mark.parametrize("text,tiny", [(GOOD, False), (AP, False), (GOOD, True), (AP, True), (SSO, False),
                                       (AP.replace("organization_id: o-a1b2c3d4e5\n", ""), False),
                                       (STAGED, False), (STAGED, True), (AP_PREFIX, False),
                                       (GOV_STAGED_AP, False)],
                         ids=["bucket", "access-points", "compact", "access-points+compact", "sso", "no-org",
                              "stages", "stages+compact", "access-point-prefix", "gov-partition"])
def test_engine_equals_exhaustive_evaluation(text, tiny):
    same(*files_of(text, tiny))


@pytest.mark.parametrize("stages", [False, True], ids=["unstaged", "stages"])
def test_engine_equals_exhaustive_evaluation_on_a_synthetic_organization(stages):
    same(*files_of(synth(14, 24, stages=stages)))


def _tamper(files: dict[str, str], path: str, edit) -> dict[str, str]:
    files = dict(files)
    doc = json.loads(files[path])
    edit(doc)
    files[path] = json.dumps(doc)
    return files


GP = "shared-services/policies/model-package-group-credit-risk.json"
AP_CR = "shared-services/policies/s3-access-point-credit-risk.json"
BUCKET = "shared-services/policies/s3-bucket-policy.json"
PROD = "prod/policies/iam-role-SageMakerExecutionRole.json"


def _allow(principal, role, actions, resource, sid="T"):
    return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, "Resource": resource,
            "Condition": {"ArnLike": {"aws:PrincipalArn": role}}}


TAMPERED = {
    # a wildcard that reaches into a group name: only credit-risk-like names match
    "partial-name-wildcard": (AP, BUCKET, lambda d: d["Statement"].append(_allow(
        "arn:aws:iam::555555555555:root", "arn:aws:iam::555555555555:role/*", ["s3:PutObject"],
        "arn:aws:s3:::acme-ml-model-artifacts/credit-*")), None),
    # the bucket delegates to "mr-*"; a hand-added Deny on "mr-credit*" must not be read as "mr-*"
    # (it takes write away from credit-risk's developers, and from no other group's)
    "partial-access-point-prefix": (AP_PREFIX, BUCKET, lambda d: d["Statement"].append(
        {"Sid": "NoCredit", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::acme-ml-model-artifacts/*",
         "Condition": {"ArnLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-east-1:111111111111:accesspoint/mr-credit*"}}}),
        None),
    "question-mark": (GOOD, GP, lambda d: d["Statement"].append(_allow(
        "arn:aws:iam::444444444444:root", "arn:aws:iam::444444444444:role/SageMakerExecutionRole",
        ["sagemaker:UpdateModelPackage"], "arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-ris?/*")),
        (PROD, lambda d: d["Statement"].append({"Effect": "Allow", "Action": "*", "Resource": "*"}))),
    "ignore-case": (AP, AP_CR, lambda d: d["Statement"].append({**_allow(
        "arn:aws:iam::999999999999:root", "arn:aws:iam::999999999999:role/X", ["s3:GetObject"],
        "arn:aws:s3:us-east-1:111111111111:accesspoint/credit-risk/object/*"),
        "Condition": {"StringEqualsIgnoreCase": {"aws:PrincipalArn": "ARN:AWS:IAM::999999999999:ROLE/X"}}}), None),
    "other-groups-prefix-through-this-access-point": (AP, AP_CR, lambda d: d["Statement"].append(_allow(
        "arn:aws:iam::555555555555:root", "arn:aws:iam::555555555555:role/SageMakerExecutionRole", ["s3:GetObject"],
        "arn:aws:s3:us-east-1:111111111111:accesspoint/credit-risk/object/*")), None),
    "identity-wildcard-everything": (AP, PROD, lambda d: d["Statement"].append(
        {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}), None),
    "root-principal-any-role": (GOOD, GP, lambda d: d["Statement"].append(
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
         "Action": "sagemaker:DescribeModelPackageGroup",
         "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/credit-risk"}), None),
    # Principal "*" narrowed to one account's roles by aws:PrincipalArn: the
    # engine looks only at that account's rows (and still checks the pattern)
    "star-narrowed-by-principal-arn": (GOOD, GP, lambda d: d["Statement"].append(
        {"Sid": "Star", "Effect": "Allow", "Principal": "*", "Action": "sagemaker:DescribeModelPackageGroup",
         "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/credit-risk",
         "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::555555555555:role/Sage*",
                                                        "arn:aws:iam::444444444444:role/Nobody"]}}}), None),
    # the deploy capability's own-account requests (decided from the deploy
    # role's identity policy alone): a Deny in its account takes deploy away
    # from prod's deploy role, and a missing CreateEndpoint Allow from test's
    "deploy-role-own-account-deny": (GOOD, "prod/policies/deploy-role-ModelDeployRole.json", lambda d: d["Statement"].append(
        {"Sid": "NoEndpoints", "Effect": "Deny", "Action": "sagemaker:CreateEndpoint",
         "Resource": "arn:aws:sagemaker:us-east-1:555555555555:endpoint/credit-risk-*"}),
        ("test/policies/deploy-role-ModelDeployRole.json", lambda d: [
            s.update(Action=[a for a in s["Action"] if a != "sagemaker:CreateEndpoint"]) for s in d["Statement"]])),
    "registry-role-named": (GOOD, GP, lambda d: d["Statement"].append(
        {"Sid": "Reg", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/UnlistedRole"},
         "Action": "sagemaker:UpdateModelPackage",
         "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-risk/*"}), None),
}


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_engine_equals_exhaustive_evaluation_on_hand_edited_policies(name):
    text, path, edit, second = TAMPERED[name]
    config, files = files_of(text)
    files = _tamper(files, path, edit)
    if second:
        files = _tamper(files, *second)
    same(config, files)


def test_large_organizations_get_the_compact_report():
    """Past LARGE_GROUPS groups: one line per group (md) and one table row per
    (group, principal) with access (html), evidence for differences only."""
    from generator import report
    from generator.report.matrix import LARGE_GROUPS

    from generator.arns import Arns

    config, files = files_of(synth(12, LARGE_GROUPS + 5))
    files = dict(files)
    path = next(p for p in files if p.endswith("model-package-group-model-00001.json"))
    doc = json.loads(files[path])
    doc["Statement"].append({"Sid": "Peek", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                             "Action": "sagemaker:DescribeModelPackageGroup",
                             "Resource": Arns.of(config).group_arn("model-00001")})
    files[path] = json.dumps(doc)
    matrix, out = report.build(config, PolicySet(files))
    assert matrix.large
    md, page = out["access-matrix.md"], out["access-matrix.html"]
    assert "## Access by model group" in md and "## Matrix" not in md and "## Why" not in md
    section = md.split("## Access by model group")[1].split("## Legend")[0]
    assert section.count("\n- **model-") == LARGE_GROUPS + 5
    assert "<th>Column</th>" in page and "<script" not in page
    [difference] = matrix.differences
    assert difference.principal.account_id == "999999999999" and difference.capability == "metadata"
    assert "Peek" in difference.why()
    assert "- EXTRA (not in accounts.yaml) / ModelDeployPipelineRole (arn:aws:iam::999999999999:role/" in md
    # The one extra cell is marked where it is, and only there: the words and
    # the principals' cells are escaped once and reused for every column.
    [line] = [l for l in section.splitlines() if l.startswith("- **model-00001**")]
    assert section.count("**extra: metadata**") == 1 and "**extra: metadata**" in line
    [marked] = [part for part in line.split("; ") if "**extra: metadata**" in part]
    assert "(not in accounts.yaml) / ModelDeployPipelineRole: " in marked and section.count("metadata") > 1
    [row] = [r for r in page.splitlines() if "999999999999" in r and r.startswith("<tr><td>")]
    who = difference.principal
    assert row == (f"<tr><td>model-00001</td><td>{who.account}</td><td>999999999999</td><td>{who.kind}</td>"
                   f'<td>{who.role}</td><td><span class="extra">extra: metadata</span></td></tr>')
    assert page.count('<span class="extra">') == 1 and page.count("<td>metadata") > 1
    assert report.build(config, PolicySet(files))[1] == out


@pytest.mark.parametrize("stages", [False, True], ids=["unstaged", "stages"])
def test_the_two_process_report_equals_the_one_process_report(stages):
    """evaluate(parallel=True) evaluates the last groups and the repository
    columns in a forked process: the same cells, stored in the same order, so the same
    Markdown and HTML."""
    import multiprocessing

    from generator.report import html, markdown

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs fork")
    config, files = files_of(synth(14, 24, stages=stages))
    one = evaluate(config, PolicySet(files), parallel=False)
    two = evaluate(config, PolicySet(files), parallel=True)
    assert granted(one) == granted(two)
    assert [c.column for c in one.stored()] == [c.column for c in two.stored()]
    assert markdown.render(one) == markdown.render(two) and html.render(one) == html.render(two)
    assert any(g for g, _ in granted(one).values())


def test_explain_reads_while_it_loads_the_config_and_answers_the_same(tmp_path, capsys, monkeypatch):
    """explain begins reading as the report does: with a second reading
    process the same answer (a request and a capability); a bad config or a
    bad principal is still reported first, over bad policies, and the
    second process is stopped."""
    import multiprocessing

    from generator.analysis import policyfile
    from generator.cli import main

    if not _forks():
        pytest.skip("needs fork")
    config, files = files_of(synth(14, 24))
    out = tmp_path / "out"
    _written(out, files)
    good = tmp_path / "accounts.yaml"
    good.write_text(synth(14, 24))
    group = sorted(config.model_groups)[3]
    developer = next(a for a in config.accounts.values() if a.kind == "development")
    principal = f"arn:aws:iam::{developer.id}:role/SageMakerExecutionRole"
    from generator.arns import Arns

    version = Arns.of(config).package_arns(group).replace("/*", "/1")
    asks = [["--principal", principal, "--action", "sagemaker:DescribeModelPackage", "--resource", version],
            ["--principal", principal, "--can", "read", "--group", group]]
    answers = {}
    for limit in (10**9, 2):  # one reading process, then two
        monkeypatch.setattr(policyfile, "PARALLEL_READ_FROM", limit)
        for number, ask in enumerate(asks):
            code = main(["explain", "--config", str(good), "--policies", str(out), *ask])
            answers.setdefault(number, []).append((code, capsys.readouterr()))
    assert all(one == two for one, two in answers.values())
    assert [answers[n][0][0] for n in (0, 1)] == [0, 0]  # answered, and allowed
    assert answers[0][0][1].out.startswith("ALLOW") and answers[1][0][1].out.startswith("YES")
    manifest = json.loads(files["manifest.json"])["policies"]
    first_group = next(e["path"] for e in manifest if e["kind"] == "model_package_group_policy")
    (out / first_group).write_text(files[first_group].replace('"Effect": "Allow"', '"Effect": "Perhaps"', 1))
    bad = tmp_path / "bad.yaml"
    bad.write_text(synth(14, 24).replace("kind: governance", "kind: auditor", 1))
    assert main(["explain", "--config", str(bad), "--policies", str(out), *asks[0]]) == 2
    assert "kind" in capsys.readouterr().err
    assert main(["explain", "--config", str(good), "--policies", str(out), "--principal", "nobody/Role",
                 "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"]) == 2
    assert "nobody" in capsys.readouterr().err
    assert main(["explain", "--config", str(good), "--policies", str(out), *asks[0]]) == 2
    assert first_group in capsys.readouterr().err
    assert not multiprocessing.active_children()


def test_columns_and_differences_are_in_the_order_of_every_stored_cell():
    """Matrix.by_column and Matrix.differences group and sort the cells
    themselves (sorting every cell of a large organization took seconds):
    the same lists as taking them from stored(), whatever order the cells
    were stored in, with differences of both kinds."""
    import random

    from generator.report.matrix import Cells

    config, files = files_of(synth(14, 24))
    matrix = evaluate(config, PolicySet(files), parallel=False)
    items = list(matrix.cells.items())
    for _, cell in items[::7]:
        cell.expected = not cell.expected  # an extra cell
    for _, cell in items[3::11]:
        cell.granted, cell.expected = False, True  # a missing one
    random.Random(5).shuffle(items)
    shuffled = Cells(matrix.cells.resolver)
    shuffled.update(items)
    matrix.cells = shuffled
    grouped: dict = {c: {} for c in matrix.columns}
    for cell in matrix.stored():
        grouped[cell.column].setdefault(cell.principal, []).append(cell)
    assert matrix.by_column() == [(column, list(grouped[column].items())) for column in matrix.columns]
    assert matrix.differences == [c for c in matrix.stored() if c.difference]
    assert {c.difference for c in matrix.differences} == {"extra", "missing"}


def _die(*_):
    import os

    os._exit(9)  # as if the kernel had killed the second process


def test_a_second_report_process_that_dies_is_made_up_for(monkeypatch):
    import multiprocessing

    from generator.report import matrix as matrix_module

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs fork")
    config, files = files_of(synth(14, 24))
    one = evaluate(config, PolicySet(files), parallel=False)
    monkeypatch.setattr(matrix_module, "_second_share", _die)
    assert granted(evaluate(config, PolicySet(files), parallel=True)) == granted(one)


def _claims_then_dies(engine, expect, columns, claims):
    import os

    for _ in range(3):
        claims.front()  # taken, and never sent back
    os._exit(9)


def test_the_report_process_takes_the_columns_a_slow_or_dead_second_process_has_not(monkeypatch):
    """The two processes take columns from either end until they meet
    (forked.Claims): with a second process that starts late, this one
    evaluates every column itself; with one that dies after taking three
    columns, those three are evaluated here. The same matrix each time."""
    import multiprocessing

    from generator.report import matrix as matrix_module

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs fork")
    config, files = files_of(synth(14, 24))
    one = granted(evaluate(config, PolicySet(files), parallel=False))
    here: list[str] = []
    column_cells = matrix_module._column_cells

    def counted(engine, expect, column):
        here.append(column)  # this process's list: the second process appends to its own copy
        return column_cells(engine, expect, column)

    second_share = matrix_module._second_share
    monkeypatch.setattr(matrix_module, "_column_cells", counted)
    monkeypatch.setattr(matrix_module, "_second_share", until_the_first_is_done(second_share))
    assert granted(evaluate(config, PolicySet(files), parallel=True)) == one
    columns = sorted(config.model_groups) + [f"ECR {n}" for n in sorted(config.ecr_repositories)]
    assert sorted(here) == sorted(columns)
    here.clear()
    # The progress bar counts the columns of both processes, to its total.
    ticks: list[int] = []

    def bar(iterable, total):
        for item in iterable:
            ticks.append(total)
            yield item

    monkeypatch.setattr(matrix_module, "_second_share", second_share)
    assert granted(evaluate(config, PolicySet(files), parallel=True, progress=bar)) == one
    assert len(ticks) == len(columns) and set(ticks) == {len(columns)}
    here.clear()
    monkeypatch.setattr(matrix_module, "_second_share", _claims_then_dies)
    assert granted(evaluate(config, PolicySet(files), parallel=True)) == one
    assert sorted(here) == sorted(columns)


_PRINCIPAL_VALUES = st.sampled_from([
    "arn:aws:iam::111111111111:role/Dev", "arn:aws:iam::111111111111:role/*", "arn:aws:iam::222222222222:role/Dev",
    "arn:aws:iam::*:role/Dev", "arn:aws:iam::11111111111?:role/Dev", "arn:aws:iam::111111111111:*",
    "arn:aws:*::111111111111:role/Dev", "arn:aws:iam::111111111111", "111111111111", "222222222222", "*",
    "arn:aws:iam::111111111111:role/a/*/Dev*", "${aws:PrincipalAccount}", "arn:aws:iam::111111111111:role/dev",
])


@settings(max_examples=500, deadline=None)
@given(operator=st.sampled_from(["ArnLike", "ArnEquals", "StringEquals", "StringLike", "StringNotLike",
                                 "ArnNotLike", "StringEqualsIgnoreCase", "StringLikeIfExists", "ForAnyValue:ArnLike"]),
       key=st.sampled_from(["aws:PrincipalArn", "aws:principalarn", "aws:PrincipalAccount", "AWS:PRINCIPALACCOUNT"]),
       values=st.one_of(_PRINCIPAL_VALUES, st.lists(st.one_of(_PRINCIPAL_VALUES, st.booleans()), max_size=4)),
       arn=st.sampled_from(["arn:aws:iam::111111111111:role/Dev", "arn:aws:iam::222222222222:role/Dev",
                            "arn:aws:iam::111111111111:role/a/b/Dev1", "arn:aws:iam::111111111112:role/Dev"]))
def test_the_indexed_principal_condition_answers_as_condition_holds(operator, key, values, arn):
    """principal_check (patterns indexed by their literal account; the
    engine's rows, generator/analysis/principals.py) gives condition_holds's
    answer for every operator, key spelling, value and role."""
    from generator.analysis.evaluate import condition_holds
    from generator.analysis.principals import principal_check

    context = {"aws:PrincipalArn": arn, "aws:PrincipalAccount": arn.split(":")[4]}
    assert principal_check(operator, key, values)(arn) == condition_holds(operator, key, values, context)


@settings(max_examples=400, deadline=None)
@given(group=st.sampled_from(["m", "model-1", "model-1-ap", "a-b", "1", "a.b"]),
       point=st.sampled_from([None, "model-1-ap", "mr-m", "m"]),
       prefix=st.sampled_from(["", "mr-"]),
       value=st.lists(st.sampled_from(["m", "model-1", "model-1-ap", "mr-m", "a-b", "a.b", "1", "/", "-", ":", "*", "x",
                                       "\x00", "é"]), max_size=8).map("".join))
def test_a_canon_replaces_whole_runs_only(group, point, prefix, value):
    """Canon.replace changes exactly the whole runs of name characters that
    are the group's or its access point's names (the placeholder rule of
    generator/analysis/shapes.py)."""
    import re

    from generator.analysis.shapes import Canon

    canon = Canon(group, point, prefix)
    expected = re.sub(r"[A-Za-z0-9\-]+", lambda m: canon.names.get(m.group(0), m.group(0)), value)
    assert canon.replace(value) == expected


def _stars_reference(value: str, prefix: str) -> bool:
    """The rule of shapes._stars_between_separators, character by character."""
    names = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-\x00")
    for i, c in enumerate(value):
        if c != "*":
            continue
        before = value[i - 1] if i else ""
        after = value[i + 1] if i + 1 < len(value) else ""
        if after and after in names:
            return False
        if before and before in names:
            start = i
            while start and value[start - 1] in names:
                start -= 1
            if not prefix or value[start:i] != prefix:
                return False
    return True


@settings(max_examples=400, deadline=None)
@given(prefix=st.sampled_from(["", "mr-"]),
       value=st.lists(st.sampled_from(["*", "/", "mr-", "m", "-", ":", "\x00", "x/", "**"]), max_size=8).map("".join))
def test_stars_between_separators_keeps_its_rule(prefix, value):
    """A * that may match part of a name makes a column be evaluated request
    by request (Unsafe); the scan from star to star keeps the rule."""
    from generator.analysis.shapes import _stars_between_separators

    assert _stars_between_separators(value, prefix) == _stars_reference(value, prefix)


NAMED_BY_CONDITIONS = (GOOD, GP, lambda d: d["Statement"].extend([
    {"Sid": "Like", "Effect": "Allow", "Principal": "*", "Action": "sagemaker:DescribeModelPackageGroup",
     "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/credit-risk",
     "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::666666666666:role/Auditor*"}}},
    {"Sid": "Account", "Effect": "Allow", "Principal": "*", "Action": "sagemaker:DescribeModelPackageGroup",
     "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/credit-risk",
     "Condition": {"StringEquals": {"AWS:PrincipalAccount": "777777777777"}}}]), None)


@pytest.mark.parametrize("name", ["synthetic", "named-by-conditions", *sorted(TAMPERED)])
def test_who_the_policies_name_is_the_same_noted_while_reading_as_read_again(name, tmp_path):
    """The report notes who the registry-side policies name while it reads
    them (PrincipalParts, given to PolicySet.from_dir); the rows are those
    of reading every statement again, hand-added principals included."""
    from generator.arns import Arns
    from generator.report.matrix import registry_statements
    from generator.report.principals import PrincipalParts, principals

    if name == "synthetic":
        config, files = files_of(synth(14, 24))
    else:
        text, path, edit, second = NAMED_BY_CONDITIONS if name == "named-by-conditions" else TAMPERED[name]
        config, files = files_of(text)
        files = _tamper(files, path, edit)
        if second:
            files = _tamper(files, *second)
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    parts = PrincipalParts()
    noted = PolicySet.from_dir(tmp_path, visitor=parts, parallel=False)
    arns = Arns.of(config)
    rows = principals(config, arns, parts.take())
    assert rows == principals(config, arns, registry_statements(PolicySet.from_dir(tmp_path)))
    assert parts.take() == []  # handed over once
    if _forks():  # read by two processes: the second one's notes come back
        parts = PrincipalParts()
        PolicySet.from_dir(tmp_path, visitor=parts, parallel=True)
        assert principals(config, arns, parts.take()) == rows
    if name == "star-narrowed-by-principal-arn":  # roles named only by a hand-added statement's condition
        assert {(p.account_id, p.role) for p in rows if not p.listed} >= {
            ("444444444444", "Nobody (not in accounts.yaml)"), ("555555555555", "Sage* (not in accounts.yaml)")}
    if name == "named-by-conditions":
        assert {(p.account_id, p.role) for p in rows if not p.listed} >= {
            ("666666666666", "Auditor* (not in accounts.yaml)"), ("777777777777", "any role")}
    assert noted.manifest == PolicySet.from_dir(tmp_path).manifest


def _forks() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _written(tmp_path, files: dict) -> None:
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)


@pytest.mark.parametrize("share", [0.5, 0.6, 0.01, 0.99])
def test_two_reading_processes_give_the_same_documents(tmp_path, share):
    """read_policies(parallel=True) reads the later half of the per-group
    documents in a forked process (Reading(share=...): another part of
    them): the same documents, in the same order."""
    from generator.analysis.policyfile import Reading, read_policies
    from generator.analysis.evaluate import evaluates
    from generator.analysis.policyset import _kept

    if not _forks():
        pytest.skip("needs fork")
    _written(tmp_path, files_of(synth(14, 24))[1])
    one = read_policies(tmp_path, evaluates, keep=_kept, parallel=False)
    reading = Reading(tmp_path, evaluates, keep=_kept, parallel=True, share=share)
    refused = sum(not _kept(e["kind"]) for e in {e["path"]: e for e in one[0]}.values())
    assert reading.pending is not None and 0 < len(reading.theirs) < refused
    assert abs(len(reading.theirs) - share * refused) <= 1
    two = reading.finish()
    assert list(one[1]) == list(two[1]) and one == two
    assert sum(isinstance(d, bytes) for d in two[1].values()) > 24  # the per-group kinds, compressed


def test_the_report_reads_while_it_loads_the_config_and_still_reports_the_config_first(tmp_path, capsys, monkeypatch):
    """The report begins reading the policies (a second process for a large
    render) before it loads accounts.yaml; a bad config, or a bad flag, is
    still what it reports, with policies that are bad too, and the second
    process is stopped, not left reading."""
    import multiprocessing

    from generator.analysis import policyfile
    from generator.cli import main

    if not _forks():
        pytest.skip("needs fork")
    monkeypatch.setattr(policyfile, "PARALLEL_READ_FROM", 2)
    started = []
    real = policyfile.Reading.__init__

    def noting(self, *args, **kwargs):
        real(self, *args, **kwargs)
        started.append(self.pending)

    monkeypatch.setattr(policyfile.Reading, "__init__", noting)
    config, files = files_of(synth(14, 24))
    manifest = json.loads(files["manifest.json"])["policies"]
    first_group = next(e["path"] for e in manifest if e["kind"] == "model_package_group_policy")
    files[first_group] = files[first_group].replace('"Effect": "Allow"', '"Effect": "Perhaps"', 1)
    out = tmp_path / "out"
    _written(out, files)
    good = tmp_path / "accounts.yaml"
    good.write_text(synth(14, 24))
    bad = tmp_path / "bad.yaml"
    bad.write_text(synth(14, 24).replace("kind: governance", "kind: auditor", 1))
    assert main(["report", "--config", str(bad), "--policies", str(out), "--out", str(tmp_path / "r")]) == 2
    assert "kind" in capsys.readouterr().err
    assert main(["report", "--config", str(bad), "--policies", str(tmp_path / "nothing"),
                 "--out", str(tmp_path / "r")]) == 2
    assert "kind" in capsys.readouterr().err  # not the missing manifest
    assert main(["report", "--config", str(good), "--policies", str(out), "--out", str(tmp_path / "r"),
                 "--group", "no-such-group"]) == 2
    assert "--group: 'no-such-group'" in capsys.readouterr().err
    assert main(["report", "--config", str(good), "--policies", str(out), "--out", str(tmp_path / "r")]) == 2
    assert first_group in capsys.readouterr().err
    assert len(started) == 4 and sum(p is not None for p in started) == 3  # a second process each time it could
    assert not multiprocessing.active_children()  # each stopped or joined
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("where", ["first-group-policy", "last-group-policy", "last-identity-policy", "two",
                                   "identity-and-group"])
def test_two_reading_processes_refuse_the_first_bad_file_in_manifest_order(tmp_path, where, monkeypatch):
    """A refused file is the first in manifest order, whichever process read
    it; and a second process that dies is made up for."""
    from generator.analysis.evaluate import evaluates
    from generator.analysis.policyfile import PolicyInputError, read_policies
    from generator.analysis.policyset import _kept

    if not _forks():
        pytest.skip("needs fork")
    config, files = files_of(synth(14, 24))
    manifest = json.loads(files["manifest.json"])["policies"]
    groups = [e["path"] for e in manifest if e["kind"] == "model_package_group_policy"]
    identity = [e["path"] for e in manifest if e["kind"] == "iam_role_policy"]
    bad = {"first-group-policy": [groups[0]], "last-group-policy": [groups[-1]],
           "last-identity-policy": [identity[-1]], "two": [groups[-1], groups[1]],
           "identity-and-group": [identity[-1], groups[-1]]}[where]
    for path in bad:
        files[path] = files[path].replace('"Effect": "Allow"', '"Effect": "Perhaps"', 1)
    _written(tmp_path, files)
    messages = []
    for parallel in (False, True):
        with pytest.raises(PolicyInputError) as caught:
            read_policies(tmp_path, evaluates, keep=_kept, parallel=parallel)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    first = min(bad, key=[e["path"] for e in manifest].index)
    assert first in messages[0]
    from generator.analysis import policyfile

    monkeypatch.setattr(policyfile, "_read_claimed", _die_in_child(policyfile._read_claimed))
    with pytest.raises(PolicyInputError) as caught:
        read_policies(tmp_path, evaluates, keep=_kept, parallel=True)
    assert str(caught.value) == messages[0]


def _claims_three_then_dies(out, share, evaluable, keep, visitor, claims, refused):
    import os

    for _ in range(3):
        claims.front()  # taken, and never read
    os._exit(9)


def test_this_process_reads_what_a_slow_or_dead_second_reading_process_has_not(tmp_path, monkeypatch):
    """Its own part read, the first process takes the second one's share from
    the end until they meet (forked.Claims): with a second process that
    starts late it reads every document itself, and the first bad file in
    manifest order is still the one refused (here one early in the second
    process's share, with a later one that the first process meets first);
    with a second process that dies after taking three documents, those are
    read here. The same documents as one process each time."""
    from generator.analysis import policyfile
    from generator.analysis.evaluate import evaluates
    from generator.analysis.policyfile import PolicyInputError, Reading, read_policies
    from generator.analysis.policyset import _kept

    if not _forks():
        pytest.skip("needs fork")
    config, files = files_of(synth(14, 24))
    _written(tmp_path, files)
    one = read_policies(tmp_path, evaluates, keep=_kept, parallel=False)
    here: list[str] = []
    read_one = policyfile._read_one

    def counted(out, tree, entry, *args):
        here.append(entry["path"])  # this process's list: the second process appends to its own copy
        return read_one(out, tree, entry, *args)

    monkeypatch.setattr(policyfile, "_read_one", counted)
    monkeypatch.setattr(policyfile, "_read_claimed", slowed(policyfile._read_claimed, 1.0))
    reading = Reading(tmp_path, evaluates, keep=_kept, parallel=True, share=0.6)
    theirs = [e["path"] for _, e in reading.theirs]
    assert reading.finish() == one and set(theirs) <= set(here)
    bad = [theirs[1], theirs[-1]]
    for path in bad:
        (tmp_path / path).write_text(files[path].replace('"Effect": "Allow"', '"Effect": "Perhaps"', 1))
    with pytest.raises(PolicyInputError) as alone:
        read_policies(tmp_path, evaluates, keep=_kept, parallel=False)
    assert bad[0] in str(alone.value)
    with pytest.raises(PolicyInputError) as caught:
        Reading(tmp_path, evaluates, keep=_kept, parallel=True, share=0.6).finish()
    assert str(caught.value) == str(alone.value)
    for path in bad:
        (tmp_path / path).write_text(files[path])
    here.clear()
    monkeypatch.setattr(policyfile, "_read_claimed", _claims_three_then_dies)
    assert Reading(tmp_path, evaluates, keep=_kept, parallel=True, share=0.6).finish() == one
    assert set(theirs) <= set(here)


def _die_in_child(read_share):
    import os

    parent = os.getpid()

    def share(*args):
        if os.getpid() != parent:
            os._exit(9)  # as if the kernel had killed the second process
        return read_share(*args)
    return share


def test_a_packed_cell_comes_back_as_it_was_for_every_capability_and_row():
    """The second process sends each cell as one int (matrix._packed): every
    capability, granted or not, asked for or not, at row numbers up to far
    beyond any organization's, comes back unchanged."""
    from generator.report import matrix as matrix_module
    from generator.report.capabilities import CAPABILITIES

    for capability in {c.name for c in CAPABILITIES}:
        for index in (0, 1, 63, 1481, 2**40):
            for granted in (False, True):
                for asked in (False, True):
                    cell = (index, capability, granted, asked)
                    assert matrix_module._unpacked(matrix_module._packed(*cell)) == cell
