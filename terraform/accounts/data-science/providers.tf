# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.
#
# Every resource of this root lands in account 222222222222 (data-science):
# allowed_account_ids makes Terraform refuse to run with credentials of any
# other account.

provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["222222222222"]

  assume_role {
    role_arn     = "arn:aws:iam::222222222222:role/ModelRegistryTerraform"
    session_name = "model-registry-data-science"
  }

  default_tags {
    tags = {
      "ManagedBy" = "model-registry-policy-generator"
    }
  }
}
