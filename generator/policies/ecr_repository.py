"""One ECR repository policy per repository (registry account).

Developers of the repository's model groups push, their consumers and
deployers pull; every grant names the party's accounts narrowed to the
listed roles by aws:PrincipalArn, with the organization guard, exactly as
the other registry policies do (generator/policies/common.py).

A repository policy applies to the repository it is set on and has no
Resource element: ECR rejects one that has it ("Invalid repository policy
provided"; https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html
shows statements without Resource).
"""

from __future__ import annotations

from generator.access import PARTY_TITLES, party_members, repository_grants
from generator.arns import Arns
from generator.config import PARTIES, Config
from generator.config.ecr import repository_accounts
from generator.policies.common import cross_account_statements, document


def build(config: Config, arns: Arns, repository: str, compact: bool = False) -> dict:
    statements = []
    for party in PARTIES:
        names = repository_accounts(config, repository, party)
        if not names:
            continue
        members = party_members(config, arns, names)
        for grant in repository_grants(arns, repository, party):
            sid = f"{PARTY_TITLES[party]}{grant.name}"
            for stmt in cross_account_statements(sid, grant, members, config.organization_id, compact=compact):
                del stmt["Resource"]
                statements.append(stmt)
    return document(statements)
