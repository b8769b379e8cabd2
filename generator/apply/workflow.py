"""The approval workflow's rules, pure (no AWS): version state, step order, gates.

A version's lifecycle is SageMaker's staging construct, ``ModelLifeCycle
{Stage, StageStatus, StageDescription}`` (SageMaker Developer Guide, "Staging
construct for your model lifecycle",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-staging-construct.html).
The order of stages is the config's ``stages:`` list (generator/config/stages.py).

The step rule is the stage gates' rule for approvers (docs/stages.md): the
approvers of stage k set stage k to Approved or Rejected only on a version
whose current lifecycle is stage k (any status) or stage k-1 Approved; a
version without a lifecycle is put into the first stage (PendingApproval) by
its developers, never by an approver. ``promote`` checks it before any call, so
a refused step costs no AWS call and says exactly why.

Which versions a stage may use (``status --latest-approved``) follows the
consumer gate: current stage S with status Approved, or any later stage (a
version only gets past S once S approved it).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from generator.config import Config
from generator.config.stages import stage_approvers, stage_names

APPROVED, REJECTED, PENDING = "Approved", "Rejected", "PendingApproval"
# ModelLifeCycle.StageDescription: up to 1,024 characters matching .{0,1024}
# (SageMaker API Reference, ModelLifeCycle data type), so no line breaks.
DESCRIPTION_MAX = 1024

# ModelApprovalStatus values (SageMaker API Reference, UpdateModelPackage).
STATUS_APPROVED, STATUS_REJECTED, STATUS_PENDING = "Approved", "Rejected", "PendingManualApproval"


def approval_status(config: Config, stage: str, decision: str) -> str:
    """The ModelApprovalStatus a stage decision sets in the same request (one
    approval model, docs/stages.md): Approved when the last stage is
    approved, Rejected when any stage is rejected, PendingManualApproval
    when an earlier stage is approved. The group policies refuse a stage
    decision carrying anything else, or nothing."""
    if decision == REJECTED:
        return STATUS_REJECTED
    return STATUS_APPROVED if stage.lower() == stage_names(config)[-1].lower() else STATUS_PENDING


# The gates of the registry's stage policies (issue 15), by the names people use.
GATE_SKIP = "skip"
GATE_BACKWARDS = "backwards"
GATE_NOT_YOUR_STAGE = "not your stage"
GATE_FROZEN = "frozen approved version"


@dataclass(frozen=True)
class Change:
    """One entry of a version's stage history (a ModelLifeCycle action)."""

    at: str
    by: str
    stage: str
    status: str
    description: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionState:
    group: str
    version: int
    arn: str
    approval: str  # ModelApprovalStatus
    stage: str | None
    stage_status: str | None
    stage_description: str | None
    created_at: str
    created_by: str
    modified_at: str | None
    modified_by: str | None
    history: tuple[Change, ...] | None = None  # None: not read (status without --history)


@dataclass(frozen=True)
class Refusal:
    gate: str  # one of the GATE_* names, or "order" for "the previous stage is not approved"
    reason: str


def iso(value) -> str | None:
    """A botocore timestamp as ISO 8601 UTC with a Z (stable across time zones)."""
    if value is None:
        return None
    from datetime import timezone

    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def who(user_context: dict | None) -> str:
    """A UserContext (CreatedBy / LastModifiedBy) as one name: the IAM identity's ARN when
    SageMaker recorded one, else the Studio user profile."""
    if not user_context:
        return ""
    identity = user_context.get("IamIdentity") or {}
    if identity.get("Arn"):
        return identity["Arn"]
    return user_context.get("UserProfileArn") or user_context.get("UserProfileName") or ""


def state_from(group: str, described: dict, history: tuple[Change, ...] | None = None) -> VersionState:
    """A VersionState from a DescribeModelPackage answer."""
    life = described.get("ModelLifeCycle") or {}
    return VersionState(
        group=group,
        version=int(described.get("ModelPackageVersion") or 0),
        arn=described["ModelPackageArn"],
        approval=described.get("ModelApprovalStatus", ""),
        stage=life.get("Stage"),
        stage_status=life.get("StageStatus"),
        stage_description=life.get("StageDescription"),
        created_at=iso(described.get("CreationTime")) or "",
        created_by=who(described.get("CreatedBy")),
        modified_at=iso(described.get("LastModifiedTime")),
        modified_by=who(described.get("LastModifiedBy")) or None,
        history=history,
    )


def change_from(action: dict) -> Change:
    """A DescribeAction answer of a ModelLifeCycle action as one history entry.

    AWS does not document which properties these actions carry; the stage,
    status and description are read from properties of those names when
    present, and every property is kept as returned.
    """
    properties = {str(k): str(v) for k, v in (action.get("Properties") or {}).items()}
    lowered = {k.lower(): v for k, v in properties.items()}
    return Change(
        at=iso(action.get("CreationTime")) or "",
        by=who(action.get("CreatedBy")),
        stage=lowered.get("stage", ""),
        status=lowered.get("stagestatus", action.get("Status", "")),
        description=lowered.get("stagedescription", action.get("Description", "")),
        properties=dict(sorted(properties.items())),
    )


