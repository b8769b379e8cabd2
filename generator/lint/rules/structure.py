"""invalid-structure: the document is a well-formed IAM policy."""

from __future__ import annotations

from generator import kinds
from generator.lint.model import Hit, PolicyFile, as_list, rule

# The grammar is shared with report and explain (generator.analysis.policyfile).
from generator.analysis.policyfile import (  # noqa: E402,F401  (re-exported for rules and tests)
    ACTION_RE,
    BASE_OPERATORS,
    PRINCIPAL_TYPES,
    SID_RE,
    STATEMENT_KEYS,
    operator_known,
)
from generator.analysis.policyfile import statement_problems as _statement_problems  # noqa: E402


def _guardrail_problems(stmt: dict, kind: kinds.Kind) -> list[str]:
    """SCPs and RCPs we render only deny (an Allow would widen nothing but
    says something false); RCPs take Principal "*" only and neither
    NotAction nor NotPrincipal (AWS Organizations User Guide, "RCP syntax")."""
    problems = []
    if stmt.get("Effect") != "Deny":
        problems.append("an organization guardrail statement must be a Deny")
    if kind.role == kinds.RCP:
        if stmt.get("Principal") != "*":
            problems.append('a resource control policy statement must have Principal "*"')
        problems += [f"a resource control policy may not use {key}" for key in ("NotAction", "NotPrincipal") if key in stmt]
    return problems


@rule(
    "invalid-structure", "error",
    "The file is JSON with Version 2012-10-17 and well-formed statements",
    category="validity",
    fix="Re-render with `make render`; if the file was edited by hand, restore the element named in the message.",
)
def invalid_structure(policy: PolicyFile, ctx):
    """AWS rejects a malformed policy at apply time, and every other rule
    needs a well-formed document to reason about. Checks: parseable JSON
    object; Version "2012-10-17" (the older version disables policy
    variables); a non-empty Statement; only known elements; Effect Allow or
    Deny; exactly one of Action/NotAction and Resource/NotResource (none
    in a role trust policy, which applies to its role);
    Principal in resource policies and never in identity policies; known
    condition operators; unique, alphanumeric Sids."""
    if policy.document is None:
        yield Hit("not valid JSON" if policy.text is not None else "file is missing")
        return
    doc = policy.document
    if not isinstance(doc, dict):
        yield Hit("a policy must be a JSON object")
        return
    for key in sorted(set(doc) - {"Version", "Id", "Statement"}):
        yield Hit(f"unknown top-level element {key}")
    if doc.get("Version") != "2012-10-17":
        yield Hit(f'Version must be "2012-10-17", not {doc.get("Version")!r}')
    statements = as_list(doc.get("Statement"))
    if not statements:
        yield Hit("Statement is missing or empty")
    sids: set[str] = set()
    for index, stmt in enumerate(statements):
        sid = stmt.get("Sid") if isinstance(stmt, dict) else None
        label = f"statement {sid}" if isinstance(sid, str) and sid else f"statement #{index + 1}"
        facts = policy.facts
        resource_policy = facts is not None and facts.has_principal
        problems = _statement_problems(stmt, resource_policy, facts.implied_resource if facts else "")
        if facts is not None and facts.is_guardrail and isinstance(stmt, dict):
            problems += _guardrail_problems(stmt, facts)
        for problem in problems:
            yield Hit(f"{label}: {problem}", sid if isinstance(sid, str) else None)
        if isinstance(sid, str) and sid:
            if sid in sids:
                yield Hit(f"{label}: duplicate Sid", sid)
            sids.add(sid)
