"""Count quotas (generator/quotas.py): the render refuses a config that needs
more than a hard limit, or more than an adjustable quota the config does
not declare as raised in ``quotas:``; and it prints the headroom.

Negative cases first: each quota exceeded is refused with its exact line,
exit 2, nothing written; declaring the raised quota lets the same config
render; a declared value above what AWS grants is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from generator import kinds, quotas
from generator.cli import main
from generator.config import config_from_text
from generator.errors import ConfigError, PolicyTooLarge
from generator.render import build_policies, render

from .conftest import EXAMPLE, ROOT

GOOD = EXAMPLE.read_text()
EB = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"
S3 = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-restrictions-limitations.html"
IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
ORGS = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"


def _receivers_text(n: int, region: str = "af-south-1", declared: str = "") -> str:
    """n deployment accounts, each deploying its own group: n distinct
    receivers with distinct group sets, so n rules on the registry's bus."""
    accounts = "".join(f'  dep-{i:03d}: {{id: "{900000000000 + i}", kind: deployment, roles: [Pipeline]}}\n'
                       for i in range(n))
    groups = "".join(f"  g-{i:03d}:\n    developers: [data-science]\n    deployers: [dep-{i:03d}]\n" for i in range(n))
    return (
        f"partition: aws\nregion: {region}\norganization_id: o-a1b2c3d4e5\n"
        "registry:\n  account: shared-services\n  artifact_bucket: acme-ml-model-artifacts\n"
        "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n  access_point_prefix: mr-\n"
        "accounts:\n"
        '  shared-services: {id: "111111111111", kind: registry}\n'
        '  data-science: {id: "222222222222", kind: development, roles: [SageMakerExecutionRole]}\n'
        + accounts + "model_groups:\n" + groups + declared
    )


def _access_points_text(groups: int, declared: str = "") -> str:
    head = GOOD.split("model_groups:")[0]
    head = head.replace("  kms_key_alias: alias/ml-model-artifacts\n",
                        "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n  access_point_prefix: mr-\n")
    body = "".join(f"  g-{i}:\n    developers: [data-science]\n    consumers: [prod]\n" for i in range(groups))
    return head + "model_groups:\n" + body + declared


def _render_cli(tmp_path: Path, text: str, *extra: str) -> tuple[int, str, str, Path]:
    config = tmp_path / "accounts.yaml"
    config.write_text(text)
    out = tmp_path / "out"
    code = main(["render", "--config", str(config), "--out", str(out), *extra])
    return code, config, out


# --- adjustable quotas: refused unless declared ------------------------------------------------

def test_rules_over_the_regional_default_are_refused_with_what_to_raise(tmp_path, capsys):
    # af-south-1's default is 100 rules per bus (EventBridge quotas): 101 receivers with distinct groups need 101.
    code, _, out = _render_cli(tmp_path, _receivers_text(101))
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err == (
        f"error: shared-services default event bus: 101 rules per event bus, over the quota (AWS's default is 100; "
        f"{EB}): request an increase to at least 101 and declare it as quotas.rules_per_event_bus: 101\n"
    )


def test_rules_within_the_declared_quota_render():
    assert len([p for p in build_policies(config_from_text(_receivers_text(100)))
                if p.kind == kinds.one(role=kinds.DATA, target_type="rule").name]) == 100  # at the default: fine
    files = render(config_from_text(_receivers_text(101, declared="quotas:\n  rules_per_event_bus: 101\n")))
    assert sum(1 for path in files if "/event-rule-" in path) == 101


def test_rules_over_a_declared_quota_name_the_declaration(tmp_path):
    with pytest.raises(PolicyTooLarge) as caught:
        build_and_check(_receivers_text(4, region="us-east-1", declared="quotas:\n  rules_per_event_bus: 3\n"))
    assert str(caught.value) == (
        f"shared-services default event bus: 4 rules per event bus, over the quota (quotas.rules_per_event_bus "
        f"declares 3; {EB}): request an increase to at least 4 and declare it as quotas.rules_per_event_bus: 4"
    )


def build_and_check(text: str):
    config = config_from_text(text)
    return quotas.check(config, build_policies(config))


def test_access_points_over_the_declared_quota_are_refused(tmp_path, capsys):
    code, _, out = _render_cli(tmp_path, _access_points_text(3, "quotas:\n  access_points_per_account_region: 2\n"))
    assert code == 2 and not out.exists()
    assert capsys.readouterr().err == (
        f"error: shared-services in us-east-1: 3 access points per account and Region, over the quota "
        f"(quotas.access_points_per_account_region declares 2; {S3}): request an increase to at least 3 and "
        "declare it as quotas.access_points_per_account_region: 3\n"
    )
    assert render(config_from_text(_access_points_text(3, "quotas:\n  access_points_per_account_region: 3\n")))


