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
  receivers that get exactly the same groups share rules, and each set of
  groups takes its cheapest exact pattern (below), so the count is
  (distinct group sets) x ceil(receivers / 5) x (rules per set); the render
  refuses more than the quota (generator/quotas.py, ``quotas:``);
- bus policy size: 10,240 characters -> each bus policy is one statement
  naming the rule role and the rule-name prefix, constant in size.

The cheapest pattern for a set of receivers that get the groups S of the
configured groups G (EventBridge content filtering,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):

- S = G: no ``ModelPackageGroupName`` filter (one rule per 5 receivers);
- G minus S is short: ``[{"anything-but": [G minus S]}]``, when it fits one
  pattern and takes fewer rules (or fewer characters) than listing S;
- otherwise S listed by name, chunked to fit 2,048 characters.

Both wider forms are exact over the configured groups. A model package
group created in the registry account outside the config has no receivers,
yet its events match them: the registry account's groups are meant to be
the config's (its root creates them); docs/events.md says so.
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
    groups: tuple[str, ...]  # the configured groups whose events it forwards
    receivers: tuple[str, ...]  # account names, sorted
    # None: the groups are listed by name; () no group filter (every group);
    # else anything-but these (the configured groups the receivers do not get).
    excluded: tuple[str, ...] | None = None

    def pattern(self) -> dict:
        if self.excluded is None:
            return pattern(self.groups)
        if not self.excluded:
            return {"source": [SOURCE], "detail-type": [DETAIL_TYPE]}
        return all_but_pattern(self.excluded)


def pattern(groups) -> dict:
    return {"source": [SOURCE], "detail-type": [DETAIL_TYPE], "detail": {"ModelPackageGroupName": list(groups)}}


def all_but_pattern(excluded) -> dict:
    return {"source": [SOURCE], "detail-type": [DETAIL_TYPE],
            "detail": {"ModelPackageGroupName": [{"anything-but": list(excluded)}]}}


def _size(document: dict) -> int:
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def matched_groups(document: dict, configured) -> set[str] | None:
    """The configured groups whose events an event pattern forwards, for
    the forms :func:`plan` writes (tests/test_event_patterns.py checks it
    against EventBridge's matching); None for any other pattern."""
    if set(document) - {"source", "detail-type", "detail"}:
        return None
    detail = document.get("detail", {})
    if not isinstance(detail, dict) or set(detail) - {"ModelPackageGroupName"}:
        return None
    if "ModelPackageGroupName" not in detail:
        return set(configured)  # no group filter
    values = detail["ModelPackageGroupName"]
    if not isinstance(values, list) or not values:
        return None
    if all(isinstance(v, str) for v in values):
        return set(configured) & set(values)
    if len(values) == 1 and isinstance(values[0], dict) and set(values[0]) == {"anything-but"}:
        but = values[0]["anything-but"]
        but = [but] if isinstance(but, str) else but
        if isinstance(but, list) and but and all(isinstance(v, str) for v in but):
            return set(configured) - set(but)
    return None


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
    every = sorted(config.model_groups)
    rules = []
    for groups, accounts in sorted(by_set.items(), key=lambda item: item[1]):
        forms = _forms(every, groups)
        for start in range(0, len(accounts), MAX_TARGETS):
            targets = tuple(accounts[start:start + MAX_TARGETS])
            ids = ",".join(sorted(config.accounts[a].id for a in targets))
            digest = hashlib.sha256(ids.encode()).hexdigest()[:10]
            for index, (chunk, excluded) in enumerate(forms, 1):
                rules.append(Rule(f"{RULE_PREFIX}{digest}-{index}", chunk, targets, excluded))
    return rules


def _forms(every: list[str], groups: tuple[str, ...]) -> list[tuple[tuple[str, ...], tuple[str, ...] | None]]:
    """The cheapest exact patterns for receivers of ``groups`` (module
    docstring): fewest rules, then fewest characters."""
    if len(groups) == len(every):
        return [(groups, ())]
    listed = [(chunk, None) for chunk in _chunks(list(groups))]
    received = set(groups)
    excluded = tuple(g for g in every if g not in received)
    size = _size(all_but_pattern(excluded))
    if size <= MAX_PATTERN and (len(listed) > 1 or size < pattern_size(groups)):
        return [(groups, excluded)]
    return listed
