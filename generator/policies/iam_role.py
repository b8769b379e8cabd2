"""Identity policies: the caller's half of every cross-account grant.

One document per role listed in the config, holding the same grants as the
registry-side policies (see generator/access.py), merged across the model
groups the role's account works on. A role's account kind decides its
party, so a role is only ever a developer, a deployer, a consumer or an
approver: separation of duties follows from the config's account kinds.
"""

from __future__ import annotations

from generator.access import Grant, condition_dict, group_grants, key_grants
from generator.arns import Arns
from generator.config import PARTIES, PARTY_KINDS, Config
from generator.policies.common import document, merge_conditions, statement


def party_of(kind: str) -> str | None:
    return next((party for party in PARTIES if PARTY_KINDS[party] == kind), None)


def account_grants(config: Config, arns: Arns, account: str) -> list[Grant]:
    """Every grant the account's roles hold, in a stable order."""
    party = party_of(config.accounts[account].kind)
    if party is None:
        return []
    groups = [g for g in sorted(config.model_groups) if account in config.party_accounts(g, party)]
    if not groups:
        return []
    grants: list[Grant] = []
    for group in groups:
        grants.extend(group_grants(arns, group, party))
    grants.extend(key_grants(arns, party))
    return grants


def _merge(grants: list[Grant]) -> list[tuple[str, Grant]]:
    """Merge same-named grants of different groups into one statement each.

    Grants whose conditions are equal merge by taking the union of their
    resources. Grants on the same resource whose conditions differ only in
    values (s3:prefix for ListBucket) merge by taking the union of values;
    both are the exact union of the separate grants.
    """
    by_name: dict[str, list[Grant]] = {}
    for grant in grants:
        by_name.setdefault(grant.name, []).append(grant)
    merged = []
    for name, same in by_name.items():
        first = same[0]
        if all(g.conditions == first.conditions for g in same):
            conds = first.conditions
        elif all(g.resources == first.resources for g in same):
            union: dict[str, dict[str, set[str]]] = {}
            for g in same:
                for op, keys in g.conditions:
                    for key, values in keys:
                        union.setdefault(op, {}).setdefault(key, set()).update(values)
            shape = {(op, key) for op, keys in first.conditions for key, _ in keys}
            if any({(op, key) for op, keys in g.conditions for key, _ in keys} != shape for g in same):
                raise ValueError(f"cannot merge grants {name}: condition keys differ")
            conds = tuple(
                sorted((op, tuple(sorted((k, tuple(sorted(v))) for k, v in keys.items()))) for op, keys in union.items())
            )
        else:
            raise ValueError(f"cannot merge grants {name}: both resources and conditions differ")
        resources = tuple(r for g in same for r in g.resources)
        merged.append(
            (name, Grant(name, first.service, first.actions, resources, conds, first.effect, first.why))
        )
    return merged


def identity_conditions(config: Config, arns: Arns, grant: Grant) -> dict:
    extra: list[dict] = []
    if grant.effect == "Allow" and grant.service == "s3":
        # Bucket names are global: pin the bucket to the registry account so
        # a re-created bucket of the same name elsewhere gets nothing.
        extra.append({"StringEquals": {"aws:ResourceAccount": [arns.registry_id]}})
    if grant.service == "kms" and not arns.key_arn:
        # The key id is unknown before the key exists: any key of the
        # registry account, but only the one behind the artifact alias.
        extra.append({"ForAnyValue:StringEquals": {"kms:ResourceAliases": [arns.alias]}})
    return merge_conditions(condition_dict(grant.conditions), *extra)


def build(config: Config, arns: Arns) -> dict[tuple[str, str], dict]:
    """{(account name, role entry): policy document} for every granted role."""
    out: dict[tuple[str, str], dict] = {}
    for account in sorted(config.accounts):
        grants = account_grants(config, arns, account)
        if not grants:
            continue
        statements = [
            statement(name, grant.effect, grant.actions, grant.resources, identity_conditions(config, arns, grant))
            for name, grant in _merge(grants)
        ]
        for role in config.accounts[account].roles:
            out[(account, role)] = document(statements)
    return out
