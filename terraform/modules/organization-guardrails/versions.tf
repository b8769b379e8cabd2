terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # RESOURCE_CONTROL_POLICY as a policy type: see AWS_PROVIDER_VERSION_GUARDRAILS
      # in generator/terraform.py (hashicorp/terraform-provider-aws#40126, #40145).
      version = ">= 5.78.0"
    }
  }
}
