"""The layouts used for large organizations are as tight as the default one.

- s3_layout: access_points (one access point per group) lints clean, and
  lint still catches a write grant slipped into an access point policy;
- the compact registry forms and registry-wide identity policies lint clean;
- a synthetic organization (benchmarks/synth.py) keeps every promise of the
  who-can-do-what table for sampled groups, and every policy fits its limit.
"""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from benchmarks.synth import build as synth
from generator import limits, render, writer
from generator.config import config_from_text
from generator.lint.runner import lint
from generator.analysis.policyset import PolicySet

from .kindkit import tiny_limit
from .conftest import EXAMPLE

AP_TEXT = EXAMPLE.read_text().replace(
    "  kms_key_alias: alias/ml-model-artifacts\n", "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n"
)


def render_to(tmp_path, text, tiny_limits=False):
    config = config_from_text(text)
    saved = dict(limits.LIMITS)
    if tiny_limits:
        for kind, limit in saved.items():
            limits.LIMITS[kind] = tiny_limit(kind, limit)
    try:
        policies = render.build_policies(config)
    finally:
        limits.LIMITS.update(saved)
    files = {p.path: p.text for p in policies}
    files["manifest.json"] = render.to_json({"policies": [p.manifest_entry() for p in policies]})
    writer.write(tmp_path, files)
    return config, files


def findings(report) -> list[str]:
    return [f.text() for f in report.findings]


NO_ORG_AP_TEXT = AP_TEXT.replace("organization_id: o-a1b2c3d4e5\n", "")


@pytest.mark.parametrize("text,tiny", [(AP_TEXT, False), (NO_ORG_AP_TEXT, False), (EXAMPLE.read_text(), True),
                                       (AP_TEXT, True)],
                         ids=["access-points", "access-points-no-org", "compact", "access-points+compact"])
def test_scale_forms_lint_clean(tmp_path, text, tiny):
    config, files = render_to(tmp_path, text, tiny)
    assert not findings(lint(config, tmp_path))
    if tiny:
        assert "registry-wide" in files["manifest.json"]


def test_lint_catches_a_write_grant_in_an_access_point_policy(tmp_path):
    config, files = render_to(tmp_path, AP_TEXT)
    path = tmp_path / "shared-services/policies/s3-access-point-credit-risk.json"
    doc = json.loads(path.read_text())
    for stmt in doc["Statement"]:
        if stmt["Sid"] == "ConsumersArtifactsRead":
            stmt["Action"].append("s3:PutObject")
    path.write_text(json.dumps(doc, indent=2))
    found = findings(lint(config, tmp_path))
    assert any("readers-never-write" in f and "ConsumersArtifactsRead" in f for f in found), found


def test_delegation_to_another_accounts_access_points_is_a_wildcard_principal(tmp_path):
    config, files = render_to(tmp_path, NO_ORG_AP_TEXT)
    path = tmp_path / "shared-services/policies/s3-bucket-policy.json"
    path.write_text(path.read_text().replace('"111111111111"', '"999999999999"'))
    found = findings(lint(config, tmp_path))
    assert any("wildcard-principal" in f and "DelegateObjectsToRegistryAccessPoints" in f for f in found), found


@pytest.fixture(scope="module")
def synthetic():
    text = synth(40, 300)
    config = config_from_text(text)
    policies = render.build_policies(config)
    render.check_sizes(policies)
    files = {p.path: p.text for p in policies}
    files["manifest.json"] = render.to_json({"policies": [p.manifest_entry() for p in policies]})
    return config, PolicySet(files)


