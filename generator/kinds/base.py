"""What a policy kind is: the facts every kind declares, and the rendered policy.

A *kind* is one sort of rendered file (an S3 bucket policy, a role's
identity policy, an event rule, ...). Each kind lives in its own module in
``generator/kinds/`` and declares there, in one :class:`Kind`, everything
the rest of the generator asks about it: its AWS size limit and how the
text is sent, what its target is, its role in an access decision, which
requests it governs, how it is rendered, how a Terraform root binds it and
how the checkov harness reads it. Render, the writer's manifest, lint,
report, explain and the checkov harness look kinds up in the registry
(:mod:`generator.kinds`) by role and property; a kind's name is written
only in its own module (tests/test_kind_registry.py counts).

This module imports nothing from the generator: builders, kinds and
analysis can all use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cached_property
from json.encoder import encode_basestring as _escape  # the C escaper where available
from typing import Callable

# A kind's role in an access decision (IAM User Guide, "Policy evaluation logic":
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
RESOURCE = "resource policy"  # set on a resource; names principals (bucket, key, group, repository, bus)
TRUST = "trust policy"  # a role's resource policy for sts:AssumeRole
IDENTITY = "identity policy"  # attached to a role; no Principal
SCP = "service control policy"  # organization boundary on the organization's principals; Deny only
RCP = "resource control policy"  # organization boundary on the organization's resources; Deny only
DATA = "data"  # a rendered file that is no policy (an event rule's pattern and targets)
ROLES = (RESOURCE, TRUST, IDENTITY, SCP, RCP, DATA)

# How the text reaches AWS, which decides what the limit measures.
AS_WRITTEN = "as written"  # the file's bytes or characters, whitespace included
MINIFIED = "minified"  # whitespace not counted (IAM), or sent minified (jsonencode(jsondecode(file())))


@dataclass(frozen=True)
class Limit:
    size: int
    unit: str  # "bytes" or "characters"
    whitespace_counts: bool
    name: str  # what the message calls the document: "S3 bucket policy"
    source: str = ""  # the AWS page the number comes from

    @property
    def sent(self) -> str:
        return AS_WRITTEN if self.whitespace_counts else MINIFIED


@dataclass(frozen=True)
class TerraformResource:
    """The Terraform resource that sets a document of this kind: its type,
    the argument that takes the document, and the other arguments a checkable
    resource needs (values starting with ``target_`` are read from the
    manifest entry by the checkov harness, tools/checkov_policies.py)."""

    type: str
    argument: str
    extra: dict = field(default_factory=dict)


@dataclass(eq=False)
class Kind:  # not frozen: tests lower a limit (generator.limits.LIMITS[name] = ...)
    name: str  # the manifest's "kind"
    role: str  # one of ROLES
    target_type: str  # the resource type of the manifest's "target" ARN (bucket, alias, role, rule, policy, ...)
    limit: Limit
    order: int  # render order (and the order errors are found in)
    # Resource types (Service Authorization Reference names) whose requests
    # a resource policy of this kind decides; () for identity policies and data.
    governs: tuple[str, ...] = ()
    # The Service Authorization Reference types of what it governs, where
    # ``governs`` uses a name of this project's own (a development account's
    # local model package group is a model-package-group to AWS).
    service_types: tuple[str, ...] = ()
    # Where the statements carry no Resource element (the policy applies to
    # the resource it is set on), why AWS refuses one; "" otherwise.
    implied_resource: str = ""
    many: bool = False  # one per model group, repository or rule: read on demand at scale
    registry_side: bool = False  # a registry resource policy: the report lists the principals it names
    delegates: bool = False  # may delegate access control to its account's S3 access points
    denies_insecure_transport: bool = False  # must deny requests without TLS (lint bucket-denies-insecure-transport)
    star_resource_is_self: bool = False  # Resource "*" means this resource (a key policy)
    applied_by_helper: bool = False  # `mrpolicy apply` may put it (terraform.group_policies: apply)
    too_large: str = "; split the config (fewer accounts or role sets per group) or shorten role lists"
    terraform: TerraformResource | None = None  # None: no resource sets it (a rule's data)
    # The quotas: key that declares a raised size limit, where AWS raises it (an
    # adjustable quota: the role trust policy length); "" for a fixed limit. With
    # ``quota_maximum``, the most AWS grants.
    quota_key: str = ""
    quota_maximum: int = 0
    # A checkov check a manifest entry of this kind is known to fail, "CKV_ID:why", or None.
    checkov_skip: Callable[[dict], str | None] | None = None
    # The part of the document whose size AWS limits (an event rule: its pattern).
    measured_part: Callable[[dict], object] | None = None
    # ARN patterns a resource policy may name, from its target (lint resource-policy-scope).
    may_name: Callable[[str], list[str]] = lambda target: [target]
    # How this kind renders: either every document at once ...
    render: Callable | None = None  # (config, arns) -> list[RenderedPolicy]
    # ... or one item (group, repository) at a time, which render may spread over processes.
    items: Callable | None = None  # (config, arns) -> list[str]
    render_item: Callable | None = None  # (config, arns, item) -> list[RenderedPolicy]
    # How a Terraform root reads it: (template variable, sort key, item).
    bind: Callable | None = None  # (policy, relative path) -> tuple[str, object, object]

    @property
    def is_resource_policy(self) -> bool:
        """Names principals: a resource or trust policy (lint's and report's "resource policy")."""
        return self.role in (RESOURCE, TRUST)

    @property
    def has_principal(self) -> bool:
        """Statements carry a Principal element (every kind but identity policies, SCPs and data)."""
        return self.role in (RESOURCE, TRUST, RCP)

    @property
    def is_policy(self) -> bool:
        return self.role != DATA

    @property
    def is_guardrail(self) -> bool:
        return self.role in (SCP, RCP)

    def limit_for(self, config) -> Limit:
        """The limit that applies to ``config``: the declared raised quota
        (``quotas.<quota_key>``) where the kind has one and the config sets
        it, else AWS's default (``limit``)."""
        declared = getattr(config.quotas, self.quota_key, None) if self.quota_key and config is not None else None
        return self.limit if declared is None else replace(self.limit, size=declared)

    def over_quota(self, size: int, config) -> str:
        """What the refusal of a document of ``size`` says after its size: the
        quota to declare, or that AWS grants no more (adjustable limits only)."""
        limit = self.limit_for(config)
        declared = limit is not self.limit
        where = (f"quotas.{self.quota_key} declares {limit.size:,}" if declared
                 else f"AWS's default is {limit.size:,}")
        if size > self.quota_maximum:
            return (f"over the quota ({where}), and AWS grants at most {self.quota_maximum:,} ({limit.source})"
                    f"{self.too_large}")
        return (f"over the quota ({where}; {limit.source}): request an increase to at least {size:,} and "
                f"declare it as quotas.{self.quota_key}: {size}")

    def measure(self, text: str, document: dict | None = None) -> int:
        """The size AWS counts: the text as written where whitespace counts,
        else the minified document (or its measured part)."""
        limit = self.limit
        if not limit.whitespace_counts:
            doc = json.loads(text) if document is None else document
            if self.measured_part is not None:
                doc = self.measured_part(doc)
            return len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))
        return len(text.encode("utf-8")) if limit.unit == "bytes" else len(text)

    def over(self, text: str, document: dict | None = None) -> tuple[int, Limit] | None:
        """(size, limit) when over the limit, else None."""
        size = self.measure(text, document)
        return (size, self.limit) if size > self.limit.size else None

    def fits(self, document: dict) -> bool:
        """Within the limit (for builders that choose a form by size; minified kinds only)."""
        return self.over("", document) is None

    def policy(self, account: str, account_id: str, target: str, path: str, document: dict,
               extra: dict | None = None, text: str | None = None) -> "RenderedPolicy":
        return RenderedPolicy.of(account, account_id, self.name, target, path, document, extra, text)

    def fitted(self, build: Callable[[bool], dict]) -> tuple[dict, str]:
        """The explicit form of a registry policy, or the compact form when the
        explicit one is over this kind's size limit (same grants; see
        policies.common.principal_blocks): (document, text).

        Where the limit is measured on the minified document, the explicit
        form is measured without pretty-printing it: only the form kept is
        serialized, once (a group policy of a staged organization is over
        in its explicit form, and writing it out was a third of its cost)."""
        doc = build(False)
        if not self.limit.whitespace_counts:
            if self.over("", doc) is not None:
                doc = build(True)
            return doc, to_json(doc)
        text = to_json(doc)
        if self.over(text, doc) is not None:
            doc = build(True)
            text = to_json(doc)
        return doc, text


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
