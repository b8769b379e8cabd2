# The caller's half of every cross-account grant: the rendered identity
# policy of each role, as a customer managed policy (up to 6,144 characters,
# checked at render time) attached to the role. Managed rather than inline
# policies leave the role's 10,240-character inline budget to its owner.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html

resource "aws_iam_policy" "this" {
  for_each = var.role_policies

  name        = each.value.policy_name
  path        = var.policy_path
  description = "Model registry access for role ${each.key}, rendered from accounts.yaml"
  policy      = each.value.policy_json
}

# Roles named exactly are attached here. Wildcard entries (role_name null)
# are not: Terraform would attach to whatever roles match at plan time, and
# IAM Identity Center roles (aws-reserved/sso.amazonaws.com/...) cannot be
# changed in IAM at all. Their permission set references the policy by name
# and path instead (see docs/terraform.md).
resource "aws_iam_role_policy_attachment" "this" {
  for_each = { for entry, item in var.role_policies : entry => item if item.role_name != null }

  role       = each.value.role_name
  policy_arn = aws_iam_policy.this[each.key].arn
}
