"""What each party may do: the single table both halves of every grant use.

Each party of a model group gets a list of :class:`Grant` objects. The
registry-side builders (bucket, key and group policies) turn a grant into a
statement with a Principal and an aws:PrincipalArn condition; the identity
builder turns the same grant into a statement on the caller's role. Because
both halves are derived from one grant, they cannot drift apart.

Why each grant exists is written next to it; README.md ("What each party may
do") is the user-facing copy of this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from generator.arns import Arns
from generator.config import Config

Service = Literal["s3", "kms", "sagemaker"]
# operator -> condition key -> values; kept as sorted tuples so grants hash.
Conditions = tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]

PARTY_TITLES = {
    "developers": "Developers",
    "deployers": "Deployers",
    "consumers": "Consumers",
    "approvers": "Approvers",
}

PENDING = "PendingManualApproval"
APPROVED = "Approved"


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
def _cached_group_grants(arns: Arns, group: str, party: str) -> tuple[Grant, ...]:
    return tuple(replace(grant, group=group) for grant in _group_grants(arns, group, party))


def group_grants(arns: Arns, group: str, party: str) -> list[Grant]:
    """S3 and SageMaker grants of ``party`` on model group ``group``.

    Grants are immutable, so each (group, party) is built once and shared by
    the registry-side builders and every member account's identity policy."""
    return list(_cached_group_grants(arns, group, party))


def _group_grants(arns: Arns, group: str, party: str) -> list[Grant]:
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
    if party == "developers":
        return [
            Grant(
                "ArtifactsReadWrite", "s3", ("s3:GetObject", "s3:PutObject"), objects,
                why="upload training output and read it back, under the group's prefix only",
            ),
            Grant(
                "ArtifactsList", "s3", ("s3:ListBucket",), (arns.artifact_listing(group),),
                conditions({"StringLike": {"s3:prefix": [f"{arns.group_prefix(group)}*"]}}),
                why="list the group's prefix only (s3:prefix narrows ListBucket)",
            ),
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
            describe_group,
            read_versions,
        ]
    if party == "consumers":
        return [
            Grant("ArtifactsRead", "s3", ("s3:GetObject",), objects, why="the endpoint's execution role loads model data"),
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
                why="set ModelApprovalStatus to Approved or Rejected",
            ),
        ]
    raise ValueError(f"unknown party {party}")


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
        grants = [
            Grant("DecryptArtifacts", "kms", ("kms:Decrypt", "kms:DescribeKey"), key, via, why="read SSE-KMS artifacts"),
        ]
        if party == "consumers":
            grants.append(
                Grant(
                    "CreateGrantForAWSResources", "kms", ("kms:CreateGrant",), key,
                    conditions(
                        {
                            "Bool": {"kms:GrantIsForAWSResource": "true"},
                            "StringEquals": {"kms:ViaService": arns.via_service("sagemaker")},
                        }
                    ),
                    why="SageMaker endpoints take a grant on the key; only for AWS resources",
                )
            )
        return grants
    if party == "approvers":
        return []
    raise ValueError(f"unknown party {party}")


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
        return tuple(
            sorted(f"arn:{self.partition}:iam::{account}:role/{role}" for account, roles in self.members for role in roles)
        )

    def role_sets(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """[(role entries, account ids that have exactly those roles)], sorted."""
        by_roles: dict[tuple[str, ...], list[str]] = {}
        for account, roles in self.members:
            by_roles.setdefault(roles, []).append(account)
        return sorted((roles, tuple(accounts)) for roles, accounts in by_roles.items())


def party_members(config: Config, arns: Arns, account_names) -> Party:
    members = {config.accounts[n].id: tuple(sorted(config.accounts[n].roles)) for n in account_names}
    return Party(arns.partition, tuple(sorted(members.items())))
