"""Bad input: one clear line naming the key, exit code 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main

from .conftest import EXAMPLE, ROOT

GOOD = EXAMPLE.read_text()


def edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def line_of(fragment: str) -> int:
    return next(i for i, text in enumerate(GOOD.splitlines(), 1) if fragment in text)


CASES = [
    # (name, config text, expected fragment of the one-line error)
    ("malformed yaml", "region: [us-east-1\n", "malformed YAML"),
    ("not a mapping", "- just\n- a list\n", "must be a YAML mapping"),
    ("empty file", "", "must be a YAML mapping"),
    ("unknown top-level key", GOOD + "regoin: us-east-1\n", f":{len(GOOD.splitlines()) + 1}: regoin: unknown key"),
    ("unknown account key", edit("kind: registry}", "kind: registry, colour: blue}"), "accounts.shared-services.colour: unknown key"),
    ("unknown group key", edit("    consumers: [test]\n", "    consumers: [test]\n    approver: [governance]\n"),
     "model_groups.churn-predictor.approver: unknown key"),
    ("duplicate key", edit("  churn-predictor:\n", "  credit-risk:\n    description: dup\n  churn-predictor:\n"),
     f"model_groups.credit-risk: duplicate key (first defined on line {line_of('  credit-risk:')})"),
    ("missing region", edit("region: us-east-1\n", ""), "region: required key is missing"),
    ("unquoted account id", edit('id: "555555555555"', "id: 555555555555"),
     "accounts.prod.id: must be a quoted string (YAML read it as the number 555555555555"),
    ("octal account id", edit('id: "555555555555"', "id: 012345670123"),
     "accounts.prod.id: must be a quoted string (YAML read it as the number 1402433619"),
    ("short account id", edit('id: "555555555555"', 'id: "55555555555"'), "accounts.prod.id: must be exactly 12 digits"),
    ("duplicate account id", edit('id: "555555555555"', 'id: "444444444444"'), "accounts.prod.id: 444444444444 is also the id of 'test'"),
    ("bad kind", edit("kind: governance", "kind: auditor"), "accounts.governance.kind: input should be"),
    ("access point prefix without access points",
     edit("  kms_key_alias: alias/ml-model-artifacts\n", "  kms_key_alias: alias/ml-model-artifacts\n  access_point_prefix: mr-\n"),
     "registry.access_point_prefix: only used with registry.s3_layout: access_points"),
    ("bad access point prefix",
     edit("  kms_key_alias: alias/ml-model-artifacts\n",
          "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n  access_point_prefix: MR_\n"),
     "registry.access_point_prefix: 'MR_' does not match"),
    ("undeclared developer", GOOD.replace(
        "developers: [data-science]\n    consumers: [test, prod]", "developers: [data-sci]\n    consumers: [test, prod]"),
     "model_groups.credit-risk.developers[0]: 'data-sci' is not declared under accounts"),
    ("prod as developer", GOOD.replace("developers: [data-science]\n    consumers: [test, prod]",
                                       "developers: [data-science, prod]\n    consumers: [test, prod]"),
     "model_groups.credit-risk.developers[1]: 'prod' is a workload account, stage prod; developers must be development accounts"),
    ("developer as consumer", edit("consumers: [test]", "consumers: [data-science]"),
     "model_groups.churn-predictor.consumers[0]: 'data-science' is a development account; consumers must be workload accounts"),
    ("listed twice", edit("consumers: [test]", "consumers: [test, test]"), "model_groups.churn-predictor.consumers[1]: 'test' is listed twice"),
    ("undeclared registry", edit("  account: shared-services", "  account: shared"), "registry.account: 'shared' is not declared under accounts"),
    ("two registries", edit("kind: governance", "kind: registry"), "accounts: exactly one account must have kind registry"),
    ("role wildcard only", edit("roles: [ModelApproverRole]", 'roles: ["*"]'), "accounts.governance.roles[0]: a role name made only of * would match every role"),
    ("bad role name", edit("roles: [ModelApproverRole]", 'roles: ["Model Approver"]'), "accounts.governance.roles[0]: must be an IAM role name"),
    ("party without roles", edit(", roles: [ModelApproverRole]", ""), "accounts.governance.roles: 'governance' is one of the approvers of model group"),
    ("stage on non-workload", edit("kind: governance", "kind: governance, stage: prod"), "accounts.governance.stage: only workload accounts have a stage"),
    ("roles on registry", edit("kind: registry}", "kind: registry, roles: [Admin]}"), "accounts.shared-services.roles: the registry account's own roles"),
    ("bad group name", edit("  churn-predictor:\n", "  churn_predictor:\n"), "model_groups.churn_predictor: 'churn_predictor' does not match"),
    ("bad bucket", edit("acme-ml-model-artifacts", "Acme_Bucket"), "registry.artifact_bucket: must be a valid S3 bucket name"),
    ("reserved alias", edit("alias/ml-model-artifacts", "alias/aws/s3"), "registry.kms_key_alias: alias/aws/ is reserved"),
    ("bad org id", edit("o-a1b2c3d4e5", "org-1"), "organization_id: 'org-1' does not match"),
    ("partition mismatch", edit("region: us-east-1", "region: cn-north-1"), "partition: region cn-north-1 is in partition aws-cn, not aws"),
    ("key arn other account", edit("  kms_key_alias: alias/ml-model-artifacts\n",
                                   "  kms_key_alias: alias/ml-model-artifacts\n  kms_key_arn: arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab\n"),
     "registry.kms_key_arn: must belong to the registry account 111111111111"),
    ("group with nobody", GOOD.replace("accounts:\n", "accounts:\n").replace(
        "  governance:      {id: \"666666666666\", kind: governance, roles: [ModelApproverRole]}\n", "").replace(
        "  deployment:      {id: \"333333333333\", kind: deployment,  roles: [ModelDeployPipelineRole]}\n", "").replace(
        "    developers: [data-science]\n    consumers: [test]\n", "    developers: []\n"),
     "model_groups.churn-predictor: no account is granted anything"),
    ("same sid prefix", edit("  churn-predictor:\n", "  Credit-risk:\n    developers: [data-science]\n  churn-predictor:\n"),
     "'Credit-risk' and 'credit-risk' give the same statement id prefix CreditRisk"),
] + [
    # deploy_role.max_managed_policies: the IAM managed-policies-per-role quota, 10 by default, at most 20
    (f"deploy role max managed policies {label}",
     edit("  name: ModelDeployRole\n", f"  name: ModelDeployRole\n  max_managed_policies: {value}\n"),
     "deploy_role.max_managed_policies: must be a whole number from 1 to 20")
    for label, value in (("zero", "0"), ("over 20", "21"), ("negative", "-1"), ("quoted", '"12"'),
                         ("boolean", "true"), ("fraction", "12.5"))
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path: Path, capsys, text, expected):
    config = tmp_path / "accounts.yaml"
    config.write_text(text)
    out = tmp_path / "out"
    code = main(["render", "--config", str(config), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert expected in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_error_names_the_file_and_line(tmp_path: Path, capsys):
    config = tmp_path / "accounts.yaml"
    config.write_text(edit('id: "555555555555"', 'id: "5555"'))
    main(["render", "--config", str(config), "--out", str(tmp_path / "out")])
    line = line_of("555555555555")
    assert capsys.readouterr().err.startswith(f"error: {config}:{line}: accounts.prod.id: ")


def test_missing_config_file(tmp_path: Path, capsys):
    assert main(["render", "--config", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_bad_input_leaves_existing_output_untouched(tmp_path: Path, capsys):
    out = tmp_path / "out"
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert main(["render", "--config", str(good), "--out", str(out)]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.yaml"
    bad.write_text(edit("consumers: [test]", "consumers: [nope]"))
    assert main(["render", "--config", str(bad), "--out", str(out)]) == 2
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_real_process_prints_no_traceback(tmp_path: Path):
    config = tmp_path / "accounts.yaml"
    config.write_text(edit("kind: governance", "kind: auditor"))
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "render", "--config", str(config), "--out", str(tmp_path / "o")],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr


def test_the_garbage_collector_is_paused_while_a_config_loads_and_resumes_after(tmp_path: Path, monkeypatch):
    """Loading pauses the cyclic collector (its passes over a large model as
    it grew were more than half of loading one) and leaves it as it was,
    after a good config and after a bad one alike."""
    import gc

    from generator import config as config_module
    from generator.errors import ConfigError

    seen = []
    real = config_module._validate

    def noting(loaded):
        seen.append(gc.isenabled())
        return real(loaded)

    monkeypatch.setattr(config_module, "_validate", noting)
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("kind: governance", "kind: auditor"))
    assert gc.isenabled()
    config_module.load_config(EXAMPLE)
    assert seen == [False] and gc.isenabled()
    with pytest.raises(ConfigError):
        config_module.load_config(bad)
    assert seen == [False, False] and gc.isenabled()
    config_module.config_from_text(GOOD)
    assert seen == [False, False, False] and gc.isenabled()
    gc.disable()
    try:
        config_module.load_config(EXAMPLE)
        assert not gc.isenabled()  # left as it was
    finally:
        gc.enable()
