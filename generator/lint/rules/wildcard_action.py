"""wildcard-action: Allow statements list their actions."""

from __future__ import annotations

from generator.lint.model import Hit, PolicyFile, as_list, rule


@rule(
    "wildcard-action", "error",
    'No Allow grants "*", "service:*" or any other action pattern, and no Allow uses NotAction',
    category="security",
    fix="List the actions the party needs (generator/access.py holds the table).",
)
def wildcard_action(policy: PolicyFile, ctx):
    """A wildcard grants every action the service has now and every one
    AWS adds later, including administrative ones, and NotAction in an
    Allow grants everything not listed. Least privilege means listing
    actions. Scope: Allow statements only. A Deny with s3:* (the bucket's
    TLS guardrail) is deliberately broad and restricts, it never grants."""
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        sid = stmt.get("Sid")
        if "NotAction" in stmt:
            yield Hit(f"statement {sid}: NotAction in an Allow grants every action not listed", sid)
        for action in as_list(stmt.get("Action")):
            if action == "*" or action.endswith(":*"):
                yield Hit(f"statement {sid}: Allow grants {action}: every action of {action.partition(':')[0] or 'every service'}", sid)
            elif "*" in action or "?" in action:
                yield Hit(f"statement {sid}: Allow grants the pattern {action}: list the actions instead", sid)
