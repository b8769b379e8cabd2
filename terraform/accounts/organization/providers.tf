# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.
#
# AWS Organizations policies are managed from the management account or a
# delegated administrator: this root uses the ambient credentials (no role
# to assume).

provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = {
      "ManagedBy" = "model-registry-policy-generator"
    }
  }
}
