# Rendered by `make render` from accounts.yaml: edit that file and re-render, not this one.
#
# The organization's guardrails for the model registry (guardrails: in
# accounts.yaml): service control policies that keep the approval rules, the
# stage gates and "only the deploying roles change group policies" for
# every principal of the organization, and resource control policies that
# keep the artifact bucket and key's policies with the Terraform role and
# principals outside the organization out. Apply from the management
# account (or a delegated administrator for policy management) after
# enabling both policy types; attach to a test OU first
# (docs/guardrails.md).
#
# SCPs and RCPs never restrict the management account or service-linked
# roles. The module sends each policy minified: AWS counts every character
# against its 5,120-character limit.

module "guardrails" {
  source = "../../modules/organization-guardrails"

  policies = {
    "model-registry-guardrails" = {
      type        = "SERVICE_CONTROL_POLICY"
      description = "Model registry guardrails for the organization's principals (rendered from accounts.yaml)"
      policy_json = file("${path.module}/policies/scp-model-registry-guardrails.json")
    }
    "model-registry-resource-guardrails" = {
      type        = "RESOURCE_CONTROL_POLICY"
      description = "Model registry guardrails for the artifact bucket and key (rendered from accounts.yaml)"
      policy_json = file("${path.module}/policies/rcp-model-registry-resource-guardrails.json")
    }
  }

  targets = [
    "ou-ab12-cd34ef56",
  ]
}

output "policy_ids" {
  description = "Id of each guardrail policy, by name."
  value       = module.guardrails.policy_ids
}
