"""no-cross-account-admin: no policy or deletion administration leaves the registry account."""

from __future__ import annotations

import fnmatch
from functools import lru_cache

from generator.lint.model import Hit, PolicyFile, as_list, cross_account, rule

# Who controls these controls the registry: they change who may do what, or
# destroy what every account depends on. The registry account keeps them.
ADMIN_ACTIONS = (
    # KMS: rewrite the key policy, destroy or disable the key, re-point its alias
    "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteImportedKeyMaterial",
    "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:DisableKeyRotation",
    # S3: rewrite or drop the bucket policy, ACLs, encryption, versioning, or the bucket itself
    "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:DeleteBucket", "s3:PutBucketAcl",
    "s3:PutBucketOwnershipControls", "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration",
    "s3:PutReplicationConfiguration",
    # SageMaker: rewrite or drop a group policy, delete a group
    "sagemaker:PutModelPackageGroupPolicy", "sagemaker:DeleteModelPackageGroupPolicy",
    "sagemaker:DeleteModelPackageGroup",
    # ECR: rewrite or drop a repository policy, delete a repository or its
    # images, make tags mutable, expire images by lifecycle policy
    "ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy", "ecr:DeleteRepository", "ecr:BatchDeleteImage",
    "ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy",
)


def admin_actions_granted(stmt: dict) -> list[str]:
    if "NotAction" in stmt:
        return list(_admin_actions(tuple(str(p) for p in as_list(stmt["NotAction"])), True))
    return list(_admin_actions(tuple(str(p) for p in as_list(stmt.get("Action"))), False))


@lru_cache(maxsize=4096)
def _admin_actions(patterns: tuple[str, ...], negated: bool) -> tuple[str, ...]:
    """The administration actions an Action (or NotAction) list grants, once
    per distinct list (thousands of policies repeat the same few)."""
    lowered = [p.lower() for p in patterns]
    return tuple(a for a in ADMIN_ACTIONS if any(fnmatch.fnmatchcase(a.lower(), p) for p in lowered) != negated)


def _reaches_registry(stmt: dict, registry_id: str, bucket_arn: str) -> bool:
    resources = as_list(stmt.get("Resource")) if "Resource" in stmt else ["*"]
    return any(r == "*" or f":{registry_id}:" in r or r.startswith(bucket_arn) for r in resources)


@rule(
    "no-cross-account-admin", "error",
    "Nothing outside the registry account is granted policy or deletion administration (kms:PutKeyPolicy, "
    "kms:ScheduleKeyDeletion, s3:PutBucketPolicy, sagemaker:PutModelPackageGroupPolicy, ...)",
    category="security",
    fix="Remove the action; administration stays with the registry account's own IAM.",
)
def no_cross_account_admin(policy: PolicyFile, ctx):
    """Whoever can rewrite the key, bucket or group policy can grant
    themselves anything, and whoever can delete the key destroys every
    artifact. Checked statically, whatever the conditions say: a
    condition narrows when, not whether, an outsider administers the
    registry. Resource policies: Allows whose principals reach beyond the
    registry account. Identity policies in other accounts: Allows on the
    registry's resources. The registry account's own root keeps them (the
    key must never be orphaned)."""
    bucket = f"arn:{ctx.config.partition}:s3:::{ctx.config.registry.artifact_bucket}"
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        if policy.is_resource_policy:
            if not cross_account(stmt, policy.account_id):
                continue
        elif policy.account_id == ctx.registry_id or not _reaches_registry(stmt, ctx.registry_id, bucket):
            continue
        granted = admin_actions_granted(stmt)
        if granted:
            sid = stmt.get("Sid")
            yield Hit(f"statement {sid}: grants {', '.join(granted)} outside the registry account", sid)
