"""The registry function's resource policy (``registration: copy``).

Only the rule on the registry's receiving bus may invoke it
(generator/policies/copy.py; EventBridge invokes a Lambda target through
the function's resource policy:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions).
Terraform sets it statement by statement (``aws_lambda_permission``, whose
arguments are the principal, source ARN and source account, not a
document), so this kind is data: the registry-function module reads each
argument from this file, so the reviewed document is what is set. Limit: 20 KB for a function's resource-based policy (Lambda
quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
"""

from __future__ import annotations

from generator import copyflow
from generator.kinds.base import DATA, Kind, Limit
from generator.policies import copy


def render(config, arns):
    if not config.copy_groups():
        return []
    registry = config.registry.account
    return [KIND.policy(registry, arns.registry_id, copyflow.function_arn(arns),
                        f"{registry}/policies/lambda-function-policy-{copyflow.FUNCTION_NAME}.json",
                        copy.function_resource_policy(config, arns), {"function": copyflow.FUNCTION_NAME})]


KIND = Kind(
    name="lambda_function_policy",
    role=DATA,
    target_type="function",
    limit=Limit(20_480, "bytes", True, "Lambda function resource-based policy",
                "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"),
    order=83,
    render=render,
    bind=lambda policy, path: ("copy_function_resource_policy", 0, path),
)
