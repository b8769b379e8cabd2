"""invalid-structure: the document is a well-formed IAM policy."""

from __future__ import annotations

import re

from generator.lint.model import GUARDRAIL_POLICY_KINDS, RESOURCELESS_KINDS, Hit, PolicyFile, as_list, rule

STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
BASE_OPERATORS = {
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
    "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals",
    "ArnNotLike",
}
ACTION_RE = re.compile(r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$")
SID_RE = re.compile(r"^[A-Za-z0-9]*$")
PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}


def operator_known(operator: str) -> bool:
    set_op, _, base = operator.rpartition(":")
    if set_op not in ("", "ForAnyValue", "ForAllValues"):
        return False
    if base == "Null":
        return not set_op
    if base.endswith("IfExists"):
        base = base[: -len("IfExists")]
    return base in BASE_OPERATORS


def _strings(value) -> bool:
    values = as_list(value)
    return bool(values) and all(isinstance(v, str) and v for v in values)


def _statement_problems(stmt, resource_policy: bool, resourceless: str = "") -> list[str]:
    if not isinstance(stmt, dict):
        return ["a statement must be a JSON object"]
    problems = [f"unknown element {key}" for key in sorted(set(stmt) - STATEMENT_KEYS)]
    if stmt.get("Effect") not in ("Allow", "Deny"):
        problems.append(f"Effect must be Allow or Deny, not {stmt.get('Effect')!r}")
    if "Sid" in stmt and not (isinstance(stmt["Sid"], str) and SID_RE.match(stmt["Sid"])):
        problems.append("Sid may hold only letters and digits")
    for one, other in (("Action", "NotAction"), ("Resource", "NotResource")):
        present = [k for k in (one, other) if k in stmt]
        if one == "Resource" and resourceless:
            if present:
                problems.append(f"{present[0]} is not allowed: " + (
                    "IAM rejects a role trust policy that has it (the policy applies to its role)"
                    if resourceless == "iam_role_trust_policy" else
                    "ECR rejects a repository policy that has it (the policy applies to its repository)"))
            continue
        if len(present) != 1:
            problems.append(f"needs exactly one of {one} or {other}")
        elif not _strings(stmt[present[0]]):
            problems.append(f"{present[0]} must be a non-empty string or list of strings")
    for key in ("Action", "NotAction"):
        for action in as_list(stmt.get(key)) if _strings(stmt.get(key, "x")) else []:
            if not ACTION_RE.match(action):
                problems.append(f"{key} {action!r} is not service:Action")
    principals = [k for k in ("Principal", "NotPrincipal") if k in stmt]
    if resource_policy and len(principals) != 1:
        problems.append("a resource policy statement needs exactly one of Principal or NotPrincipal")
    if not resource_policy and principals:
        problems.append(f"an identity policy statement may not have {principals[0]}")
    for key in principals:
        value = stmt[key]
        if value != "*" and not (
            isinstance(value, dict) and value and set(value) <= PRINCIPAL_TYPES
            and all(_strings(v) for v in value.values())
        ):
            problems.append(f'{key} must be "*" or a map of AWS/Service/Federated/CanonicalUser to strings')
    condition = stmt.get("Condition", {})
    if not isinstance(condition, dict):
        problems.append("Condition must be a JSON object")
        condition = {}
    for operator, block in condition.items():
        if not operator_known(operator):
            problems.append(f"unknown condition operator {operator}")
        if not isinstance(block, dict) or not block:
            problems.append(f"Condition {operator} must map condition keys to values")
            continue
        for key, values in block.items():
            if not all(isinstance(v, (str, bool, int)) for v in as_list(values)) or not as_list(values):
                problems.append(f"Condition {operator} {key} must be a value or a list of values")
    return problems


def _guardrail_problems(stmt: dict, kind: str) -> list[str]:
    """SCPs and RCPs we render only deny (an Allow would widen nothing but
    says something false); RCPs take Principal "*" only and neither
    NotAction nor NotPrincipal (AWS Organizations User Guide, "RCP syntax")."""
    problems = []
    if stmt.get("Effect") != "Deny":
        problems.append("an organization guardrail statement must be a Deny")
    if kind == "resource_control_policy":
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
        resource_policy = policy.is_resource_policy or policy.kind == "resource_control_policy"
        problems = _statement_problems(stmt, resource_policy, policy.kind if policy.kind in RESOURCELESS_KINDS else "")
        if policy.kind in GUARDRAIL_POLICY_KINDS and isinstance(stmt, dict):
            problems += _guardrail_problems(stmt, policy.kind)
        for problem in problems:
            yield Hit(f"{label}: {problem}", sid if isinstance(sid, str) else None)
        if isinstance(sid, str) and sid:
            if sid in sids:
                yield Hit(f"{label}: duplicate Sid", sid)
            sids.add(sid)
