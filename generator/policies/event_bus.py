"""The policy of each receiving account's ``model-registry-events`` bus (the event bus policy kind in generator/kinds/).

Only the registry's rule role may put events on it, only SageMaker model
package state changes, only from rules named with our prefix, and only
from inside the organization. AWS's examples for a bus in another account
name the sending account and narrow with ``events:source``,
``events:detail-type`` and ``aws:SourceArn``
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-restrict-rule.html).

``events:source`` and ``events:detail-type`` carry one value per entry of
a PutEvents call, so they are tested with ForAllValues (every entry must
match); ForAllValues is true when the key is absent, so a Null test
requires it. One statement, constant in size: the 10,240-character bus
policy quota holds however many rules there are.
"""

from __future__ import annotations

from generator import events
from generator.arns import Arns
from generator.config import Config
from generator.policies.common import document, statement


def build(config: Config, arns: Arns, account: str) -> dict:
    condition = {
        "ArnEquals": {"aws:PrincipalArn": [events.role_arn(arns)]},
        "ArnLike": {"aws:SourceArn": [events.rule_prefix_arn(arns)]},
        "ForAllValues:StringEquals": {"events:detail-type": [events.DETAIL_TYPE], "events:source": [events.SOURCE]},
        "Null": {"events:detail-type": ["false"], "events:source": ["false"]},
    }
    if config.organization_id:
        condition["StringEquals"] = {"aws:PrincipalOrgID": [config.organization_id]}
    return document([
        statement(
            "RegistryRuleRolePutsModelPackageEvents", "Allow", ["events:PutEvents"],
            [events.bus_arn(arns, config.accounts[account].id)], dict(sorted(condition.items())),
            principal={"AWS": [arns.account_root(arns.registry_id)]},
        )
    ])
