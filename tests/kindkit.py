"""Helpers for tests that lower the kinds' size limits to force compact forms."""

from __future__ import annotations

import dataclasses

from generator import kinds, limits, render
from generator.config import config_from_text


def tiny_limit(name: str, limit: kinds.Limit) -> kinds.Limit:
    """``limit`` at 1, so every kind with a compact form renders it. Organization
    policies have none (they are packed into more documents instead): theirs stays."""
    return limit if kinds.get(name).is_guardrail else dataclasses.replace(limit, size=1)


def rendered_files(text: str, compact: bool = False) -> dict[str, str]:
    """The render of config ``text`` as {path: text}, with its manifest; with
    ``compact``, every size limit at 1 (:func:`tiny_limit`): compact registry
    policies, registry-wide identity policies."""
    patched = {}
    if compact:
        for kind, limit in limits.LIMITS.items():
            patched[kind] = limit
            limits.LIMITS[kind] = tiny_limit(kind, limit)
    try:
        policies = render.build_policies(config_from_text(text))
    finally:
        limits.LIMITS.update(patched)
    files = {p.path: p.text for p in policies}
    files["manifest.json"] = render.to_json({"policies": [p.manifest_entry() for p in policies]})
    return files
