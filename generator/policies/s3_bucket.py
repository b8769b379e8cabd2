"""The artifact bucket's policy (registry account).

Guardrails first (deny non-TLS, deny uploads not encrypted with the
registry key). Then,
with ``s3_layout: bucket_policy``, for each model group and each party the
registry-side half of its S3 grants, scoped to the group's prefix; with
``s3_layout: access_points``, one statement that delegates object access to
the registry account's access points, whose policies hold the per-group
grants (see s3_access_point.py).
"""

from __future__ import annotations

from generator import copyflow
from generator.access import MULTIPART_EXEMPT, PARTY_TITLES, group_grants, party_members
from generator.arns import Arns
from generator.config import Config
from generator.names import camel
from generator.policies.common import cross_account_statements, document, merge_conditions, statement

# What the access points may be used for; the access point policies decide who.
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")
LIST_ACTIONS = ("s3:ListBucket",)


SSE = "s3:x-amz-server-side-encryption"
SSE_KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_C = "s3:x-amz-server-side-encryption-customer-algorithm"


def guardrails(arns: Arns) -> list[dict]:
    """Denies that hold whoever asks (Principal "*"), in either layout.

    Uploads must stay readable by every other party of the group, so only
    the registry key may encrypt them
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
    request headers x-amz-server-side-encryption*):

    - no encryption header: bucket default encryption (SSE-KMS with the
      registry key, set by the model-registry module) applies; denying a
      missing header would break SDK uploads (DESIGN.md), so it is allowed;
    - a header asking for anything but aws:kms (AES256, aws:kms:dsse) is refused;
    - aws:kms without a key id means the uploader's AWS managed key aws/s3,
      which no other account can use: refused;
    - a key id that is not the registry's key (the uploader's own key, or a
      bare key id or alias, which KMS resolves in the uploader's account) is
      refused; accepted are the key ARN (any key of the registry account
      until registry.kms_key_arn names it) and the alias ARN;
    - SSE-C (customer-provided keys): nobody else could read the object; refused.

    SageMaker's own upload paths pass: training output with KmsKeyId set to
    the key or alias ARN sends aws:kms with that key id (OutputDataConfig,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_OutputDataConfig.html);
    the SageMaker Python SDK's S3Uploader sends no header without kms_key
    and SSEKMSKeyId with it (sagemaker/s3.py).
    """
    both = [arns.bucket_arn, arns.bucket_objects]
    objects = [arns.bucket_objects]
    if arns.key_arn:
        key_ids = {"StringNotEquals": {SSE_KEY_ID: sorted([arns.key_arn, arns.alias_arn])}}
    else:
        key_ids = {"StringNotLike": {SSE_KEY_ID: sorted([arns.any_registry_key, arns.alias_arn])}}
    return [
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
        # A Deny, so the wildcard narrows nothing it should not: every S3 call
        # without TLS is refused, whoever makes it.
        statement(
            "DenyInsecureTransport", "Deny", ["s3:*"], both,
            {"Bool": {"aws:SecureTransport": ["false"]}}, principal="*",
        ),
        statement(
            "DenyNonKmsEncryptionHeader", "Deny", ["s3:PutObject"], objects,
            {"Null": {SSE: ["false"]}, "StringNotEquals": {SSE: ["aws:kms"]}},
            principal="*",
        ),
        statement(
            "DenyKmsHeaderWithoutKeyId", "Deny", ["s3:PutObject"], objects,
            {"Null": {SSE_KEY_ID: ["true"]}, "StringEquals": {SSE: ["aws:kms"]}},
            principal="*",
        ),
        statement(
            "DenyKeyOutsideRegistry", "Deny", ["s3:PutObject"], objects,
            merge_conditions({"Null": {SSE_KEY_ID: ["false"]}}, key_ids),
            principal="*",
        ),
        statement(
            "DenyCustomerProvidedKeys", "Deny", ["s3:PutObject"], objects,
            {"Null": {SSE_C: ["false"]}}, principal="*",
        ),
    ]


