output "artifact_bucket_arn" {
  description = "ARN of the artifact bucket."
  value       = aws_s3_bucket.artifacts.arn
}

output "artifact_bucket_name" {
  description = "Name of the artifact bucket."
  value       = aws_s3_bucket.artifacts.id
}

output "kms_key_arn" {
  description = "ARN of the artifact key: set it as registry.kms_key_arn in accounts.yaml to pin identity policies to this key."
  value       = aws_kms_key.artifacts.arn
}

output "kms_key_alias_arn" {
  description = "ARN of the artifact key's alias."
  value       = aws_kms_alias.artifacts.arn
}

output "model_package_group_arns" {
  description = "ARN of each model package group, by group name."
  value       = { for name, group in aws_sagemaker_model_package_group.this : name => group.arn }
}

output "terraform_owned_group_policies" {
  description = "Names of the groups whose resource policy this module writes (empty when another tool owns them)."
  value       = sort(keys(aws_sagemaker_model_package_group_policy.this))
}

output "access_point_arns" {
  description = "ARN of each model group's access point, by access point name (empty in the bucket_policy layout)."
  value       = { for name, point in aws_s3_access_point.groups : name => point.arn }
}

output "access_point_aliases" {
  description = "Bucket-style alias of each access point, by access point name: use s3://ALIAS/GROUP/... as the artifact location."
  value       = { for name, point in aws_s3_access_point.groups : name => point.alias }
}

output "ecr_repository_urls" {
  description = "URL of each inference image repository (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME), by repository name."
  value       = { for name, repo in aws_ecr_repository.images : name => repo.repository_url }
}
