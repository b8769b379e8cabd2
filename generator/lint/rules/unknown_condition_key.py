"""unknown-condition-key: every condition key applies to the statement's actions."""

from __future__ import annotations

from functools import lru_cache

from generator.lint import iam_data
from generator.lint.model import Hit, PolicyFile, as_list, rule


@lru_cache(maxsize=1 << 14)
def _missing(key: str, actions: tuple[str, ...]) -> list[str]:
    """The actions ``key`` never applies to (thousands of statements share a few action lists)."""
    return [a for a in actions if not iam_data.key_applies(key, a)]


@rule(
    "unknown-condition-key", "error",
    "Every condition key is a global aws: key or a key of each action in the statement (action or resource-type level)",
    category="validity",
    fix="Fix the key's spelling, or move the action to a statement whose conditions apply to it.",
)
def unknown_condition_key(policy: PolicyFile, ctx):
    """A key that is never present in the request makes a positive
    operator false (the Allow grants nothing) and an ...IfExists or negated
    operator true (the condition narrows nothing) - either way the policy
    does not do what it says. Keys are looked up at the action level and at
    the level of every resource type the action takes (kms:ResourceAliases
    belongs to the key type), plus the global aws: keys."""
    for stmt in policy.statements():
        sid = stmt.get("Sid")
        # NotAction: which actions a key must apply to is unknowable; "*" expands to nothing.
        actions = tuple(a for pattern in as_list(stmt.get("Action")) for a in iam_data.expand(pattern))
        for block in (stmt.get("Condition") or {}).values():
            for key in block:
                if iam_data.is_global_key(key):
                    continue
                if not iam_data.key_known(key):
                    yield Hit(f"statement {sid}: {key} is not a condition key of {key.partition(':')[0]}", sid)
                    continue
                missing = _missing(key, actions)
                listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
                if missing and len(missing) == len(actions):
                    yield Hit(f"statement {sid}: condition key {key} applies to none of its actions ({listed})", sid)
                elif missing:
                    yield Hit(f"statement {sid}: condition key {key} does not apply to {listed}", sid)
