"""repository-role-condition: every repository policy statement names roles with aws:PrincipalArn."""

from __future__ import annotations

import re

from generator.lint.model import Hit, PolicyFile, narrowing_values, rule

# A role ARN; the account may be "*" in the compact form, where
# aws:PrincipalAccount pins the accounts (policies/common.py).
ROLE_ARN = re.compile(r"^arn:[a-z-]+:iam::(?:\d{12}|\*):role/(?:[^/]+/)*(?P<name>[^/]+)$")


@rule(
    "repository-role-condition", "error",
    "Every statement of an ECR repository policy carries an aws:PrincipalArn condition naming roles",
    category="security",
    fix="Render the repository policy from accounts.yaml (ecr_repositories); every statement names its accounts' "
        "roles with ArnLike aws:PrincipalArn.",
)
def repository_role_condition(policy: PolicyFile, ctx):
    """Hand-written repository policies are where `Principal: *` or whole
    accounts with `ecr:*` usually appear, and then every account can
    overwrite every image. Stricter than account-principal: every
    statement, whatever its principal and effect, must pin the caller to
    role ARNs (ArnLike/ArnEquals/StringEquals/StringLike aws:PrincipalArn),
    so no statement of a repository policy ever reaches a whole account or
    the whole organization."""
    if policy.facts is None or policy.facts.target_type != "repository":
        return
    for stmt in policy.statements():
        sid = stmt.get("Sid")
        arns = narrowing_values(stmt, "aws:PrincipalArn")
        if not arns:
            yield Hit(f"statement {sid}: has no aws:PrincipalArn condition naming the roles it grants to", sid)
            continue
        for arn in arns:
            match = ROLE_ARN.fullmatch(arn)
            if not match:
                yield Hit(f"statement {sid}: aws:PrincipalArn {arn} is not a role ARN", sid)
            elif not match["name"].strip("*?"):
                yield Hit(f"statement {sid}: aws:PrincipalArn {arn} matches every role in its account", sid)
