"""wildcard-role-pattern: a role pattern's * must not reach roles a customer can create."""

from __future__ import annotations

import re

from generator.lint.model import Hit, PolicyFile, as_list, rule
from generator.roles import spans_slash

POSITIVE = ("ArnLike", "StringLike")
NEGATED = ("ArnNotLike", "StringNotLike")


def _values(stmt: dict, operators: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for operator, block in (stmt.get("Condition") or {}).items():
        if operator in operators and isinstance(block, dict):
            for key, values in block.items():
                if key.lower() == "aws:principalarn":
                    out.extend(str(v) for v in as_list(values))
    return out


def _glob(pattern: str, value: str) -> bool:
    return re.fullmatch("".join(".*" if c == "*" else re.escape(c) for c in pattern), value, re.DOTALL) is not None


@rule(
    "wildcard-role-pattern", "error",
    "A wildcard aws:PrincipalArn role pattern cannot match, across a '/', a role path a customer can create",
    category="security",
    fix="Render the role from accounts.yaml (the generator adds the ArnNotLike exclusion), or put * only in the "
        "role name and exclude '<prefix>*/*' with ArnNotLike aws:PrincipalArn.",
)
def wildcard_role_pattern(policy: PolicyFile, ctx):
    """In ArnLike and StringLike, * matches any characters including '/'.
    A pattern meant for role names, arn:aws:iam::111122223333:role/Team*,
    also matches arn:aws:iam::111122223333:role/TeamX/Impostor: a role with
    a path, which anyone allowed iam:CreateRole in that account can create,
    and which then gets the grant through the registry half alone. Patterns
    under role/aws-reserved/ are exempt: only AWS creates roles there (IAM
    Identity Center's AWSReservedSSO_ roles). Any other wildcard pattern
    needs an ArnNotLike aws:PrincipalArn exclusion of '<text before the
    first *>*/*' in the same statement."""
    if not policy.is_resource_policy:
        return
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        excluded = _values(stmt, NEGATED)
        for value in _values(stmt, POSITIVE):
            head, marker, role_part = value.partition(":role/")
            if not marker or not spans_slash(role_part):
                continue
            required = f"{head}{marker}{role_part[: role_part.index('*')]}*/*"
            if not any(_glob(e, required) for e in excluded):
                yield Hit(
                    f"statement {stmt.get('Sid')}: aws:PrincipalArn {value} also matches roles with a path "
                    f"({required}), which anyone with iam:CreateRole in the account can create; "
                    f"add ArnNotLike aws:PrincipalArn {required}",
                    stmt.get("Sid"),
                )
