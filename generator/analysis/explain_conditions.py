"""Why a request was denied, condition by condition, for ``explain``.

:func:`generator.analysis.policyset.PolicySet.decide` says which statements applied.
When the answer is DENY the useful question is the near miss: which Allow
statement names this principal, action and resource but has a condition the
request does not meet, and which context would meet it; and for an explicit
Deny, which condition made it apply. Conditions are judged with the
evaluator's own :func:`generator.analysis.evaluate.condition_holds`, on the same
request context, so this can never disagree with the verdict.
"""

from __future__ import annotations

from generator.analysis.evaluate import (
    NEGATED,
    Request,
    _as_list,
    _principal_matches,
    _substitute,
    condition_holds,
    glob_match,
    value_strings,
    with_defaults,
)
from generator.analysis.policyset import PolicySet


def _applies_but_for_conditions(stmt: dict, request: Request, resource_policy: bool) -> bool:
    if resource_policy and not _principal_matches(stmt.get("Principal"), request):
        return False
    if not any(glob_match(a, request.action, case_sensitive=False) for a in _as_list(stmt.get("Action"))):
        return False
    resources = [_substitute(r, request.context) for r in _as_list(stmt.get("Resource"))]
    return any(glob_match(r, request.resource) for r in resources)


def _actual(context: dict, key: str) -> str:
    for name, value in context.items():
        if name.lower() == key.lower():
            return ",".join(map(str, _as_list(value))) or "(empty)"
    return "(absent)"


def describe(operator: str, key: str, values, context: dict) -> str:
    """One condition the request fails, and the context that would meet it."""
    shown = ",".join(value_strings(values))
    actual = _actual(context, key)
    base = operator.split(":", 1)[-1].removesuffix("IfExists")
    head = f"{operator} {key} {shown} (the request has {key}={actual})"
    if base == "Null":
        wants_absent = str(_as_list(values)[0]).lower() == "true"
        return f"{head}: needs {key} {'absent (--context ' + key + '=)' if wants_absent else 'present'}"
    if base in NEGATED:
        return f"{head}: needs {key} to be none of {shown}"
    first = str(_as_list(values)[0]).lower() if isinstance(_as_list(values)[0], bool) else str(_as_list(values)[0])
    return f"{head}: met with --context {key}={first}"


def near_misses(policies: PolicySet, principal: str, action: str, resource: str, context: dict,
                prefix: str = "") -> list[str]:
    """Lines naming each Allow statement that matches all but its conditions,
    with the conditions the request fails."""
    request = with_defaults(Request(principal, action, resource, context))
    sources: list[tuple[str, str, dict, bool]] = []
    for entry in policies.identity_entries(principal):
        sources.append(("identity", entry["path"], policies.docs[entry["path"]], False))
    entry = policies.resource_entry(resource)
    if entry:
        sources.append(("resource", entry["path"], policies.docs[entry["path"]], True))
    lines = []
    for half, path, doc, is_resource in sources:
        for stmt in _as_list(doc.get("Statement")):
            if not _applies_but_for_conditions(stmt, request, is_resource):
                continue
            failing = [
                describe(operator, key, values, request.context)
                for operator, keys in (stmt.get("Condition") or {}).items()
                for key, values in keys.items()
                if not condition_holds(operator, key, values, request.context)
            ]
            if stmt.get("Effect") == "Allow" and failing:
                lines.append(f"  {half} policy {prefix}{path}: Allow {stmt.get('Sid', '?')} would apply, but the request fails")
                lines += [f"    - {line}" for line in failing]
            elif stmt.get("Effect") == "Deny" and not failing:
                held = [
                    f"{operator} {key} {','.join(map(str, _as_list(values)))} "
                    f"(the request has {key}={_actual(request.context, key)})"
                    for operator, keys in (stmt.get("Condition") or {}).items()
                    for key, values in keys.items()
                ]
                if held:
                    lines.append(f"  {half} policy {prefix}{path}: Deny {stmt.get('Sid', '?')} applies because every "
                                 "condition holds; a request where one fails escapes it:")
                    lines += [f"    - {line}" for line in held]
    return lines
