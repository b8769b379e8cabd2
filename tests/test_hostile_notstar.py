"""NotAction, NotResource and NotPrincipal are evaluated as IAM does
(issue 12: report and explain ignored them, so an Allow with NotAction gave
"no differences"). Negative cases first.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
"""

from __future__ import annotations

import json

from generator.analysis.evaluate import Request, decide, statement_applies
from generator.cli import main
from generator.config import config_from_text
from generator.render import render

from .hostile import BASE

ROLE = "arn:aws:iam::222222222222:role/SageMakerExecutionRole"
OTHER = "arn:aws:iam::999999999999:role/Intruder"
GROUP = "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/credit-risk"
OBJECT = "arn:aws:s3:::acme-ml-model-artifacts/credit-risk/model.tar.gz"


def stmt(**fields) -> dict:
    return {"Sid": "S", "Effect": "Allow", **fields}


def req(action="s3:GetObject", resource=OBJECT, principal=ROLE) -> Request:
    return Request(principal, action, resource, {})


# --- NotAction --------------------------------------------------------------

def test_not_action_does_not_apply_to_a_listed_action():
    assert not statement_applies(stmt(NotAction="s3:*", Resource="*"), req("s3:GetObject"), False)
    assert not statement_applies(stmt(NotAction=["iam:*", "s3:Get*"], Resource="*"), req("s3:GetObject"), False)


def test_not_action_applies_to_every_other_action():
    assert statement_applies(stmt(NotAction="iam:*", Resource="*"), req("s3:GetObject"), False)
    assert statement_applies(stmt(NotAction="iam:*", Resource="*"), req("sagemaker:DeleteModelPackageGroup", GROUP), False)


def test_deny_with_not_action_denies_everything_else():
    allow = {"Statement": [stmt(Action="*", Resource="*")]}
    deny = {"Statement": [{"Sid": "D", "Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}]}
    assert not decide(req("s3:PutObject"), [allow, deny], None, "222222222222").allowed
    assert decide(req("s3:GetObject"), [allow, deny], None, "222222222222").allowed


# --- NotResource ------------------------------------------------------------

def test_not_resource_does_not_apply_to_a_listed_resource():
    assert not statement_applies(stmt(Action="s3:*", NotResource="arn:aws:s3:::acme-ml-model-artifacts/*"), req(), False)


def test_not_resource_applies_to_every_other_resource():
    assert statement_applies(stmt(Action="s3:*", NotResource="arn:aws:s3:::other-bucket/*"), req(), False)


# --- NotPrincipal -----------------------------------------------------------

def test_not_principal_does_not_apply_to_the_named_principal():
    s = stmt(NotPrincipal={"AWS": ROLE}, Action="s3:*", Resource="*")
    assert not statement_applies(s, req(principal=ROLE), True)
    s = stmt(NotPrincipal={"AWS": "arn:aws:iam::222222222222:root"}, Action="s3:*", Resource="*")
    assert not statement_applies(s, req(principal=ROLE), True)


def test_not_principal_applies_to_everyone_else():
    s = stmt(NotPrincipal={"AWS": ROLE}, Action="s3:*", Resource="*")
    assert statement_applies(s, req(principal=OTHER), True)


def test_allow_with_not_principal_grants_a_stranger_cross_account():
    resource = {"Statement": [stmt(NotPrincipal={"AWS": ROLE}, Action="s3:GetObject", Resource="*")]}
    identity = {"Statement": [stmt(Action="s3:GetObject", Resource="*")]}
    assert decide(req(principal=OTHER), [identity], resource, "111111111111").allowed
    assert not decide(req(principal=ROLE), [identity], resource, "111111111111").allowed


# --- through report and explain ---------------------------------------------

def _rendered(tmp_path):
    config = tmp_path / "accounts.yaml"
    config.write_text(BASE)
    out = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 0
    return config, out


def test_report_sees_an_allow_with_not_action(tmp_path, capsys):
    config, out = _rendered(tmp_path)
    path = out / "test" / "policies" / "iam-role-SageMakerExecutionRole.json"
    doc = json.loads(path.read_text())
    doc["Statement"].append({"Sid": "Sneaky", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    path.write_text(json.dumps(doc, indent=2))
    bucket = out / "shared-services" / "policies" / "model-package-group-credit-risk.json"
    group = json.loads(bucket.read_text())
    group["Statement"].append({"Sid": "SneakyToo", "Effect": "Allow",
                               "Principal": {"AWS": "arn:aws:iam::444444444444:role/SageMakerExecutionRole"},
                               "NotAction": "sagemaker:List*", "Resource": "*"})
    bucket.write_text(json.dumps(group, indent=2))
    capsys.readouterr()
    code = main(["report", "--config", str(config), "--policies", str(out), "--out", str(tmp_path / "report")])
    captured = capsys.readouterr()
    assert code == 1, captured.out + captured.err


def test_explain_allows_through_not_action(tmp_path, capsys):
    config, out = _rendered(tmp_path)
    request = ["explain", "--config", str(config), "--policies", str(out),
               "--principal", "arn:aws:iam::444444444444:role/SageMakerExecutionRole",
               "--action", "sagemaker:DeleteModelPackageGroup", "--resource", GROUP]
    assert main(request) == 1  # denied as rendered
    for relative, sid, extra in [
        ("test/policies/iam-role-SageMakerExecutionRole.json", "Sneaky", {}),
        ("shared-services/policies/model-package-group-credit-risk.json", "SneakyToo",
         {"Principal": {"AWS": "arn:aws:iam::444444444444:role/SageMakerExecutionRole"}}),
    ]:
        path = out / relative
        doc = json.loads(path.read_text())
        doc["Statement"].append({"Sid": sid, "Effect": "Allow", "NotAction": "iam:*", "Resource": "*", **extra})
        path.write_text(json.dumps(doc, indent=2))
    capsys.readouterr()
    assert main(request) == 0, capsys.readouterr()
