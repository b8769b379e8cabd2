"""A development account's local group policy (``registration: copy``): one per
development account and copy-mode group.

The group of the same name in the development account, where data
scientists register and their lead approves. Its policy lets exactly the
registry function's role describe its versions (generator/policies/copy.py,
docs/copy.md); the account's root creates the group and sets the policy.
Limit: PutModelPackageGroupPolicy's ResourcePolicy, 20,480 characters
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PutModelPackageGroupPolicy.html),
sent minified by ``aws_sagemaker_model_package_group_policy``.

It governs ``local-model-package-group``, this project's name for a
model-package-group (and its versions) in a development account, kept apart
from the registry's groups, which the group policy kind decides.
"""

from __future__ import annotations

from generator import copyflow
from generator.kinds.base import RESOURCE, Kind, Limit, TerraformResource
from generator.policies import copy


def render(config, arns):
    out = []
    for account in copyflow.copy_developers(config):
        account_id = config.accounts[account].id
        for group in copyflow.copy_groups_of(config, account):
            out.append(KIND.policy(account, account_id, arns.local_group_arn(account_id, group),
                                   f"{account}/policies/local-model-package-group-{group}.json",
                                   copy.local_group_policy(config, arns, account, group), {"model_group": group}))
    return out


def _may_name(target: str) -> list[str]:
    return [target, f"{target.replace(':model-package-group/', ':model-package/', 1)}/*"]


KIND = Kind(
    name="local_model_package_group_policy",
    role=RESOURCE,
    target_type="model-package-group",
    governs=("local-model-package-group",),
    service_types=("model-package-group", "model-package"),
    limit=Limit(20_480, "characters", False, "SageMaker model package group policy (local group)",
                "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PutModelPackageGroupPolicy.html"),
    order=32,
    terraform=TerraformResource("aws_sagemaker_model_package_group_policy", "resource_policy",
                                {"model_package_group_name": "target_group"}),
    may_name=_may_name,
    render=render,
    bind=lambda policy, path: ("local_group_policies", policy.extra["model_group"],
                               (policy.extra["model_group"], path)),
)
