"""deploy-prefix-overlap: a deploy role's name prefixes do not cover another group's resources."""

from __future__ import annotations

import bisect

from generator.lint.model import Hit, as_list, rule
from generator.lint.rules.deploy_role_pass_role import deploy_role_policies
from generator.policies import deploy_role


@rule(
    "deploy-prefix-overlap", "error",
    "No deploy role's <group>-* names cover the names of another group it does not deploy (churn-* covers churn-v2-...)",
    category="security",
    fix="Rename one of the two groups so that neither name followed by '-' starts the other "
        "(for example churn and churn-v2 -> churn-v1 and churn-v2), or have the account consume both.",
    scope="set",
)
def deploy_prefix_overlap(ctx):
    """A deploy role manages SageMaker resources named <group>-... . SageMaker
    names allow only letters, digits and hyphens, like group names, so no
    separator can keep churn-* from matching churn-v2-endpoint: the role of
    an account that deploys churn but not churn-v2 could create, update and
    delete resources that look like churn-v2's. Flagged for every group
    whose name followed by '-' starts with a prefix the rendered policy
    grants, when the account does not deploy that group."""
    config = ctx.config
    if config.deploy_role is None:
        return
    by_id = {a.id: n for n, a in config.accounts.items()}
    # Every group's name prefix, sorted: the groups a stem covers are one run
    # of this list (bisect), not a scan of every group per stem.
    prefixes = sorted((deploy_role.name_prefix(g), g) for g in config.model_groups)
    keys = [p for p, _ in prefixes]
    for policy in deploy_role_policies(ctx):
        account = by_id.get(policy.account_id)
        if account is None:
            continue
        deployed = set(deploy_role.deployed_groups(config, account))

        def covered(stem: str):
            for i in range(bisect.bisect_left(keys, stem), len(keys)):
                if not keys[i].startswith(stem):
                    break
                if prefixes[i][1] not in deployed:
                    yield prefixes[i][1]

        seen = set()
        for stmt in policy.statements():
            for resource in as_list(stmt.get("Resource")):
                kind_name = resource.split(":", 5)[-1]  # the resource part: a policy variable holds ":" too
                kind, _, name = kind_name.partition("/")
                # "*": the compact form's any-type ARN (generator/policies/deploy_role.py)
                if kind not in ("model", "endpoint", "endpoint-config", "*") or not name.endswith("*"):
                    continue
                for stem in sorted(_stems(stmt, name)):
                    yield from _flag(stmt, stem, covered, seen, account, policy)


def _stems(stmt: dict, name: str) -> set[str]:
    """The name prefixes a Resource's name grants: ``<group>-`` itself, or,
    in the tagged form (``${aws:RequestTag/...}-*``), each group tag value
    the statement allows, followed by "-"."""
    if "${" not in name:
        return {name[:-1]}
    stems = set()
    for key in (deploy_role.REQUEST_TAG, deploy_role.RESOURCE_TAG):
        if name == "${" + key + "}-*":
            block = stmt.get("Condition", {}).get("StringEquals", {}) if isinstance(stmt.get("Condition"), dict) else {}
            for condition_key, values in block.items():
                if condition_key.lower() == key.lower():
                    stems |= {f"{v}-" for v in as_list(values) if isinstance(v, str)}
    return stems


def _flag(stmt, stem, covered, seen, account, policy):
    for group in sorted(covered(stem)):
        if (stem, group) not in seen:
            seen.add((stem, group))
            yield Hit(f"statement {stmt.get('Sid')}: names {stem}* of account {account} also cover group "
                      f"'{group}' ({deploy_role.name_prefix(group)}...), which it does not deploy",
                      stmt.get("Sid"), policy.path)
