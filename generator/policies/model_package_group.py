"""One resource policy per model package group (registry account).

Set by the apply helper with PutModelPackageGroupPolicy (or by Terraform
when the config hands group policies to it). Only actions that take the
model-package-group or model-package resource types belong here:
sagemaker:CreateModel takes the model type and would have no effect.
"""

from __future__ import annotations

from generator.access import PARTY_TITLES, group_grants, party_members
from generator.arns import Arns
from generator.config import PARTIES, Config
from generator.policies.common import cross_account_statements, document


def build(config: Config, arns: Arns, group: str, compact: bool = False) -> dict:
    statements = []
    for party in PARTIES:
        names = config.party_accounts(group, party)
        if not names:
            continue
        members = party_members(config, arns, names)
        for grant in group_grants(arns, group, party):
            if grant.service != "sagemaker":
                continue
            sid = f"{PARTY_TITLES[party]}{grant.name}"
            statements.extend(cross_account_statements(sid, grant, members, config.organization_id, compact=compact))
    return document(statements)
