"""Widened lifecycle conditions: what a statement's ModelLifeCycle and
approval conditions let through that the config's own render does not.

The access matrix asks a few sample lifecycles per capability, and lint's
probes ask the moves each party must be refused; neither sees a consumer's
``CurrentModelLifeCycleStage`` widened from Prod to Prod and Test in both
halves (a version approved at an earlier stage than the account's becomes
readable, and every principal, action and resource is as rendered). So
this module compares each rendered statement's lifecycle condition with the
statement of the same Sid in the render of the config, as sets of requests:
every combination of the lifecycle keys either statement names, each key
absent or set to each configured stage (in its own and in lower case), each
stage status, each approval status, and one value nobody configured. An
Allow that matches a combination its expected statement does not is
widened; so is a Deny that no longer matches one its expected statement
does (a narrowed Deny widens access), and a Deny with a lifecycle condition
that is gone. That catches a widened value list, a removed condition, an
operator turned into ``StringLike`` with ``*``, and an added ``IfExists``.

Only the lifecycle keys are compared; principals, actions, resources and
the other condition keys are the matrix's and the other rules' concern.
Each distinct pair of conditions is evaluated once, so a render with many
groups of the same shape costs little more than one.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from generator.access import (
    APPROVAL_STATUS_KEY, CURRENT_STAGE_KEY, CURRENT_STATUS_KEY, STAGE_KEY, STAGE_STATUS_KEY,
)
from generator.analysis.evaluate import condition_holds
from generator.kinds.base import IDENTITY, RESOURCE, SCP

STAGE_KEYS = (STAGE_KEY, CURRENT_STAGE_KEY)
STATUS_KEYS = (STAGE_STATUS_KEY, CURRENT_STATUS_KEY)
KEYS = (*STAGE_KEYS, *STATUS_KEYS, APPROVAL_STATUS_KEY)
_CANONICAL = {key.lower(): key for key in KEYS}
_KEYS_SEEN: dict[str, str | None] = {}  # a condition key as written -> its canonical lifecycle key, or None
# SageMaker's stage statuses and approval statuses (DESIGN.md), and a value
# no config names (what a `*` or a negated operator would also let through).
STAGE_STATUSES = ("PendingApproval", "Approved", "Rejected")
APPROVAL_STATUSES = ("PendingManualApproval", "Approved", "Rejected")
UNCONFIGURED = "Unconfigured0"


def may_carry(kind) -> bool:
    """Whether a kind's statements can carry lifecycle conditions that
    decide anything: identity policies, SCPs, and the resource policies of
    the SageMaker model package types (the keys exist only in SageMaker's
    model package requests; a bucket, key, repository, bus or trust policy,
    and an RCP, which SageMaker does not support, never see them)."""
    if kind.role in (IDENTITY, SCP):
        return True
    return kind.role == RESOURCE and any(t.startswith("model-package") for t in kind.governs)


def expected_documents(config) -> dict[str, dict[object, tuple[object, dict]]]:
    """The config's own render of the kinds that may carry lifecycle
    conditions, as much of it as :func:`widenings` compares: {path: {Sid:
    (Effect, :func:`lifecycle_part`)}} (:func:`expected_statements`). Each
    document is reduced as it is rendered and dropped (render.each_policy,
    in this process), so the render's documents (10,000 group policies) are
    never all held at once, and no worker is forked from a lint or report
    process that holds every rendered document already (at 500 x 10,000
    stages3 lint's peak was 1,869 MiB with the forked re-render)."""
    from generator import collector, render

    out = {}
    with collector.paused():
        for policy in render.each_policy(config, only=may_carry):
            out[policy.path] = expected_statements(policy.document)
    return out


def expected_statements(document: dict) -> dict[object, tuple[object, dict]]:
    """{Sid: (Effect, lifecycle_part)} of a document's statements, in order
    (of two statements with one Sid, the later one's, at the first one's place)."""
    return {s.get("Sid"): (s.get("Effect"), lifecycle_part(s)) for s in _statements(document)}


@dataclass(frozen=True)
class Widening:
    path: str
    sid: str
    message: str


def lifecycle_part(stmt: dict) -> dict[str, dict[str, object]]:
    """The statement's condition entries on lifecycle keys: {operator: {canonical key: values}}."""
    out: dict[str, dict[str, object]] = {}
    condition = stmt.get("Condition")
    if not isinstance(condition, dict):
        return out
    for operator, entries in condition.items():
        if not isinstance(entries, dict):
            continue
        for key, values in entries.items():
            if type(key) is str:
                canonical = _KEYS_SEEN.get(key, False)
                if canonical is False:
                    canonical = _KEYS_SEEN[key] = _CANONICAL.get(key.lower())
            else:
                canonical = _CANONICAL.get(str(key).lower())
            if canonical is not None:
                out.setdefault(operator, {})[canonical] = values
    return out


def _values(key: str, stages: tuple[str, ...]) -> tuple[str | None, ...]:
    if key in STAGE_KEYS:
        named = tuple(dict.fromkeys(v for s in stages for v in (s, s.lower())))
    elif key in STATUS_KEYS:
        named = STAGE_STATUSES
    else:
        named = APPROVAL_STATUSES
    return (None, *named, UNCONFIGURED)


def _holds(part: dict, context: dict) -> bool:
    return all(condition_holds(op, key, values, context) for op, entries in part.items() for key, values in entries.items())


class Comparer:
    """Compares lifecycle conditions for one config's stages (memoized)."""

    def __init__(self, stages):
        self.stages = tuple(stages)
        self._memo: dict[tuple[str, str, str], str | None] = {}

    def extra(self, effect: str, expected: dict, actual: dict) -> str | None:
        """A lifecycle the actual condition lets through that the expected
        one does not (an Allow matching more, a Deny matching less), as
        ``key=value`` words; None when it widens nothing."""
        memo_key = (effect, json.dumps(expected, sort_keys=True), json.dumps(actual, sort_keys=True))
        if memo_key in self._memo:
            return self._memo[memo_key]
        keys = sorted({k for part in (expected, actual) for entries in part.values() for k in entries})
        found = None
        for combination in itertools.product(*(_values(k, self.stages) for k in keys)):
            context = {k: v for k, v in zip(keys, combination) if v is not None}
            wanted, got = _holds(expected, context), _holds(actual, context)
            if (effect == "Allow" and got and not wanted) or (effect == "Deny" and wanted and not got):
                found = ", ".join(f"{k.split(':', 1)[1]}={v}" for k, v in context.items()) or "no lifecycle at all"
                break
        self._memo[memo_key] = found
        return found


def widenings(expected_docs: dict[str, dict], actual_docs, stages) -> list[Widening]:
    """Every statement of ``actual_docs`` ({path: document}; any mapping, read
    one path at a time) whose lifecycle condition lets through what the same
    Sid of ``expected_docs`` (:func:`expected_documents`: the config's render,
    reduced) does not; and every expected lifecycle Deny that is gone."""
    comparer = Comparer(stages)
    out: list[Widening] = []
    for path in sorted(actual_docs):
        expected = expected_docs.get(path)
        actual_doc = actual_docs[path]
        if not isinstance(expected, dict) or not isinstance(actual_doc, dict):
            continue
        seen = set()
        for stmt in _statements(actual_doc):
            sid = stmt.get("Sid")
            want = expected.get(sid)
            if want is None or sid in seen:
                continue
            seen.add(sid)
            effect, wanted_part = want
            if effect == "Deny" and stmt.get("Effect") != "Deny" and wanted_part:
                out.append(Widening(path, str(sid), (
                    f"statement {sid}: the render of accounts.yaml makes it a Deny on lifecycle changes; "
                    "here it is not one")))
                continue
            if stmt.get("Effect") != effect or effect not in ("Allow", "Deny"):
                continue
            actual_part = lifecycle_part(stmt)
            if actual_part == wanted_part:
                continue  # the same conditions let through the same lifecycles (the usual case)
            if not wanted_part and not actual_part:
                continue
            extra = comparer.extra(effect, wanted_part, actual_part)
            if extra is not None:
                verb = "allows" if effect == "Allow" else "no longer refuses"
                out.append(Widening(path, str(sid), (
                    f"statement {sid}: its lifecycle condition {verb} a request with {extra}, which "
                    "accounts.yaml does not allow (compared with the render of accounts.yaml)")))
        for sid, (effect, wanted_part) in expected.items():
            if sid not in seen and effect == "Deny" and wanted_part:
                out.append(Widening(path, str(sid), (
                    f"statement {sid}: the Deny on lifecycle changes that the render of accounts.yaml puts here "
                    "is missing")))
    return out


def _statements(doc: dict) -> list[dict]:
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements or [] if isinstance(s, dict)]
