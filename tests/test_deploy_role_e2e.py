"""End to end on the local AWS server (tests/localaws.py: moto over real HTTP):
the workload account creates the rendered deploy role, the deployment
pipeline assumes it across accounts, and the role creates the model and the
endpoint configuration of a version, named for the group.

moto enforces no IAM policy (DESIGN.md): it stores the rendered trust and
permission documents as IAM would, and the calls succeed whatever they say.
So every call made here is also evaluated against the rendered policies with
the project's evaluator, on the ARNs the server returned, and a name outside
the group's prefix is shown refused by the rendered policy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")

from generator.config import load_config  # noqa: E402
from generator.analysis.policyset import PolicySet  # noqa: E402
from generator.render import render  # noqa: E402

from .conftest import EXAMPLE  # noqa: E402
from .localaws import LocalAws  # noqa: E402

REGION = "us-east-1"
DEPLOYMENT, PROD = "333333333333", "555555555555"
PIPELINE = f"arn:aws:iam::{DEPLOYMENT}:role/ModelDeployPipelineRole"
DEPLOY_ROLE = f"arn:aws:iam::{PROD}:role/ModelDeployRole"
EXEC_ROLE = f"arn:aws:iam::{PROD}:role/SageMakerExecutionRole"
ORG = "o-a1b2c3d4e5"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    saved = {k: os.environ.pop(k) for k in [k for k in os.environ if k.startswith("AWS_")]}
    tmp = tmp_path_factory.mktemp("aws")
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "test-access-key", "AWS_SECRET_ACCESS_KEY": "test-secret-key",
        "AWS_CONFIG_FILE": str(tmp / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    try:
        with LocalAws() as aws:
            yield aws
    finally:
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[key]
        os.environ.update(saved)


def _session(creds: dict) -> "boto3.Session":
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def _assume(endpoint: str, arn: str, session=None) -> "boto3.Session":
    sts = (session or boto3.Session(region_name=REGION)).client("sts", endpoint_url=endpoint)
    return _session(sts.assume_role(RoleArn=arn, RoleSessionName="e2e")["Credentials"])


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return render(load_config(EXAMPLE))


def test_pipeline_assumes_the_rendered_role_and_deploys_a_group(server, files):
    endpoint = server.endpoint_url
    policies = PolicySet(files)
    trust = files["prod/policies/deploy-role-ModelDeployRole-trust.json"]
    permissions = files["prod/policies/deploy-role-ModelDeployRole.json"]

    # The prod account's Terraform root, played with boto3: the deploy role
    # with the rendered trust policy and permission policy; the execution
    # role with the rendered trust document (its owner puts it on).
    admin = _assume(endpoint, f"arn:aws:iam::{PROD}:role/OrganizationAccountAccessRole")
    iam = admin.client("iam", endpoint_url=endpoint)
    iam.create_role(RoleName="ModelDeployRole", AssumeRolePolicyDocument=trust)
    arn = iam.create_policy(PolicyName="ModelRegistry-Deploy-ModelDeployRole", Path="/model-registry/",
                            PolicyDocument=permissions)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="ModelDeployRole", PolicyArn=arn)
    iam.create_role(RoleName="SageMakerExecutionRole", AssumeRolePolicyDocument=files[
        "prod/policies/sagemaker-execution-role-trust-SageMakerExecutionRole.json"])
    stored = iam.get_role(RoleName="ModelDeployRole")["Role"]
    assert stored["Arn"] == DEPLOY_ROLE
    assert json.loads(json.dumps(stored["AssumeRolePolicyDocument"])) == json.loads(trust)

    # The pipeline: its own role in the deployment account, then the deploy role in prod.
    pipeline = _assume(endpoint, PIPELINE)
    assert policies.decide(PIPELINE, "sts:AssumeRole", DEPLOY_ROLE, org=ORG).allowed
    deploy = _assume(endpoint, DEPLOY_ROLE, pipeline)
    identity = deploy.client("sts", endpoint_url=endpoint).get_caller_identity()
    assert identity["Account"] == PROD and ":assumed-role/ModelDeployRole/" in identity["Arn"]

    sagemaker = deploy.client("sagemaker", endpoint_url=endpoint)
    model_arn = sagemaker.create_model(
        ModelName="credit-risk-v1", ExecutionRoleArn=EXEC_ROLE,
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk:1",
                          "ModelDataUrl": "s3://acme-ml-model-artifacts/credit-risk/model.tar.gz"},
    )["ModelArn"]
    config_arn = sagemaker.create_endpoint_config(
        EndpointConfigName="credit-risk-v1",
        ProductionVariants=[{"VariantName": "primary", "ModelName": "credit-risk-v1",
                             "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
    )["EndpointConfigArn"]
    assert sagemaker.describe_model(ModelName="credit-risk-v1")["ExecutionRoleArn"] == EXEC_ROLE

    # What the calls needed, on the ARNs the server returned, under the rendered policies.
    assert model_arn == f"arn:aws:sagemaker:{REGION}:{PROD}:model/credit-risk-v1"
    for action, resource, context in [
        ("iam:PassRole", EXEC_ROLE, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
        ("sagemaker:CreateModel", model_arn, {}),
        ("sagemaker:CreateEndpointConfig", config_arn, {"sagemaker:ModelArn": model_arn}),
        ("sagemaker:DescribeModel", model_arn, {}),
    ]:
        decision = policies.decide(DEPLOY_ROLE, action, resource, context, org=ORG)
        assert decision.allowed, (action, decision.reason)

    # A name outside the group's prefix: moto creates it (it enforces no IAM);
    # the rendered policy refuses it.
    other_arn = sagemaker.create_model(ModelName="payments-v1", ExecutionRoleArn=EXEC_ROLE,
                                       PrimaryContainer={"Image": "x"})["ModelArn"]
    refused = policies.decide(DEPLOY_ROLE, "sagemaker:CreateModel", other_arn, org=ORG)
    assert not refused.allowed and refused.reason == "no statement allows it"
    refused = policies.decide(DEPLOY_ROLE, "sagemaker:CreateEndpointConfig", config_arn,
                              {"sagemaker:ModelArn": other_arn}, org=ORG)
    assert not refused.allowed
