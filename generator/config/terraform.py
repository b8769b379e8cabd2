"""The optional ``terraform:`` section of accounts.yaml.

Everything here only shapes the rendered Terraform roots (backend,
provider, tags, who writes model package group policies); none of it
changes a policy statement. Every key has a default, so a config without
the section renders working roots.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from generator.config.fields import aws_tags
from generator.config.rules import bucket_name
from generator.errors import ConfigError
from generator.names import POLICY_NAME_PREFIX, policy_name

_ROLE_NAME_RE = re.compile(r"^(?:[A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}$")
_KEY_PREFIX_RE = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")
# A Terraform module source without its module name: a local path
# (./ or ../), or a registry, git, S3 or HTTP address (docs/terraform.md,
# "Module source"). Printed into the roots as a literal string.
_MODULE_SOURCE_RE = re.compile(r"^[A-Za-z0-9_.:/@+=~,&?%-]{1,500}$")
DEFAULT_MODULE_SOURCE = "../../modules"


def _key_prefix(value: str) -> str:
    if not _KEY_PREFIX_RE.fullmatch(value):
        raise ValueError("must be path segments of letters, digits, _ . - joined by /")
    return value


BucketName = Annotated[str, Field(strict=True), AfterValidator(bucket_name)]
Region = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]{1,2}$")]
KeyPrefix = Annotated[str, StringConstraints(strict=True, max_length=200), AfterValidator(_key_prefix)]


def _assume_role(value: str) -> str:
    if not _ROLE_NAME_RE.fullmatch(value) or len(value) > 512:
        raise ValueError(
            "must be an IAM role name (letters, digits and _+=,.@-), optionally behind a path; no wildcards"
        )
    return value


def _tags(tags: dict[str, str]) -> dict[str, str]:
    return aws_tags(tags)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TerraformState(_Strict):
    bucket: BucketName | None = Field(
        default=None,
        description=(
            "S3 bucket that holds Terraform state. Optional: without it the backend is rendered "
            "without a bucket and `terraform init -backend-config=bucket=NAME` supplies it."
        ),
    )
    region: Region | None = Field(default=None, description="Region of the state bucket; default: the top-level region.")
    key_prefix: KeyPrefix = Field(
        default="model-registry",
        description="State object key is KEY_PREFIX/ACCOUNT/terraform.tfstate: one state per account.",
    )


class AccessLogs(_Strict):
    bucket: BucketName = Field(
        description=(
            "Existing bucket that receives the artifact bucket's S3 server access logs. S3 requires it "
            "in the registry account and region; its policy must let logging.s3.amazonaws.com write."
        ),
    )
    prefix: Annotated[str, StringConstraints(strict=True, max_length=200, pattern=r"^[A-Za-z0-9!_.*'()/-]*$")] = Field(
        default="s3-access-logs/", description="Key prefix of the log objects in the log bucket."
    )


def _module_source(value: str) -> str:
    if not _MODULE_SOURCE_RE.fullmatch(value) or value.endswith("/"):
        raise ValueError(
            "must be a Terraform module source without the module name and without a trailing /, "
            "e.g. ../../modules or git::https://example.com/org/repo.git//terraform/modules?ref=v1"
        )
    return value


class TerraformSettings(_Strict):
    state: TerraformState = Field(default_factory=TerraformState, description="S3 backend settings.")
    assume_role: Annotated[str, Field(strict=True), AfterValidator(_assume_role)] | None = Field(
        default=None,
        description=(
            "Role the AWS provider assumes in each account (arn:PARTITION:iam::ACCOUNT:role/NAME). "
            "Default null: no assume_role block, the ambient credentials must already be the account's "
            "(allowed_account_ids refuses any other). Required with guardrails, which exempt it by name. "
            "Never the organization's administrator role by default; lint warns on "
            "OrganizationAccountAccessRole."
        ),
    )
    tags: Annotated[dict[Annotated[str, Field(strict=True)], Annotated[str, Field(strict=True)]],
                    AfterValidator(_tags)] = Field(
        default_factory=lambda: {"ManagedBy": "model-registry-policy-generator"},
        description="Provider default_tags: put on every resource the roots create.",
    )
    group_policies: Literal["apply", "terraform"] = Field(
        default="apply",
        description=(
            "Who writes model package group policies: 'apply' (python -m generator apply, boto3) or "
            "'terraform' (aws_sagemaker_model_package_group_policy in the registry root). Exactly one writer."
        ),
    )
    access_logs: AccessLogs | None = Field(
        default=None,
        description="S3 server access logging for the artifact bucket; default off (see docs/terraform.md).",
    )
    kms_key_deletion_window_days: Annotated[int, Field(strict=True, ge=7, le=30)] = Field(
        default=30,
        description="Waiting period (7-30 days) before a scheduled deletion of the artifact key takes effect.",
    )
    module_source: Annotated[str, Field(strict=True), AfterValidator(_module_source)] = Field(
        default=DEFAULT_MODULE_SOURCE,
        description=(
            "Where the roots find the modules (model-registry, registry-access): SOURCE/<module>. "
            "Default ../../modules, i.e. a modules/ directory beside the output directory "
            "(`mrpolicy modules --out DIR` writes it). A git or registry address pins a released copy."
        ),
    )


def check_terraform(config) -> None:
    """Rules of the terraform section that relate it to the rest of the file."""
    state_region = config.terraform.state.region
    if state_region is not None:
        partition = "aws-cn" if state_region.startswith("cn-") else (
            "aws-us-gov" if state_region.startswith("us-gov-") else "aws")
        if partition != config.partition:
            raise ConfigError("terraform.state.region", f"{state_region} is not in partition {config.partition}")
    logs = config.terraform.access_logs
    if logs is not None and logs.bucket == config.registry.artifact_bucket:
        raise ConfigError("terraform.access_logs.bucket", "must not be the artifact bucket itself (logs of logs)")
    for name, account in config.accounts.items():
        for index, entry in enumerate(account.roles):
            if len(policy_name(entry)) > 128:
                raise ConfigError(
                    f"accounts.{name}.roles[{index}]",
                    f"the managed policy name {POLICY_NAME_PREFIX}<role> is over IAM's 128 characters; "
                    "shorten the role path",
                )
