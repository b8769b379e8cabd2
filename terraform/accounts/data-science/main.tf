# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.
#
# Account data-science (222222222222): a development account that calls into
# the model registry in account 111111111111. Its roles are developers
# of the model groups churn-predictor, credit-risk.
#
# What this root creates, and why: one customer managed policy per role
# listed under accounts.data-science.roles in accounts.yaml, holding this
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

# Promote by copy (docs/copy.md): the local groups where this account
# registers and approves versions of its copy-mode groups, each group's
# policy (only the registry function's role describes), and the rules that
# forward local approvals to the registry.
module "copy_source" {
  source = "../../modules/copy-source"

  role_name        = "model-registry-copy-forwarder"
  role_policy_json = file("${path.module}/policies/iam-role-model-registry-copy-forwarder.json")
  role_trust_json  = file("${path.module}/policies/iam-role-model-registry-copy-forwarder-trust.json")

  group_policies = {
    "credit-risk" = file("${path.module}/policies/local-model-package-group-credit-risk.json")
  }

  rules = {
    "model-registry-copy-1" = file("${path.module}/policies/event-rule-model-registry-copy-1.json")
  }
}

output "local_model_package_group_arns" {
  description = "ARN of each local model package group: register and approve versions here."
  value       = module.copy_source.local_group_arns
}
