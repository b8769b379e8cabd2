"""``report --capability approve-stage:STAGE``: who approves stage STAGE of each group.

Chosen over a column per stage in the matrix: a stage approval is one
request per group (generator/report/capabilities.py,
:func:`~generator.report.capabilities.stage_approval_requests`), asked of
the matrix's rows only when the question is asked, so the matrix, its
committed files and its cost at 10,000 groups stay as they are. The
Stages table already says which accounts the config makes approvers of
each stage; this answer is what the rendered policies grant, row by row
(every listed role and each account's "any other role"), with both halves
of the cross-account call and explicit denies, as every cell is decided.
"""

from __future__ import annotations

from generator.arns import Arns
from generator.config.stages import stage_approvers
from generator.report.capabilities import STAGE_CAPABILITY_PREFIX, stage_approval_requests


def parse(config, name: str) -> str:
    """The stage an ``approve-stage:STAGE`` capability names, as the config spells it; ValueError otherwise."""
    stages = [stage.name for stage in config.stages or ()]
    wanted = name[len(STAGE_CAPABILITY_PREFIX):]
    if not stages:
        raise ValueError("the config has no stages: (docs/stages.md)")
    found = next((s for s in stages if s.lower() == wanted.lower()), None)
    if found is None:
        raise ValueError(f"{wanted or '(empty)'} is not a stage: one of {', '.join(stages)}")
    return found


def answer(config, policies, principals, groups: list[str], stages: list[str]) -> list[str]:
    """One line per (group, stage): every row granted the approval, an
    ``(extra: not asked for)`` mark on a row whose account the config does
    not make an approver of the stage, and a ``missing:`` line for an approver
    account none of whose rows can."""
    arns = Arns.of(config)
    order = tuple(stage.name for stage in config.stages or ())
    lines = []
    for group in groups:
        for stage in stages:
            ways = stage_approval_requests(arns, group, stage, order)
            expected = set(stage_approvers(config, stage))
            granted = [p for p in principals
                       if any(all(policies.decide(p.arn, probe.action, probe.resource, dict(probe.context),
                                                  org=config.organization_id).allowed for probe in way)
                              for way in ways)]
            who = ", ".join(f"{p.label}{'' if p.account in expected else ' (extra: not asked for)'}"
                            for p in granted) or "nobody"
            lines.append(f"{group}: {STAGE_CAPABILITY_PREFIX}{stage}: {who}")
            lines += [f"  missing: {account} (an approver of stage {stage}, no role of it can)"
                      for account in sorted(expected - {p.account for p in granted})]
    return lines