def _point_policies(config, n: int):
    kind = kinds.governing("accesspoint")
    doc = {"Version": "2012-10-17", "Statement": []}
    return [kind.policy("shared-services", "111111111111", f"arn:aws:s3:us-east-1:111111111111:accesspoint/p{i}",
                        f"shared-services/policies/s3-access-point-g{i}.json", doc) for i in range(n)]


def test_the_default_access_point_quota_is_ten_thousand():
    # S3 user guide: 10,000 access points per account per Region by default (rendering 10,001 groups is the benchmark's job).
    config = config_from_text(GOOD)
    quotas.check(config, _point_policies(config, 10_000))
    with pytest.raises(PolicyTooLarge, match=r"10,001 access points per account and Region, over the quota "
                                             r"\(AWS's default is 10,000;"):
        quotas.check(config, _point_policies(config, 10_001))
    raised = config_from_text(GOOD + "quotas:\n  access_points_per_account_region: 10001\n")
    quotas.check(raised, _point_policies(raised, 10_001))


def _role_policies(config, n: int):
    kind = kinds.one(role=kinds.IDENTITY)
    doc = {"Version": "2012-10-17", "Statement": []}
    return [kind.policy("prod", "555555555555", "arn:aws:iam::555555555555:role/R", f"prod/policies/r-{i}.json", doc,
                        {"role": "R"}) for i in range(n)]


def test_managed_policies_per_role_counts_every_role():
    config = config_from_text(GOOD)
    quotas.check(config, _role_policies(config, 10))
    with pytest.raises(PolicyTooLarge) as caught:
        quotas.check(config, _role_policies(config, 11))
    assert str(caught.value) == (
        f"prod role R: 11 managed policies per role, over the quota (AWS's default is 10; {IAM}): request an "
        "increase to at least 11 and declare it as quotas.managed_policies_per_role: 11"
    )
    at_most = config_from_text(GOOD + "quotas:\n  managed_policies_per_role: 20\n")
    quotas.check(at_most, _role_policies(at_most, 20))
    with pytest.raises(PolicyTooLarge) as caught:
        quotas.check(at_most, _role_policies(at_most, 21))
    assert str(caught.value) == (
        f"prod role R: 21 managed policies per role, over the quota (quotas.managed_policies_per_role declares 20), "
        f"and AWS grants at most 20 ({IAM}); split the config so fewer are needed"
    )


def test_the_older_setting_is_the_same_quota():
    old = config_from_text(GOOD.replace("  name: ModelDeployRole\n", "  name: ModelDeployRole\n  max_managed_policies: 12\n"))
    quotas.check(old, _role_policies(old, 12))
    with pytest.raises(PolicyTooLarge, match=r"deploy_role.max_managed_policies declares 12"):
        quotas.check(old, _role_policies(old, 13))


@pytest.mark.parametrize("declared,expected", [
    ("  managed_policies_per_role: 21\n", "quotas.managed_policies_per_role: must be a whole number from 1 to 20"),
    ("  managed_policies_per_role: 0\n", "quotas.managed_policies_per_role: must be a whole number from 1 to 20"),
    ("  rules_per_event_bus: true\n", "quotas.rules_per_event_bus: must be a whole number"),
    ("  access_points_per_account_region: 12.5\n", "quotas.access_points_per_account_region: must be a whole number"),
    # a hard limit cannot be raised: there is no key to declare it
    ("  targets_per_rule: 6\n", "quotas.targets_per_rule: unknown key"),
    ("  scps_per_target: 6\n", "quotas.scps_per_target: unknown key"),
])
def test_bad_quota_declarations_are_bad_input(tmp_path, capsys, declared, expected):
    code, _, out = _render_cli(tmp_path, GOOD + "quotas:\n" + declared)
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and expected in err, err


def test_the_two_names_of_the_iam_quota_must_agree():
    text = GOOD.replace("  name: ModelDeployRole\n", "  name: ModelDeployRole\n  max_managed_policies: 12\n")
    with pytest.raises(ConfigError, match="quotas.managed_policies_per_role: is 15 but deploy_role.max_managed_policies is 12"):
        config_from_text(text + "quotas:\n  managed_policies_per_role: 15\n")
    config_from_text(text + "quotas:\n  managed_policies_per_role: 12\n")  # agreeing: fine


# --- hard limits: refused, whatever the config declares ----------------------------------------

def test_more_than_five_targets_in_a_rule_is_refused():
    config = config_from_text(GOOD)
    kind = kinds.one(role=kinds.DATA, target_type="rule")
    rule = lambda n: kind.policy("shared-services", "111111111111", "arn:aws:events:us-east-1:111111111111:rule/r",
                                 "shared-services/policies/event-rule-r.json",
                                 {"EventPattern": {}, "Targets": [{"Id": str(i)} for i in range(n)]})
    quotas.check(config, [rule(5)])
    with pytest.raises(PolicyTooLarge) as caught:
        quotas.check(config, [rule(6)])
    assert str(caught.value) == (
        f"shared-services/policies/event-rule-r.json: 6 targets per rule, over AWS's limit of 5, which cannot be "
        f"raised ({EB}); the render puts at most 5 receivers in a rule; report this as a bug"
    )


