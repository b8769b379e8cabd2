"""AWS quotas on how many things the render creates, and the check against them.

Size limits live on the kinds (``Kind.limit``, generator/limits.py); this
module is the table of the *count* quotas a render can exceed, each with
its default, whether AWS raises it, the page it comes from and what the
render counts against it. docs/limits.md#quotas prints the same table.

Over a hard limit the render stops (exit 2, one line, nothing written)
naming what to change in the config. Over an adjustable quota it stops too,
unless the config declares the raised value in ``quotas:``
(generator/config/quotas.py), the one place for raised quotas; a declared
value above the most AWS grants is refused when the config is read.

Kinds are asked by role and property (generator/kinds/), never by name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable

from generator import events, kinds
from generator.config import Config
from generator.config.deploy import MAX_MANAGED_POLICIES
from generator.config.quotas import DEFAULT_ACCESS_POINTS, default_rules_per_bus, managed_policies_per_role
from generator.errors import PolicyTooLarge
from generator.kinds._organization import POLICIES_PER_TARGET

IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
EVENTBRIDGE_QUOTAS = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"
S3_ACCESS_POINTS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-restrictions-limitations.html"
ORGANIZATIONS_QUOTAS = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"


@dataclass(frozen=True)
class Quota:
    key: str  # its key under quotas: (adjustable ones), or its name in messages
    name: str  # "rules per event bus"
    adjustable: bool
    source: str  # the AWS page
    counts: str  # what the render counts against it
    # (config) -> (the value that applies, the setting that declared it or "" for AWS's default)
    value: Callable[[Config], tuple[int, str]]
    # (config, policies) -> [(count, item)]: every item the quota applies to
    count: Callable[[Config, list], list[tuple[int, str]]]
    maximum: int | None = None  # the most AWS grants on request, where stated
    fix: str = ""  # for a hard limit: what to change in the config


def _by(policies, predicate, key) -> list[tuple[int, str]]:
    counter = Counter(key(p) for p in policies if predicate(p))
    return [(count, item) for item, count in counter.items()]


def _roles(config, policies):
    identity = kinds.one(role=kinds.IDENTITY).name
    return _by(policies, lambda p: p.kind == identity, lambda p: f"{p.account} role {p.extra.get('role', p.target)}")


def _rules(config, policies):
    rule = kinds.one(role=kinds.DATA, target_type="rule").name
    # A rule on another bus than the default one names it (registration:
    # copy: the registry's receiving bus, generator/copyflow.py).
    return _by(policies, lambda p: p.kind == rule, lambda p: f"{p.account} {p.extra.get('bus', 'default')} event bus")


def _targets(config, policies):
    rule = kinds.one(role=kinds.DATA, target_type="rule").name
    return [(len(p.document.get("Targets", [])), p.path) for p in policies if p.kind == rule]


def _access_points(config, policies):
    point = kinds.governing("accesspoint").name
    return _by(policies, lambda p: p.kind == point, lambda p: f"{p.account} in {config.region}")


def _organization(role):
    def count(config, policies):
        name = kinds.one(role=role).name
        n = sum(1 for p in policies if p.kind == name)
        return [(n, "each guardrails.attach_to target")] if n else []
    return count


QUOTAS: tuple[Quota, ...] = (
    Quota(
        "managed_policies_per_role", "managed policies per role", True, IAM_QUOTAS,
        "identity policies rendered for one role (the deploy role's parts; every other role takes one)",
        managed_policies_per_role, _roles, maximum=MAX_MANAGED_POLICIES,
    ),
    Quota(
        "rules_per_event_bus", "rules per event bus", True, EVENTBRIDGE_QUOTAS,
        "event rules on each bus the render puts rules on (the registry's default bus; with registration: copy "
        "each development account's default bus and the registry's model-registry-copy bus)",
        lambda config: (config.quotas.rules_per_event_bus, "quotas.rules_per_event_bus")
        if config.quotas.rules_per_event_bus is not None else (default_rules_per_bus(config.region), ""),
        _rules,
    ),
    Quota(
        "targets_per_rule", "targets per rule", False, EVENTBRIDGE_QUOTAS,
        "receiving accounts' buses in one rule",
        lambda config: (events.MAX_TARGETS, ""), _targets,
        fix="the render puts at most 5 receivers in a rule; report this as a bug",
    ),
    Quota(
        "access_points_per_account_region", "access points per account and Region", True, S3_ACCESS_POINTS,
        "access points (one per group with S3 grants, registry.s3_layout: access_points) in the registry account",
        lambda config: (config.quotas.access_points_per_account_region, "quotas.access_points_per_account_region")
        if config.quotas.access_points_per_account_region is not None else (DEFAULT_ACCESS_POINTS, ""),
        _access_points,
    ),
    Quota(
        "scps_per_target", "SCPs attached per root, OU or account", False, ORGANIZATIONS_QUOTAS,
        "the guardrails' SCPs, all attached to each guardrails.attach_to target (5, less FullAWSAccess's place)",
        lambda config: (POLICIES_PER_TARGET, ""), _organization(kinds.SCP),
        fix="fewer role names or accounts per exemption, or drop guardrails:",
    ),
    Quota(
        "rcps_per_target", "RCPs attached per root, OU or account", False, ORGANIZATIONS_QUOTAS,
        "the guardrails' RCPs, all attached to each guardrails.attach_to target (5, less RCPFullAWSAccess's place)",
        lambda config: (POLICIES_PER_TARGET, ""), _organization(kinds.RCP),
        fix="fewer role names or accounts per exemption, or drop guardrails:",
    ),
)


@dataclass(frozen=True)
class Usage:
    quota: Quota
    value: int  # the quota that applies
    count: int  # the tightest item's count
    item: str


def usage(config: Config, policies: list) -> list[Usage]:
    """The tightest item of each quota that applies to this render."""
    out = []
    for quota in QUOTAS:
        counts = quota.count(config, policies)
        if not counts:
            continue
        count, item = min(counts, key=lambda c: (-c[0], c[1]))  # the first item among equals
        out.append(Usage(quota, quota.value(config)[0], count, item))
    return out


def check(config: Config, policies: list) -> list[Usage]:
    """Raise PolicyTooLarge (exit 2, one line) on the first quota exceeded,
    in the table's order; else the tightest item of each quota."""
    used = usage(config, policies)
    for use in used:
        if use.count > use.value:
            raise PolicyTooLarge(_message(config, use))
    return used


def _message(config: Config, use: Usage) -> str:
    quota = use.quota
    head = f"{use.item}: {use.count:,} {quota.name}"
    if not quota.adjustable:
        return f"{head}, over AWS's limit of {use.value:,}, which cannot be raised ({quota.source}); {quota.fix}"
    _, setting = quota.value(config)
    where = f"{setting} declares {use.value:,}" if setting else f"AWS's default is {use.value:,}"
    if quota.maximum is not None and use.value >= quota.maximum:
        return (f"{head}, over the quota ({where}), and AWS grants at most {quota.maximum:,} ({quota.source}); "
                "split the config so fewer are needed")
    return (f"{head}, over the quota ({where}; {quota.source}): request an increase to at least {use.count:,} "
            f"and declare it as quotas.{quota.key}: {use.count}")