def _position(stages: list[str], name: str | None) -> int | None:
    if name is None:
        return None
    for index, stage in enumerate(stages):
        if stage.lower() == name.lower():
            return index
    return None


def check_step(config: Config, state: VersionState, target: str) -> Refusal | None:
    """Why ``promote --to target`` is out of order for this version, or None when it is in order."""
    stages = stage_names(config)
    order = ", ".join(stages)
    label = f"version {state.version} of {state.group}"
    goal = _position(stages, target)
    assert goal is not None, "the CLI resolves --to against the config first"
    if state.stage is None:
        # Approvers decide versions already in a stage: the gate's conditions on the
        # current stage are positive, so a version without a lifecycle matches none
        # (docs/stages.md); its developers put it into the first stage, pending.
        gate = "order" if goal == 0 else GATE_SKIP
        return Refusal(gate, f"{label} has no stage yet; its developers register it into {stages[0]} "
                             f"(PendingApproval) first, then {stages[0]}'s approvers decide it "
                             f"(stages in order: {order})")
    now = _position(stages, state.stage)
    where = f"{state.stage} ({state.stage_status or 'no status'})"
    if now is None:
        return Refusal("order", f"{label} is at stage '{state.stage}', which is not one of the stages of "
                                f"accounts.yaml ({order}); its order is unknown, so nothing is promoted")
    if goal == now:
        return None
    if goal < now:
        return Refusal(GATE_BACKWARDS, f"{label} is at {where}; {stages[goal]} comes before "
                                       f"{stages[now]} and a version never moves back")
    if goal > now + 1:
        return Refusal(GATE_SKIP, f"{label} is at {where}; {stages[now + 1]} comes next "
                                  f"(stages in order: {order}): promote --to {stages[now + 1]} first")
    if state.stage_status != APPROVED:
        return Refusal("order", f"{label} is at {where}; {stages[goal]} needs {stages[now]} Approved first")
    return None


def description(decision: str, caller_arn: str, note: str) -> str:
    """StageDescription: who decided, then the note (SageMaker keeps no approver field of its own)."""
    return f"{decision} by {caller_arn}: {note}"


def approved_for(config: Config, state: VersionState, stage: str) -> bool:
    """May stage ``stage`` use this version: current stage ``stage`` Approved, or a later stage."""
    stages = stage_names(config)
    goal, now = _position(stages, stage), _position(stages, state.stage)
    if goal is None or now is None:
        return False
    return now > goal or (now == goal and state.stage_status == APPROVED)


def latest_approved(config: Config, states: list[VersionState], stage: str) -> VersionState | None:
    usable = [s for s in states if approved_for(config, s, stage)]
    return max(usable, key=lambda s: s.version, default=None)


# --- naming the gate that refused a call ------------------------------------------
_ROLE_IN_ARN = re.compile(r"^arn:[^:]+:(?:sts|iam)::(\d{12}):(?:assumed-role|role)/(.+?)(?:/[^/]+)?$")


def caller_party(config: Config, caller_arn: str) -> tuple[str | None, str | None]:
    """(account name in accounts.yaml, role name) of a caller ARN; None where unknown."""
    match = _ROLE_IN_ARN.fullmatch(caller_arn)
    if not match:
        return None, None
    account_id, role = match.groups()
    if ":role/" in caller_arn:  # an IAM role ARN keeps its whole path/name
        role = caller_arn.split(":role/", 1)[1]
    name = next((n for n, a in config.accounts.items() if a.id == account_id), None)
    return name, role.rsplit("/", 1)[-1] if role else None


def _role_listed(config: Config, account: str, role: str) -> bool:
    return any(fnmatch.fnmatchcase(role, pattern.rsplit("/", 1)[-1]) for pattern in config.accounts[account].roles or ())


def name_gate(config: Config, state: VersionState, target: str, caller_arn: str, message: str) -> str:
    """One line for an AccessDenied on UpdateModelPackage: which gate refused, and why.

    ``state`` is the version as read again after the refusal (it may have moved
    since the order check).
    """
    refusal = check_step(config, state, target)
    if refusal is not None:
        return f"refused by the registry ({refusal.gate}): {refusal.reason} (it changed since the check)"
    account, role = caller_party(config, caller_arn)
    approvers = stage_approvers(config, target)
    roles = sorted({r for a in approvers for r in (config.accounts[a].roles or ())})
    who_may = f"roles {', '.join(roles)} in {', '.join(approvers)}"
    if account is not None and config.accounts[account].kind == "development" and state.stage_status == APPROVED:
        return (f"refused by the registry ({GATE_FROZEN}): version {state.version} of {state.group} is "
                f"{state.stage} Approved and developers never edit an approved version; {target} is decided by "
                f"{who_may}")
    if account not in approvers or role is None or not _role_listed(config, account, role):
        return (f"refused by the registry ({GATE_NOT_YOUR_STAGE}): {caller_arn} does not approve {target}; "
                f"{target} is decided by {who_may}")
    return (f"refused by the registry although accounts.yaml lets {caller_arn} decide {target}: the policies in "
            f"AWS may differ from the render (run `python -m generator apply --check`) or the role's own IAM "
            f"policy lacks sagemaker:UpdateModelPackage ({message})")
