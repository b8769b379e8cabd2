"""The registry function's dead-letter queue policy (``registration: copy``).

Only the rule on the registry's receiving bus may send to it
(generator/policies/copy.py, ``queue_policy``). Limit: 8,192 bytes
(Amazon SQS policy quotas,
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html),
measured on the file as written; set by ``aws_sqs_queue_policy`` in the
registry-function module.
"""

from __future__ import annotations

from generator import copyflow
from generator.kinds.base import RESOURCE, Kind, Limit, TerraformResource
from generator.policies import copy


def render(config, arns):
    if not config.copy_groups():
        return []
    registry = config.registry.account
    return [KIND.policy(registry, arns.registry_id, copyflow.queue_arn(arns),
                        f"{registry}/policies/sqs-queue-policy-{copyflow.QUEUE_NAME}.json",
                        copy.queue_policy(config, arns), {"queue": copyflow.QUEUE_NAME})]


KIND = Kind(
    name="sqs_queue_policy",
    role=RESOURCE,
    target_type="queue",
    governs=("queue",),
    limit=Limit(8_192, "bytes", True, "Amazon SQS queue policy",
                "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html"),
    order=84,
    terraform=TerraformResource("aws_sqs_queue_policy", "policy", {"queue_url": "target_arn"}),
    render=render,
    bind=lambda policy, path: ("copy_queue_policy", 0, path),
)
