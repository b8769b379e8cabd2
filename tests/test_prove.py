"""``prove`` (issue 34): negative first, every tampered fixture lint and
report are tested against fails with a counterexample the evaluator
confirms; then every shipped config proves; then the solver and the
evaluator agree on random requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.analysis.policyset import PolicySet
from generator.analysis.prove import properties
from generator.analysis.prove.run import _domain, prove, solver_allows
from generator.arns import Arns
from generator.cli import main
from generator.config import config_from_text, load_config
from generator.render import render
from tests.lintkit import DEPLOY, DS, GROUP, broken, stmt, write
from tests.test_lint_rules import CASES
from tests.test_lint_stage_rules import CONSUMER_SID, PROD_ID, WIDENINGS
from tests.test_stage_gates import staged_text

from .conftest import EXAMPLE, EXAMPLE_OUT, ROOT


def _staged():
    config = config_from_text(staged_text())
    return config, render(config)


def _prove(tmp_path, config, files, group="credit-risk"):
    return prove(config, PolicySet.from_dir(write(tmp_path, files)), groups=[group])


def _failed(report) -> set[str]:
    return {r.title for r in report.failed}


def _confirmed(report) -> None:
    """Every counterexample, replayed through the evaluator, gets the solver's verdict."""
    for result in report.failed:
        example = result.counterexample
        assert example is not None and example.evaluator is not None, result.title
        assert example.agrees, (result.title, example.lines())


# --- negative first: every widening fails, with a counterexample -----------------
@pytest.mark.parametrize("widen", WIDENINGS, ids=lambda f: f.__name__.strip("_"))
def test_a_widened_prod_stage_condition_fails_with_a_request_that_shows_it(tmp_path, widen):
    """The issue's miss: Prod's stage gate widened in both halves (lint's and
    report's lifecycle-widened fixtures). The consumer of prod reads a
    version its stage has not approved, and the evaluator agrees."""
    config, files = _staged()
    files = broken(files, GROUP, lambda doc: widen(stmt(doc, CONSUMER_SID)))
    files = broken(files, PROD_ID, lambda doc: widen(stmt(doc, "DescribeApprovedAtOwnStage")))
    report = _prove(tmp_path, config, files)
    assert {"same-as-intent allows-more", "consumers-read-approved", "registry-half allows-more",
            "identity-half allows-more"} <= _failed(report), [r.title for r in report.results]
    _confirmed(report)
    example = next(r for r in report.failed if r.name == "consumers-read-approved").counterexample
    assert example.principal.startswith("arn:aws:iam::555555555555:role/")
    assert example.action.lower() == "sagemaker:describemodelpackage"
    assert example.evaluator.allowed and example.solver_allows and not example.intent_allows
    assert any(CONSUMER_SID in s for s in example.statements), example.statements
    current = (example.context.get("sagemaker:currentmodellifecyclestage", ""),
               example.context.get("sagemaker:currentmodellifecyclestagestatus", ""))
    assert current[0].lower() != "prod" or current[1].lower() != "approved", example.context


@pytest.mark.parametrize("path,sid,failing", [
    (GROUP, CONSUMER_SID, "registry-half allows-more"),
    (PROD_ID, "DescribeApprovedAtOwnStage", "identity-half allows-more"),
], ids=["group-policy-only", "identity-policy-only"])
def test_a_widening_in_one_half_fails_that_half(tmp_path, path, sid, failing):
    """The other half still blocks the request, so the decision is the
    config's: the half's own property finds the widening."""
    config, files = _staged()
    report = _prove(tmp_path, config, broken(files, path, lambda doc: WIDENINGS[0](stmt(doc, sid))))
    assert failing in _failed(report)
    assert "same-as-intent allows-more" not in _failed(report)
    _confirmed(report)
    example = next(r for r in report.failed if r.title == failing).counterexample
    assert any(path in s and sid in s for s in example.statements), example.statements


def _approval_widened(doc):
    stmt(doc, "DevelopersRegisterPendingVersions")["Condition"]["StringEquals"]["sagemaker:ModelApprovalStatus"] = [
        "PendingManualApproval", "Approved"]
    stmt(doc, "DevelopersDenyApproval")["Condition"]["StringEquals"]["sagemaker:ModelApprovalStatus"] = ["Approvedx"]


def _deny_gone(doc):
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "DevelopersDenyApproval"]


def _stage_skipped(doc):
    del stmt(doc, "StageApproversApproveProdStageAfterTest")["Condition"]["StringEqualsIgnoreCase"][
        "sagemaker:CurrentModelLifeCycleStage"]


