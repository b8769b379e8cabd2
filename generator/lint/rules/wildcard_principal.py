"""wildcard-principal: Principal "*" in an Allow is narrowed by a condition."""

from __future__ import annotations

from generator.lint.model import Hit, PolicyFile, narrowing_values, principal_values, rule

NARROWING_KEYS = ("aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalAccount")
# In a bucket policy, s3:DataAccessPointAccount equal to the bucket's own
# account is AWS's delegation pattern: only requests through the registry's
# access points match, and each access point policy names its principals.
DELEGATION_KEY = "s3:DataAccessPointAccount"


@rule(
    "wildcard-principal", "error",
    'An Allow with Principal "*" (or NotPrincipal) carries an aws:PrincipalArn, aws:PrincipalOrgID or aws:PrincipalAccount condition',
    category="security",
    fix="Name the caller's account as Principal and its roles in an ArnLike aws:PrincipalArn condition "
        "(what the generator renders).",
)
def wildcard_principal(policy: PolicyFile, ctx):
    """Principal "*" without a narrowing condition makes the resource
    public to every AWS account. Only a positive operator (StringEquals,
    StringLike, ArnEquals, ArnLike) narrows: ...IfExists, ForAllValues and
    negated operators pass requests that lack the key. NotPrincipal in an
    Allow grants everyone not listed. Deny statements are exempt: a Deny
    with Principal "*" (the TLS guardrail) restricts everyone. In a bucket
    policy, delegation to the registry's own access points
    (s3:DataAccessPointAccount = the registry account) narrows too: the
    access point policies name the principals, and are linted themselves."""
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        sid = stmt.get("Sid")
        if "NotPrincipal" in stmt:
            yield Hit(f"statement {sid}: NotPrincipal in an Allow grants every principal not listed", sid)
        delegated = policy.facts is not None and policy.facts.delegates and narrowing_values(stmt, DELEGATION_KEY) == [ctx.registry_id]
        if "*" in principal_values(stmt) and not delegated and not any(
            narrowing_values(stmt, key) for key in NARROWING_KEYS
        ):
            yield Hit(
                f'statement {sid}: Principal "*" without a {", ".join(NARROWING_KEYS)} condition '
                "allows every AWS account", sid,
            )
