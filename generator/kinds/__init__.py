"""The registry of policy kinds: one module per kind in this package.

Every module here but :mod:`~generator.kinds.base` declares one ``KIND``
(:class:`~generator.kinds.base.Kind`); the registry finds them itself, so a
new kind is a new module and nothing else in the generator learns its name.
The rest of the code asks by role and property::

    kinds.get(entry["kind"])                  # the kind of a manifest entry
    kinds.where(lambda k: k.is_resource_policy)
    kinds.governing("bucket")                 # the kind whose policy decides requests on a bucket
    kinds.one(role=kinds.IDENTITY)

docs/adding-a-kind.md walks through adding one.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable, Iterator

from generator.kinds.base import (  # noqa: F401  (re-exported: the vocabulary of kinds)
    AS_WRITTEN,
    DATA,
    IDENTITY,
    MINIFIED,
    RCP,
    RESOURCE,
    ROLES,
    SCP,
    TRUST,
    Kind,
    Limit,
    RenderedPolicy,
    TerraformResource,
    to_json,
)


def _discover() -> tuple[Kind, ...]:
    found = []
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module == "base" or module.startswith("_"):
            continue
        kind = getattr(importlib.import_module(f"{__name__}.{module}"), "KIND", None)
        if not isinstance(kind, Kind):
            raise TypeError(f"generator/kinds/{module}.py declares no KIND")
        if kind.role not in ROLES:
            raise TypeError(f"generator/kinds/{module}.py: unknown role {kind.role!r}")
        found.append(kind)
    names = [k.name for k in found]
    if len(set(names)) != len(names):
        raise TypeError(f"two kinds share a name: {sorted(names)}")
    return tuple(sorted(found, key=lambda k: (k.order, k.name)))


# Every kind, in render order.
ALL: tuple[Kind, ...] = _discover()
_BY_NAME = {k.name: k for k in ALL}
NAMES: tuple[str, ...] = tuple(k.name for k in ALL)


def get(name: str) -> Kind | None:
    """The kind of a manifest entry's ``kind``, or None when no kind has that name."""
    return _BY_NAME.get(name)


def where(predicate: Callable[[Kind], bool]) -> tuple[Kind, ...]:
    return tuple(k for k in ALL if predicate(k))


def names(predicate: Callable[[Kind], bool]) -> tuple[str, ...]:
    return tuple(k.name for k in ALL if predicate(k))


def one(predicate: Callable[[Kind], bool] | None = None, **properties) -> Kind:
    """The only kind with these properties (a programming error otherwise)."""
    found = [k for k in ALL if (predicate is None or predicate(k))
             and all(getattr(k, key) == value for key, value in properties.items())]
    if len(found) != 1:
        raise LookupError(f"{len(found)} kinds with {properties or predicate}: {[k.name for k in found]}")
    return found[0]


def governing(resource_type: str) -> Kind:
    """The resource-policy kind that decides requests on this resource type."""
    return one(lambda k: resource_type in k.governs)

