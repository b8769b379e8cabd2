# Organization guardrails for the model registry: service control policies
# (the organization's principals) and resource control policies (the
# artifact bucket and key), rendered by the generator and attached to the
# configured targets. Apply from the management account or a delegated
# administrator for policy management; the policy types must be enabled.
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html

locals {
  attachments = {
    for pair in setproduct(keys(var.policies), var.targets) : "${pair[0]}/${pair[1]}" => {
      policy = pair[0]
      target = pair[1]
    }
  }
}

resource "aws_organizations_policy" "this" {
  for_each = var.policies

  name        = each.key
  type        = each.value.type
  description = each.value.description
  tags        = var.tags

  # Minified: AWS counts every character an API call sends against the
  # 5,120-character limit (AWS Organizations quotas).
  content = jsonencode(jsondecode(each.value.policy_json))
}

resource "aws_organizations_policy_attachment" "this" {
  for_each = local.attachments

  policy_id = aws_organizations_policy.this[each.value.policy].id
  target_id = each.value.target
}
