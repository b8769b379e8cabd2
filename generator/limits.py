"""AWS size limits by policy kind, checked when a policy is rendered.

| kind                        | limit  | unit       | whitespace |
|-----------------------------|--------|------------|------------|
| s3_bucket_policy            | 20,480 | bytes      | counts     |
| s3_access_point_policy      | 20,480 | bytes      | counts     |
| kms_key_policy              | 32,768 | bytes      | counts     |
| model_package_group_policy  | 20,480 | characters | counts     |
| ecr_repository_policy       | 10,240 | characters | counts     |
| iam_role_policy             |  6,144 | characters | not counted|
| iam_role_trust_policy       |  2,048 | characters | not counted|
| service_control_policy      |  5,120 | characters | not counted*|
| resource_control_policy     |  5,120 | characters | not counted*|

* AWS counts every character an API call sends (AWS Organizations quotas,
  "Maximum size of a policy document"; RCP syntax page); the organization
  root sends the policies minified (jsonencode(jsondecode(file(...)))), so
  the minified size is what counts.

Where whitespace counts we measure the pretty-printed file exactly as it is
written (the most a deploy tool could send). Identity policies are attached
as customer managed policies (6,144 characters each, whitespace excluded),
which leaves a role's own 10,240-character inline budget to its owner.
A role trust policy (deploy_role) is at most 2,048 characters by default
(adjustable to 4,096), whitespace not counted
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    size: int
    unit: str
    whitespace_counts: bool
    name: str


# AWS Organizations quotas, "Maximum size of a policy document": SCPs and RCPs.
ORGANIZATION_POLICY_SIZE = 5_120

LIMITS: dict[str, Limit] = {
    "s3_bucket_policy": Limit(20_480, "bytes", True, "S3 bucket policy"),
    "s3_access_point_policy": Limit(20_480, "bytes", True, "S3 access point policy"),
    "kms_key_policy": Limit(32_768, "bytes", True, "KMS key policy"),
    "model_package_group_policy": Limit(20_480, "characters", True, "SageMaker model package group policy"),
    # SetRepositoryPolicy policyText: "Maximum length of 10240"
    # (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html;
    # botocore's ECR model: RepositoryPolicyText max 10240). The text sent is the file as written.
    "ecr_repository_policy": Limit(10_240, "characters", True, "ECR repository policy"),
    "iam_role_policy": Limit(6_144, "characters", False, "IAM managed policy"),
    "iam_role_trust_policy": Limit(2_048, "characters", False, "IAM role trust policy"),
    "service_control_policy": Limit(ORGANIZATION_POLICY_SIZE, "characters", False, "service control policy"),
    "resource_control_policy": Limit(ORGANIZATION_POLICY_SIZE, "characters", False, "resource control policy"),
    # EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html):
    # bus policy 10,240 characters; an event_rule file is measured by its
    # pattern alone (2,048 characters, compact as it is sent).
    "event_bus_policy": Limit(10_240, "characters", True, "EventBridge event bus policy"),
    "event_rule": Limit(2_048, "characters", False, "EventBridge event pattern"),
}


def measure(kind: str, text: str, document: dict | None = None) -> int:
    limit = LIMITS[kind]
    if not limit.whitespace_counts:
        doc = json.loads(text) if document is None else document
        if kind == "event_rule":
            doc = doc.get("EventPattern")
        return len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))
    return len(text.encode("utf-8")) if limit.unit == "bytes" else len(text)


def check(kind: str, text: str, document: dict | None = None) -> tuple[int, Limit] | None:
    """(size, limit) when over the limit, else None."""
    size = measure(kind, text, document)
    limit = LIMITS[kind]
    return (size, limit) if size > limit.size else None
