"""The documents of promote-by-copy (``registration: copy``; docs/copy.md).

- each development account's local group policy: only the registry
  function's role may describe the local versions (the other half of the
  function's ``DescribeSourceVersions``);
- the registry function's identity policy (generator/access.py,
  ``function_grants``), plus its logs and its dead-letter queue;
- the receiving bus's policy in the registry account: only the
  development accounts' forwarding rule roles, only from their forwarding
  rules, only model package state changes, only inside the organization;
- the function's resource policy: only the rule on that bus invokes it;
- each development account's forwarding rule role: its trust
  (``events.amazonaws.com``, ``aws:SourceAccount``, ``aws:SourceArn``) and its
  policy (``events:PutEvents`` on the receiving bus only).
"""

from __future__ import annotations

from generator import copyflow
from generator.access import SOURCE_ARN_METADATA, Lifecycle, function_grants, function_key_grant
from generator.arns import Arns
from generator.config import Config
from generator.config.ecr import group_repositories
from generator.policies.common import document, merge_conditions, statement
from generator.policies.iam_role import _merge as merge_grants
from generator.policies.iam_role import identity_conditions


def _org(config: Config) -> dict:
    return {"StringEquals": {"aws:PrincipalOrgID": [config.organization_id]}} if config.organization_id else {}


def local_group_policy(config: Config, arns: Arns, account: str, group: str) -> dict:
    """Describe by the registry function's role only. The principal is the
    registry account narrowed by ``aws:PrincipalArn`` (DESIGN.md: a role
    that does not exist yet, or is re-created, stays named)."""
    account_id = config.accounts[account].id
    condition = merge_conditions({"ArnEquals": {"aws:PrincipalArn": [copyflow.function_role_arn(arns)]}}, _org(config))
    return document([statement(
        "RegistryFunctionDescribesLocalVersions", "Allow", ["sagemaker:DescribeModelPackage"],
        [arns.local_package_arns(account_id, group)], condition,
        principal={"AWS": [arns.account_root(arns.registry_id)]},
    )])


def function_policy(config: Config, arns: Arns, kind=None) -> dict:
    """The exact form (:func:`function_policy_exact`), or, when ``kind``'s
    size limit is exceeded, the account-wide form (:func:`function_policy_wide`)."""
    exact = function_policy_exact(config, arns)
    if kind is None or kind.fits(exact):
        return exact
    return function_policy_wide(config, arns)


def function_policy_wide(config: Config, arns: Arns) -> dict:
    """The registry function's policy for many copy-mode groups: per
    development account instead of per group, constant in the groups.

    What it allows beyond the exact form is decided elsewhere for every
    request, so what the function can do is unchanged (as for the
    registry-wide identity form, generator/policies/iam_role.py):
    describing a local version needs that local group's policy, which
    exists only for the configured (account, group) pairs; registering in a
    direct group is refused by its group policy (RegistryNeverSetsApprovalStatus
    spares the function only in copy-mode groups); released/ is the
    function's alone. What the wide form loses is the pairing, at the IAM
    level, of a copy-mode group with its own development accounts (reading
    another copy group's incoming/ of the same account, naming its source):
    the function checks it on every event (generator/registry_function/copy_version.py)."""
    lifecycle = Lifecycle.of(config)
    ids = sorted({config.accounts[a].id for a in copyflow.copy_developers(config)})
    create = {"StringEquals": {"sagemaker:ModelApprovalStatus": ["PendingManualApproval"]},
              "StringLike": {f"sagemaker:CustomerMetadataProperties/{SOURCE_ARN_METADATA}":
                             [f"arn:{arns.partition}:sagemaker:{arns.region}:{i}:model-package/*" for i in ids]}}
    if lifecycle:
        create["StringEqualsIgnoreCase"] = {"sagemaker:ModelLifeCycle:Stage": [lifecycle.first],
                                            "sagemaker:ModelLifeCycle:StageStatus": ["PendingApproval"]}
    central = f"arn:{arns.partition}:sagemaker:{arns.region}:{arns.registry_id}:model-package/*"
    pin = {"StringEquals": {"aws:ResourceAccount": [arns.registry_id]}}
    repositories = sorted({r for g in config.copy_groups() for r in group_repositories(config, g)})
    statements = [
        statement("ReadIncoming", "Allow", ["s3:GetObject"], [f"{arns.bucket_arn}/incoming/{i}/*" for i in ids], pin),
        statement("WriteReleased", "Allow", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                  [arns.all_released_objects], pin),
        statement("ListReleased", "Allow", ["s3:ListBucket"], [arns.bucket_arn],
                  merge_conditions(pin, {"StringLike": {"s3:prefix": [f"{arns.RELEASED}*"]}})),
        statement("DescribeSourceVersions", "Allow", ["sagemaker:DescribeModelPackage"],
                  [f"arn:{arns.partition}:sagemaker:{arns.region}:{i}:model-package/*" for i in ids]),
        statement("FindCentralVersions", "Allow", ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
                  [central]),
        statement("RegisterCopiedVersions", "Allow", ["sagemaker:CreateModelPackage"], [central],
                  dict(sorted(create.items()))),
    ]
    if repositories:
        statements.append(statement("ResolveImages", "Allow", ["ecr:DescribeImages", "ecr:DescribeRepositories"],
                                    [arns.repository_arn(r) for r in repositories]))
    key = function_key_grant(arns)
    statements.append(statement(key.name, key.effect, key.actions, key.resources, identity_conditions(arns, key)))
    return document(statements + _function_extras(arns))


