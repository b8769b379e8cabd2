"""The report's guardrails table: for each row of the matrix, which of the
registry's protected requests the organization guardrails (SCPs and RCPs,
issue 19) refuse whatever its IAM allows.

The access matrix says what the rendered identity and resource policies
grant; an administrator of an account can change those. The guardrails are
attached from the management account and hold against that administrator.
So for each row this table asks :func:`generator.analysis.guardrails.denies` the
requests that matter if IAM were widened: approving a version, approving
each stage (with ``stages``), changing a group's policy, deleting a
version, changing a repository's policy, the bucket policy, the key policy,
scheduling the key's deletion, changing the Terraform role's trust
(the role the guardrails exempt). A refused request names the guardrail
statement; any other is decided by IAM and the resource policies alone.

As :mod:`generator.analysis.guardrails` does, it assumes the worst case for where
the policies are attached: every principal of the organization is under the
SCPs, and the registry's bucket and key are under the RCPs
(docs/guardrails.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.access import APPROVAL_STATUS_KEY, APPROVED, STAGE_APPROVED, STAGE_KEY, STAGE_STATUS_KEY
from generator.arns import Arns
from generator.config import Config
from generator.config.guardrails import deploying_roles
from generator.config.stages import stage_names
from generator.analysis.evaluate import Request
from generator.analysis.guardrails import Guardrail, denies, from_policyset
from generator.analysis.policyset import ActionIndex
from generator.report.capabilities import SAMPLE_VERSION, key_arn, stage_decision_status


@dataclass(frozen=True)
class Protected:
    """One request the guardrails may refuse, a column of the table."""

    label: str
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def protected_requests(config: Config, arns: Arns) -> list[Protected]:
    """The requests of the table, on the first group and repository (the
    guardrails name the registry's groups, versions and repositories alike)."""
    out: list[Protected] = []
    if config.model_groups:
        group = sorted(config.model_groups)[0]
        version = arns.package_arns(group).removesuffix("*") + SAMPLE_VERSION
        out.append(Protected("approve", "sagemaker:UpdateModelPackage", version, ((APPROVAL_STATUS_KEY, APPROVED),)))
        stages = tuple(stage_names(config))
        # A stage approval carries the approval status it implies (docs/stages.md, "One approval model").
        out += [Protected(f"approve stage {stage}", "sagemaker:UpdateModelPackage", version,
                          ((STAGE_KEY, stage), (STAGE_STATUS_KEY, STAGE_APPROVED),
                           (APPROVAL_STATUS_KEY, stage_decision_status(stages, stage))))
                for stage in stages]
        out.append(Protected("change group policy", "sagemaker:PutModelPackageGroupPolicy", arns.group_arn(group)))
        out.append(Protected("delete version", "sagemaker:DeleteModelPackage", version))
    if config.ecr_repositories:
        repository = arns.repository_arn(sorted(config.ecr_repositories)[0])
        out.append(Protected("change repository policy", "ecr:SetRepositoryPolicy", repository))
    out.append(Protected("change bucket policy", "s3:PutBucketPolicy", arns.bucket_arn))
    out.append(Protected("change key policy", "kms:PutKeyPolicy", key_arn(arns)))
    out.append(Protected("delete key", "kms:ScheduleKeyDeletion", key_arn(arns)))
    if config.terraform.assume_role is not None:
        # Taking over the role the guardrails exempt (its trust policy).
        role = arns.role_arn(arns.registry_id, config.terraform.assume_role)
        out.append(Protected("change Terraform role's trust", "iam:UpdateAssumeRolePolicy", role))
    return out


@dataclass
class GuardrailRow:
    account: str
    label: str
    refused: list[list[str]]  # per column, the guardrail statements that refuse it ([] : not refused)


@dataclass
class GuardrailTable:
    columns: list[Protected]
    rows: list[GuardrailRow]  # the matrix's rows, then the registry's deploying roles


def evaluate_guardrails(config: Config, policies, principals) -> GuardrailTable | None:
    """The table for every principal, or None when the render has no guardrails."""
    guardrails: list[Guardrail] = from_policyset(policies)
    if not guardrails:
        return None
    arns = Arns.of(config)
    columns = protected_requests(config, arns)
    # Per column, only the Deny statements whose action can apply (the
    # table is rows x columns x statements otherwise).
    by_column = []
    for column in columns:
        kept = []
        for guardrail in guardrails:
            reduced = ActionIndex(guardrail.document).reduced(column.action)
            if reduced["Statement"]:
                kept.append(Guardrail(guardrail.kind, guardrail.source, reduced))
        by_column.append(kept)
    registry = config.accounts[config.registry.account]
    # The roles the guardrails exempt from the policy-change denies are not
    # rows of the matrix (the registry's own IAM governs them): shown here.
    who = [(p.account, p.label, p.arn) for p in principals] + [
        (config.registry.account, f"{config.registry.account} / {name} (deploys the registry's policies)",
         arns.role_arn(registry.id, name))
        for name in deploying_roles(config)]
    rows = []
    for account, label, arn in who:
        refused = []
        for column, kept in zip(columns, by_column):
            context = policies.request_context(arn, column.resource, dict(column.context), config.organization_id)
            refused.append(denies(Request(arn, column.action, column.resource, context), kept,
                                  config.organization_id) if kept else [])
        rows.append(GuardrailRow(account, label, refused))
    return GuardrailTable(columns, rows)
