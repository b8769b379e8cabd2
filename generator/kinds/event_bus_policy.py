"""The policy of each receiving account's ``model-registry-events`` bus.

Limit: 10,240 characters, whitespace counted (EventBridge quotas:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
A bus has exactly one policy, so events go to a dedicated bus whose policy
we own (generator/policies/event_bus.py); the account's root sets it with
``aws_cloudwatch_event_bus_policy``.
"""

from __future__ import annotations

from generator import copyflow, events
from generator.kinds.base import RESOURCE, Kind, Limit, TerraformResource
from generator.policies import copy, event_bus


def render(config, arns):
    out = []
    for account in events.receivers(config):
        account_id = config.accounts[account].id
        out.append(KIND.policy(account, account_id, events.bus_arn(arns, account_id),
                               f"{account}/policies/event-bus-policy.json", event_bus.build(config, arns, account),
                               {"bus": events.BUS_NAME}))
    if config.copy_groups():  # registration: copy: the registry's receiving bus (docs/copy.md)
        registry = config.registry.account
        doc, text = KIND.fitted(lambda compact: copy.bus_policy(config, arns, compact))
        out.append(KIND.policy(registry, arns.registry_id, copyflow.bus_arn(arns),
                               f"{registry}/policies/event-bus-policy-{copyflow.BUS_NAME}.json",
                               doc, {"bus": copyflow.BUS_NAME}, text))
    return out


def _bind(policy, path):
    return ("copy_bus_policy" if policy.extra.get("bus") == copyflow.BUS_NAME else "bus_policy"), 0, path


KIND = Kind(
    name="event_bus_policy",
    role=RESOURCE,
    target_type="event-bus",
    governs=("event-bus",),
    limit=Limit(10_240, "characters", True, "EventBridge event bus policy",
                "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"),
    order=81,
    terraform=TerraformResource("aws_cloudwatch_event_bus_policy", "policy", {"event_bus_name": "target_bus"}),
    render=render,
    bind=_bind,
)
