"""One resource policy per model package group (registry account).

Set by the apply helper with PutModelPackageGroupPolicy (or by Terraform
when the config hands group policies to it). Only actions that take the
model-package-group or model-package resource types belong here:
sagemaker:CreateModel takes the model type and would have no effect.

With ``stages``, the registry half alone enforces the stage rules
(generator/access.py, ``_staged``): consumers are grouped by their stage,
and each stage's approvers get their own statements.
"""

from __future__ import annotations

from generator.access import PARTY_TITLES, Lifecycle, group_grants, party_members
from generator.arns import Arns
from generator.config import PARTIES, Config
from generator.config.stages import account_stage, stage_approvers
from generator.names import camel
from generator.policies import deploy_role
from generator.policies.common import cross_account_statements, document

# Stage approvers' read grants are the same for every stage: one statement
# for all of them keeps the group policy small.
STAGE_READ_GRANTS = ("DescribeGroup", "ReadVersions")


def build(config: Config, arns: Arns, group: str, compact: bool = False) -> dict:
    lifecycle = Lifecycle.of(config)
    statements = []
    org = config.organization_id

    def add(sid_prefix: str, names: list[str], grants, keep=lambda grant: True) -> None:
        members = party_members(config, arns, names)
        for grant in grants:
            if grant.service == "sagemaker" and keep(grant):
                statements.extend(cross_account_statements(f"{sid_prefix}{grant.name}", grant, members, org, compact=compact))

    for party in PARTIES:
        names = config.party_accounts(group, party)
        if not names:
            continue
        if party == "consumers" and lifecycle:
            by_stage: dict[str, list[str]] = {}
            for name in names:
                by_stage.setdefault(account_stage(config, name), []).append(name)
            for stage in lifecycle.stages:
                if stage in by_stage:
                    add(f"{PARTY_TITLES[party]}{camel(stage)}", by_stage[stage],
                        group_grants(arns, group, party, lifecycle, stage))
            continue
        add(PARTY_TITLES[party], names, group_grants(arns, group, party, lifecycle))
    if lifecycle:
        # Stage approvers that already read the group as its approvers need no second copy.
        readers = set(config.party_accounts(group, "approvers"))
        everyone = sorted({name for stage in lifecycle.stages for name in stage_approvers(config, stage)} - readers)
        title = PARTY_TITLES["stage_approvers"]
        if everyone:
            add(title, everyone, group_grants(arns, group, "stage_approvers", lifecycle, lifecycle.first),
                lambda grant: grant.name in STAGE_READ_GRANTS)
        for stage in lifecycle.stages:
            add(title, stage_approvers(config, stage), group_grants(arns, group, "stage_approvers", lifecycle, stage),
                lambda grant: grant.name not in STAGE_READ_GRANTS)
    # The deploy roles of the group's consumer accounts (deploy_role): the
    # same DescribeModelPackage as those accounts' consumers (stage gate
    # included), for CreateModel from the package.
    by_stage: dict[str | None, list[str]] = {}
    for name in deploy_role.group_deploy_accounts(config, group):
        by_stage.setdefault(account_stage(config, name), []).append(name)
    for stage, names in sorted(by_stage.items(), key=lambda item: lifecycle.index(item[0]) if item[0] else 0):
        members = deploy_role.deploy_role_party(config, arns, names)
        for grant in deploy_role.describe_versions_grants(config, arns, group, names[0]):
            sid = f"DeployRoles{camel(stage) if stage else ''}{grant.name}"
            statements.extend(cross_account_statements(sid, grant, members, org, compact=compact))
    return document(statements)
