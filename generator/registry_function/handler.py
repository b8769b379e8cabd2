"""Dispatch: one handler per (source, detail-type); anything else is refused.

The Lambda runtime calls :func:`handler` with the EventBridge event. The
function's settings come from the ``REGISTRY_FUNCTION_SETTINGS`` environment
variable (JSON written by the render: docs/copy.md).
"""

from __future__ import annotations

import json
import os

from generator.registry_function import copy_version
from generator.registry_function.common import Refused, Settings

HANDLERS = {
    ("aws.sagemaker", "SageMaker Model Package State Change"): copy_version.handle,
}


def dispatch(event: dict, settings: Settings, clients) -> dict:
    if not isinstance(event, dict):
        raise Refused("the event is not a JSON object")
    key = (event.get("source"), event.get("detail-type"))
    handle = HANDLERS.get(key)
    if handle is None:
        raise Refused(f"no handler for source {key[0]!r}, detail-type {key[1]!r}")
    return handle(event, settings, clients)


def handler(event, context):  # the Lambda entry point
    from generator.registry_function.common import Clients

    settings = Settings.from_json(os.environ["REGISTRY_FUNCTION_SETTINGS"])
    result = dispatch(event, settings, Clients.default(settings.region))
    print(json.dumps(result, sort_keys=True))
    return result
