"""The artifact bucket's policy (registry account).

Guardrails first (deny non-TLS, deny a non-KMS encryption header). Then,
with ``s3_layout: bucket_policy``, for each model group and each party the
registry-side half of its S3 grants, scoped to the group's prefix; with
``s3_layout: access_points``, one statement that delegates object access to
the registry account's access points, whose policies hold the per-group
grants (see s3_access_point.py).
"""

from __future__ import annotations

from generator.access import PARTY_TITLES, group_grants, party_members
from generator.arns import Arns
from generator.config import Config
from generator.names import camel
from generator.policies.common import cross_account_statements, document, statement

# What the access points may be used for; the access point policies decide who.
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")
LIST_ACTIONS = ("s3:ListBucket",)


def guardrails(arns: Arns) -> list[dict]:
    both = [arns.bucket_arn, arns.bucket_objects]
    out = [
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
        # A Deny, so the wildcard narrows nothing it should not: every S3 call
        # without TLS is refused, whoever makes it.
        statement(
            "DenyInsecureTransport", "Deny", ["s3:*"], both,
            {"Bool": {"aws:SecureTransport": ["false"]}}, principal="*",
        ),
        # Default bucket encryption (SSE-KMS with the registry key) covers
        # uploads that send no header; denying a missing header would break
        # SDK uploads and log delivery (DESIGN.md). Deny only an explicit
        # request for another kind of encryption.
        statement(
            "DenyNonKmsEncryptionHeader", "Deny", ["s3:PutObject"], [arns.bucket_objects],
            {
                "Null": {"s3:x-amz-server-side-encryption": ["false"]},
                "StringNotEquals": {"s3:x-amz-server-side-encryption": ["aws:kms"]},
            },
            principal="*",
        ),
    ]
    if arns.key_arn:
        # With the key ARN known, also refuse an explicit header naming another key.
        out.append(
            statement(
                "DenyOtherKmsKeyHeader", "Deny", ["s3:PutObject"], [arns.bucket_objects],
                {
                    "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": ["false"]},
                    "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": [arns.key_arn]},
                },
                principal="*",
            )
        )
    return out


def delegation(config: Config, arns: Arns) -> list[dict]:
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html
    ("Delegating access control to access points"): requests through an
    access point owned by the registry account are decided by that access
    point's policy; nothing else is allowed by these statements."""
    condition = {"s3:DataAccessPointAccount": [arns.registry_id]}
    if config.organization_id:
        condition["aws:PrincipalOrgID"] = [config.organization_id]
    condition = {"StringEquals": dict(sorted(condition.items()))}
    return [
        statement("DelegateObjectsToRegistryAccessPoints", "Allow", OBJECT_ACTIONS, [arns.bucket_objects],
                  condition, principal={"AWS": "*"}),
        statement("DelegateListingToRegistryAccessPoints", "Allow", LIST_ACTIONS, [arns.bucket_arn],
                  condition, principal={"AWS": "*"}),
    ]


def build(config: Config, arns: Arns, compact: bool = False) -> dict:
    statements = guardrails(arns)
    if arns.s3_layout == "access_points":
        statements.extend(delegation(config, arns))
        return document(statements)
    for group in sorted(config.model_groups):
        statements.extend(group_statements(config, arns, group, compact, sid_prefix=camel(group)))
    return document(statements)


def group_statements(config: Config, arns: Arns, group: str, compact: bool, sid_prefix: str = "") -> list[dict]:
    """The registry-side S3 statements of one group's parties."""
    out = []
    for (g, party) in [(group, p) for p in ("developers", "deployers", "consumers", "approvers")]:
        names = config.party_accounts(g, party)
        if not names:
            continue
        members = party_members(config, arns, names)
        for grant in group_grants(arns, g, party):
            if grant.service == "s3":
                sid = f"{sid_prefix}{PARTY_TITLES[party]}{grant.name}"
                out.extend(cross_account_statements(sid, grant, members, config.organization_id, compact=compact))
    return out
