"""lifecycle-widened: no statement's lifecycle condition lets through more than accounts.yaml allows."""

from __future__ import annotations

from generator.analysis.lifecycle import expected_documents, widenings
from generator.config.stages import stage_names
from generator.errors import ConfigError, PolicyTooLarge, one_line
from generator.lint.model import Hit, rule


@rule(
    "lifecycle-widened", "error",
    "No statement's stage, stage-status or approval-status condition allows a lifecycle the render of "
    "accounts.yaml does not",
    category="security",
    fix="Re-render with `make render`; if a policy was edited by hand, restore the lifecycle conditions of the "
        "statement (the values, the operator, no IfExists where the render has none).",
    scope="set",
)
def lifecycle_widened(ctx):
    """Who may read, register or approve a version depends on its lifecycle
    (stage, stage status, approval status), and a lifecycle condition can be
    widened while every principal, action and resource stays as rendered: a
    prod consumer's stage condition widened to Prod and Test in both halves
    reads versions approved only at Test, and the probes that ask each
    party's forbidden moves never ask that. So every statement's lifecycle
    condition is compared with the statement of the same Sid in the render
    of accounts.yaml, over every combination of the keys either one names
    (each absent, each configured stage, each status, one value nobody
    configured): an Allow that matches more, or a Deny that matches less or
    is gone, is a finding (generator/analysis/lifecycle.py)."""
    try:
        expected = expected_documents(ctx.config)
    except (ConfigError, PolicyTooLarge) as exc:  # nothing to compare with: say so, lint the rest
        yield Hit(f"accounts.yaml does not render ({one_line(str(exc))}), so lifecycle conditions were not compared")
        return
    actual = {p.path: p.document for p in ctx.well_formed() if p.path in expected}
    for found in widenings(expected, actual, stage_names(ctx.config)):
        yield Hit(found.message, found.sid, found.path)
