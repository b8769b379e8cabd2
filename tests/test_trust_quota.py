"""quotas.role_trust_policy_length: IAM's adjustable role trust policy length.

IAM and AWS STS quotas: "Role trust policy length", 2,048 characters by
default, at most 4,096 on request, white space not counted
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
A deploy role trusted by many deployment accounts outgrows the default even
in its compact form: refused with one line naming the key, unless the config
declares the raised quota; over 4,096 refused whatever is declared. Negative
cases first.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.synth import build as synth
from generator import headroom
from generator.config import config_from_text
from generator.errors import ConfigError, PolicyTooLarge
from generator.render import build_policies, render_all


KEY = "quotas.role_trust_policy_length"


def _text(deployers: int, declared: int | None = None) -> str:
    """``deployers`` deployment accounts that deploy every group (deployers omitted)."""
    text = synth(deployers + 40, 20, deployers=deployers, governance=5)
    return text + (f"quotas:\n  role_trust_policy_length: {declared}\n" if declared is not None else "")


def _largest_trust(policies) -> int:
    return max(len(json.dumps(p.document, separators=(",", ":"))) for p in policies if p.kind == "iam_role_trust_policy")


def test_over_the_default_without_a_declaration_is_refused_naming_the_key():
    with pytest.raises(PolicyTooLarge) as caught:
        render_all(config_from_text(_text(130)))
    message = str(caught.value)
    assert "\n" not in message
    assert "IAM role trust policy is " in message and "over the quota (AWS's default is 2,048" in message
    assert f"declare it as {KEY}: " in message and "reference_iam-quotas.html" in message


def test_over_the_most_iam_grants_is_refused_whatever_is_declared():
    from generator import kinds
    from generator.render import check_sizes

    config = config_from_text(_text(21, 4096))
    [trust] = [p for p in build_policies(config) if p.kind == "iam_role_trust_policy"][:1]
    doc = json.loads(trust.text)
    doc["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"] *= 200
    big = kinds.get(trust.kind).policy(trust.account, trust.account_id, trust.target, trust.path, doc)
    assert len(json.dumps(doc, separators=(",", ":"))) > 4_096
    with pytest.raises(PolicyTooLarge) as caught:
        check_sizes([big], config)
    message = str(caught.value)
    assert f"over the quota ({KEY} declares 4,096), and AWS grants at most 4,096" in message


@pytest.mark.parametrize("value", ["4097", "2047", "0", "true", "'3000'", "3000.5"])
def test_a_declared_value_outside_what_iam_grants_is_refused_when_read(value):
    with pytest.raises(ConfigError) as caught:
        config_from_text(_text(21) + f"quotas:\n  role_trust_policy_length: {value}\n")
    assert "role_trust_policy_length" in str(caught.value)
    assert "2,048" in str(caught.value) and "4,096" in str(caught.value)


def test_a_declared_raise_is_allowed_and_headroom_measures_against_it():
    config = config_from_text(_text(130, 4096))
    rendered = render_all(config)
    policies = build_policies(config)
    assert 2_048 < _largest_trust(policies) <= 4_096
    [line] = [l for l in headroom.lines(rendered) if l.name == "IAM role trust policy"]
    assert line.limit == 4_096 and line.used == _largest_trust(policies)


def test_lint_reads_the_declared_quota(tmp_path):
    from generator.cli import main

    for declared, expected in ((None, 1), (4096, 0)):
        out = tmp_path / f"out-{declared}"
        config = tmp_path / f"accounts-{declared}.yaml"
        config.write_text(_text(130, 4096))
        assert main(["render", "--config", str(config), "--out", str(out)]) == 0
        config.write_text(_text(130, declared))  # lint the same files against the config as given
        assert main(["lint", "--config", str(config), "--policies", str(out)]) == expected


def test_within_the_default_nothing_needs_declaring():
    policies = build_policies(config_from_text(_text(21)))
    assert _largest_trust(policies) <= 2_048
