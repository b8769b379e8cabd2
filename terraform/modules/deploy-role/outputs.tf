output "role_arn" {
  description = "ARN of the deploy role; the deployment pipeline assumes it."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the deploy role."
  value       = aws_iam_role.this.name
}

output "policy_arns" {
  description = "ARN of each permission policy of the deploy role, by policy name."
  value       = { for name, policy in aws_iam_policy.this : name => policy.arn }
}
