"""The artifact bucket's policy (registry account): one per render.

Limit: 20,480 bytes, whitespace counted (S3 user guide, "Bucket policies";
we assume the bytes sent are the file as written, the most a deploy tool
could send). The registry root sets it with ``aws_s3_bucket_policy``.
"""

from __future__ import annotations

from generator.kinds.base import RESOURCE, Kind, Limit, TerraformResource
from generator.policies import s3_bucket


def render(config, arns):
    registry = config.registry.account
    doc, text = KIND.fitted(lambda compact: s3_bucket.build(config, arns, compact))
    return [KIND.policy(registry, arns.registry_id, arns.bucket_arn, f"{registry}/policies/s3-bucket-policy.json",
                        doc, {}, text)]


KIND = Kind(
    name="s3_bucket_policy",
    role=RESOURCE,
    target_type="bucket",
    governs=("bucket", "object"),
    limit=Limit(20_480, "bytes", True, "S3 bucket policy",
                "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html"),
    order=10,
    registry_side=True,
    delegates=True,
    denies_insecure_transport=True,
    too_large=("; set registry.s3_layout: access_points (one access point per model group, see docs/limits.md, 'Scaling'),"
               " and with access points registry.access_point_prefix"),
    terraform=TerraformResource("aws_s3_bucket_policy", "policy", {"bucket": "target_bucket"}),
    may_name=lambda target: [target, f"{target}/*"],
    render=render,
    bind=lambda policy, path: ("bucket_policy", 0, path),
)
