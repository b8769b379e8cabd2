"""The whole accounts.yaml: the core model plus the optional sections.

generator/config/model.py holds the keys every file has and the rules
that relate them; each optional section (generator/config/<section>.py)
holds its own model and its own cross-reference check, and imports the
core, never this module. Here they meet: :class:`Config` adds each
section's key to the core, in the order the file documents them (the JSON
Schema and pydantic's errors follow it), and lists each section's check in
``section_checks``, the order :func:`generator.config.model.check_references`
runs them in (which is the order of their errors on one line). A new
section is one field and one check here.
"""

from __future__ import annotations

from pydantic import Field

from generator.config.apply import ApplySettings, check_apply
from generator.config.deploy import DeployRole, check_deploy_role
from generator.config.ecr import ECR_FIELD_DESCRIPTION, EcrRepository, RepositoryName, check_ecr
from generator.config.guardrails import Guardrails, check_guardrails
from generator.config.model import CoreConfig
from generator.config.quotas import Quotas, check_quotas
from generator.config.stages import Stage, check_stages
from generator.config.terraform import TerraformSettings, check_terraform


class Config(CoreConfig):
    ecr_repositories: dict[RepositoryName, EcrRepository] = Field(default_factory=dict, description=ECR_FIELD_DESCRIPTION)
    terraform: TerraformSettings = Field(
        default_factory=TerraformSettings,
        description="How the Terraform roots are rendered (backend, provider role, tags, group-policy writer).",
    )
    apply: ApplySettings = Field(
        default_factory=ApplySettings,
        description="Settings of the apply helper (role assumption into the registry account).",
    )
    stages: list[Stage] | None = Field(
        default=None,
        description=(
            "Ordered ModelLifeCycle stages a version moves through (generator/config/stages.py). "
            "Workload accounts' stage names one of them, case-insensitively."
        ),
    )
    deploy_role: DeployRole | None = Field(default=None, description="Optional deploy role in workload accounts (docs/deploy.md).")
    guardrails: Guardrails | None = Field(
        default=None,
        description=(
            "Organization guardrails: SCPs and RCPs that keep the registry's rules against account "
            "administrators (generator/config/guardrails.py)."
        ),
    )

    quotas: Quotas = Field(
        default_factory=Quotas,
        description=(
            "AWS quotas your accounts were raised to (adjustable ones only; docs/limits.md#quotas). "
            "The render refuses a config over a quota it does not declare."
        ),
    )

    section_checks = (check_apply, check_stages, check_ecr, check_guardrails, check_terraform, check_deploy_role,
                      check_quotas)
