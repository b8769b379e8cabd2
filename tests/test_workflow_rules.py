"""The workflow's rules without AWS: step order (refusals first), which version a
stage may use, naming the gate behind an AccessDenied, and the output formats."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.apply.status_format import GroupStatus, Status, as_json, markdown, page, table
from generator.apply.workflow import (
    GATE_BACKWARDS, GATE_FROZEN, GATE_NOT_YOUR_STAGE, GATE_SKIP, Change, VersionState, caller_party, check_step,
    description, latest_approved, name_gate,
)
from generator.config import load_config

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "workflow.yaml"
CONFIG = load_config(FIXTURE)
APPROVER = "arn:aws:sts::666666666666:assumed-role/ModelApproverRole/jane"
RISK = "arn:aws:sts::777777777777:assumed-role/ModelRiskApprover/omar"
SCIENTIST = "arn:aws:sts::222222222222:assumed-role/SageMakerExecutionRole/job"


def version(stage=None, status=None, number=3, approval="PendingManualApproval", history=None) -> VersionState:
    return VersionState(group="credit-risk", version=number,
                        arn=f"arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-risk/{number}",
                        approval=approval, stage=stage, stage_status=status, stage_description=None,
                        created_at="2026-11-28T10:00:00Z", created_by=SCIENTIST, modified_at=None, modified_by=None,
                        history=history)


# --- refused steps, each with its gate and reason ------------------------------------
REFUSED = [
    ("no lifecycle, straight to QA", version(), "QA", GATE_SKIP,
     "has no stage yet; its developers register it into Development (PendingApproval) first"),
    ("no lifecycle, straight to Prod", version(), "Prod", GATE_SKIP, "register it into Development"),
    ("no lifecycle, approved into the first stage", version(), "Development", "order",
     "then Development's approvers decide it"),
    ("Development approved, skip QA", version("Development", "Approved"), "Prod", GATE_SKIP,
     "QA comes next (stages in order: Development, QA, Prod): promote --to QA first"),
    ("QA approved, back to Development", version("QA", "Approved"), "Development", GATE_BACKWARDS,
     "Development comes before QA and a version never moves back"),
    ("Prod rejected, back to QA", version("Prod", "Rejected"), "QA", GATE_BACKWARDS, "never moves back"),
    ("Development pending, on to QA", version("Development", "PendingApproval"), "QA", "order",
     "is at Development (PendingApproval); QA needs Development Approved first"),
    ("Development rejected, on to QA", version("Development", "Rejected"), "QA", "order",
     "QA needs Development Approved first"),
    ("unknown stage in AWS", version("Staging", "Approved"), "QA", "order",
     "is at stage 'Staging', which is not one of the stages of accounts.yaml"),
]


@pytest.mark.parametrize("name,state,target,gate,reason", REFUSED, ids=[r[0] for r in REFUSED])
def test_out_of_order_steps_are_refused_with_the_gate_and_the_reason(name, state, target, gate, reason):
    refusal = check_step(CONFIG, state, target)
    assert refusal is not None
    assert refusal.gate == gate
    assert reason in refusal.reason
    assert refusal.reason.startswith("version 3 of credit-risk")


IN_ORDER = [
    ("first stage pending, decided", version("Development", "PendingApproval"), "Development"),
    ("Development approved, on to QA", version("Development", "Approved"), "QA"),
    ("QA approved, on to Prod", version("QA", "Approved"), "Prod"),
    ("QA approved, re-decided (rejected after all)", version("QA", "Approved"), "QA"),
    ("Prod rejected, re-decided", version("Prod", "Rejected"), "Prod"),
    ("stage names compare case-insensitively", version("development", "Approved"), "QA"),
]


@pytest.mark.parametrize("name,state,target", IN_ORDER, ids=[r[0] for r in IN_ORDER])
def test_steps_in_order_pass(name, state, target):
    assert check_step(CONFIG, state, target) is None


# --- which version a stage may use (the consumer gate's rule) ---------------------------
def test_latest_approved_is_the_newest_version_at_the_stage_approved_or_past_it():
    states = [version("Prod", "Approved", 1), version("QA", "Approved", 2), version("QA", "Rejected", 3),
              version("QA", "PendingApproval", 4), version("Development", "Approved", 5), version(None, None, 6)]
    assert latest_approved(CONFIG, states, "Prod").version == 1
    assert latest_approved(CONFIG, states, "QA").version == 2  # 3 rejected, 4 pending: not usable by QA
    assert latest_approved(CONFIG, states, "Development").version == 5
    assert latest_approved(CONFIG, [version("Prod", "PendingApproval", 7)], "Prod") is None
    assert latest_approved(CONFIG, [version("Prod", "PendingApproval", 7)], "QA").version == 7  # QA approved it
    assert latest_approved(CONFIG, [version(None, None, 1)], "Development") is None
    assert latest_approved(CONFIG, [], "Prod") is None


# --- naming the gate of an AccessDenied -------------------------------------------------------
def test_access_denied_to_a_role_that_does_not_approve_the_stage_names_not_your_stage():
    line = name_gate(CONFIG, version("QA", "Approved"), "Prod", APPROVER, "denied")
    assert line.startswith(f"refused by the registry ({GATE_NOT_YOUR_STAGE}): {APPROVER} does not approve Prod")
    assert "Prod is decided by roles ModelRiskApprover in model-risk" in line


def test_access_denied_to_a_developer_on_an_approved_version_names_the_frozen_gate():
    line = name_gate(CONFIG, version("Development", "Approved"), "Development", SCIENTIST, "denied")
    assert line.startswith(f"refused by the registry ({GATE_FROZEN}): version 3 of credit-risk is Development Approved")


def test_access_denied_after_the_version_moved_names_the_order_gate():
    # checked at Development Approved, but someone promoted it to QA meanwhile
    line = name_gate(CONFIG, version("Prod", "Approved"), "QA", APPROVER, "denied")
    assert line.startswith(f"refused by the registry ({GATE_BACKWARDS}):")
    assert "it changed since the check" in line


def test_access_denied_to_the_right_approver_points_at_drifted_policies_or_own_iam():
    line = name_gate(CONFIG, version("QA", "Approved"), "Prod", RISK, "User: ... is not authorized")
    assert "accounts.yaml lets" in line and "apply --check" in line and "own IAM" in line


def test_caller_party_reads_assumed_role_and_role_arns():
    assert caller_party(CONFIG, APPROVER) == ("governance", "ModelApproverRole")
    assert caller_party(CONFIG, "arn:aws:iam::777777777777:role/team/ModelRiskApprover") == ("model-risk",
                                                                                          "ModelRiskApprover")
    assert caller_party(CONFIG, "arn:aws:sts::999999999999:assumed-role/X/y") == (None, "X")
    assert caller_party(CONFIG, "arn:aws:iam::111111111111:user/bob") == (None, None)


def test_the_description_records_decision_identity_and_note():
    assert description("Approved", APPROVER, "ticket CR-12") == f"Approved by {APPROVER}: ticket CR-12"


# --- formats ---------------------------------------------------------------------------
def sample() -> Status:
    history = (Change("2026-11-28T10:00:00Z", SCIENTIST, "Development", "PendingApproval", "registered", {}),
               Change("2026-11-28T10:05:00Z", APPROVER, "Development", "Approved", "ok | <b>", {}))
    good = GroupStatus("credit-risk", "arn:g", [version("Development", "Approved", 2, history=history),
                                                version(None, None, 1, history=())])
    bad = GroupStatus("churn-predictor", "arn:h", error="access denied on ListModelPackages")
    return Status("111111111111", "us-east-1", [good, bad], ["Development", "QA", "Prod"], True)


def test_json_is_stable_and_sorted():
    text = as_json(sample())
    assert text == as_json(sample())
    doc = json.loads(text)
    assert doc["format"] == "model-registry-status/1"
    assert [g["name"] for g in doc["groups"]] == ["churn-predictor", "credit-risk"]
    assert [v["version"] for v in doc["groups"][1]["versions"]] == [1, 2]
    assert doc["groups"][0]["error"] == "access denied on ListModelPackages"
    assert doc["groups"][1]["versions"][1]["history"][1]["by"] == APPROVER
    assert text == json.dumps(doc, indent=2, sort_keys=True) + "\n"


def test_table_and_markdown_show_every_version_history_and_errors():
    text = table(sample())
    assert re.search(r"^credit-risk +1 +PendingManualApproval +- +- ", text, re.M)
    assert re.search(r"^credit-risk +2 +PendingManualApproval +Development +Approved ", text, re.M)
    assert "history: 2026-11-28T10:05:00Z Development/Approved by 666666666666:assumed-role/ModelApproverRole/jane" in text
    assert "churn-predictor  error: access denied on ListModelPackages" in text
    md = markdown(sample())
    assert "ok \\| &lt;b&gt;" in md  # a pipe or HTML in a description does not break the table
    assert md.count("\n| credit-risk |") == 2


def test_html_is_self_contained_sortable_and_escaped():
    text = page(sample())
    assert "<script src" not in text and "http://" not in text and "https://" not in text
    assert "<link" not in text
    assert "ok | &lt;b&gt;" in text  # escaped
    assert "aria-sort" in text and "getElementById('filter')" in text

    class Cells(HTMLParser):
        rows = 0

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows += 1

    parser = Cells()
    parser.feed(text)
    assert parser.rows == 1 + 3  # header + two versions + one failed group
