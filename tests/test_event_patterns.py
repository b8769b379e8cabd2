"""Event rules: the cheapest exact pattern per set of receivers.

For every configured group and every account, a group's event reaches the
account iff the config makes it a receiver (deployer, approver, stage
approver): checked exhaustively with an independent implementation of
EventBridge's matching for the operators the plan uses (EventBridge user
guide, "Comparison operators for use in event patterns",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html,
and "Content filtering in Amazon EventBridge event patterns"):

- a pattern field whose value is a list matches when the event's value
  equals one of its strings, or satisfies one of its operator objects;
- ``{"anything-but": "x"}`` / ``{"anything-but": ["x", "y"]}`` matches any
  value other than those;
- a field the pattern does not name is not filtered; a field the pattern
  names but the event lacks does not match;
- nested objects (``detail``) match field by field.

Negative cases first: who must not receive a group's events.
"""

from __future__ import annotations

import json

import pytest

from generator import events, kinds
from generator.arns import Arns
from generator.config import config_from_text

from .conftest import EXAMPLE
from .lintkit import findings, write
from .test_stage_gates import staged_text


def eb_matches(pattern: dict, event: dict) -> bool:
    """EventBridge's matching, for exact strings, anything-but and nesting."""
    for key, wanted in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not eb_matches(wanted, value):
                return False
            continue
        assert isinstance(wanted, list) and wanted, f"a pattern field holds a non-empty list: {key}"
        if not any(_one(option, value) for option in wanted):
            return False
    return True


def _one(option, value) -> bool:
    if isinstance(option, str):
        return value == option
    assert isinstance(option, dict) and set(option) == {"anything-but"}, f"operator not implemented: {option}"
    but = option["anything-but"]
    return value not in ([but] if isinstance(but, str) else but)


def event(group: str) -> dict:
    """A SageMaker Model Package State Change event (fields the patterns read)."""
    return {"source": events.SOURCE, "detail-type": events.DETAIL_TYPE, "account": "111111111111",
            "detail": {"ModelPackageGroupName": group, "ModelApprovalStatus": "Approved",
                       "ModelPackageArn": f"arn:aws:sagemaker:us-east-1:111111111111:model-package/{group}/1"}}


def test_the_matcher_itself():
    # negative first: another group, another source, a missing field
    assert not eb_matches(events.pattern(["a"]), event("b"))
    assert not eb_matches(events.pattern(["a"]), {**event("a"), "source": "aws.s3"})
    assert not eb_matches(events.all_but_pattern(["a"]), event("a"))
    assert not eb_matches({"detail": {"Missing": ["x"]}}, event("a"))
    assert eb_matches(events.pattern(["a", "b"]), event("b"))
    assert eb_matches(events.all_but_pattern(["a"]), event("b"))
    assert eb_matches({"source": [events.SOURCE], "detail-type": [events.DETAIL_TYPE]}, event("anything"))


def _varied_text(groups: int = 200) -> str:
    """Receivers of every shape: six accounts that deploy every group (two
    rules of five and one), one that deploys all but every 50th (anything-but),
    one that deploys half (listed, several chunks), one that deploys two
    (listed), and a governance account approving every third (listed)."""
    names = [f"credit-risk-scoring-model-for-region-{i:04d}" for i in range(groups)]
    accounts = "".join(f'  dep-all-{i}: {{id: "{910000000000 + i}", kind: deployment, roles: [Pipeline]}}\n' for i in range(6))
    accounts += ('  dep-most: {id: "920000000001", kind: deployment, roles: [Pipeline]}\n'
                 '  dep-half: {id: "920000000002", kind: deployment, roles: [Pipeline]}\n'
                 '  dep-few: {id: "920000000003", kind: deployment, roles: [Pipeline]}\n'
                 '  gov-a: {id: "930000000001", kind: governance, roles: [Approver]}\n'
                 '  gov-b: {id: "930000000002", kind: governance, roles: [Approver]}\n')
    body = ""
    for i, name in enumerate(names):
        deployers = [f"dep-all-{k}" for k in range(6)]
        deployers += ["dep-most"] if i % 50 else []
        deployers += ["dep-half"] if i % 2 == 0 else []
        deployers += ["dep-few"] if i in (3, 7) else []
        approvers = ["gov-a"] if i % 3 == 0 else []
        body += (f"  {name}:\n    developers: [data-science]\n    deployers: [{', '.join(deployers)}]\n"
                 f"    approvers: [{', '.join(approvers)}]\n")
    return (
        "partition: aws\nregion: us-east-1\norganization_id: o-a1b2c3d4e5\n"
        "registry:\n  account: shared-services\n  artifact_bucket: acme-ml-model-artifacts\n"
        "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n  access_point_prefix: mr-\n"
        'accounts:\n  shared-services: {id: "111111111111", kind: registry}\n'
        '  data-science: {id: "222222222222", kind: development, roles: [SageMakerExecutionRole]}\n'
        + accounts + "model_groups:\n" + body
    )


CONFIGS = {
    "example": lambda: EXAMPLE.read_text(),
    "stages": staged_text,
    "varied": _varied_text,
}


