"""Every lint rule fires on a broken copy of the rendered example and stays
silent on the example itself.

Each case takes the rendered example, changes one policy the way a bad
builder or a hand edit would, lints the result and asserts the named rule
reports it (and the message says what is wrong). The example itself must
lint with zero findings: the rules are only useful if the real output
passes them.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .kindkit import tiny_limit
from generator.config import config_from_text
from generator.lint import RULES
from tests.lintkit import (
    BUCKET, BUCKET_ARN, BUS, DEPLOY, DS, ECR, GROUP, GROUP_ARN, KEY, KEY_ARNS, PACKAGES, PROD, RCP, REPO_ARN, SCP, broken,
    findings, stmt, write,
)


# --- mutations ------------------------------------------------------------
TEST_TRUST = "test/policies/deploy-role-ModelDeployRole-trust.json"
TEST_DEPLOY = "test/policies/deploy-role-ModelDeployRole.json"
PROD_DEPLOY = "prod/policies/deploy-role-ModelDeployRole.json"


def add_action(path_sid: str, *actions: str):
    def mutate(doc):
        stmt(doc, path_sid)["Action"] = sorted(set(stmt(doc, path_sid)["Action"]) | set(actions))
    return mutate


def set_key(sid: str, key: str, value):
    def mutate(doc):
        stmt(doc, sid)[key] = value
    return mutate


def drop_condition(sid: str, operator: str, key: str | None = None):
    def mutate(doc):
        condition = stmt(doc, sid)["Condition"]
        if key is None:
            del condition[operator]
        else:
            del condition[operator][key]
            if not condition[operator]:
                del condition[operator]
    return mutate


def rename_condition_key(sid: str, operator: str, old: str, new: str):
    def mutate(doc):
        block = stmt(doc, sid)["Condition"][operator]
        block[new] = block.pop(old)
    return mutate


def rename_operator(sid: str, old: str, new: str):
    def mutate(doc):
        condition = stmt(doc, sid)["Condition"]
        condition[new] = condition.pop(old)
    return mutate


def add_statement(statement: dict):
    def mutate(doc):
        doc["Statement"].append(statement)
    return mutate


def remove_statement(sid: str):
    def mutate(doc):
        doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != sid]
    return mutate


def chain(*mutations):
    def mutate(doc):
        for m in mutations:
            m(doc)
    return mutate


def pad_identity_policy(doc):
    # 80 more object ARNs: well over the 6,144-character managed-policy limit.
    stmt(doc, "ArtifactsReadWrite")["Resource"] += [f"{BUCKET_ARN}/extra-prefix-{i:03d}/*" for i in range(80)]


def set_version(doc):
    doc["Version"] = "2008-10-17"


# (case id, rule, policy path, mutation, text the message must contain)
CASES = [
    # --- validators -----------------------------------------------------
    ("old Version", "invalid-structure", DS, set_version, 'Version must be "2012-10-17"'),
    ("bad Effect", "invalid-structure", DS, set_key("ReadVersions", "Effect", "Permit"), "Effect must be Allow or Deny"),
    ("Principal in identity policy", "invalid-structure", DS, set_key("ReadVersions", "Principal", "*"),
     "an identity policy statement may not have Principal"),
    ("no Principal in resource policy", "invalid-structure", GROUP,
     lambda doc: stmt(doc, "ConsumersDescribeVersions").pop("Principal"), "needs exactly one of Principal"),
    ("unknown operator", "invalid-structure", DS, rename_operator("RegisterPendingVersions", "StringEquals", "StringEqualz"),
     "unknown condition operator StringEqualz"),
    ("duplicate Sid", "invalid-structure", DS, set_key("ReadVersions", "Sid", "DescribeGroup"), "duplicate Sid"),
    ("bogus action", "unknown-action", DS, add_action("ReadVersions", "sagemaker:DescribeModelPackages"),
     "sagemaker:DescribeModelPackages is not an action of sagemaker"),
    ("bogus service", "unknown-action", DS, add_action("ReadVersions", "sagemakr:DescribeModelPackage"),
     "unknown service prefix sagemakr"),
    ("pattern matching nothing", "unknown-action", BUCKET, add_action("DenyInsecureTransport", "s3:Frobnicate*"),
     "s3:Frobnicate* matches no action"),
    ("ListModelPackages on the group ARN", "resource-mismatch", GROUP,
     set_key("DevelopersReadVersions", "Resource", [GROUP_ARN]),
     f"sagemaker:ListModelPackages does not take {GROUP_ARN} (it takes: model-package)"),
    ("GetObject on the bucket ARN", "resource-mismatch", BUCKET,
     set_key("CreditRiskDeployersArtifactsRead", "Resource", [BUCKET_ARN]),
     f"s3:GetObject does not take {BUCKET_ARN} (it takes: accesspointobject, object)"),
    ("ListBucket on objects", "resource-mismatch", DS, set_key("ArtifactsList", "Resource", [f"{BUCKET_ARN}/*"]),
     "s3:ListBucket does not take"),
    ("action without resource-level permissions on an ARN", "resource-mismatch", DS,
     add_statement({"Sid": "ListAliases", "Effect": "Allow", "Action": ["kms:ListAliases"], "Resource": [KEY_ARNS]}),
     'kms:ListAliases supports no resource-level permissions; its Resource must be "*"'),
    ("misspelled condition key", "unknown-condition-key", DS,
     rename_condition_key("RegisterPendingVersions", "StringEquals", "sagemaker:ModelApprovalStatus",
                          "sagemaker:ModelAprovalStatus"),
     "sagemaker:ModelAprovalStatus is not a condition key of sagemaker"),
    ("key of another action", "unknown-condition-key", DS,
     set_key("ArtifactsReadWrite", "Condition", {"StringLike": {"s3:prefix": ["credit-risk/*"]}}),
     "condition key s3:prefix applies to none of its actions (s3:GetObject, s3:PutObject)"),
    ("key of some actions only", "unknown-condition-key", GROUP,
     add_action("DevelopersRegisterPendingVersions", "sagemaker:DescribeModelPackage"),
     "condition key sagemaker:ModelApprovalStatus does not apply to sagemaker:DescribeModelPackage"),
    ("misspelled global key", "unknown-condition-key", GROUP,
     rename_condition_key("ConsumersDescribeVersions", "StringEquals", "aws:PrincipalOrgID", "aws:PrincipalOrgId2"),
     "aws:PrincipalOrgId2 is not a condition key of aws"),
    ("CreateModel in a group policy", "resource-policy-scope", GROUP,
     add_action("ConsumersDescribeVersions", "sagemaker:CreateModel"),
     "sagemaker:CreateModel does not take model-package-group or model-package: it has no effect"),
    ("action without the key type in a key policy", "resource-policy-scope", KEY,
     add_action("RegistryAccountUsesKey", "kms:ListAliases"),
     "kms:ListAliases does not take key: it has no effect in a kms key policy"),
    ("another bucket in the bucket policy", "resource-policy-scope", BUCKET,
     set_key("CreditRiskDeployersArtifactsRead", "Resource", ["arn:aws:s3:::someone-elses-bucket/*"]),
     "arn:aws:s3:::someone-elses-bucket/* is not the resource this policy governs"),
    ("oversize managed policy", "size-limit", DS, pad_identity_policy,
     "IAM managed policy is 7,536 characters, over the AWS limit of 6,144"),
    # --- security invariants ----------------------------------------------
    ("wildcard principal, no condition", "wildcard-principal", GROUP,
     chain(set_key("ConsumersDescribeVersions", "Principal", "*"),
           lambda doc: stmt(doc, "ConsumersDescribeVersions").pop("Condition")),
     'statement ConsumersDescribeVersions: Principal "*" without'),
    ("wildcard principal, IfExists condition", "wildcard-principal", GROUP,
     chain(set_key("ConsumersDescribeVersions", "Principal", {"AWS": "*"}),
           set_key("ConsumersDescribeVersions", "Condition",
                   {"ArnLikeIfExists": {"aws:PrincipalArn": ["arn:aws:iam::555555555555:role/X"]}})),
     'Principal "*" without'),
    ("NotPrincipal in an Allow", "wildcard-principal", GROUP,
     lambda doc: stmt(doc, "ConsumersDescribeVersions").update(
         {"NotPrincipal": stmt(doc, "ConsumersDescribeVersions").pop("Principal")}),
     "NotPrincipal in an Allow"),
    ("account root without PrincipalArn", "account-principal", GROUP,
     drop_condition("ConsumersDescribeVersions", "ArnLike"),
     "grants whole account(s) 444444444444, 555555555555"),
    ("PrincipalArn matching every role", "account-principal", BUCKET,
     set_key("CreditRiskConsumersArtifactsRead", "Condition",
             {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::555555555555:role/*"]},
              "StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}}),
     "arn:aws:iam::555555555555:role/* matches every role in account 555555555555"),
    ("PrincipalArn in another account", "account-principal", KEY,
     set_key("DeployersDecryptArtifacts", "Condition",
             {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::999999999999:role/Outsider"]},
              "StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}}),
     "is not in the principal account(s) 333333333333"),
    ("service wildcard", "wildcard-action", DS, set_key("ReadVersions", "Action", ["sagemaker:*"]),
     "Allow grants sagemaker:*"),
    ("star action", "wildcard-action", DS, set_key("ReadVersions", "Action", "*"), "Allow grants *"),
    ("action pattern", "wildcard-action", PROD, set_key("ArtifactsRead", "Action", ["s3:Get*"]),
     "Allow grants the pattern s3:Get*"),
    ("NotAction in an Allow", "wildcard-action", PROD,
     lambda doc: stmt(doc, "ArtifactsRead").update({"NotAction": stmt(doc, "ArtifactsRead").pop("Action")}),
     "NotAction in an Allow"),
    ("star resource in identity policy", "wildcard-resource", PROD, set_key("ArtifactsRead", "Resource", "*"),
     'Resource "*" for actions that take specific resources: s3:GetObject'),
    ("star resource in group policy", "wildcard-resource", GROUP, set_key("ConsumersDescribeVersions", "Resource", "*"),
     'Resource "*" for actions that take specific resources: sagemaker:DescribeModelPackage'),
    ("missing organization guard", "organization-guard", BUCKET,
     drop_condition("CreditRiskConsumersArtifactsRead", "StringEquals"),
     "cross-account Allow without an aws:PrincipalOrgID = o-a1b2c3d4e5 condition"),
    ("another organization", "organization-guard", KEY,
     set_key("ConsumersDecryptArtifacts", "Condition",
             {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::555555555555:role/SageMakerExecutionRole"]},
              "StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5", "o-zzzzzzzzzz"]}}),
     "aws:PrincipalOrgID allows o-zzzzzzzzzz"),
    ("TLS deny on the bucket only", "bucket-tls", BUCKET,
     set_key("DenyInsecureTransport", "Resource", [BUCKET_ARN]),
     f"no statement denies requests without TLS on {BUCKET_ARN}/*"),
    ("TLS deny narrowed by another condition", "bucket-tls", BUCKET,
     lambda doc: stmt(doc, "DenyInsecureTransport")["Condition"].update(
         {"StringEquals": {"aws:PrincipalAccount": ["555555555555"]}}),
     f"no statement denies requests without TLS on {BUCKET_ARN}"),
    ("no TLS deny", "bucket-tls", BUCKET, remove_statement("DenyInsecureTransport"), "no statement denies"),
    ("wildcard role pattern without its fence", "wildcard-role-pattern", GROUP,
     lambda doc: stmt(doc, "ConsumersDescribeVersions")["Condition"]["ArnLike"]["aws:PrincipalArn"].append(
         "arn:aws:iam::555555555555:role/Team*"),
     "aws:PrincipalArn arn:aws:iam::555555555555:role/Team* also matches roles with a path "
     "(arn:aws:iam::555555555555:role/Team*/*)"),
    ("SSO name without its reserved path", "wildcard-role-pattern", BUCKET,
     lambda doc: stmt(doc, "CreditRiskConsumersArtifactsRead")["Condition"]["ArnLike"]["aws:PrincipalArn"].append(
         "arn:aws:iam::555555555555:role/AWSReservedSSO_DataScientist_*"),
     "role/AWSReservedSSO_DataScientist_*/*"),
    # the issue's tampered group policy: narrowed by aws:PrincipalArn and the org guard, yet nobody listed it
    ("account not in accounts.yaml", "unlisted-principal", GROUP,
     lambda doc: (stmt(doc, "ConsumersDescribeVersions")["Principal"]["AWS"].append("arn:aws:iam::999999999999:root"),
                  stmt(doc, "ConsumersDescribeVersions")["Condition"]["ArnLike"]["aws:PrincipalArn"].append(
                      "arn:aws:iam::999999999999:role/SageMakerExecutionRole")),
     "principal arn:aws:iam::999999999999:root is not an account in accounts.yaml"),
    ("role not in accounts.yaml", "unlisted-principal", KEY,
     lambda doc: stmt(doc, "ConsumersDecryptArtifacts")["Condition"]["ArnLike"]["aws:PrincipalArn"].append(
         "arn:aws:iam::555555555555:role/Admin"),
     "aws:PrincipalArn arn:aws:iam::555555555555:role/Admin names no account or role listed in accounts.yaml"),
    ("consumer identity policy writes", "readers-never-write", PROD, add_action("ArtifactsRead", "s3:PutObject"),
     "statement ArtifactsRead: lets consumer arn:aws:iam::555555555555:role/SageMakerExecutionRole s3:PutObject"),
    ("bucket lets consumers delete", "readers-never-write", BUCKET,
     add_action("CreditRiskConsumersArtifactsRead", "s3:DeleteObject"),
     "lets consumer arn:aws:iam::555555555555:role/SageMakerExecutionRole s3:DeleteObject"),
    ("group lets consumers update packages", "readers-never-write", GROUP,
     add_action("ConsumersDescribeVersions", "sagemaker:UpdateModelPackage"),
     "statement ConsumersDescribeVersions: lets consumer arn:aws:iam::444444444444:role/SageMakerExecutionRole "
     "sagemaker:UpdateModelPackage"),
    ("group lets deployers register", "readers-never-write", GROUP,
     add_action("DeployersReadVersions", "sagemaker:CreateModelPackage"),
     "lets deployer arn:aws:iam::333333333333:role/ModelDeployPipelineRole sagemaker:CreateModelPackage"),
    ("deployer identity policy tags packages", "readers-never-write", DEPLOY,
     add_action("ReadVersions", "sagemaker:AddTags"), "sagemaker:AddTags"),
    ("group lets developers approve", "developers-never-approve", GROUP,
     chain(remove_statement("DevelopersDenyApproval"),
           drop_condition("DevelopersUpdateUnapprovedVersions", "StringEqualsIfExists")),
     "statement DevelopersUpdateUnapprovedVersions: lets developer arn:aws:iam::222222222222:role/SageMakerExecutionRole "
     "sagemaker:UpdateModelPackage with ModelApprovalStatus Approved in credit-risk"),
    ("identity policy lets developers register approved", "developers-never-approve", DS,
     chain(remove_statement("DenyApproval"),
           set_key("RegisterPendingVersions", "Condition",
                   {"StringEquals": {"sagemaker:ModelApprovalStatus": ["PendingManualApproval", "Approved"]}})),
     "statement RegisterPendingVersions: lets developer arn:aws:iam::222222222222:role/SageMakerExecutionRole "
     "sagemaker:CreateModelPackage with ModelApprovalStatus Approved"),
    ("key policy lets developers rewrite it", "no-cross-account-admin", KEY,
     add_action("DevelopersEncryptArtifacts", "kms:PutKeyPolicy"),
     "statement DevelopersEncryptArtifacts: grants kms:PutKeyPolicy outside the registry account"),
    ("key policy lets consumers delete the key", "no-cross-account-admin", KEY,
     add_action("ConsumersDecryptArtifacts", "kms:ScheduleKeyDeletion"), "grants kms:ScheduleKeyDeletion"),
    ("bucket policy lets developers rewrite it", "no-cross-account-admin", BUCKET,
     add_statement({"Sid": "Oops", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]},
                    "Action": ["s3:PutBucketPolicy"], "Resource": [BUCKET_ARN],
                    "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::222222222222:role/SageMakerExecutionRole"]},
                                  "StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}}}),
     "statement Oops: grants s3:PutBucketPolicy outside the registry account"),
    ("identity policy reaches for group policy admin", "no-cross-account-admin", DS,
     add_statement({"Sid": "Oops", "Effect": "Allow", "Action": ["sagemaker:PutModelPackageGroupPolicy"],
                    "Resource": [GROUP_ARN]}),
     "grants sagemaker:PutModelPackageGroupPolicy outside the registry account"),
    # --- ECR repositories (ecr_repositories)
    ("repository lets consumers push", "readers-never-push", ECR, add_action("ConsumersPullImages", "ecr:PutImage"),
     "statement ConsumersPullImages: lets consumer arn:aws:iam::444444444444:role/SageMakerExecutionRole ecr:PutImage"),
    ("consumer identity policy uploads layers", "readers-never-push", PROD,
     add_action("PullImages", "ecr:InitiateLayerUpload"),
     "statement PullImages: lets consumer arn:aws:iam::555555555555:role/SageMakerExecutionRole ecr:InitiateLayerUpload"),
    ("repository lets deployers delete images", "readers-never-push", ECR,
     add_action("DeployersPullImages", "ecr:BatchDeleteImage"),
     "lets deployer arn:aws:iam::333333333333:role/ModelDeployPipelineRole ecr:BatchDeleteImage"),
    ("repository statement without the role condition", "repository-role-condition", ECR,
     drop_condition("ConsumersPullImages", "ArnLike"),
     "statement ConsumersPullImages: has no aws:PrincipalArn condition naming the roles it grants to"),
    ("repository statement for every role", "repository-role-condition", ECR,
     set_key("DevelopersPushImages", "Condition",
             {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::222222222222:role/*"]},
              "StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}}),
     "aws:PrincipalArn arn:aws:iam::222222222222:role/* matches every role in its account"),
    ("repository policy with a Resource", "invalid-structure", ECR, set_key("DevelopersPushImages", "Resource", [REPO_ARN]),
     "Resource is not allowed: ECR rejects a repository policy that has it"),
    ("repository lets developers rewrite it", "no-cross-account-admin", ECR,
     add_action("DevelopersPushImages", "ecr:SetRepositoryPolicy"),
     "statement DevelopersPushImages: grants ecr:SetRepositoryPolicy outside the registry account"),
    ("repository policy over 10,240 characters", "size-limit", ECR,
     lambda doc: stmt(doc, "ConsumersPullImages")["Condition"]["ArnLike"]["aws:PrincipalArn"].extend(
         [f"arn:aws:iam::444444444444:role/Padding{i:04d}" for i in range(250)]),
     "ECR repository policy is"),
    # deploy_role (docs/deploy.md)
    ("deploy role trusts the whole deployment account", "deploy-role-trust", TEST_TRUST,
     drop_condition("DeploymentRolesAssume", "ArnLike"),
     "lets arn:aws:iam::333333333333:role/UnlistedRole assume arn:aws:iam::444444444444:role/ModelDeployRole"),
    ("deploy role trusts a developer", "deploy-role-trust", TEST_TRUST,
     lambda doc: (stmt(doc, "DeploymentRolesAssume")["Principal"]["AWS"].append("arn:aws:iam::222222222222:root"),
                  stmt(doc, "DeploymentRolesAssume")["Condition"]["ArnLike"]["aws:PrincipalArn"].append(
                      "arn:aws:iam::222222222222:role/SageMakerExecutionRole")),
     "lets arn:aws:iam::222222222222:role/SageMakerExecutionRole assume"),
    ("deploy role trusts another organization", "deploy-role-trust", TEST_TRUST,
     drop_condition("DeploymentRolesAssume", "StringEquals"), "from organization o-zzzzzzzzzz assume"),
    ("deploy role trust allows tagging sessions", "deploy-role-trust", TEST_TRUST,
     add_action("DeploymentRolesAssume", "sts:TagSession"), "allows sts:TagSession"),
    ("deploy role passes roles to any service", "deploy-role-pass-role", TEST_DEPLOY,
     drop_condition("PassExecutionRolesToSageMaker", "StringEquals"),
     "lets the deploy role pass arn:aws:iam::444444444444:role/SageMakerExecutionRole to ec2.amazonaws.com"),
    ("deploy role passes any role of its account", "deploy-role-pass-role", TEST_DEPLOY,
     set_key("PassExecutionRolesToSageMaker", "Resource", "arn:aws:iam::444444444444:role/*"),
     "pass arn:aws:iam::444444444444:role/Admin to sagemaker.amazonaws.com"),
    ("deploy role creates roles", "deploy-role-only-deploys", TEST_DEPLOY,
     add_statement({"Sid": "Oops", "Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy"],
                    "Resource": ["arn:aws:iam::444444444444:role/*"]}),
     "statement Oops: grants iam:CreateRole, iam:PutRolePolicy, which deploying does not need"),
    ("deploy role updates model packages", "deploy-role-only-deploys", TEST_DEPLOY,
     add_action("DescribeRegistryVersions", "sagemaker:UpdateModelPackage"), "grants sagemaker:UpdateModelPackage"),
    ("deploy role reaches every model", "deploy-role-only-deploys", PROD_DEPLOY,
     set_key("ManageGroupModels", "Resource", "arn:aws:sagemaker:us-east-1:555555555555:model/*"),
     "statement ManageGroupModels: arn:aws:sagemaker:us-east-1:555555555555:model/* reaches beyond the account's groups"),
    ("deploy role names another group", "deploy-role-only-deploys", PROD_DEPLOY,
     set_key("ManageGroupModels", "Resource", "arn:aws:sagemaker:us-east-1:555555555555:model/churn-predictor-*"),
     "model/churn-predictor-* is not a resource of a group this account deploys"),
    ("deploy role names any resource type for a registry action", "deploy-role-only-deploys", PROD_DEPLOY,
     add_statement({"Sid": "Oops", "Effect": "Allow", "Action": ["sagemaker:DescribeModel", "sagemaker:DescribeModelPackage"],
                    "Resource": ["arn:aws:sagemaker:us-east-1:555555555555:*/credit-risk-*"]}),
     "statement Oops: arn:aws:sagemaker:us-east-1:555555555555:*/credit-risk-* names any resource type, and "
     "sagemaker:DescribeModelPackage takes types other than model, endpoint-config, endpoint"),
    ("deploy role names any resource type of another group", "deploy-role-only-deploys", PROD_DEPLOY,
     set_key("ManageGroupModels", "Resource", "arn:aws:sagemaker:us-east-1:555555555555:*/churn-predictor-*"),
     "*/churn-predictor-* is not a resource of a group this account deploys"),
    ("deploy role names any resource of any type", "deploy-role-only-deploys", PROD_DEPLOY,
     set_key("ManageGroupModels", "Resource", "arn:aws:sagemaker:us-east-1:555555555555:*/*"),
     "statement ManageGroupModels: arn:aws:sagemaker:us-east-1:555555555555:*/* reaches beyond the account's groups"),
    ("deploy role prefix covers another group", "deploy-prefix-overlap", PROD_DEPLOY,
     set_key("ManageGroupModels", "Resource", ["arn:aws:sagemaker:us-east-1:555555555555:model/credit-risk-*",
                                               "arn:aws:sagemaker:us-east-1:555555555555:model/churn-*"]),
     "names churn-* of account prod also cover group 'churn-predictor' (churn-predictor-...), which it does not deploy"),
    ("guardrail refuses the approvers", "guardrails-allow-parties", SCP,
     set_key("DenyApprovalUnlessApprover", "Condition", {"StringEquals": {"sagemaker:ModelApprovalStatus": ["Approved"]}}),
     "statement DenyApprovalUnlessApprover: denies arn:aws:iam::666666666666:role/ModelApproverRole "
     "sagemaker:UpdateModelPackage, which its grant ApproveVersions allows"),
    ("Allow in a service control policy", "invalid-structure", SCP,
     set_key("DenyVersionDeletionUnlessDeployer", "Effect", "Allow"),
     "statement DenyVersionDeletionUnlessDeployer: an organization guardrail statement must be a Deny"),
    ("resource control policy without Principal *", "invalid-structure", RCP,
     set_key("DenyBucketPolicyChangesUnlessDeployer", "Principal", {"AWS": "arn:aws:iam::111111111111:root"}),
     'statement DenyBucketPolicyChangesUnlessDeployer: a resource control policy statement must have Principal "*"'),
    ("bus policy lets any registry role put events", "bus-policy-names-rule-role", BUS,
     set_key("RegistryRuleRolePutsModelPackageEvents", "Condition",
             {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::111111111111:role/*"]}}),
     "ArnEquals aws:PrincipalArn must name exactly the rule role"),
    ("bus policy lets another account put events", "bus-policy-names-rule-role", BUS,
     set_key("RegistryRuleRolePutsModelPackageEvents", "Principal", {"AWS": ["arn:aws:iam::222222222222:root"]}),
     "principal must be exactly the registry account root"),
]


def _retarget(account: str, account_id: str):
    """An event rule forwarding to another account's bus."""
    def mutate(doc):
        doc["Targets"].append({"Id": account, "RoleArn": "arn:aws:iam::111111111111:role/model-registry-event-forwarder",
                               "Arn": f"arn:aws:events:us-east-1:{account_id}:event-bus/model-registry-events"})
    return mutate


