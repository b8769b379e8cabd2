"""JSON with unique keys: every policy file, manifest and backup is read so.

``json.loads('{"Statement": [], "Statement": [...]}')`` keeps the last of
the two; another reader (AWS's among them) may keep the first or refuse
the document, so lint, report and a restore could approve a policy AWS
reads differently. RFC 8259 §4: "The names within an object SHOULD be
unique"; names that are not give unpredictable behaviour across readers.
"""

from __future__ import annotations

import json


class DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(f"duplicate key {key!r} in a JSON object (readers disagree on which one counts)")
        self.key = key


def unique_pairs(pairs: list) -> dict:
    """An ``object_pairs_hook`` that refuses a key given twice."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return out


def loads(text: str):
    """``json.loads`` that raises :class:`DuplicateKey` for a key given twice."""
    return json.loads(text, object_pairs_hook=unique_pairs)
