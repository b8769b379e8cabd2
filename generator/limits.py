"""AWS size limits by policy kind, checked when a policy is rendered.

Each kind declares its own limit (generator/kinds/<kind>.py: the number,
its unit, whether whitespace counts, the AWS page it comes from); this
module is the table of them all, by manifest kind, and the measure.
docs/limits.md prints the same table for readers.

Where whitespace counts we measure the pretty-printed file exactly as it is
written (the most a deploy tool could send); where it does not (IAM, and
organization policies, which the root sends minified) the minified
document.
"""

from __future__ import annotations

from collections.abc import MutableMapping

from generator import kinds
from generator.kinds.base import Limit


class _Limits(MutableMapping):
    """{manifest kind: Limit}, read from and written to the kinds themselves
    (tests lower a limit to force compact forms: ``LIMITS[kind] = ...``)."""

    def __getitem__(self, name: str) -> Limit:
        kind = kinds.get(name)
        if kind is None:
            raise KeyError(name)
        return kind.limit

    def __setitem__(self, name: str, limit: Limit) -> None:
        kinds.get(name).limit = limit

    def __delitem__(self, name: str) -> None:
        raise TypeError("a kind always has a limit")

    def __iter__(self):
        return iter(kinds.NAMES)

    def __len__(self) -> int:
        return len(kinds.NAMES)


LIMITS: MutableMapping[str, Limit] = _Limits()


def measure(kind: str, text: str, document: dict | None = None) -> int:
    return kinds.get(kind).measure(text, document)


def check(kind: str, text: str, document: dict | None = None) -> tuple[int, Limit] | None:
    """(size, limit) when over the limit, else None."""
    return kinds.get(kind).over(text, document)
