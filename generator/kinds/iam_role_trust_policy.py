"""A role's trust policy: the role's resource policy for sts:AssumeRole (deploy_role).

Rendered for the deploy role in each workload account that deploys a group,
and, as a document for their owners, for the account's SageMaker execution
roles. At most 2,048 characters by default (adjustable to 4,096: declare
the granted value as ``quotas.role_trust_policy_length``), whitespace not
counted (IAM quotas:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
Its statements carry no Resource: IAM rejects a trust policy that has one.
"""

from __future__ import annotations

from generator import roles
from generator.config.quotas import DEFAULT_TRUST_POLICY_LENGTH, MAX_TRUST_POLICY_LENGTH
from generator.kinds.base import TRUST, Kind, Limit, TerraformResource
from generator.names import role_slug
from generator import copyflow
from generator.policies import copy, deploy_role

DEPLOY_ROLE = "deploy-role"
EXECUTION_ROLE = "sagemaker-execution-role"


COPY_FORWARDER = "copy-forwarder"
REGISTRY_FUNCTION = "registry-function"


def _copy_trusts(config, arns):
    """registration: copy: the forwarding rule role in each development
    account (EventBridge, only for the account's own forwarding rules) and
    the registry function's execution role (Lambda)."""
    if not config.copy_groups():
        return []
    registry = config.registry.account
    out = [KIND.policy(registry, arns.registry_id, copyflow.function_role_arn(arns),
                       f"{registry}/policies/iam-role-{copyflow.ROLE_NAME}-trust.json",
                       copy.function_role_trust(config, arns), {"role": copyflow.ROLE_NAME, "trust": REGISTRY_FUNCTION})]
    for account in copyflow.copy_developers(config):
        account_id = config.accounts[account].id
        out.append(KIND.policy(account, account_id, copyflow.forward_role_arn(arns, account_id),
                               f"{account}/policies/iam-role-{copyflow.FORWARD_ROLE_NAME}-trust.json",
                               copy.forward_role_trust(config, arns, account),
                               {"role": copyflow.FORWARD_ROLE_NAME, "trust": COPY_FORWARDER}))
    return out


def render(config, arns):
    out = _copy_trusts(config, arns)
    for target in deploy_role.targets(config):
        name = config.deploy_role.name
        base = f"{target.account}/policies/deploy-role-{role_slug(name)}"
        trust, text = KIND.fitted(lambda compact: deploy_role.trust_document(config, arns, target, compact))
        out.append(KIND.policy(target.account, target.account_id, target.role_arn, f"{base}-trust.json", trust,
                               {"role": name, "trust": DEPLOY_ROLE}, text))
        for role in config.accounts[target.account].roles:
            if "*" in role or roles.is_sso(role):
                continue  # a pattern names no one role; only AWS sets an Identity Center role's trust
            out.append(KIND.policy(
                target.account, target.account_id, arns.role_arn(target.account_id, role),
                f"{target.account}/policies/sagemaker-execution-role-trust-{role_slug(role)}.json",
                deploy_role.execution_role_trust_document(target.account_id),
                {"role": role, "trust": EXECUTION_ROLE},
            ))
    return out


# CKV_AWS_61 fails every trust policy that names an account root, whatever
# its conditions; the same skip, with its reason, is on the module's role.
SKIP_ACCOUNT_TRUST = ('CKV_AWS_61:The deploy role trusts the deployment accounts narrowed by aws:PrincipalArn to their listed roles and by aws:PrincipalOrgID; naming the roles as principals instead would fail for a role that does not exist yet and cannot express IAM Identity Center role names (lint rule deploy-role-trust checks who can assume it).')


def _bind(policy, path):
    if policy.extra.get("trust") == COPY_FORWARDER:
        return "copy_forward_trust", 0, path
    if policy.extra.get("trust") == REGISTRY_FUNCTION:
        return "copy_function_trust", 0, path
    if policy.extra.get("trust") == DEPLOY_ROLE:
        return "deploy_trust", 0, path
    return "execution_trust", policy.extra["role"], {"role": policy.extra["role"], "path": path}


KIND = Kind(
    name="iam_role_trust_policy",
    role=TRUST,
    target_type="role",
    governs=("role",),
    implied_resource="IAM rejects a role trust policy that has it (the policy applies to its role)",
    limit=Limit(DEFAULT_TRUST_POLICY_LENGTH, "characters", False, "IAM role trust policy",
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"),
    quota_key="role_trust_policy_length",
    quota_maximum=MAX_TRUST_POLICY_LENGTH,
    order=60,
    terraform=TerraformResource("aws_iam_role", "assume_role_policy", {"name": "target_role"}),
    checkov_skip=lambda entry: SKIP_ACCOUNT_TRUST if entry.get("trust") == DEPLOY_ROLE else None,
    render=render,
    bind=_bind,
)
