# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.
#
# One state object per account: model-registry/organization/terraform.tfstate
# terraform.state.bucket is not set in accounts.yaml: name the state bucket at
# init time with `terraform init -backend-config=bucket=NAME`.

terraform {
  backend "s3" {
    key          = "model-registry/organization/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
