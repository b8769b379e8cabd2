"""The optional ``deploy_role:`` section of accounts.yaml.

```yaml
deploy_role:
  name: ModelDeployRole   # created in every workload account that consumes at least one deployed group
  max_managed_policies: 10  # optional, 1-20: the account's IAM quota of managed policies per role
```

Without the section nothing changes. With it, each workload account whose
consumed groups are deployed by at least one deployment account gets a
role of this name (created by its Terraform root) that those deployment
accounts' listed roles may assume to create the SageMaker model, endpoint
configuration and endpoint of those groups (generator/policies/deploy_role.py).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from generator.errors import ConfigError

# IAM role names: 1-64 of letters, digits and _+=,.@- (CreateRole RoleName).
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
_NAME_RE = re.compile(r"^[A-Za-z0-9_+=,.@-]{1,64}$")


def _name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise ValueError(
            "must be a plain IAM role name: 1-64 letters, digits and _+=,.@- (no path, no wildcard)"
        )
    return value


# IAM quota "Managed policies attached to an IAM role": 10 by default,
# adjustable up to 20 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
DEFAULT_MANAGED_POLICIES = 10
MAX_MANAGED_POLICIES = 20


def _policy_count(value) -> int:
    # strict: YAML's true, "12" and 12.5 are not counts (bool is an int in Python)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MANAGED_POLICIES:
        raise ValueError(
            f"must be a whole number from 1 to {MAX_MANAGED_POLICIES} (IAM managed policies per role: "
            f"{DEFAULT_MANAGED_POLICIES} by default, up to {MAX_MANAGED_POLICIES} with a quota increase)"
        )
    return value


PolicyCount = Annotated[
    int,
    BeforeValidator(_policy_count),
    Field(json_schema_extra={"minimum": 1, "maximum": MAX_MANAGED_POLICIES}),
]


DeployRoleName = Annotated[
    str, Field(strict=True, json_schema_extra={"pattern": _NAME_RE.pattern}), AfterValidator(_name)
]


class DeployRole(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: DeployRoleName = Field(
        description=(
            "Name of the deploy role created in every workload account that consumes a deployed group. "
            "Only the listed roles of the deployment accounts that deploy those groups may assume it."
        )
    )
    max_managed_policies: PolicyCount = Field(
        default=DEFAULT_MANAGED_POLICIES,
        description=(
            "How many managed policies the deploy role may take: the account's IAM quota of managed "
            "policies per role (10 by default; raise the quota, up to 20, before raising this). The render "
            "refuses an account whose deploy role needs more."
        ),
    )


def check_deploy_role(config) -> None:
    """The deploy role is a role of its own: it must not be one of the
    listed roles of a workload account (those are the SageMaker execution
    roles it passes; a role that passes itself would hold both powers) and
    its name must not collide with the role Terraform assumes to create it."""
    settings = config.deploy_role
    if settings is None:
        return
    name = settings.name
    for account_name in sorted(config.accounts):
        account = config.accounts[account_name]
        if account.kind != "workload":
            continue
        for index, role in enumerate(account.roles):
            # IAM role names are case-insensitive (API_CreateRole.html: "Names are not distinguished by case")
            if role.rsplit("/", 1)[-1].lower() == name.lower() or ("*" in role and _glob(role.rsplit("/", 1)[-1], name)):
                raise ConfigError(
                    f"accounts.{account_name}.roles[{index}]",
                    f"'{role}' is (or matches) the deploy role {name}: the deploy role passes this account's "
                    "roles to SageMaker and must be a different role; rename one",
                )
    if config.terraform.assume_role is not None and config.terraform.assume_role.rsplit("/", 1)[-1].lower() == name.lower():
        raise ConfigError(
            "deploy_role.name",
            f"'{name}' is also terraform.assume_role, the role Terraform uses to create it; choose another name",
        )


def _glob(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None
