"""developers-first-stage-only: with stages, developers move no lifecycle past the first stage."""

from __future__ import annotations

from generator.access import (
    CURRENT_STAGE_KEY, CURRENT_STATUS_KEY, STAGE_APPROVED, STAGE_KEY, STAGE_PENDING, STAGE_REJECTED, STAGE_STATUS_KEY,
)
from generator.config.stages import stage_names
from generator.lint.model import Hit, rule
from generator.lint.probe import Prober

CREATE, UPDATE = "sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"


def probes(stages: list[str]) -> list[tuple[str, dict, str]]:
    """(action, lifecycle context, what it would mean) a developer must be refused."""
    first = stages[0]
    out = []
    for action in (CREATE, UPDATE):
        for stage in stages[1:]:
            out.append((action, {STAGE_KEY: stage, STAGE_STATUS_KEY: STAGE_PENDING}, f"set stage {stage}"))
        for status in (STAGE_APPROVED, STAGE_REJECTED):
            out.append((action, {STAGE_KEY: first, STAGE_STATUS_KEY: status}, f"set {first} to {status}"))
    for stage in stages[1:]:
        out.append((UPDATE, {CURRENT_STAGE_KEY: stage, CURRENT_STATUS_KEY: STAGE_PENDING}, f"edit a version at {stage}"))
    out.append((UPDATE, {CURRENT_STAGE_KEY: first, CURRENT_STATUS_KEY: STAGE_APPROVED}, f"edit a version approved at {first}"))
    return out


@rule(
    "developers-first-stage-only", "error",
    "With stages, no developer role can set a stage other than the first or a status other than PendingApproval, "
    "or edit a version past the first stage or approved",
    category="security",
    fix="Keep the lifecycle conditions on the developers' RegisterPendingVersions and UpdateUnapprovedVersions "
        "statements (generator/access.py, _staged).",
    scope="set",
)
def developers_first_stage_only(ctx):
    """A version can never skip a stage: the people who train a model put
    it into the first stage, pending, and nothing more. Each forbidden
    lifecycle move (every later stage, Approved or Rejected at the first,
    editing a version past the first stage or approved there) is asked of
    every developer role against each half of the grant alone."""
    stages = stage_names(ctx.config)
    if not stages:
        return
    prober = Prober(ctx)
    for group in sorted(ctx.config.model_groups):
        version = prober.arns.package_arns(group).replace("/*", "/1")
        for role in prober.roles(group, "developers"):
            for action, lifecycle, meaning in probes(stages):
                context = {**prober.context(group, "PendingManualApproval"), **lifecycle}
                try:
                    grantors = prober.grantors(role, action, version, context, group)
                except ValueError as exc:
                    yield Hit(f"cannot evaluate {action} for {role}: {exc}")
                    return
                for g in grantors:
                    yield Hit(f"statement {g.sid}: lets developer {role} {meaning} ({action}) in {group}", g.sid, g.path)
