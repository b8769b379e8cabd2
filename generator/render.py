"""Config -> every rendered policy, in memory, deterministic.

Nothing here touches the file system: :func:`render` returns the files to
write (relative path -> text) and the writer decides what changes on disk.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from dataclasses import dataclass, field
from functools import cached_property
from json.encoder import encode_basestring as _escape  # the C escaper where available

from generator import events, limits, roles, terraform
from generator.arns import Arns
from generator.config import Config
from generator.config.deploy import DEFAULT_MANAGED_POLICIES, MAX_MANAGED_POLICIES
from generator.config.guardrails import ORGANIZATION_DIR
from generator.errors import ConfigError, PolicyTooLarge
from generator.names import role_slug
from generator.policies import (
    deploy_role,
    ecr_repository,
    event_bus_policy,
    event_role,
    event_rule,
    guardrail_common,
    iam_role,
    kms_key,
    model_package_group,
    resource_control_policy,
    s3_access_point,
    s3_bucket,
    service_control_policy,
)

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class RenderedPolicy:
    account: str
    account_id: str
    kind: str
    target: str
    path: str  # relative to the output directory
    text: str  # the file content, serialized once
    extra: dict = field(default_factory=dict)  # model_group / role / ..., for consumers of the manifest

    @cached_property
    def document(self) -> dict:
        return json.loads(self.text)

    @classmethod
    def of(cls, account: str, account_id: str, kind: str, target: str, path: str, document: dict,
           extra: dict | None = None, text: str | None = None) -> "RenderedPolicy":
        policy = cls(account, account_id, kind, target, path, text if text is not None else to_json(document),
                     dict(extra or {}))
        policy.__dict__["document"] = document  # already built: no need to parse the text back
        return policy

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
    """``json.dumps(document, indent=2, ensure_ascii=False) + "\\n"``, faster.

    The standard library pretty-prints with its pure-Python encoder (its C
    encoder only does compact output); at 10,000 groups that is most of the
    render time. This walks the only shapes policies have (dicts, lists,
    strings) with the C string escaper and hands anything else to json.
    tests/test_render_output.py pins byte equality with json.dumps.
    """
    parts: list[str] = []
    _pretty(document, "", parts.append)
    parts.append("\n")
    return "".join(parts)


def _pretty(value, pad: str, append) -> None:
    kind = type(value)
    if kind is str:
        append(_escape(value))
    elif kind is dict:
        if not value:
            append("{}")
            return
        inner = pad + "  "
        separator = "{\n" + inner
        for key, item in value.items():
            append(separator)
            append(_escape(key) if type(key) is str else json.dumps(str(key)))
            append(": ")
            _pretty(item, inner, append)
            separator = ",\n" + inner
        append("\n" + pad + "}")
    elif kind is list or kind is tuple:
        if not value:
            append("[]")
            return
        inner = pad + "  "
        separator = "[\n" + inner
        for item in value:
            append(separator)
            _pretty(item, inner, append)
            separator = ",\n" + inner
        append("\n" + pad + "]")
    else:
        append(json.dumps(value, ensure_ascii=False))


def _fitted(kind: str, build, extra: dict | None = None) -> tuple:
    """The explicit form of a registry policy, or the compact form when the
    explicit one is over the kind's size limit (same grants; see
    policies.common.principal_blocks). Returns (document, text), or
    (document, extra, text) when ``extra`` is given."""
    doc = build(False)
    text = to_json(doc)
    if limits.check(kind, text, doc) is not None:
        doc = build(True)
        text = to_json(doc)
    return (doc, text) if extra is None else (doc, extra, text)


# Below this many groups, starting worker processes costs more than it saves.
PARALLEL_FROM_GROUPS = 2000
_SHARED: tuple | None = None  # what forked workers inherit: (config, arns, first failed chunk)


def _group_policies(config: Config, arns: Arns, group: str) -> list[RenderedPolicy]:
    """The registry policies of one model group: its group policy and, with
    s3_layout: access_points, its access point policy."""
    registry, reg_id = config.registry.account, arns.registry_id
    doc, text = _fitted("model_package_group_policy", lambda c: model_package_group.build(config, arns, group, c))
    if not doc["Statement"]:
        raise ConfigError(
            f"model_groups.{group}",
            "no account is granted anything on this group (list developers, consumers, deployers or approvers)",
        )
    out = [
        RenderedPolicy.of(registry, reg_id, "model_package_group_policy", arns.group_arn(group),
                          f"{registry}/policies/model-package-group-{group}.json", doc, {"model_group": group}, text)
    ]
    if config.registry.s3_layout == "access_points":
        doc, text = _fitted("s3_access_point_policy", lambda c: s3_access_point.build(config, arns, group, c))
        if doc["Statement"]:
            out.append(
                RenderedPolicy.of(registry, reg_id, "s3_access_point_policy", arns.access_point_arn(group),
                                  f"{registry}/policies/s3-access-point-{group}.json", doc,
                                  {"model_group": group, "access_point": arns.access_point_name(group)}, text)
            )
    return out


def repository_file(name: str) -> str:
    """File-name form of a repository: '/' -> '+' ('.' and '_' may be in
    the name itself, '+' never is, so two repositories never share a file)."""
    return f"ecr-repository-{name.replace('/', '+')}.json"


def _repository_policy(config: Config, arns: Arns, name: str) -> RenderedPolicy:
    """The repository policy of one ECR repository (ecr_repositories)."""
    registry, reg_id = config.registry.account, arns.registry_id
    doc, text = _fitted("ecr_repository_policy", lambda c: ecr_repository.build(config, arns, name, c))
    return RenderedPolicy.of(registry, reg_id, "ecr_repository_policy", arns.repository_arn(name),
                             f"{registry}/policies/{repository_file(name)}", doc, {"repository": name}, text)


def _item_policies(config: Config, arns: Arns, item: tuple[str, str]) -> list[RenderedPolicy]:
    kind, name = item
    return _group_policies(config, arns, name) if kind == "group" else [_repository_policy(config, arns, name)]


def _render_chunk(task: tuple[int, list[tuple[str, str]]]) -> list[tuple]:
    """Worker: the policies of some groups and repositories, as plain tuples
    (cheap to send back; the parent parses a document again only if someone
    asks for it). A chunk after one that failed is skipped (its policies
    are never used: the first failure in order is raised)."""
    index, items = task
    config, arns, failed = _SHARED
    if index > failed.value:
        return []
    try:
        return [
            (p.account, p.account_id, p.kind, p.target, p.path, p.text, p.extra)
            for item in items
            for p in _item_policies(config, arns, item)
        ]
    except BaseException:
        failed.value = min(failed.value, index)  # a lost race only skips fewer chunks
        raise


# The most items one worker task builds: workers take the next task as they
# finish one, so a slow stretch (group policies) and a fast one (repository
# policies) are shared out evenly, and a worker holds one task's policies at
# a time. With one contiguous half each, the worker given the groups ran
# alone for most of the render at 500 x 10,000 and grew to 604 MiB.
CHUNK_ITEMS = 256


def _all_group_policies(config: Config, arns: Arns) -> list[RenderedPolicy]:
    """Per-group and per-repository policies are independent: for large
    configs they are built in forked worker processes, one per core, in
    contiguous chunks of at most CHUNK_ITEMS, each worker taking the next
    chunk when it is done. The result is the same list, in the same order,
    as the serial loop, and a problem is the first in that order."""
    global _SHARED
    items = [("group", g) for g in sorted(config.model_groups)]
    items += [("repository", r) for r in sorted(config.ecr_repositories)]
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_FROM_GROUPS or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [p for item in items for p in _item_policies(config, arns, item)]
    size = max(1, min(CHUNK_ITEMS, -(-len(items) // (workers * 8))))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    failed = context.RawValue("q", len(chunks))  # the first chunk in order that failed, as far as known
    _SHARED = (config, arns, failed)
    pool = context.Pool(workers)
    try:
        return [RenderedPolicy(*row) for rows in pool.imap(_render_chunk, enumerate(chunks)) for row in rows]
    except BaseException:
        failed.value = -1  # the workers skip what is left
        raise
    finally:
        # Closed and joined, never terminated: Pool.terminate() could hang
        # here, its task handler waiting on the workers' queue forever (seen
        # once in a full test run after a worker raised). The workers skip
        # every chunk left after a failure, so joining is quick.
        pool.close()
        pool.join()
        _SHARED = None


def build_policies(config: Config) -> list[RenderedPolicy]:
    arns = Arns.of(config)
    registry = config.registry.account
    reg_id = arns.registry_id
    policies = [
        RenderedPolicy.of(registry, reg_id, "s3_bucket_policy", arns.bucket_arn,
                          f"{registry}/policies/s3-bucket-policy.json",
                          *_fitted("s3_bucket_policy", lambda c: s3_bucket.build(config, arns, c), {})),
        RenderedPolicy.of(registry, reg_id, "kms_key_policy", arns.alias_arn,
                          f"{registry}/policies/kms-key-policy.json",
                          *_fitted("kms_key_policy", lambda c: kms_key.build(config, arns, c), {})),
    ]
    if config.registry.s3_layout == "access_points":
        seen_points: dict[str, str] = {}
        for group in sorted(config.model_groups):
            name = arns.access_point_name(group)
            if name in seen_points:
                raise ConfigError(f"model_groups.{group}", f"access point name {name} is also used by '{seen_points[name]}'")
            seen_points[name] = group
    policies.extend(_all_group_policies(config, arns))
    seen: dict[str, str] = {}
    for (account, role), (doc, scope) in iam_role.build(config, arns).items():
        account_id = config.accounts[account].id
        path = f"{account}/policies/iam-role-{role_slug(role)}.json"
        if path in seen:
            raise ConfigError(f"accounts.{account}.roles", f"roles '{seen[path]}' and '{role}' map to the same file {path}")
        seen[path] = role
        policies.append(
            RenderedPolicy.of(account, account_id, "iam_role_policy", arns.role_target(account_id, role), path, doc,
                              {"role": role, "scope": scope})
        )
    policies.extend(_deploy_role_policies(config, arns))
    policies.extend(guardrail_policies(config, arns))
    policies.extend(_event_policies(config, arns))
    return sorted(policies, key=lambda p: (p.account, p.path))


def _deploy_role_policies(config: Config, arns: Arns) -> list[RenderedPolicy]:
    """deploy_role: in each workload account that deploys a group, the
    deploy role's trust policy and permissions, and the trust policy its
    SageMaker execution roles need (a document for their owners)."""
    out = []
    for target in deploy_role.targets(config):
        name = config.deploy_role.name
        base = f"{target.account}/policies/deploy-role-{role_slug(name)}"
        trust, text = _fitted("iam_role_trust_policy",
                              lambda c: deploy_role.trust_document(config, arns, target, c))
        out.append(RenderedPolicy.of(target.account, target.account_id, "iam_role_trust_policy", target.role_arn,
                                     f"{base}-trust.json", trust, {"role": name, "trust": "deploy-role"}, text))
        documents = deploy_role.permission_documents(config, arns, target)
        most = config.deploy_role.max_managed_policies
        if len(documents) > most:
            raise_quota = (
                f"request an increase of the account's IAM quota of managed policies per role (up to "
                f"{MAX_MANAGED_POLICIES}) and raise the setting, or " if most < MAX_MANAGED_POLICIES else ""
            )
            raise PolicyTooLarge(
                f"{base}.json: the deploy role of {target.account} needs {len(documents)} managed policies of "
                f"6,144 characters for its {len(target.groups)} groups even in its compact form, over "
                f"deploy_role.max_managed_policies ({most}), the account's quota (IAM's default: {DEFAULT_MANAGED_POLICIES} per role); "
                f"{raise_quota}split the account's groups over more workload accounts"
            )
        for index, doc in enumerate(documents, 1):
            extra = {"role": name, "scope": "deploy-role"}
            path = f"{base}.json"
            if len(documents) > 1:
                extra["part"] = index
                path = f"{base}-{index}.json"
            out.append(RenderedPolicy.of(target.account, target.account_id, "iam_role_policy", target.role_arn,
                                         path, doc, extra))
        for role in config.accounts[target.account].roles:
            if "*" in role or roles.is_sso(role):
                continue  # a pattern names no one role; only AWS sets an Identity Center role's trust
            out.append(RenderedPolicy.of(
                target.account, target.account_id, "iam_role_trust_policy", arns.role_arn(target.account_id, role),
                f"{target.account}/policies/sagemaker-execution-role-trust-{role_slug(role)}.json",
                deploy_role.execution_role_trust_document(target.account_id),
                {"role": role, "trust": "sagemaker-execution-role"},
            ))
    return out


# At most five SCPs (and five RCPs) attach to one root, OU or account (AWS
# Organizations quotas); FullAWSAccess / RCPFullAWSAccess take one place.
GUARDRAIL_POLICIES_PER_TARGET = 4
GUARDRAIL_NAMES = {
    "service_control_policy": ("model-registry-guardrails", "scp"),
    "resource_control_policy": ("model-registry-resource-guardrails", "rcp"),
}


def guardrail_policies(config: Config, arns: Arns) -> list[RenderedPolicy]:
    """The organization's SCPs and RCPs (guardrails:), packed into as few
    policies as fit 5,120 characters each, in the organization root."""
    if config.guardrails is None:
        return []
    account_id = config.guardrails.management_account or ""
    out = []
    for kind, builder in (("service_control_policy", service_control_policy),
                          ("resource_control_policy", resource_control_policy)):
        stem, short = GUARDRAIL_NAMES[kind]
        try:
            packed = guardrail_common.pack(builder.statements(config, arns), limits.ORGANIZATION_POLICY_SIZE,
                                           GUARDRAIL_POLICIES_PER_TARGET, limits.LIMITS[kind].name)
        except ValueError as exc:
            raise PolicyTooLarge(
                f"{ORGANIZATION_DIR}/policies/{short}-*.json: {exc}; fewer role names or accounts per exemption, "
                "or drop guardrails:"
            ) from None
        for index, statements in enumerate(packed, 1):
            name = stem if len(packed) == 1 else f"{stem}-{index}"
            out.append(RenderedPolicy.of(
                ORGANIZATION_DIR, account_id, kind, name, f"{ORGANIZATION_DIR}/policies/{short}-{name}.json",
                {"Version": "2012-10-17", "Statement": statements}, {"policy_name": name},
            ))
    return out


def _event_policies(config: Config, arns: Arns) -> list[RenderedPolicy]:
    """Approval events (generator/events.py): the rules and the rule role's
    policy in the registry account, a bus policy in each receiving account."""
    rules = events.plan(config)
    if not rules:
        return []
    registry, reg_id = config.registry.account, arns.registry_id
    out = [
        RenderedPolicy.of(registry, reg_id, "event_rule", events.rule_arn(arns, rule.name),
                          f"{registry}/policies/event-rule-{rule.name}.json", event_rule.build(config, arns, rule),
                          {"rule": rule.name})
        for rule in rules
    ]
    doc, scope = event_role.build(config, arns)
    out.append(RenderedPolicy.of(registry, reg_id, "iam_role_policy", events.role_arn(arns),
                                 f"{registry}/policies/iam-role-{events.ROLE_NAME}.json", doc,
                                 {"role": events.ROLE_NAME, "scope": scope}))
    for account in events.receivers(config):
        account_id = config.accounts[account].id
        out.append(RenderedPolicy.of(account, account_id, "event_bus_policy", events.bus_arn(arns, account_id),
                                     f"{account}/policies/event-bus-policy.json",
                                     event_bus_policy.build(config, arns, account), {"bus": events.BUS_NAME}))
    return out


def check_sizes(policies: list[RenderedPolicy]) -> None:
    for policy in policies:
        # Only the whitespace-free measure needs the parsed document.
        needs_document = not limits.LIMITS[policy.kind].whitespace_counts
        over = limits.check(policy.kind, policy.text, policy.document if needs_document else None)
        if over:
            size, limit = over
            raise PolicyTooLarge(
                f"{policy.path}: {limit.name} is {size:,} {limit.unit}, over the AWS limit of "
                f"{limit.size:,}{_advice(policy.kind)}"
            )


def _advice(kind: str) -> str:
    if kind == "s3_bucket_policy":
        return ("; set registry.s3_layout: access_points (one access point per model group, see docs/limits.md, 'Scaling'),"
                " and with access points registry.access_point_prefix")
    return "; split the config (fewer accounts or role sets per group) or shorten role lists"


def render(config: Config) -> dict[str, str]:
    """All output files: {relative path: text}, manifest and Terraform roots included."""
    policies = build_policies(config)
    check_sizes(policies)
    files = {p.path: p.text for p in policies}
    files.update(terraform.render(config, policies))
    # "files": every other file of this render. The writer owns exactly
    # these on the next render (never a user's file that merely looks
    # generated); readers can tell a complete render from a partial one.
    files[MANIFEST] = to_json({"policies": [p.manifest_entry() for p in policies], "files": sorted(files)})
    return files
