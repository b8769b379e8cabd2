# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.
#
# Account deployment (333333333333): a deployment account that calls into
# the model registry in account 111111111111. Its roles are deployers
# of the model groups churn-predictor, credit-risk.
#
# What this root creates, and why: one customer managed policy per role
# listed under accounts.deployment.roles in accounts.yaml, holding this
# account's half of the cross-account grants (the registry's bucket, key
# and group policies hold the other half). A cross-account call succeeds
# only when both halves allow it.
# - ModelDeployPipelineRole: policy ModelRegistry-ModelDeployPipelineRole (policies/iam-role-ModelDeployPipelineRole.json),
#   attached to role ModelDeployPipelineRole.
#
# The roles themselves are not created here: they belong to the teams that
# use them. Applying before the roles exist fails on the attachment.

module "registry_access" {
  source = "../../modules/registry-access"

  role_policies = {
    "ModelDeployPipelineRole" = {
      policy_name = "ModelRegistry-ModelDeployPipelineRole"
      role_name   = "ModelDeployPipelineRole"
      policy_json = file("${path.module}/policies/iam-role-ModelDeployPipelineRole.json")
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

# The registry's approval events for the groups this account acts on
# arrive on its own model-registry-events bus (only the registry's rule
# role may put them). Route them to the pipeline or approval workflow
# with this account's own rules on that bus.
module "event_bus" {
  source = "../../modules/event-bus"

  bus_name    = "model-registry-events"
  policy_json = file("${path.module}/policies/event-bus-policy.json")
}

output "event_bus_arn" {
  description = "ARN of the bus that receives the registry's model package events."
  value       = module.event_bus.bus_arn
}
