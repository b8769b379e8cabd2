"""Evaluate the rendered policies into the access matrix, and compare it
with what accounts.yaml asks for.

Rows are principals: every role listed in the config, one "any other role"
sentinel per account, and one role in an account that is not in the
config. Columns are the model groups and the shared artifact key. Every
cell is decided by :meth:`generator.policyset.PolicySet.decide` for the
requests of :mod:`generator.report.capabilities`; nothing here reads the
grants of the config, so a policy edited by hand shows up as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.arns import Arns
from generator.config import PARTIES, Config
from generator.evaluate import Decision, glob_match
from generator.policyset import PolicySet
from generator.report.capabilities import (
    PARTY_CAPABILITIES,
    Capability,
    Probe,
    of_scope,
    requests,
)

KEY_COLUMN = "artifact key"
# Stand-in role for "any other role in this account": the first name that
# matches none of the account's role patterns.
SENTINEL_NAMES = ("UnlistedRole", "ZzNotInAccountsYaml9", "Q0")
# Stand-in for an account that accounts.yaml does not list.
OUTSIDE_ACCOUNT_IDS = ("999999999999", "999999999998", "999999999997")
WILDCARD_SAMPLE = "EXAMPLE"


@dataclass(frozen=True)
class Principal:
    account: str  # account name, or "(not in accounts.yaml)"
    account_id: str
    kind: str  # account kind, or "outside"
    role: str  # the role entry as written in accounts.yaml, or a sentinel label
    arn: str  # the ARN that is evaluated
    listed: bool  # a role listed in accounts.yaml
    note: str = ""  # how the row was evaluated, when not obvious
    # Identity policies to evaluate with, by manifest path; None: the
    # policies the manifest attaches to ``arn``.
    copied_identity: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        return f"{self.account} / {self.role}"


@dataclass(frozen=True)
class Check:
    probe: Probe
    decision: Decision


@dataclass
class Cell:
    principal: Principal
    column: str
    capability: str
    granted: bool
    expected: bool
    ways: list[list[Check]] = field(default_factory=list)  # one list of checks per way of the capability

    @property
    def checks(self) -> list[Check]:
        """The way that grants the capability, or the first way when none does."""
        return next((way for way in self.ways if all(c.decision.allowed for c in way)), self.ways[0])

    @property
    def difference(self) -> str | None:
        if self.granted == self.expected:
            return None
        return "extra" if self.granted else "missing"

    def why(self) -> str:
        """Evidence: the statements that allowed each request, or, per way, the first request denied and why."""
        if self.granted:
            return "; ".join(f"{c.probe.action}: {allowed_by(c.decision)}" for c in self.checks)
        failing = [next(c for c in way if not c.decision.allowed) for way in self.ways]
        return "; ".join(f"{c.probe.describe()}: {c.decision.reason}" for c in failing)


@dataclass
class Matrix:
    config_label: str
    policies_label: str
    organization: str | None
    principals: list[Principal]
    columns: list[str]  # model groups, then KEY_COLUMN
    descriptions: dict[str, str]  # column -> description
    cells: dict[tuple[Principal, str, str], Cell]  # (principal, column, capability)

    def capabilities(self, column: str) -> tuple[Capability, ...]:
        return of_scope("key" if column == KEY_COLUMN else "group")

    def row(self, principal: Principal, column: str) -> list[Cell]:
        return [self.cells[(principal, column, c.name)] for c in self.capabilities(column)]

    def shown(self, principal: Principal, column: str) -> list[Cell]:
        """The cells worth showing: granted ones, and expected ones that are missing."""
        return [c for c in self.row(principal, column) if c.granted or c.expected]

    def evidence(self, principal: Principal) -> list[Cell]:
        return [c for column in self.columns for c in self.row(principal, column) if c.granted]

    @property
    def differences(self) -> list[Cell]:
        return [
            self.cells[(p, column, c.name)]
            for p in self.principals
            for column in self.columns
            for c in self.capabilities(column)
            if self.cells[(p, column, c.name)].difference
        ]


def allowed_by(decision: Decision) -> str:
    return ", ".join(f"{m.source} {m.sid}" for m in decision.matches if m.effect == "Allow")


def sample_arn(arns: Arns, account_id: str, role: str) -> str:
    """A concrete role ARN for a role entry; ``*`` becomes a sample name."""
    return arns.role_arn(account_id, role.replace("*", WILDCARD_SAMPLE))


def principals(config: Config, arns: Arns, policies: PolicySet) -> list[Principal]:
    out: list[Principal] = []
    every_identity: list[str] = []
    for name in sorted(config.accounts):
        account = config.accounts[name]
        kind = account.kind + (f" ({account.stage})" if account.stage else "")
        listed_arns = []
        for role in account.roles:
            arn = sample_arn(arns, account.id, role)
            note = f"{role} is a pattern; evaluated as the sample {arn}" if "*" in role else ""
            out.append(Principal(name, account.id, kind, role, arn, True, note))
            listed_arns.append(arn)
        copied = sorted({e["path"] for arn in listed_arns for e in policies.identity_entries(arn)})
        every_identity.extend(copied)
        sentinel = next(
            (n for n in SENTINEL_NAMES
             if not any(glob_match(arns.role_arn(account.id, r), arns.role_arn(account.id, n)) for r in account.roles)),
            None,
        )
        if sentinel is None:  # every stand-in name matches a listed pattern
            continue
        if account.kind == "registry":
            note = ("evaluated with no identity policy: what the rendered resource policies alone grant; "
                    "the registry account's own IAM governs its roles")
        elif copied:
            note = "evaluated with a copy of this account's rendered identity policies attached"
        else:
            note = "this account has no rendered identity policy"
        out.append(Principal(name, account.id, kind, "any other role", arns.role_arn(account.id, sentinel),
                             False, note, tuple(copied)))
    used = {a.id for a in config.accounts.values()}
    outside = next(i for i in OUTSIDE_ACCOUNT_IDS if i not in used)
    first_role = next((r for n in sorted(config.accounts) for r in config.accounts[n].roles), "UnlistedRole")
    out.append(
        Principal(
            "(not in accounts.yaml)", outside, "outside", first_role.replace("*", WILDCARD_SAMPLE),
            sample_arn(arns, outside, first_role), False,
            "a role of the same name in an account of the organization that accounts.yaml does not list, "
            "evaluated with a copy of every rendered identity policy attached",
            tuple(sorted(set(every_identity))),
        )
    )
    return out


def expected(config: Config, principal: Principal, column: str) -> frozenset[str]:
    if not principal.listed:
        return frozenset()
    scope = "key" if column == KEY_COLUMN else "group"
    groups = sorted(config.model_groups) if scope == "key" else [column]
    wanted: set[str] = set()
    for group in groups:
        for party in PARTIES:
            if principal.account in config.party_accounts(group, party):
                wanted |= PARTY_CAPABILITIES[party][scope]
    return frozenset(wanted)


def evaluate(config: Config, policies: PolicySet, config_label: str = "accounts.yaml",
             policies_label: str = "terraform/accounts") -> Matrix:
    arns = Arns.of(config)
    rows = principals(config, arns, policies)
    groups = sorted(config.model_groups)
    columns = groups + [KEY_COLUMN]
    descriptions = {g: config.model_groups[g].description for g in groups}
    descriptions[KEY_COLUMN] = f"{config.registry.kms_key_alias}, shared by every group"
    cells: dict[tuple[Principal, str, str], Cell] = {}
    for principal in rows:
        identity = None
        if principal.copied_identity is not None:
            identity = [policies.docs[path] for path in principal.copied_identity]
        sources = [f"copy of {p}" for p in principal.copied_identity or ()]
        for column in columns:
            wanted = expected(config, principal, column)
            scope = "key" if column == KEY_COLUMN else "group"
            for capability in of_scope(scope):
                ways = [
                    [
                        Check(probe, policies.decide(
                            principal.arn, probe.action, probe.resource, dict(probe.context),
                            identity=identity, identity_sources=sources if identity is not None else None,
                            org=config.organization_id,
                        ))
                        for probe in way
                    ]
                    for way in requests(arns, capability, None if scope == "key" else column)
                ]
                granted = any(all(c.decision.allowed for c in way) for way in ways)
                cells[(principal, column, capability.name)] = Cell(
                    principal, column, capability.name, granted, capability.name in wanted, ways
                )
    return Matrix(config_label, policies_label, config.organization_id, rows, columns, descriptions, cells)
