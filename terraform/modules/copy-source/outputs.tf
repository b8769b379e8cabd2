output "local_group_arns" {
  description = "ARN of each local model package group."
  value       = { for name, group in aws_sagemaker_model_package_group.local : name => group.arn }
}
