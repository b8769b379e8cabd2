"""An ECR repository's policy (registry account, ``ecr_repositories``): one per repository.

Limit: SetRepositoryPolicy policyText, "Maximum length of 10240"
(https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html;
botocore's ECR model: RepositoryPolicyText max 10240); the text sent is the
file as written. Its statements carry no Resource: the policy applies to
its repository, and ECR rejects one that has it.
"""

from __future__ import annotations

from generator.kinds.base import RESOURCE, Kind, Limit, TerraformResource
from generator.policies import ecr_repository


def repository_file(name: str) -> str:
    """File-name form of a repository: '/' -> '+' ('.' and '_' may be in
    the name itself, '+' never is, so two repositories never share a file)."""
    return f"ecr-repository-{name.replace('/', '+')}.json"


def items(config, arns):
    return sorted(config.ecr_repositories)


def render_item(config, arns, name):
    registry = config.registry.account
    doc, text = KIND.fitted(lambda compact: ecr_repository.build(config, arns, name, compact))
    return [KIND.policy(registry, arns.registry_id, arns.repository_arn(name),
                        f"{registry}/policies/{repository_file(name)}", doc, {"repository": name}, text)]


KIND = Kind(
    name="ecr_repository_policy",
    role=RESOURCE,
    target_type="repository",
    governs=("repository",),
    implied_resource="ECR rejects a repository policy that has it (the policy applies to its repository)",
    limit=Limit(10_240, "characters", True, "ECR repository policy",
                "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html"),
    order=40,
    many=True,
    registry_side=True,
    terraform=TerraformResource("aws_ecr_repository_policy", "policy", {"repository": "target_repository"}),
    may_name=lambda target: [],  # no Resource element at all (invalid-structure checks)
    items=items,
    render_item=render_item,
    bind=lambda policy, path: ("repositories", policy.extra["repository"], {
        "name": policy.extra["repository"], "policy": path}),
)
