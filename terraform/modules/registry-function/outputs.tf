output "function_arn" {
  description = "ARN of the registry function."
  value       = aws_lambda_function.this.arn
}

output "bus_arn" {
  description = "ARN of the receiving bus."
  value       = aws_cloudwatch_event_bus.copy.arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue: refused and undeliverable approvals land here."
  value       = aws_sqs_queue.dead_letters.url
}
