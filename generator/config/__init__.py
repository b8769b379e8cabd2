"""Load and validate accounts.yaml into a :class:`Config`."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from generator.config.loader import LoadedYaml, parse_yaml, read_yaml
from generator.config.model import PARTIES, PARTY_KINDS, Account, Config, ModelGroup, check_references
from generator.errors import ConfigError

__all__ = [
    "PARTIES",
    "PARTY_KINDS",
    "Account",
    "Config",
    "ModelGroup",
    "load_config",
    "config_from_text",
]


def load_config(path: Path) -> Config:
    return _validate(read_yaml(Path(path)))


def config_from_text(text: str) -> Config:
    return _validate(parse_yaml(text))


def _validate(loaded: LoadedYaml) -> Config:
    if not isinstance(loaded.data, dict):
        raise ConfigError("", "the config must be a YAML mapping with keys region, registry, accounts, model_groups", loaded.line_of(()))
    try:
        config = Config.model_validate(loaded.data)
    except ValidationError as exc:
        raise _first_error(exc, loaded) from None
    try:
        check_references(config)
    except ConfigError as exc:
        if exc.line is None:
            exc.line = loaded.line_of(_split_key(exc.key))
        raise
    return config


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


def _first_error(exc: ValidationError, loaded: LoadedYaml) -> ConfigError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(part for part in error["loc"] if part != "[key]")
    key = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")
    return ConfigError(key, _message(error), loaded.line_of(loc))


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
    if kind in ("dict_type", "model_type"):
        return "must be a mapping"
    if kind == "list_type":
        return "must be a list"
    message = error["msg"]
    return message[0].lower() + message[1:]
