"""Promote by copy, over the wire: the registry function against the local AWS server.

The registry account's bucket carries the bucket policy the render writes
for tests/fixtures/copy/accounts.yaml (credit-risk by copy, churn-predictor
direct); the local server enforces its Deny statements on object writes and
deletes, and honours CreateModelPackage's ClientToken (generator/apply/localaws.py;
moto does neither). Each test starts from an empty server.

Negative cases first: who cannot write released/, which events are refused
(and that a refused event writes nothing), then redelivery and concurrency,
then the whole flow.
"""

from __future__ import annotations

import hashlib
import json
import threading

import boto3
import pytest
from botocore.exceptions import ClientError

from generator import copyflow
from generator.config import load_config
from generator.registry_function import copy_version
from generator.registry_function.common import Clients, Refused, Settings
from generator.registry_function.handler import dispatch
from generator.render import render

from .conftest import FIXTURES
from .localaws import LocalAws

CONFIG = FIXTURES / "copy" / "accounts.yaml"
REGISTRY, DEV, OTHER_DEV = "111111111111", "222222222222", "777777777777"
BUCKET = "acme-ml-model-artifacts"
GROUP = "credit-risk"
REPO = "credit-risk-serving"
REGION = "us-east-1"
INCOMING = f"incoming/{DEV}/{GROUP}/"
MODEL = b"model bytes \x00\x01" * 1000
FUNCTION_ROLE = f"arn:aws:iam::{REGISTRY}:role/{copyflow.ROLE_NAME}"


@pytest.fixture(scope="module")
def rendered():
    config = load_config(CONFIG)
    return config, render(config)


@pytest.fixture(scope="module")
def server():
    with LocalAws() as aws:
        yield aws


class Org:
    """Clients into the local server as the organization's roles."""

    def __init__(self, server):
        self.server = server
        self.base = dict(endpoint_url=server.endpoint_url, region_name=REGION,
                         aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")

    def client(self, service: str, account: str, role: str):
        sts = boto3.client("sts", **self.base)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="copytest")["Credentials"]
        return boto3.client(service, endpoint_url=self.server.endpoint_url, region_name=REGION,
                            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])

    def function_clients(self) -> Clients:
        # The local server has no cross-account SageMaker: the source
        # version is described with a client in its own account (in AWS,
        # the function's own client, allowed by the local group policy).
        return Clients(self.client("s3", REGISTRY, copyflow.ROLE_NAME),
                       self.client("sagemaker", REGISTRY, copyflow.ROLE_NAME),
                       self.client("ecr", REGISTRY, copyflow.ROLE_NAME),
                       lambda account: self.client("sagemaker", account, "model-registry-function-reader"))


def _image_manifest(seed: str) -> str:
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"digest": "sha256:" + hashlib.sha256(seed.encode()).hexdigest(), "size": 1,
                                  "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": []})


@pytest.fixture
def org(server, rendered):
    server.reset()
    config, files = rendered
    org = Org(server)
    admin_s3 = org.client("s3", REGISTRY, "ModelRegistryTerraform")
    admin_s3.create_bucket(Bucket=BUCKET)
    admin_s3.put_bucket_policy(Bucket=BUCKET, Policy=files["shared-services/policies/s3-bucket-policy.json"])
    sm = org.client("sagemaker", REGISTRY, "ModelRegistryTerraform")
    for group in config.model_groups:
        sm.create_model_package_group(ModelPackageGroupName=group)
    ecr = org.client("ecr", REGISTRY, "ModelRegistryTerraform")
    ecr.create_repository(repositoryName=REPO, imageTagMutability="IMMUTABLE")
    digest = None
    answer = ecr.put_image(repositoryName=REPO, imageManifest=_image_manifest("v1"), imageTag="v1")
    digest = answer["image"]["imageId"]["imageDigest"]
    org.digest = digest
    org.image = f"{REGISTRY}.dkr.ecr.{REGION}.amazonaws.com/{REPO}@{digest}"
    org.settings = Settings.from_json(copyflow.function_settings(config))
    org.admin_s3, org.admin_sm, org.admin_ecr = admin_s3, sm, ecr
    org.dev_s3 = org.client("s3", DEV, "SageMakerExecutionRole")
    org.dev_sm = org.client("sagemaker", DEV, "SageMakerExecutionRole")
    org.dev_sm.create_model_package_group(ModelPackageGroupName=GROUP)
    org.dev_s3.put_object(Bucket=BUCKET, Key=INCOMING + "run-1/model.tar.gz", Body=MODEL)
    yield org
    server.reset()  # moto's backends are per process: leave nothing for the next module


