# The registry account's resources: the artifact bucket, the customer managed
# key that encrypts it, and the model package groups. Every policy document
# arrives as rendered JSON: this module creates resources and fixed
# guardrails (versioning, ownership, public access, encryption), never
# statements.

################################################################################
# KMS key
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
################################################################################

resource "aws_kms_key" "artifacts" {
  description             = "Encrypts model artifacts in s3://${var.artifact_bucket_name}"
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  # The rendered policy keeps the registry account's root as administrator,
  # so the key can never be orphaned; leave AWS's lockout check on.
  policy = var.kms_key_policy_json

  # Every model artifact is encrypted under this key: destroying it (even
  # scheduled) makes them unreadable. Terraform refuses any plan that
  # destroys it; removing it on purpose is a code change (docs/terraform.md,
  # "Removing an account or the registry").
  # https://developer.hashicorp.com/terraform/language/meta-arguments/lifecycle
  lifecycle {
    prevent_destroy = true
  }
}

# Identity policies in the other accounts find the key by this alias
# (kms:ResourceAliases) until registry.kms_key_arn pins the key id.
resource "aws_kms_alias" "artifacts" {
  name          = var.kms_key_alias
  target_key_id = aws_kms_key.artifacts.key_id
}

################################################################################
# S3 artifact bucket
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
################################################################################

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_18:Server access logging is opt-in (access_log_bucket) because its target must be an existing bucket in this account and Region that this module does not own; CloudTrail S3 data events are the audit record AWS recommends for object-level access.
  #checkov:skip=CKV_AWS_144:Cross-region replication needs a second bucket and a key in another region, a disaster-recovery decision of the organization; versioning protects the artifacts against overwrite and deletion here.
  #checkov:skip=CKV2_AWS_62:No consumer of object events: the approval workflow reacts to SageMaker model package state changes in EventBridge, not to S3 object events.
  bucket = var.artifact_bucket_name

  # The artifacts of every registered model version live here: a plan that
  # would destroy the bucket fails instead (see the key above).
  lifecycle {
    prevent_destroy = true
  }
}

# ACLs disabled: access is decided by the bucket policy alone, and the
# registry account owns every object whoever uploads it.
resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Versions keep every artifact a registered model package points at, even
# after an overwrite or a delete.
resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

# Default encryption with the artifact key, so uploads without an
# encryption header (the SageMaker SDK's) are encrypted too; the bucket
# policy only denies a header that names another algorithm. Bucket keys cut
# KMS requests (and cost) per object.
resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.artifacts.arn
    }
    bucket_key_enabled = true
  }
}

# Only housekeeping: artifacts and their versions are never expired here,
# because registered model packages keep pointing at them.
resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

# Opt-in: S3 delivers server access logs only to a bucket in the same
# account and Region, which the registry account has to provide.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
resource "aws_s3_bucket_logging" "artifacts" {
  count = var.access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.artifacts.id
  target_bucket = var.access_log_bucket
  target_prefix = var.access_log_prefix
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = var.bucket_policy_json

  # Put the policy after public access is blocked, so there is no moment in
  # which a policy could be evaluated without the block.
  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

################################################################################
# SageMaker model package groups
# https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-ram.html
################################################################################

resource "aws_sagemaker_model_package_group" "this" {
  for_each = var.model_package_groups

  model_package_group_name        = each.key
  model_package_group_description = each.value.description == "" ? null : each.value.description
  tags                            = each.value.tags
}

# Declared only for the groups listed in var.model_package_group_policies:
# by default none, and `python -m generator apply` writes the policies.
resource "aws_sagemaker_model_package_group_policy" "this" {
  for_each = var.model_package_group_policies

  model_package_group_name = aws_sagemaker_model_package_group.this[each.key].model_package_group_name
  resource_policy          = each.value
}

################################################################################
# S3 access points, one per model group (registry.s3_layout = access_points)
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html
# The bucket policy delegates object access to this account's access points;
# each access point's policy holds one group's grants, so no policy grows
# with the number of groups.
################################################################################

resource "aws_s3_access_point" "groups" {
  for_each = var.access_points

  bucket = aws_s3_bucket.artifacts.id
  name   = each.key

  public_access_block_configuration {
    block_public_acls       = true
    block_public_policy     = true
    ignore_public_acls      = true
    restrict_public_buckets = true
  }

  # The policy is written by aws_s3control_access_point_policy below.
  lifecycle {
    ignore_changes = [policy]
  }
}

resource "aws_s3control_access_point_policy" "groups" {
  for_each = var.access_points

  access_point_arn = aws_s3_access_point.groups[each.key].arn
  policy           = each.value.policy_json
}

################################################################################
# ECR repositories for inference images (ecr_repositories in accounts.yaml)
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html
# The groups' developers push and their consumers and deployers pull, as the
# rendered repository policy says; SageMaker pulls with the endpoint's
# execution role at CreateModel.
################################################################################

resource "aws_ecr_repository" "images" {
  for_each = var.ecr_repositories

  name = each.key
  # A pushed tag never moves: a deployed image cannot be replaced under the
  # same tag, so what was approved is what runs.
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  # The artifact key. ECR takes a KMS grant on it when the repository is
  # created and decrypts with that grant when an image is pulled, so pulling
  # roles in other accounts need no key permission of their own
  # (https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html).
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.artifacts.arn
  }
}

resource "aws_ecr_repository_policy" "images" {
  for_each = var.ecr_repositories

  repository = aws_ecr_repository.images[each.key].name
  policy     = each.value.repository_policy_json
}
