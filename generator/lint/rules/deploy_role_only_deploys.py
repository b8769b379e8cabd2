"""deploy-role-only-deploys: a deploy role holds deployment actions on its account's groups only."""

from __future__ import annotations

import fnmatch

from generator.lint import iam_data
from generator.lint.model import Hit, as_list, rule
from generator.lint.rules.deploy_role_pass_role import deploy_role_policies
from generator.policies import deploy_role

# Everything a deploy role may do (docs/deploy.md gives the reason for each).
DEPLOY_ACTIONS = frozenset({
    "sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel",
    "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig",
    "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint",
    "sagemaker:DescribeModelPackage", "iam:PassRole",
})
_LOWER = {a.lower() for a in DEPLOY_ACTIONS}


def _actions(stmt: dict) -> list[str]:
    if "NotAction" in stmt:
        return ["NotAction"]
    out = []
    for pattern in as_list(stmt.get("Action")):
        expanded = iam_data.expand(pattern) if pattern != "*" else []
        out += expanded if expanded else [pattern]
    return out


def _takes_only_managed_kinds(action: str) -> bool:
    """Does ``action`` take resources of the deploy role's kinds only (model,
    endpoint-config, endpoint), per the Service Authorization Reference?"""
    kinds = [name for name, _ in iam_data.resource_types(action)]
    return bool(kinds) and all(kind in deploy_role.MANAGED_KINDS for kind in kinds)


@rule(
    "deploy-role-only-deploys", "error",
    "A deploy role holds only the deployment actions, on SageMaker resources named for its account's groups "
    "and the registry's versions of those groups",
    category="security",
    fix="Remove the action or resource; the deploy role is rendered by generator/policies/deploy_role.py.",
    scope="set",
)
def deploy_role_only_deploys(ctx):
    """A deploy role is assumed from another account: anything beyond
    deploying (creating roles or policies, writing to S3, updating model
    packages) turns the pipeline into an administrator of test and prod.
    Every Allow may hold only the SageMaker model, endpoint configuration
    and endpoint actions, DescribeModelPackage and iam:PassRole (whose
    targets deploy-role-pass-role checks); model, endpoint-config and
    endpoint resources must be in the role's own account and named
    <group>-* for a group the account consumes and a deployment account
    deploys; model versions only of those groups, in the registry. The
    compact form's ``*/<group>-*`` (any resource type) is accepted only in
    a statement whose every action takes nothing but model,
    endpoint-config and endpoint resources, so that it cannot reach
    another type (a training job, a model package) named for the group."""
    config = ctx.config
    if config.deploy_role is None:
        return
    by_id = {a.id: n for n, a in config.accounts.items()}
    prefix = f"arn:{config.partition}:sagemaker:{config.region}:"
    for policy in deploy_role_policies(ctx):
        account = by_id.get(policy.account_id)
        groups = deploy_role.deployed_groups(config, account) if account else []
        own = {f"{prefix}{policy.account_id}:{kind}/{deploy_role.name_prefix(g)}*"
               for g in groups for kind in ("model", "endpoint-config", "endpoint")}
        versions = {f"{prefix}{ctx.registry_id}:model-package/{g}/*" for g in groups}
        any_kind = {f"{prefix}{policy.account_id}:*/{deploy_role.name_prefix(g)}*" for g in groups}
        for stmt in policy.statements():
            if stmt.get("Effect") != "Allow":
                continue
            sid = stmt.get("Sid")
            actions = _actions(stmt)
            extra = sorted({a for a in actions if a.lower() not in _LOWER})
            if extra:
                yield Hit(f"statement {sid}: grants {', '.join(extra[:5])}, which deploying does not need", sid,
                          policy.path)
            other_kinds = sorted({a for a in actions if not _takes_only_managed_kinds(a)})
            for resource in as_list(stmt.get("Resource")) if "NotResource" not in stmt else ["NotResource"]:
                if ":iam::" in resource:
                    continue  # iam:PassRole targets: deploy-role-pass-role
                if resource in own or resource in versions:
                    continue
                if resource in any_kind:
                    if other_kinds:
                        yield Hit(f"statement {sid}: {resource} names any resource type, and "
                                  f"{', '.join(other_kinds[:5])} takes types other than "
                                  f"{', '.join(deploy_role.MANAGED_KINDS)}", sid, policy.path)
                    continue
                if any(fnmatch.fnmatchcase(r, resource) for r in own | versions) or ":sagemaker:" not in resource:
                    yield Hit(f"statement {sid}: {resource} reaches beyond the account's groups", sid, policy.path)
                else:
                    yield Hit(f"statement {sid}: {resource} is not a resource of a group this account deploys",
                              sid, policy.path)
