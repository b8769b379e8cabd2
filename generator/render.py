"""Config -> every rendered policy, in memory, deterministic.

Nothing here touches the file system: :func:`render` returns the files to
write (relative path -> text) and the writer decides what changes on disk.
What is rendered is what the registry of kinds (generator/kinds/) holds:
each kind renders its own documents; this module runs them, spreads the
per-group and per-repository ones over processes at scale, checks every
document against its kind's size limit and adds the Terraform roots and
the manifest.
"""

from __future__ import annotations

import multiprocessing
import os

from dataclasses import dataclass

from generator import collector, copyflow, kinds, quotas, terraform
from generator.arns import Arns
from generator.config import Config
from generator.errors import ConfigError, PolicyTooLarge
from generator.names import NAME_MAX, TEMP_EXTRA
from generator.kinds.base import Kind, Limit, RenderedPolicy, to_json  # noqa: F401  (part of this module's interface)

MANIFEST = "manifest.json"


# Below this many groups, starting worker processes costs more than it saves.
PARALLEL_FROM_GROUPS = 2000
_SHARED: tuple | None = None  # what forked workers inherit: (config, arns, first failed chunk)


def _item_policies(config: Config, arns: Arns, item: tuple[str, str]) -> list[RenderedPolicy]:
    name, value = item
    return kinds.get(name).render_item(config, arns, value)


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


def _all_item_policies(config: Config, arns: Arns, only=None) -> list[RenderedPolicy]:
    """Per-group and per-repository policies (kinds that render by item) are independent: for large
    configs they are built in forked worker processes, one per core, in
    contiguous chunks of at most CHUNK_ITEMS, each worker taking the next
    chunk when it is done. The result is the same list, in the same order,
    as the serial loop, and a problem is the first in that order."""
    global _SHARED
    items = [(kind.name, item) for kind in kinds.ALL if kind.items is not None and (only is None or only(kind))
             for item in kind.items(config, arns)]
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


def build_policies(config: Config, only=None) -> list[RenderedPolicy]:
    """Every kind's documents, in the kinds' render order (so the first
    problem found is the same each time), sorted by account and path.
    ``only(kind)``: render just the kinds it accepts (lint and report ask
    for the kinds whose statements can carry lifecycle conditions). The
    cyclic collector is paused meanwhile, in the forked workers too
    (generator/collector.py: documents are trees)."""
    with collector.paused():
        return _build_policies(config, only)


def each_policy(config: Config, only=None):
    """:func:`build_policies` one policy at a time, in this process, unsorted:
    the kinds' render order and, within the kinds that render by item, the
    items' order, so the first problem raised is the one build_policies
    raises. For a reader that keeps a little of each document (lint's and
    report's lifecycle comparison): no document is held after it is read,
    and no worker is forked from a process that holds a whole render."""
    arns = Arns.of(config)
    items_done = False
    for kind in kinds.ALL:
        if only is not None and not only(kind):
            continue
        if kind.render is not None:
            yield from kind.render(config, arns)
        elif kind.items is not None and not items_done:
            items_done = True
            for every in kinds.ALL:  # every by-item kind at once, as _all_item_policies
                if every.items is not None and (only is None or only(every)):
                    for item in every.items(config, arns):
                        yield from _item_policies(config, arns, (every.name, item))


def _build_policies(config: Config, only) -> list[RenderedPolicy]:
    arns = Arns.of(config)
    policies: list[RenderedPolicy] = []
    items_done = False
    for kind in kinds.ALL:
        if only is not None and not only(kind):
            continue
        if kind.render is not None:
            policies.extend(kind.render(config, arns))
        elif kind.items is not None and not items_done:
            policies.extend(_all_item_policies(config, arns, only))  # every by-item kind at once
            items_done = True
    return sorted(policies, key=lambda p: (p.account, p.path))


@dataclass(frozen=True)
class Tightest:
    """The policy of a kind closest to its size limit."""

    kind: Kind
    size: int
    policy: RenderedPolicy
    limit: Limit  # the limit that applied (a raised quota where the config declares one)

    @property
    def item(self) -> str:
        extra = self.policy.extra
        return extra.get("model_group") or extra.get("repository") or self.policy.path