def test_synthetic_organization_keeps_every_promise(synthetic):
    config, world = synthetic
    org = config.organization_id
    rng = random.Random(3)
    from generator.arns import Arns

    arns = Arns.of(config)
    workloads = config.accounts_of_kind("workload")
    for group in rng.sample(sorted(config.model_groups), 25):
        obj = arns.artifact_objects(group).replace("*", "m.tar.gz")
        version = arns.package_arns(group).replace("*", "1")

        def role(account):
            return arns.role_arn(config.accounts[account].id, "SageMakerExecutionRole")

        for dev in config.party_accounts(group, "developers"):
            assert world.decide(role(dev), "s3:PutObject", obj, org=org).allowed
            assert world.decide(role(dev), "sagemaker:CreateModelPackage", version,
                                {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}, org=org).allowed
            assert not world.decide(role(dev), "sagemaker:UpdateModelPackage", version,
                                    {"sagemaker:ModelApprovalStatus": "Approved"}, org=org).allowed
        consumers = config.party_accounts(group, "consumers")
        for account in consumers:
            assert world.decide(role(account), "s3:GetObject", obj, org=org).allowed
            assert not world.decide(role(account), "s3:PutObject", obj, org=org).allowed
        outsider = next(a for a in workloads if a not in consumers)
        assert not world.decide(role(outsider), "s3:GetObject", obj, org=org).allowed
        assert not world.decide(role(outsider), "sagemaker:DescribeModelPackage", version, org=org).allowed
        # deploy roles (deploy_role): each consumer's deploys the group in its own account, nobody else's does
        for account, allowed in [(a, True) for a in consumers] + [(outsider, False)]:
            account_id = config.accounts[account].id
            deploy = arns.role_arn(account_id, config.deploy_role.name)
            model = f"arn:aws:sagemaker:{config.region}:{account_id}:model/{group}-v1"
            assert world.decide(deploy, "sagemaker:CreateModel", model, org=org).allowed is allowed
            assert world.decide(deploy, "sagemaker:DescribeModelPackage", version, org=org).allowed is allowed
        approver = arns.role_arn(config.accounts[config.party_accounts(group, "approvers")[0]].id, "ModelApproverRole")
        assert world.decide(approver, "sagemaker:UpdateModelPackage", version,
                            {"sagemaker:ModelApprovalStatus": "Approved"}, org=org).allowed


def test_synthetic_organization_fits_every_limit(synthetic):
    _, world = synthetic
    for entry in world.manifest:
        text = world.files[entry["path"]]
        assert limits.check(entry["kind"], text) is None, entry["path"]


def test_parallel_render_equals_serial_render(monkeypatch):
    """Large configs build per-group policies in forked workers: same files."""
    config = config_from_text(synth(30, 120))
    serial = render.render(config)
    monkeypatch.setattr(render, "PARALLEL_FROM_GROUPS", 10)
    monkeypatch.setattr(render.os, "cpu_count", lambda: 3)
    assert render.render(config_from_text(synth(30, 120))) == serial


def _unusable(text: str, group: str) -> str:
    """The synthetic config with ``group`` granted to nobody (found while its group policy is built)."""
    number = int(group.rsplit("-", 1)[1])
    text = text.replace(f"  {group}:\n    description: Synthetic model {number}\n",
                        f"  {group}:\n    description: Synthetic model {number}\n    deployers: []\n    approvers: []\n")
    lines = text.splitlines()
    start = lines.index(f"  {group}:")
    lines = [line for i, line in enumerate(lines)
             if not (start < i < start + 8 and line.lstrip().startswith(("developers:", "consumers:")))
             and not line.startswith(f"  {group}-serving:")]  # its ECR repository would be refused first
    return "\n".join(lines) + "\n"


def test_parallel_render_reports_the_first_bad_group_in_order(monkeypatch):
    """Workers take chunks of groups as they finish one: with two bad groups
    in different chunks, the problem reported is the first in group order,
    as in the serial loop, whichever worker met its group first."""
    from generator.errors import ConfigError

    text = _unusable(_unusable(synth(30, 120), "model-00117"), "model-00017")
    with pytest.raises(ConfigError) as serial:
        render.render(config_from_text(text))
    monkeypatch.setattr(render, "PARALLEL_FROM_GROUPS", 10)
    monkeypatch.setattr(render.os, "cpu_count", lambda: 2)
    with pytest.raises(ConfigError) as parallel:
        render.render(config_from_text(text))
    assert serial.value.key == parallel.value.key == "model_groups.model-00017"


def test_parallel_render_reports_bad_input_from_a_worker(monkeypatch):
    """A config error found in a worker reaches the user as the same one line."""
    text = synth(30, 120)
    # A group nobody may use: found while its group policy is built.
    text = text.replace("  model-00117:\n    description: Synthetic model 117\n",
                        "  model-00117:\n    description: Synthetic model 117\n    deployers: []\n    approvers: []\n")
    lines = text.splitlines()
    start = lines.index("  model-00117:")
    lines = [line for i, line in enumerate(lines)
             if not (start < i < start + 8 and line.lstrip().startswith(("developers:", "consumers:")))
             and not line.startswith("  model-00117-serving:")]  # its ECR repository would be refused first
    monkeypatch.setattr(render, "PARALLEL_FROM_GROUPS", 10)
    monkeypatch.setattr(render.os, "cpu_count", lambda: 2)
    from generator.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        render.render(config_from_text("\n".join(lines) + "\n"))
    assert caught.value.key == "model_groups.model-00117"
    assert "no account is granted anything" in caught.value.message
