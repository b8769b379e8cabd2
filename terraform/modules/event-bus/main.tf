# A receiving account's dedicated bus for the registry's approval events.
# Dedicated, not the default bus: a bus has exactly one resource policy,
# and rendering the default bus's would replace whatever the account's
# other integrations put there. This account's own rules on this bus route
# the events to its pipeline or approval workflow.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html

resource "aws_cloudwatch_event_bus" "this" {
  name = var.bus_name
}

resource "aws_cloudwatch_event_bus_policy" "this" {
  event_bus_name = aws_cloudwatch_event_bus.this.name
  policy         = var.policy_json
}