EVENT_CASES = [
    ("event rule forwards to a workload account", _retarget("prod", "555555555555"),
     "target account prod does not receive the events of"),
    ("event rule matches an unconfigured group",
     lambda doc: doc["EventPattern"].update(detail={"ModelPackageGroupName": ["credit-risk", "someone-elses-model"]}),
     "pattern must name configured model groups only"),
    ("event rule filters with an operator the plan never writes",
     lambda doc: doc["EventPattern"].update(detail={"ModelPackageGroupName": [{"prefix": "credit"}]}),
     "pattern must filter ModelPackageGroupName by names, by one anything-but list, or not at all"),
    ("event rule matches no configured group",
     lambda doc: doc["EventPattern"].update(
         detail={"ModelPackageGroupName": [{"anything-but": ["credit-risk", "churn-predictor"]}]}),
     "pattern matches no configured model group"),
]


@pytest.mark.parametrize("mutate,expected", [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES])
def test_event_targets_are_parties_fires(example_config, example_files, tmp_path, mutate, expected):
    (rule_path,) = [p for p in example_files if "/policies/event-rule-" in p]
    out = write(tmp_path, _broken_data(example_files, rule_path, mutate))
    messages = [f.message for f in findings(example_config, out, "event-targets-are-parties")]
    assert any(expected in m for m in messages), messages


