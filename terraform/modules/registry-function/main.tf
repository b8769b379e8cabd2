# Promote by copy (registry account): the receiving bus, the rule that
# invokes the registry function, the function, its role, logs and
# dead-letter queue (docs/copy.md). Every policy is a rendered file: the bus
# policy (only the development accounts' forwarding rule roles), the
# function's role policy and trust, and the rule (pattern, target, retries,
# dead-letter queue). The function's code is the rendered zip, byte-identical
# across renders.

locals {
  rule   = jsondecode(var.rule_json)
  target = local.rule.Targets[0]
  # The rendered resource policy of the function: one statement, set as one
  # aws_lambda_permission (which takes its parts, not a document).
  invoke = jsondecode(var.function_policy_json).Statement[0]
}

resource "aws_cloudwatch_event_bus" "copy" {
  name = var.bus_name
}

resource "aws_cloudwatch_event_bus_policy" "copy" {
  event_bus_name = aws_cloudwatch_event_bus.copy.name
  policy         = var.bus_policy_json
}

resource "aws_iam_role" "function" {
  name               = var.role_name
  description        = "The registry function: copies approved local versions into the central registry"
  assume_role_policy = var.role_trust_json
}

resource "aws_iam_role_policy" "function" {
  name   = "registry-function"
  role   = aws_iam_role.function.id
  policy = var.role_policy_json
}

# Failed invocations after Lambda's own retries, and events EventBridge
# could not deliver, land here for an operator.
resource "aws_sqs_queue" "dead_letters" {
  name                      = var.queue_name
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# Only the receiving rule sends undelivered events here (the rendered policy).
resource "aws_sqs_queue_policy" "dead_letters" {
  queue_url = aws_sqs_queue.dead_letters.id
  policy    = var.queue_policy_json
}

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:The function logs refusals and version ARNs, no artifact content or secret; a KMS key for logs would need CloudWatch Logs in its key policy, which the artifact key deliberately does not have.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The function calls only AWS APIs (S3, SageMaker, ECR); inside a VPC it would need interface endpoints for each, which the organization's network owns.
  #checkov:skip=CKV_AWS_272:The code is the rendered zip, byte-identical across renders and reviewed in git with the policies; code signing needs a signing profile the organization owns.
  #checkov:skip=CKV_AWS_173:The environment holds only the rendered settings (groups, account ids, bucket name), no secret; Lambda encrypts it at rest with an AWS managed key.
  #checkov:skip=CKV_AWS_50:X-Ray would need xray:PutTraceSegments on the role, which least privilege leaves out; the function logs each outcome.
  function_name    = var.function_name
  description      = "Copies approved local model versions into the central registry (docs/copy.md)"
  role             = aws_iam_role.function.arn
  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  handler          = "generator.registry_function.handler.handler"
  runtime          = "python3.12"
  timeout          = 900
  memory_size      = 512

  # Approvals are rare: a small reserved concurrency bounds what a flood of
  # events (or a bug) can do, and leaves the account's pool to others.
  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = { REGISTRY_FUNCTION_SETTINGS = var.settings_json }
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letters.arn
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}

resource "aws_cloudwatch_event_rule" "invoke" {
  name           = var.rule_name
  event_bus_name = aws_cloudwatch_event_bus.copy.name
  description    = "Local approvals forwarded by the development accounts: invoke the registry function"
  event_pattern  = jsonencode(local.rule.EventPattern)
}

resource "aws_cloudwatch_event_target" "invoke" {
  rule           = aws_cloudwatch_event_rule.invoke.name
  event_bus_name = aws_cloudwatch_event_bus.copy.name
  target_id      = local.target.Id
  arn            = aws_lambda_function.this.arn

  retry_policy {
    maximum_event_age_in_seconds = local.target.RetryPolicy.MaximumEventAgeInSeconds
    maximum_retry_attempts       = local.target.RetryPolicy.MaximumRetryAttempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.dead_letters.arn
  }
}

# The function's resource policy: only the rule above invokes it. Each
# argument is read from the rendered lambda-function-policy file, so the
# reviewed document is what is set.
resource "aws_lambda_permission" "invoke" {
  statement_id   = local.invoke.Sid
  action         = local.invoke.Action[0]
  function_name  = aws_lambda_function.this.function_name
  principal      = local.invoke.Principal.Service
  source_arn     = local.invoke.Condition.ArnEquals["aws:SourceArn"][0]
  source_account = local.invoke.Condition.StringEquals["aws:SourceAccount"][0]

  lifecycle {
    precondition {
      condition     = local.invoke.Condition.ArnEquals["aws:SourceArn"][0] == aws_cloudwatch_event_rule.invoke.arn
      error_message = "The rendered function policy must name this module's receiving rule."
    }
  }
}
