"""The registry key's policy (registry account): one per render.

Limit: 32,768 bytes (AWS KMS quotas, "Key policy document size"), whitespace
counted (assumed: the file as written). The registry root sets it as the
``policy`` of its ``aws_kms_key``; the target is the key's alias ARN, since
the key id is unknown before the key exists. In a key policy ``"*"`` as
Resource means the key itself (KMS developer guide, "Key policies").
"""

from __future__ import annotations

from generator.kinds.base import RESOURCE, Kind, Limit, TerraformResource
from generator.policies import kms_key


def render(config, arns):
    registry = config.registry.account
    doc, text = KIND.fitted(lambda compact: kms_key.build(config, arns, compact))
    return [KIND.policy(registry, arns.registry_id, arns.alias_arn, f"{registry}/policies/kms-key-policy.json",
                        doc, {}, text)]


KIND = Kind(
    name="kms_key_policy",
    role=RESOURCE,
    target_type="alias",
    governs=("key",),
    limit=Limit(32_768, "bytes", True, "KMS key policy",
                "https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html"),
    order=20,
    registry_side=True,
    star_resource_is_self=True,
    terraform=TerraformResource("aws_kms_key", "policy", {"enable_key_rotation": True}),
    may_name=lambda target: ["*"],
    render=render,
    bind=lambda policy, path: ("key_policy", 0, path),
)
