"""The artifact key's policy (registry account).

The registry account keeps administration of the key (it is never
orphaned); every other party gets only the cryptographic operations it
needs, only through S3 or SageMaker in the registry's region. The key is
shared by all groups: the bucket policy's per-prefix grants are what keep
one group's parties out of another group's artifacts.
"""

from __future__ import annotations

from generator.access import PARTY_TITLES, key_grants, party_members
from generator.arns import Arns
from generator.config import PARTIES, Config
from generator.policies.common import cross_account_statements, document, statement

# The key is a single-Region symmetric key with AWS_KMS origin, so the
# registry account needs no asymmetric, HMAC, imported-material or
# multi-Region actions. Listed rather than kms:* so that no wildcard is
# granted and an action AWS adds later is not granted silently.
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
REGISTRY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
# Used by the registry account's own principals (its S3 bucket key, its
# SageMaker jobs), governed by the registry account's IAM.
REGISTRY_USE_ACTIONS = (
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


def build(config: Config, arns: Arns, compact: bool = False) -> dict:
    registry_root = {"AWS": [arns.account_root(arns.registry_id)]}
    statements = [
        # In a key policy "*" is the key itself.
        statement("RegistryAccountAdministersKey", "Allow", REGISTRY_ADMIN_ACTIONS, "*", principal=registry_root),
        statement("RegistryAccountUsesKey", "Allow", REGISTRY_USE_ACTIONS, "*", principal=registry_root),
    ]
    for party in PARTIES:
        names = config.accounts_in_party(party)
        if not names:
            continue
        members = party_members(config, arns, names)
        for grant in key_grants(arns, party):
            sid = f"{PARTY_TITLES[party]}{grant.name}"
            statements.extend(
                cross_account_statements(sid, grant, members, config.organization_id, resources="*", compact=compact)
            )
    return document(statements)
