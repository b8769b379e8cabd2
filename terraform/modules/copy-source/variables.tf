variable "group_policies" {
  description = "Rendered local group policies keyed by model group name."
  type        = map(string)
}

variable "role_name" {
  description = "Name of the forwarding rule role."
  type        = string
}

variable "role_policy_json" {
  description = "The rendered identity policy of the rule role (events:PutEvents on the registry's receiving bus)."
  type        = string
}

variable "role_trust_json" {
  description = "The rendered trust policy of the rule role (events.amazonaws.com, this account's forwarding rules)."
  type        = string
}

variable "rules" {
  description = "Rendered forwarding rules keyed by name: {\"EventPattern\": ..., \"Targets\": [one target]}."
  type        = map(string)

  validation {
    condition     = alltrue([for name, text in var.rules : length(jsondecode(text).Targets) == 1])
    error_message = "Each forwarding rule has exactly one target: the registry's receiving bus."
  }
}
