"""every-stage-has-an-approver: with stages, every stage of every group can be approved."""

from __future__ import annotations

from generator.access import CURRENT_STAGE_KEY, CURRENT_STATUS_KEY, STAGE_APPROVED, STAGE_KEY, STAGE_PENDING, STAGE_STATUS_KEY
from generator.access import APPROVAL_STATUS_KEY, Lifecycle, decided_status, party_members
from generator.config.stages import stage_approvers, stage_names
from generator.lint.model import Hit, rule
from generator.lint.probe import Prober

UPDATE = "sagemaker:UpdateModelPackage"


@rule(
    "every-stage-has-an-approver", "error",
    "With stages, for every group and stage some role of the stage's approvers can approve it, in both halves",
    category="security",
    fix="Re-render: each stage's approvers get an Approve<Stage>Stage statement in every group policy and in "
        "their identity policies.",
    scope="set",
)
def every_stage_has_an_approver(ctx):
    """A stage nobody can approve stops every version at it: the lifecycle
    then cannot be followed and people work around it. For each group and
    stage, an approval of a version pending at that stage is asked of the
    stage's approver roles; both halves of the grant must allow it for at
    least one of them."""
    stages = stage_names(ctx.config)
    if not stages:
        return
    prober = Prober(ctx)
    group_file = {p.target: p.path for p in ctx.policies if p.facts is not None and "model-package-group" in p.facts.governs}
    for group in sorted(ctx.config.model_groups):
        version = prober.arns.package_arns(group).replace("/*", "/1")
        for stage in stages:
            members = party_members(ctx.config, prober.arns, stage_approvers(ctx.config, stage))
            roles = [arn.replace("*", "probe") for arn in members.role_arns]
            # One approval model: the approval carries the ModelApprovalStatus it implies.
            context = {**prober.context(group, None), STAGE_KEY: stage, STAGE_STATUS_KEY: STAGE_APPROVED,
                       CURRENT_STAGE_KEY: stage, CURRENT_STATUS_KEY: STAGE_PENDING,
                       APPROVAL_STATUS_KEY: decided_status(Lifecycle(tuple(stages)), stage)}
            approved = False
            for role in roles:
                try:
                    grantors = prober.grantors(role, UPDATE, version, context, group)
                except ValueError as exc:
                    yield Hit(f"cannot evaluate {UPDATE} for {role}: {exc}")
                    return
                halves = {"identity" if g.path not in group_file.values() else "resource" for g in grantors}
                if halves == {"identity", "resource"}:
                    approved = True
                    break
            if not approved:
                path = group_file.get(prober.arns.group_arn(group))
                yield Hit(f"nobody can approve stage {stage} of {group} (approvers: "
                          f"{', '.join(stage_approvers(ctx.config, stage))})", path=path)
