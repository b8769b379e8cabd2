variable "role_policies" {
  description = <<-EOT
    One customer managed policy per role entry of accounts.yaml, keyed by the
    entry. policy_json is the rendered identity policy; role_name is the
    role to attach it to (the entry's last path segment), or null for an
    entry with a * wildcard, whose policy is created but not attached.
  EOT
  type = map(object({
    policy_name = string
    role_name   = string
    policy_json = string
  }))

  validation {
    condition = alltrue([
      for entry, item in var.role_policies :
      item.role_name == null || can(regex("^[A-Za-z0-9_+=,.@-]{1,64}$", item.role_name))
    ])
    error_message = "role_name must be a plain IAM role name (no path, no wildcard) or null."
  }

  validation {
    condition     = alltrue([for entry, item in var.role_policies : can(jsondecode(item.policy_json).Statement)])
    error_message = "Each policy_json must be a JSON policy document with a Statement."
  }
}

variable "policy_path" {
  description = "IAM path of the managed policies. IAM Identity Center permission sets reference a customer managed policy by name and path."
  type        = string
  default     = "/model-registry/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9_+=,.@-]+/)*$", var.policy_path))
    error_message = "policy_path must start and end with /."
  }
}
