variable "function_name" {
  description = "Name of the registry function."
  type        = string
}

variable "role_name" {
  description = "Name of the registry function's execution role."
  type        = string
}

variable "bus_name" {
  description = "Name of the receiving event bus."
  type        = string
}

variable "rule_name" {
  description = "Name of the rule on the receiving bus that invokes the function."
  type        = string
}

variable "queue_name" {
  description = "Name of the dead-letter queue."
  type        = string
}

variable "registry_account_id" {
  description = "This account's id (aws_lambda_permission source_account)."
  type        = string
}

variable "zip_path" {
  description = "The rendered, deterministic zip of the function's code."
  type        = string
}

variable "settings_json" {
  description = "The rendered settings of the function (copy-mode groups, their accounts and repositories)."
  type        = string
}

variable "bus_policy_json" {
  description = "The rendered policy of the receiving bus."
  type        = string
}

variable "role_policy_json" {
  description = "The rendered identity policy of the function's role."
  type        = string
}

variable "role_trust_json" {
  description = "The rendered trust policy of the function's role."
  type        = string
}

variable "rule_json" {
  description = "The rendered receiving rule: {\"EventPattern\": ..., \"Targets\": [one target]}."
  type        = string

  validation {
    condition     = length(jsondecode(var.rule_json).Targets) == 1
    error_message = "The receiving rule has exactly one target: the registry function."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's logs."
  type        = number
  default     = 365
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions of the function."
  type        = number
  default     = 5
}

variable "function_policy_json" {
  description = "The rendered resource policy of the function (one statement: the receiving rule invokes it)."
  type        = string

  validation {
    condition     = length(jsondecode(var.function_policy_json).Statement) == 1
    error_message = "The function's resource policy has exactly one statement: the receiving rule invokes it."
  }
}

variable "queue_policy_json" {
  description = "The rendered policy of the dead-letter queue (only the receiving rule sends to it)."
  type        = string
}
