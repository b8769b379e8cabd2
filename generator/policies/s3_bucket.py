"""The artifact bucket's policy (registry account).

Guardrails first (deny non-TLS, deny a non-KMS encryption header), then for
each model group and each party the registry-side half of its S3 grants,
scoped to the group's prefix.
"""

from __future__ import annotations

from generator.access import PARTY_TITLES, group_grants, party_members
from generator.arns import Arns
from generator.config import PARTIES, Config
from generator.policies.common import camel, cross_account_statement, document, statement


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


def build(config: Config, arns: Arns) -> dict:
    statements = guardrails(arns)
    for group in sorted(config.model_groups):
        for party in PARTIES:
            names = config.party_accounts(group, party)
            if not names:
                continue
            members = party_members(config, arns, names)
            for grant in group_grants(arns, group, party):
                if grant.service != "s3":
                    continue
                sid = f"{camel(group)}{PARTY_TITLES[party]}{grant.name}"
                statements.append(
                    cross_account_statement(sid, grant, members, config.partition, config.organization_id)
                )
    return document(statements)