def local_version(org, status="Approved", url=None, image=None, sm=None, group=GROUP) -> str:
    sm = sm or org.dev_sm
    url = url or f"s3://{BUCKET}/{INCOMING}run-1/model.tar.gz"
    arn = sm.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={"Containers": [{"Image": image or org.image, "ModelDataUrl": url}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    if status != "PendingManualApproval":
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)
    return arn


def event(arn: str, account: str = DEV, group: str = GROUP) -> dict:
    return {"version": "0", "id": "e1", "source": "aws.sagemaker", "detail-type": "SageMaker Model Package State Change",
            "account": account, "region": REGION,
            "detail": {"ModelPackageGroupName": group, "ModelPackageArn": arn, "ModelApprovalStatus": "Approved"}}


def released_keys(org) -> list[str]:
    return [o["Key"] for o in org.admin_s3.list_objects_v2(Bucket=BUCKET, Prefix="released/").get("Contents", [])]


def central_versions(org, group: str = GROUP) -> list[str]:
    return [p["ModelPackageArn"] for p in
            org.admin_sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]]


def refused(org, evt, match: str):
    with pytest.raises(Refused, match=match):
        dispatch(evt, org.settings, org.function_clients())
    assert released_keys(org) == [], "a refused event wrote released/"
    assert central_versions(org) == [], "a refused event created a central version"


def denied(call) -> str:
    with pytest.raises(ClientError) as error:
        call()
    return error.value.response["Error"]["Code"]


# --- nobody but the function writes released/, and nobody overwrites it ------------