def check_sizes(policies: list[RenderedPolicy], config: Config | None = None) -> dict[str, Tightest]:
    """Raise PolicyTooLarge on the first policy over its kind's limit (a
    raised quota where ``config`` declares one: Kind.limit_for); else the
    tightest policy of each kind (the first, in order, among equals)."""
    tightest: dict[str, Tightest] = {}
    for policy in policies:
        kind = kinds.get(policy.kind)
        # Only the whitespace-free measure needs the parsed document: the one
        # built here if there is one, else parsed for the measure and not kept
        # (a policy from a forked worker comes back as text; keeping every
        # group policy parsed was most of the render's peak at 10,000 groups).
        document = None if kind.limit.whitespace_counts else policy.__dict__.get("document")
        size = kind.measure(policy.text, document)
        limit = kind.limit_for(config)
        if size > limit.size:
            head = f"{policy.path}: {limit.name} is {size:,} {limit.unit}, "
            if kind.quota_key:
                raise PolicyTooLarge(head + kind.over_quota(size, config))
            raise PolicyTooLarge(head + f"over the AWS limit of {limit.size:,}{kind.too_large}")
        best = tightest.get(kind.name)
        if best is None or size > best.size:
            tightest[kind.name] = Tightest(kind, size, policy, limit)
    return tightest


def check_file_names(config: Config, policies: list[RenderedPolicy]) -> None:
    """Raise ConfigError, naming the key, on the first policy file whose name
    (or the writer's temporary name beside it) is over NAME_MAX bytes, so the
    render stops before the writer starts, not half-way through (issue 30).
    The config's own limits keep every name it knows under it (ECR names at
    208 characters, role entries by their 128-character managed policy
    name); this is the net for any name a kind derives that they miss."""
    for policy in policies:
        parts = policy.path.split("/")
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            size = len(part.encode("utf-8")) + (TEMP_EXTRA if last else 0)
            if size > NAME_MAX:
                over = size - NAME_MAX
                raise ConfigError(_name_key(config, policy, index == 0), (
                    f"makes the name {part[:40]}... in {policy.path.split('/')[0]}/ {size} bytes long with the "
                    f"writer's temporary name, over the {NAME_MAX}-byte file name limit (NAME_MAX): "
                    f"{over} characters shorter"))


def _name_key(config: Config, policy: RenderedPolicy, directory: bool) -> str:
    """The config key a policy file's name comes from."""
    extra = policy.extra
    if directory:
        return f"accounts.{policy.account}"
    if "repository" in extra:
        return f"ecr_repositories.{extra['repository']}"
    if "model_group" in extra:
        return f"model_groups.{extra['model_group']}"
    role = extra.get("role")
    if role is not None:
        if role == config.deploy_role.name and (extra.get("scope") == "deploy-role" or extra.get("trust") == "deploy-role"):
            return "deploy_role.name"
        account = config.accounts.get(policy.account)
        listed = list(account.roles) if account is not None else []
        return f"accounts.{policy.account}.roles" + (f"[{listed.index(role)}]" if role in listed else "")
    return policy.path


@dataclass(frozen=True)
class Rendered:
    files: dict[str, str]
    sizes: dict[str, Tightest]  # by kind name, in the kinds' order
    quotas: list[quotas.Usage]


def render_all(config: Config) -> Rendered:
    """The files, and how close the tightest item of each kind and quota is to its AWS limit.
    The cyclic collector is paused meanwhile (generator/collector.py)."""
    with collector.paused():
        return _render_all(config)


def _render_all(config: Config) -> Rendered:
    policies = build_policies(config)
    check_file_names(config, policies)
    sizes = check_sizes(policies, config)
    used = quotas.check(config, policies)
    files = {p.path: p.text for p in policies}
    files.update(terraform.render(config, policies))
    files.update(copyflow.function_files(config))  # registration: copy: the function's zip (bytes) and settings
    # "files": every other file of this render. The writer owns exactly
    # these on the next render (never a user's file that merely looks
    # generated); readers can tell a complete render from a partial one.
    files[MANIFEST] = to_json({"policies": [p.manifest_entry() for p in policies], "files": sorted(files)})
    return Rendered(files, {name: sizes[name] for name in kinds.NAMES if name in sizes}, used)


def render(config: Config) -> dict[str, str]:
    """All output files: {relative path: text}, manifest and Terraform roots included."""
    return render_all(config).files
