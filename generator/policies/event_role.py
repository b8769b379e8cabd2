"""The rule role's identity policy (registry account).

EventBridge assumes this role to put the forwarded events on the receivers'
buses: ``events:PutEvents`` on exactly those bus ARNs and nothing else
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html:
"We recommend always using IAM roles when the target of a rule is an event
bus"). If the exact list is over the managed-policy limit, the compact form
names the bus in any account and narrows it with aws:ResourceAccount to the
receivers: the same buses, about 15 characters per account instead of 75.
"""

from __future__ import annotations

from generator import events
from generator.arns import Arns
from generator.config import Config
from generator.policies.common import document, statement

SID = "PutEventsOnReceiverBuses"
SCOPES = ("event-buses", "event-buses-compact")


def build(config: Config, arns: Arns, kind) -> tuple[dict, str]:
    """(document, scope): scope is "event-buses" or "event-buses-compact";
    ``kind`` is the identity policy kind, whose size limit decides."""
    receivers = events.receivers(config)
    exact = document([
        statement(SID, "Allow", ["events:PutEvents"],
                  [events.bus_arn(arns, config.accounts[a].id) for a in receivers]),
    ])
    if kind.fits(exact):
        return exact, "event-buses"
    compact = document([
        statement(SID, "Allow", ["events:PutEvents"], [events.bus_arn(arns, "*")],
                  {"StringEquals": {"aws:ResourceAccount": sorted(config.accounts[a].id for a in receivers)}}),
    ])
    return compact, "event-buses-compact"
