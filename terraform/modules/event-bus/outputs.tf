output "bus_arn" {
  description = "ARN of the bus; the account's own rules on it route the events."
  value       = aws_cloudwatch_event_bus.this.arn
}
