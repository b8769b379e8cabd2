"""Evaluate the rendered policies into the access matrix, and compare it
with what accounts.yaml asks for.

Rows are principals (generator/report/principals.py): every role listed in
the config, one "any other role" per account, a role in an account that is
not in the config, and every principal the registry's policies name that
the config does not; the last three are evaluated with an unknown identity
policy, so the registry side alone decides. Columns are the model groups and the shared artifact key. Every
cell is decided by :meth:`generator.policyset.PolicySet.decide` for the
requests of :mod:`generator.report.capabilities`; nothing here reads the
grants of the config, so a policy edited by hand shows up as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.arns import Arns
from generator.config import PARTIES, Config
from generator.config.ecr import repository_accounts
from generator.config.stages import account_stage, stage_approvers, stage_names
from generator.evaluate import Decision
from generator.policies import deploy_role
from generator.policyset import PolicySet
from generator.report.principals import Principal, principals
from generator.report.capabilities import (
    PARTY_CAPABILITIES,
    Capability,
    Probe,
    of_scope,
    requests,
)

KEY_COLUMN = "artifact key"
REPOSITORY_PREFIX = "ECR "  # column "ECR <name>" per repository; a group name has no space, so never clashes


def column_scope(column: str) -> str:
    if column == KEY_COLUMN:
        return "key"
    return "repository" if column.startswith(REPOSITORY_PREFIX) else "group"


def column_target(column: str) -> str | None:
    """The group or repository a column's requests are about (None: the key)."""
    scope = column_scope(column)
    return None if scope == "key" else column.removeprefix(REPOSITORY_PREFIX) if scope == "repository" else column


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
    s3_layout: str = "bucket_policy"
    # With stages: (stage, approving accounts, workload accounts reading it).
    stages: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    def capabilities(self, column: str) -> tuple[Capability, ...]:
        return of_scope(column_scope(column))

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


def registry_statements(policies: PolicySet) -> list[dict]:
    """Every statement of every registry-side (resource) policy."""
    out = []
    for entry in policies.manifest:
        if entry["kind"] not in ("iam_role_policy", "event_rule", "event_bus_policy"):
            document = policies.docs[entry["path"]]
            statements = document.get("Statement") if isinstance(document, dict) else None
            out += [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]
    return out


def expected(config: Config, principal: Principal, column: str) -> frozenset[str]:
    if not principal.listed:
        return frozenset()
    scope = column_scope(column)
    if principal.deploy_role:
        # A deploy role deploys (and so describes) the versions of its account's deployed groups only.
        deploys = scope == "group" and column in deploy_role.deployed_groups(config, principal.account)
        return frozenset({"deploy", "metadata"}) if deploys else frozenset()
    wanted: set[str] = set()
    if scope == "repository":
        repository = column_target(column)
        for party in PARTIES:
            if principal.account in repository_accounts(config, repository, party):
                wanted |= PARTY_CAPABILITIES[party]["repository"]
        return frozenset(wanted)
    groups = sorted(config.model_groups) if scope == "key" else [column]
    if scope == "group" and any(principal.account in stage_approvers(config, s) for s in stage_names(config)):
        wanted |= PARTY_CAPABILITIES["stage_approvers"][scope]
    for group in groups:
        for party in PARTIES:
            if principal.account in config.party_accounts(group, party):
                wanted |= PARTY_CAPABILITIES[party][scope]
    return frozenset(wanted)


def evaluate(config: Config, policies: PolicySet, config_label: str = "accounts.yaml",
             policies_label: str = "terraform/accounts") -> Matrix:
    arns = Arns.of(config)
    rows = principals(config, arns, registry_statements(policies))
    groups = sorted(config.model_groups)
    repositories = [f"{REPOSITORY_PREFIX}{name}" for name in sorted(config.ecr_repositories)]
    columns = groups + repositories + [KEY_COLUMN]
    descriptions = {g: config.model_groups[g].description for g in groups}
    for column in repositories:
        served = ", ".join(config.ecr_repositories[column_target(column)].model_groups)
        descriptions[column] = f"ECR repository for the inference images of {served}"
    descriptions[KEY_COLUMN] = f"{config.registry.kms_key_alias}, shared by every group"
    cells: dict[tuple[Principal, str, str], Cell] = {}
    stages = tuple(stage_names(config))
    for principal in rows:
        for column in columns:
            wanted = expected(config, principal, column)
            scope = column_scope(column)
            for capability in of_scope(scope):
                ways = [
                    [
                        Check(probe, policies.decide(
                            principal.arn, probe.action, probe.resource, dict(probe.context),
                            org=config.organization_id,
                        ))
                        for probe in way
                    ]
                    for way in requests(arns, capability, column_target(column), principal.account_id, stages)
                ]
                granted = any(all(c.decision.allowed for c in way) for way in ways)
                cells[(principal, column, capability.name)] = Cell(
                    principal, column, capability.name, granted, capability.name in wanted, ways
                )
    return Matrix(config_label, policies_label, config.organization_id, rows, columns, descriptions, cells,
                  arns.s3_layout, stage_table(config))


def stage_table(config: Config) -> list[tuple[str, list[str], list[str]]]:
    """[(stage, approving accounts, workload accounts reading it)] in stage
    order, for every group alike; [] without stages."""
    return [
        (stage, stage_approvers(config, stage),
         sorted(n for n, a in config.accounts.items() if a.kind == "workload" and account_stage(config, n) == stage))
        for stage in stage_names(config)
    ]
