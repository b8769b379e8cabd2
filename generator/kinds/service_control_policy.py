"""Service control policies (guardrails:): the registry's rules for every
principal of the organization, in the organization root.

Limit: 5,120 characters per policy (AWS Organizations quotas, "Maximum size
of a policy document"): AWS counts every character an API call sends, and
the organization root sends the policies minified
(jsonencode(jsondecode(file(...)))), so the minified size is what counts.
SCPs bound the organization's principals only (generator/policies/scp.py).
"""

from __future__ import annotations

from generator.kinds import _organization
from generator.kinds.base import SCP, Kind, Limit, TerraformResource
from generator.policies import scp

KIND = Kind(
    name="service_control_policy",
    role=SCP,
    target_type="policy",
    limit=Limit(5_120, "characters", False, "service control policy",
                "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"),
    order=70,
    terraform=TerraformResource("aws_organizations_policy", "content",
                                {"name": "target_name", "type": "SERVICE_CONTROL_POLICY"}),
    render=lambda config, arns: _organization.render(KIND, config, lambda: scp.statements(config, arns),
                                                     "model-registry-guardrails", "scp"),
    bind=_organization.binding("SERVICE_CONTROL_POLICY", "Model registry guardrails for the organization's principals"),
)
