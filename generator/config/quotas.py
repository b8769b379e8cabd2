"""The optional ``quotas:`` section: the AWS quotas your accounts were raised to.

```yaml
quotas:
  managed_policies_per_role: 20       # IAM, every account that holds a rendered role (default 10, at most 20)
  rules_per_event_bus: 500            # EventBridge, the registry account's default bus (default 300; 100 in af-south-1, eu-south-1)
  access_points_per_account_region: 12000  # S3, the registry account in config.region (default 10,000)
  role_trust_policy_length: 4096      # IAM, every account with a deploy role (default 2,048, at most 4,096)
```

The one place a config says "this quota was raised". The render counts
what it creates against every quota (generator/quotas.py holds the table:
default, hard or adjustable, the AWS page) and refuses a config over one:
over an adjustable quota unless it is declared here, over a hard limit
always. Only adjustable quotas have a key; a hard limit cannot be raised,
so there is nothing to declare. Declare a value only after AWS granted it
in every account it concerns: the render trusts it.

``deploy_role.max_managed_policies`` is the same IAM quota under its older
name: it keeps working; when both are set they must agree.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from generator.config.deploy import DEFAULT_MANAGED_POLICIES, MAX_MANAGED_POLICIES, PolicyCount
from generator.errors import ConfigError

# EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html):
# "Number of rules": 300 per event bus, 100 in af-south-1 and eu-south-1; adjustable.
DEFAULT_RULES_PER_BUS = 300
RULES_PER_BUS_BY_REGION = {"af-south-1": 100, "eu-south-1": 100}
# S3 user guide, "Access points restrictions and limitations"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-restrictions-limitations.html):
# 10,000 access points per account per Region; "you can request a service quota increase".
DEFAULT_ACCESS_POINTS = 10_000
# Neither page states a maximum for an increase: the declared value is taken as granted.
_MOST = 1_000_000
# IAM and AWS STS quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
# "Default quotas for IAM entities": "Role trust policy length | 2048 characters | 4096 characters"
# (default, maximum quota); adjustable; IAM does not count white space. A size limit of a kind
# (the role trust policy kind declares this key: Kind.quota_key), not a count.
DEFAULT_TRUST_POLICY_LENGTH = 2_048
MAX_TRUST_POLICY_LENGTH = 4_096


def _count(value) -> int:
    # strict: YAML's true, "12" and 12.5 are not counts (bool is an int in Python)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MOST:
        raise ValueError(f"must be a whole number from 1 to {_MOST:,}: the quota AWS granted the account")
    return value


Count = Annotated[int, BeforeValidator(_count), Field(json_schema_extra={"minimum": 1, "maximum": _MOST})]


def _trust_length(value) -> int:
    if (isinstance(value, bool) or not isinstance(value, int)
            or not DEFAULT_TRUST_POLICY_LENGTH <= value <= MAX_TRUST_POLICY_LENGTH):
        raise ValueError(f"must be a whole number from {DEFAULT_TRUST_POLICY_LENGTH:,} (IAM's default) to "
                         f"{MAX_TRUST_POLICY_LENGTH:,} (the most IAM grants): the quota AWS granted the accounts")
    return value


TrustLength = Annotated[int, BeforeValidator(_trust_length), Field(
    json_schema_extra={"minimum": DEFAULT_TRUST_POLICY_LENGTH, "maximum": MAX_TRUST_POLICY_LENGTH})]


class Quotas(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    managed_policies_per_role: PolicyCount | None = Field(
        default=None,
        description=(
            f"IAM: managed policies attached to a role, in every account that holds a rendered role "
            f"({DEFAULT_MANAGED_POLICIES} by default; AWS raises it to at most {MAX_MANAGED_POLICIES}). "
            "Same quota as deploy_role.max_managed_policies."
        ),
    )
    rules_per_event_bus: Count | None = Field(
        default=None,
        description=(
            f"EventBridge: rules on the registry account's default event bus ({DEFAULT_RULES_PER_BUS} by default; "
            "100 in af-south-1 and eu-south-1)."
        ),
    )
    access_points_per_account_region: Count | None = Field(
        default=None,
        description=f"S3: access points in the registry account in config.region ({DEFAULT_ACCESS_POINTS:,} by default).",
    )
    role_trust_policy_length: TrustLength | None = Field(
        default=None,
        description=(
            f"IAM: characters of a role trust policy, whitespace not counted, in every account with a deploy role "
            f"({DEFAULT_TRUST_POLICY_LENGTH:,} by default; AWS raises it to at most {MAX_TRUST_POLICY_LENGTH:,})."
        ),
    )


def managed_policies_per_role(config) -> tuple[int, str]:
    """(the quota, the setting that declares it, or "" for IAM's default)."""
    declared = config.quotas.managed_policies_per_role
    if declared is not None:
        return declared, "quotas.managed_policies_per_role"
    if config.deploy_role is not None and "max_managed_policies" in config.deploy_role.model_fields_set:
        return config.deploy_role.max_managed_policies, "deploy_role.max_managed_policies"
    return DEFAULT_MANAGED_POLICIES, ""


def default_rules_per_bus(region: str) -> int:
    return RULES_PER_BUS_BY_REGION.get(region, DEFAULT_RULES_PER_BUS)


def check_quotas(config) -> None:
    """The two names of the IAM quota must not disagree."""
    declared = config.quotas.managed_policies_per_role
    deploy = config.deploy_role
    if declared is not None and deploy is not None and "max_managed_policies" in deploy.model_fields_set \
            and deploy.max_managed_policies != declared:
        raise ConfigError(
            "quotas.managed_policies_per_role",
            f"is {declared} but deploy_role.max_managed_policies is {deploy.max_managed_policies}: both are the IAM "
            "quota of managed policies per role; keep one (quotas.managed_policies_per_role)",
        )
