"""wildcard-principal: Principal "*" in an Allow is narrowed by a condition."""

from __future__ import annotations

from generator.lint.model import Hit, PolicyFile, narrowing_values, principal_values, rule

NARROWING_KEYS = ("aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalAccount")


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
    with Principal "*" (the TLS guardrail) restricts everyone."""
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        sid = stmt.get("Sid")
        if "NotPrincipal" in stmt:
            yield Hit(f"statement {sid}: NotPrincipal in an Allow grants every principal not listed", sid)
        if "*" in principal_values(stmt) and not any(narrowing_values(stmt, key) for key in NARROWING_KEYS):
            yield Hit(
                f'statement {sid}: Principal "*" without a {", ".join(NARROWING_KEYS)} condition '
                "allows every AWS account", sid,
            )
