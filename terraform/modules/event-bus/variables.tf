variable "bus_name" {
  description = "Name of the bus that receives the registry's model package events."
  type        = string
}

variable "policy_json" {
  description = "The rendered bus policy: only the registry's rule role may put SageMaker model package events."
  type        = string

  validation {
    condition     = can(jsondecode(var.policy_json).Statement)
    error_message = "policy_json must be a JSON policy document with a Statement."
  }
}
