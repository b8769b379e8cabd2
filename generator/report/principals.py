"""The rows of the access matrix: who is evaluated, and with which identity policy.

- every role listed in accounts.yaml, with its rendered identity policies;
- "any other role" of each account: its IAM is not rendered, so its
  identity policy is unknown and the registry's resource policies alone
  decide (as IAM Access Analyzer judges external access); the registry
  account's own row is evaluated with no identity policy (its own IAM
  governs it; see generator/analysis/policyset.py);
- a role in an account that accounts.yaml does not list (unknown identity);
- every principal a registry-side policy names (Principal, aws:PrincipalArn,
  aws:PrincipalAccount) that accounts.yaml does not: an account or a role
  pattern not listed there gets a row of its own, so any access a tampered
  or hand-edited policy grants it shows up as an extra cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator import copyflow, kinds
from generator.arns import Arns
from generator.config import Config
from generator.analysis.evaluate import glob_match
from generator.analysis.principals import PINNING_OPERATORS, pinning_values, principal_condition, principal_values
from generator.policies import deploy_role

# Stand-in role for "any other role in this account": the first name that
# matches none of the account's role patterns.
SENTINEL_NAMES = ("UnlistedRole", "ZzNotInAccountsYaml9", "Q0")
# Stand-in for an account that accounts.yaml does not list.
OUTSIDE_ACCOUNT_IDS = ("999999999999", "999999999998", "999999999997")
WILDCARD_SAMPLE = "EXAMPLE"
OUTSIDE = "(not in accounts.yaml)"

# Identity modes of a row.
RENDERED, UNKNOWN, NONE = "rendered", "unknown", "none"

_ACCOUNT = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class Principal:
    account: str  # account name, or "(not in accounts.yaml)"
    account_id: str
    kind: str  # account kind, or "outside"
    role: str  # the role entry as written in accounts.yaml, or a label
    arn: str  # the ARN that is evaluated
    listed: bool  # a role listed in accounts.yaml
    note: str = ""  # how the row was evaluated, when not obvious
    identity: str = RENDERED  # RENDERED, UNKNOWN (assumed to allow) or NONE
    deploy_role: bool = False  # the account's deploy role (deploy_role in accounts.yaml)
    registry_function: bool = False  # the registry function's role (registration: copy)

    @property
    def label(self) -> str:
        return f"{self.account} / {self.role}"

    def __hash__(self) -> int:  # rows key every cell: hash the ARN, once
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.arn, self.account, self.role))
            object.__setattr__(self, "_hash", cached)
        return cached


def sample(pattern: str) -> str:
    """A concrete name for a pattern: ``*`` becomes EXAMPLE, ``?`` X."""
    return pattern.replace("*", WILDCARD_SAMPLE).replace("?", "X")


def sample_arn(arns: Arns, account_id: str, role: str) -> str:
    """A concrete role ARN for a role entry; ``*`` becomes a sample name."""
    return arns.role_arn(account_id, sample(role))


# Manifest kinds that are not registry-side resource policies: a role's own
# identity policy, and the event rules and bus policies (events, not access).
NOT_REGISTRY_SIDE = kinds.names(lambda kind: kind.role in (kinds.IDENTITY, kinds.DATA)
                                or (kind.role == kinds.RESOURCE and not kind.registry_side))


def statement_list(document) -> list[dict]:
    """A document's statements that are objects (one, or a list)."""
    statements = document.get("Statement") if isinstance(document, dict) else None
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


class PrincipalParts:
    """What :func:`named_principals` reads of the registry-side documents
    (each Allow statement's Principal and its narrowing conditions on
    aws:PrincipalAccount / aws:PrincipalArn), each distinct part once,
    noted by ``visit`` while the rendered policies are read: the report
    then need not parse every per-group document a second time to find who
    they name (tests/test_report_scale.py compares with reading them all)."""

    def __init__(self):
        self._statements: list[dict] = []
        self._seen: set[str] = set()

    def visit(self, entry: dict, document) -> None:
        if entry["kind"] in NOT_REGISTRY_SIDE:
            return
        for stmt in statement_list(document):
            if stmt.get("Effect") != "Allow":
                continue
            pinning = {op: keys for op, keys in principal_condition(stmt).items() if op in PINNING_OPERATORS}
            self._add({"Effect": "Allow", "Principal": stmt.get("Principal"), "Condition": pinning})

    def _add(self, part: dict) -> None:
        key = repr(part)
        if key not in self._seen:
            self._seen.add(key)
            self._statements.append(part)

    def merge(self, other: "PrincipalParts") -> None:
        """Take in what another copy noted (the second reading process's)."""
        for part in other._statements:
            self._add(part)

    def take(self) -> list[dict]:
        """The collected parts, handed over once (not kept for the rest of the run)."""
        statements, self._statements, self._seen = self._statements, [], set()
        return statements


