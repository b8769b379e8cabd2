"""Evaluate the rendered policies into the access matrix, and compare it
with what accounts.yaml asks for.

Rows are principals (generator/report/principals.py): every role listed in
the config, one "any other role" per account, a role in an account that is
not in the config, and every principal the registry's policies name that
the config does not; the last three are evaluated with an unknown identity
policy, so the registry side alone decides. Columns are the model groups and the shared artifact key. Every
cell is decided by :meth:`generator.analysis.policyset.PolicySet.decide` for the
requests of :mod:`generator.report.capabilities`; nothing here reads the
grants of the config, so a policy edited by hand shows up as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from generator.arns import Arns
from generator.config import PARTIES, Config, config_query
from generator.config.ecr import repository_accounts
from generator.config.stages import account_stage, stage_approvers, stage_names
from generator.analysis.evaluate import Decision
from generator.policies import deploy_role
from generator.analysis.policyset import PolicySet
from generator.report.guarded import GuardrailTable, evaluate_guardrails
from generator.report.principals import NOT_REGISTRY_SIDE, Principal, PrincipalParts, principals, statement_list
from generator.report.capabilities import (
    CAPABILITIES,
    COPY_DEVELOPER_CAPABILITIES,
    FUNCTION_CAPABILITIES,
    PARTY_CAPABILITIES,
    Capability,
    Probe,
    copy_accounts,
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


class Cell:
    """One capability of one principal in one column. ``ways`` (the checks
    behind it, one list per way of the capability) is evaluated when first
    asked for: the matrix needs only the verdicts, the report's evidence and
    differences need the checks."""

    __slots__ = ("principal", "column", "capability", "granted", "expected", "_ways", "_resolve")

    def __init__(self, principal: Principal, column: str, capability: str, granted: bool, expected: bool,
                 ways: list[list[Check]] | None = None,
                 resolve: Callable[[Principal, str, str], list[list[Check]]] | None = None):
        """``resolve(principal, column, capability)`` evaluates the checks when
        first asked for: one function shared by every cell (a closure per
        cell costs memory at 10,000 groups)."""
        self.principal, self.column, self.capability = principal, column, capability
        self.granted, self.expected = granted, expected
        self._ways, self._resolve = ways, resolve

    @property
    def ways(self) -> list[list[Check]]:
        if self._ways is None:
            self._ways = self._resolve(self.principal, self.column, self.capability) if self._resolve else []
        return self._ways

    def __eq__(self, other) -> bool:
        return isinstance(other, Cell) and (self.principal, self.column, self.capability, self.granted,
                                            self.expected) == (other.principal, other.column, other.capability,
                                                               other.granted, other.expected)

    def __hash__(self) -> int:
        return hash((self.principal, self.column, self.capability))

    def __repr__(self) -> str:
        return f"Cell({self.principal.label!r}, {self.column!r}, {self.capability!r}, granted={self.granted}, expected={self.expected})"

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


class Cells(dict):
    """(principal, column, capability) -> Cell. Only cells that are granted or
    expected are stored; any other is a cell that is neither (its checks are
    evaluated if asked for)."""

    def __init__(self, resolver: Callable[[Principal, str, str], list[list[Check]]]):
        super().__init__()
        self.resolver = resolver

    def __missing__(self, key):
        principal, column, capability = key
        return Cell(principal, column, capability, False, False, resolve=self.resolver)


@dataclass
class Matrix:
    config_label: str
    policies_label: str
    organization: str | None
    principals: list[Principal]
    columns: list[str]  # model groups, then KEY_COLUMN
    descriptions: dict[str, str]  # column -> description
    cells: dict[tuple[Principal, str, str], Cell]  # (principal, column, capability); see Cells
    s3_layout: str = "bucket_policy"
    # With stages: (stage, approving accounts, workload accounts reading it).
    stages: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    # With guardrails: what the SCPs and RCPs refuse each row (report/guarded.py).
    guardrails: "GuardrailTable | None" = None
    # Statements whose lifecycle condition is wider than the config's render
    # (generator/analysis/lifecycle.py): differences the cells cannot show.
    lifecycle: list = field(default_factory=list)

    def capabilities(self, column: str) -> tuple[Capability, ...]:
        return of_scope(column_scope(column))

    def row(self, principal: Principal, column: str) -> list[Cell]:
        return [self.cells[(principal, column, c.name)] for c in self.capabilities(column)]

    def shown(self, principal: Principal, column: str) -> list[Cell]:
        """The cells worth showing: granted ones, and expected ones that are missing."""
        return [c for c in self.row(principal, column) if c.granted or c.expected]

    def evidence(self, principal: Principal) -> list[Cell]:
        return [c for column in self.columns for c in self.row(principal, column) if c.granted]

    def _cell_order(self) -> Callable[[Cell], tuple[int, int, int]]:
        """The sort key of a cell: row, column, capability."""
        rows = {p: i for i, p in enumerate(self.principals)}
        columns = {c: i for i, c in enumerate(self.columns)}
        order = {(c.scope, c.name): i for i, c in enumerate(CAPABILITIES)}
        return lambda c: (rows[c.principal], columns[c.column], order[(column_scope(c.column), c.capability)])

    def stored(self) -> list[Cell]:
        """Every granted or expected cell, in row, column and capability order."""
        cached = self.__dict__.get("_stored")
        if cached is not None and cached[0] == len(self.cells):
            return cached[1]
        found = sorted((c for c in self.cells.values() if c.granted or c.expected), key=self._cell_order())
        self.__dict__["_stored"] = (len(self.cells), found)
        return found

    @property
    def differences(self) -> list[Cell]:
        """The cells granted but not expected, or expected but not granted, in
        the order of :meth:`stored` (only those sorted: at 10,000 groups
        sorting every cell took seconds)."""
        cached = self.__dict__.get("_differences")
        if cached is not None and cached[0] == len(self.cells):
            return cached[1]
        found = sorted((c for c in self.cells.values() if c.granted != c.expected), key=self._cell_order())
        self.__dict__["_differences"] = (len(self.cells), found)
        return found

    @property
    def large(self) -> bool:
        """Written in the compact form (see LARGE_GROUPS)."""
        return sum(column_scope(c) == "group" for c in self.columns) > LARGE_GROUPS

    def by_column(self) -> list[tuple[str, list[tuple[Principal, list[Cell]]]]]:
        """Per column, the principals with a shown cell and those cells, in order
        (computed once: the Markdown and the HTML report both ask)."""
        cached = self.__dict__.get("_by_column")
        if cached is not None and cached[0] == len(self.cells):
            return cached[1]
        # Grouped by column first, then each column's few cells sorted by row
        # and capability: the order of stored(), without sorting every cell.
        grouped: dict[str, list[Cell]] = {c: [] for c in self.columns}
        for cell in self.cells.values():
            if cell.granted or cell.expected:
                grouped[cell.column].append(cell)
        rows = {p: i for i, p in enumerate(self.principals)}
        found = []
        for column in self.columns:
            order = {c.name: i for i, c in enumerate(of_scope(column_scope(column)))}
            by_principal: dict[Principal, list[Cell]] = {}
            for cell in sorted(grouped[column], key=lambda c: (rows[c.principal], order[c.capability])):
                by_principal.setdefault(cell.principal, []).append(cell)
            found.append((column, list(by_principal.items())))
        self.__dict__["_by_column"] = (len(self.cells), found)
        return found


def allowed_by(decision: Decision) -> str:
    return ", ".join(f"{m.source} {m.sid}" for m in decision.matches if m.effect == "Allow")


def registry_statements(policies: PolicySet) -> list[dict]:
    """Every statement of every registry-side (resource) policy."""
    out = []
    for entry in policies.manifest:
        if entry["kind"] not in NOT_REGISTRY_SIDE:
            out += statement_list(policies.docs[entry["path"]])
    return out


@config_query
def _stage_approver_accounts(config: Config) -> frozenset[str]:
    """Accounts that approve some stage, computed once per config (asked per row and column)."""
    return frozenset(a for s in stage_names(config) for a in stage_approvers(config, s))


def expected(config: Config, principal: Principal, column: str) -> frozenset[str]:
    if not principal.listed:
        return frozenset()
    scope = column_scope(column)
    if principal.registry_function:
        # registration: copy: the registry function writes released/ of the copy-mode groups.
        if scope == "group":
            return FUNCTION_CAPABILITIES["group"] if config.is_copy(column) else frozenset()
        return FUNCTION_CAPABILITIES[scope] if scope == "key" else frozenset()
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
    if scope == "group" and principal.account in _stage_approver_accounts(config):
        wanted |= PARTY_CAPABILITIES["stage_approvers"][scope]
    for group in groups:
        for party in PARTIES:
            if principal.account in config.party_accounts(group, party):
                wanted |= party_capabilities(config, party, scope, group)
    return frozenset(wanted)


def party_capabilities(config: Config, party: str, scope: str, group: str) -> frozenset[str]:
    """What ``party`` of ``group`` is promised in ``scope`` (registration: copy:
    developers upload to incoming/ instead of registering and writing)."""
    if party == "developers" and scope == "group" and config.is_copy(group):
        return COPY_DEVELOPER_CAPABILITIES
    if party == "approvers" and scope == "group" and stage_names(config):
        # One approval model: with stages only stage approvers decide (expected above).
        return PARTY_CAPABILITIES[party][scope] - {"approve"}
    return PARTY_CAPABILITIES[party][scope]


def checks(config: Config, policies: PolicySet, arns: Arns, principal: Principal, column: str,
           capability: str) -> list[list[Check]]:
    """Every request of every way of a capability, evaluated (the evidence)."""
    scope = column_scope(column)
    found = next(c for c in of_scope(scope) if c.name == capability)
    return [
        [Check(probe, policies.decide(principal.arn, probe.action, probe.resource, dict(probe.context),
                                      org=config.organization_id)) for probe in way]
        for way in requests(arns, found, column_target(column), principal.account_id, tuple(stage_names(config)),
                            copy_accounts(config, column_target(column)) if scope == "group" else None)
    ]


class Expected:
    """What accounts.yaml asks for, column by column: {row index:
    capabilities} for the listed rows of the accounts that have a part in
    the column; the same answers as :func:`expected` for every row, without
    asking every row about every column."""

    def __init__(self, config: Config, rows: list[Principal]):
        self.config, self.rows = config, rows
        self.by_account: dict[str, list[int]] = {}
        for i, p in enumerate(rows):
            if p.listed:
                self.by_account.setdefault(p.account, []).append(i)

    def _rows(self, accounts) -> list[int]:
        return sorted({i for account in accounts for i in self.by_account.get(account, ())})

    def column(self, column: str) -> dict[int, set[str]]:
        config = self.config
        scope = column_scope(column)
        if scope == "key":
            # Per party of every group: one pass over the groups, not one per row.
            wanted: dict[int, set[str]] = {}
            for group in sorted(config.model_groups):
                for party in PARTIES:
                    capabilities = party_capabilities(config, party, "key", group)
                    if not capabilities:
                        continue
                    for account in config.party_accounts(group, party):
                        for i in self.by_account.get(account, ()):
                            if not self.rows[i].deploy_role:
                                wanted.setdefault(i, set()).update(capabilities)
            for i, row in enumerate(self.rows):
                if row.registry_function:
                    wanted.setdefault(i, set()).update(FUNCTION_CAPABILITIES["key"])
            return wanted
        target = column_target(column)
        if scope == "repository":
            # expected()'s answer, with each party's accounts computed once for
            # the column instead of once per row: a deploy role expects nothing
            # here, any other listed row what its account's parties pull or push.
            by_party = {party: set(repository_accounts(config, target, party)) for party in PARTIES}
            found = {}
            for i in self._rows(set().union(*by_party.values())):
                row = self.rows[i]
                wanted = set() if row.deploy_role else {
                    c for party in PARTIES if row.account in by_party[party]
                    for c in PARTY_CAPABILITIES[party]["repository"]}
                if wanted:
                    found[i] = wanted
            return found
        accounts = {a for party in PARTIES for a in config.party_accounts(target, party)}
        accounts.update(_stage_approver_accounts(config))
        if config.is_copy(target):
            accounts.add(config.registry.account)  # the registry function's row
        found = {}
        for i in self._rows(accounts):
            capabilities = expected(config, self.rows[i], column)
            if capabilities:
                found[i] = set(capabilities)
        return found


# From this many model groups, with two or more CPUs, the repository columns
# and the last groups are evaluated in a forked process (see evaluate()) - while this
# process holds less than PARALLEL_RESIDENT_MIB when it forks. The second
# process sends back only the cells worth storing, packed (_second_share); it
# still ends up with its own copy of what it touches and its own memo. At
# 500 x 10,000 (311 MiB here at the fork) the pair peaked at 778 MiB, about
# 2.5 times the size at the fork, below the 850-870 MiB this process reaches
# alone when it writes the report; evaluating took 27 s instead of 39 s.
# (When the second process sent back every evaluated cell as tuples, the pair
# reached 977-1,088 MiB, so such renders were evaluated in one process.) At
# 2.5 times, 400 MiB at the fork keeps the pair within the 1 GB that
# docs/benchmarks.md promises; larger renders are evaluated in one process.
PARALLEL_GROUPS = 200
PARALLEL_RESIDENT_MIB = 400


def _resident_mib() -> float | None:
    """This process's resident memory (Linux /proc), or None where unknown."""
    import os

    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return None


