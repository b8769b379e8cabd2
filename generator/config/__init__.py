"""Load and validate accounts.yaml into a :class:`Config`."""

from __future__ import annotations

import copy
import difflib
import functools
import gc
import re
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from generator.config.document import Config
from generator.config.loader import LoadedYaml, parse_yaml, read_yaml
from generator.config.model import PARTIES, PARTY_KINDS, Account, ModelGroup, check_references, config_query
from generator.errors import ConfigError, ConfigErrors, each_error

__all__ = [
    "PARTIES",
    "PARTY_KINDS",
    "Account",
    "Config",
    "ModelGroup",
    "config_query",
    "load_config",
    "config_from_text",
]


@contextmanager
def _collector_paused():
    """The cyclic garbage collector paused while the model is built: it lives
    for the whole run, and the collector's passes over it as it grew were
    more than half of loading a large config (500 accounts x 10,000 groups:
    7.1 s with them, 3.0 s without). Reference counting still frees what is
    dropped; the collector resumes after, as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_config(path: Path) -> Config:
    with _collector_paused():
        return _validate(read_yaml(Path(path), _TOP_KEYS))


def config_from_text(text: str) -> Config:
    with _collector_paused():
        return _validate(parse_yaml(text, _TOP_KEYS))


# How many rounds of "drop what pydantic rejected and validate again" to
# try, so that the cross-reference checks can run on the rest.
_PRUNE_ROUNDS = 5


def _validate(loaded: LoadedYaml) -> Config:
    """The Config, or every error in the file at once (ConfigErrors, each with
    its line): field errors from pydantic, then the cross-reference checks run
    on what remains once the rejected parts are dropped."""
    if not isinstance(loaded.data, dict):
        raise ConfigError("", "the config must be a YAML mapping with keys region, registry, accounts, model_groups", loaded.line_of(()))
    strays = _stray_errors(loaded)
    try:
        config = Config.model_validate(loaded.data)
    except ValidationError as exc:
        field_errors = _field_errors(exc, loaded)
        config, dropped = _prune(loaded.data, exc)
        errors = strays + field_errors
        if config is not None:
            errors += [e for e in _reference_errors(config, loaded) if not _caused_by(e, dropped)]
        raise _all(errors) from None
    errors = strays + _reference_errors(config, loaded)
    if errors:
        raise _all(errors)
    return config


# The allowed top-level keys: the loader reads past the values of unknown
# ones once there are many (loader.STRAYS_COMPOSED).
_TOP_KEYS = frozenset(Config.model_fields)


def _stray_errors(loaded: LoadedYaml) -> list[ConfigError]:
    """The unknown top-level keys the loader read past, reported as
    _field_errors reports an unknown key past _SUGGEST_MAX."""
    if not loaded.strays:
        return []
    message = f"unknown key (allowed here: {', '.join(_allowed_keys(()))})"
    return [ConfigError(key, message, line) for key, line in loaded.strays]


def _all(errors: list[ConfigError]) -> ConfigError:
    unique: dict[tuple, ConfigError] = {}
    for error in errors:
        unique.setdefault((error.key, error.message), error)
    ordered = sorted(unique.values(), key=lambda e: (e.line or 0))
    return ordered[0] if len(ordered) == 1 else ConfigErrors(ordered)


def _reference_errors(config: Config, loaded: LoadedYaml) -> list[ConfigError]:
    try:
        check_references(config)
    except ConfigError as exc:
        found = each_error(exc)
        for error in found:
            if error.line is None:
                error.line = loaded.line_of(_split_key(error.key))
        return found
    return []


def _prune(data: dict, exc: ValidationError) -> tuple[Config | None, list[tuple]]:
    """Drop every part pydantic rejected (the key itself, or the named entry
    holding it when the key is required) until the rest validates. Returns
    the Config of the rest (None if it never validates) and what was dropped."""
    data = copy.deepcopy(data)
    dropped: list[tuple] = []
    for _ in range(_PRUNE_ROUNDS):
        errors = exc.errors(include_url=False)
        renamed = _rename_strays(data, errors)
        for error in errors:
            loc = tuple(part for part in error["loc"] if part != "[key]")
            if loc in renamed:
                continue
            if error["type"] != "missing" and loc in _STAND_INS and _replace(data, loc, _STAND_INS[loc]):
                # A bad value of a required top-level key: a valid stand-in
                # lets the reference checks run in the same round; their
                # echoes of this key are dropped (_caused_by).
                dropped.append(loc)
                continue
            if error["type"] == "missing" or not _delete(data, loc):
                # A required key: drop the named entry (accounts.NAME,
                # model_groups.NAME, ...) that holds it, or give up.
                if len(loc) < 3 or not _delete(data, loc[:2]):
                    return None, dropped
                loc = loc[:2]
            dropped.append(loc)
        try:
            return Config.model_validate(data), dropped
        except ValidationError as again:
            exc = again
    return None, dropped


def _rename_strays(data: dict, errors: list[dict]) -> set[tuple]:
    """Give a misspelled key's value to the required key it stands for (already
    reported as the stray key), so the rest of the file can still be checked.
    Returns the locations (stray and missing) this settled."""
    locs = [tuple(part for part in error["loc"] if part != "[key]") for error in errors]
    missing = {loc for loc, error in zip(locs, errors) if error["type"] == "missing"}
    holders = {loc[:-1] for loc in missing}  # only a stray beside a missing key can stand for it
    settled: set[tuple] = set()
    for loc, error in zip(locs, errors):
        if error["type"] != "extra_forbidden" or not loc or loc[:-1] not in holders:
            continue
        close = difflib.get_close_matches(str(loc[-1]), _allowed_keys(loc[:-1]), n=1, cutoff=0.6)
        target = loc[:-1] + tuple(close)
        if close and target in missing and target not in settled:
            node = data
            for part in loc[:-1]:
                node = node[part]
            node[close[0]] = node.pop(loc[-1])
            settled |= {loc, target}
    return settled


# Valid values for the required keys that no named entry holds, used only
# to run the reference checks past a bad value (never rendered: the bad
# value is reported and the run exits 2).
_STAND_INS: dict[tuple, object] = {
    # a region of the file's partition, so the partition check does not echo it
    ("region",): lambda data: {"aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}.get(
        data.get("partition") if isinstance(data.get("partition"), str) else "", "us-east-1"),
    ("registry", "artifact_bucket"): "stand-in-bucket",
    ("registry", "kms_key_alias"): "alias/stand-in",
}


def _replace(data, loc: tuple, value) -> bool:
    value = value(data) if callable(value) else value
    node = data
    for part in loc[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and loc[-1] in node:
        node[loc[-1]] = value
        return True
    return False


def _delete(data, loc: tuple) -> bool:
    node = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    if isinstance(node, list) and loc and isinstance(loc[-1], int) and loc[-1] < len(node):
        del node[loc[-1]]
        return True
    return False


def _caused_by(error: ConfigError, dropped: list[tuple]) -> bool:
    """Is a reference error an echo of a part already reported and dropped?
    (an account dropped for a bad id is then 'not declared' where it is used)."""
    path = _split_key(error.key)
    for loc in dropped:
        if path[: len(loc)] == loc or loc[: len(path)] == path:
            return True  # about the dropped part, or about what held it
        if len(loc) == 2 and loc[0] in ("accounts", "model_groups") and f"'{loc[1]}'" in error.message:
            return True
        if len(loc) > 2 and loc[0] == "model_groups" and isinstance(loc[-1], int) and path[:3] == loc[:3]:
            return True  # list indexes shift once an entry is dropped
    return False


def _split_key(key: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for chunk in key.split("."):
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            parts.append(int(index))
            rest = rest.lstrip("[")
    return tuple(parts)


# "did you mean" for at most this many unknown keys per file; the rest are
# told the allowed keys (a file with 200,000 unknown keys is not a typo).
_SUGGEST_MAX = 1000


def _field_errors(exc: ValidationError, loaded: LoadedYaml) -> list[ConfigError]:
    """One ConfigError per pydantic error. An unknown key gets "did you mean"
    (the closest allowed key at that place); a required key that is missing
    because it is misspelled is reported once, as the stray key."""
    raw = exc.errors(include_url=False)
    locs = [tuple(part for part in error["loc"] if part != "[key]") for error in raw]
    missing = {loc for loc, error in zip(locs, raw) if error["type"] == "missing"}
    out: list[ConfigError] = []
    explained: set[tuple] = set()
    suggested = 0
    for loc, error in zip(locs, raw):
        if error["type"] == "missing" and loc in explained:
            continue
        message = _message(error)
        if error["type"] == "extra_forbidden" and loc:
            allowed = _allowed_keys(loc[:-1])
            suggested += 1  # difflib costs ~0.1 ms a key: past the first many, the allowed keys alone
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6) \
                if suggested <= _SUGGEST_MAX else []
            if close:
                message += f"; did you mean '{close[0]}'?"
                if loc[:-1] + (close[0],) in missing:
                    message += f" ('{close[0]}' is required and missing)"
                    explained.add(loc[:-1] + (close[0],))
            elif allowed:
                message += f" (allowed here: {', '.join(allowed)})"
        out.append(ConfigError(_key(loc), message, loaded.line_of(loc)))
    # A missing key reported before the stray key that explains it.
    return [e for e in out if not (e.message == "required key is missing" and _split_key(e.key) in explained)]


def _key(loc: tuple) -> str:
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")


@functools.lru_cache(maxsize=256)
def _allowed_keys(loc: tuple) -> list[str]:
    """The field names of the model at ``loc`` (a path into the config)."""
    from typing import get_args, get_origin

    from pydantic import BaseModel

    def model_of(annotation):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        for arg in get_args(annotation):
            found = model_of(arg)
            if found is not None:
                return found
        return None

    def container(annotation, want):
        if get_origin(annotation) is want:
            return annotation
        for arg in get_args(annotation):
            found = container(arg, want)
            if found is not None:
                return found
        return None

    annotation = Config
    for part in loc:
        model = model_of(annotation) if not (container(annotation, dict) or container(annotation, list)) else None
        if model is not None and isinstance(part, str) and part in model.model_fields:
            annotation = model.model_fields[part].annotation
            continue
        holder = container(annotation, dict) or container(annotation, list)
        if holder is None:
            return []
        annotation = get_args(holder)[-1]
    model = model_of(annotation)
    return sorted(model.model_fields) if model is not None else []


def _message(error: dict) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "string_type" and isinstance(value, int) and not isinstance(value, bool):
        return f"must be a quoted string (YAML read it as the number {value}; an unquoted 0-prefixed id is even read as octal)"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        return f"'{value}' does not match {pattern}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "literal_error" and isinstance(value, str):
        allowed = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
        if close:
            return f"'{value}' is not one of {', '.join(allowed)}; did you mean '{close[0]}'?"
    if kind in ("dict_type", "model_type"):
        return "must be a mapping"
    if kind == "list_type":
        return "must be a list"
    message = error["msg"]
    return message[0].lower() + message[1:]
