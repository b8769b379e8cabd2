"""resource-policy-scope: a resource policy names only its own resource."""

from __future__ import annotations

import fnmatch

from generator.analysis.evaluate import glob_match
from generator.lint import iam_data
from generator.lint.model import Hit, PolicyFile, as_list, rule

def governed_resources(policy: PolicyFile) -> list[str]:
    """ARN patterns a resource policy may name, as its kind declares
    (generator/kinds/: ``may_name``); in a key policy "*" is the key."""
    return policy.facts.may_name(policy.target)


def _matches(value: str, pattern: str) -> bool:
    """fnmatch's answer; patterns with only * and ? use the evaluator's cached glob (faster at scale)."""
    if "[" in pattern:
        return fnmatch.fnmatchcase(value, pattern)
    return glob_match(pattern, value)


def _takes(action: str, types: tuple[str, ...]) -> bool:
    return any(name in types for name, _ in iam_data.resource_types(action))


@rule(
    "resource-policy-scope", "error",
    "A resource policy's actions take the resource it is attached to, and its resources are that resource",
    category="validity",
    fix="Remove the action from the resource policy: grant it in the caller's identity policy on the "
        "caller's own resource (for example sagemaker:CreateModel on model/*).",
)
def resource_policy_scope(policy: PolicyFile, ctx):
    """A resource policy is evaluated only for requests on the resource it
    is attached to. An action that does not take that resource type has no
    effect there (sagemaker:CreateModel takes only the model type, so in a
    model package group policy it grants nothing, although AWS's own example
    includes it), and S3 rejects a bucket policy naming another bucket. In
    a key policy, Resource is "*", meaning the key itself."""
    if not policy.is_resource_policy:
        return
    types = policy.facts.service_types or policy.facts.governs
    allowed = governed_resources(policy)
    for stmt in policy.statements():
        sid = stmt.get("Sid")
        for action in as_list(stmt.get("Action")):
            expanded = iam_data.expand(action)
            if expanded and not any(_takes(a, types) for a in expanded):
                yield Hit(
                    f"statement {sid}: {action} does not take {' or '.join(types)}: it has no effect in a "
                    f"{policy.kind.replace('_', ' ')}", sid,
                )
        for resource in as_list(stmt.get("Resource")):
            if not any(_matches(resource, pattern) for pattern in allowed):
                yield Hit(f"statement {sid}: {resource} is not the resource this policy governs ({', '.join(allowed)})", sid)
