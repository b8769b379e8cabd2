"""deploy-role-trust: only the deployment roles that deploy an account's groups can assume its deploy role."""

from __future__ import annotations

from generator.analysis.evaluate import Policy, Request, decide, glob_match
from generator.lint.model import TRUST_POLICY_KINDS, Hit, as_list, rule
from generator.lint.probe import ALLOW_ALL_IDENTITY, _named_accounts, governing
from generator.policies import deploy_role

OUTSIDE_ACCOUNT = "999999999999"
OTHER_ORGANIZATION = "o-zzzzzzzzzz"
UNLISTED = "UnlistedRole"


def _sample(role: str) -> str:
    return role.replace("*", "probe").replace("?", "x")


def candidates(config, partition: str) -> list[str]:
    """Every role the config knows (patterns as samples), an unlisted role in
    each account, and the same role names in an account outside the config."""
    arns = set()
    names = {UNLISTED}
    for account in config.accounts.values():
        for role in account.roles:
            arns.add(f"arn:{partition}:iam::{account.id}:role/{_sample(role)}")
            names.add(_sample(role))
        arns.add(f"arn:{partition}:iam::{account.id}:role/{UNLISTED}")
        if config.deploy_role is not None:
            arns.add(f"arn:{partition}:iam::{account.id}:role/{config.deploy_role.name}")
    outside = OUTSIDE_ACCOUNT if all(a.id != OUTSIDE_ACCOUNT for a in config.accounts.values()) else "999999999998"
    arns |= {f"arn:{partition}:iam::{outside}:role/{name}" for name in names}
    return sorted(arns)


@rule(
    "deploy-role-trust", "error",
    "A deploy role's trust policy lets only the listed roles of the deployment accounts that deploy its account's "
    "groups assume it, only from the organization",
    category="security",
    fix="Re-render: the trust policy names the deployment accounts and narrows them with aws:PrincipalArn to their "
        "listed roles (generator/policies/deploy_role.py).",
    scope="set",
)
def deploy_role_trust(ctx):
    """Whoever can assume a deploy role can replace what serves traffic in
    test and prod. Its trust policy is asked, on its own (as if every
    caller's identity policy allowed sts:AssumeRole), about every role the
    config knows (developers, approvers, execution roles, other deploy
    roles), an unlisted role in every account (another role of the
    deployment account), and the same role names in an account outside the
    config; only the listed roles of the deployment accounts that deploy
    the account's groups may get in. With organization_id, those roles are
    also asked from another organization, which must fail."""
    config = ctx.config
    if config.deploy_role is None:
        return
    partition = config.partition
    by_id = {a.id: name for name, a in config.accounts.items()}
    everyone = candidates(config, partition)
    for policy in ctx.well_formed(*TRUST_POLICY_KINDS):
        if policy.entry.get("trust") != "deploy-role":
            continue
        for stmt in policy.statements():
            if stmt.get("Effect") == "Allow":
                others = [a for a in as_list(stmt.get("Action")) if a.lower() != "sts:assumerole"]
                if others or "NotAction" in stmt:
                    yield Hit(f"statement {stmt.get('Sid')}: allows {', '.join(others) or 'NotAction'}; "
                              "a deploy role is only assumed (sts:AssumeRole)", stmt.get("Sid"), policy.path)
        account = by_id.get(policy.account_id)
        deployers = set()
        if account is not None:
            for group in deploy_role.deployed_groups(config, account):
                deployers.update(config.party_accounts(group, "deployers"))
        allowed_patterns = [f"arn:{partition}:iam::{config.accounts[d].id}:role/{r}"
                            for d in sorted(deployers) for r in config.accounts[d].roles]
        doc = Policy(governing(policy))
        # Only the roles of accounts an Allow statement can name can be let in
        # (the trust policy alone decides): the others are not asked.
        named = _named_accounts(doc)
        org = config.organization_id
        for arn in everyone:
            if named is not None and arn.split(":")[4] not in named:
                continue
            expected = any(glob_match(p, arn) for p in allowed_patterns)
            contexts = []
            if not expected:
                contexts.append(("", {"aws:PrincipalOrgID": org} if org else {}))
            elif org:
                contexts.append((f" from organization {OTHER_ORGANIZATION}", {"aws:PrincipalOrgID": OTHER_ORGANIZATION}))
            for where, context in contexts:
                context = {**context, "aws:SecureTransport": "true"}
                request = Request(arn, "sts:AssumeRole", policy.target, context)
                try:
                    decision = decide(request, [ALLOW_ALL_IDENTITY], doc, policy.account_id)
                except ValueError as exc:
                    yield Hit(f"cannot evaluate sts:AssumeRole for {arn}: {exc}", path=policy.path)
                    return
                # Assuming a role always needs its trust policy to allow the
                # caller, in the same account too: the trust policy alone decides here.
                if decision.allowed and decision.resource_allows:
                    sids = [label.split(":", 1)[1] for label in decision.resource_allows]
                    yield Hit(f"statement {', '.join(sids)}: lets {arn}{where} assume {policy.target}",
                              sids[0], policy.path)
