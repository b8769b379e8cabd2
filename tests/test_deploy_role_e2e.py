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


GROUP_TAG = "model-registry-group"
TAGS = [{"Key": GROUP_TAG, "Value": "credit-risk"}]
CREATED = {f"aws:RequestTag/{GROUP_TAG}": "credit-risk", "aws:TagKeys": [GROUP_TAG]}


def _create_model_and_config(sagemaker, name: str, tags: list[dict]) -> tuple[str, str]:
    extra = {"Tags": tags} if tags else {}
    model_arn = sagemaker.create_model(
        ModelName=name, ExecutionRoleArn=EXEC_ROLE,
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/credit-risk:1",
                          "ModelDataUrl": "s3://acme-ml-model-artifacts/credit-risk/model.tar.gz"},
        **extra,
    )["ModelArn"]
    config_arn = sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[{"VariantName": "primary", "ModelName": name,
                             "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
        **extra,
    )["EndpointConfigArn"]
    return model_arn, config_arn


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
    # The pipeline tags what it creates with its group (docs/deploy.md): every form allows it.
    model_arn, config_arn = _create_model_and_config(sagemaker, "credit-risk-v1", TAGS)
    assert sagemaker.describe_model(ModelName="credit-risk-v1")["ExecutionRoleArn"] == EXEC_ROLE
    assert sagemaker.list_tags(ResourceArn=model_arn)["Tags"] == TAGS

    # What the calls needed, on the ARNs the server returned, under the rendered policies.
    assert model_arn == f"arn:aws:sagemaker:{REGION}:{PROD}:model/credit-risk-v1"
    for action, resource, context in [
        ("iam:PassRole", EXEC_ROLE, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
        ("sagemaker:CreateModel", model_arn, CREATED),
        ("sagemaker:AddTags", model_arn, {**CREATED, "sagemaker:TaggingAction": "CreateModel"}),
        ("sagemaker:CreateEndpointConfig", config_arn, {**CREATED, "sagemaker:ModelArn": model_arn}),
        ("sagemaker:AddTags", config_arn, {**CREATED, "sagemaker:TaggingAction": "CreateEndpointConfig"}),
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


def _tagged_files() -> dict[str, str]:
    """The example with prod consuming 20 more groups and its deploy role held
    to one managed policy: past the explicit and compact forms, the tagged one."""
    text = EXAMPLE.read_text()
    groups = "".join(f"  g{i:03d}:\n    developers: [data-science]\n    consumers: [prod]\n" for i in range(20))
    text = text.replace("\nmodel_groups:\n", "\nmodel_groups:\n" + groups, 1).replace(
        "  kms_key_alias: alias/ml-model-artifacts\n",
        "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n  access_point_prefix: mr-\n")
    text = text.replace("deploy_role:\n  name: ModelDeployRole\n",
                        "deploy_role:\n  name: ModelDeployRole\n  max_managed_policies: 1\n")
    from generator.config import config_from_text

    return render(config_from_text(text))


def test_in_the_tagged_form_the_pipeline_deploys_what_it_tags(server):
    endpoint = server.endpoint_url
    files = _tagged_files()
    policies = PolicySet(files)
    permissions = files["prod/policies/deploy-role-ModelDeployRole.json"]
    assert "ManageTaggedGroupModelsAndEndpoints" in permissions  # the tagged form

    admin = _assume(endpoint, f"arn:aws:iam::{PROD}:role/OrganizationAccountAccessRole")
    iam = admin.client("iam", endpoint_url=endpoint)
    iam.update_assume_role_policy(RoleName="ModelDeployRole",
                                  PolicyDocument=files["prod/policies/deploy-role-ModelDeployRole-trust.json"])
    arn = iam.create_policy(PolicyName="ModelRegistry-Deploy-ModelDeployRole-tagged", Path="/model-registry/",
                            PolicyDocument=permissions)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="ModelDeployRole", PolicyArn=arn)

    deploy = _assume(endpoint, DEPLOY_ROLE, _assume(endpoint, PIPELINE))
    sagemaker = deploy.client("sagemaker", endpoint_url=endpoint)
    model_arn, config_arn = _create_model_and_config(sagemaker, "credit-risk-v2", TAGS)
    endpoint_arn = sagemaker.create_endpoint(EndpointName="credit-risk-live", EndpointConfigName="credit-risk-v2",
                                             Tags=TAGS)["EndpointArn"]

    def tag_of(resource: str) -> dict:
        """The group tag as the server stores it: what aws:ResourceTag reads."""
        tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=resource)["Tags"]}
        return {f"aws:ResourceTag/{GROUP_TAG}": tags[GROUP_TAG]} if GROUP_TAG in tags else {}

    # Every call, on the ARNs and with the tags the server returned, under the rendered policies.
    for action, resource, context in [
        ("sagemaker:CreateModel", model_arn, CREATED),
        ("sagemaker:AddTags", model_arn, {**CREATED, "sagemaker:TaggingAction": "CreateModel"}),
        ("sagemaker:CreateEndpointConfig", config_arn, {**CREATED, "sagemaker:ModelArn": model_arn}),
        ("sagemaker:CreateEndpoint", endpoint_arn, CREATED),
        ("sagemaker:CreateEndpoint", config_arn, {**CREATED, **tag_of(config_arn)}),
        ("sagemaker:DescribeModel", model_arn, tag_of(model_arn)),
        ("sagemaker:DescribeEndpoint", endpoint_arn, tag_of(endpoint_arn)),
        ("sagemaker:UpdateEndpoint", endpoint_arn, tag_of(endpoint_arn)),
        ("sagemaker:DeleteEndpointConfig", config_arn, tag_of(config_arn)),
    ]:
        decision = policies.decide(DEPLOY_ROLE, action, resource, context, org=ORG)
        assert decision.allowed, (action, resource, decision.reason)

    # Created without the tag (moto enforces nothing): the rendered policy refuses the
    # creation, and anything on the untagged resource afterwards.
    bare_model, bare_config = _create_model_and_config(sagemaker, "credit-risk-v3", [])
    assert tag_of(bare_model) == {}
    assert not policies.decide(DEPLOY_ROLE, "sagemaker:CreateModel", bare_model, {}, org=ORG).allowed
    assert not policies.decide(DEPLOY_ROLE, "sagemaker:DeleteModel", bare_model, tag_of(bare_model), org=ORG).allowed
    # Retagging it into the group afterwards: a direct AddTags call carries no sagemaker:TaggingAction.
    sagemaker.add_tags(ResourceArn=bare_model, Tags=TAGS)
    assert not policies.decide(DEPLOY_ROLE, "sagemaker:AddTags", bare_model, CREATED, org=ORG).allowed
    # A configuration of the group serving another group's model.
    other_model, _ = _create_model_and_config(sagemaker, "g001-v1", [{"Key": GROUP_TAG, "Value": "g001"}])
    assert not policies.decide(DEPLOY_ROLE, "sagemaker:CreateEndpointConfig", config_arn,
                               {**CREATED, "sagemaker:ModelArn": other_model}, org=ORG).allowed