def _broken_data(files, path, mutate):
    doc = json.loads(files[path])
    mutate(doc)
    return {**files, path: json.dumps(doc, indent=2) + "\n"}


@pytest.fixture(scope="module")
def clean_report(example_config, example_files, tmp_path_factory):
    from generator.lint import lint

    return lint(example_config, write(tmp_path_factory.mktemp("example"), example_files))


def test_rendered_example_lints_clean(clean_report):
    assert clean_report.policies == 22
    assert [f.text() for f in clean_report.findings] == []


@pytest.mark.parametrize(
    "rule_id,path,mutate,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_fires_on_broken_policy(example_config, example_files, tmp_path, rule_id, path, mutate, expected):
    out = write(tmp_path, broken(example_files, path, mutate))
    hits = findings(example_config, out, rule_id)
    messages = [f.message for f in hits]
    assert any(expected in m for m in messages), messages
    assert all(f.path == f"{out.as_posix()}/{path}" for f in hits)
    assert all(f.severity == RULES[rule_id].severity for f in hits)


def test_every_rule_has_a_failing_fixture():
    # Stage rules fire on a config with stages: tests/test_lint_stage_rules.py.
    # terraform-admin-role fires on a setting, not a policy: tests/test_terraform_config.py.
    others = {"manifest", "event-targets-are-parties", "developers-first-stage-only", "every-stage-has-an-approver",
              "lifecycle-widened", "terraform-admin-role"}
    assert {c[1] for c in CASES} | others == set(RULES)


# --- cases that must NOT fire: the rules' documented exceptions -----------

def test_deny_guardrails_may_use_wildcards(clean_report):
    """The bucket's s3:* TLS deny with Principal "*" is a guardrail, not a grant."""
    assert not [f for f in clean_report.findings if f.rule_id in ("wildcard-action", "wildcard-principal")]


def test_star_resource_allowed_for_actions_without_resource_level_permissions(example_config, example_files, tmp_path):
    files = broken(example_files, DS, add_statement(
        {"Sid": "ListGroups", "Effect": "Allow", "Action": ["sagemaker:ListModelPackageGroups"], "Resource": "*"}))
    assert findings(example_config, write(tmp_path, files)) == []


def test_wildcard_principal_narrowed_by_organization_passes(example_config, example_files, tmp_path):
    files = broken(example_files, GROUP, chain(
        set_key("ConsumersDescribeVersions", "Principal", "*"),
        set_key("ConsumersDescribeVersions", "Condition", {"StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}}),
    ))
    assert findings(example_config, write(tmp_path, files), "wildcard-principal") == []


def test_resource_type_level_condition_key_is_valid(example_config, example_files, tmp_path):
    """kms:ResourceAliases belongs to the key resource type, not to kms:Decrypt itself
    (parliament reports it as unknown; we must not)."""
    doc = json.loads(example_files[DS])
    assert "kms:ResourceAliases" in stmt(doc, "EncryptArtifacts")["Condition"]["ForAnyValue:StringEquals"]
    assert findings(example_config, write(tmp_path, example_files), "unknown-condition-key") == []


def test_removing_only_the_deny_still_keeps_developers_from_approving(example_config, example_files, tmp_path):
    """The evaluator reads conditions: the Allow only ever matches PendingManualApproval."""
    files = broken(example_files, GROUP, remove_statement("DevelopersDenyApproval"))
    assert findings(example_config, write(tmp_path, files), "developers-never-approve") == []


def test_registry_account_keeps_key_administration(clean_report, example_files):
    doc = json.loads(example_files[KEY])
    assert "kms:PutKeyPolicy" in stmt(doc, "RegistryAccountAdministersKey")["Action"]
    assert not [f for f in clean_report.findings if f.rule_id == "no-cross-account-admin"]


def test_whitespace_does_not_count_for_managed_policies(example_config, example_files, tmp_path):
    padded = {**example_files, DS: example_files[DS].replace("\n", "\n" + " " * 200)}
    assert len(padded[DS]) > 6_144
    assert findings(example_config, write(tmp_path, padded), "size-limit") == []


def test_group_policies_are_measured_as_sent_minified(example_config, example_files, tmp_path):
    """Both writers send a group policy minified (apply: plan.wire; Terraform's
    provider: NormalizeJsonString), so the file's whitespace does not count,
    and the minified document over 20,480 characters is flagged."""
    padded = {**example_files, GROUP: example_files[GROUP].replace("\n", "\n" + " " * 80)}
    assert len(padded[GROUP]) > 20_480
    assert findings(example_config, write(tmp_path, padded), "size-limit") == []
    doc = json.loads(example_files[GROUP])
    doc["Statement"][0]["Resource"] = doc["Statement"][0]["Resource"] * 400
    assert len(json.dumps(doc, separators=(",", ":"))) > 20_480
    hits = findings(example_config, write(tmp_path / "big", {**example_files, GROUP: json.dumps(doc)}), "size-limit")
    assert [h.message.split(" is ")[0] for h in hits] == ["SageMaker model package group policy"]


def test_no_organization_configured_means_no_guard_required(example_files, tmp_path):
    from tests.conftest import EXAMPLE

    text = EXAMPLE.read_text().replace("organization_id: o-a1b2c3d4e5\n", "")
    config = config_from_text(text)
    files = broken(example_files, BUCKET, drop_condition("CreditRiskConsumersArtifactsRead", "StringEquals"))
    assert findings(config, write(tmp_path, files), "organization-guard") == []


# --- the manifest rule ------------------------------------------------------

def test_unlisted_policy_file_is_reported(example_config, example_files, tmp_path):
    files = {**example_files, "prod/policies/iam-role-OldRole.json": example_files[PROD]}
    hits = findings(example_config, write(tmp_path, files), "manifest")
    assert [(h.path.rsplit("/", 3)[-3:], h.message) for h in hits] == [
        (["prod", "policies", "iam-role-OldRole.json"], "policy file is not listed in manifest.json: nothing checks or deploys it")
    ]


def test_unknown_kind_is_reported(example_config, example_files, tmp_path):
    manifest = json.loads(example_files["manifest.json"])
    manifest["policies"][0]["kind"] = "iam_inline_policy"
    files = {**example_files, "manifest.json": json.dumps(manifest)}
    hits = findings(example_config, write(tmp_path, files), "manifest")
    assert len(hits) == 1 and "unknown kind 'iam_inline_policy'" in hits[0].message


def test_missing_and_unparseable_files_are_reported(example_config, example_files, tmp_path):
    files = {k: v for k, v in example_files.items() if k != PROD}
    files[GROUP] = example_files[GROUP][:-20]
    hits = findings(example_config, write(tmp_path, files), "invalid-structure")
    assert sorted((h.path, h.message) for h in hits) == [
        (f"{tmp_path.as_posix()}/{PROD}", "file is missing"),
        (f"{tmp_path.as_posix()}/{GROUP}", "not valid JSON"),
    ]


def test_findings_point_at_the_statement_line(example_config, example_files, tmp_path):
    out = write(tmp_path, broken(example_files, GROUP, add_action("ConsumersDescribeVersions", "sagemaker:CreateModel")))
    hit = findings(example_config, out, "resource-policy-scope")[0]
    line = (out / GROUP).read_text().splitlines()[hit.line - 1]
    assert '"Sid": "ConsumersDescribeVersions"' in line


def test_the_issue_s_tampered_group_policy_fires_only_unlisted_principal(example_config, example_files, tmp_path):
    """An account outside accounts.yaml, narrowed by aws:PrincipalArn and the
    organization guard, passes every other rule: the new rule catches it."""
    def tamper(doc):
        block = stmt(doc, "ConsumersDescribeVersions")
        block["Principal"]["AWS"].append("arn:aws:iam::999999999999:root")
        block["Condition"]["ArnLike"]["aws:PrincipalArn"].append("arn:aws:iam::999999999999:role/SageMakerExecutionRole")
    write(tmp_path, broken(example_files, GROUP, tamper))
    assert {f.rule_id for f in findings(example_config, tmp_path)} == {"unlisted-principal"}


@pytest.mark.parametrize("layout", ["bucket_policy", "access_points"])
@pytest.mark.parametrize("tiny", [False, True], ids=["explicit", "compact"])
def test_wildcard_and_sso_roles_render_lint_clean(tmp_path, layout, tiny):
    """The generator's own rendering of wildcard and Identity Center roles
    passes wildcard-role-pattern and unlisted-principal (and every other rule)."""
    import dataclasses

    from generator import limits, render

    from .test_role_patterns import TEXT

    text = TEXT if layout == "bucket_policy" else TEXT.replace(
        "  kms_key_alias: alias/ml-model-artifacts\n", "  kms_key_alias: alias/ml-model-artifacts\n  s3_layout: access_points\n")
    config = config_from_text(text)
    saved = dict(limits.LIMITS)
    if tiny:
        for kind, limit in saved.items():
            limits.LIMITS[kind] = tiny_limit(kind, limit)
    try:
        policies = render.build_policies(config)
    finally:
        limits.LIMITS.update(saved)
    files = {p.path: p.text for p in policies}
    files["manifest.json"] = render.to_json({"policies": [p.manifest_entry() for p in policies]})
    write(tmp_path, files)
    found = [f.text() for f in findings(config, tmp_path) if f.rule_id != "size-limit"]
    assert found == []


@settings(max_examples=300, deadline=None)
@given(template=st.sampled_from([
           "arn:${Partition}:sagemaker:${Region}:${Account}:model/${ModelName}",
           "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
           "arn:${Partition}:s3:::${BucketName}",
           "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
           "arn:${Partition}:sagemaker:${Region}:${Account}:model-package/${ModelPackageName}",
       ]),
       prefix=st.text(alphabet="arn:aws3sgmkeodl/-x1*", max_size=40))
def test_star_patterns_fit_a_template_as_the_general_search_says(template, prefix):
    """arn_fits' one-pass answer for patterns of literal characters and
    stars equals the general search (the memoized meet of both patterns)."""
    from generator.lint import iam_data

    for pattern in (prefix, prefix + "*", "arn:aws:sagemaker:us-east-1:111111111111:*/" + prefix):
        assert iam_data.arn_fits(template, pattern) == iam_data._arn_fits(template, pattern), pattern
    for real in ("arn:aws:sagemaker:us-east-1:111111111111:model/churn-", "arn:aws:s3:::bucket/key/",
                 "arn:aws:sagemaker:us-east-1:111111111111:*/churn-"):
        assert iam_data.arn_fits(template, real + "*") == iam_data._arn_fits(template, real + "*")


def test_star_patterns_told_apart_only_by_characters_the_template_ignores_are_one_question():
    """_star_fits asks a pattern with the characters a template cannot tell
    apart made one: group names differing in such characters share an answer,
    and a character the template does tell apart (here ":", "/" and the
    literal's letters) still changes it."""
    from generator.lint import iam_data

    template = "arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}"
    blur, sentinel = iam_data._blurred(template)
    one = "arn:aws:s3:us-east-1:111111111111:accesspoint/mr-model-00017/object/groups/model-00017/*"
    other = one.replace("00017", "00042")
    assert blur.sub(sentinel, one) == blur.sub(sentinel, other)
    for pattern in (one, other, one.replace("/object/", "/objekt/"), one.replace("mr-model-00017", "mr:model"),
                    "arn:aws:s3:us-east-1:1:accesspoint/x/y/object/*"):
        assert iam_data.arn_fits(template, pattern) == iam_data._arn_fits(template, pattern), pattern
    assert not iam_data.arn_fits(template, one.replace("/object/", "/objekt/"))
    assert not iam_data.arn_fits(template, "arn:aws:s3:us-east-1:1:accesspoint/x/y/object/*")
