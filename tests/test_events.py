"""Approval events: who may put events on a receiving bus, which groups each
rule forwards to whom, and the EventBridge quotas at scale.

Negative cases first. The bus policy and the rule role's identity policy
are evaluated with the project's evaluator, as AWS evaluates a
cross-account PutEvents: both must allow.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.synth import build as synth
from generator import events, limits
from generator.arns import Arns
from generator.config import config_from_text
from generator.analysis.evaluate import Request, decide
from generator.policies import event_bus, event_role
from generator import kinds
from generator.render import build_policies, to_json

from .conftest import EXAMPLE_ORG
from .test_stage_gates import staged_text

REG = "111111111111"
ROLE = f"arn:aws:iam::{REG}:role/model-registry-event-forwarder"
DEPLOY_BUS = "arn:aws:events:us-east-1:333333333333:event-bus/model-registry-events"
PROD_BUS = "arn:aws:events:us-east-1:555555555555:event-bus/model-registry-events"
RULE = f"arn:aws:events:us-east-1:{REG}:rule/model-registry-events-0123456789-1"
GOOD = {"events:source": ["aws.sagemaker"], "events:detail-type": ["SageMaker Model Package State Change"],
        "aws:SourceArn": RULE, "aws:PrincipalOrgID": EXAMPLE_ORG}


@pytest.fixture(scope="module")
def staged():
    config = config_from_text(staged_text())
    return config, {p.path: p for p in build_policies(config)}


def put(staged, principal: str, bus: str, **overrides):
    config, policies = staged
    account = next(name for name, a in config.accounts.items() if a.id == bus.split(":")[4])
    bus_policy = policies.get(f"{account}/policies/event-bus-policy.json")
    # Any other principal is given an identity policy that allows
    # everything: the bus policy alone must refuse it.
    identity = ([policies[f"shared-services/policies/iam-role-{events.ROLE_NAME}.json"].document] if principal == ROLE
                else [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}])
    context = {k: v for k, v in {**GOOD, **overrides}.items() if v is not None}
    request = Request(principal, "events:PutEvents", bus, context)
    return decide(request, identity, bus_policy.document if bus_policy else None, bus.split(":")[4])


CASES = [
    ("another registry role cannot put events", f"arn:aws:iam::{REG}:role/Admin", DEPLOY_BUS, {}, False),
    ("another account cannot put events", "arn:aws:iam::222222222222:role/SageMakerExecutionRole", DEPLOY_BUS, {}, False),
    ("no other source", ROLE, DEPLOY_BUS, {"events:source": ["com.example.evil"]}, False),
    ("no other source in a batch", ROLE, DEPLOY_BUS, {"events:source": ["aws.sagemaker", "com.example.evil"]}, False),
    ("source must be present", ROLE, DEPLOY_BUS, {"events:source": None}, False),
    ("no other detail-type", ROLE, DEPLOY_BUS, {"events:detail-type": ["SageMaker Training Job State Change"]}, False),
    ("only from our rules", ROLE, DEPLOY_BUS, {"aws:SourceArn": f"arn:aws:events:us-east-1:{REG}:rule/other"}, False),
    ("not from outside the organization", ROLE, DEPLOY_BUS, {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}, False),
    ("never to a workload account's bus", ROLE, PROD_BUS, {}, False),
    ("the rule role forwards model package events", ROLE, DEPLOY_BUS, {}, True),
    ("...to the governance accounts too", ROLE, "arn:aws:events:us-east-1:777777777777:event-bus/model-registry-events", {}, True),
]


@pytest.mark.parametrize("who,bus,overrides,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_who_can_put_events_on_a_receiving_bus(staged, who, bus, overrides, expected):
    decision = put(staged, who, bus, **overrides)
    assert decision.allowed is expected, decision.reason


def test_each_group_reaches_exactly_its_receivers(staged):
    """Deployers, approvers and stage approvers of each group, nobody else."""
    config, policies = staged
    reached: dict[str, set[str]] = {}
    for policy in policies.values():
        if policy.kind == "event_rule":
            for group in events.matched_groups(policy.document["EventPattern"], config.model_groups):
                reached.setdefault(group, set()).update(t["Id"] for t in policy.document["Targets"])
    assert reached == {
        "credit-risk": {"deployment", "governance", "model-risk"},
        "churn-predictor": {"deployment", "governance", "model-risk"},
    }


def test_groups_with_different_parties_get_different_rules():
    config = config_from_text(staged_text().replace(
        "    consumers: [test]\n", "    consumers: [test]\n    deployers: []\n    approvers: [model-risk]\n", 1))
    rules = events.plan(config)
    by_group = {g: set() for g in config.model_groups}
    for rule in rules:
        for group in rule.groups:
            by_group[group].update(rule.receivers)
    assert by_group["churn-predictor"] == {"governance", "model-risk"}  # stage approvers still hear of it
    assert by_group["credit-risk"] == {"deployment", "governance", "model-risk"}


def test_quotas_hold_at_500_accounts():
    """Targets per rule (5), pattern size (2,048), bus policy size (10,240),
    the rule role's policy (6,144) and rules per bus (300) at 500 accounts
    and 3,000 groups; the benchmark shows 10,000 groups."""
    config = config_from_text(synth(500, 3000) + "stages:\n  - name: test\n  - name: prod\n")
    arns = Arns.of(config)
    rules = events.plan(config)
    assert all(len(r.receivers) <= events.MAX_TARGETS for r in rules)
    assert all(len(json.dumps(r.pattern(), separators=(",", ":"))) <= events.MAX_PATTERN for r in rules)
    assert sorted(g for r in rules for g in r.groups) == sorted(
        g for g in config.model_groups for _ in range(-(-len(events.receivers_of(config, g)) // events.MAX_TARGETS)))
    assert len(rules) <= 300
    for account in events.receivers(config):
        text = to_json(event_bus.build(config, arns, account))
        assert limits.check("event_bus_policy", text) is None
    document, scope = event_role.build(config, arns, kinds.get("iam_role_policy"))
    assert scope == "event-buses" and limits.check("iam_role_policy", "", document) is None


def test_an_event_rule_file_is_measured_by_its_pattern():
    pattern = events.pattern([f"g{i:05d}" for i in range(300)])
    assert limits.check("event_rule", json.dumps({"EventPattern": pattern, "Targets": []})) is not None
