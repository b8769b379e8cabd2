"""The optional ``stages:`` section: the ordered ModelLifeCycle stages.

A version moves through these stages in order (SageMaker's native staging
construct, ``ModelLifeCycle {Stage, StageStatus, StageDescription}`` on
CreateModelPackage/UpdateModelPackage; see ../shared/DESIGN.md). Each stage
names the governance accounts whose roles approve or reject it. Workload
accounts name the stage whose approved versions they read with their
``stage`` key, compared case-insensitively (``stage: qa`` is the stage
``QA``), as SageMaker's own examples mix cases.

Without ``stages`` the stage rules add nothing to any policy.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from generator.errors import ConfigError

# ``config`` below is the loaded Config (generator/config/document.py), which
# imports this module: a section names no type of it (tests/test_import_graph.py).

# ModelLifeCycle.Stage: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} (SageMaker API
# reference, ModelLifeCycle data type).
STAGE_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"

# AWS's predefined StageStatus values (SageMaker Developer Guide, "Staging
# construct for your model lifecycle").
STAGE_STATUSES: tuple[str, ...] = ("PendingApproval", "Approved", "Rejected")


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(strict=True, pattern=STAGE_PATTERN)] = Field(
        description="A ModelLifeCycle Stage value, e.g. Development, QA, Prod."
    )
    approvers: list[Annotated[str, Field(strict=True)]] | None = Field(
        default=None,
        description=(
            "Governance accounts whose listed roles approve or reject this stage; "
            "omitted: every governance account."
        ),
        json_schema_extra={"uniqueItems": True, "minItems": 1},
    )


def stage_names(config) -> list[str]:
    """The configured stage names in order ([] without ``stages``)."""
    return [stage.name for stage in config.stages or ()]


def canonical_stage(config, value: str) -> str | None:
    """The configured spelling of ``value`` (case-insensitive), or None."""
    for stage in config.stages or ():
        if stage.name.lower() == value.lower():
            return stage.name
    return None


def stage_approvers(config, name: str) -> list[str]:
    """Governance accounts that approve stage ``name``, defaults applied, sorted."""
    for stage in config.stages or ():
        if stage.name == name:
            if stage.approvers is None:
                return config.accounts_of_kind("governance")
            return sorted(stage.approvers)
    raise KeyError(name)


def account_stage(config, account: str) -> str | None:
    """The configured stage a workload account reads, or None without ``stages``."""
    value = config.accounts[account].stage
    if not config.stages or value is None:
        return None
    return canonical_stage(config, value)


def check_stages(config) -> None:
    """Cross-references of ``stages``; raise ConfigError naming the key."""
    if config.stages is None:
        return
    if not config.stages:
        raise ConfigError("stages", "must list at least one stage (or be left out)")
    seen: dict[str, int] = {}
    for index, stage in enumerate(config.stages):
        key = f"stages[{index}]"
        other = seen.setdefault(stage.name.lower(), index)
        if other != index:
            raise ConfigError(
                f"{key}.name",
                f"'{stage.name}' is also stage {other} ('{config.stages[other].name}'); stage names compare case-insensitively",
            )
        if stage.approvers is None:
            if not config.accounts_of_kind("governance"):
                raise ConfigError(
                    f"{key}.approvers",
                    f"stage '{stage.name}' has no approvers: declare a governance account or list approvers",
                )
            continue
        if not stage.approvers:
            raise ConfigError(f"{key}.approvers", f"stage '{stage.name}' must have at least one approver")
        for position, name in enumerate(stage.approvers):
            item = f"{key}.approvers[{position}]"
            if name not in config.accounts:
                raise ConfigError(item, f"'{name}' is not declared under accounts")
            if stage.approvers.index(name) != position:
                raise ConfigError(item, f"'{name}' is listed twice")
            account = config.accounts[name]
            if account.kind != "governance":
                raise ConfigError(item, f"'{name}' is a {account.kind} account; stage approvers must be governance accounts")
            if not account.roles:
                raise ConfigError(f"accounts.{name}.roles", f"'{name}' approves stage '{stage.name}' but lists no roles")
    names = ", ".join(stage_names(config))
    for name, account in config.accounts.items():
        if account.kind != "workload":
            continue
        if account.stage is None:
            raise ConfigError(f"accounts.{name}", f"with stages set, every workload account names its stage (one of {names})")
        if canonical_stage(config, account.stage) is None:
            raise ConfigError(f"accounts.{name}.stage", f"'{account.stage}' is not one of the stages ({names})")
