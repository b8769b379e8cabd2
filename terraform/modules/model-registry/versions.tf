terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x carries the fix for spurious diffs on equivalent model package
      # group policies (terraform-provider-aws PR 28865, released in 4.50).
      version = ">= 5.0"
    }
  }
}
