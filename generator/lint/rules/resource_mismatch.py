"""resource-mismatch: every resource fits a resource type its actions take."""

from __future__ import annotations

from generator.lint import iam_data
from generator.lint.model import Hit, PolicyFile, as_list, rule


from functools import lru_cache


@lru_cache(maxsize=None)
def _templates(action: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(template for _, template in iam_data.resource_types(action)))


@lru_cache(maxsize=1 << 12)
def _templates_fit(templates: tuple[str, ...], resource: str) -> bool:
    return any(iam_data.arn_fits(template, resource) for template in templates)


def _fits(action: str, resource: str) -> bool:
    """Whether ``resource`` fits a resource type of ``action``; asked once per
    (ARN templates, resource): the actions of one resource type share it."""
    return _templates_fit(_templates(action), resource)


@rule(
    "resource-mismatch", "error",
    "Every action of a statement takes one of its Resource ARNs, and every ARN is taken by one of its actions",
    category="validity",
    fix="Use the ARN of the resource type the action takes (the message lists them), or \"*\" for an "
        "action without resource-level permissions.",
)
def resource_mismatch(policy: PolicyFile, ctx):
    """A statement whose ARN does not fit the action's resource type
    never matches a request: the grant silently does nothing (for example
    sagemaker:ListModelPackages on a model-package-group ARN instead of
    model-package/<group>/*, or s3:GetObject on the bucket ARN instead of
    its objects). An action that supports no resource-level permission
    only ever matches Resource "*". "*" itself fits every action; the
    wildcard-resource rule decides whether it is acceptable.

    A statement may list resources of several types for actions of several
    types (the group policies' compact form does, as AWS's own group policy
    example does: DescribeModelPackageGroup on the group and
    DescribeModelPackage on its versions, in one statement): each request
    names a resource of its action's type, so only the pairs that fit are
    ever asked. What is flagged is what can never match: an action none of
    whose resources it takes, and a resource no action takes."""
    for stmt in policy.statements():
        sid = stmt.get("Sid")
        resources = [r for r in as_list(stmt.get("Resource")) if r != "*"]
        used: set[str] = set()
        flagged: set[str] = set()
        for action in as_list(stmt.get("Action")):
            expanded = iam_data.expand(action)
            if not expanded:
                flagged.update(resources)  # "*" or unknown-action's business: no finding about its resources
                continue
            if any(c in action for c in "*?"):
                fitting = [r for r in resources if any(_fits(a, r) for a in expanded)]
                if not fitting:
                    flagged.update(resources)
                    for resource in resources:
                        yield Hit(f"statement {sid}: none of the actions matching {action} take {resource}", sid)
                used.update(fitting)
                continue
            types = iam_data.resource_types(action)
            if not types:
                flagged.update(resources)
                for resource in resources:
                    yield Hit(
                        f"statement {sid}: {action} supports no resource-level permissions; "
                        f'its Resource must be "*", not {resource}', sid,
                    )
                continue
            fitting = [r for r in resources if _fits(action, r)]
            if not fitting:
                flagged.update(resources)
                names = ", ".join(name for name, _ in types)
                for resource in resources:
                    yield Hit(f"statement {sid}: {action} does not take {resource} (it takes: {names})", sid)
            used.update(fitting)
        for resource in resources:
            if resource not in used and resource not in flagged:
                yield Hit(f"statement {sid}: no action of the statement takes {resource}", sid)
