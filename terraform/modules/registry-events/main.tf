# Approval events (registry account): rules on the default event bus that
# forward SageMaker model package state changes to the receiving accounts'
# model-registry-events buses, through one rule role. The rendered
# event rule files hold each rule's pattern and targets; the rendered rule
# role policy allows events:PutEvents on exactly those buses.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
# ("We recommend always using IAM roles when the target of a rule is an event bus.")

locals {
  rules = { for name, text in var.rules : name => jsondecode(text) }
  targets = merge([
    for name, rule in local.rules : { for target in rule.Targets : "${name}/${target.Id}" => merge(target, { rule = name }) }
  ]...)
}

# Only EventBridge, only for this account's rules named with our prefix,
# may assume the rule role (confused-deputy guard).
# https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
resource "aws_iam_role" "forwarder" {
  name        = var.role_name
  description = "EventBridge forwards model package state changes to the receivers' buses"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeRulesOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = var.registry_account_id }
        ArnLike      = { "aws:SourceArn" = var.rule_arn_pattern }
      }
    }]
  })
}

resource "aws_iam_role_policy" "forwarder" {
  name   = "put-events-on-receiver-buses"
  role   = aws_iam_role.forwarder.id
  policy = var.role_policy_json
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = local.rules

  name          = each.key
  description   = "Model package state changes of some model groups, to their deployers and approvers"
  event_pattern = jsonencode(each.value.EventPattern)
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.targets

  rule      = aws_cloudwatch_event_rule.this[each.value.rule].name
  target_id = each.value.Id
  arn       = each.value.Arn
  role_arn  = aws_iam_role.forwarder.arn
}
