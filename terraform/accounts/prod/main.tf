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

# The deploy role (deploy_role in accounts.yaml): the deployment pipeline in
# deployment assumes ModelDeployRole here to create the SageMaker
# model, endpoint configuration and endpoint of the model groups
# credit-risk, named <group>-..., from the registry's versions. Its trust policy
# admits only the deployment accounts' listed roles; its permissions pass
# only this account's listed roles, only to SageMaker. See docs/deploy.md.
module "deploy_role" {
  source = "../../modules/deploy-role"

  role_name         = "ModelDeployRole"
  trust_policy_json = file("${path.module}/policies/deploy-role-ModelDeployRole-trust.json")
  permission_policies = {
    "ModelRegistry-Deploy-ModelDeployRole" = file("${path.module}/policies/deploy-role-ModelDeployRole.json")
  }
}

output "deploy_role_arn" {
  description = "ARN of the deploy role the deployment pipeline assumes."
  value       = module.deploy_role.role_arn
}

# The trust policy each SageMaker execution role of this account needs
# (the SageMaker service, only for this account: aws:SourceAccount). The
# roles belong to their owners: this root does not manage them. Put the
# document on the role (aws iam update-assume-role-policy, or the stack
# that creates it).
output "sagemaker_execution_role_trust_policies" {
  description = "Ready-to-use trust policy of each listed SageMaker execution role, by role entry."
  value = {
    "SageMakerExecutionRole" = file("${path.module}/policies/sagemaker-execution-role-trust-SageMakerExecutionRole.json")
  }
}
