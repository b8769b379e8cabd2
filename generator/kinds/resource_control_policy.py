"""Resource control policies (guardrails:): the registry's rules for the
artifact bucket and key, whoever calls, in the organization root.

Limit: 5,120 characters per policy, minified, as SCPs (AWS Organizations
quotas; RCP syntax page). An RCP's statements name ``Principal: "*"``: they
bound the organization's resources, whoever the caller is
(generator/policies/rcp.py).
"""

from __future__ import annotations

from generator.kinds import _organization
from generator.kinds.base import RCP, Kind, Limit, TerraformResource
from generator.policies import rcp

KIND = Kind(
    name="resource_control_policy",
    role=RCP,
    target_type="policy",
    limit=Limit(5_120, "characters", False, "resource control policy",
                "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"),
    order=71,
    terraform=TerraformResource("aws_organizations_policy", "content",
                                {"name": "target_name", "type": "RESOURCE_CONTROL_POLICY"}),
    render=lambda config, arns: _organization.render(KIND, config, lambda: rcp.statements(config, arns),
                                                     "model-registry-resource-guardrails", "rcp"),
    bind=_organization.binding("RESOURCE_CONTROL_POLICY", "Model registry guardrails for the artifact bucket and key"),
)
