"""terraform-admin-role: neither the Terraform roots nor the apply helper assume the organization's administrator role."""

from __future__ import annotations

from generator.lint.model import Hit, rule

# The role AWS Organizations creates in every account it creates, with
# AdministratorAccess, trusted by the management account:
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_create-cross-account-role.html
ADMIN_ROLE = "OrganizationAccountAccessRole"


@rule(
    "terraform-admin-role", "warning",
    "Neither the Terraform roots nor the apply helper assume OrganizationAccountAccessRole, the organization's "
    "administrator role",
    category="security",
    fix="Set terraform.assume_role to a deployment role that holds what the roots manage (IAM policies and "
        "attachments; in the registry S3, KMS, SageMaker, ECR and EventBridge), or leave it unset (without "
        "guardrails) to use the ambient credentials of a pipeline in each account. For apply, set apply.role_name "
        "(or apply.role_arn) to a role that may put the group policies, or leave both unset to use the ambient "
        "credentials of the registry account.",
    scope="set",
)
def terraform_admin_role(ctx):
    """OrganizationAccountAccessRole carries AdministratorAccess in every
    account the organization created, and the management account trusts it:
    a plan run with it can do anything anywhere, and a reviewer cannot tell
    from the root what it may touch. The roots manage IAM policies (and in
    the registry a bucket, a key, groups): a role scoped to that is enough."""
    role = ctx.config.terraform.assume_role
    if role is not None and role.rsplit("/", 1)[-1] == ADMIN_ROLE:
        yield Hit(f"terraform.assume_role is {role}: every root's provider assumes the organization's "
                  "administrator role (AdministratorAccess) in its account")
    # The apply helper puts the group policies (and with guardrails is exempted from them by name):
    # a role that may put them is enough.
    applier = ctx.config.apply.role
    if applier is not None and applier.rsplit("/", 1)[-1] == ADMIN_ROLE:
        key = "apply.role_arn" if ctx.config.apply.role_arn is not None else "apply.role_name"
        yield Hit(f"{key} names {applier}: apply assumes the organization's administrator role "
                  "(AdministratorAccess) in the registry account to put group policies"
                  + (", and the guardrails exempt it by name" if ctx.config.guardrails is not None else ""))