@pytest.mark.parametrize("mutate,failing", [
    (_approval_widened, {"registry-half allows-more", "registry-half denies-less"}),
    (_deny_gone, {"registry-half denies-less"}),
    (_stage_skipped, {"registry-half allows-more"}),  # the approvers' identity half still holds the order
], ids=["approval-status-widened", "developer-deny-removed", "stage-skipped"])
def test_lifecycle_tampering_of_the_group_policy_fails(tmp_path, mutate, failing):
    config, files = _staged()
    report = _prove(tmp_path, config, broken(files, GROUP, mutate))
    assert failing <= _failed(report), sorted(_failed(report))
    _confirmed(report)


# The lint fixtures (tests/test_lint_rules.py) that change who can do what on
# a model package group, in its group policy or an identity policy.
LINT_CASES = {
    "wildcard principal, no condition": "registry-half allows-more",
    "wildcard principal, IfExists condition": "registry-half allows-more",
    "NotPrincipal in an Allow": "registry-half allows-less",  # every other account, fenced by the conditions
    "account root without PrincipalArn": "registry-half allows-more",
    "wildcard role pattern without its fence": "registry-half allows-more",
    "account not in accounts.yaml": "registry-half allows-more",
    "group lets consumers update packages": "registry-half allows-more",
    "group lets deployers register": "registry-half allows-more",
    "star resource in group policy": "registry-half allows-more",
    "service wildcard": "identity-half allows-more",
    "star action": "identity-half allows-more",
    "deployer identity policy tags packages": "identity-half allows-more",
}


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in LINT_CASES], ids=lambda c: c[0])
def test_every_lint_fixture_on_group_access_fails(tmp_path, example_config, example_files, case):
    name, _rule, path, mutate, _message = case
    group = "credit-risk"
    report = _prove(tmp_path, example_config, broken(example_files, path, mutate), group)
    assert LINT_CASES[name] in _failed(report), (name, sorted(_failed(report)))
    _confirmed(report)


def test_the_lint_cases_are_all_found():
    assert set(LINT_CASES) <= {c[0] for c in CASES}, "a lint fixture was renamed: update LINT_CASES"
    assert {DS, DEPLOY, GROUP} >= {c[2] for c in CASES if c[0] in LINT_CASES}


# --- honest scope: what is not modelled is never "proven" ----------------------
@pytest.mark.parametrize("change", [
    lambda s: s.update(Principal={"Service": "sagemaker.amazonaws.com"}),
    lambda s: s["Condition"].update({"StringEquals": {"aws:username": "${aws:username}"}}),
    lambda s: s.update(Resource=["arn:aws:sagemaker:us-east-1:111111111111:model-package/${aws:PrincipalTag/g}/*"]),
], ids=["service-principal", "username-variable", "variable-in-resource"])
def test_a_policy_the_encoding_does_not_model_is_not_proven(tmp_path, example_config, example_files, change):
    def mutate(doc):
        change(stmt(doc, "ConsumersDescribeVersions"))

    report = _prove(tmp_path, example_config, broken(example_files, GROUP, mutate))
    statuses = {r.status for r in report.results}
    assert properties.PROVEN not in statuses and statuses == {properties.NOT_PROVEN}, statuses
    assert all("does not model" in r.reason for r in report.results)


def test_kinds_not_encoded_are_listed_as_not_proven(example_config):
    report = prove(example_config, PolicySet.from_dir(EXAMPLE_OUT), groups=["churn-predictor"])
    listed = dict(report.not_encoded)
    manifest = json.loads((EXAMPLE_OUT / "manifest.json").read_text())["policies"]
    bucket = next(e["kind"] for e in manifest if e["target"].startswith("arn:aws:s3:::"))
    assert bucket in listed and "bucket" in listed[bucket]
    assert all(r.status != properties.FAILED for r in report.results)


# --- every shipped config proves ------------------------------------------------
def test_the_example_fixture_proves(example_config):
    report = prove(example_config, PolicySet.from_dir(EXAMPLE_OUT))
    assert not report.failed and not report.not_proven, [(r.title, r.reason) for r in report.results]
    assert {r.group for r in report.results} == set(example_config.model_groups)
    proven = {r.title for r in report.results if r.status == properties.PROVEN}
    assert {"same-as-intent allows-more", "same-as-intent allows-less", "outside-organization",
            "developers-never-approve"} <= proven
    applicable = {r.name for r in report.results if r.status == properties.NOT_APPLICABLE}
    assert applicable == {"stages-in-order", "consumers-read-approved", "released-never-overwritten"}


