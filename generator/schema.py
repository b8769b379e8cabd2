"""JSON Schema of accounts.yaml, generated from the pydantic model.

Editors validate and complete accounts.yaml with it (yaml-language-server
reads a ``# yaml-language-server: $schema=...`` first line). It is emitted
as draft-07, the newest draft yaml-language-server supports, so pydantic's
``$defs`` become ``definitions``.

The schema carries the field-level rules (types, unknown keys, patterns,
enums). Rules that relate one part of the file to another (a party names a
declared account of the right kind, one registry, unique ids, ...) cannot
be expressed in JSON Schema: only ``python -m generator render`` checks
those (:func:`generator.config.model.check_references`).
"""

from __future__ import annotations

import json

from generator.config import Config

DRAFT = "http://json-schema.org/draft-07/schema#"


def _close_pattern_properties(node) -> None:
    """pydantic validates dict keys, so a key matching no pattern is an
    error; say so in the schema (pydantic leaves additionalProperties open)."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_pattern_properties(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_properties(value)


def schema() -> dict:
    body = Config.model_json_schema(ref_template="#/definitions/{model}")
    definitions = body.pop("$defs", {})
    _close_pattern_properties(body)
    _close_pattern_properties(definitions)
    body.pop("title", None)
    return {
        "$schema": DRAFT,
        "title": "accounts.yaml",
        "description": (
            "Input of the SageMaker model registry policy generator. Field-level rules only: "
            "cross-references (declared accounts, account kinds per party) are checked by "
            "`python -m generator render`."
        ),
        **body,
        "definitions": definitions,
    }


def text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def is_ours(head: str) -> bool:
    """Whether a file beginning with ``head`` is a schema this command wrote
    (``schema --out`` replaces only those)."""
    return head.startswith('{\n  "$schema": ' + json.dumps(DRAFT) + ',\n  "title": "accounts.yaml",')
