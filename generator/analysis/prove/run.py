"""Prove every property on every group: one small problem per group,
solved in worker processes when there are many (each group's problem is
independent: its domain is governed by its own group policy).
"""

from __future__ import annotations

import os
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
    in_org, outside = _STAND_INS.get(id(policies)) or _STAND_INS.setdefault(
        id(policies), stand_ins(texts + [_all_text(policies)], set(ids)))
    return Domain(arns.partition, arns.region, arns.registry_id, group, ids, in_org, outside, config.organization_id)


_STAND_INS: dict = {}


def _all_text(policies) -> str:
    import json

    read = {kinds.governing("model-package-group").name, kinds.one(role=kinds.IDENTITY).name}
    return "\n".join(json.dumps(policies.docs[e["path"]]) for e in policies.manifest if e["kind"] in read)


def prove_group(config, policies, group: str, identities=None) -> list[Result]:
    arns = Arns.of(config)
    domain = _domain(config, arns, group, policies)
    wide = {e["target"] for e in policies.roles if e.get("scope") == "registry-wide"}
    intent = intent_.Intent(intent_.holders(config, arns, group),
                            identities if identities is not None else intent_.identities(config, arns, wide))
    names = [(c.name, c.detail) for c in _names(config)]
    try:
        entries = rendered_.condition_entries(policies, domain) + intent_.condition_entries(intent, domain.organization_id)
        keys = encoding.collect_keys(entries, set(encoding.FIXED_KEYS))
        keys.setdefault(encoding.ORG_KEY, 1)
        for key in ("sagemaker:modelapprovalstatus", "sagemaker:modellifecycle:stage",
                    "sagemaker:modellifecycle:stagestatus", "sagemaker:currentmodellifecyclestage",
                    "sagemaker:currentmodellifecyclestagestatus"):
            keys.setdefault(key, 1)
        req = request(domain, keys)
        rendered = rendered_.encode(policies, domain, req)
        encoded = intent_.encode(config, intent, domain, req)
        checks = properties.checks(config, domain, req, rendered, encoded)
    except encoding.Unsupported as exc:
        return [Result(group, n, d, properties.NOT_PROVEN, f"the encoding does not model {exc}") for n, d in names]
    allowed_r, allowed_i = combine(req, domain, rendered.halves), combine(req, domain, encoded.halves)
    actions = sorted(_actions(policies, domain) | {a.lower() for h in intent.holders for _, g in h.grants
                                                   for a in g.actions})
    out = []
    for check in checks:
        started = time.perf_counter()
        if check.not_applicable:
            out.append(Result(group, check.name, check.detail, properties.NOT_APPLICABLE, check.not_applicable))
            continue
        verdict, solver = _solve(req, check.violation, actions)
        seconds = time.perf_counter() - started
        if verdict == z3.unsat:
            out.append(Result(group, check.name, check.detail, properties.PROVEN, seconds=seconds))
        elif verdict == z3.sat:
            example = concrete(solver.model(), req, allowed_r, allowed_i, rendered, encoded)
            example.evaluator = replay(policies, example, set(req.keys))
            out.append(Result(group, check.name, check.detail, properties.FAILED, counterexample=example,
                              seconds=seconds))
        else:
            out.append(Result(group, check.name, check.detail, properties.NOT_PROVEN,
                              f"the solver gave up ({solver})", seconds=seconds))
    return out


def _actions(policies, domain: Domain) -> set[str]:
    """Every literal action (lower-cased) the domain's rendered statements name."""
    identities, group = rendered_.documents(policies, domain)
    out = set()
    for _entry, doc in identities + ([group] if group else []):
        for stmt in encoding._as_list(doc.get("Statement") if isinstance(doc, dict) else None):
            if isinstance(stmt, dict):
                for a in encoding._as_list(stmt.get("Action")) + encoding._as_list(stmt.get("NotAction")):
                    if isinstance(a, str) and "*" not in a and "?" not in a:
                        out.add(a.lower())
    return out


def _solve(req, violation, actions: list[str]):
    """One query split by action: each literal action the policies or the
    grants name (the formula simplified with the action fixed), then every
    other action (a string equal to none of them, case-insensitively). The
    cases cover every action; the first model found is the answer."""
    cases = [z3.substitute(violation, (req.action, z3.StringVal(a))) for a in actions]
    other = z3.And([z3.Not(z3.InRe(req.action, encoding._literal(a, True))) for a in actions])
    cases.append(z3.And(other, violation))
    gave_up = None
    solver = z3.Solver()
    solver.set("timeout", SOLVER_TIMEOUT_MS)
    solver.add(*req.constraints)
    for index, case in enumerate(cases):
        case = z3.simplify(case)
        if z3.is_false(case):
            continue
        solver.push()
        if index < len(actions):
            solver.add(req.action == z3.StringVal(actions[index]))
        solver.add(case)
        verdict = solver.check()
        if verdict == z3.sat:
            return verdict, solver
        if verdict != z3.unsat:
            gave_up = (verdict, solver.reason_unknown())
        solver.pop()
    return gave_up or (z3.unsat, None)


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