def test_a_developer_cannot_write_released(org):
    key = f"released/{GROUP}/{DEV}-1/model.tar.gz"
    assert denied(lambda: org.dev_s3.put_object(Bucket=BUCKET, Key=key, Body=b"x", IfNoneMatch="*")) == "AccessDenied"
    assert denied(lambda: org.dev_s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")) == "AccessDenied"
    assert denied(lambda: org.dev_s3.create_multipart_upload(Bucket=BUCKET, Key=key)) == "AccessDenied"
    assert released_keys(org) == []


def test_the_registry_administrator_cannot_write_released(org):
    key = f"released/{GROUP}/{DEV}-1/model.tar.gz"
    assert denied(lambda: org.admin_s3.put_object(Bucket=BUCKET, Key=key, Body=b"x", IfNoneMatch="*")) == "AccessDenied"


def test_the_function_cannot_overwrite_or_delete_a_released_object(org):
    dispatch(event(local_version(org)), org.settings, org.function_clients())
    [key] = released_keys(org)
    s3 = org.function_clients().s3
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key=key, Body=b"evil")) == "AccessDenied"
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key=key, Body=b"evil", IfMatch='"x"')) == "AccessDenied"
    assert denied(lambda: s3.put_object(Bucket=BUCKET, Key=key, Body=b"evil", IfNoneMatch="*")) == "PreconditionFailed"
    assert denied(lambda: s3.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": key})) \
        == "AccessDenied"
    assert denied(lambda: s3.delete_object(Bucket=BUCKET, Key=key)) == "AccessDenied"
    assert denied(lambda: org.admin_s3.delete_object(Bucket=BUCKET, Key=key)) == "AccessDenied"
    assert org.admin_s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == MODEL


def test_a_developer_still_writes_its_own_incoming_prefix(org):
    org.dev_s3.put_object(Bucket=BUCKET, Key=INCOMING + "run-2/model.tar.gz", Body=b"y")  # no deny applies


# --- the event is never trusted ------------------------------------------------------

def test_an_event_for_a_direct_group_is_refused(org):
    org.dev_sm.create_model_package_group(ModelPackageGroupName="churn-predictor")
    arn = local_version(org, group="churn-predictor")
    refused(org, event(arn, group="churn-predictor"), "not a copy-mode group")


def test_an_event_from_an_account_that_does_not_develop_the_group_is_refused(org):
    other = org.client("sagemaker", OTHER_DEV, "SageMakerExecutionRole")
    other.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = local_version(org, sm=other)
    refused(org, event(arn, account=OTHER_DEV), f"account {OTHER_DEV} does not develop")


def test_an_event_whose_account_is_not_the_versions_is_refused(org):
    refused(org, event(local_version(org), account=OTHER_DEV), "comes from account")


def test_an_event_naming_no_version_arn_is_refused(org):
    refused(org, event(f"arn:aws:sagemaker:{REGION}:{DEV}:model-package-group/{GROUP}"), "not a model package version")
    refused(org, event(f"arn:aws:sagemaker:{REGION}:{DEV}:model-package/{GROUP}/1\n"), "not a model package version")


def test_an_event_of_another_source_is_refused(org):
    evt = event(local_version(org)) | {"source": "custom.forged"}
    refused(org, evt, "no handler")


def test_a_source_version_that_is_not_approved_is_refused(org):
    refused(org, event(local_version(org, status="PendingManualApproval")), "PendingManualApproval', not Approved")
    refused(org, event(local_version(org, status="Rejected")), "not Approved")


@pytest.mark.parametrize("url", [
    f"s3://{BUCKET}/{GROUP}/model.tar.gz",  # the direct layout
    f"s3://{BUCKET}/incoming/{OTHER_DEV}/{GROUP}/model.tar.gz",  # another account's prefix
    f"s3://{BUCKET}/incoming/{DEV}/churn-predictor/model.tar.gz",  # another group's prefix
    f"s3://{BUCKET}/incoming/{DEV}/{GROUP}/../../../released/{GROUP}/x",  # a climb out
    f"s3://{BUCKET}/released/{GROUP}/{DEV}-1/model.tar.gz",
    f"s3://other-bucket/{INCOMING}model.tar.gz",
])
def test_artifacts_outside_the_accounts_incoming_prefix_are_refused(org, url):
    refused(org, event(local_version(org, url=url)), "outside|not in the registry bucket")


def test_an_image_by_mutable_tag_is_refused(org):
    org.admin_ecr.create_repository(repositoryName="mutable-serving", imageTagMutability="MUTABLE")
    org.admin_ecr.put_image(repositoryName=REPO.replace("credit-risk", "mutable"), imageManifest=_image_manifest("m"),
                            imageTag="latest")
    mutable = Settings.from_json(org.settings.to_json().replace(f'"{REPO}"', '"mutable-serving"'))
    image = f"{REGISTRY}.dkr.ecr.{REGION}.amazonaws.com/mutable-serving:latest"
    with pytest.raises(Refused, match="mutable tags"):
        dispatch(event(local_version(org, image=image)), mutable, org.function_clients())
    assert released_keys(org) == [] and central_versions(org) == []


def test_an_image_outside_the_groups_repositories_is_refused(org):
    image = f"{OTHER_DEV}.dkr.ecr.{REGION}.amazonaws.com/{REPO}@{org.digest}"
    refused(org, event(local_version(org, image=image)), "not in the group's repositories")


def test_a_tag_in_an_immutable_repository_is_pinned_to_its_digest(org):
    image = f"{REGISTRY}.dkr.ecr.{REGION}.amazonaws.com/{REPO}:v1"
    result = dispatch(event(local_version(org, image=image)), org.settings, org.function_clients())
    central = org.admin_sm.describe_model_package(ModelPackageName=result["central"])
    assert central["InferenceSpecification"]["Containers"][0]["Image"] == org.image


# --- exactly once ----------------------------------------------------------------------

def test_a_redelivered_event_yields_one_central_version(org):
    evt = event(local_version(org))
    first = dispatch(evt, org.settings, org.function_clients())
    again = dispatch(evt, org.settings, org.function_clients())
    assert first["outcome"] == "created" and again == {"outcome": "exists", "central": first["central"],
                                                       "source": first["source"]}
    assert central_versions(org) == [first["central"]]
    assert len(released_keys(org)) == 1


def test_two_concurrent_deliveries_yield_one_central_version(org):
    evt = event(local_version(org))
    results, errors = [], []
    start = threading.Barrier(2)

    def deliver():
        clients = org.function_clients()
        start.wait()
        try:
            results.append(dispatch(evt, org.settings, clients))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(central_versions(org)) == 1
    assert {r["central"] for r in results} == set(central_versions(org))
    assert len(released_keys(org)) == 1


def test_a_released_object_with_other_content_is_never_replaced(org):
    """A copy that finds its target taken by other bytes refuses, and the
    released bytes stay as they were."""
    arn = local_version(org)
    _, _, _, _, _, version = arn.split(":")[:5] + [arn.rsplit("/", 1)[1]]
    target = f"released/{GROUP}/{DEV}-{version}/run-1/model.tar.gz"
    org.function_clients().s3.put_object(Bucket=BUCKET, Key=target, Body=b"other", IfNoneMatch="*")
    with pytest.raises(Refused, match="exists with other content"):
        dispatch(event(arn), org.settings, org.function_clients())
    assert org.admin_s3.get_object(Bucket=BUCKET, Key=target)["Body"].read() == b"other"
    assert central_versions(org) == []


# --- the whole flow ----------------------------------------------------------------------

def test_an_approved_local_version_becomes_one_central_version_pending_approval(org):
    arn = local_version(org)
    result = dispatch(event(arn), org.settings, org.function_clients())
    assert result["outcome"] == "created"
    [central_arn] = central_versions(org)
    central = org.admin_sm.describe_model_package(ModelPackageName=central_arn)
    assert central["ModelApprovalStatus"] == "PendingManualApproval"
    assert central["ModelLifeCycle"] == {"Stage": "Test", "StageStatus": "PendingApproval"}
    version = arn.rsplit("/", 1)[1]
    key = f"released/{GROUP}/{DEV}-{version}/run-1/model.tar.gz"
    container = central["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == f"s3://{BUCKET}/{key}"
    assert container["Image"] == org.image
    assert org.admin_s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == MODEL  # byte-identical
    assert central["CustomerMetadataProperties"] == {
        "SourceModelPackageArn": arn, "SourceAccount": DEV, "SourceVersion": version,
        "ArtifactSha256-0": hashlib.sha256(MODEL).hexdigest(),
    }
    # Central approval goes on as for a directly registered version.
    gov = org.client("sagemaker", REGISTRY, "ModelRegistryTerraform")
    gov.update_model_package(ModelPackageArn=central_arn, ModelApprovalStatus="Approved")
    assert org.admin_sm.describe_model_package(ModelPackageName=central_arn)["ModelApprovalStatus"] == "Approved"


def test_the_lambda_entry_point_reads_its_settings_and_refuses_other_events(org, monkeypatch):
    from generator.registry_function import handler

    monkeypatch.setenv("REGISTRY_FUNCTION_SETTINGS", org.settings.to_json())
    with pytest.raises(Refused, match="no handler"):
        handler.handler({"source": "aws.s3", "detail-type": "Object Created"}, None)


def test_the_client_token_is_derived_from_the_source_and_fits_the_api():
    arn = f"arn:aws:sagemaker:{REGION}:{DEV}:model-package/{GROUP}/3"
    token = copy_version.client_token(arn)
    assert token == copy_version.client_token(arn) != copy_version.client_token(arn[:-1] + "4")
    model = boto3.session.Session().get_available_services() and \
        __import__("botocore.session").session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateModelPackage").input_shape.members["ClientToken"]
    assert len(token) <= shape.metadata["max"]
    import re
    assert re.fullmatch(shape.metadata["pattern"], token)


def test_the_registry_accounts_own_events_are_no_copies_to_make(org):
    arn = f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/{GROUP}/1"
    refused(org, event(arn, account=REGISTRY), "no handler")
