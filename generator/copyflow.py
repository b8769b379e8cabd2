"""Promote by copy (``registration: copy``): names and ARNs of what the copy flow adds.

A data scientist registers a version in the development account's own
group of the same name; its approval there sends a ``SageMaker Model
Package State Change`` event (source ``aws.sagemaker``) to the account's
default bus
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-model-package).
A rule there forwards it, through a rule role, to a bus in the registry
account that only those rule roles may put on
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html); a rule on
that bus invokes the registry function, which copies the artifacts to
``released/<group>/`` and registers the central version (docs/copy.md).

Every name is fixed so that each half of each grant can name the other
before either exists.
"""

from __future__ import annotations

from generator import events
from generator.arns import Arns
from generator.config import Config

FUNCTION_NAME = "model-registry-function"
ROLE_NAME = "model-registry-function"  # the function's execution role
BUS_NAME = "model-registry-copy"  # the receiving bus in the registry account
RULE_NAME = "model-registry-copy"  # the rule on that bus that invokes the function
QUEUE_NAME = "model-registry-function-dlq"
FORWARD_RULE_PREFIX = "model-registry-copy-"  # rules on each development account's default bus
FORWARD_ROLE_NAME = "model-registry-copy-forwarder"
SOURCE = events.SOURCE
DETAIL_TYPE = events.DETAIL_TYPE
APPROVED = "Approved"


def function_role_arn(arns: Arns) -> str:
    return arns.role_arn(arns.registry_id, ROLE_NAME)


def function_arn(arns: Arns) -> str:
    return f"arn:{arns.partition}:lambda:{arns.region}:{arns.registry_id}:function:{FUNCTION_NAME}"


def bus_arn(arns: Arns) -> str:
    return f"arn:{arns.partition}:events:{arns.region}:{arns.registry_id}:event-bus/{BUS_NAME}"


def rule_arn(arns: Arns) -> str:
    """The rule on the receiving bus: rule/BUS/NAME for a custom bus
    (Service Authorization Reference, EventBridge, rule-on-custom-event-bus)."""
    return f"arn:{arns.partition}:events:{arns.region}:{arns.registry_id}:rule/{BUS_NAME}/{RULE_NAME}"


def queue_arn(arns: Arns) -> str:
    return f"arn:{arns.partition}:sqs:{arns.region}:{arns.registry_id}:{QUEUE_NAME}"


def forward_rule_arns(arns: Arns, account_id: str) -> str:
    """The forwarding rules on a development account's default bus (rule/NAME)."""
    return f"arn:{arns.partition}:events:{arns.region}:{account_id}:rule/{FORWARD_RULE_PREFIX}*"


def forward_role_arn(arns: Arns, account_id: str) -> str:
    return arns.role_arn(account_id, FORWARD_ROLE_NAME)


def copy_developers(config: Config) -> list[str]:
    """Development accounts that develop at least one copy-mode group, sorted."""
    return sorted({a for g in config.copy_groups() for a in config.party_accounts(g, "developers")})


def copy_groups_of(config: Config, account: str) -> list[str]:
    return [g for g in config.copy_groups() if account in config.party_accounts(g, "developers")]


def forward_pattern(groups) -> dict:
    """Local approvals of the account's copy-mode groups, nothing else."""
    return {"source": [SOURCE], "detail-type": [DETAIL_TYPE],
            "detail": {"ModelApprovalStatus": [APPROVED], "ModelPackageGroupName": sorted(groups)}}


def function_settings(config: Config) -> str:
    """The registry function's settings (its REGISTRY_FUNCTION_SETTINGS), as JSON."""
    from generator.config.stages import stage_names
    from generator.registry_function.common import GroupSettings, Settings

    groups = {}
    for group in config.copy_groups():
        ids = tuple(sorted(config.accounts[a].id for a in config.party_accounts(group, "developers")))
        repos = tuple(sorted(n for n, r in config.ecr_repositories.items() if group in r.model_groups))
        groups[group] = GroupSettings(ids, repos)
    stages = stage_names(config)
    return Settings(config.partition, config.region, config.registry_account.id, config.registry.artifact_bucket,
                    groups, stages[0] if stages else None).to_json()


def forward_rules(config: Config, account: str) -> list[tuple[str, tuple[str, ...]]]:
    """[(rule name, groups)] on a development account's default bus: its
    copy-mode groups, listed, chunked so each pattern fits 2,048 characters
    (EventBridge quotas, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html)."""
    import json

    rules, current = [], []
    for group in copy_groups_of(config, account):
        size = len(json.dumps(forward_pattern(current + [group]), separators=(",", ":")))
        if current and size > events.MAX_PATTERN:
            rules.append(tuple(current))
            current = []
        current.append(group)
    if current:
        rules.append(tuple(current))
    return [(f"{FORWARD_RULE_PREFIX}{index}", groups) for index, groups in enumerate(rules, 1)]


def receive_pattern() -> dict:
    """Approvals on the receiving bus: the bus policy decides who may send,
    and the function checks each event's account and group itself."""
    return {"source": [SOURCE], "detail-type": [DETAIL_TYPE], "detail": {"ModelApprovalStatus": [APPROVED]}}


# The function's code, as the registry root's Terraform deploys it: the
# registry_function subpackage under an empty ``generator`` package (the
# rest of the generator is not shipped). Byte-identical across renders and
# machines: entries sorted, a fixed timestamp and mode, stored (no
# compression, whose bytes could differ between zlib versions).
FUNCTION_DIR = "registry-function"
ZIP_NAME = "registry-function.zip"
SETTINGS_NAME = "settings.json"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_MODE = 0o100644 << 16


def function_zip() -> bytes:
    import io
    import zipfile
    from pathlib import Path

    package = Path(__file__).resolve().parent / "registry_function"
    entries = {"generator/__init__.py": b""}
    for source in sorted(package.glob("*.py")):
        entries[f"generator/registry_function/{source.name}"] = source.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = _ZIP_MODE
            info.create_system = 3  # Unix, so the mode is read as one
            archive.writestr(info, entries[name])
    return buffer.getvalue()


def function_files(config: Config) -> dict[str, bytes | str]:
    """The registry function's rendered files, under the registry account's directory."""
    if not config.copy_groups():
        return {}
    base = f"{config.registry.account}/{FUNCTION_DIR}"
    return {f"{base}/{ZIP_NAME}": function_zip(), f"{base}/{SETTINGS_NAME}": function_settings(config)}
