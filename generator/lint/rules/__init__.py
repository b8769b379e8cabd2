"""Every lint rule, one module each; importing this package registers them.

Validators (is the policy valid IAM?): structure, unknown_action,
resource_mismatch, unknown_condition_key, resource_policy_scope, size_limit,
manifest. Security invariants (does it keep our promises?): the rest.
"""

from generator.lint.rules import (  # noqa: F401  (import registers)
    structure,
    unknown_action,
    resource_mismatch,
    unknown_condition_key,
    resource_policy_scope,
    size_limit,
    manifest,
    wildcard_principal,
    account_principal,
    wildcard_action,
    wildcard_resource,
    organization_guard,
    bucket_denies_insecure_transport,
    readers_never_write,
    developers_never_approve,
    no_cross_account_admin,
    wildcard_role_pattern,
    unlisted_principal,
    readers_never_push,
    repository_role_condition,
    deploy_role_trust,
    deploy_role_pass_role,
    deploy_role_only_deploys,
    deploy_prefix_overlap,
    guardrails_allow_parties,
    terraform_admin_role,
    developers_first_stage_only,
    every_stage_has_an_approver,
    bus_policy_names_rule_role,
    event_targets_are_parties,
)
