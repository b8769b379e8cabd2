"""A role's identity policy: the caller's half of every grant.

Three builders render this kind: each account's listed roles
(generator/policies/iam_role.py), the deploy role in each workload account
(generator/policies/deploy_role.py) and the registry's event rule role
(generator/policies/event_role.py). Each document is a customer managed
policy: at most 6,144 characters, whitespace not counted, which leaves a
role's own 10,240-character inline budget to its owner; at most
the IAM quota of managed policies per role (``quotas.managed_policies_per_role``,
or its older name ``deploy_role.max_managed_policies``) of them per role (IAM quotas:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
"""

from __future__ import annotations

from generator import copyflow, events
from generator.config.deploy import DEFAULT_MANAGED_POLICIES, MAX_MANAGED_POLICIES
from generator.config.quotas import managed_policies_per_role
from generator.errors import ConfigError, PolicyTooLarge
from generator.kinds.base import IDENTITY, Kind, Limit, TerraformResource
from generator.names import role_slug
from generator.policies import copy, deploy_role, event_role, iam_role


def _party_roles(config, arns):
    out, seen = [], {}
    for (account, role), (doc, scope) in iam_role.build(config, arns, KIND).items():
        path = f"{account}/policies/iam-role-{role_slug(role)}.json"
        if path in seen:
            raise ConfigError(f"accounts.{account}.roles", f"roles '{seen[path]}' and '{role}' map to the same file {path}")
        seen[path] = role
        out.append(KIND.policy(account, config.accounts[account].id, arns.role_target(config.accounts[account].id, role),
                               path, doc, {"role": role, "scope": scope}))
    return out


def _deploy_roles(config, arns):
    """deploy_role: the deploy role's permissions in each workload account that deploys a group."""
    out = []
    for target in deploy_role.targets(config):
        name = config.deploy_role.name
        base = f"{target.account}/policies/deploy-role-{role_slug(name)}"
        documents = deploy_role.permission_documents(config, arns, target, KIND)
        most, setting = managed_policies_per_role(config)
        if len(documents) > most:
            raise_quota = (
                f"request an increase of the account's IAM quota of managed policies per role (up to "
                f"{MAX_MANAGED_POLICIES}) and declare it as quotas.managed_policies_per_role, or "
                if most < MAX_MANAGED_POLICIES else ""
            )
            raise PolicyTooLarge(
                f"{base}.json: the deploy role of {target.account} needs {len(documents)} managed policies of "
                f"6,144 characters for its {len(target.groups)} groups even in its smallest (tagged) form, over "
                f"{setting or 'quotas.managed_policies_per_role'} ({most}), the account's quota "
                f"(IAM's default: {DEFAULT_MANAGED_POLICIES} per role); "
                f"{raise_quota}split the account's groups over more workload accounts"
            )
        for index, doc in enumerate(documents, 1):
            extra = {"role": name, "scope": "deploy-role"}
            path = f"{base}.json"
            if len(documents) > 1:
                extra["part"] = index
                path = f"{base}-{index}.json"
            out.append(KIND.policy(target.account, target.account_id, target.role_arn, path, doc, extra))
    return out


def _event_role(config, arns):
    """The rule role's policy, when any group's events go anywhere (generator/events.py)."""
    if not events.receivers(config):
        return []  # no group's events go anywhere: no rule, no rule role
    registry = config.registry.account
    doc, scope = event_role.build(config, arns, KIND)
    return [KIND.policy(registry, arns.registry_id, events.role_arn(arns),
                        f"{registry}/policies/iam-role-{events.ROLE_NAME}.json", doc,
                        {"role": events.ROLE_NAME, "scope": scope})]


def _copy_roles(config, arns):
    """registration: copy: the registry function's role (registry account)
    and each development account's forwarding rule role (docs/copy.md)."""
    if not config.copy_groups():
        return []
    registry = config.registry.account
    out = [KIND.policy(registry, arns.registry_id, copyflow.function_role_arn(arns),
                       f"{registry}/policies/iam-role-{copyflow.ROLE_NAME}.json", copy.function_policy(config, arns, KIND),
                       {"role": copyflow.ROLE_NAME, "scope": COPY_FUNCTION})]
    for account in copyflow.copy_developers(config):
        account_id = config.accounts[account].id
        out.append(KIND.policy(account, account_id, copyflow.forward_role_arn(arns, account_id),
                               f"{account}/policies/iam-role-{copyflow.FORWARD_ROLE_NAME}.json",
                               copy.forward_role_policy(config, arns, account),
                               {"role": copyflow.FORWARD_ROLE_NAME, "scope": COPY_FORWARDER}))
    return out


COPY_FUNCTION, COPY_FORWARDER = "registry-function", "copy-forwarder"


def render(config, arns):
    return (_party_roles(config, arns) + _deploy_roles(config, arns) + _event_role(config, arns)
            + _copy_roles(config, arns))


def _bind(policy, path):
    extra = policy.extra
    if extra.get("scope") == "deploy-role":
        return "deploy_policies", extra.get("part", 0), {"part": extra.get("part"), "path": path}
    if extra.get("scope") == COPY_FUNCTION:
        return "copy_function_policy", 0, path
    if extra.get("scope") == COPY_FORWARDER:
        return "copy_forward_policy", 0, path
    if extra.get("scope") in event_role.SCOPES:
        return "event_role_policy", 0, path
    return "roles", extra["role"], {"entry": extra["role"], "path": path}


KIND = Kind(
    name="iam_role_policy",
    role=IDENTITY,
    target_type="role",
    limit=Limit(6_144, "characters", False, "IAM managed policy",
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"),
    order=50,
    terraform=TerraformResource("aws_iam_policy", "policy"),
    render=render,
    bind=_bind,
)
