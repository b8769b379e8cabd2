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
    "sagemaker:AddTags",  # only at creation: see _tags_on_create_only
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


def _condition(stmt: dict, operator: str, key: str) -> list[str] | None:
    """The values of ``operator`` on ``key`` (key names are case-insensitive), or None."""
    block = stmt.get("Condition")
    if not isinstance(block, dict) or not isinstance(block.get(operator), dict):
        return None
    for name, values in block[operator].items():
        if name.lower() == key.lower():
            return as_list(values)
    return None


def _tags_on_create_only(stmt: dict) -> bool:
    """AddTags is a deployment action only as part of creating a model,
    endpoint configuration or endpoint: sagemaker:TaggingAction (absent on
    a direct AddTags call) names only those creating actions."""
    names = _condition(stmt, "StringEquals", "sagemaker:TaggingAction")
    creating = {a.split(":")[1] for a in deploy_role.CREATE_ACTIONS}
    return bool(names) and set(names) <= creating


def _tagged_resource_ok(stmt: dict, resource: str, account_prefix: str, values: set[str],
                        tags_listed_on_create: bool) -> bool | None:
    """A resource named by the group tag (``<kind>/${aws:RequestTag/...}-*``
    or ``*/${aws:ResourceTag/...}-*``): None when ``resource`` is not one;
    else True when the statement keeps the tag to the account's groups
    (StringEquals on that tag key, every value a group's) and, on creation,
    to the one tag key (ForAllValues:StringEquals aws:TagKeys)."""
    for key in (deploy_role.REQUEST_TAG, deploy_role.RESOURCE_TAG):
        tail = "${" + key + "}-*"
        kinds = deploy_role.MANAGED_KINDS if key == deploy_role.REQUEST_TAG else ("*",)
        if resource in {f"{account_prefix}{kind}/{tail}" for kind in kinds}:
            if (resource == f"{account_prefix}endpoint-config/{tail}"
                    and as_list(stmt.get("Action")) == ["sagemaker:CreateEndpoint"]
                    and _condition(stmt, "StringEquals", deploy_role.RESOURCE_TAG) == ["${" + key + "}"]):
                # CreateEndpoint's configuration half: the configuration of the
                # new endpoint's own group; the endpoint half keeps that group
                # to the account's groups.
                return True
            listed = _condition(stmt, "StringEquals", key)
            if listed is None and tags_listed_on_create and _tags_on_create_only(stmt):
                # AddTags at creation, in a role whose every creating
                # statement keeps the tag to the account's groups
                return _condition(stmt, "ForAllValues:StringEquals", "aws:TagKeys") == [deploy_role.GROUP_TAG]
            if not listed or not set(listed) <= values:
                return False
            if key == deploy_role.REQUEST_TAG:
                return _condition(stmt, "ForAllValues:StringEquals", "aws:TagKeys") == [deploy_role.GROUP_TAG]
            return True
    return None


def _tags_listed_on_create(policies) -> dict[str, bool]:
    """{account id: does every Allow of its deploy role that creates a model,
    endpoint configuration or endpoint keep the group tag to a list
    (StringEquals aws:RequestTag/model-registry-group)?} Then tagging at
    creation needs no list of its own (the tagged form)."""
    creating = {a.lower() for a in deploy_role.CREATE_ACTIONS}
    out: dict[str, bool] = {}
    for policy in policies:
        ok = out.setdefault(policy.account_id, True)
        for stmt in policy.statements():
            if stmt.get("Effect") != "Allow" or not creating & {a.lower() for a in _actions(stmt)}:
                continue
            if _condition(stmt, "StringEquals", deploy_role.REQUEST_TAG) in (None, []) and not (
                    _condition(stmt, "StringEquals", deploy_role.RESOURCE_TAG) == ["${" + deploy_role.REQUEST_TAG + "}"]):
                ok = False
        out[policy.account_id] = ok
    return out


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
    another type (a training job, a model package) named for the group.
    The tagged form's resources named by the group tag
    (``${aws:RequestTag/model-registry-group}-*``) are accepted only where
    the statement keeps that tag to the account's groups; sagemaker:AddTags
    only at creation (sagemaker:TaggingAction)."""
    config = ctx.config
    if config.deploy_role is None:
        return
    by_id = {a.id: n for n, a in config.accounts.items()}
    prefix = f"arn:{config.partition}:sagemaker:{config.region}:"
    listed_on_create = _tags_listed_on_create(deploy_role_policies(ctx))
    for policy in deploy_role_policies(ctx):
        account = by_id.get(policy.account_id)
        groups = deploy_role.deployed_groups(config, account) if account else []
        own = {f"{prefix}{policy.account_id}:{kind}/{deploy_role.name_prefix(g)}*"
               for g in groups for kind in ("model", "endpoint-config", "endpoint")}
        versions = {f"{prefix}{ctx.registry_id}:model-package/{g}/*" for g in groups}
        any_kind = {f"{prefix}{policy.account_id}:*/{deploy_role.name_prefix(g)}*" for g in groups}
        tag_values = {deploy_role.group_tag_value(g) for g in groups}
        for stmt in policy.statements():
            if stmt.get("Effect") != "Allow":
                continue
            sid = stmt.get("Sid")
            actions = _actions(stmt)
            extra = sorted({a for a in actions if a.lower() not in _LOWER})
            if extra:
                yield Hit(f"statement {sid}: grants {', '.join(extra[:5])}, which deploying does not need", sid,
                          policy.path)
            if "sagemaker:addtags" in {a.lower() for a in actions} and not _tags_on_create_only(stmt):
                yield Hit(f"statement {sid}: grants sagemaker:AddTags beyond creation (no sagemaker:TaggingAction "
                          "condition naming only CreateModel, CreateEndpointConfig, CreateEndpoint)", sid, policy.path)
            other_kinds = sorted({a for a in actions if not _takes_only_managed_kinds(a)})
            for resource in as_list(stmt.get("Resource")) if "NotResource" not in stmt else ["NotResource"]:
                if ":iam::" in resource:
                    continue  # iam:PassRole targets: deploy-role-pass-role
                if resource in own or resource in versions:
                    continue
                tagged = _tagged_resource_ok(stmt, resource, f"{prefix}{policy.account_id}:", tag_values,
                                             listed_on_create.get(policy.account_id, False))
                if tagged is not None:
                    if not tagged:
                        yield Hit(f"statement {sid}: {resource} is named by the group tag, but the statement does not "
                                  "keep the tag to this account's groups (StringEquals) and to that one key "
                                  "(ForAllValues:StringEquals aws:TagKeys)", sid, policy.path)
                    elif resource.split(":", 5)[-1].startswith("*/") and other_kinds:
                        yield Hit(f"statement {sid}: {resource} names any resource type, and "
                                  f"{', '.join(other_kinds[:5])} takes types other than "
                                  f"{', '.join(deploy_role.MANAGED_KINDS)}", sid, policy.path)
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
