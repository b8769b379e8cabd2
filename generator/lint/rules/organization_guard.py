"""organization-guard: cross-account Allows require the configured organization."""

from __future__ import annotations

from generator.lint.model import Hit, PolicyFile, cross_account, narrowing_values, rule


@rule(
    "organization-guard", "error",
    "When organization_id is set, every cross-account Allow in a resource policy requires aws:PrincipalOrgID equal to it",
    category="security",
    fix="Re-render (the generator adds the guard); check organization_id in accounts.yaml.",
)
def organization_guard(policy: PolicyFile, ctx):
    """Defence in depth: if an account id in accounts.yaml is mistyped, or
    an account leaves the organization, the organization guard still
    refuses its principals. It must name exactly the configured
    organization: another value would let that organization in."""
    org = ctx.config.organization_id
    if not org or not policy.is_resource_policy:
        return
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow" or not cross_account(stmt, policy.account_id):
            continue
        sid = stmt.get("Sid")
        values = narrowing_values(stmt, "aws:PrincipalOrgID")
        if not values:
            yield Hit(f"statement {sid}: cross-account Allow without an aws:PrincipalOrgID = {org} condition", sid)
        elif set(values) != {org}:
            yield Hit(f"statement {sid}: aws:PrincipalOrgID allows {', '.join(sorted(set(values) - {org}))}, not only {org}", sid)
