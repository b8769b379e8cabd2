"""wildcard-resource: Resource "*" only where nothing narrower exists."""

from __future__ import annotations

from generator.lint import iam_data
from generator.lint.model import Hit, PolicyFile, as_list, rule


@rule(
    "wildcard-resource", "error",
    'No Allow uses Resource "*" (or NotResource), except for actions without resource-level permissions and in a KMS key policy',
    category="security",
    fix="Name the ARNs (bucket objects under the group's prefix, model-package/<group>/*, the registry's key).",
)
def wildcard_resource(policy: PolicyFile, ctx):
    """Resource "*" grants the actions on every resource of every account
    the policy reaches. Two exceptions are not wildcards in effect: an
    action that supports no resource-level permission can only be granted
    on "*", and in a key policy "*" means the key the policy is attached
    to. NotResource in an Allow grants everything not listed."""
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        sid = stmt.get("Sid")
        if "NotResource" in stmt:
            yield Hit(f"statement {sid}: NotResource in an Allow grants every resource not listed", sid)
        if "*" not in as_list(stmt.get("Resource")) or (policy.facts is not None and policy.facts.star_resource_is_self):
            continue
        scoped = sorted({
            action for pattern in as_list(stmt.get("Action"))
            for action in (iam_data.expand(pattern) if pattern != "*" else ["*"])
            if action == "*" or iam_data.resource_types(action)
        })
        if scoped:
            more = f" and {len(scoped) - 5} more" if len(scoped) > 5 else ""
            yield Hit(f'statement {sid}: Resource "*" for actions that take specific resources: {", ".join(scoped[:5])}{more}', sid)
