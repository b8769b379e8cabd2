"""``make workflow-demo`` (second part): promote by copy against a local AWS.

Offline and self-contained, on tests/fixtures/copy/accounts.yaml (credit-risk
by copy): starts the local AWS server (generator/apply/localaws.py), puts the
bucket policy the render writes on the registry bucket, and then, as the
people and the function would:

1. a data scientist uploads to incoming/<account>/credit-risk/ and registers a
   local version; a write to released/ is refused;
2. the lead approves it locally; the approval event goes to the registry
   function (the handler shipped in the rendered zip's package), twice: one
   central version, pending approval at the first stage, its artifact
   byte-identical under released/, its source recorded;
3. an overwrite of the released artifact is refused, even by the function;
4. governance approves centrally, as for any version.

moto has no cross-account SageMaker or EventBridge: the event is handed to
the handler directly, and the source is described with a client in its own
account (docs/copy.md, "Not verified against AWS"). Exits non-zero if any
step is not as expected.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]
from generator import copyflow  # noqa: E402
from generator.apply.localaws import LocalAws  # noqa: E402
from generator.config import load_config  # noqa: E402
from generator.registry_function.common import Clients, Settings  # noqa: E402
from generator.registry_function.handler import dispatch  # noqa: E402
from generator.render import render  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "fixtures" / "copy" / "accounts.yaml"
REGISTRY, DEV, REGION, GROUP = "111111111111", "222222222222", "us-east-1", "credit-risk"
BUCKET = "acme-ml-model-artifacts"
MODEL = b"the model's weights" * 100


def main() -> int:
    config = load_config(CONFIG)
    files = render(config)
    problems = []

    def expect(ok: bool, what: str) -> None:
        print(("  ok  " if ok else "  !!  ") + what)
        if not ok:
            problems.append(what)

    with LocalAws() as aws:
        base = dict(endpoint_url=aws.endpoint_url, region_name=REGION, aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                    aws_secret_access_key="x")

        def client(service, account, role):
            creds = boto3.client("sts", **base).assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="demo")["Credentials"]
            return boto3.client(service, endpoint_url=aws.endpoint_url, region_name=REGION,
                                aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"])

        admin_s3, admin_sm = client("s3", REGISTRY, "ModelRegistryTerraform"), client("sagemaker", REGISTRY, "ModelRegistryTerraform")
        admin_s3.create_bucket(Bucket=BUCKET)
        admin_s3.put_bucket_policy(Bucket=BUCKET, Policy=files["shared-services/policies/s3-bucket-policy.json"])
        admin_sm.create_model_package_group(ModelPackageGroupName=GROUP)
        ecr = client("ecr", REGISTRY, "ModelRegistryTerraform")
        ecr.create_repository(repositoryName="credit-risk-serving", imageTagMutability="IMMUTABLE")
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                               "config": {"digest": "sha256:" + "1" * 64, "size": 1,
                                          "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": []})
        digest = ecr.put_image(repositoryName="credit-risk-serving", imageManifest=manifest,
                               imageTag="v1")["image"]["imageId"]["imageDigest"]

        print("1. data-science uploads and registers locally")
        dev_s3, dev_sm = client("s3", DEV, "SageMakerExecutionRole"), client("sagemaker", DEV, "SageMakerExecutionRole")
        key = f"incoming/{DEV}/{GROUP}/run-1/model.tar.gz"
        dev_s3.put_object(Bucket=BUCKET, Key=key, Body=MODEL)
        expect(True, f"wrote s3://{BUCKET}/{key}")
        try:
            dev_s3.put_object(Bucket=BUCKET, Key=f"released/{GROUP}/x", Body=b"x", IfNoneMatch="*")
            expect(False, "a developer's write to released/ is refused")
        except ClientError as error:
            expect(error.response["Error"]["Code"] == "AccessDenied", "a developer's write to released/ is refused")
        dev_sm.create_model_package_group(ModelPackageGroupName=GROUP)
        local = dev_sm.create_model_package(
            ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={"Containers": [{
                "Image": f"{REGISTRY}.dkr.ecr.{REGION}.amazonaws.com/credit-risk-serving:v1",
                "ModelDataUrl": f"s3://{BUCKET}/{key}"}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
        expect(True, f"registered {local}")

        print("2. the lead approves locally; the approval event reaches the registry function (twice)")
        dev_sm.update_model_package(ModelPackageArn=local, ModelApprovalStatus="Approved")
        event = {"source": copyflow.SOURCE, "detail-type": copyflow.DETAIL_TYPE, "account": DEV, "region": REGION,
                 "detail": {"ModelPackageArn": local, "ModelPackageGroupName": GROUP, "ModelApprovalStatus": "Approved"}}
        settings = Settings.from_json(copyflow.function_settings(config))
        clients = Clients(client("s3", REGISTRY, copyflow.ROLE_NAME), client("sagemaker", REGISTRY, copyflow.ROLE_NAME),
                          client("ecr", REGISTRY, copyflow.ROLE_NAME),
                          lambda account: client("sagemaker", account, "model-registry-function-reader"))
        first, again = dispatch(event, settings, clients), dispatch(event, settings, clients)
        print(f"       {first['outcome']}: {first['central']}; redelivered: {again['outcome']}")
        versions = admin_sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
        expect(len(versions) == 1, "one central version")
        central = admin_sm.describe_model_package(ModelPackageName=versions[0]["ModelPackageArn"])
        expect(central["ModelApprovalStatus"] == "PendingManualApproval", "pending central approval")
        expect(central.get("ModelLifeCycle") == {"Stage": "Test", "StageStatus": "PendingApproval"},
               "at the first stage, PendingApproval")
        container = central["InferenceSpecification"]["Containers"][0]
        released = container["ModelDataUrl"].split(f"s3://{BUCKET}/", 1)[1]
        expect(released.startswith(f"released/{GROUP}/"), f"points to s3://{BUCKET}/{released}")
        expect(admin_s3.get_object(Bucket=BUCKET, Key=released)["Body"].read() == MODEL, "byte-identical artifact")
        expect(container["Image"].endswith(f"@{digest}"), "image pinned by digest")
        meta = central["CustomerMetadataProperties"]
        expect(meta.get("SourceModelPackageArn") == local and
               meta.get("ArtifactSha256-0") == hashlib.sha256(MODEL).hexdigest(), "source and checksum recorded")

        print("3. nobody overwrites a released artifact, the function included")
        try:
            clients.s3.put_object(Bucket=BUCKET, Key=released, Body=b"tampered")
            expect(False, "the function's overwrite is refused")
        except ClientError as error:
            expect(error.response["Error"]["Code"] == "AccessDenied", "the function's overwrite is refused")

        print("4. governance approves centrally")
        admin_sm.update_model_package(ModelPackageArn=central["ModelPackageArn"], ModelApprovalStatus="Approved")
        expect(admin_sm.describe_model_package(ModelPackageName=central["ModelPackageArn"])["ModelApprovalStatus"]
               == "Approved", "approved centrally")
    if problems:
        print(f"copy demo: {len(problems)} step(s) not as expected", file=sys.stderr)
        return 1
    print("copy demo: every step as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
