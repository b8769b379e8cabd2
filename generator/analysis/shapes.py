"""Statement shapes: a statement's text with one group's names replaced by placeholders.

Groups are rendered from the same templates. A request's decision depends
on the request and on the statements that can apply to it; with the
group's name (and its access point's) replaced by a placeholder, those are
the same text for most groups, so a decision computed once per distinct
text (a memo keyed by shapes) answers for every group of that shape.
Replacing a name by a placeholder keeps every comparison's outcome only
when wildcards cannot reach into a name: every ``*`` must sit between
separators (``.../<group>/*``, ``model-package/*/*``), no ``?``, no policy
variable, no ...IgnoreCase operator comparing a name in another case, no
NotPrincipal. A statement that breaks that rule raises :class:`Unsafe`,
and the caller evaluates that group request by request (the slow path,
same answers).

:class:`Shape` reads a statement once (its text, the name-like words in
it); :class:`Canon` replaces one group's names. The access matrix
(generator/report/engine.py) keys its memo of decisions by these shapes;
anything else under generator/analysis/ may do the same.
"""

from __future__ import annotations

import json
import re

from generator.analysis.evaluate import value_strings
from generator.analysis.principals import PRINCIPAL_KEYS as _PRINCIPAL_KEYS

_G, _A = "\x00G\x00", "\x00A\x00"  # placeholders: the group's name, its access point's name
# A run of name characters (_RUN): letters, digits and hyphens; with the
# placeholders' NUL, the characters a * must not touch.
_RUN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
_NAME_CHARS = _RUN_CHARS | {"\x00"}


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


class Unsafe(Exception):
    """A statement the placeholder cannot stand in for (see the module docstring)."""


_RUN = re.compile(r"[A-Za-z0-9\-]+")


class Shape:
    """A statement's text for the memo, computed once: its Effect and
    actions as written, the rest (resources, conditions; no Sid, and for a
    resource policy no principal part) as text, and the name-like words in
    that rest; a group whose names are not among the words gets the text as
    it is, without replacing anything."""

    __slots__ = ("statement", "drop_principal", "text", "words", "structural", "unsafe", "parts", "icase_words",
                 "prefix_star")

    def __init__(self, stmt: dict, drop_principal: bool, names: frozenset[str] = frozenset(),
                 raw: "Canon | None" = None):
        self.statement, self.drop_principal = stmt, drop_principal
        self.prefix_star = False
        try:
            self.text = _RAW.statement(stmt, drop_principal)
            self.unsafe = False
        except Unsafe:
            self.text, self.unsafe = "", True
            if raw is not None and raw.prefix:
                # A "<access point prefix>*" pattern (the bucket policy's
                # delegation to the registry's access points): safe for a
                # group whose access point placeholder keeps the prefix.
                try:
                    self.text = raw.statement(stmt, drop_principal)
                    self.unsafe, self.prefix_star = False, True
                except Unsafe:
                    pass
        self.words = frozenset(_RUN.findall(self.text))
        self.icase_words = _icase_words(stmt) if not self.unsafe else frozenset()
        # The text cut around the words that are names of this config's groups
        # and access points, so a group's shape is a join, not a search.
        self.parts = None
        self.structural = None
        if names and not self.words.isdisjoint(names):
            parts, start = [], 0
            for match in _RUN.finditer(self.text):
                if match.group(0) in names:
                    parts += [self.text[start:match.start()], match.group(0)]
                    start = match.end()
            parts.append(self.text[start:])
            self.parts = parts

    def _structural(self) -> frozenset[str]:
        """Words that are not values (actions, operators, condition keys): a
        group named like one of them is replaced value by value instead."""
        if self.structural is None:
            stmt = self.statement
            structural = json.dumps([stmt.get("Effect"), stmt.get("Action"), stmt.get("NotAction")])
            condition = stmt.get("Condition")
            if isinstance(condition, dict):
                structural += json.dumps([[op, list(keys) if isinstance(keys, dict) else []]
                                          for op, keys in condition.items()])
            self.structural = frozenset(_RUN.findall(structural))
        return self.structural

    def canonical(self, canon: "Canon") -> str:
        if self.unsafe or self.prefix_star and not canon.prefix_ok:
            raise Unsafe("statement")
        if not self.icase_words.isdisjoint(canon.lower_names):
            raise Unsafe("a ...IgnoreCase value may name the group in another case")
        if self.words.isdisjoint(canon.names):
            return self.text
        if self._structural().isdisjoint(canon.names):
            # Only values hold the names: replace them in the text (a name is
            # a whole run of name characters, so JSON syntax is untouched).
            if self.parts is not None:
                names = canon.names
                return "".join(names.get(p, p) for p in self.parts)
            return canon.replace(self.text)
        return canon.statement(self.statement, self.drop_principal)


