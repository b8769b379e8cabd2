"""guardrails-allow-parties: the organization guardrails never refuse what a party may do."""

from __future__ import annotations

from itertools import product

from generator.access import condition_dict, party_members
from generator.arns import ANY
from generator.config.stages import STAGE_STATUSES, stage_names
from generator.analysis.evaluate import Request, condition_holds
from generator.analysis.guardrails import KINDS, Guardrail, denies, satisfying_context
from generator.lint.model import Hit, rule
from generator.lint.probe import STATUSES, Prober
from generator.policies.iam_role import account_grants

STAGE_KEY = "sagemaker:ModelLifeCycle:Stage"
STAGE_STATUS_KEY = "sagemaker:ModelLifeCycle:StageStatus"


def _contexts(base: dict, conditions: dict, stages: list[str]) -> list[dict]:
    """Every request context a grant allows, over the values that decide
    approval and lifecycle: each approval status, each configured stage and
    each stage status (or none of them)."""
    start = dict(base)
    start.update(satisfying_context(conditions))
    out = []
    for status, stage, stage_status in product(STATUSES, [None, *stages], [None, *STAGE_STATUSES]):
        # Stage and StageStatus are both required members of ModelLifeCycle
        # (botocore's SageMaker model): a request sets both or neither.
        if (stage is None) != (stage_status is None):
            continue
        context = dict(start)
        for key, value in (("sagemaker:ModelApprovalStatus", status), (STAGE_KEY, stage),
                           (STAGE_STATUS_KEY, stage_status)):
            if value is None:
                context.pop(key, None)
            else:
                context[key] = value
        if all(condition_holds(op, key, values, context) for op, keys in conditions.items()
               for key, values in keys.items()):
            out.append(context)
    return out


def _holds(conditions: dict, context: dict) -> bool:
    return all(condition_holds(op, key, values, context) for op, keys in conditions.items()
               for key, values in keys.items())


@rule(
    "guardrails-allow-parties", "error",
    "No SCP or RCP statement denies a request that a party's grants allow",
    category="security",
    fix="Re-render with `make render`; if a guardrail was edited by hand, restore its exemption (the approvers, "
        "the stage approvers, the developers for the first stage, the deploying roles).",
    scope="set",
)
def guardrails_allow_parties(ctx):
    """A guardrail that refuses a legitimate request breaks the registry for
    everyone under the OU it is attached to, and no other policy can
    override an SCP or RCP deny. Every Allow an account's roles hold (the
    grant table both halves of every grant are rendered from, stage
    approvers and consumers' stages included) is asked of every role, with
    every request context its conditions allow (each approval status, stage
    and stage status), against the rendered guardrails alone. The
    guardrails name the registry's resources with wildcards, so the
    registry-wide form of each account's grants is enough."""
    guardrails = [Guardrail(p.kind, p.path, p.document) for p in ctx.well_formed(*KINDS)]
    if not guardrails:
        return
    config = ctx.config
    prober = Prober(ctx)
    organization = config.organization_id
    stages = stage_names(config)
    base = prober.context(ANY, None)
    for account in sorted(config.accounts):
        members = party_members(config, prober.arns, [account])
        roles = [arn.replace("*", "probe").replace("?", "x") for arn in members.role_arns]
        grants = account_grants(config, prober.arns, account, registry_wide=True)
        # The account's own Deny grants (the developers' DenyApproval, the
        # stage decisions' pairing of StageStatus and ModelApprovalStatus)
        # refuse some contexts an Allow admits: nothing a party may do.
        own_denies = [(set(g.actions), condition_dict(g.conditions)) for g in grants if g.effect == "Deny"]
        for grant in grants:
            if grant.effect != "Allow" or not roles:
                continue
            admitted = _contexts(base, condition_dict(grant.conditions), stages)
            for role, action in product(roles, grant.actions):
                found = {
                    label
                    for resource in grant.resources
                    for context in admitted
                    if not any(action in acts and _holds(deny, context) for acts, deny in own_denies)
                    for label in denies(Request(role, action, resource.replace("*", "1"), context),
                                        guardrails, organization)
                }
                for label in sorted(found):
                    path, _, sid = label.rpartition(":")
                    yield Hit(f"statement {sid}: denies {role} {action}, which its grant {grant.name} allows",
                              sid, path)
