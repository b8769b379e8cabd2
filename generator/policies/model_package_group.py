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

    # deploy_role: the deploy roles of the accounts that consume and deploy
    # this group are named in the consumers' DescribeModelPackage statements
    # (CreateModel from a package in another account describes it as the
    # caller): the same gate as the account's consumers, for ~45 characters
    # per account instead of statements of their own.
    deploying = set(deploy_role.group_deploy_accounts(config, group))

    def add(sid_prefix: str, names: list[str], grants, keep=lambda grant: True, party: str = "") -> None:
        members = party_members(config, arns, names)
        readers = members
        if party == "consumers" and deploying & set(names):
            readers = deploy_role.with_deploy_roles(config, members, deploying & set(names))
        for grant in grants:
            if grant.service == "sagemaker" and keep(grant):
                who = readers if grant.actions == ("sagemaker:DescribeModelPackage",) else members
                statements.extend(cross_account_statements(f"{sid_prefix}{grant.name}", grant, who, org, compact=compact))

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
                        group_grants(arns, group, party, lifecycle, stage), party=party)
            continue
        add(PARTY_TITLES[party], names, group_grants(arns, group, party, lifecycle), party=party)
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
    return document(statements)