class Canon:
    """Replaces one group's names by placeholders, checking the rule above."""

    def __init__(self, group: str | None, point: str | None, prefix: str = ""):
        # With registry.access_point_prefix, a * right after the prefix
        # (accesspoint/mr-*) matches a name and its placeholder alike: a
        # name that starts with the prefix keeps it in its placeholder.
        self.prefix = prefix
        self.prefix_ok = bool(prefix)
        if group is None:  # no replacement: the checks only
            self.names, self.lower_names, self._order = {}, frozenset(), ()
            return
        names = {group: _G}
        if point and point != group:
            names[point] = _A
        if prefix:
            names = {n: prefix + p if n.startswith(prefix) else p for n, p in names.items()}
        self.names = names
        self.lower_names = frozenset(n.lower() for n in names)
        # A name with a character outside the runs is never a whole run.
        self._order = tuple(n for n in names if n and _RUN.fullmatch(n))

    def replace(self, value: str) -> str:
        """Every whole run of name characters that is one of the names,
        replaced (in one pass: a placeholder is never looked at again). Each
        name is looked for with str.find and kept where it is a whole run
        (no run character on either side): whole runs never overlap, so this
        is the same as replacing run by run, without a regular expression
        and a call per run."""
        hits = None
        for name in self._order:
            start = value.find(name)
            while start != -1:
                end = start + len(name)
                if (not start or value[start - 1] not in _RUN_CHARS) and (
                        end == len(value) or value[end] not in _RUN_CHARS):
                    if hits is None:
                        hits = []
                    hits.append((start, end, name))
                start = value.find(name, start + 1)
        if hits is None:
            return value
        hits.sort()
        out, last = [], 0
        for start, end, name in hits:
            out.append(value[last:start])
            out.append(self.names[name])
            last = end
        out.append(value[last:])
        return "".join(out)

    def text(self, value: str, wildcards: bool) -> str:
        value = self.replace(value)
        if wildcards:
            if "?" in value or "${" in value:
                raise Unsafe(value)
            if "*" in value and not _stars_between_separators(value, self.prefix if self.prefix_ok else ""):
                raise Unsafe(value)
        return value

    def statement(self, stmt: dict, drop_principal: bool) -> str:
        """The statement as text with the group's names replaced; without its
        Sid and, for a resource policy, without its principal part."""
        out = {}
        for key, value in stmt.items():
            if key == "Sid":
                continue
            if key in ("Principal",) and drop_principal:
                continue
            if key == "NotPrincipal":
                raise Unsafe("NotPrincipal")
            if key in ("Action", "NotAction", "Effect"):
                out[key] = value
            elif key in ("Resource", "NotResource"):
                out[key] = [self.text(str(v), True) for v in _as_list(value)]
            elif key == "Condition":
                out[key] = self.condition(value, drop_principal)
            else:
                out[key] = value
        return json.dumps(out, sort_keys=True)

    def condition(self, block, drop_principal: bool):
        if not isinstance(block, dict):
            return block
        out = {}
        for operator, keys in block.items():
            if "IgnoreCase" in operator and isinstance(keys, dict) and not _icase_words(
                    {"Condition": {operator: keys}}).isdisjoint(self.lower_names):
                # A case-insensitive comparison with a value that is a name in
                # another case: replacing exact-case names could change it.
                raise Unsafe(operator)
            if not isinstance(keys, dict):
                out[operator] = keys
                continue
            kept = {}
            for key, values in keys.items():
                if drop_principal and key.lower() in _PRINCIPAL_KEYS:
                    continue
                kept[key] = [self.text(v, True) for v in value_strings(values)]
            if kept:
                out[operator] = kept
        return out


_RAW = Canon(None, None)


def _icase_words(stmt: dict) -> frozenset[str]:
    """The name-like words (lowercased) of the values a ...IgnoreCase
    operator compares: a placeholder stands in for a name only where the
    comparison is exact, so a group whose name is among these words (in any
    case) is evaluated request by request."""
    condition = stmt.get("Condition")
    words: set[str] = set()
    for operator, keys in (condition.items() if isinstance(condition, dict) else ()):
        if "IgnoreCase" in operator and isinstance(keys, dict):
            for values in keys.values():
                for value in _as_list(values):
                    words.update(w.lower() for w in _RUN.findall(str(value)))
    return frozenset(words)


