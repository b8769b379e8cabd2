"""Settings, clients and the refusal every handler raises."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


class Refused(Exception):
    """The event is not acted on; the message says why. Lambda counts it as a
    failed invocation: it is retried, then sent to the dead-letter queue,
    where an operator sees it."""


@dataclass(frozen=True)
class GroupSettings:
    accounts: tuple[str, ...]  # development account ids allowed to send this group
    repositories: tuple[str, ...] = ()  # ECR repositories of the group's images


@dataclass(frozen=True)
class Settings:
    partition: str
    region: str
    registry_account: str
    bucket: str
    groups: dict = field(default_factory=dict)  # group -> GroupSettings
    first_stage: str | None = None
    stage_record_table: str | None = None  # the stage record's table (stage_record.py); None: not kept

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        raw = json.loads(text)
        groups = {name: GroupSettings(tuple(g["accounts"]), tuple(g.get("repositories", ())))
                  for name, g in raw["groups"].items()}
        return cls(raw["partition"], raw["region"], raw["registry_account"], raw["bucket"], groups,
                   raw.get("first_stage"), raw.get("stage_record_table"))

    def to_json(self) -> str:
        raw = {
            "partition": self.partition, "region": self.region, "registry_account": self.registry_account,
            "bucket": self.bucket, "first_stage": self.first_stage,
            "groups": {name: {"accounts": list(g.accounts), "repositories": list(g.repositories)}
                       for name, g in sorted(self.groups.items())},
        }
        if self.stage_record_table:
            raw["stage_record_table"] = self.stage_record_table
        return json.dumps(raw, indent=2, sort_keys=True) + "\n"


@dataclass
class Clients:
    """boto3 clients. ``source_sagemaker(account)`` describes a local version:
    in AWS the registry's own client (the local group policy lets the
    function's role describe across accounts); the local AWS server has no
    cross-account SageMaker, so tests give a client into that account."""

    s3: object
    sagemaker: object
    ecr: object
    source_sagemaker: object = None  # callable(account_id) -> client
    dynamodb: object = None  # the stage record's table (stage_record.py)

    @classmethod
    def default(cls, region: str) -> "Clients":
        import boto3

        sagemaker = boto3.client("sagemaker", region_name=region)
        return cls(boto3.client("s3", region_name=region), sagemaker, boto3.client("ecr", region_name=region),
                   lambda account: sagemaker, boto3.client("dynamodb", region_name=region))
