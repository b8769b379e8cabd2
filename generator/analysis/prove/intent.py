"""The intent: what the config says each party may do, as formulas.

Built from the config and the grant table render uses (generator.access:
``group_grants``, ``party_members``; the identity side from the same
``account_grants`` and the deploy role's ``describe_versions_grants``),
never from the rendered files. A grant is read as IAM reads a statement
with its actions, resources and conditions (generator.analysis.prove.encoding);
who holds it is the party's members (``Party.role_arns`` minus
``Party.excluded_arns``).

What the registry half adds to every Allow, as design rules of the tool
(docs/grants.md): the organization guard (``aws:PrincipalOrgID`` equals
``organization_id``, when set); and the registry account itself never sets
a version's approval status or, with stages, its lifecycle stage or stage
status (Create/UpdateModelPackage with the key present is denied to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from generator.access import (
    APPROVAL_STATUS_KEY,
    PENDING,
    STAGE_KEY,
    STAGE_PENDING,
    STAGE_STATUS_KEY,
    Grant,
    Lifecycle,
    group_grants,
    party_members,
)
from generator.analysis.prove import encoding
from generator.analysis.prove.domain import Domain, Halves
from generator.arns import Arns
from generator.config import PARTIES
from generator.config.stages import account_stage, stage_approvers

DECISION_ACTIONS = ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage")


@dataclass
class Holder:
    """One party of the group and the grants it holds there."""

    label: str  # "developers", "consumers (Test)", "stage approvers (Prod)", ...
    accounts: tuple[str, ...]  # account ids
    grants: list[tuple[object, Grant]]  # (Party holding it, grant)


@dataclass
class Intent:
    holders: list[Holder]
    identities: list[tuple[str, list[Grant]]] = field(default_factory=list)  # (role ARN glob, grants)


def holders(config, arns: Arns, group: str) -> list[Holder]:
    """Every party of ``group`` with its members and grants (the group policy's Allows and Denies)."""
    from generator.policies import deploy_role

    lifecycle = Lifecycle.of(config)
    copy = config.is_copy(group)
    deploying = set(deploy_role.group_deploy_accounts(config, group))
    out = []

    def add(label: str, names: list[str], grants: list[Grant], party: str) -> None:
        members = party_members(config, arns, names)
        readers = members
        if party == "consumers" and deploying & set(names):
            readers = deploy_role.with_deploy_roles(config, members, deploying & set(names))
        held = [(readers if g.actions == ("sagemaker:DescribeModelPackage",) else members, g)
                for g in grants if g.service == "sagemaker"]
        out.append(Holder(label, members.accounts, held))

    for party in PARTIES:
        names = config.party_accounts(group, party)
        if not names:
            continue
        if party == "consumers" and lifecycle:
            by_stage: dict[str, list[str]] = {}
            for name in names:
                by_stage.setdefault(account_stage(config, name), []).append(name)
            for stage, members in sorted(by_stage.items()):
                add(f"consumers ({stage})", members, group_grants(arns, group, party, lifecycle, stage, copy=copy), party)
            continue
        add(party, names, group_grants(arns, group, party, lifecycle, copy=copy), party)
    for stage in lifecycle.stages:
        add(f"stage approvers ({stage})", stage_approvers(config, stage),
            group_grants(arns, group, "stage_approvers", lifecycle, stage, copy=copy), "stage_approvers")
    return out


def identities(config, arns: Arns, registry_wide: set[str]) -> list[tuple[str, list[Grant]]]:
    """[(role ARN glob, the grants its identity policy carries)] for every
    role the config gives an identity policy (listed roles, deploy roles),
    as render lays them out per account (generator.policies.iam_role).
    ``registry_wide``: role globs whose rendered policy is the registry-wide
    form (chosen by size): their intent is that form's grants."""
    from generator.config.ecr import memberships
    from generator.policies import deploy_role, iam_role

    repositories = memberships(config)
    out = []
    for name in sorted(config.accounts):
        account = config.accounts[name]
        if account.id == arns.registry_id:
            continue
        for role in account.roles:
            target = arns.role_target(account.id, role)
            grants = iam_role.account_grants(config, arns, name, registry_wide=target in registry_wide,
                                             repositories=repositories)
            if grants:
                out.append((target, grants))
    for target in deploy_role.targets(config):
        grants = [g for group in target.groups
                  for g in deploy_role.describe_versions_grants(config, arns, group, target.account)]
        out.append((target.role_arn, grants))
    out += _copy_identities(config, arns)
    return out


def _copy_identities(config, arns: Arns) -> list[tuple[str, list[Grant]]]:
    """registration: copy (docs/copy.md): the registry function's role holds
    its grant table (``access.function_grants`` per copy-mode group, and the
    key through S3); each development account's forwarding-rule role holds
    PutEvents on the registry's receiving bus and nothing else."""
    from generator import copyflow
    from generator.access import function_grants, function_key_grant
    from generator.config.ecr import group_repositories

    if not config.copy_groups():
        return []
    lifecycle = Lifecycle.of(config)
    grants = []
    for group in config.copy_groups():
        ids = tuple(sorted(config.accounts[a].id for a in config.party_accounts(group, "developers")))
        grants += function_grants(arns, group, ids, lifecycle, group_repositories(config, group))
    grants.append(function_key_grant(arns))
    out = [(copyflow.function_role_arn(arns), grants)]
    forward = Grant("ForwardLocalApprovals", "events", ("events:PutEvents",), (copyflow.bus_arn(arns),),
                    why="forward the account's local approvals to the registry's receiving bus")
    for name in copyflow.copy_developers(config):
        out.append((copyflow.forward_role_arn(arns, config.accounts[name].id), [forward]))
    return out


def build(config, arns: Arns, group: str, registry_wide: set[str]) -> Intent:
    return Intent(holders(config, arns, group), identities(config, arns, registry_wide))


_INDEXES: dict = {}
# A target's match with the principal, built once per group's Intent (the
# principal is the same expression in every Case of a group).
_TARGETS: dict = {}


def for_group(identities: list, domain: Domain) -> list[tuple[str, list[Grant]]]:
    """``identities`` with only the grants whose resources can reach the
    domain: a grant of another group never can (its resources name that
    group), so they are indexed by group once."""
    found = _INDEXES.get(id(identities))
    if found is None or found[0] is not identities:
        index = []
        for target, grants in identities:
            by_group: dict = {}
            for grant in grants:
                by_group.setdefault(grant.group or None, []).append(grant)
            index.append((target, by_group))
        found = _INDEXES[id(identities)] = (identities, index)
    out = []
    for target, by_group in found[1]:
        candidates = by_group.get(domain.group, []) + [g for key, gs in by_group.items()
                                                        if key != domain.group and not _named_group(key) for g in gs]
        out.append((target, [g for g in candidates if any(domain.may_match(r) for r in g.resources)]))
    return out


def _named_group(key) -> bool:
    """A grant of one named group (not the key, a repository or every group: ``*``)."""
    return bool(key) and "*" not in key


def _member(req: encoding.Request, party):
    inside = z3.Or([encoding.glob(req.principal, p) for p in party.role_arns] or [z3.BoolVal(False)])
    fenced = [encoding.glob(req.principal, p) for p in party.excluded_arns]
    return z3.And(inside, z3.Not(z3.Or(fenced))) if fenced else inside


def grant_applies(req: encoding.Request, grant: Grant, domain: Domain):
    if isinstance(req.action, str):
        from generator.analysis.evaluate import glob_match

        if not any(glob_match(a, req.action, case_sensitive=False) for a in grant.actions):
            return z3.BoolVal(False)  # one concrete action the grant does not name
    resources = [r for r in grant.resources if domain.may_match(r)]
    if not resources:
        return z3.BoolVal(False)
    parts = [z3.Or([encoding.glob(req.action, a, ignore_case=True) for a in grant.actions]),
             z3.Or([encoding.glob(req.resource, r) for r in resources])]
    for operator, keys in grant.conditions:
        for key, values in keys:
            parts.append(encoding.condition(req, operator, key, list(values)))
    return z3.And(parts)


def condition_entries(intent: Intent, organization_id: str | None) -> list:
    out = [(op, key, list(values)) for h in intent.holders for _, g in h.grants for op, keys in g.conditions
           for key, values in keys]
    out += [(op, key, list(values)) for _, grants in intent.identities for g in grants for op, keys in g.conditions
            for key, values in keys]
    if organization_id:
        out.append(("StringEquals", "aws:PrincipalOrgID", [organization_id]))
    out += [("Null", key, ["false"]) for key in (APPROVAL_STATUS_KEY, STAGE_KEY, STAGE_STATUS_KEY)]
    return out


@dataclass
class Encoded:
    halves: Halves
    grants: list = field(default_factory=list)  # (label, grant name, effect, formula) for explanations
    members: dict = field(default_factory=dict)  # holder label -> membership formula
    intent: Intent | None = None


def encode(config, intent: Intent, domain: Domain, req: encoding.Request) -> Encoded:
    out = Encoded(None, intent=intent)
    allows, denies = [], []
    for holder in intent.holders:
        memberships = []
        for party, grant in holder.grants:
            member = _member(req, party)
            memberships.append(member)
            matched = grant_applies(req, grant, domain)
            if z3.is_false(matched):
                continue
            applies = z3.And(member, matched)
            if grant.effect == "Allow":
                if domain.organization_id:
                    org = req.key(encoding.ORG_KEY)
                    applies = z3.And(applies, org.count == 1, org.values[0] == z3.StringVal(domain.organization_id))
                allows.append(applies)
            else:
                denies.append(applies)
            out.grants.append((holder.label, grant.name, grant.effect, applies))
        out.members[holder.label] = z3.Or(memberships) if memberships else z3.BoolVal(False)
    # The registry account never sets approval status or lifecycle; in a
    # copy-mode group, but for the registry function's registration of a
    # copied version: pending, at the first stage, never an update.
    lifecycle = Lifecycle.of(config)
    keys = [APPROVAL_STATUS_KEY] + ([STAGE_KEY, STAGE_STATUS_KEY] if lifecycle else [])
    in_registry = req.account == z3.StringVal(domain.registry_id)
    decision = z3.And(z3.Or([encoding.glob(req.action, a, ignore_case=True) for a in DECISION_ACTIONS]),
                      z3.Not(req.resource == z3.StringVal(domain.group_arn)))
    sets = z3.Or([req.key(k).count > 0 for k in keys])
    if config.is_copy(domain.group):
        from generator import copyflow

        function = encoding.glob(req.principal, copyflow.function_role_arn(Arns.of(config)))
        present = lambda key: req.key(key).count > 0  # noqa: E731
        other = lambda key, values, op="StringNotEquals": encoding.condition(req, op, key, values)  # noqa: E731
        wrong = [z3.And(present(APPROVAL_STATUS_KEY), other(APPROVAL_STATUS_KEY, [PENDING]))]
        if lifecycle:
            wrong += [z3.And(present(STAGE_KEY), present(STAGE_STATUS_KEY),
                             other(STAGE_KEY, [lifecycle.first], "StringNotEqualsIgnoreCase")),
                      z3.And(present(STAGE_STATUS_KEY),
                             other(STAGE_STATUS_KEY, [STAGE_PENDING], "StringNotEqualsIgnoreCase"))]
        update = encoding.glob(req.action, "sagemaker:UpdateModelPackage", ignore_case=True)
        registry = z3.And(in_registry, decision, z3.Or(
            z3.And(z3.Not(function), sets), z3.Or(wrong), z3.And(function, update)))
    else:
        registry = z3.And(in_registry, decision, sets)
    denies.append(registry)
    out.grants.append(("registry account", "RegistryNeverSets", "Deny", registry))
    known, id_allows, id_denies = [], [], []
    for target, grants in intent.identities:
        applies = _TARGETS.get((target, id(intent)))
        if applies is None:
            applies = encoding.glob(req.principal, target)
            if len(_TARGETS) > 100_000:
                _TARGETS.clear()
            _TARGETS[(target, id(intent))] = applies
        known.append(applies)
        for grant in grants:
            matched = grant_applies(req, grant, domain)
            if z3.is_false(matched):
                continue
            (id_denies if grant.effect == "Deny" else id_allows).append(z3.And(applies, matched))
    out.halves = Halves(
        known=z3.Or(known) if known else z3.BoolVal(False),
        id_allow=z3.Or(id_allows) if id_allows else z3.BoolVal(False),
        id_deny=z3.Or(id_denies) if id_denies else z3.BoolVal(False),
        res_allow=z3.Or(allows) if allows else z3.BoolVal(False),
        res_deny=z3.Or(denies),
        res_names=z3.BoolVal(False),
    )
    return out
