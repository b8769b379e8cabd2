"""The benchmark's organization shapes (benchmarks/synth.py SHAPES) are what
they say, and each either renders within every limit and quota or is
refused with one line (issue 29)."""

from __future__ import annotations

import pytest

from benchmarks.synth import SHAPES, build
from generator import events
from generator.config import config_from_text
from generator.config.stages import stage_approvers, stage_names
from generator.errors import PolicyTooLarge
from generator.render import render_all


def test_the_default_shape_is_unchanged_by_the_new_parameters():
    assert build(60, 40, **SHAPES["default"]) == build(60, 40)


def test_each_shape_has_its_parties():
    receivers = config_from_text(build(60, 40, **SHAPES["receivers"]))
    assert sum(a.kind == "deployment" for a in receivers.accounts.values()) == 20
    assert sum(a.kind == "governance" for a in receivers.accounts.values()) == 15
    assert all(len(events.receivers_of(receivers, g)) == 35 for g in receivers.model_groups)
    for name, count, governance in (("stages3", 3, 10), ("stages5", 5, 20)):
        config = config_from_text(build(60, 40, **SHAPES[name]))
        names = stage_names(config)
        assert len(names) == count
        assert len(stage_approvers(config, names[-1])) == governance  # the last: every governance account
        assert all(stage_approvers(config, n) == ["gov-000"] for n in names[:-1])
    busy = config_from_text(build(60, 400, **SHAPES["busy-workload"]))
    assert sum("wl-000-prod" in busy.party_accounts(g, "consumers") for g in busy.model_groups) >= 300


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_renders_or_is_refused_in_one_line(shape):
    config = config_from_text(build(60, 40, **SHAPES[shape]))
    try:
        rendered = render_all(config)
    except PolicyTooLarge as refused:
        assert "\n" not in str(refused) and str(refused)
        return
    assert all(u.count <= u.value for u in rendered.quotas)
    assert all(t.size <= t.kind.limit.size for t in rendered.sizes.values())
