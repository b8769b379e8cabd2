"""deploy-role-pass-role: a deploy role passes only its account's listed roles, only to SageMaker."""

from __future__ import annotations

from generator.analysis.evaluate import Request, decide
from generator.lint.model import IDENTITY_POLICY_KINDS, Hit, rule
from generator.lint.probe import ALLOW_ALL_RESOURCE

OTHER_SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com")
OTHER_ROLES = ("Admin", "OrganizationAccountAccessRole")


def deploy_role_policies(ctx):
    return [p for p in ctx.well_formed(*IDENTITY_POLICY_KINDS) if p.entry.get("scope") == "deploy-role"]


@rule(
    "deploy-role-pass-role", "error",
    "A deploy role passes only its account's listed roles (the SageMaker execution roles), only to SageMaker",
    category="security",
    fix="Keep iam:PassRole on the account's listed roles with iam:PassedToService = sagemaker.amazonaws.com "
        "(generator/policies/deploy_role.py).",
    scope="set",
)
def deploy_role_pass_role(ctx):
    """iam:PassRole is how a deploy role hands permissions to what it
    creates: passing an admin role, or any role to EC2 or Lambda, would let
    the pipeline run arbitrary code with more than it holds. Asked of each
    deploy role policy alone: passing each listed role of the account to
    other services, or with no service named; passing other roles of the
    account (an admin role, the deploy role itself) to SageMaker; and
    passing a listed role name of another account. Every one must fail."""
    config = ctx.config
    if config.deploy_role is None:
        return
    by_id = {a.id: a for a in config.accounts.values()}
    for policy in deploy_role_policies(ctx):
        account = by_id.get(policy.account_id)
        if account is None:
            continue
        role = policy.target
        listed = [f"arn:{config.partition}:iam::{account.id}:role/{r.replace('*', 'probe')}" for r in account.roles]
        other_account = next(a.id for a in config.accounts.values() if a.id != account.id)
        probes = [(arn, service) for arn in listed for service in OTHER_SERVICES + (None,)]
        probes += [(f"arn:{config.partition}:iam::{account.id}:role/{name}", "sagemaker.amazonaws.com")
                   for name in OTHER_ROLES + (config.deploy_role.name,)]
        probes += [(arn.replace(f"::{account.id}:", f"::{other_account}:"), "sagemaker.amazonaws.com")
                   for arn in listed]
        for passed, service in probes:
            context = {"iam:PassedToService": service} if service else {}
            request = Request(role, "iam:PassRole", passed, context)
            try:
                decision = decide(request, [policy.document], ALLOW_ALL_RESOURCE, policy.account_id)
            except ValueError as exc:
                yield Hit(f"cannot evaluate iam:PassRole: {exc}", path=policy.path)
                return
            if decision.allowed:
                sid = decision.identity_allows[0].split(":", 1)[1]
                to = f"to {service}" if service else "without iam:PassedToService"
                yield Hit(f"statement {sid}: lets the deploy role pass {passed} {to}", sid, policy.path)
