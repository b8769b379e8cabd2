"""Shared fixtures: the worked example, rendered, and a who-can-do-what oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.config import config_from_text, load_config
from generator.evaluate import Decision, Request, decide
from generator.render import render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "accounts.yaml"


class World:
    """The rendered policies of one config, queried like AWS would be.

    ``can(role_arn, action, resource, **context)`` finds the identity policy
    attached to the role (from the manifest) and the registry resource
    policy that governs ``resource``, then evaluates both halves.
    """

    def __init__(self, files: dict[str, str]):
        self.files = files
        self.manifest = json.loads(files["manifest.json"])["policies"]
        self.docs = {e["path"]: json.loads(files[e["path"]]) for e in self.manifest}
        by_kind = {}
        for entry in self.manifest:
            by_kind.setdefault(entry["kind"], []).append(entry)
        self.bucket = by_kind["s3_bucket_policy"][0]
        self.key = by_kind["kms_key_policy"][0]
        self.groups = {e["target"]: e for e in by_kind["model_package_group_policy"]}
        self.roles = by_kind.get("iam_role_policy", [])
        self.registry_id = self.bucket["account_id"]
        self.bucket_arn = self.bucket["target"]
        self.region = self.key["target"].split(":")[3]
        self.alias = self.key["target"].split(":", 5)[5]
        self.key_arn = f"arn:aws:kms:{self.region}:{self.registry_id}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    def identity_policies(self, role_arn: str) -> list[dict]:
        from generator.evaluate import _glob

        return [self.docs[e["path"]] for e in self.roles if _glob(e["target"], role_arn)]

    def resource_policy(self, resource: str) -> dict | None:
        if resource.startswith(self.bucket_arn):
            return self.docs[self.bucket["path"]]
        if ":kms:" in resource:
            return self.docs[self.key["path"]]
        if ":model-package" in resource:
            group = resource.split("/")[1]
            prefix = resource.split(":model-package")[0]
            entry = self.groups.get(f"{prefix}:model-package-group/{group}")
            return self.docs[entry["path"]] if entry else None
        raise AssertionError(f"no registry resource policy for {resource}")

    def default_context(self, role_arn: str, resource: str, org: str | None) -> dict:
        context = {"aws:SecureTransport": "true", "aws:PrincipalArn": role_arn}
        if org:
            context["aws:PrincipalOrgID"] = org
        if resource.startswith(self.bucket_arn):
            context["aws:ResourceAccount"] = self.registry_id
        if ":kms:" in resource:
            context["kms:ResourceAliases"] = [self.alias]
        return context

    def decide(self, role_arn: str, action: str, resource: str, *, identity: list[dict] | None = None,
               org: str | None = "o-a1b2c3d4e5", **context) -> Decision:
        full = self.default_context(role_arn, resource, org)
        full.update({k.replace("__", ":"): v for k, v in context.items()})
        full = {k: v for k, v in full.items() if v is not None}
        policies = self.identity_policies(role_arn) if identity is None else identity
        return decide(Request(role_arn, action, resource, full), policies, self.resource_policy(resource), self.registry_id)

    def can(self, role_arn: str, action: str, resource: str, **kwargs) -> bool:
        return self.decide(role_arn, action, resource, **kwargs).allowed


@pytest.fixture(scope="session")
def example_config():
    return load_config(EXAMPLE)


@pytest.fixture(scope="session")
def example_files(example_config) -> dict[str, str]:
    return render(example_config)


@pytest.fixture(scope="session")
def world(example_files) -> World:
    return World(example_files)


def world_from_text(text: str) -> World:
    return World(render(config_from_text(text)))
