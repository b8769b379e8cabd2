"""The optional stages: section (issue 15's config): order, approvers, workload stages.

Bad input is one line naming the key, exit 2, nothing written; a good
section resolves stage names case-insensitively and applies the approvers'
default (every governance account).
"""

from __future__ import annotations

import pytest

from generator.cli import main
from generator.config import config_from_text
from generator.config.stages import account_stage, canonical_stage, stage_approvers, stage_names

from .conftest import EXAMPLE

BASE = EXAMPLE.read_text()
GOV2 = '  model-risk:      {id: "777777777777", kind: governance, roles: [ModelRiskApprover]}\n'
WITH_GOV2 = BASE.replace("model_groups:\n", "", 1).rstrip("\n")
STAGES = """
stages:
  - name: Development
    approvers: [governance]
  - name: Test
  - name: Prod
    approvers: [model-risk]
"""


def config_text(stages: str = STAGES, accounts_extra: str = GOV2, base: str = BASE) -> str:
    text = base.replace("accounts:\n", "accounts:\n" + accounts_extra, 1)
    return text + stages


def test_without_stages_nothing_is_resolved(example_config):
    assert example_config.stages is None
    assert stage_names(example_config) == []
    assert account_stage(example_config, "prod") is None


def test_stages_resolve_case_insensitively_with_default_approvers():
    config = config_from_text(config_text())
    assert stage_names(config) == ["Development", "Test", "Prod"]
    assert canonical_stage(config, "prod") == "Prod"
    assert canonical_stage(config, "uat") is None
    assert account_stage(config, "test") == "Test"
    assert account_stage(config, "prod") == "Prod"
    assert stage_approvers(config, "Development") == ["governance"]
    assert stage_approvers(config, "Test") == ["governance", "model-risk"]  # omitted: every governance account
    assert stage_approvers(config, "Prod") == ["model-risk"]


BAD = [
    ("empty list", config_text("\nstages: []\n"), "stages: must list at least one stage"),
    ("bad stage name", config_text("\nstages:\n  - name: Dev_1\n  - name: Test\n  - name: Prod\n"),
     "stages[0].name: 'Dev_1' does not match"),
    ("duplicate name, other case", config_text("\nstages:\n  - name: Test\n  - name: prod\n  - name: PROD\n"),
     "stages[2].name: 'PROD' is also stage 1 ('prod')"),
    ("undeclared approver", config_text(STAGES.replace("[model-risk]", "[model-risks]")),
     "stages[2].approvers[0]: 'model-risks' is not declared under accounts"),
    ("non-governance approver", config_text(STAGES.replace("[model-risk]", "[data-science]")),
     "stages[2].approvers[0]: 'data-science' is a development account; stage approvers must be governance accounts"),
    ("empty approvers", config_text(STAGES.replace("[model-risk]", "[]")),
     "stages[2].approvers: stage 'Prod' must have at least one approver"),
    ("approver twice", config_text(STAGES.replace("[model-risk]", "[model-risk, model-risk]")),
     "stages[2].approvers[1]: 'model-risk' is listed twice"),
    ("workload stage not a stage", config_text(STAGES.replace("  - name: Test\n", "  - name: QA\n")),
     "accounts.test.stage: 'test' is not one of the stages (Development, QA, Prod)"),
    ("workload without stage", config_text().replace("kind: workload, stage: test,", "kind: workload,"),
     "accounts.test: with stages set, every workload account names its stage"),
    ("unknown stage key", config_text(STAGES.replace("  - name: Test\n", "  - name: Test\n    approver: [governance]\n")),
     "stages[1].approver: unknown key"),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_stages_one_line_exit_2_nothing_written(tmp_path, capsys, text, expected):
    config = tmp_path / "accounts.yaml"
    config.write_text(text)
    out = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err
    assert not out.exists()
