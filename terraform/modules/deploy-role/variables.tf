variable "role_name" {
  description = "Name of the deploy role (deploy_role.name in accounts.yaml)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_+=,.@-]{1,64}$", var.role_name))
    error_message = "role_name must be a plain IAM role name."
  }
}

variable "role_path" {
  description = "IAM path of the deploy role. The rendered policies name the role without a path, so keep /."
  type        = string
  default     = "/"

  validation {
    condition     = var.role_path == "/"
    error_message = "The rendered trust and AssumeRole policies name the role at path /."
  }
}

variable "trust_policy_json" {
  description = "The rendered trust policy: who may assume the deploy role."
  type        = string

  validation {
    condition     = can(jsondecode(var.trust_policy_json).Statement)
    error_message = "trust_policy_json must be a JSON policy document with a Statement."
  }
}

variable "permission_policies" {
  description = "The rendered permission policies of the deploy role: managed policy name => policy JSON."
  type        = map(string)

  validation {
    condition     = length(var.permission_policies) > 0 && alltrue([for name, json in var.permission_policies : can(jsondecode(json).Statement)])
    error_message = "permission_policies must hold at least one JSON policy document with a Statement."
  }
}

variable "policy_path" {
  description = "IAM path of the managed policies."
  type        = string
  default     = "/model-registry/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9_+=,.@-]+/)*$", var.policy_path))
    error_message = "policy_path must start and end with /."
  }
}

variable "max_session_duration" {
  description = "Maximum session length in seconds (3,600-43,200). A deployment takes minutes; the default is the IAM minimum."
  type        = number
  default     = 3600
}
