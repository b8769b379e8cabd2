"""An EventBridge rule on the registry's default bus: data, not a policy.

The file holds the rule's event pattern and its targets, as the registry
root's Terraform puts them (``{"EventPattern": ..., "Targets": [...]}``).
Limit: the pattern alone, 2,048 characters, compact as it is sent
(EventBridge quotas: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
Which rules exist, and the quotas they respect: generator/events.py.
"""

from __future__ import annotations

from generator import copyflow, events
from generator.kinds.base import DATA, Kind, Limit
from generator.policies import copy, event_pattern


def render(config, arns):
    registry = config.registry.account
    return [KIND.policy(registry, arns.registry_id, events.rule_arn(arns, rule.name),
                        f"{registry}/policies/event-rule-{rule.name}.json", event_pattern.build(config, arns, rule),
                        {"rule": rule.name})
            for rule in events.plan(config)] + _copy_rules(config, arns)


def _copy_rules(config, arns):
    """registration: copy (docs/copy.md): each development account's
    forwarding rules, and the rule on the registry's receiving bus."""
    if not config.copy_groups():
        return []
    registry = config.registry.account
    out = [KIND.policy(registry, arns.registry_id, copyflow.rule_arn(arns),
                       f"{registry}/policies/event-rule-{copyflow.RULE_NAME}.json", copy.receive_rule(config, arns),
                       {"rule": copyflow.RULE_NAME, "copy": "receive", "bus": copyflow.BUS_NAME})]
    for account in copyflow.copy_developers(config):
        account_id = config.accounts[account].id
        for name, groups in copyflow.forward_rules(config, account):
            out.append(KIND.policy(account, account_id,
                                   f"arn:{arns.partition}:events:{arns.region}:{account_id}:rule/{name}",
                                   f"{account}/policies/event-rule-{name}.json",
                                   copy.forward_rule(config, arns, account, groups), {"rule": name, "copy": "forward"}))
    return out


def _bind(policy, path):
    copy_role = policy.extra.get("copy")
    if copy_role == "receive":
        return "copy_receive_rule", 0, path
    if copy_role == "forward":
        return "copy_forward_rules", policy.extra["rule"], {"name": policy.extra["rule"], "policy": path}
    return "event_rules", policy.extra["rule"], {"name": policy.extra["rule"], "policy": path}


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
    bind=_bind,
)