def test_a_staged_config_proves_with_its_stages(tmp_path):
    """Stages on (tests never read the user's accounts.yaml; `make check` proves that one)."""
    config, files = _staged()
    report = prove(config, PolicySet.from_dir(write(tmp_path, files)))
    assert not report.failed and not report.not_proven, [(r.title, r.reason) for r in report.results]
    assert {r.name for r in report.results if r.status == properties.NOT_APPLICABLE} == {"released-never-overwritten"}


@pytest.mark.parametrize("fixture", ["ecr.yaml", "workflow.yaml", "sandbox.yaml"])
def test_the_test_fixture_configs_prove(tmp_path, fixture):
    config = load_config(ROOT / "tests" / "fixtures" / fixture)
    report = prove(config, PolicySet.from_dir(write(tmp_path, render(config))))
    assert not report.failed and not report.not_proven, [(r.title, r.reason) for r in report.results]


# --- the solver and the evaluator agree on random requests ---------------------
def _agreement_world(tmp_path_factory, tampered: bool):
    config, files = _staged()
    if tampered:
        files = broken(files, GROUP, lambda doc: WIDENINGS[0](stmt(doc, CONSUMER_SID)))
    policies = PolicySet.from_dir(write(tmp_path_factory.mktemp("agree"), files))
    domain = _domain(config, Arns.of(config), "credit-risk", policies)
    return config, policies, domain


LIFECYCLE = ["Test", "Prod", "prod", "QA", ""]
STATUSES = ["Approved", "approved", "PendingApproval", "Rejected", ""]
KEYS = {
    "sagemaker:ModelApprovalStatus": ["Approved", "PendingManualApproval", "Rejected", "approved"],
    "sagemaker:ModelLifeCycle:Stage": LIFECYCLE,
    "sagemaker:ModelLifeCycle:StageStatus": STATUSES,
    "sagemaker:CurrentModelLifeCycleStage": LIFECYCLE,
    "sagemaker:CurrentModelLifeCycleStageStatus": STATUSES,
}


@pytest.mark.parametrize("tampered", [False, True], ids=["rendered", "tampered"])
def test_solver_and_evaluator_agree_on_random_requests(tmp_path_factory, tampered):
    config, policies, domain = _agreement_world(tmp_path_factory, tampered)
    accounts = [config.accounts[n].id for n in sorted(config.accounts)] + [domain.in_org, domain.outside]
    names = ["SageMakerExecutionRole", "ModelDeployRole", "ModelApproverRole", "ModelRiskApprover",
             "ModelDeployPipelineRole", "Other", "team/SageMakerExecutionRole"]
    actions = ["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage",
               "sagemaker:ListModelPackages", "sagemaker:DescribeModelPackageGroup", "sagemaker:DeleteModelPackage",
               "SageMaker:describemodelpackage", "s3:GetObject"]
    resources = [domain.group_arn, domain.package_prefix + "1", domain.package_prefix + "7/x"]
    context = st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in KEYS.items()})

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.sampled_from(accounts), st.sampled_from(names), st.sampled_from(actions), st.sampled_from(resources),
           context, st.booleans())
    def agree(account, name, action, resource, ctx, other_org):
        principal = f"arn:aws:iam::{account}:role/{name}"
        full = dict(ctx)
        if account != domain.outside:
            full["aws:PrincipalOrgID"] = config.organization_id
        elif other_org:
            full["aws:PrincipalOrgID"] = "o-zzzzzzzzzz"
        evaluator = policies.decide(principal, action, resource, full).allowed
        assert solver_allows(config, policies, "credit-risk", principal, action, resource, full) == evaluator, (
            principal, action, resource, full)

    agree()


