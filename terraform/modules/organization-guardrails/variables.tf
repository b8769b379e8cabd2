variable "policies" {
  description = <<-EOT
    The rendered organization policies, keyed by policy name: type is
    SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY, policy_json the
    rendered policy document (sent minified).
  EOT
  type = map(object({
    type        = string
    description = string
    policy_json = string
  }))

  validation {
    condition = alltrue([
      for name, item in var.policies : contains(["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"], item.type)
    ])
    error_message = "type must be SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY."
  }

  validation {
    condition     = alltrue([for name, item in var.policies : length(jsonencode(jsondecode(item.policy_json))) <= 5120])
    error_message = "An SCP or RCP is at most 5,120 characters (AWS Organizations quotas)."
  }
}

variable "targets" {
  description = "Roots (r-...), OUs (ou-...) or account ids every policy attaches to."
  type        = list(string)

  validation {
    condition = alltrue([
      for target in var.targets : can(regex("^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|[0-9]{12})$", target))
    ])
    error_message = "Each target is a root id, an OU id or a 12-digit account id."
  }
}

variable "tags" {
  description = "Tags of the policies."
  type        = map(string)
  default     = {}
}
