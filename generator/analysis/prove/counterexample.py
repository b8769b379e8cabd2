"""A solver model as one concrete request, replayed through the evaluator.

The request (principal ARN, action, resource, context) is read off the
model; ``PolicySet.decide`` (what ``explain`` uses) decides it again. The
solver's verdict on the rendered set and the evaluator's must agree: a
disagreement is an error of the prover or the evaluator, and is reported
as such, never as a proof.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from generator.analysis.evaluate import Decision


@dataclass
class Counterexample:
    principal: str
    action: str
    resource: str
    context: dict
    solver_allows: bool  # the solver's verdict on the rendered set
    intent_allows: bool
    evaluator: Decision | None = None
    statements: list = field(default_factory=list)  # rendered statements that apply: "path: Sid (Effect)"
    grants: list = field(default_factory=list)  # intent grants that apply: "party: Grant (Effect)"

    @property
    def agrees(self) -> bool:
        return self.evaluator is not None and self.evaluator.allowed == self.solver_allows

    def lines(self) -> list[str]:
        context = ", ".join(f"{k}={v}" for k, v in sorted(self.context.items())) or "(no condition keys)"
        out = [
            f"principal {self.principal}",
            f"action    {self.action}",
            f"resource  {self.resource}",
            f"context   {context}",
            f"rendered: {'allowed' if self.solver_allows else 'denied'}"
            + (f" (evaluator: {self.evaluator.reason})" if self.evaluator else ""),
            f"intent:   {'allowed' if self.intent_allows else 'denied'}",
        ]
        out += [f"  statement {s}" for s in self.statements] or ["  no rendered statement applies"]
        out += [f"  grant     {g}" for g in self.grants] or ["  no grant of the config applies"]
        if not self.agrees:
            out.append("ERROR: the solver and the evaluator disagree on this request")
        return out


def _string(model, expr) -> str:
    if isinstance(expr, str):
        return expr
    value = model.eval(expr, model_completion=True)
    return value.as_string() if z3.is_string_value(value) else str(value)


def concrete(model, req, allowed_rendered, allowed_intent, rendered, intent) -> Counterexample:
    context: dict = {}
    for name, key in sorted(req.keys.items()):
        if key.fixed:
            continue
        count = model.eval(key.count, model_completion=True).as_long()
        values = [_string(model, key.values[i]) for i in range(count)]
        if count:
            context[name] = values if len(key.values) > 1 else values[0]
    true = lambda f: z3.is_true(model.eval(f, model_completion=True))  # noqa: E731
    return Counterexample(
        principal=_string(model, req.principal),
        action=_string(model, req.action),
        resource=_string(model, req.resource),
        context=context,
        solver_allows=true(allowed_rendered),
        intent_allows=true(allowed_intent),
        statements=[f"{path}: {sid} ({effect})" for path, sid, effect, f in rendered.statements if true(f)],
        grants=[f"{label}: {name} ({effect})" for label, name, effect, f in intent.grants if true(f)],
    )


def replay(policies, example: Counterexample, modelled: set[str]) -> Decision:
    """The evaluator's decision on the request: the normal context's keys
    the model leaves absent are removed (``modelled``: lower-cased keys the
    encoding decides)."""
    normal = policies.normal_context(example.principal, example.resource, None)
    context: dict = {}
    for name in normal:
        if name.lower() in modelled and name.lower() not in example.context and name.lower() not in (
                "aws:principalarn",):
            context[name] = None
    spelled = {name.lower(): name for name in normal}
    for name, value in example.context.items():
        context[spelled.get(name, name)] = value
    return policies.decide(example.principal, example.action, example.resource, context)
