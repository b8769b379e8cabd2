# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.

terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.78.0, < 7.0"
    }
  }
}
