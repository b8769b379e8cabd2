"""account-principal: a cross-account grant names roles, never a whole account."""

from __future__ import annotations

import re

from generator.lint.model import Hit, PolicyFile, account_of_principal, is_account_root, narrowing_values, principal_values, rule

ROLE_ARN = re.compile(r"^arn:[a-z-]+:iam::(?P<account>\d{12}|\*):role/(?:[^/]+/)*(?P<name>[^/]+)$")


@rule(
    "account-principal", "error",
    "An Allow naming another account's root is narrowed by aws:PrincipalArn to role ARNs in that account",
    category="security",
    fix="Add an ArnLike aws:PrincipalArn condition listing the roles (accounts.<name>.roles in accounts.yaml).",
)
def account_principal(policy: PolicyFile, ctx):
    """Naming an account root delegates the grant to that account's IAM:
    any role its administrators create (or any user) would get it. The
    generator names the account (so the policy survives role re-creation)
    and narrows it with aws:PrincipalArn to the configured roles. Each ARN
    in that condition must be a role in one of the named accounts, and a
    role name made only of "*" would match every role again. The account
    of a role ARN may be "*" (the group policies' compact form writes each
    role name once for all the accounts of a block): the Principal already
    pins the accounts, so the pattern matches those roles in those accounts
    only."""
    if not policy.is_resource_policy:
        return
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        sid = stmt.get("Sid")
        foreign = sorted({
            account_of_principal(p) for p in principal_values(stmt)
            if is_account_root(p) and account_of_principal(p) != policy.account_id
        })
        if not foreign:
            continue
        arns = narrowing_values(stmt, "aws:PrincipalArn")
        if not arns:
            yield Hit(
                f"statement {sid}: grants whole account(s) {', '.join(foreign)}: add an aws:PrincipalArn "
                "condition naming their roles", sid,
            )
            continue
        for arn in arns:
            match = ROLE_ARN.fullmatch(arn)
            if not match:
                yield Hit(f"statement {sid}: aws:PrincipalArn {arn} is not a role ARN", sid)
            elif match["account"] != "*" and match["account"] not in foreign:
                yield Hit(f"statement {sid}: aws:PrincipalArn {arn} is not in the principal account(s) {', '.join(foreign)}", sid)
            elif not match["name"].strip("*?"):
                where = f"account {match['account']}" if match["account"] != "*" else f"account(s) {', '.join(foreign)}"
                yield Hit(f"statement {sid}: aws:PrincipalArn {arn} matches every role in {where}", sid)