def _function_extras(arns: Arns) -> list[dict]:
    logs = f"arn:{arns.partition}:logs:{arns.region}:{arns.registry_id}:log-group:/aws/lambda/{copyflow.FUNCTION_NAME}"
    # Lambda's asynchronous-invocation dead-letter queue is sent to with the
    # execution role (Lambda developer guide, "Adding a dead-letter queue").
    return [statement("WriteOwnLogs", "Allow", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{logs}:*"]),
            statement("SendToDeadLetterQueue", "Allow", ["sqs:SendMessage"], [copyflow.queue_arn(arns)])]


def function_policy_exact(config: Config, arns: Arns) -> dict:
    """Same-named grants of the copy-mode groups merge into one statement
    (the union of their resources, or of their s3:prefix values: exactly
    the separate grants, generator/policies/iam_role.py ``_merge``); each
    group's RegisterCopiedVersions stays its own statement, because its
    condition names that group's sources."""
    lifecycle = Lifecycle.of(config)
    grants = []
    for group in config.copy_groups():
        ids = tuple(sorted(config.accounts[a].id for a in config.party_accounts(group, "developers")))
        grants.extend(function_grants(arns, group, ids, lifecycle, group_repositories(config, group)))
    grants.append(function_key_grant(arns))
    statements = [statement(name, grant.effect, grant.actions, grant.resources, identity_conditions(arns, grant))
                  for name, grant in merge_grants(grants)]
    return document(statements + _function_extras(arns))


def bus_policy(config: Config, arns: Arns, compact: bool = False) -> dict:
    """The receiving bus (registry account). AWS's examples for a bus in
    another account name the sender and narrow with ``events:source``,
    ``events:detail-type`` and ``aws:SourceArn``
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-restrict-rule.html).

    ``compact`` (when the explicit form is over the bus policy's 10,240
    characters, about 45 development accounts): Principal "*" narrowed by
    ``aws:PrincipalAccount`` to the same accounts and by the same role and
    rule names in any account (AWS documents Principal "*" with a condition
    on a bus policy for an organization: "specifying Principal as "*" and
    specifying the AWS organization ID in Condition",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-eventbuspolicy.html):
    the same senders, about 15 characters per account instead of 200."""
    developers = copyflow.copy_developers(config)
    ids = sorted(config.accounts[a].id for a in developers)
    if compact:
        condition = {
            "ArnLike": {"aws:PrincipalArn": [copyflow.forward_role_arn(arns, "*")],
                        "aws:SourceArn": [copyflow.forward_rule_arns(arns, "*")]},
            "ForAllValues:StringEquals": {"events:detail-type": [copyflow.DETAIL_TYPE],
                                          "events:source": [copyflow.SOURCE]},
            "Null": {"events:detail-type": ["false"], "events:source": ["false"]},
            "StringEquals": {"aws:PrincipalAccount": ids},
        }
        if config.organization_id:
            condition["StringEquals"]["aws:PrincipalOrgID"] = [config.organization_id]
        return document([statement(
            "DevelopmentRuleRolesPutLocalApprovals", "Allow", ["events:PutEvents"], [copyflow.bus_arn(arns)],
            condition, principal={"AWS": "*"},
        )])
    condition = {
        "ArnLike": {"aws:PrincipalArn": [copyflow.forward_role_arn(arns, i) for i in ids],
                    "aws:SourceArn": [copyflow.forward_rule_arns(arns, i) for i in ids]},
        "ForAllValues:StringEquals": {"events:detail-type": [copyflow.DETAIL_TYPE], "events:source": [copyflow.SOURCE]},
        "Null": {"events:detail-type": ["false"], "events:source": ["false"]},
    }
    if config.organization_id:
        condition["StringEquals"] = {"aws:PrincipalOrgID": [config.organization_id]}
    return document([statement(
        "DevelopmentRuleRolesPutLocalApprovals", "Allow", ["events:PutEvents"], [copyflow.bus_arn(arns)],
        dict(sorted(condition.items())), principal={"AWS": [arns.account_root(i) for i in ids]},
    )])


def function_resource_policy(config: Config, arns: Arns) -> dict:
    """Only the rule on the receiving bus invokes the function
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions)."""
    return document([statement(
        "ReceivingRuleInvokes", "Allow", ["lambda:InvokeFunction"], [copyflow.function_arn(arns)],
        {"ArnEquals": {"aws:SourceArn": [copyflow.rule_arn(arns)]},
         "StringEquals": {"aws:SourceAccount": [arns.registry_id]}},
        principal={"Service": "events.amazonaws.com"},
    )])


def forward_role_trust(config: Config, arns: Arns, account: str) -> dict:
    """EventBridge assumes the rule role, only for the account's own
    forwarding rules (confused deputy: ``aws:SourceAccount``, ``aws:SourceArn``;
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html)."""
    account_id = config.accounts[account].id
    return document([{
        "Sid": "EventBridgeForwardingRules", "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"}, "Action": ["sts:AssumeRole"],
        "Condition": {"ArnLike": {"aws:SourceArn": [copyflow.forward_rule_arns(arns, account_id)]},
                      "StringEquals": {"aws:SourceAccount": [account_id]}},
    }])