def named_principals(statements, outside_id: str) -> set[tuple[str, str | None]]:
    """(account id, role pattern or None for any role) that Allow statements
    of a resource policy name. A wildcard account becomes ``outside_id``."""
    out: set[tuple[str, str | None]] = set()
    seen: set[str] = set()
    for stmt in statements:
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Allow":
            continue
        # Thousands of group policies name the same principals the same way:
        # each distinct principal part is read once.
        pinned_accounts = pinning_values(stmt, "aws:PrincipalAccount")
        pinned_arns = pinning_values(stmt, "aws:PrincipalArn")
        key = repr((stmt.get("Principal"), pinned_accounts, pinned_arns))
        if key in seen:
            continue
        seen.add(key)
        accounts: set[str] = set()
        roles: list[str] = []
        for value in principal_values(stmt):
            if value == "*":
                continue
            if _ACCOUNT.fullmatch(value):
                accounts.add(value)
                continue
            parts = value.split(":", 5)
            if len(parts) == 6 and parts[2] in ("iam", "sts") and _ACCOUNT.fullmatch(parts[4]):
                accounts.add(parts[4])
                if parts[5].startswith("role/"):
                    roles.append(value)
        accounts |= {a for a in pinned_accounts if _ACCOUNT.fullmatch(a)}
        patterns = pinned_arns or roles
        if not patterns:
            out |= {(a, None) for a in accounts} or {(outside_id, None)}
            continue
        for pattern in patterns:
            parts = pattern.split(":", 5)
            if len(parts) != 6 or not parts[5].startswith("role/"):
                continue
            matching = [a for a in accounts if glob_match(parts[4], a)] if accounts else []
            if not matching:
                matching = [parts[4] if _ACCOUNT.fullmatch(parts[4]) else outside_id]
            out |= {(a, parts[5][len("role/"):]) for a in matching}
    return out


def principals(config: Config, arns: Arns, registry_statements) -> list["Principal"]:
    """Every row of the matrix; ``registry_statements`` are the statements of
    every registry-side (resource) policy, scanned for principals that
    accounts.yaml does not name."""
    out: list[Principal] = []
    seen: set[str] = set()
    by_id = {a.id: (name, a) for name, a in config.accounts.items()}
    used = set(by_id)
    outside = next(i for i in OUTSIDE_ACCOUNT_IDS if i not in used)

    def add(principal: Principal) -> None:
        if principal.arn not in seen:
            seen.add(principal.arn)
            out.append(principal)

    targets = deploy_role.targets(config)
    deploying = {t.account for t in targets}
    deploying_ids = {t.account_id for t in targets}

    def listed_role(account, arn: str) -> bool:
        # role_target: one glob for every role an entry names (both Identity Center forms).
        if account.id in deploying_ids and arn == arns.role_arn(account.id, config.deploy_role.name):
            return True  # the deploy role: not "any other role", nor a discovered one
        return any(glob_match(arns.role_target(account.id, r), arn) for r in account.roles)

    for name in sorted(config.accounts):
        account = config.accounts[name]
        kind = account.kind + (f" ({account.stage})" if account.stage else "")
        for role in account.roles:
            arn = sample_arn(arns, account.id, role)
            note = f"{role} is a pattern; evaluated as the sample {arn}" if "*" in role or "?" in role else ""
            add(Principal(name, account.id, kind, role, arn, True, note))
        if account.kind == "registry" and config.copy_groups():
            add(Principal(name, account.id, kind, copyflow.ROLE_NAME, copyflow.function_role_arn(arns), True,
                          "the registry function's role (registration: copy; docs/copy.md)",
                          registry_function=True))
        if name in deploying:
            role = config.deploy_role.name
            add(Principal(name, account.id, kind, role, arns.role_arn(account.id, role), True,
                          "the account's deploy role (deploy_role; docs/deploy.md)", deploy_role=True))
        sentinel = next((n for n in SENTINEL_NAMES if not listed_role(account, arns.role_arn(account.id, n))), None)
        if sentinel is None:  # every stand-in name matches a listed pattern
            continue
        if account.kind == "registry":
            note = ("evaluated with no identity policy: what the rendered resource policies alone grant; "
                    "the registry account's own IAM governs its roles")
            identity = NONE
        else:
            note = ("its identity policy is not rendered, so it is unknown: evaluated as allowing everything, "
                    "the registry's resource policies alone decide")
            identity = UNKNOWN
        add(Principal(name, account.id, kind, "any other role", arns.role_arn(account.id, sentinel), False, note,
                      identity))
    first_role = next((r for n in sorted(config.accounts) for r in config.accounts[n].roles), "UnlistedRole")
    add(Principal(
        OUTSIDE, outside, "outside", sample(first_role), sample_arn(arns, outside, first_role), False,
        "a role of the same name in an account of the organization that accounts.yaml does not list; "
        "its identity policy is unknown: the registry's resource policies alone decide",
        UNKNOWN,
    ))
    discovered = []
    for account_id, role in sorted(named_principals(registry_statements, outside), key=lambda p: (p[0], p[1] or "")):
        if account_id == arns.registry_id or (account_id == outside and role is None):
            continue  # the registry's own IAM governs its roles; the outside row stands for any outside role
        role_name = role if role is not None else SENTINEL_NAMES[0]
        arn = sample_arn(arns, account_id, role_name)
        if account_id in by_id:
            name, account = by_id[account_id]
            if role is None or listed_role(account, arn):
                continue  # the account's "any other role" row, or a listed role
            kind = account.kind + (f" ({account.stage})" if account.stage else "")
            label = f"{role} (not in accounts.yaml)"
        else:
            name, kind, label = OUTSIDE, "outside", role if role is not None else "any role"
        discovered.append(Principal(
            name, account_id, kind, label, arn, False,
            f"named by a registry policy but not by accounts.yaml ({arns.role_arn(account_id, role or '*')}); "
            "its identity policy is unknown: the registry's resource policies alone decide",
            UNKNOWN,
        ))
    for principal in discovered:
        add(principal)
    return out
