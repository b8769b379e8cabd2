"""An access point's policy (registry account, ``s3_layout: access_points``): one per group.

Limit: 20,480 bytes, whitespace counted, as a bucket policy (S3 user guide,
"Configuring IAM policies for using access points"). The bucket policy
delegates to the account's access points; each group's grants live in its
own access point's policy. Set by ``aws_s3control_access_point_policy``.
"""

from __future__ import annotations

from generator.errors import ConfigError
from generator.kinds.base import RESOURCE, Kind, Limit, TerraformResource
from generator.policies import s3_access_point


def items(config, arns):
    """The groups, once their access point names are known to be distinct."""
    if config.registry.s3_layout != "access_points":
        return []
    seen: dict[str, str] = {}
    for group in sorted(config.model_groups):
        name = arns.access_point_name(group)
        if name in seen:
            raise ConfigError(f"model_groups.{group}", f"access point name {name} is also used by '{seen[name]}'")
        seen[name] = group
    return sorted(config.model_groups)


def render_item(config, arns, group):
    doc, text = KIND.fitted(lambda compact: s3_access_point.build(config, arns, group, compact))
    if not doc["Statement"]:
        return []
    registry = config.registry.account
    return [KIND.policy(registry, arns.registry_id, arns.access_point_arn(group),
                        f"{registry}/policies/s3-access-point-{group}.json", doc,
                        {"model_group": group, "access_point": arns.access_point_name(group)}, text)]


KIND = Kind(
    name="s3_access_point_policy",
    role=RESOURCE,
    target_type="accesspoint",
    governs=("accesspoint", "accesspointobject"),
    limit=Limit(20_480, "bytes", True, "S3 access point policy",
                "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html"),
    order=31,
    many=True,
    registry_side=True,
    terraform=TerraformResource("aws_s3control_access_point_policy", "policy", {"access_point_arn": "target_arn"}),
    may_name=lambda target: [target, f"{target}/object/*"],
    items=items,
    render_item=render_item,
    bind=lambda policy, path: ("access_points", policy.extra["access_point"], {
        "name": policy.extra["access_point"], "group": policy.extra["model_group"], "policy": path}),
)