def _parallel(groups: int) -> bool:
    from generator import forked

    if groups < PARALLEL_GROUPS or not forked.available():
        return False
    resident = _resident_mib()
    return resident is not None and resident < PARALLEL_RESIDENT_MIB


def _column_cells(engine, expect: "Expected", column: str):
    """(row index, capability, granted, asked for) of the cells of a group or
    repository column worth storing: granted, or asked for by accounts.yaml
    (every other cell is neither, which the matrix does not store). Every
    row asked for is among the engine's candidates, so evaluated
    (tests/test_report_scale.py holds the cells to evaluate_exhaustive)."""
    wanted = expect.column(column)
    if column_scope(column) == "group":
        cells = engine.group(column, set(wanted))
    else:
        cells = engine.repository(column_target(column), set(wanted))
    for (index, capability), granted in cells.items():
        asked = capability in wanted.get(index, ())
        if granted or asked:
            yield index, capability, granted, asked


def _second_share(engine, expect: "Expected", columns: list[str], claims) -> list[tuple]:
    """In the forked process: [(column, its cells worth storing, each packed
    in one int by :func:`_packed`)] for the columns it claims
    (forked.Claims.front, counted from the end of ``columns``)."""
    from array import array

    out = []
    while (taken := claims.front()) is not None:
        column = columns[len(columns) - 1 - taken]
        out.append((column, array("q", [_packed(*cell) for cell in _column_cells(engine, expect, column)])))
    return out