def forward_role_policy(config: Config, arns: Arns, account: str) -> dict:
    return document([statement("PutEventsOnRegistryCopyBus", "Allow", ["events:PutEvents"], [copyflow.bus_arn(arns)])])


def function_role_trust(config: Config, arns: Arns) -> dict:
    """Lambda assumes the execution role
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html),
    only for functions of the registry account (``aws:SourceAccount``)."""
    return document([{
        "Sid": "LambdaRunsTheRegistryFunction", "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": ["sts:AssumeRole"],
        "Condition": {"StringEquals": {"aws:SourceAccount": [arns.registry_id]}},
    }])


def forward_rule(config: Config, arns: Arns, account: str, groups) -> dict:
    """A development account's forwarding rule: its local approvals of these
    groups, to the registry's receiving bus, through the account's rule role."""
    account_id = config.accounts[account].id
    return {"EventPattern": copyflow.forward_pattern(groups),
            "Targets": [{"Id": "registry", "Arn": copyflow.bus_arn(arns),
                         "RoleArn": copyflow.forward_role_arn(arns, account_id)}]}


def receive_rule(config: Config, arns: Arns) -> dict:
    """The rule on the receiving bus: invokes the registry function, with
    EventBridge retries (its defaults, stated: 24 hours, up to 185 times)
    and a dead-letter queue for events it cannot deliver ("How EventBridge
    retries delivering events",
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html)."""
    return {"EventPattern": copyflow.receive_pattern(),
            "Targets": [{"Id": "registry-function", "Arn": copyflow.function_arn(arns),
                         "DeadLetterConfig": {"Arn": copyflow.queue_arn(arns)},
                         "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}}]}


def queue_policy(config: Config, arns: Arns) -> dict:
    """The dead-letter queue: EventBridge sends the events it could not
    deliver to the function, only for the receiving rule ("Using dead-letter
    queues to process undelivered events in EventBridge": the queue's policy
    must let events.amazonaws.com send, narrowed by aws:SourceArn,
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
    The function's own failed invocations are sent with its role (its
    identity policy, same account)."""
    return document([statement(
        "ReceivingRuleDeadLetters", "Allow", ["sqs:SendMessage"], [copyflow.queue_arn(arns)],
        {"ArnEquals": {"aws:SourceArn": [copyflow.rule_arn(arns)]}},
        principal={"Service": "events.amazonaws.com"},
    )])
