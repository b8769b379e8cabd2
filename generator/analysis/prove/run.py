"""Prove every property on every group: one small problem per group,
solved in worker processes when there are many (each group's problem is
independent: its domain is governed by its own group policy).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field

import z3

from generator.analysis.prove import encoding, intent as intent_, properties, rendered as rendered_
from generator.analysis.prove.counterexample import Counterexample, concrete, replay
from generator.analysis.prove.domain import Domain, combine, request, stand_ins
from generator import kinds
from generator.arns import Arns

# What the encoding covers today: the model package group policies and the
# identity policies, on each group's requests. Every other policy kind in a
# render (asked of the kind registry, by role) is reported "not proven" as a
# whole, with what it decides.
_WHAT = {kinds.TRUST: "role trust (sts:AssumeRole)", kinds.SCP: "SCP boundaries", kinds.RCP: "RCP boundaries"}


def not_encoded(manifest: list[dict]) -> list[tuple[str, str]]:
    """[(kind, what it decides)] of the rendered kinds the encoding does not cover."""
    covered = {kinds.governing("model-package-group").name, kinds.one(role=kinds.IDENTITY).name}
    out = []
    for name in sorted({e["kind"] for e in manifest} - covered):
        kind = kinds.get(name)
        if kind is None or kind.role == kinds.DATA:
            continue
        what = _WHAT.get(kind.role) or f"requests on {', '.join(kind.governs) or kind.target_type}"
        out.append((name, what))
    return out


SOLVER_TIMEOUT_MS = 60_000


@dataclass
class Result:
    group: str
    name: str
    detail: str
    status: str
    reason: str = ""
    counterexample: Counterexample | None = None
    seconds: float = 0.0

    @property
    def title(self) -> str:
        return f"{self.name}{' ' + self.detail if self.detail else ''}"


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    not_encoded: list[tuple[str, str]] = field(default_factory=list)  # (kind, what it decides)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == properties.FAILED]

    @property
    def not_proven(self) -> list[Result]:
        return [r for r in self.results if r.status == properties.NOT_PROVEN]

    @property
    def disagreements(self) -> list[Result]:
        return [r for r in self.results if r.counterexample is not None and not r.counterexample.agrees]


def _domain(config, arns: Arns, group: str, policies) -> Domain:
    ids = tuple(sorted(config.accounts[n].id for n in config.accounts))
    texts = [config.organization_id or ""] + [e["target"] for e in policies.manifest]
    found = _STAND_INS.get(id(policies))
    if found is None or found[0] is not policies:
        text = _all_text(policies)
        mentioned = tuple(sorted(set(re.findall(r"(?<![0-9])[0-9]{12}(?![0-9])", text)) - set(ids)))
        found = _STAND_INS[id(policies)] = (policies, stand_ins(texts + [text], set(ids)), mentioned)
    _, (in_org, outside), mentioned = found
    return Domain(arns.partition, arns.region, arns.registry_id, group, ids, in_org, outside, config.organization_id,
                  mentioned)


_STAND_INS: dict = {}


def _all_text(policies) -> str:
    import json

    read = {kinds.governing("model-package-group").name, kinds.one(role=kinds.IDENTITY).name}
    return "\n".join(json.dumps(policies.docs[e["path"]]) for e in policies.manifest if e["kind"] in read)


@dataclass
class Case:
    """One action's (or every other action's) formulas of a group."""

    req: object
    rendered: object
    side: object
    checks: list


def cases(config, policies, group: str, identities=None, only: str | None = None) -> tuple[Domain, list[Case]]:
    """A group's formulas: one Case per literal action the policies and the
    grants name (built for that action alone: statements that do not name
    it drop out), and one for every other action (a string equal to none
    of them, case-insensitively). Together they cover every action.
    ``only``: that one action's Case. encoding.Unsupported when a policy
    uses what is not modelled."""
    arns = Arns.of(config)
    domain = _domain(config, arns, group, policies)
    wide = {e["target"] for e in policies.roles if e.get("scope") == "registry-wide"}
    identities = identities if identities is not None else intent_.identities(config, arns, wide)
    intent = intent_.Intent(intent_.holders(config, arns, group), intent_.for_group(identities, domain))
    entries = rendered_.condition_entries(policies, domain) + intent_.condition_entries(intent, domain.organization_id)
    keys = encoding.collect_keys(entries, set(encoding.FIXED_KEYS))
    for key in (encoding.ORG_KEY,) + properties.KEYS:
        keys.setdefault(key.lower(), 1)
    spelled: dict[str, str] = {}
    for a in sorted(_actions(policies, domain)) + [a for h in intent.holders for _, g in h.grants for a in g.actions]:
        spelled.setdefault(a.lower(), a)
    actions = [only] if only is not None else sorted(spelled.values(), key=str.lower) + [None]
    out = []
    for action in actions:
        req = request(domain, keys, action, tuple(spelled.values()))
        rendered = rendered_.encode(policies, domain, req)
        side = intent_.encode(config, intent, domain, req)
        out.append(Case(req, rendered, side, properties.checks(config, domain, req, rendered, side)))
    return domain, out


def solver_allows(config, policies, group: str, principal: str, action: str, resource: str, context: dict) -> bool:
    """The solver's verdict on one concrete request of the group's domain
    (what the random-request tests compare with the evaluator)."""
    domain, [case] = cases(config, policies, group, only=action)
    req = case.req
    lowered = {k.lower(): v for k, v in context.items()}
    prefix = f"arn:{domain.partition}:iam::"
    account, _, name = principal[len(prefix):].partition(":role/")
    solver = z3.Solver()
    solver.add(*req.constraints)
    solver.add(req.account == z3.StringVal(account), req.name == z3.StringVal(name),
               req.resource == z3.StringVal(resource))
    for key, symbolic in req.keys.items():
        if symbolic.fixed:
            continue
        values = lowered.get(key)
        values = [] if values is None else [values] if isinstance(values, str) else list(values)
        if len(values) > len(symbolic.values):
            raise ValueError(f"{key}: more values than the encoding holds")
        solver.add(symbolic.count == len(values))
        solver.add(*[symbolic.values[i] == z3.StringVal(v) for i, v in enumerate(values)])
    solver.add(combine(req, domain, case.rendered.halves))
    verdict = solver.check()
    if verdict == z3.unknown:
        raise RuntimeError(solver.reason_unknown())
    return verdict == z3.sat


def prove_group(config, policies, group: str, identities=None) -> list[Result]:
    names = [(c.name, c.detail) for c in _names(config)]
    try:
        domain, found = cases(config, policies, group, identities)
    except encoding.Unsupported as exc:
        return [Result(group, n, d, properties.NOT_PROVEN, f"the encoding does not model {exc}") for n, d in names]
    out = []
    for index, check in enumerate(found[0].checks):
        started = time.perf_counter()
        if check.not_applicable:
            out.append(Result(group, check.name, check.detail, properties.NOT_APPLICABLE, check.not_applicable))
            continue
        if check.not_encoded:
            out.append(Result(group, check.name, check.detail, properties.NOT_ENCODED, check.not_encoded))
            continue
        result = Result(group, check.name, check.detail, properties.PROVEN)
        for case in found:
            violation = z3.simplify(case.checks[index].violation)
            if z3.is_false(violation):
                continue
            solver = z3.Solver()
            solver.set("timeout", SOLVER_TIMEOUT_MS)
            solver.add(*case.req.constraints)
            solver.add(violation)
            verdict = solver.check()
            if verdict == z3.sat:
                req = case.req
                example = concrete(solver.model(), req, combine(req, domain, case.rendered.halves),
                                   combine(req, domain, case.side.halves), case.rendered, case.side)
                example.evaluator = replay(policies, example, set(req.keys))
                result.status, result.counterexample, result.reason = properties.FAILED, example, ""
                break
            if verdict != z3.unsat:
                result.status = properties.NOT_PROVEN
                result.reason = f"the solver gave up ({solver.reason_unknown()})"
        result.seconds = time.perf_counter() - started
        out.append(result)
    return out


def _actions(policies, domain: Domain) -> set[str]:
    """Every literal action the domain's rendered statements name."""
    identities, group = rendered_.documents(policies, domain)
    out = set()
    for _entry, doc in identities + ([group] if group else []):
        for stmt in encoding._as_list(doc.get("Statement") if isinstance(doc, dict) else None):
            if isinstance(stmt, dict):
                for a in encoding._as_list(stmt.get("Action")) + encoding._as_list(stmt.get("NotAction")):
                    if isinstance(a, str) and "*" not in a and "?" not in a:
                        out.add(a)
    return out


