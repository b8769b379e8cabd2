"""Approval events: which registry events reach which accounts, and how.

SageMaker puts a ``SageMaker Model Package State Change`` event
(``source: aws.sagemaker``) on the registry account's default bus whenever a
version is registered, approved or moves through its lifecycle
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-model-package,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-staging-construct-event-bridge.html).
Each group's events go to the accounts that act on them, and to nobody
else: its deployers (the deployment pipeline), its approvers and, with
stages, every stage approver (the approval workflow). Each receiving
account gets a dedicated bus, ``model-registry-events``, whose policy we own
entirely (an event bus has exactly one resource policy: replacing the
default bus's would break the account's other integrations).

Rules on the registry's default bus forward the events through one rule
role (``events:PutEvents`` on exactly the receivers' buses), as AWS
recommends for bus targets
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html).

Quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html)
and how the plan stays inside them:

- targets per rule: 5 (not adjustable) -> receivers are chunked by 5;
- event pattern size: 2,048 characters -> a rule's group list is chunked so
  its pattern fits;
- rules per bus: 300 (100 in af-south-1 and eu-south-1; adjustable) ->
  receivers that get exactly the same groups share rules, so the count is
  (distinct group sets) x ceil(receivers / 5) x (group chunks), reported by
  the benchmark, not a function of the number of accounts;
- bus policy size: 10,240 characters -> each bus policy is one statement
  naming the rule role and the rule-name prefix, constant in size.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from generator.arns import Arns
from generator.config import Config
from generator.config.stages import stage_approvers, stage_names

SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"
BUS_NAME = "model-registry-events"
ROLE_NAME = "model-registry-event-forwarder"
RULE_PREFIX = "model-registry-events-"
MAX_TARGETS = 5
MAX_PATTERN = 2048
RECEIVING_PARTIES = ("deployers", "approvers")


@dataclass(frozen=True)
class Rule:
    name: str
    groups: tuple[str, ...]
    receivers: tuple[str, ...]  # account names, sorted

    def pattern(self) -> dict:
        return pattern(self.groups)


def pattern(groups) -> dict:
    return {"source": [SOURCE], "detail-type": [DETAIL_TYPE], "detail": {"ModelPackageGroupName": list(groups)}}


def pattern_size(groups) -> int:
    """Characters of the pattern as EventBridge stores it (compact JSON; the
    Terraform module sends jsonencode of it)."""
    return len(json.dumps(pattern(groups), separators=(",", ":"), ensure_ascii=False))


def bus_arn(arns: Arns, account_id: str) -> str:
    return f"arn:{arns.partition}:events:{arns.region}:{account_id}:event-bus/{BUS_NAME}"


def rule_arn(arns: Arns, name: str) -> str:
    # Rules on the default bus: rule/NAME (Service Authorization Reference, rule-on-default-event-bus).
    return f"arn:{arns.partition}:events:{arns.region}:{arns.registry_id}:rule/{name}"


def rule_prefix_arn(arns: Arns) -> str:
    return rule_arn(arns, RULE_PREFIX + "*")


def role_arn(arns: Arns) -> str:
    return arns.role_arn(arns.registry_id, ROLE_NAME)


def receivers_of(config: Config, group: str) -> list[str]:
    """Accounts that receive ``group``'s events, sorted."""
    names = {n for party in RECEIVING_PARTIES for n in config.party_accounts(group, party)}
    for stage in stage_names(config):
        names.update(stage_approvers(config, stage))
    return sorted(names)


def receivers(config: Config) -> list[str]:
    return sorted({n for group in config.model_groups for n in receivers_of(config, group)})


def _chunks(groups: list[str]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    current: list[str] = []
    for group in groups:
        if current and pattern_size(current + [group]) > MAX_PATTERN:
            out.append(tuple(current))
            current = []
        current.append(group)
    if current:
        out.append(tuple(current))
    return out


def plan(config: Config) -> list[Rule]:
    """Every rule, in a stable order; names are stable while a rule's
    receivers stay the same (a digest of their account ids) and its
    position in the sorted group list does."""
    by_set: dict[tuple[str, ...], list[str]] = {}
    groups_of: dict[str, list[str]] = {}
    for group in sorted(config.model_groups):
        for account in receivers_of(config, group):
            groups_of.setdefault(account, []).append(group)
    for account, groups in sorted(groups_of.items()):
        by_set.setdefault(tuple(groups), []).append(account)
    rules = []
    for groups, accounts in sorted(by_set.items(), key=lambda item: item[1]):
        for start in range(0, len(accounts), MAX_TARGETS):
            targets = tuple(accounts[start:start + MAX_TARGETS])
            ids = ",".join(sorted(config.accounts[a].id for a in targets))
            digest = hashlib.sha256(ids.encode()).hexdigest()[:10]
            for index, chunk in enumerate(_chunks(list(groups)), 1):
                rules.append(Rule(f"{RULE_PREFIX}{digest}-{index}", chunk, targets))
    return rules