def access_point_groups(config: Config) -> list[str]:
    """Groups that get an access point: those with a party holding S3 grants."""
    return [
        group for group in sorted(config.model_groups)
        if any(config.party_accounts(group, party) for party in ("developers", "deployers", "consumers"))
    ]


def delegation(config: Config, arns: Arns) -> list[dict]:
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html
    ("Delegating access control to access points"): requests through the
    access points named here are decided by those access points' policies;
    nothing else is allowed by these statements.

    s3:DataAccessPointAccount alone would delegate to any access point
    anyone in the registry account creates, with any policy. So the
    delegation names this configuration's access points by ARN
    (s3:DataAccessPointArn, the ARN of the access point a request comes
    through; same page, "Condition keys for access points"): exactly, or by
    registry.access_point_prefix when one is set."""
    equals = {"s3:DataAccessPointAccount": [arns.registry_id]}
    if config.organization_id:
        equals["aws:PrincipalOrgID"] = [config.organization_id]
    if arns.access_point_prefix:
        points = {"StringLike": {"s3:DataAccessPointArn": [f"{arns.access_points_base}{arns.access_point_prefix}*"]}}
    else:
        equals["s3:DataAccessPointArn"] = sorted(arns.access_point_arn(g) for g in access_point_groups(config))
        points = {}
    condition = merge_conditions({"StringEquals": equals}, points)
    return [
        statement("DelegateObjectsToRegistryAccessPoints", "Allow", OBJECT_ACTIONS, [arns.bucket_objects],
                  condition, principal={"AWS": "*"}),
        statement("DelegateListingToRegistryAccessPoints", "Allow", LIST_ACTIONS, [arns.bucket_arn],
                  condition, principal={"AWS": "*"}),
    ]


def released_guards(arns: Arns) -> list[dict]:
    """Immutable releases (registration: copy; docs/copy.md): denies on
    ``released/`` that hold whoever asks, in the registry account too.

    - only the registry function's role writes there (``ArnNotEquals
      aws:PrincipalArn``);
    - nobody, the function included, writes an object that exists: every
      write must carry ``If-None-Match`` (``s3:if-none-match`` present), except
      the multipart steps that take no conditional header
      (``s3:ObjectCreationOperation`` CreateMultipartUpload, UploadPart,
      UploadPartCopy); CompleteMultipartUpload must carry it. ``If-Match``
      (an overwrite of a known object) is refused. S3 user guide, "Enforce
      conditional writes on Amazon S3 buckets",
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
      (where this is enforced CopyObject fails: the function copies with
      UploadPartCopy parts);
    - nobody deletes a released object or object version.
    """
    released = [arns.all_released_objects]
    return [
        statement("ReleasedOnlyRegistryFunctionWrites", "Deny", ["s3:PutObject"], released,
                  {"ArnNotEquals": {"aws:PrincipalArn": [copyflow.function_role_arn(arns)]}}, principal="*"),
        statement("ReleasedWritesNeedIfNoneMatch", "Deny", ["s3:PutObject"], released,
                  {"Null": {"s3:if-none-match": ["true"]},
                   "StringNotEquals": {"s3:ObjectCreationOperation": list(MULTIPART_EXEMPT)}}, principal="*"),
        statement("ReleasedNeverOverwrittenWithIfMatch", "Deny", ["s3:PutObject"], released,
                  {"Null": {"s3:if-match": ["false"]}}, principal="*"),
        statement("ReleasedNeverDeleted", "Deny", ["s3:DeleteObject", "s3:DeleteObjectVersion"], released,
                  principal="*"),
    ]


def build(config: Config, arns: Arns, compact: bool = False) -> dict:
    statements = guardrails(arns)
    if config.copy_groups():
        statements.extend(released_guards(arns))
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
        for grant in group_grants(arns, g, party, copy=config.is_copy(g)):
            if grant.service == "s3":
                sid = f"{sid_prefix}{PARTY_TITLES[party]}{grant.name}"
                out.extend(cross_account_statements(sid, grant, members, config.organization_id, compact=compact))
    return out
