"""What the organization guardrails (SCPs, RCPs) refuse, asked of the
rendered files with generator/analysis/evaluate.py.

AWS evaluates organization policies before identity and resource policies:
an explicit Deny in an applicable SCP or RCP ends the request whatever any
other policy allows (IAM User Guide, "Policy evaluation logic").
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

Which accounts an OU holds is not in accounts.yaml, so this module assumes
the worst case for each question: every principal of the organization is
under the SCPs, and the registry's bucket and key are under the RCPs. SCPs
do not apply to principals outside the organization (a request without the
organization's aws:PrincipalOrgID); RCPs apply to every principal.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import kinds
from generator.analysis.evaluate import Request, statement_applies, with_defaults

# The organization policy kinds (generator/kinds/): SCPs bound principals, RCPs resources.
KINDS = kinds.names(lambda kind: kind.is_guardrail)
_RCPS = kinds.names(lambda kind: kind.role == kinds.RCP)
_SCPS = kinds.names(lambda kind: kind.role == kinds.SCP)


@dataclass(frozen=True)
class Guardrail:
    kind: str
    source: str  # the policy file
    document: dict


def from_policyset(policies) -> list[Guardrail]:
    """The guardrails of a render (a generator.analysis.policyset.PolicySet)."""
    return [Guardrail(e["kind"], e["path"], policies.docs[e["path"]]) for e in policies.manifest if e["kind"] in KINDS]


def denies(request: Request, guardrails: list[Guardrail], organization_id: str | None) -> list[str]:
    """``source:Sid`` of every guardrail statement that denies the request."""
    request = with_defaults(request)
    org = request.context.get("aws:PrincipalOrgID")
    in_organization = organization_id is not None and org == organization_id
    found = []
    for guardrail in guardrails:
        if guardrail.kind in _SCPS and not in_organization:
            continue
        statements = guardrail.document.get("Statement", [])
        for stmt in statements if isinstance(statements, list) else [statements]:
            if stmt.get("Effect") != "Deny":
                continue
            if statement_applies(stmt, request, resource_policy=guardrail.kind in _RCPS):
                found.append(f"{guardrail.source}:{stmt.get('Sid', '?')}")
    return found


def satisfying_context(conditions: dict[str, dict[str, list[str]]]) -> dict:
    """Request context that meets every positive condition of an Allow:
    the values a legitimate caller sends (a ``*`` in a pattern becomes a
    sample character). Negated operators are met by leaving their key out;
    ``Null: false`` keys get a value."""
    context: dict = {}
    for operator, keys in conditions.items():
        if operator == "Null":
            for key, values in keys.items():
                if str(values[0] if isinstance(values, list) else values).lower() == "false":
                    context.setdefault(key, "x")
    for operator, keys in conditions.items():
        set_op, _, base = operator.rpartition(":")
        base = base.removesuffix("IfExists")
        if base == "Null" or "Not" in base:
            continue
        for key, values in keys.items():
            values = values if isinstance(values, list) else [values]
            sample = [str(v).replace("*", "x").replace("?", "x") for v in values]
            context[key] = sample if set_op == "ForAnyValue" else sample[0]
    return context
