"""The optional ``apply:`` section: how ``python -m generator apply`` reaches
the registry account (docs/apply.md).

Every key has a default: without the section the helper assumes
OrganizationAccountAccessRole in the registry account.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from generator.config.model import OneRoleName, StrictStr
from generator.errors import ConfigError

_ROLE_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account>[0-9]{12}):role/(?P<role>[A-Za-z0-9_+=,.@/-]{1,512})$"
)


class ApplySettings(BaseModel):
    """How ``python -m generator apply`` reaches the registry account (docs/apply.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    assume_role: bool = Field(
        default=True,
        strict=True,
        description=(
            "Assume a role in the registry account before calling SageMaker. Set false when the "
            "credentials already belong to the registry account (the helper checks that they do)."
        ),
    )
    role_name: OneRoleName = Field(
        default="OrganizationAccountAccessRole",
        description="Name (optionally path/name) of the role to assume in the registry account.",
    )
    role_arn: StrictStr | None = Field(
        default=None,
        description="Full ARN of the role to assume instead of role_name; must be in the registry account.",
    )


def check_role_arn(config, arn: str, key: str) -> None:
    """The apply helper only ever assumes a role in the registry account."""
    match = _ROLE_ARN_RE.fullmatch(arn)
    if not match or "*" in arn:
        raise ConfigError(key, "must be an IAM role ARN like arn:aws:iam::ACCOUNT:role/NAME")
    if match["partition"] != config.partition:
        raise ConfigError(key, f"must be in partition {config.partition}")
    if match["account"] != config.registry_account.id:
        raise ConfigError(
            key, f"must be a role in the registry account {config.registry_account.id}, not {match['account']}"
        )


def check_apply(config) -> None:
    """Cross-references of ``apply``; raise ConfigError naming the key."""
    settings = config.apply
    if settings.role_arn is not None:
        check_role_arn(config, settings.role_arn, "apply.role_arn")
        if "role_name" in settings.model_fields_set:
            raise ConfigError("apply.role_name", "set either apply.role_arn or apply.role_name, not both")
    if "*" in settings.role_name:
        raise ConfigError("apply.role_name", "must name one role (no *)")
