"""What the two organization policy kinds (SCPs and RCPs) share: packing
their statements into as few documents as fit, in the guardrails' root."""

from __future__ import annotations

from generator.config.guardrails import ORGANIZATION_DIR
from generator.errors import PolicyTooLarge
from generator.policies import guardrail_common

# At most five SCPs (and five RCPs) attach to one root, OU or account (AWS
# Organizations quotas); FullAWSAccess / RCPFullAWSAccess take one place.
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
POLICIES_PER_TARGET = 4


def render(kind, config, statements, stem: str, short: str):
    """The kind's documents, packed within its size limit, POLICIES_PER_TARGET at most."""
    if config.guardrails is None:
        return []
    account_id = config.guardrails.management_account or ""
    try:
        packed = guardrail_common.pack(statements(), kind.limit.size, POLICIES_PER_TARGET, kind.limit.name)
    except ValueError as exc:
        raise PolicyTooLarge(
            f"{ORGANIZATION_DIR}/policies/{short}-*.json: {exc}; fewer role names or accounts per exemption, "
            "or drop guardrails:"
        ) from None
    out = []
    for index, document_statements in enumerate(packed, 1):
        name = stem if len(packed) == 1 else f"{stem}-{index}"
        out.append(kind.policy(ORGANIZATION_DIR, account_id, name, f"{ORGANIZATION_DIR}/policies/{short}-{name}.json",
                               {"Version": "2012-10-17", "Statement": document_statements}, {"policy_name": name}))
    return out


def binding(policy_type: str, description: str):
    """The organization root's item for one of the kind's documents."""
    return lambda policy, path: ("organization_policies", policy.extra["policy_name"], {
        "name": policy.extra["policy_name"], "type": policy_type, "description": description, "policy": path})
