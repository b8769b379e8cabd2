output "policy_ids" {
  description = "Policy id of each rendered guardrail, by name."
  value       = { for name, policy in aws_organizations_policy.this : name => policy.id }
}
