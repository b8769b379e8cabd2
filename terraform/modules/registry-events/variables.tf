variable "rules" {
  description = "Rendered event rule files keyed by rule name: {\"EventPattern\": ..., \"Targets\": [{\"Id\", \"Arn\", \"RoleArn\"}]}."
  type        = map(string)

  validation {
    condition     = alltrue([for name, text in var.rules : can(jsondecode(text).EventPattern) && length(jsondecode(text).Targets) <= 5])
    error_message = "Each rule needs an EventPattern and at most 5 targets (EventBridge quota)."
  }
}

variable "role_name" {
  description = "Name of the rule role EventBridge assumes to put events on the receivers' buses."
  type        = string
}

variable "role_policy_json" {
  description = "The rendered identity policy of the rule role (events:PutEvents on the receivers' buses)."
  type        = string
}

variable "registry_account_id" {
  description = "This account's id, for the rule role's trust policy (aws:SourceAccount)."
  type        = string
}

variable "rule_arn_pattern" {
  description = "ARN pattern of the rules that may use the rule role (aws:SourceArn)."
  type        = string
}