# --- the command ---------------------------------------------------------------------
def test_prove_command_exits_1_with_the_counterexample(tmp_path, capsys):
    config, files = _staged()
    files = broken(files, GROUP, lambda doc: WIDENINGS[0](stmt(doc, CONSUMER_SID)))
    (tmp_path / "accounts.yaml").write_text(staged_text())
    out = write(tmp_path / "out", files)
    code = main(["prove", "--config", str(tmp_path / "accounts.yaml"), "--policies", str(out),
                 "--group", "credit-risk"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "FAILED: credit-risk: registry-half allows-more" in captured.out
    assert f"statement shared-services/policies/model-package-group-credit-risk.json: {CONSUMER_SID}" in captured.out
    assert "principal arn:aws:iam::555555555555:role/" in captured.out
    assert "disagree" not in captured.out + captured.err


def test_prove_command_exits_0_on_the_example(capsys):
    code = main(["prove", "--config", str(EXAMPLE), "--policies", str(EXAMPLE_OUT), "--jobs", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "FAILED" not in captured.out and "28 " not in captured.out
    assert "not proven: requests on bucket, object" in captured.out  # what it does not encode, said so
    assert captured.out.rstrip().splitlines()[-1].startswith("prove: 2 model group(s), ")


@pytest.mark.parametrize("argv,message", [
    (["--policies", "/nonexistent/dir"], "cannot read the rendered policies"),
    (["--group", "nope"], "--group 'nope' is not a model group"),
    (["--jobs", "-1"], "--jobs must be"),
])
def test_prove_command_bad_input_is_one_line_exit_2(capsys, argv, message):
    base = ["prove", "--config", str(EXAMPLE), "--policies", str(EXAMPLE_OUT)]
    code = main(base + argv)
    captured = capsys.readouterr()
    assert code == 2 and message in captured.err, captured.err
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err


def test_a_broken_policy_file_is_one_line_exit_2(tmp_path, capsys, example_files):
    out = write(tmp_path, {**example_files, GROUP: "{not json"})
    code = main(["prove", "--config", str(EXAMPLE), "--policies", str(Path(out))])
    captured = capsys.readouterr()
    assert code == 2 and len(captured.err.strip().splitlines()) == 1, captured.err


# --- registration: copy (docs/copy.md): the registry function and its group-policy denies ---

COPY = ROOT / "tests" / "fixtures" / "copy"
FUNCTION_POLICY = "shared-services/policies/iam-role-model-registry-function.json"


def _copy():
    config = load_config(COPY / "accounts.yaml")
    # The policies (the function's zip is bytes, and no policy).
    return config, {path: text for path, text in render(config).items() if isinstance(text, str)}


def _function_registers_approved(doc):
    stmt(doc, "RegisterCopiedVersions")["Condition"]["StringEquals"]["sagemaker:ModelApprovalStatus"] = [
        "PendingManualApproval", "Approved"]


def _function_may_update(doc):
    stmt(doc, "RegisterCopiedVersions")["Action"] = ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"]


def _function_updates_allowed(doc):
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "RegistryFunctionNeverUpdates"]


def _function_sets_any_status(doc):
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "RegistryFunctionRegistersOnlyPending"]


@pytest.mark.parametrize("mutate,failing", [
    (_function_updates_allowed, "registry-half denies-less"),
    (_function_sets_any_status, "registry-half denies-less"),
], ids=["never-updates-deny-removed", "only-pending-deny-removed"])
def test_a_removed_registry_function_deny_fails_the_registry_half(tmp_path, mutate, failing):
    config, files = _copy()
    report = _prove(tmp_path, config, broken(files, GROUP, mutate))
    assert failing in _failed(report), sorted(_failed(report))
    _confirmed(report)


@pytest.mark.parametrize("widen,deny", [
    (_function_registers_approved, _function_sets_any_status),
    (_function_may_update, _function_updates_allowed),
], ids=["registers-approved", "updates"])
def test_a_widened_registry_function_fails_once_the_group_policy_no_longer_holds_it(tmp_path, widen, deny):
    """The function's identity policy widened alone is held by the group
    policy's deny (same account: any explicit deny wins), so the decision
    does not change; with that deny gone as well, it does."""
    config, files = _copy()
    held = _prove(tmp_path / "held", config, broken(files, FUNCTION_POLICY, widen))
    assert "same-as-intent allows-more" not in _failed(held)
    report = _prove(tmp_path / "open", config, broken(broken(files, FUNCTION_POLICY, widen), GROUP, deny))
    assert "same-as-intent allows-more" in _failed(report), sorted(_failed(report))
    _confirmed(report)
    example = next(r for r in report.failed if r.title == "same-as-intent allows-more").counterexample
    assert any(FUNCTION_POLICY in s for s in example.statements), example.statements


def test_a_copy_config_proves_and_never_calls_released_proven(tmp_path):
    config, files = _copy()
    report = prove(config, PolicySet.from_dir(write(tmp_path, files)))
    assert not report.failed and not report.not_proven, [(r.title, r.reason) for r in report.results]
    released = {r.group: r.status for r in report.results if r.name == "released-never-overwritten"}
    copy_groups = set(config.copy_groups())
    assert copy_groups and all(released[g] == properties.NOT_ENCODED for g in copy_groups)
    assert all(s == properties.NOT_APPLICABLE for g, s in released.items() if g not in copy_groups)
    assert any(r.status == properties.PROVEN and r.name == "stages-in-order" for r in report.results
               if r.group in copy_groups)