def _stars_between_separators(value: str, prefix: str = "") -> bool:
    """Every * has a separator (or the end, or another *) on both sides, so it
    can never match part of a name: whole names are compared, never pieces.
    The one exception: a * right after a whole run that is exactly ``prefix``
    (the access point prefix, which every access point name and placeholder
    starts with)."""
    i = value.find("*")
    while i != -1:
        before = value[i - 1] if i else ""
        after = value[i + 1] if i + 1 < len(value) else ""
        if after in _NAME_CHARS and after != "":
            return False
        if before in _NAME_CHARS and before != "":
            start = i
            while start and value[start - 1] in _NAME_CHARS:
                start -= 1
            if not prefix or value[start:i] != prefix:
                return False
        i = value.find("*", i + 1)
    return True


# Words the evaluator gives a meaning to whatever the statement: a group
# named like one of them is never replaced by a placeholder (whole_text).
_MEANING_WORDS = frozenset({"true", "false"})
_CASE_BLIND_BASES = ("IgnoreCase", "Bool", "Null")


def group_allows_placeholders(canon: "Canon") -> bool:
    """Whether :func:`whole_text` may stand a placeholder in for this
    group's names at all: each name has a letter (an all-digit name could
    be an account id, which the evaluator reads out of ARNs) and is not
    ``true`` or ``false`` in any case (the values Bool and Null compare)."""
    return all(any(c.isalpha() for c in name) and name not in _MEANING_WORDS for name in canon.lower_names)


def meaning_words(stmt: dict) -> frozenset[str]:
    """The name-like words (lowercased) of a statement's parts that are not
    plain values, or are compared without regard to case: its keys, Effect,
    actions, principal types, condition operators and keys, and the values
    of ...IgnoreCase, Bool and Null conditions. A placeholder may replace a
    name only where none of these is that name (:func:`whole_text`)."""
    parts = [list(stmt), stmt.get("Effect"), stmt.get("Action"), stmt.get("NotAction")]
    principal = stmt.get("Principal")
    if isinstance(principal, dict):
        parts.append(list(principal))
    condition = stmt.get("Condition")
    if isinstance(condition, dict):
        for operator, keys in condition.items():
            parts.append(operator)
            if isinstance(keys, dict):
                parts.append(list(keys))
                if any(base in operator for base in _CASE_BLIND_BASES):
                    parts.append(list(keys.values()))
    return frozenset(w.lower() for w in _RUN.findall(json.dumps(parts, ensure_ascii=False)))


def raw_text(stmt: dict) -> str | None:
    """The statement as JSON text (principals and Sid included), or None
    when no group's names can be replaced in it: a ``?``, a policy variable,
    a NotPrincipal or an escaped character anywhere (:func:`whole_text`)."""
    text = json.dumps(stmt, ensure_ascii=False)
    if "\\" in text or "?" in text or "${" in text or "NotPrincipal" in text:
        return None
    return text


def whole_text(raw: str | None, canon: "Canon", meaning: frozenset[str]) -> str:
    """A statement's :func:`raw_text` with the group's names replaced, for a
    memo of decisions that holds for every group whose statements have the
    same text. Stricter than :meth:`Shape.canonical` and cheaper (one
    ``json.dumps`` per statement and one pass of :meth:`Canon.replace` per
    group, no walk value by value): raises :class:`Unsafe` when the raw text
    is None (above), when any ``*`` in the text touches a name character
    (actions and principals included), and when a name is one of
    ``meaning`` (the statement's :func:`meaning_words`). With the request's
    values replaced the same way (``canon.replace``), the group's names are
    then renamed consistently everywhere the evaluator compares them as
    opaque words, so the decision is the same for every group of that text."""
    if raw is None:
        raise Unsafe("statement")
    if not meaning.isdisjoint(canon.lower_names):
        raise Unsafe("a name is also a word the evaluator gives a meaning to")
    text = canon.replace(raw)
    if "*" in text and not _stars_between_separators(text, canon.prefix if canon.prefix_ok else ""):
        raise Unsafe("a * touches a name")
    return text


class ShapeMemo:
    """The memo: decisions keyed by shapes, and each distinct shape (a text,
    or a tuple of them) numbered once, so a key made of shapes is a tuple
    of small ints that hashes and compares fast."""

    __slots__ = ("decisions", "_numbers")

    def __init__(self) -> None:
        self.decisions: dict[tuple, bool] = {}
        self._numbers: dict[object, int] = {}

    def number(self, shape) -> int:
        """The shape's number: the same for the same text, whichever group it came from."""
        return self._numbers.setdefault(shape, len(self._numbers))


__all__ = ["Canon", "Shape", "ShapeMemo", "Unsafe", "group_allows_placeholders", "meaning_words", "raw_text", "whole_text"]