def _rules(config) -> list[dict]:
    rule_kind = kinds.one(role=kinds.DATA, target_type="rule")
    return [p.document for p in rule_kind.render(config, Arns.of(config))]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_each_event_reaches_exactly_the_groups_receivers(name):
    config = config_from_text(CONFIGS[name]())
    rules = _rules(config)
    by_id = {a.id: n for n, a in config.accounts.items()}
    arns = Arns.of(config)
    for group in sorted(config.model_groups):
        expected = set(events.receivers_of(config, group))
        reached: list[str] = []
        for rule in rules:
            if eb_matches(rule["EventPattern"], event(group)):
                reached += [by_id[t["Arn"].split(":")[4]] for t in rule["Targets"]]
                assert all(t["Arn"] == events.bus_arn(arns, config.accounts[by_id[t["Arn"].split(":")[4]]].id)
                           for t in rule["Targets"])
        assert set(reached) == expected, group  # nobody else, and every receiver
        assert len(reached) == len(expected), group  # and each receiver once (no duplicate delivery)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_lint_reading_of_a_pattern_is_eventbridges(name):
    # events.matched_groups (what lint's event-targets-are-parties reads) against the matcher, every rule x group
    config = config_from_text(CONFIGS[name]())
    for rule in _rules(config):
        matched = {g for g in config.model_groups if eb_matches(rule["EventPattern"], event(g))}
        assert events.matched_groups(rule["EventPattern"], config.model_groups) == matched


def test_each_receiver_set_takes_its_cheapest_form():
    config = config_from_text(_varied_text())
    plan = events.plan(config)
    forms: dict[tuple, list] = {}
    for rule in plan:
        forms.setdefault(rule.receivers, []).append(rule.pattern()["detail"]["ModelPackageGroupName"]
                                                    if "detail" in rule.pattern() else None)
    # six accounts that get every group: no filter, 5 targets + 1
    assert forms[tuple(f"dep-all-{k}" for k in range(5))] == [None]
    assert forms[("dep-all-5",)] == [None]
    # all but every 50th: one anything-but of the four left out
    assert forms[("dep-most",)] == [[{"anything-but": [f"credit-risk-scoring-model-for-region-{i:04d}"
                                                       for i in range(0, 200, 50)]}]]
    # half: listed by name, chunked (the anything-but of the other half is no cheaper)
    assert len(forms[("dep-half",)]) > 1 and all(isinstance(f[0], str) for f in forms[("dep-half",)])
    assert forms[("dep-few",)] == [[f"credit-risk-scoring-model-for-region-{i:04d}" for i in (3, 7)]]
    assert all(len(json.dumps(r.pattern(), separators=(",", ":"))) <= events.MAX_PATTERN for r in plan)
    assert len(plan) == 2 + 1 + len(forms[("dep-half",)]) + 1 + len(forms[("gov-a",)])


def _issue_shape(accounts: int, groups: int) -> str:
    """Issue 29's event shape: 20 deployment accounts deploying every group
    (deployers omitted), 10 governance accounts approving every group, and
    the rest development and workload accounts."""
    lines = ["partition: aws", "region: us-east-1", "organization_id: o-a1b2c3d4e5", "registry:",
             "  account: registry", "  artifact_bucket: acme-ml-model-artifacts",
             "  kms_key_alias: alias/ml-model-artifacts", "  s3_layout: access_points", "  access_point_prefix: mr-",
             "accounts:", '  registry: {id: "100000000000", kind: registry}']
    lines += [f'  deploy-{i:02d}: {{id: "{200000000000 + i}", kind: deployment, roles: [Pipeline]}}' for i in range(20)]
    lines += [f'  gov-{i:02d}: {{id: "{300000000000 + i}", kind: governance, roles: [Approver]}}' for i in range(10)]
    rest = accounts - 31
    lines += [f'  ds-{i:03d}: {{id: "{400000000000 + i}", kind: development, roles: [Trainer]}}' for i in range(rest // 2)]
    lines += [f'  wl-{i:03d}: {{id: "{500000000000 + i}", kind: workload, stage: prod, roles: [Runner]}}'
              for i in range(rest - rest // 2)]
    lines.append("model_groups:")
    for g in range(groups):
        lines += [f"  model-{g:05d}:", f"    developers: [ds-{g % (rest // 2):03d}]",
                  f"    consumers: [wl-{g % (rest - rest // 2):03d}]"]
    return "\n".join(lines) + "\n"


def test_the_issues_shape_fits_the_default_rule_quota():
    # 500 accounts x 10,000 groups: 30 receivers that all get every group -> 6 unfiltered rules (was 1,483 on main
    # with different receiver sets; there every receiver set listed its groups by name).
    config = config_from_text(_issue_shape(500, 10_000))
    plan = events.plan(config)
    assert len(plan) == 6
    assert all("detail" not in r.pattern() and len(r.receivers) == 5 for r in plan)


def _lint_rules(config, tmp_path, mutate=None):
    from generator.render import render

    files = render(config)
    if mutate is not None:
        for path in [p for p in files if "/event-rule-" in p]:
            doc = json.loads(files[path])
            if mutate(doc):
                files[path] = json.dumps(doc, indent=2) + "\n"
    return [f.message for f in findings(config, write(tmp_path, files), "event-targets-are-parties")]


def test_lint_flags_an_anything_but_that_lets_a_group_through_to_a_non_receiver(tmp_path):
    config = config_from_text(_varied_text(60))

    def drop_one_exclusion(doc):
        values = doc["EventPattern"].get("detail", {}).get("ModelPackageGroupName", [])
        if values and isinstance(values[0], dict):
            values[0]["anything-but"] = values[0]["anything-but"][1:]
            return True
        return False

    messages = _lint_rules(config, tmp_path, drop_one_exclusion)
    assert messages == ["target account dep-most does not receive the events of credit-risk-scoring-model-for-region-0000"]


def test_lint_agrees_with_the_plan_on_every_form(tmp_path):
    assert _lint_rules(config_from_text(_varied_text(60)), tmp_path) == []
