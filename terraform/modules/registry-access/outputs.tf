output "policy_arns" {
  description = "ARN of the customer managed policy of each role entry."
  value       = { for entry, policy in aws_iam_policy.this : entry => policy.arn }
}

output "attached_roles" {
  description = "Role name each policy is attached to, by role entry (exact entries only)."
  value       = { for entry, attachment in aws_iam_role_policy_attachment.this : entry => attachment.role }
}

output "unattached_policies" {
  description = "Policies of wildcard role entries, created but not attached: reference them (name and path) from the IAM Identity Center permission set or the stack that owns those roles."
  value = {
    for entry, item in var.role_policies : entry => {
      name = item.policy_name
      path = var.policy_path
      arn  = aws_iam_policy.this[entry].arn
    } if item.role_name == null
  }
}
