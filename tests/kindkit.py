"""Helpers for tests that lower the kinds' size limits to force compact forms."""

from __future__ import annotations

import dataclasses

from generator import kinds


def tiny_limit(name: str, limit: kinds.Limit) -> kinds.Limit:
    """``limit`` at 1, so every kind with a compact form renders it. Organization
    policies have none (they are packed into more documents instead): theirs stays."""
    return limit if kinds.get(name).is_guardrail else dataclasses.replace(limit, size=1)
