"""The optional ``ecr_repositories:`` section of accounts.yaml.

Inference images live in ECR repositories in the registry account, next to
the model package groups. Each repository serves one or more model groups:
the groups' developers push images to it, their consumers and deployers
pull them (docs/ecr.md). The grants themselves are in
generator/access.py; this module only validates the section and answers
"which accounts are which party of a repository".
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from generator.errors import ConfigError, ErrorCollector
from generator.names import NAME_MAX, TEMP_EXTRA

# Repository names, as the ECR API validates them (botocore's service
# model, CreateRepository/SetRepositoryPolicy repositoryName: 2-256
# characters; https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html):
# lowercase components separated by '.', '_', '__' or runs of '-', and
# namespaces separated by '/'.
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
REPOSITORY_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
# AWS allows 256 characters; a repository's policy file is
# ecr-repository-NAME.json (the repository kind's repository_file), and it
# and the writer's temporary name beside it must fit the file system's
# 255-byte file name limit, so here at most 208 (pinned against the kind's
# file name by tests/test_hostile_writer.py).
MAX_NAME = NAME_MAX - TEMP_EXTRA - len("ecr-repository-.json")
REPOSITORY_JSON = {"pattern": REPOSITORY_RE.pattern, "minLength": 2, "maxLength": MAX_NAME}


def _repository(value: str) -> str:
    if len(value) > MAX_NAME and len(value) <= 256:
        raise ValueError(
            f"is {len(value)} characters; AWS allows 256, but its policy file ecr-repository-NAME.json and the "
            f"writer's temporary name must fit the file system's {NAME_MAX}-byte file name limit: at most {MAX_NAME}"
        )
    if not 2 <= len(value) <= 256:
        raise ValueError("an ECR repository name is 2-256 characters")
    if not REPOSITORY_RE.fullmatch(value):
        raise ValueError(
            "must be an ECR repository name: lowercase letters and digits, separated by '.', '_' or '-', "
            "with '/' between namespaces (ml/shared-base)"
        )
    return value


RepositoryName = Annotated[str, Field(strict=True, json_schema_extra=REPOSITORY_JSON), AfterValidator(_repository)]


class EcrRepository(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model_groups: list[Annotated[str, Field(strict=True)]] = Field(
        min_length=1,
        description=(
            "Model groups whose images this repository holds: their developers push, "
            "their consumers and deployers pull."
        ),
        json_schema_extra={"uniqueItems": True},
    )


ECR_FIELD_DESCRIPTION = (
    "ECR repositories in the registry account for inference images: name -> {model_groups: [...]}. "
    "Developers of the groups push, their consumers and deployers pull."
)

# Which parties get which access to a repository (the grants are in
# generator/access.py): developers push, readers pull, approvers nothing.
PUSHERS = ("developers",)
PULLERS = ("consumers", "deployers")


def check_ecr(config) -> None:
    """Cross-references of the section: known groups, each listed once, and
    a repository that grants somebody something. Every repository is
    checked; all their errors are raised together (ErrorCollector)."""
    errors = ErrorCollector()
    for name, repository in config.ecr_repositories.items():
        errors.run(_check_repository, config, name, repository)
    errors.raise_if_any()


def _check_repository(config, name: str, repository: EcrRepository) -> None:
    key = f"ecr_repositories.{name}.model_groups"
    for index, group in enumerate(repository.model_groups):
        if group not in config.model_groups:
            raise ConfigError(f"{key}[{index}]", f"'{group}' is not declared under model_groups")
        if repository.model_groups.index(group) != index:
            raise ConfigError(f"{key}[{index}]", f"'{group}' is listed twice")
    if not any(repository_accounts(config, name, party) for party in PUSHERS + PULLERS):
        raise ConfigError(key, "no account would push or pull: the groups list no developers, consumers or deployers")


def repository_accounts(config, repository: str, party: str) -> list[str]:
    """Account names of ``party`` for a repository: the union over its groups, sorted."""
    names: set[str] = set()
    for group in config.ecr_repositories[repository].model_groups:
        names.update(config.party_accounts(group, party))
    return sorted(names)


def group_repositories(config, group: str) -> tuple[str, ...]:
    """The repositories that serve ``group`` (``model_groups`` lists it), sorted."""
    return tuple(sorted(name for name, repo in config.ecr_repositories.items() if group in repo.model_groups))


def memberships(config) -> dict[str, list[tuple[str, str]]]:
    """{account name: [(repository, party)]}, each list sorted: one pass
    over the section, for builders that ask per account."""
    out: dict[str, set[tuple[str, str]]] = {}
    for name in sorted(config.ecr_repositories):
        for party in PUSHERS + PULLERS:
            for account in repository_accounts(config, name, party):
                out.setdefault(account, set()).add((name, party))
    return {account: sorted(pairs) for account, pairs in out.items()}
