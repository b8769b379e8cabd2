"""EventBridge rules on the registry's default bus (the event rule kind in generator/kinds/).

Not a policy: the rule's event pattern and its targets, as the registry
root's Terraform puts them (``{"EventPattern": ..., "Targets": [{"Id",
"Arn", "RoleArn"}]}``). Each rule matches one set of groups' model package
state changes and forwards them to at most five receivers' buses through the
rule role. See generator/events.py for the quotas this respects.
"""

from __future__ import annotations

from generator import events
from generator.arns import Arns
from generator.config import Config


def build(config: Config, arns: Arns, rule: events.Rule) -> dict:
    return {
        "EventPattern": rule.pattern(),
        "Targets": [
            {"Id": account, "Arn": events.bus_arn(arns, config.accounts[account].id), "RoleArn": events.role_arn(arns)}
            for account in rule.receivers
        ],
    }
