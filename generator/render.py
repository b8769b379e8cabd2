"""Config -> every rendered policy, in memory, deterministic.

Nothing here touches the file system: :func:`render` returns the files to
write (relative path -> text) and the writer decides what changes on disk.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from generator import limits, terraform
from generator.arns import Arns
from generator.config import Config
from generator.errors import ConfigError, PolicyTooLarge
from generator.policies import iam_role, kms_key, model_package_group, s3_bucket

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class RenderedPolicy:
    account: str
    account_id: str
    kind: str
    target: str
    path: str  # relative to the output directory
    document: dict
    extra: dict = field(default_factory=dict)  # model_group / role, for consumers of the manifest

    @property
    def text(self) -> str:
        return to_json(self.document)

    def manifest_entry(self) -> dict:
        entry = {
            "account": self.account,
            "account_id": self.account_id,
            "kind": self.kind,
            "target": self.target,
            "path": self.path,
        }
        entry.update(self.extra)
        return entry


def to_json(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def role_slug(role: str) -> str:
    """File-name form of a role entry: path '/' -> '.', '*' -> 'STAR'."""
    return re.sub(r"[^A-Za-z0-9_.+=,@-]", "_", role.replace("/", ".").replace("*", "STAR"))


def build_policies(config: Config) -> list[RenderedPolicy]:
    arns = Arns.of(config)
    registry = config.registry.account
    reg_id = arns.registry_id
    policies = [
        RenderedPolicy(registry, reg_id, "s3_bucket_policy", arns.bucket_arn,
                       f"{registry}/policies/s3-bucket-policy.json", s3_bucket.build(config, arns)),
        RenderedPolicy(registry, reg_id, "kms_key_policy", arns.alias_arn,
                       f"{registry}/policies/kms-key-policy.json", kms_key.build(config, arns)),
    ]
    for group in sorted(config.model_groups):
        doc = model_package_group.build(config, arns, group)
        if not doc["Statement"]:
            raise ConfigError(
                f"model_groups.{group}",
                "no account is granted anything on this group (list developers, consumers, deployers or approvers)",
            )
        policies.append(
            RenderedPolicy(registry, reg_id, "model_package_group_policy", arns.group_arn(group),
                           f"{registry}/policies/model-package-group-{group}.json", doc, {"model_group": group})
        )
    seen: dict[str, str] = {}
    for (account, role), doc in iam_role.build(config, arns).items():
        account_id = config.accounts[account].id
        path = f"{account}/policies/iam-role-{role_slug(role)}.json"
        if path in seen:
            raise ConfigError(f"accounts.{account}.roles", f"roles '{seen[path]}' and '{role}' map to the same file {path}")
        seen[path] = role
        policies.append(
            RenderedPolicy(account, account_id, "iam_role_policy", arns.role_arn(account_id, role), path, doc,
                           {"role": role})
        )
    return sorted(policies, key=lambda p: (p.account, p.path))


def check_sizes(policies: list[RenderedPolicy]) -> None:
    for policy in policies:
        over = limits.check(policy.kind, policy.text)
        if over:
            size, limit = over
            raise PolicyTooLarge(
                f"{policy.path}: {limit.name} is {size:,} {limit.unit}, over the AWS limit of "
                f"{limit.size:,}; split the grants (fewer groups or roles per policy) or shorten role lists"
            )


def render(config: Config) -> dict[str, str]:
    """All output files: {relative path: text}, manifest and Terraform roots included."""
    policies = build_policies(config)
    check_sizes(policies)
    files = {p.path: p.text for p in policies}
    files[MANIFEST] = to_json({"policies": [p.manifest_entry() for p in policies]})
    files.update(terraform.render(config, policies))
    return files