_CODES = {name: i for i, name in enumerate(dict.fromkeys(c.name for c in CAPABILITIES))}
_NAMES = list(_CODES)


def _packed(index: int, capability: str, granted: bool, asked: bool) -> int:
    """One cell of a column as an int (a fraction of a tuple's memory, and of
    its pickle through the forked process's pipe): row, capability, granted,
    asked for."""
    return index << 6 | _CODES[capability] << 2 | granted << 1 | asked


def _unpacked(code: int) -> tuple[int, str, bool, bool]:
    return code >> 6, _NAMES[code >> 2 & 15], bool(code & 2), bool(code & 1)


def evaluate(config: Config, policies: PolicySet, config_label: str = "accounts.yaml",
             policies_label: str = "terraform/accounts", progress=None, parallel: bool | None = None,
             parts: PrincipalParts | None = None) -> Matrix:
    """The matrix, by :class:`generator.report.engine.Engine` (linear in
    groups); ``progress(iterable, total)`` wraps the iteration over the
    group and repository columns (a progress bar). ``parallel`` (default:
    from PARALLEL_GROUPS groups, with two or more CPUs, while this process
    holds under PARALLEL_RESIDENT_MIB) evaluates the columns from the end
    in a forked process while this one evaluates the key and the columns
    from the start, until they meet: the same matrix
    (tests/test_report_scale.py compares both ways). ``parts``: who the
    registry-side policies name, collected while they were read
    (PrincipalParts); without it they are read again."""
    from generator.report.engine import Engine

    arns = Arns.of(config)
    rows = principals(config, arns, parts.take() if parts is not None else registry_statements(policies))
    groups = sorted(config.model_groups)
    repositories = [f"{REPOSITORY_PREFIX}{name}" for name in sorted(config.ecr_repositories)]
    columns = groups + repositories + [KEY_COLUMN]
    descriptions = {g: config.model_groups[g].description for g in groups}
    for column in repositories:
        served = ", ".join(config.ecr_repositories[column_target(column)].model_groups)
        descriptions[column] = f"ECR repository for the inference images of {served}"
    descriptions[KEY_COLUMN] = f"{config.registry.kms_key_alias}, shared by every group"
    cells = Cells(lambda p, column, capability: checks(config, policies, arns, p, column, capability))
    engine = Engine(config, policies, rows)
    evidence_now = len(groups) <= LARGE_GROUPS  # the small report shows the evidence of every cell

    def store(index: int, column: str, capability: str, granted: bool, asked: bool) -> None:
        principal = rows[index]
        cell = Cell(principal, column, capability, granted, asked, resolve=cells.resolver)
        if evidence_now:
            cell.ways  # noqa: B018  (evaluate the evidence while the policies are at hand)
        cells[(principal, column, capability)] = cell

    def evaluate_here(column: str) -> None:
        for index, capability, granted, asked in _column_cells(engine, expect, column):
            store(index, column, capability, granted, asked)

    expect = Expected(config, rows)
    if parallel is None:
        parallel = _parallel(len(groups))
    shared = groups + repositories
    pending = claims = None
    if parallel and len(groups) > 1:
        # The forked process takes columns from the end (the repositories, then
        # the last groups), this one the key and then columns from the start,
        # until they meet (forked.Claims): neither waits for the other. Stored
        # here afterwards; a column both took is stored once, the same cells.
        # Forked before the progress bar starts its thread.
        import gc

        from generator.forked import Claims, Forked

        gc.collect()
        gc.freeze()
        claims = Claims(len(shared))
        pending = Forked(_second_share, engine, expect, shared, claims)
    try:
        key_wanted = expect.column(KEY_COLUMN)
        key_cells = engine.key()  # first: the second process has columns to take meanwhile

        def claimed():
            """The columns this process evaluates, in order; with a second
            process, None for each column that one has taken meanwhile (so
            the progress bar counts both)."""
            if claims is None:
                yield from shared
                return
            seen = 0
            while (taken := claims.back()) is not None:
                theirs = claims.taken_from_the_front()
                yield from [None] * (theirs - seen)
                seen = theirs
                yield shared[len(shared) - 1 - taken]
            yield from [None] * (len(shared) - claims.taken_from_the_back() - seen)

        for column in (progress(claimed(), len(shared)) if progress else claimed()):
            if column is not None:
                evaluate_here(column)
        results = []
        if pending is not None:
            from generator.forked import Died

            try:
                results = pending.result()
            except Died:  # the second process died (killed, out of memory): its columns are done here
                for i in claims.left_to_the_second():
                    evaluate_here(shared[len(shared) - 1 - i])
    finally:
        if pending is not None:
            pending.cancel()
    for column, packed in results:
        for code in packed:
            index, capability, granted, asked = _unpacked(code)
            store(index, column, capability, granted, asked)
    for (index, capability), granted in key_cells.items():
        asked = capability in key_wanted.get(index, ())
        if granted or asked:
            store(index, KEY_COLUMN, capability, granted, asked)
    return Matrix(config_label, policies_label, config.organization_id, rows, columns, descriptions, cells,
                  arns.s3_layout, stage_table(config), evaluate_guardrails(config, policies, rows))


