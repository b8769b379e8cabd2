"""A model package group's resource policy (registry account): one per group.

Limit: PutModelPackageGroupPolicy's ResourcePolicy, at most 20,480
characters of the string sent (SageMaker API reference; botocore checks
only the minimum). Both writers send the document minified, so the limit is
measured on the minified document: ``mrpolicy apply`` sends
``json.dumps(document, separators=(",", ":"))`` (generator/apply/plan.py,
``wire``), and ``aws_sagemaker_model_package_group_policy`` in the registry
root sends ``structure.NormalizeJsonString(resource_policy)``, Go's compact
json.Marshal of the parsed document, whatever the file's whitespace
(hashicorp/terraform-provider-aws,
internal/service/sagemaker/model_package_group_policy.go, in every release
that has the resource). The two differ only in escaping ``<``, ``>`` and
``&``, which no group policy holds (ARNs, account and organization ids,
stage names). The file stays pretty-printed for review.

Over the limit, the compact form is rendered (policies/common.py,
``principal_blocks`` without Principal "*": we found no AWS statement that
SageMaker accepts it in a group policy, so the compact form names the
account roots).
"""

from __future__ import annotations

from generator.errors import ConfigError
from generator.kinds.base import RESOURCE, Kind, Limit, TerraformResource
from generator.policies import model_package_group


def items(config, arns):
    return sorted(config.model_groups)


def render_item(config, arns, group):
    doc, text = KIND.fitted(lambda compact: model_package_group.build(config, arns, group, compact))
    if not any(s["Effect"] == "Allow" for s in doc["Statement"]):  # the registry's Denies are always there
        raise ConfigError(
            f"model_groups.{group}",
            "no account is granted anything on this group (list developers, consumers, deployers or approvers)",
        )
    registry = config.registry.account
    return [KIND.policy(registry, arns.registry_id, arns.group_arn(group),
                        f"{registry}/policies/model-package-group-{group}.json", doc, {"model_group": group}, text)]


def _may_name(target: str) -> list[str]:
    packages = target.replace(":model-package-group/", ":model-package/", 1)
    return [target, f"{packages}/*"]


KIND = Kind(
    name="model_package_group_policy",
    role=RESOURCE,
    target_type="model-package-group",
    governs=("model-package-group", "model-package"),
    limit=Limit(20_480, "characters", False, "SageMaker model package group policy",
                "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PutModelPackageGroupPolicy.html"),
    order=30,
    many=True,
    registry_side=True,
    applied_by_helper=True,
    terraform=TerraformResource("aws_sagemaker_model_package_group_policy", "resource_policy",
                                {"model_package_group_name": "target_group"}),
    may_name=_may_name,
    items=items,
    render_item=render_item,
    bind=lambda policy, path: ("group_policies", policy.extra["model_group"], (policy.extra["model_group"], path)),
)