def _names(config):
    """The (name, detail) of every check, for results that never reach the solver."""
    return [properties.Check(n, d, None) for n, d in (
        ("same-as-intent", "allows-more"), ("same-as-intent", "allows-less"),
        ("registry-half", "allows-more"), ("registry-half", "allows-less"),
        ("registry-half", "denies-less"), ("registry-half", "denies-more"),
        ("identity-half", "allows-more"), ("identity-half", "allows-less"), ("identity-half", "denies-less"),
        ("outside-organization", ""), ("developers-never-approve", ""), ("stages-in-order", ""),
        ("consumers-read-approved", ""), ("released-never-overwritten", ""))]


_WORKER: dict = {}


def _init(config_path, policies_dir):
    from pathlib import Path

    from generator.analysis.policyset import PolicySet
    from generator.config import load_config

    config = load_config(Path(config_path))
    policies = PolicySet.from_dir(Path(policies_dir), parallel=False)
    arns = Arns.of(config)
    wide = {e["target"] for e in policies.roles if e.get("scope") == "registry-wide"}
    _WORKER.update(config=config, policies=policies, identities=intent_.identities(config, arns, wide))


def _work(group: str) -> list[Result]:
    return prove_group(_WORKER["config"], _WORKER["policies"], group, _WORKER["identities"])


def prove(config, policies, groups=None, jobs: int = 1, paths: tuple | None = None, progress=None) -> Report:
    """Every property on every group (``groups``: a subset). ``jobs`` > 1
    solves groups in that many processes (``paths``: (config, policies
    directory) for the workers to read)."""
    started = time.perf_counter()
    report = Report()
    groups = sorted(config.model_groups) if groups is None else list(groups)
    report.not_encoded = not_encoded(policies.manifest)
    if jobs > 1 and paths and len(groups) > 1:
        import multiprocessing

        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with context.Pool(jobs, initializer=_init, initargs=paths) as pool:
            for results in pool.imap(_work, groups, chunksize=max(1, len(groups) // (jobs * 8))):
                report.results += results
                if progress:
                    progress()
    else:
        arns = Arns.of(config)
        wide = {e["target"] for e in policies.roles if e.get("scope") == "registry-wide"}
        identities = intent_.identities(config, arns, wide)
        for group in groups:
            report.results += prove_group(config, policies, group, identities)
            if progress:
                progress()
    report.seconds = time.perf_counter() - started
    return report