def stage_table(config: Config) -> list[tuple[str, list[str], list[str]]]:
    """[(stage, approving accounts, workload accounts reading it)] in stage
    order, for every group alike; [] without stages."""
    return [
        (stage, stage_approvers(config, stage),
         sorted(n for n, a in config.accounts.items() if a.kind == "workload" and account_stage(config, n) == stage))
        for stage in stage_names(config)
    ]


def evaluate_exhaustive(config: Config, policies: PolicySet) -> dict[tuple[Principal, str, str], tuple[bool, bool]]:
    """Every (row, column, capability) evaluated request by request, with no
    shortcut, as (granted, expected): the reference the tests hold
    :func:`evaluate` to."""
    arns = Arns.of(config)
    rows = principals(config, arns, registry_statements(policies))
    columns = (sorted(config.model_groups) + [f"{REPOSITORY_PREFIX}{n}" for n in sorted(config.ecr_repositories)]
               + [KEY_COLUMN])
    out = {}
    for principal in rows:
        for column in columns:
            wanted = expected(config, principal, column)
            for capability in of_scope(column_scope(column)):
                ways = checks(config, policies, arns, principal, column, capability.name)
                out[(principal, column, capability.name)] = (
                    any(all(c.decision.allowed for c in w) for w in ways), capability.name in wanted)
    return out


# Above this many model groups the report is written in its compact form
# (one line per group; evidence for differences only): a table with a column
# per group stops being readable long before it stops being computable.
LARGE_GROUPS = 50