@pytest.mark.parametrize("role,name", [(kinds.SCP, "SCPs"), (kinds.RCP, "RCPs")])
def test_more_than_four_organization_policies_per_target_is_refused(role, name):
    # 5 attach to a root, OU or account (Organizations quotas); FullAWSAccess / RCPFullAWSAccess take one.
    config = config_from_text(GOOD)
    kind = kinds.one(role=role)
    docs = lambda n: [kind.policy("organization", "", f"p{i}", f"organization/policies/p{i}.json",
                                  {"Version": "2012-10-17", "Statement": []}) for i in range(n)]
    quotas.check(config, docs(4))
    with pytest.raises(PolicyTooLarge) as caught:
        quotas.check(config, docs(5))
    assert str(caught.value) == (
        f"each guardrails.attach_to target: 5 {name} attached per root, OU or account, over AWS's limit of 4, "
        f"which cannot be raised ({ORGS}); fewer role names or accounts per exemption, or drop guardrails:"
    )


def test_every_quota_has_a_source_and_a_count():
    for quota in quotas.QUOTAS:
        assert quota.source.startswith("https://docs.aws.amazon.com/"), quota.key
        assert quota.adjustable or quota.fix, quota.key


# --- headroom --------------------------------------------------------------------------------

def _headroom(out: str) -> list[str]:
    lines = out.splitlines()
    start = lines.index("headroom (the tightest item of each kind and quota):")
    return [line.strip() for line in lines[start + 1:] if line.startswith("  ")]


def test_render_prints_the_tightest_item_of_each_kind_and_quota(tmp_path, capsys):
    code, _, out = _render_cli(tmp_path, GOOD)
    assert code == 0
    lines = _headroom(capsys.readouterr().out)
    group_kind = kinds.governing("model-package-group")
    groups = {p.extra["model_group"]: len(p.text) for p in build_policies(config_from_text(GOOD))
              if p.kind == group_kind.name}
    largest = max(groups, key=groups.get)
    assert (f"{group_kind.limit.name} {groups[largest]:,} / {group_kind.limit.size:,} characters "
            f"({-(-groups[largest] * 100 // group_kind.limit.size)}%) {largest}")  # rounded up in lines
    assert "rules per event bus 1 / 300 (1%) shared-services default event bus" in lines
    manifest = json.loads((out / "manifest.json").read_text())
    assert {e["kind"] for e in manifest["policies"]} == {
        k.name for k in kinds.ALL if any(line.startswith(k.limit.name + " ") for line in lines)}


def test_max_percent_fails_above_the_threshold_and_names_the_item(tmp_path, capsys):
    _render_cli(tmp_path, GOOD)
    lines = _headroom(capsys.readouterr().out)
    top = max(int(line.split("(")[-1].split("%")[0]) for line in lines)
    config, out = tmp_path / "accounts.yaml", tmp_path / "out"
    check = ["render", "--check", "--config", str(config), "--out", str(out)]
    assert main(check + ["--max-percent", str(top)]) == 0  # at the threshold: fine
    capsys.readouterr()
    assert main(check + ["--max-percent", str(top - 1)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: above --max-percent {top - 1}: ") and f"({top}%)" in err
    assert main(["render", "--config", str(config), "--out", str(out), "--max-percent", str(top - 1)]) == 1


@pytest.mark.parametrize("bad", ["0", "101", "ninety"])
def test_max_percent_takes_a_percentage(tmp_path, capsys, bad):
    with pytest.raises(SystemExit) as caught:
        main(["render", "--config", str(EXAMPLE), "--out", str(tmp_path / "out"), "--max-percent", bad])
    assert caught.value.code == 2 and not (tmp_path / "out").exists()
    assert "must be a whole number from 1 to 100" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
@pytest.mark.parametrize("headroom,flag", [("90", " --max-percent 90"), ("", "")])
def test_make_check_passes_headroom_to_render_check(headroom, flag):
    # -n: print the commands, run none (nothing is installed or rendered)
    # Run as a top-level make even inside `make test`: a nested make prints
    # "make[1]: Leaving directory ..." after the commands.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    proc = subprocess.run(["make", "--no-print-directory", "-n", "render-check", f"HEADROOM={headroom}",
                           "CONFIG=c.yaml", "OUT=o"], cwd=ROOT, capture_output=True, text=True, check=True, env=env)
    assert proc.stdout.splitlines()[-1].endswith(f"render --check --config c.yaml --out o{flag}")
