"""The optional ``guardrails:`` section: organization policies (SCPs, RCPs).

Every rule the generator renders lives in policies that an administrator
of the registry account could change or bypass (same-account access needs
no resource-policy grant). Service control policies constrain the
organization's principals and resource control policies constrain access
to the organization's S3 and KMS resources whoever is signed in, so the
approval rules, the stage gates and "only the deploying roles change
policies" hold against account administrators too.

The exceptions come from what the file already says: the approvers, the
stage approvers, the developers (first stage only) and the registry's
deploying roles (``terraform.assume_role`` and the apply helper's role).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from generator.errors import ConfigError

# ``config`` below is the loaded Config (generator/config/document.py), which
# imports this module: a section names no type of it (tests/test_import_graph.py).

# Organizations ids (AWS Organizations API reference, AttachPolicy TargetId):
# a root r-[0-9a-z]{4,32}, an OU ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}, or a
# 12-digit account id.
_TARGET_RE = re.compile(r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|[0-9]{12}", re.ASCII)
_TARGET_JSON = {"pattern": r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|[0-9]{12})$"}

# The directory of the organization root in the output; no account may take it.
ORGANIZATION_DIR = "organization"


class Guardrails(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    attach_to: list[Annotated[str, Field(strict=True, json_schema_extra=_TARGET_JSON)]] = Field(
        description=(
            "Where the policies attach: OU ids (ou-...), account ids (12 digits) or the root (r-...). "
            "Roll out to a test OU first."
        ),
        json_schema_extra={"uniqueItems": True, "minItems": 1},
    )
    management_account: Annotated[str, Field(strict=True, json_schema_extra={"pattern": r"^[0-9]{12}$"})] | None = Field(
        default=None,
        description=(
            "Optional: the management (or delegated administrator) account id; pins the organization "
            "Terraform root to it."
        ),
    )


def deploying_roles(config) -> list[str]:
    """Role names in the registry account that deploy its policies: the
    Terraform provider's role and the apply helper's role."""
    roles = set()
    if config.terraform.assume_role is not None:
        roles.add(config.terraform.assume_role)
    if config.apply.role is not None:
        roles.add(config.apply.role)
    return sorted(roles)


def check_guardrails(config) -> None:
    """Cross-references of ``guardrails``; raise ConfigError naming the key."""
    settings = config.guardrails
    if settings is None:
        return
    if not settings.attach_to:
        raise ConfigError("guardrails.attach_to", "must name at least one OU, account or root to attach to")
    first: dict[str, int] = {}
    for index, target in enumerate(settings.attach_to):
        key = f"guardrails.attach_to[{index}]"
        if not _TARGET_RE.fullmatch(target):
            raise ConfigError(key, f"'{target}' is not an OU id (ou-...), a 12-digit account id or a root id (r-...)")
        if first.setdefault(target, index) != index:
            raise ConfigError(key, f"'{target}' is listed twice")
        if target == settings.management_account:
            raise ConfigError(key, "SCPs and RCPs do not apply to the management account; attaching there protects nothing")
    management = settings.management_account
    if management is not None:
        if not re.fullmatch(r"[0-9]{12}", management, re.ASCII):
            raise ConfigError("guardrails.management_account", "must be exactly 12 digits")
        if management == config.registry_account.id:
            raise ConfigError(
                "guardrails.management_account",
                "the registry account is the management account, which SCPs and RCPs never restrict; "
                "host the registry in a member account",
            )
    if config.terraform.assume_role is None:
        raise ConfigError(
            "terraform.assume_role",
            "the guardrails exempt the role Terraform deploys the registry's bucket, key and repositories with, "
            "so name it: set terraform.assume_role to that role (a deployment role, not "
            "OrganizationAccountAccessRole); without it the RCP would lock Terraform out of them",
        )
    if ORGANIZATION_DIR in config.accounts:
        raise ConfigError(
            f"accounts.{ORGANIZATION_DIR}",
            f"the name '{ORGANIZATION_DIR}' is the directory of the guardrails' Terraform root; rename the account",
        )
