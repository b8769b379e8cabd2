# Promote by copy (development account): the local model package groups
# where data scientists register and their lead approves, each group's
# policy (only the registry function's role describes), and the rules that
# forward local approvals to the registry's receiving bus through a rule
# role (docs/copy.md). Every policy and rule is a rendered file.

locals {
  rules = { for name, text in var.rules : name => jsondecode(text) }
}

resource "aws_sagemaker_model_package_group" "local" {
  for_each = var.group_policies

  model_package_group_name        = each.key
  model_package_group_description = "Local group: approved versions are copied to the central registry"
}

resource "aws_sagemaker_model_package_group_policy" "local" {
  for_each = var.group_policies

  model_package_group_name = aws_sagemaker_model_package_group.local[each.key].model_package_group_name
  resource_policy          = each.value
}

resource "aws_iam_role" "forwarder" {
  name               = var.role_name
  description        = "EventBridge forwards local approvals to the registry's receiving bus"
  assume_role_policy = var.role_trust_json
}

resource "aws_iam_role_policy" "forwarder" {
  name   = "put-events-on-registry-copy-bus"
  role   = aws_iam_role.forwarder.id
  policy = var.role_policy_json
}

resource "aws_cloudwatch_event_rule" "forward" {
  for_each = local.rules

  name          = each.key
  description   = "Local approvals of copy-mode model groups, to the registry"
  event_pattern = jsonencode(each.value.EventPattern)
}

resource "aws_cloudwatch_event_target" "forward" {
  for_each = local.rules

  rule      = aws_cloudwatch_event_rule.forward[each.key].name
  target_id = each.value.Targets[0].Id
  arn       = each.value.Targets[0].Arn
  role_arn  = aws_iam_role.forwarder.arn
}
