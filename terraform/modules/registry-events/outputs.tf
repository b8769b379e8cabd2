output "rule_arns" {
  description = "ARN of each rule, keyed by name."
  value       = { for name, rule in aws_cloudwatch_event_rule.this : name => rule.arn }
}

output "role_arn" {
  description = "ARN of the rule role."
  value       = aws_iam_role.forwarder.arn
}
