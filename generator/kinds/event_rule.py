"""An EventBridge rule on the registry's default bus: data, not a policy.

The file holds the rule's event pattern and its targets, as the registry
root's Terraform puts them (``{"EventPattern": ..., "Targets": [...]}``).
Limit: the pattern alone, 2,048 characters, compact as it is sent
(EventBridge quotas: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
Which rules exist, and the quotas they respect: generator/events.py.
"""

from __future__ import annotations

from generator import events
from generator.kinds.base import DATA, Kind, Limit
from generator.policies import event_pattern


def render(config, arns):
    registry = config.registry.account
    return [KIND.policy(registry, arns.registry_id, events.rule_arn(arns, rule.name),
                        f"{registry}/policies/event-rule-{rule.name}.json", event_pattern.build(config, arns, rule),
                        {"rule": rule.name})
            for rule in events.plan(config)]


KIND = Kind(
    name="event_rule",
    role=DATA,
    target_type="rule",
    limit=Limit(2_048, "characters", False, "EventBridge event pattern",
                "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"),
    order=80,
    many=True,
    measured_part=lambda document: document.get("EventPattern"),
    render=render,
    bind=lambda policy, path: ("event_rules", policy.extra["rule"], {"name": policy.extra["rule"], "policy": path}),
)
