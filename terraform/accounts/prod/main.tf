# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.
#
# Account prod (555555555555): a workload account (stage prod) that calls into
# the model registry in account 111111111111. Its roles are consumers
# of the model groups credit-risk.
#
# What this root creates, and why: one customer managed policy per role
# listed under accounts.prod.roles in accounts.yaml, holding this
# account's half of the cross-account grants (the registry's bucket, key
# and group policies hold the other half). A cross-account call succeeds
# only when both halves allow it.
# - SageMakerExecutionRole: policy ModelRegistry-SageMakerExecutionRole (policies/iam-role-SageMakerExecutionRole.json),
#   attached to role SageMakerExecutionRole.
#
# The roles themselves are not created here: they belong to the teams that
# use them. Applying before the roles exist fails on the attachment.

module "registry_access" {
  source = "../../modules/registry-access"

  role_policies = {
    "SageMakerExecutionRole" = {
      policy_name = "ModelRegistry-SageMakerExecutionRole"
      role_name   = "SageMakerExecutionRole"
      policy_json = file("${path.module}/policies/iam-role-SageMakerExecutionRole.json")
    }
  }
}

output "policy_arns" {
  description = "ARN of the customer managed policy of each role entry."
  value       = module.registry_access.policy_arns
}

output "unattached_policies" {
  description = "Policies of wildcard role entries, to be referenced by a permission set or the roles' own stack."
  value       = module.registry_access.unattached_policies
}
