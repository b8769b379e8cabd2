"""The stage record handler over the wire: the registry function's second
handler against the local AWS server (moto's DynamoDB and SageMaker, the
lifecycle middleware of generator/apply/localaws.py).

Negative cases first: events that are not its business, a forged version
ARN, a redelivered event (nothing written twice), an event handled out of
order (the current state never moves backwards); then the record of a whole
promotion.

What is not here yet (docs/stage-record.md): the table's Terraform, the
function's grants on it and the rule that sends the registry's own state
changes; the handler wants no event until a table is configured.
"""

from __future__ import annotations

import boto3
import pytest

from generator.registry_function import stage_record
from generator.registry_function.common import Clients, GroupSettings, Refused, Settings
from generator.registry_function.handler import dispatch

from .localaws import LocalAws

REGISTRY, DEV = "111111111111", "222222222222"
REGION, GROUP, TABLE = "us-east-1", "credit-risk", "model-registry-stage-record"
SETTINGS = Settings("aws", REGION, REGISTRY, "acme-ml-model-artifacts",
                    {GROUP: GroupSettings((DEV,))}, "Test", TABLE)


@pytest.fixture(scope="module")
def server():
    with LocalAws() as aws:
        yield aws


@pytest.fixture
def world(server):
    server.reset()
    base = dict(endpoint_url=server.endpoint_url, region_name=REGION,
                aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")
    creds = boto3.client("sts", **base).assume_role(
        RoleArn=f"arn:aws:iam::{REGISTRY}:role/model-registry-function", RoleSessionName="record")["Credentials"]
    session = dict(endpoint_url=server.endpoint_url, region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                   aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    sm, ddb = boto3.client("sagemaker", **session), boto3.client("dynamodb", **session)
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}])
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = sm.create_model_package(
        ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval",
        ModelLifeCycle={"Stage": "Test", "StageStatus": "PendingApproval", "StageDescription": "registered"},
        InferenceSpecification={"Containers": [{"Image": f"{REGISTRY}.dkr.ecr.{REGION}.amazonaws.com/x@sha256:"
                                                         + "0" * 64, "ModelDataUrl": "s3://b/credit-risk/m.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    world = type("World", (), {})()
    world.sm, world.ddb, world.arn = sm, ddb, arn
    world.clients = Clients(None, sm, None, None, ddb)
    yield world
    server.reset()


def event(world, event_id: str, **detail) -> dict:
    return {"version": "0", "id": event_id, "source": "aws.sagemaker",
            "detail-type": "SageMaker Model Package State Change", "account": REGISTRY, "region": REGION,
            "time": "2026-12-07T10:00:00Z",
            "detail": {"ModelPackageGroupName": GROUP, "ModelPackageArn": world.arn, **detail}}


def items(world) -> list[dict]:
    got = world.ddb.query(TableName=TABLE, KeyConditionExpression="pk = :g",
                          ExpressionAttributeValues={":g": {"S": GROUP}})["Items"]
    return [{k: (int(v["N"]) if "N" in v else v.get("S")) for k, v in item.items()} for item in got]


def decide(world, stage, status, approval):
    world.sm.update_model_package(ModelPackageArn=world.arn, ModelApprovalStatus=approval,
                                  ModelLifeCycle={"Stage": stage, "StageStatus": status, "StageDescription": "d"})


# --- negative first -----------------------------------------------------------------------------
def test_without_a_table_the_handler_wants_nothing(world):
    unset = Settings("aws", REGION, REGISTRY, "b", {GROUP: GroupSettings((DEV,))}, "Test")
    assert not stage_record.wants(event(world, "e1"), unset)
    with pytest.raises(Refused):
        dispatch(event(world, "e1"), unset, world.clients)
    assert items(world) == []


@pytest.mark.parametrize("change", [
    {"account": DEV},  # a development account's local group: the copy handler's business
    {"detail": {"ModelPackageGroupName": "not-configured"}},
])
def test_events_that_are_not_its_business_are_refused(world, change):
    e = {**event(world, "e1"), **change}
    assert not stage_record.wants(e, SETTINGS)
    with pytest.raises(Refused):
        dispatch(e, SETTINGS, world.clients)
    assert items(world) == []


@pytest.mark.parametrize("arn", [
    f"arn:aws:sagemaker:{REGION}:{DEV}:model-package/{GROUP}/1",  # another account's version
    f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/churn-predictor/1",  # another group's
    f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/{GROUP}/x",
    None,
])
def test_a_version_arn_outside_the_group_is_refused_and_writes_nothing(world, arn):
    e = event(world, "e1")
    e["detail"]["ModelPackageArn"] = arn
    with pytest.raises(Refused):
        dispatch(e, SETTINGS, world.clients)
    assert items(world) == []


def test_a_redelivered_event_writes_nothing_twice(world):
    first = dispatch(event(world, "e1"), SETTINGS, world.clients)
    assert first == {"group": GROUP, "version": 1, "current_written": True, "history_written": True}
    again = dispatch(event(world, "e1"), SETTINGS, world.clients)
    assert again == {"group": GROUP, "version": 1, "current_written": False, "history_written": False}
    assert [i["sk"] for i in items(world)] == ["V#0000000001", "V#0000000001#H#e1"]


def test_an_event_handled_out_of_order_never_moves_the_current_state_back(world):
    decide(world, "Test", "Approved", "PendingManualApproval")
    dispatch(event(world, "e2", ModelLifeCycle={"Stage": "Test", "StageStatus": "Approved"}), SETTINGS, world.clients)
    decide(world, "Prod", "Approved", "Approved")
    dispatch(event(world, "e3", ModelLifeCycle={"Stage": "Prod", "StageStatus": "Approved"},
                   ModelApprovalStatus="Approved"), SETTINGS, world.clients)
    # The first change's event arrives last (EventBridge does not order deliveries).
    late = dispatch(event(world, "e1", ModelLifeCycle={"Stage": "Test", "StageStatus": "PendingApproval"},
                          ModelApprovalStatus="PendingManualApproval"), SETTINGS, world.clients)
    assert late["current_written"] is False and late["history_written"] is True
    by_sk = {i["sk"]: i for i in items(world)}
    current = by_sk["V#0000000001"]
    assert (current["stage"], current["stage_status"], current["approval"]) == ("Prod", "Approved", "Approved")
    history = {sk.rsplit("#", 1)[1]: (i["stage"], i["stage_status"]) for sk, i in by_sk.items() if "#H#" in sk}
    assert history == {"e1": ("Test", "PendingApproval"), "e2": ("Test", "Approved"), "e3": ("Prod", "Approved")}


class Stale:
    """SageMaker as a slower invocation saw it: the answer it read before a
    later change (a real answer of the local server, captured earlier)."""

    def __init__(self, answer):
        self.answer = answer

    def describe_model_package(self, ModelPackageName):
        return self.answer


def test_a_slower_invocation_with_an_older_read_never_overwrites_a_newer_state(world):
    old = world.sm.describe_model_package(ModelPackageName=world.arn)  # Test / PendingApproval
    decide(world, "Test", "Approved", "PendingManualApproval")
    assert dispatch(event(world, "e2"), SETTINGS, world.clients)["current_written"] is True
    slow = Clients(None, Stale(old), None, None, world.ddb)
    assert dispatch(event(world, "e1"), SETTINGS, slow)["current_written"] is False
    [current] = [i for i in items(world) if i["sk"] == "V#0000000001"]
    assert (current["stage"], current["stage_status"]) == ("Test", "Approved")


# --- positive -------------------------------------------------------------------------------------
def test_the_record_says_who_decided_what_and_when(world):
    decide(world, "Test", "Approved", "PendingManualApproval")
    dispatch(event(world, "e1"), SETTINGS, world.clients)
    [current] = [i for i in items(world) if i["sk"] == "V#0000000001"]
    assert current["arn"] == world.arn and current["version"] == 1
    assert (current["stage"], current["stage_status"], current["stage_description"]) == ("Test", "Approved", "d")
    assert current["approval"] == "PendingManualApproval"
    assert current["modified_by"].endswith(":assumed-role/model-registry-function/record")
    assert current["modified_at"].endswith("Z") and current["modified_ms"] > 0
