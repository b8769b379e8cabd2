# The deploy role of a workload account (deploy_role in accounts.yaml): the
# role the deployment pipeline assumes to create the SageMaker model,
# endpoint configuration and endpoint of the account's model groups.
# Both documents are rendered by the generator: the trust policy names only
# the deployment accounts' listed roles (aws:PrincipalArn, organization
# guard), and the permissions name only the groups' resources, the
# account's execution roles (passed to SageMaker only) and the registry's
# versions of those groups. See docs/deploy.md.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html

resource "aws_iam_role" "this" {
  #checkov:skip=CKV_AWS_61:The deploy role trusts the deployment accounts narrowed by aws:PrincipalArn to their listed roles and by aws:PrincipalOrgID; naming the roles as principals instead would fail for a role that does not exist yet and cannot express IAM Identity Center role names (lint rule deploy-role-trust checks who can assume it).
  name                 = var.role_name
  path                 = var.role_path
  description          = "Deploys approved model versions of this account's model groups; rendered from accounts.yaml"
  assume_role_policy   = var.trust_policy_json
  max_session_duration = var.max_session_duration
}

# Customer managed policies (6,144 characters each, checked at render time);
# an account with many groups gets several, each exact per group.
resource "aws_iam_policy" "this" {
  for_each = var.permission_policies

  name        = each.key
  path        = var.policy_path
  description = "Permissions of deploy role ${var.role_name}, rendered from accounts.yaml"
  policy      = each.value
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = var.permission_policies

  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.this[each.key].arn
}
