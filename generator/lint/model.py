"""What a lint rule is, what it reports, and what it reads.

A rule is a small function registered with :func:`rule`: its id, severity,
one-line summary and how-to-fix live in the decorator, its reason in the
docstring, so that one place describes it (docs/lint.md lists them all and
a test keeps that list complete). ``scope="policy"`` rules get one rendered
policy at a time; ``scope="set"`` rules get every policy at once (the
who-can-do-what invariants need both halves of a grant).
"""

from __future__ import annotations

import inspect
import json
import zlib
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal

from generator import kinds
from generator.config import Config

Severity = Literal["error", "warning"]
Scope = Literal["policy", "set"]
Category = Literal["validity", "security"]

# The kinds lint knows, by what they are (generator/kinds/ declares each).
# Resource policies, a role's trust policy included (the role's resource policy).
RESOURCE_POLICY_KINDS = kinds.names(lambda kind: kind.is_resource_policy)
IDENTITY_POLICY_KINDS = kinds.names(lambda kind: kind.role == kinds.IDENTITY)
TRUST_POLICY_KINDS = kinds.names(lambda kind: kind.role == kinds.TRUST)
# Rendered files that are not policies (checked by set rules only).
DATA_KINDS = kinds.names(lambda kind: not kind.is_policy)
KINDS = kinds.NAMES


@dataclass(frozen=True)
class Hit:
    """A rule's raw finding; the runner adds the rule, severity and line."""

    message: str
    sid: str | None = None
    path: str | None = None  # set-scope rules name the policy they blame


@dataclass(frozen=True)
class Finding:
    path: str  # as printed: the output directory joined with the manifest path
    rule_id: str
    severity: Severity
    message: str
    line: int = 1

    def text(self) -> str:
        # FILE:LINE: like a compiler, so editors and CI logs link to the statement.
        return f"{self.path}:{self.line}: {self.rule_id}: {self.message}"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    fix: str
    scope: Scope
    category: Category
    check: Callable[..., Iterable[Hit]]

    @property
    def why(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, summary: str, *, fix: str, category: Category, scope: Scope = "policy"):
    """Register a rule; the decorated function's docstring says why it exists."""

    def register(check: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        if not check.__doc__:
            raise ValueError(f"rule {rule_id} needs a docstring saying why it exists")
        RULES[rule_id] = Rule(rule_id, severity, summary, fix, scope, category, check)
        return check

    return register


def as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@dataclass
class PolicyFile:
    """One policy listed in manifest.json, as it is on disk."""

    path: str  # relative to the output directory (the manifest's path)
    display: str  # what findings print
    kind: str
    account_id: str
    target: str
    entry: dict
    source: InitVar[str | None]  # the file's text; None when the file is missing
    document: object = None  # parsed JSON; None when unreadable
    well_formed: bool = False  # set by the runner after the structure rule
    # The text kept compressed: at 10,000 groups the texts alone are hundreds
    # of MB, and only size rules and a finding's line number read them.
    _packed: bytes | None = field(default=None, init=False, repr=False)

    def __post_init__(self, source: str | None) -> None:
        self._packed = None if source is None else zlib.compress(source.encode("utf-8"), 1)

    @property
    def text(self) -> str | None:
        return None if self._packed is None else zlib.decompress(self._packed).decode("utf-8")

    @property
    def is_resource_policy(self) -> bool:
        return self.kind in RESOURCE_POLICY_KINDS

    @property
    def facts(self) -> kinds.Kind | None:
        """What its kind declares (generator/kinds/); None for a kind the registry does not know."""
        return kinds.get(self.kind)

    def statements(self) -> list[dict]:
        if not isinstance(self.document, dict):
            return []
        return [s for s in as_list(self.document.get("Statement")) if isinstance(s, dict)]

    def line_of(self, sid: str | None) -> int:
        """1-based line of the statement's Sid, so SARIF points at it."""
        text = self.text if sid else None
        if not text:
            return 1
        needle = f'"Sid": {json.dumps(sid)}'
        for number, line in enumerate(text.splitlines(), start=1):
            if needle in line:
                return number
        return 1


@dataclass
class LintContext:
    config: Config
    policies: list[PolicyFile] = field(default_factory=list)
    out: Path = Path(".")

    @property
    def registry_id(self) -> str:
        return self.config.registry_account.id

    def well_formed(self, *names: str) -> Iterator[PolicyFile]:
        for policy in self.policies:
            if policy.well_formed and (not names or policy.kind in names):
                yield policy

    def policy(self, path: str) -> PolicyFile | None:
        by_path = self.__dict__.get("_by_path")
        if by_path is None or len(by_path) != len(self.policies):
            by_path = {}
            for p in self.policies:
                by_path.setdefault(p.path, p)
            self.__dict__["_by_path"] = by_path
        return by_path.get(path)


# --- statement helpers shared by rules ------------------------------------

# Operators that narrow a request to the listed values. ...IfExists and
# ForAllValues: pass when the key is absent, and negated operators pass for
# everything not listed, so none of them narrows who may call.
NARROWING_OPERATORS = {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}


def narrowing_values(stmt: dict, key: str) -> list[str] | None:
    """Values a statement's condition pins ``key`` to, or None if it does not.

    Only a positive operator (see NARROWING_OPERATORS) narrows; a value of
    bare ``*`` narrows nothing.
    """
    found: list[str] | None = None
    for operator, block in (stmt.get("Condition") or {}).items():
        if operator not in NARROWING_OPERATORS or not isinstance(block, dict):
            continue
        for name, values in block.items():
            if name.lower() == key.lower():
                values = [str(v) for v in as_list(values)]
                if values and "*" not in values:
                    found = (found or []) + values
    return found


def principal_values(stmt: dict) -> list[str]:
    """Every principal a statement names ("*" for Principal: "*")."""
    principal = stmt.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(v) for values in principal.values() for v in as_list(values)]
    return []


def account_of_principal(value: str) -> str | None:
    """Account id of an AWS principal (12 digits or an IAM ARN), else None."""
    if value.isdigit() and len(value) == 12:
        return value
    parts = value.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] in ("iam", "sts"):
        return parts[4] or None
    return None


def is_account_root(value: str) -> bool:
    return (value.isdigit() and len(value) == 12) or (value.startswith("arn:") and value.endswith(":root"))


def cross_account(stmt: dict, own_account: str) -> bool:
    """Whether a resource-policy statement's AWS principals reach beyond its account."""
    principal = stmt.get("Principal")
    values = ["*"] if principal == "*" else as_list(principal.get("AWS")) if isinstance(principal, dict) else []
    return any(v == "*" or account_of_principal(v) != own_account for v in values)
