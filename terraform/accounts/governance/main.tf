# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.
#
# Account governance (666666666666): a governance account that calls into
# the model registry in account 111111111111. Its roles are approvers
# of the model groups churn-predictor, credit-risk.
#
# What this root creates, and why: one customer managed policy per role
# listed under accounts.governance.roles in accounts.yaml, holding this
# account's half of the cross-account grants (the registry's bucket, key
# and group policies hold the other half). A cross-account call succeeds
# only when both halves allow it.
# - ModelApproverRole: policy ModelRegistry-ModelApproverRole (policies/iam-role-ModelApproverRole.json),
#   attached to role ModelApproverRole.
#
# The roles themselves are not created here: they belong to the teams that
# use them. Applying before the roles exist fails on the attachment.

module "registry_access" {
  source = "../../modules/registry-access"

  role_policies = {
    "ModelApproverRole" = {
      policy_name = "ModelRegistry-ModelApproverRole"
      role_name   = "ModelApproverRole"
      policy_json = file("${path.module}/policies/iam-role-ModelApproverRole.json")
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
