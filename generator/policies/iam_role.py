"""Identity policies: the caller's half of every cross-account grant.

One document per role listed in the config, holding the same grants as the
registry-side policies (see generator/access.py), merged across the model
groups the role's account works on. A role's account kind decides its
party, so a role is only ever a developer, a deployer, a consumer or an
approver: separation of duties follows from the config's account kinds.

When the per-group document does not fit a managed policy (6,144
characters), the role gets the registry-wide form instead: the same
actions and conditions on every group's ARNs (``model-package/*/*``,
``<bucket>/*/*``). The registry-side half, which the registry owner
controls, stays per group, so what the role can actually do is unchanged:
a cross-account call needs both halves.
"""

from __future__ import annotations

from generator.access import Grant, Lifecycle, condition_dict, group_grants, key_grants, repository_grants, token_grant
from generator.arns import ANY, Arns
from generator.config import PARTIES, PARTY_KINDS, Config
from generator.config.ecr import memberships
from generator.config.stages import account_stage, stage_approvers
from generator.names import camel
from generator.policies import deploy_role
from generator.policies.common import document, merge_conditions, statement


def party_of(kind: str) -> str | None:
    return next((party for party in PARTIES if PARTY_KINDS[party] == kind), None)


def approved_stages(config: Config, account: str) -> list[str]:
    """The stages a governance account approves (every group), in order."""
    if config.accounts[account].kind != "governance":
        return []
    return [stage.name for stage in config.stages or () if account in stage_approvers(config, stage.name)]


def account_grants(config: Config, arns: Arns, account: str, registry_wide: bool = False,
                   repositories: dict[str, list[tuple[str, str]]] | None = None) -> list[Grant]:
    """Every grant the account's roles hold, in a stable order.

    ``repositories`` is :func:`generator.config.ecr.memberships` of the
    config (computed once by the caller); None computes it."""
    party = party_of(config.accounts[account].kind)
    groups = [group for group, p in config.groups_of(account) if p == party]
    stages = approved_stages(config, account)
    if party is None or not (groups or stages):
        return []
    lifecycle = Lifecycle.of(config)
    own = account_stage(config, account) if party == "consumers" else None
    grants: list[Grant] = []
    if registry_wide and groups:
        # The registry-wide form: each registration mode's grants on every group.
        for copy in sorted({config.is_copy(group) for group in groups}):
            grants.extend(group_grants(arns, ANY, party, lifecycle, own, copy=copy))
    else:
        for group in groups:
            grants.extend(group_grants(arns, group, party, lifecycle, own, copy=config.is_copy(group)))
    # Stage approvers approve their stage on every group.
    for stage in stages:
        for group in [ANY] if registry_wide else sorted(config.model_groups):
            grants.extend(group_grants(arns, group, "stage_approvers", lifecycle, stage))
    if groups:
        grants.extend(key_grants(arns, party))
    if repositories is None:
        repositories = memberships(config)
    repos = [repo for repo, p in repositories.get(account, []) if p == party]
    image_grants = [g for repo in ([ANY] if registry_wide and repos else repos)
                    for g in repository_grants(arns, repo, party)]
    if image_grants:
        # The same actions on exactly the repositories' ARNs, plus the token
        # that docker login needs (only "*" exists for it).
        grants.extend(image_grants)
        grants.append(token_grant())
    return grants


def _merge(grants: list[Grant]) -> list[tuple[str, Grant]]:
    """Merge same-named grants of different groups into one statement each.

    Grants whose conditions are equal merge by taking the union of their
    resources. Grants on the same resource whose conditions differ only in
    values (s3:prefix for ListBucket) merge by taking the union of values;
    both are the exact union of the separate grants. Otherwise (listing
    through each group's own access point) each group keeps its own
    statement, named after the group.
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
            shape = {(op, key) for op, keys in first.conditions for key, _ in keys}
            if any({(op, key) for op, keys in g.conditions for key, _ in keys} != shape for g in same):
                raise ValueError(f"cannot merge grants {name}: condition keys differ")
            union: dict[str, dict[str, set[str]]] = {}
            for g in same:
                for op, keys in g.conditions:
                    for key, values in keys:
                        union.setdefault(op, {}).setdefault(key, set()).update(values)
            conds = tuple(
                sorted((op, tuple(sorted((k, tuple(sorted(v))) for k, v in keys.items()))) for op, keys in union.items())
            )
        else:
            merged.extend((f"{name}{camel(g.group)}", g) for g in same)
            continue
        resources = tuple(r for g in same for r in g.resources)
        merged.append((name, Grant(name, first.service, first.actions, resources, conds, first.effect, first.why)))
    return merged


def identity_conditions(arns: Arns, grant: Grant) -> dict:
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


def _document(arns: Arns, grants: list[Grant], extra: list[dict] = ()) -> dict:
    return document(
        [
            statement(name, grant.effect, grant.actions, grant.resources, identity_conditions(arns, grant))
            for name, grant in _merge(grants)
        ]
        + list(extra)
    )


def assume_deploy_roles(config: Config, arns: Arns, account: str, registry_wide: bool) -> list[dict]:
    """A deployment account's roles assume the deploy role (deploy_role) of
    exactly the workload accounts they deploy to. In the registry-wide form
    (a document over its size limit) the statement names the deploy role in
    any account: each deploy role's trust policy still admits only the
    deployment roles that deploy its account's groups, so who can assume
    which role is unchanged, as for the registry's own resource policies."""
    if party_of(config.accounts[account].kind) != "deployers":
        return []
    targets = deploy_role.role_arns_deployed_by(config, account)
    if not targets:
        return []
    resources = [arns.role_arn("*", config.deploy_role.name)] if registry_wide else targets
    return [statement("AssumeDeployRoles", "Allow", ["sts:AssumeRole"], resources)]


def _surely_too_big(config: Config, arns: Arns, account: str, size: int) -> bool:
    """A cheap lower bound: every party's per-group form names each of its
    groups' version ARNs at least once, so past the limit in those alone
    the exact form cannot fit (and need not be built)."""
    party = party_of(config.accounts[account].kind)
    groups = [group for group, p in config.groups_of(account) if p == party]
    if approved_stages(config, account):
        groups = sorted(config.model_groups)
    floor = sum(len(arns.package_arns(group)) + 3 for group in groups)
    return floor > size


def build(config: Config, arns: Arns, kind) -> dict[tuple[str, str], tuple[dict, str]]:
    """{(account name, role entry): (policy document, scope)}; scope is
    "model-groups" or "registry-wide". ``kind`` is the identity policy
    kind, whose size limit decides between the two."""
    out: dict[tuple[str, str], tuple[dict, str]] = {}
    repositories = memberships(config)
    for account in sorted(config.accounts):
        if _surely_too_big(config, arns, account, kind.limit.size):
            grants = account_grants(config, arns, account, registry_wide=True, repositories=repositories)
            doc, scope = _document(arns, grants, assume_deploy_roles(config, arns, account, True)), "registry-wide"
        else:
            grants = account_grants(config, arns, account, repositories=repositories)
            if not grants:
                continue
            doc, scope = _document(arns, grants, assume_deploy_roles(config, arns, account, False)), "model-groups"
            if not kind.fits(doc):
                wide = account_grants(config, arns, account, registry_wide=True, repositories=repositories)
                doc, scope = _document(arns, wide, assume_deploy_roles(config, arns, account, True)), "registry-wide"
        for role in config.accounts[account].roles:
            out[(account, role)] = (doc, scope)
    return out
