"""Dispatch: each event goes to the handlers registered for its (source,
detail-type) that want it; an event no handler wants is refused.

A handler is ``(wants, handle)``: ``wants(event, settings)`` says whether the
event is its business (without trusting it), ``handle(event, settings,
clients)`` acts and returns a summary, or raises Refused. A later handler
for the same event type (a stage record written on every model package
state change in the registry account) joins by one more entry in the
tuple, and its grants join the function's policy (generator/access.py).

The Lambda runtime calls :func:`handler` with the EventBridge event. The
function's settings come from the ``REGISTRY_FUNCTION_SETTINGS`` environment
variable (JSON written by the render: docs/copy.md).
"""

from __future__ import annotations

import json
import os

from generator.registry_function import copy_version, stage_record
from generator.registry_function.common import Refused, Settings

MODEL_PACKAGE_STATE_CHANGE = ("aws.sagemaker", "SageMaker Model Package State Change")
HANDLERS = {
    MODEL_PACKAGE_STATE_CHANGE: (
        ("copy_version", copy_version.wants, copy_version.handle),
        # Only once a stage record table is configured (not yet rendered: docs/stage-record.md).
        ("stage_record", stage_record.wants, stage_record.handle),
    ),
}


def dispatch(event: dict, settings: Settings, clients) -> dict:
    if not isinstance(event, dict):
        raise Refused("the event is not a JSON object")
    key = (event.get("source"), event.get("detail-type"))
    handlers = [(name, handle) for name, wants, handle in HANDLERS.get(key, ()) if wants(event, settings)]
    if not handlers:
        raise Refused(f"no handler for source {key[0]!r}, detail-type {key[1]!r} from account {event.get('account')!r}")
    results = {name: handle(event, settings, clients) for name, handle in handlers}
    return results[handlers[0][0]] if len(results) == 1 else results


def handler(event, context):  # the Lambda entry point
    from generator.registry_function.common import Clients

    settings = Settings.from_json(os.environ["REGISTRY_FUNCTION_SETTINGS"])
    result = dispatch(event, settings, Clients.default(settings.region))
    print(json.dumps(result, sort_keys=True))
    return result
