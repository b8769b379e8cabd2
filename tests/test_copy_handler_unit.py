"""The registry function's handler in-process, without any AWS: what it
refuses from the event alone, before a single call (clients=None would fail
on first use), and the pure checks it makes on what SageMaker answers.
tests/test_copy_function.py runs it end to end against the local server."""

from __future__ import annotations

import pytest

from generator.registry_function import copy_version
from generator.registry_function.common import GroupSettings, Refused, Settings
from generator.registry_function.handler import dispatch

SETTINGS = Settings("aws", "us-east-1", "111111111111", "acme-ml-model-artifacts",
                    {"credit-risk": GroupSettings(("222222222222",), ("credit-risk-serving",))}, "Test")
ARN = "arn:aws:sagemaker:us-east-1:222222222222:model-package/credit-risk/3"


def event(arn=ARN, account="222222222222", **extra):
    return {"source": "aws.sagemaker", "detail-type": "SageMaker Model Package State Change", "account": account,
            "detail": {"ModelPackageArn": arn, **extra}}


@pytest.mark.parametrize("evt, message", [
    ("not a dict", "not a JSON object"),
    ({"source": "aws.sagemaker"}, "no handler"),
    (event(account="111111111111"), "no handler"),  # the registry's own events: no copy to make
    ({**event(), "detail": "x"}, "has no detail"),
    (event(arn=None), "not a model package version ARN"),
    (event(arn=ARN + "/4"), "not a model package version ARN"),
    (event(arn=ARN.replace("/3", "/03")), "not a model package version ARN"),
    (event(arn=" " + ARN), "not a model package version ARN"),
    (event(arn=ARN.replace("us-east-1", "eu-west-1")), "not in aws us-east-1"),
    (event(arn=ARN.replace("credit-risk", "churn-predictor")), "not a copy-mode group"),
    (event(arn=ARN.replace("222222222222", "777777777777"), account="777777777777"), "does not develop"),
    (event(account="777777777777"), "comes from account"),
    ({**event(), "account": None}, "comes from account"),
])
def test_refused_from_the_event_alone(evt, message):
    with pytest.raises(Refused, match=message):
        dispatch(evt, SETTINGS, clients=None)


@pytest.mark.parametrize("uri", [
    "s3://acme-ml-model-artifacts/incoming/222222222222/credit-risk/",  # the prefix itself
    "s3://acme-ml-model-artifacts/incoming/222222222222/credit-risk//m",
    "s3://acme-ml-model-artifacts/incoming/222222222222/credit-risk/./m",
    "s3://acme-ml-model-artifacts/incoming/222222222222/credit-risk/a/../../x",
    "s3://acme-ml-model-artifacts/incoming/222222222222/credit-riskier/m",
    "s3://ACME-ml-model-artifacts/incoming/222222222222/credit-risk/m",
    "https://acme-ml-model-artifacts.s3.amazonaws.com/incoming/222222222222/credit-risk/m",
    None,
])
def test_artifact_uris_outside_the_prefix_are_refused(uri):
    with pytest.raises(Refused):
        copy_version._incoming_key(ARN, "ModelDataUrl", uri, SETTINGS.bucket, "incoming/222222222222/credit-risk/")


def test_an_artifact_under_the_prefix_is_its_key():
    key = copy_version._incoming_key(ARN, "ModelDataUrl", "s3://acme-ml-model-artifacts/incoming/222222222222/"
                                     "credit-risk/run-1/model.tar.gz", SETTINGS.bucket,
                                     "incoming/222222222222/credit-risk/")
    assert key == "incoming/222222222222/credit-risk/run-1/model.tar.gz"


@pytest.mark.parametrize("image", [
    "111111111111.dkr.ecr.us-east-1.amazonaws.com/credit-risk-serving",  # neither tag nor digest
    "111111111111.dkr.ecr.us-east-1.amazonaws.com/credit-risk-serving@sha256:abc",  # short digest
    "111111111111.dkr.ecr.us-east-1.amazonaws.com/other@sha256:" + "a" * 64,  # not the group's repository
    "222222222222.dkr.ecr.us-east-1.amazonaws.com/credit-risk-serving@sha256:" + "a" * 64,  # another account
    "111111111111.dkr.ecr.eu-west-1.amazonaws.com/credit-risk-serving@sha256:" + "a" * 64,  # another region
    "docker.io/credit-risk-serving:latest",
])
def test_images_outside_the_groups_repositories_are_refused_before_any_call(image):
    with pytest.raises(Refused):
        copy_version._pinned_image(ARN, 0, image, SETTINGS, SETTINGS.groups["credit-risk"], clients=None)


def test_settings_round_trip():
    assert Settings.from_json(SETTINGS.to_json()) == SETTINGS
