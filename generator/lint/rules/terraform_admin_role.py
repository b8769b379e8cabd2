"""terraform-admin-role: the Terraform roots do not assume the organization's administrator role."""

from __future__ import annotations

from generator.lint.model import Hit, rule

# The role AWS Organizations creates in every account it creates, with
# AdministratorAccess, trusted by the management account:
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_create-cross-account-role.html
ADMIN_ROLE = "OrganizationAccountAccessRole"


@rule(
    "terraform-admin-role", "warning",
    "The Terraform roots do not assume OrganizationAccountAccessRole, the organization's administrator role",
    category="security",
    fix="Set terraform.assume_role to a deployment role that holds what the roots manage (IAM policies and "
        "attachments; in the registry S3, KMS, SageMaker, ECR and EventBridge), or leave it unset (without "
        "guardrails) to use the ambient credentials of a pipeline in each account.",
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
