variable "artifact_bucket_name" {
  description = "Name of the S3 bucket that holds model artifacts."
  type        = string
}

variable "bucket_policy_json" {
  description = "Bucket policy document (JSON), rendered by the generator into policies/s3-bucket-policy.json."
  type        = string

  validation {
    condition     = can(jsondecode(var.bucket_policy_json).Statement)
    error_message = "bucket_policy_json must be a JSON policy document with a Statement."
  }
}

variable "kms_key_alias" {
  description = "Alias of the customer managed key that encrypts the artifacts, e.g. alias/ml-model-artifacts."
  type        = string

  validation {
    condition     = startswith(var.kms_key_alias, "alias/") && !startswith(var.kms_key_alias, "alias/aws/")
    error_message = "kms_key_alias must start with alias/ and must not use the reserved alias/aws/ prefix."
  }
}

variable "kms_key_policy_json" {
  description = "Key policy document (JSON), rendered by the generator into policies/kms-key-policy.json."
  type        = string

  validation {
    condition     = can(jsondecode(var.kms_key_policy_json).Statement)
    error_message = "kms_key_policy_json must be a JSON policy document with a Statement."
  }
}

variable "kms_key_deletion_window_in_days" {
  description = "Days (7-30) between scheduling the key's deletion and its deletion: the window to cancel a mistake."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be between 7 and 30."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which unfinished multipart uploads (invisible, but billed) are removed."
  type        = number
  default     = 7
}

variable "access_log_bucket" {
  description = "Existing bucket, in this account and Region, that receives S3 server access logs of the artifact bucket; null for no server access logging."
  type        = string
  default     = null
}

variable "access_log_prefix" {
  description = "Key prefix of the server access log objects in access_log_bucket."
  type        = string
  default     = "s3-access-logs/"
}

variable "model_package_groups" {
  description = "Model package groups to create, by name: description and tags of each."
  type = map(object({
    description = string
    tags        = map(string)
  }))
}

variable "model_package_group_policies" {
  description = <<-EOT
    Resource policy (JSON) per model package group name. Leave empty (the
    default) when another tool, such as `python -m generator apply`, writes
    the group policies: exactly one writer may own a group's policy.
  EOT
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name, policy in var.model_package_group_policies : can(jsondecode(policy).Statement)])
    error_message = "Each model_package_group_policies value must be a JSON policy document with a Statement."
  }
}

variable "access_points" {
  description = <<-EOT
    S3 access points to create on the artifact bucket, by access point name,
    each with its rendered policy (JSON). Empty (the default) with
    registry.s3_layout = bucket_policy; one per model group with
    access_points.
  EOT
  type = map(object({
    policy_json = string
  }))
  default = {}

  validation {
    condition     = alltrue([for name, point in var.access_points : can(jsondecode(point.policy_json).Statement)])
    error_message = "Each access_points policy_json must be a JSON policy document with a Statement."
  }
}

variable "ecr_repositories" {
  description = <<-EOT
    ECR repositories for inference images, by repository name, each with
    its rendered repository policy (JSON, no Resource element). Empty (the
    default) when accounts.yaml has no ecr_repositories.
  EOT
  type = map(object({
    repository_policy_json = string
  }))
  default = {}

  validation {
    condition     = alltrue([for name, repo in var.ecr_repositories : can(jsondecode(repo.repository_policy_json).Statement)])
    error_message = "Each ecr_repositories repository_policy_json must be a JSON policy document with a Statement."
  }
}
