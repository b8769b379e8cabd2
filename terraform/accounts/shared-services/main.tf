# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.
#
# Account shared-services (111111111111): the central model registry.
#
# What this root creates, and why:
# - S3 bucket acme-ml-model-artifacts: model artifacts, one key prefix per model
#   group (GROUP/...). Versioned, ACLs disabled (BucketOwnerEnforced), all
#   public access blocked, encrypted by default with the key below. Its
#   policy (policies/s3-bucket-policy.json) grants each role listed in
#   accounts.yaml only its group prefixes, and denies requests without TLS
#   and uploads that ask for an encryption other than KMS.
#   No server access logs (terraform.access_logs is not set): audit object
#   access with CloudTrail S3 data events.
# - KMS key alias/ml-model-artifacts: rotation on, 30-day deletion window.
#   Its policy (policies/kms-key-policy.json) keeps administration in this
#   account and lets the listed roles use the key only through S3 and
#   SageMaker.
# - Model package groups: churn-predictor, credit-risk.
#   Their resource policies (policies/model-package-group-*.json) are NOT
#   written here: `python -m generator apply` writes them
#   (terraform.group_policies = apply), so each policy has exactly one
#   writer. Set terraform.group_policies to terraform to hand them over.
# - ECR repositories for inference images: credit-risk-serving.
#   Immutable tags, scan on push, encrypted with the key above; each
#   repository's policy (policies/ecr-repository-*.json) lets the listed
#   developer roles push and the consumer and deployer roles pull.
#
# Principals in these policies are account roots narrowed by
# aws:PrincipalArn conditions, so this root can be applied before or after
# the roots of the other accounts.

module "model_registry" {
  source = "../../modules/model-registry"

  artifact_bucket_name            = "acme-ml-model-artifacts"
  bucket_policy_json              = file("${path.module}/policies/s3-bucket-policy.json")
  kms_key_alias                   = "alias/ml-model-artifacts"
  kms_key_policy_json             = file("${path.module}/policies/kms-key-policy.json")
  kms_key_deletion_window_in_days = 30

  model_package_groups = {
    "churn-predictor" = {
      description = "Customer churn predictor"
      tags        = {}
    }
    "credit-risk" = {
      description = "Credit risk scoring model"
      tags        = {}
    }
  }

  # ECR repositories for inference images (ecr_repositories): immutable
  # tags, scan on push, encrypted with the artifact key.
  ecr_repositories = {
    "credit-risk-serving" = { repository_policy_json = file("${path.module}/policies/ecr-repository-credit-risk-serving.json") }
  }

  # Written by `python -m generator apply`, not by Terraform.
  model_package_group_policies = {}
}

output "artifact_bucket_arn" {
  description = "ARN of the artifact bucket."
  value       = module.model_registry.artifact_bucket_arn
}

output "kms_key_arn" {
  description = "ARN of the artifact key: set it as registry.kms_key_arn in accounts.yaml to pin identity policies to this key."
  value       = module.model_registry.kms_key_arn
}

output "ecr_repository_urls" {
  description = "URL of each inference image repository: docker push/pull ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG."
  value       = module.model_registry.ecr_repository_urls
}

output "model_package_group_arns" {
  description = "ARN of each model package group."
  value       = module.model_registry.model_package_group_arns
}

# Approval events: each model group's state changes go to the
# model-registry-events bus of its deployers and approvers (and stage
# approvers), and to nobody else; see generator/events.py for the quotas.
module "registry_events" {
  source = "../../modules/registry-events"

  role_name           = "model-registry-event-forwarder"
  role_policy_json    = file("${path.module}/policies/iam-role-model-registry-event-forwarder.json")
  registry_account_id = "111111111111"
  rule_arn_pattern    = "arn:aws:events:us-east-1:111111111111:rule/model-registry-events-*"

  rules = {
    "model-registry-events-d8adc381ec-1" = file("${path.module}/policies/event-rule-model-registry-events-d8adc381ec-1.json")
  }
}

output "event_rule_arns" {
  description = "ARN of each approval-event rule."
  value       = module.registry_events.rule_arns
}

# Promote by copy (docs/copy.md): development accounts forward their local
# approvals to the model-registry-copy bus; its rule invokes the registry
# function, which copies the artifacts to released/ and registers the
# central version pending approval.
module "registry_function" {
  source = "../../modules/registry-function"

  function_name       = "model-registry-function"
  role_name           = "model-registry-function"
  bus_name            = "model-registry-copy"
  rule_name           = "model-registry-copy"
  queue_name          = "model-registry-function-dlq"
  registry_account_id = "111111111111"
  zip_path            = "${path.module}/registry-function/registry-function.zip"
  settings_json       = file("${path.module}/registry-function/settings.json")
  bus_policy_json     = file("${path.module}/policies/event-bus-policy-model-registry-copy.json")
  role_policy_json    = file("${path.module}/policies/iam-role-model-registry-function.json")
  role_trust_json     = file("${path.module}/policies/iam-role-model-registry-function-trust.json")
  rule_json           = file("${path.module}/policies/event-rule-model-registry-copy.json")

  function_policy_json = file("${path.module}/policies/lambda-function-policy-model-registry-function.json")
  queue_policy_json    = file("${path.module}/policies/sqs-queue-policy-model-registry-function-dlq.json")
}

output "registry_function_dead_letter_queue_url" {
  description = "Refused and undeliverable approvals land here."
  value       = module.registry_function.dead_letter_queue_url
}
