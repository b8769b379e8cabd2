"""The stage record: every central version's current stage and status, and an
append-only history of its changes, in a DynamoDB table of the registry account.

Invoked by the registry function's dispatcher (handler.py) on every
``SageMaker Model Package State Change`` of a configured group in the
registry account, once a table is configured (``Settings.stage_record_table``;
without it the handler wants no event). Not yet wired by the render: the
table, its Terraform, the function's grants on it and the rule that sends the
registry's own state changes are to come (docs/stage-record.md).

One table, partition key ``pk`` = the group's name (so ``dynamodb:LeadingKeys``
can limit a party to its groups: DynamoDB Developer Guide, "Using IAM policy
conditions for fine-grained access control",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html),
sort key ``sk``:

- ``V#<version, 10 digits>``: the version's current state, read from
  ``DescribeModelPackage`` (the event is not trusted for it), written only if
  the stored state is older by the version's ``LastModifiedTime``
  (``attribute_not_exists(sk) OR modified_ms < :new``): an event handled out
  of order never moves the current state backwards, and a redelivered event
  writes nothing;
- ``V#<version>#H#<event id>``: one history item per change, written only if
  absent (``attribute_not_exists(sk)``): EventBridge redelivers an event with
  the same id, so a change is recorded once. It holds what the event says
  changed (stage, status, description, approval status, who, when), falling
  back to the version as described when the event lacks a field.

Conditional writes: DynamoDB Developer Guide, "Condition expressions",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
(a failed condition answers ``ConditionalCheckFailedException`` and writes
nothing).
"""

from __future__ import annotations

from datetime import datetime, timezone

from generator.registry_function.common import Refused, Settings

CURRENT = "V#{version:010d}"
HISTORY = "V#{version:010d}#H#{event_id}"


def wants(event: dict, settings: Settings) -> bool:
    """A state change of a configured group in the registry account, once a table is configured."""
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    return (bool(getattr(settings, "stage_record_table", None)) and event.get("account") == settings.registry_account
            and detail.get("ModelPackageGroupName") in settings.groups)


def handle(event: dict, settings: Settings, clients) -> dict:
    detail = event["detail"]
    group = detail["ModelPackageGroupName"]
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise Refused("the event has no id: a change could not be recorded once")
    arn = detail.get("ModelPackageArn")
    prefix = (f"arn:{settings.partition}:sagemaker:{settings.region}:{settings.registry_account}:"
              f"model-package/{group}/")
    if not isinstance(arn, str) or not arn.startswith(prefix) or not arn[len(prefix):].isdigit():
        raise Refused(f"ModelPackageArn {arn!r} is not a version of {group} in the registry")
    version = int(arn[len(prefix):])
    described = clients.sagemaker.describe_model_package(ModelPackageName=arn)
    now = _state(described)
    table = settings.stage_record_table
    wrote_current = _put_if(clients.dynamodb, table, {
        "pk": group, "sk": CURRENT.format(version=version), "version": version, "arn": arn, **now,
    }, "attribute_not_exists(sk) OR modified_ms < :new", {":new": now["modified_ms"]})
    said = _said(detail, now)
    wrote_history = _put_if(clients.dynamodb, table, {
        "pk": group, "sk": HISTORY.format(version=version, event_id=event_id), "version": version,
        "event_id": event_id, "event_time": str(event.get("time", "")), **said,
    }, "attribute_not_exists(sk)", None)
    return {"group": group, "version": version, "current_written": wrote_current, "history_written": wrote_history}


def _state(described: dict) -> dict:
    life = described.get("ModelLifeCycle") or {}
    modified = described.get("LastModifiedTime") or described.get("CreationTime")
    when = _utc(modified)
    by = ((described.get("LastModifiedBy") or described.get("CreatedBy") or {}).get("IamIdentity") or {}).get("Arn", "")
    return {
        "stage": life.get("Stage", ""), "stage_status": life.get("StageStatus", ""),
        "stage_description": life.get("StageDescription", ""),
        "approval": described.get("ModelApprovalStatus", ""),
        "modified_by": by, "modified_at": when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "modified_ms": int(when.timestamp() * 1000),
    }


def _said(detail: dict, now: dict) -> dict:
    """What the event says changed; the described version where it says nothing."""
    life = detail.get("ModelLifeCycle") if isinstance(detail.get("ModelLifeCycle"), dict) else {}
    by = detail.get("LastModifiedBy") if isinstance(detail.get("LastModifiedBy"), dict) else {}
    by_arn = (by.get("IamIdentity") or {}).get("Arn") if isinstance(by.get("IamIdentity"), dict) else None

    def text(value, fallback):
        return value if isinstance(value, str) else fallback

    return {
        "stage": text(life.get("Stage"), now["stage"]), "stage_status": text(life.get("StageStatus"), now["stage_status"]),
        "stage_description": text(life.get("StageDescription"), now["stage_description"]),
        "approval": text(detail.get("ModelApprovalStatus"), now["approval"]),
        "modified_by": text(by_arn, now["modified_by"]),
    }


def _utc(value) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    raise Refused(f"the version has no modification time ({value!r})")


def _put_if(dynamodb, table: str, item: dict, condition: str, values: dict | None) -> bool:
    """PutItem under ``condition``; False when the condition failed (nothing written)."""
    params = {"TableName": table, "Item": {k: _attr(v) for k, v in item.items()}, "ConditionExpression": condition}
    if values:
        params["ExpressionAttributeValues"] = {k: _attr(v) for k, v in values.items()}
    try:
        dynamodb.put_item(**params)
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def _attr(value) -> dict:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    return {"S": str(value)}
