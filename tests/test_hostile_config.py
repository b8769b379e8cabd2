"""Hostile accounts.yaml files (issue 12): tags, alias bombs, depth, size,
complex keys and field validation holes. Each is refused quickly with one
line naming the key, exit 2, and nothing written."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from generator.cli import main
from generator.config import config_from_text

from .hostile import BASE, assert_one_line, edit, run_cli

ATTACKER = '  !!binary ZGF0YS1zY2llbmNl: {id: "777777777777", kind: development, roles: [Evil]}\n'

LOL = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)

YAML_CASES = [
    # (name, text, fragment of the error)
    ("binary key beside its plain twin", edit("  deployment:", ATTACKER + "  deployment:"),
     "accounts.ZGF0YS1zY2llbmNl: the YAML tag !!binary is not allowed"),
    ("binary key alone", edit("  deployment:", ATTACKER.replace("ZGF0YS1zY2llbmNl", "ZXZpbA==") + "  deployment:"),
     "!!binary is not allowed"),
    ("python tag", BASE + "x: !!python/object:os.system [ls]\n", "x: the YAML tag !!python/object:os.system is not allowed"),
    ("custom local tag", edit("description: Customer churn predictor", "description: !secret churn"),
     "model_groups.churn-predictor.description: the YAML tag !secret is not allowed"),
    ("set tag", BASE + "x: !!set {a: null}\n", "!!set is not allowed"),
    ("quoted twin key", edit("  deployment:", '  "data-science": {id: "777777777777", kind: development, roles: [Evil]}\n  deployment:'),
     "accounts.data-science: duplicate key (first defined on line 12)"),
    ("str-tagged twin key", edit("  deployment:", '  !!str data-science: {id: "777777777777", kind: development, roles: [Evil]}\n  deployment:'),
     "accounts.data-science: duplicate key"),
    ("merge key", BASE + "base: &b {x: 1}\nother: {<<: *b, x: 2}\n", "other.<<: merge keys"),
    ("unquoted timestamp", edit("description: Customer churn predictor", "description: 2024-01-01"),
     "model_groups.churn-predictor.description: YAML reads 2024-01-01 as a timestamp; quote it"),
    ("yes as a key", edit("  governance:", '  yes: {id: "777777777777", kind: governance, roles: [X]}\n  governance:'),
     "accounts.yes: YAML reads the key yes as the boolean true; quote it"),
    ("number as a key", edit("  governance:", '  12: {id: "777777777777", kind: governance, roles: [X]}\n  governance:'),
     "accounts.12: YAML reads the key 12 as the integer 12; quote it"),
    ("null key", edit("  governance:", '  ~: {id: "777777777777", kind: governance, roles: [X]}\n  governance:'),
     "accounts.~: YAML reads the key ~ as null"),
    ("complex key", BASE + "? [a, b]\n: 1\n", "mapping keys must be plain strings"),
    ("mapping as key", BASE + "? {a: b}\n: 1\n", "mapping keys must be plain strings"),
    ("alias as key", BASE + "k: &k name\n*k : 1\n", "mapping keys must be plain strings"),
    ("self-referencing alias", "x: &x [*x]\n", "x[0]: alias *x refers to the node that contains it"),
    ("self-referencing mapping", "x: &x {y: *x}\n", "x.y: alias *x refers to the node that contains it"),
    ("undefined alias", "x: *nope\n", "malformed YAML"),
    ("alias bomb", LOL, "aliases expand to more than"),
    ("too deep", "x: " + "[" * 50_000, "nested deeper than"),
    ("too deep mappings", "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n", "nested deeper than"),
    ("two documents", BASE + "---\nregion: eu-west-1\n", "one YAML document"),
]


@pytest.mark.parametrize("text,fragment", [c[1:] for c in YAML_CASES], ids=[c[0] for c in YAML_CASES])
def test_hostile_yaml_refused_fast_one_line(tmp_path: Path, capsys, text, fragment):
    config = tmp_path / "accounts.yaml"
    config.write_text(text)
    out = tmp_path / "out"
    start = time.monotonic()
    code = main(["render", "--config", str(config), "--out", str(out)])
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 2, err
    assert_one_line(err, fragment)
    assert elapsed < 1.0, elapsed
    assert not out.exists()


def test_binary_key_never_replaces_an_account():
    """The attack of the issue: before the fix the !!binary key silently
    replaced data-science and every group granted account 777777777777."""
    with pytest.raises(Exception) as info:
        config_from_text(edit("  deployment:", ATTACKER + "  deployment:"))
    assert "777777777777" not in str(info.value)


@pytest.mark.parametrize("text", [
    "x: " + "[" * 50_000,
    "x: " + "{a: " * 50_000,
    LOL,
    "x: &x [*x]\n",
    BASE + "? [a, b]\n: 1\n",
], ids=["deep-flow-seq", "deep-flow-map", "lol", "self-alias", "complex-key"])
def test_real_process_survives_hostile_yaml(tmp_path: Path, text):
    """A segfault (rc 139) or a hang only shows in a real process."""
    config = tmp_path / "accounts.yaml"
    config.write_text(text)
    start = time.monotonic()
    proc = run_cli("render", "--config", str(config), "--out", str(tmp_path / "out"), timeout=20)
    assert time.monotonic() - start < 10
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-500:])
    assert_one_line(proc.stderr)


def test_huge_file_refused_before_parsing(tmp_path: Path, capsys):
    config = tmp_path / "accounts.yaml"
    line = "junk_key_%08d: value\n"
    with open(config, "w") as handle:
        for block in range(50):
            handle.write("".join(line % (block * 50_000 + i) for i in range(50_000)))
    assert config.stat().st_size > 50_000_000
    start = time.monotonic()
    code = main(["render", "--config", str(config), "--out", str(tmp_path / "out")])
    assert time.monotonic() - start < 1.0
    assert code == 2
    assert_one_line(capsys.readouterr().err, "larger than the limit")


def test_many_small_nodes_refused(tmp_path: Path, capsys, monkeypatch):
    """Under the size limit but over the node limit: refused while parsing
    (the limit is lowered here so the test stays fast; the mechanism is the same)."""
    from generator.config import loader

    monkeypatch.setattr(loader, "MAX_NODES", 1000)
    config = tmp_path / "accounts.yaml"
    config.write_text("x: [" + ",".join(["1"] * 2000) + "]\n")
    code = main(["render", "--config", str(config), "--out", str(tmp_path / "out")])
    assert code == 2
    assert_one_line(capsys.readouterr().err, "x[997]: the config has more than 1,000 YAML nodes")


def test_limits_leave_room_for_the_scale_benchmark():
    from benchmarks import synth
    from generator.config import loader

    text = synth.build(500, 10000)
    assert len(text.encode()) * 2 < loader.MAX_BYTES
    events = sum(1 for _ in __import__("yaml").parse(text, Loader=loader._Loader))
    assert events * 2 < loader.MAX_NODES


def test_anchors_and_aliases_within_limits_still_work():
    text = edit("  credit-risk:\n    description: Credit risk scoring model\n    developers: [data-science]\n"
                "    consumers: [test, prod]",
                "  credit-risk:\n    description: Credit risk scoring model\n    developers: &devs [data-science]\n"
                "    consumers: [test, prod]")
    text = edit("    developers: [data-science]\n    consumers: [test]", "    developers: *devs\n    consumers: [test]", text)
    config = config_from_text(text)
    assert config.model_groups["churn-predictor"].developers == ["data-science"]


FIELD_CASES = [
    ("role with trailing newline", edit("roles: [ModelApproverRole]", 'roles: ["ModelApproverRole\\n"]'),
     "accounts.governance.roles[0]: must be an IAM role name"),
    ("bucket with trailing newline", edit("artifact_bucket: acme-ml-model-artifacts", 'artifact_bucket: "acme-ml-model-artifacts\\n"'),
     "registry.artifact_bucket: must be a valid S3 bucket name"),
    ("alias with trailing newline", edit("kms_key_alias: alias/ml-model-artifacts", 'kms_key_alias: "alias/ml-model-artifacts\\n"'),
     "registry.kms_key_alias: must look like alias/name"),
    ("region with trailing newline", edit("region: us-east-1", 'region: "us-east-1\\n"'), "region: "),
    ("stage with trailing newline", edit("stage: prod", 'stage: "prod\\n"'), "accounts.prod.stage: "),
    ("org id with trailing newline", edit("organization_id: o-a1b2c3d4e5", 'organization_id: "o-a1b2c3d4e5\\n"'), "organization_id: "),
    ("group name with trailing newline", edit("  churn-predictor:\n", '  "churn-predictor\\n":\n'), "does not match"),
    ("account name with trailing newline", edit("  governance:", '  "governance\\n":'), "does not match"),
    ("key arn with trailing newline", edit("  kms_key_alias: alias/ml-model-artifacts\n",
                                           "  kms_key_alias: alias/ml-model-artifacts\n  kms_key_arn: \"arn:aws:kms:us-east-1:111111111111:key/"
                                           "1234abcd-12ab-34cd-56ef-1234567890ab\\n\"\n"),
     "registry.kms_key_arn: must be a KMS key ARN"),
    ("apply role arn with trailing newline", BASE + 'apply: {role_arn: "arn:aws:iam::111111111111:role/Deployer\\n"}\n',
     "apply.role_arn: must be an IAM role ARN"),
    ("terraform assume role with newline", BASE + 'terraform: {assume_role: "Admin\\n"}\n', "terraform.assume_role: "),
    # issue 30: these three still used re.match with $, which accepts a trailing newline
    ("deploy role name with trailing newline", BASE + 'deploy_role: {name: "ModelDeployRole\\n"}\n', "deploy_role.name: "),
    ("module source with trailing newline", BASE + 'terraform: {module_source: "../../modules\\n"}\n',
     "terraform.module_source: "),
    ("ecr name with trailing newline", BASE + 'ecr_repositories:\n  "credit-risk-serving\\n": {model_groups: [credit-risk]}\n',
     "ecr_repositories.credit-risk-serving\\n: must be an ECR repository name"),
    # issue 30: IAM role names are unique in an account regardless of case (API_CreateRole.html)
    ("roles differing only in case", edit("roles: [ModelApproverRole]", "roles: [ModelApproverRole, modelapproverROLE]"),
     "accounts.governance.roles[1]: 'modelapproverROLE' and 'ModelApproverRole' are the same IAM role name"),
    ("same role name under two paths", edit("roles: [ModelApproverRole]", "roles: [team/ModelApproverRole, ModelApproverRole]"),
     "accounts.governance.roles[1]: 'ModelApproverRole' and 'team/ModelApproverRole' are the same IAM role name"),
    ("deploy role equal to a listed role but for case", BASE + "deploy_role: {name: sagemakerexecutionrole}\n",
     "accounts.prod.roles[0]: 'SageMakerExecutionRole' is (or matches) the deploy role sagemakerexecutionrole"),
    ("deploy role equal to terraform.assume_role but for case",
     BASE + "deploy_role: {name: ModelDeployRole}\nterraform: {assume_role: modeldeployrole}\n",
     "deploy_role.name: 'ModelDeployRole' is also terraform.assume_role"),
    ("arabic-indic account id", edit('"666666666666"', '"٢٢٢٢٢٢٢٢٢٢٢٢"'), "accounts.governance.id: must be exactly 12 digits"),
    ("fullwidth account id", edit('"666666666666"', '"６６６６６６６６６６６６"'), "accounts.governance.id: must be exactly 12 digits"),
    ("unicode digit in region", edit("region: us-east-1", "region: us-east-١"), "region: "),
    ("unicode digit in key arn", edit("  kms_key_alias: alias/ml-model-artifacts\n",
                                      "  kms_key_alias: alias/ml-model-artifacts\n  kms_key_arn: arn:aws:kms:us-east-1:١١١١١١١١١١١١:key/"
                                      "1234abcd-12ab-34cd-56ef-1234567890ab\n"), "registry.kms_key_arn: "),
    ("backspace in group description", edit("description: Customer churn predictor", 'description: "churn\\bpredictor"'),
     "model_groups.churn-predictor.description: control character U+0008"),
    ("form feed in account description", edit("kind: governance,", 'kind: governance, description: "x\\fy",'),
     "accounts.governance.description: control character U+000C"),
    ("newline in account description", edit("kind: governance,", 'kind: governance, description: "x\\ny",'),
     "accounts.governance.description: control character U+000A"),
    ("aws: tag key", edit("    consumers: [test]\n", "    consumers: [test]\n    tags: {'aws:owner': me}\n"),
     "model_groups.churn-predictor.tags: tag key 'aws:owner': the aws: prefix is reserved"),
    ("AWS: tag key", edit("    consumers: [test]\n", "    consumers: [test]\n    tags: {'AWS:Owner': me}\n"), "reserved"),
    ("long tag key", edit("    consumers: [test]\n", "    consumers: [test]\n    tags: {" + "k" * 129 + ": v}\n"),
     "model_groups.churn-predictor.tags: tag key 'kkk"),
    ("empty tag key", edit("    consumers: [test]\n", "    consumers: [test]\n    tags: {'': v}\n"), "model_groups.churn-predictor.tags: "),
    ("long tag value", edit("    consumers: [test]\n", "    consumers: [test]\n    tags: {team: " + "v" * 257 + "}\n"),
     "model_groups.churn-predictor.tags: tag 'team' value"),
    ("tag value with newline", edit("    consumers: [test]\n", "    consumers: [test]\n    tags: {team: \"risk\\n\"}\n"),
     "model_groups.churn-predictor.tags: tag 'team' value"),
    ("tag with bad character", edit("    consumers: [test]\n", "    consumers: [test]\n    tags: {team: \"a;b\"}\n"),
     "model_groups.churn-predictor.tags: "),
    ("51 tags", edit("    consumers: [test]\n", "    consumers: [test]\n    tags: {" + ", ".join(f"k{i}: v" for i in range(51)) + "}\n"),
     "model_groups.churn-predictor.tags: at most 50 tags"),
    ("role *e*", edit("roles: [ModelApproverRole]", 'roles: ["*e*"]'), "accounts.governance.roles[0]: the fixed part"),
    ("role *-*", edit("roles: [ModelApproverRole]", 'roles: ["*-*"]'), "accounts.governance.roles[0]: the fixed part"),
    ("role a*", edit("roles: [ModelApproverRole]", 'roles: ["a*"]'), "accounts.governance.roles[0]: the fixed part"),
    ("role with path *x*", edit("roles: [ModelApproverRole]", 'roles: ["team/*ab*"]'), "the fixed part"),
]


@pytest.mark.parametrize("text,fragment", [c[1:] for c in FIELD_CASES], ids=[c[0] for c in FIELD_CASES])
def test_field_validation_holes(tmp_path: Path, capsys, text, fragment):
    config = tmp_path / "accounts.yaml"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["render", "--config", str(config), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert_one_line(err, fragment)
    assert not out.exists()


@pytest.mark.parametrize("role", [
    "aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*",
    "ModelApprover*",
    "*Approver",
    "service-role/SageMakerExecution*",
])
def test_wildcard_roles_naming_a_family_still_accepted(role):
    config = config_from_text(edit("roles: [ModelApproverRole]", f'roles: ["{role}"]'))
    assert config.accounts["governance"].roles == [role]


def test_tags_within_aws_rules_accepted():
    tags = ", ".join(f"k{i}: v" for i in range(49)) + ", 'team name_.:/=+-@': 'Ünïcode value 1'"
    config = config_from_text(edit("    consumers: [test]\n", "    consumers: [test]\n    tags: {" + tags + "}\n"))
    assert len(config.model_groups["churn-predictor"].tags) == 50


def test_error_for_a_named_key_points_at_its_line(tmp_path: Path, capsys):
    text = edit("  governance:", '  yes: {id: "777777777777", kind: governance, roles: [X]}\n  governance:')
    config = tmp_path / "accounts.yaml"
    config.write_text(text)
    main(["render", "--config", str(config), "--out", str(tmp_path / "out")])
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("  yes:"))
    assert capsys.readouterr().err.startswith(f"error: {config}:{line}: accounts.yes: ")
