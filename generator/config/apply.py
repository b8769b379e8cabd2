"""The optional ``apply:`` section: how ``python -m generator apply`` reaches
the registry account (docs/apply.md).

Without the section the helper uses the ambient credentials, which must be
the registry account's (it checks). It never assumes a role it was not told
to: the old default, OrganizationAccountAccessRole, is the organization's
administrator role (AdministratorAccess in every account Organizations
created, trusted by the management account:
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_create-cross-account-role.html),
and with guardrails it was exempted from them by name. Naming
``role_name`` or ``role_arn`` assumes that role; ``assume_role: true``
without either is refused, naming the key; lint ``terraform-admin-role``
warns when the role named is OrganizationAccountAccessRole.
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

    assume_role: bool | None = Field(
        default=None,
        strict=True,
        description=(
            "Assume a role in the registry account before calling SageMaker. Default: true when role_name "
            "or role_arn is set, else false: the ambient credentials, which must belong to the registry "
            "account (the helper checks that they do). true requires role_name or role_arn."
        ),
    )
    role_name: OneRoleName | None = Field(
        default=None,
        description=(
            "Name (optionally path/name) of the role to assume in the registry account: a role that may "
            "put the group policies, never the administrator role OrganizationAccountAccessRole (lint "
            "warns). No default."
        ),
    )
    role_arn: StrictStr | None = Field(
        default=None,
        description="Full ARN of the role to assume instead of role_name; must be in the registry account.",
    )

    @property
    def assumes(self) -> bool:
        """Does the helper assume a role (the setting, or a role named)?"""
        if self.assume_role is not None:
            return self.assume_role
        return self.role_name is not None or self.role_arn is not None

    @property
    def role(self) -> str | None:
        """The name (path/name) of the role the helper assumes, or None for the ambient credentials."""
        if not self.assumes:
            return None
        if self.role_arn is not None:
            return self.role_arn.split(":role/", 1)[1]
        return self.role_name


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
    if settings.role_name is not None and "*" in settings.role_name:
        raise ConfigError("apply.role_name", "must name one role (no *)")
    if settings.assume_role and settings.role_name is None and settings.role_arn is None:
        raise ConfigError(
            "apply.role_name",
            "apply.assume_role is true but no role is named: set apply.role_name (or apply.role_arn) to a role "
            "in the registry account that may put the group policies (not OrganizationAccountAccessRole), or "
            "leave assume_role out to use the ambient credentials",
        )
