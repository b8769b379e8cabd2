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

output "model_package_group_arns" {
  description = "ARN of each model package group."
  value       = module.model_registry.model_package_group_arns
}
