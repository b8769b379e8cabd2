"""A small, documented IAM policy evaluator for the rendered policies.

Used by the who-can-do-what tests (and the governance report) to prove what
the rendered documents allow. It implements the parts of the AWS evaluation
logic our policies use, following
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

- An explicit Deny in any applicable policy wins.
- Cross-account: the identity policy AND the resource policy must allow.
- Same account: either allows (a resource policy naming the account root
  delegates to IAM, so then the identity policy must allow).
- Conditions: every operator in a block must hold (AND), every key in an
  operator (AND), any value of a key (OR). Keys are case-insensitive.
  A missing key makes positive operators false, negated operators
  (StringNotEquals, StringNotLike, ArnNotEquals, ArnNotLike) true,
  ...IfExists operators true, ForAnyValue false and ForAllValues true.
  Null tests presence.

NotPrincipal, NotAction and NotResource apply to everything they do not
list (a hand-edited Allow with NotAction must not read as "no differences").

A :class:`Policy` (a reduced policy of generator.analysis.policyset.ActionIndex) has
its statements parsed once (:func:`compile_statement`) for every request
asked of it; a plain dict is interpreted per request (statement_applies).
Both answer alike (tests/test_evaluate_compiled.py).

Not modelled (not used by our policies): numeric/date/IP operators,
permission boundaries, SCPs, session policies.
An unknown operator raises, so a policy that uses one cannot pass silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

NEGATED = {"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike", "StringNotEqualsIgnoreCase"}


@dataclass(frozen=True)
class Request:
    principal_arn: str  # the role ARN (aws:PrincipalArn)
    action: str
    resource: str
    context: dict = field(default_factory=dict)  # condition key -> str | list[str]

    @property
    def principal_account(self) -> str:
        return self.principal_arn.split(":")[4]


@dataclass(frozen=True)
class Match:
    """One statement that applied to the request, and where it came from."""

    policy: str  # "identity" or "resource"
    source: str  # the policy it came from (a file path when the caller names it)
    sid: str
    effect: str  # "Allow" or "Deny"


@dataclass
class Decision:
    allowed: bool
    reason: str
    identity_allows: list[str] = field(default_factory=list)
    resource_allows: list[str] = field(default_factory=list)
    denies: list[str] = field(default_factory=list)
    # Every applying statement with its source, in evaluation order, and the
    # policies that were consulted as (policy, source) pairs, so a caller can
    # say "no statement applies" for a policy that was read but did not match.
    matches: list[Match] = field(default_factory=list)
    consulted: list[tuple[str, str]] = field(default_factory=list)
    # The principal's identity policy is not rendered, so it is unknown and
    # was assumed to allow (the registry side alone decided).
    identity_unknown: bool = False


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@lru_cache(maxsize=1 << 16)
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, (0 if case_sensitive else re.IGNORECASE) | re.DOTALL)


def glob_match(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    if "*" not in pattern and "?" not in pattern:
        return pattern == value if case_sensitive else pattern.lower() == value.lower()
    if pattern[-1] == "*" and "?" not in pattern and pattern.count("*") == 1:
        # The common form, a prefix and one trailing * (model/<group>-*, .../<prefix>/*).
        return value.startswith(pattern[:-1]) if case_sensitive else value.lower().startswith(pattern[:-1].lower())
    return _glob(pattern, case_sensitive).fullmatch(value) is not None


def _substitute(text: str, context: dict) -> str:
    """Policy variables such as ${aws:PrincipalAccount}."""
    if "${" not in text:
        return text

    def repl(match: re.Match) -> str:
        values = _lookup(context, match.group(1))
        return values[0] if len(values) == 1 else match.group(0)

    return re.sub(r"\$\{([^}]+)\}", repl, text)


def value_strings(value) -> list[str]:
    """A condition or context value as the strings IAM compares (JSON true/false as "true"/"false")."""
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(value)]


def _lookup(context: dict, key: str) -> list[str]:
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value_strings(value)
    return []


# The operators whose values are globs.
_GLOB_BASES = frozenset({"StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"})


def _match_value(base: str, policy_value: str, actual: str) -> bool:
    if base in ("StringEquals", "StringNotEquals"):
        return policy_value == actual
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return policy_value.lower() == actual.lower()
    if base in _GLOB_BASES:
        return glob_match(policy_value, actual)
    if base == "Bool":
        return policy_value.lower() == actual.lower()
    raise ValueError(f"condition operator {base} is not supported by the evaluator")


EVALUATED_BASES = frozenset({
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals", "Bool", "Null",
})


def evaluates(operator: str) -> bool:
    """Does this evaluator decide ``operator`` (report and explain refuse a policy that uses another)?"""
    set_op, _, base = operator.rpartition(":")
    if set_op not in ("", "ForAnyValue", "ForAllValues"):
        return False
    if base.endswith("IfExists"):
        base = base[: -len("IfExists")]
    return base in EVALUATED_BASES


def condition_holds(operator: str, key: str, policy_values, context: dict) -> bool:
    set_op = None
    if ":" in operator:
        set_op, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    values = [_substitute(v, context) for v in value_strings(policy_values)]
    actual = _lookup(context, key)

    if base == "Null":
        wants_absent = values[0].lower() == "true"
        return (not actual) == wants_absent
    if not actual:
        if set_op == "ForAllValues":
            return True
        if set_op == "ForAnyValue":
            return False
        return if_exists or base in NEGATED
    negated = base in NEGATED
    if set_op == "ForAllValues":
        hits = [any(_match_value(base, v, a) for v in values) for a in actual]
        return all((not h) if negated else h for h in hits)
    # ForAnyValue, or a single-valued key: any context value against any policy value.
    matched = any(_match_value(base, v, a) for v in values for a in actual)
    return not matched if negated else matched


def _conditions_hold(block: dict, context: dict) -> bool:
    return all(
        condition_holds(operator, key, values, context)
        for operator, keys in (block or {}).items()
        for key, values in keys.items()
    )


def _principal_matches(principal, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for value in _as_list(principal.get("AWS")):
        if value == "*":
            return True
        if re.fullmatch(r"\d{12}", value) or value.endswith(":root"):
            account = value if value.isdigit() else value.split(":")[4]
            if account == request.principal_account:
                return True
        elif value == request.principal_arn:
            return True
    return False


def statement_applies(stmt: dict, request: Request, resource_policy: bool) -> bool:
    """Does ``stmt`` apply to ``request``? NotPrincipal, NotAction and
    NotResource apply to everything they do not list, as IAM evaluates them
    (IAM User Guide, policy elements NotPrincipal, NotAction, NotResource):
    an Allow with NotAction allows every other action, a Deny with
    NotResource denies every other resource."""
    if resource_policy:
        if "NotPrincipal" in stmt:
            if _principal_matches(stmt["NotPrincipal"], request):
                return False
        elif not _principal_matches(stmt.get("Principal"), request):
            return False
    if "NotAction" in stmt:
        if any(glob_match(a, request.action, case_sensitive=False) for a in _as_list(stmt["NotAction"])):
            return False
    elif not any(glob_match(a, request.action, case_sensitive=False) for a in _as_list(stmt.get("Action"))):
        return False
    if "NotResource" in stmt:
        excluded = [_substitute(r, request.context) for r in _as_list(stmt["NotResource"])]
        if any(glob_match(r, request.resource) for r in excluded):
            return False
    elif resource_policy and "Resource" not in stmt:
        # An ECR repository policy has no Resource element (ECR rejects one):
        # it applies to the repository it is set on, the resource asked about.
        pass
    else:
        resource = stmt.get("Resource")
        if isinstance(resource, list) and len(resource) > 8:
            if not _resource_matcher(resource).matches(request.resource, request.context):
                return False
        elif not any(glob_match(_substitute(r, request.context), request.resource) for r in _as_list(resource)):
            return False
    return _conditions_hold(stmt.get("Condition"), request.context)


class _ResourceMatcher:
    """A long Resource list, indexed once: the literal ARNs in a set, the
    "prefix*" patterns by prefix length (a value matches one when its first
    L characters are among the prefixes of length L), the patterns whose only
    wildcard is * (more than one) as their literal pieces ("head*infix*" as
    the infixes after each head), every other
    pattern (?, policy variables) tried one by one as glob_match does. The
    same answer as trying every pattern: a deploy role lists each of its
    groups' SageMaker names, and is asked about each of them."""

    def __init__(self, resources: list):
        self.literal: set[str] = set()
        self.prefixes: dict[int, set[str]] = {}
        self.infixes: dict[str, list[str]] = {}  # "a*b*": {"a": ["b"]}
        self.any_infix: dict[str, re.Pattern] = {}  # a head's many infixes, one literal expression
        self.pieces: list[tuple[str, ...]] = []  # any other star-only one, "a*b*c": ("a", "b", "c")
        self.other: list[str] = []  # with policy variables: substituted per request
        patterns: list[str] = []  # with ?: one regular expression for all
        for r in resources:
            r = str(r)
            if "${" in r:
                self.other.append(r)
            elif "*" not in r and "?" not in r:
                self.literal.add(r)
            elif r.count("*") == 1 and r.endswith("*") and "?" not in r:
                self.prefixes.setdefault(len(r) - 1, set()).add(r[:-1])
            elif "?" not in r:
                pieces = tuple(r.split("*"))
                if len(pieces) == 3 and pieces[2] == "" and pieces[1]:
                    self.infixes.setdefault(pieces[0], []).append(pieces[1])
                else:
                    self.pieces.append(pieces)
            else:
                patterns.append(r)
        self.combined = re.compile("|".join(f"(?:{_glob(p, True).pattern})" for p in patterns), re.DOTALL) \
            if patterns else None

    def matches(self, value: str, context: dict) -> bool:
        if value in self.literal:
            return True
        for length, prefixes in self.prefixes.items():
            if value[:length] in prefixes and len(value) >= length:
                return True
        for head, infixes in self.infixes.items():
            if value.startswith(head):
                rest = value[len(head):]
                if len(infixes) > 4:
                    # Many infixes after one head (a deploy role's "...:*/GROUP-*"
                    # list): one scan for any of them, as literals.
                    found = self.any_infix.get(head)
                    if found is None:
                        found = self.any_infix[head] = re.compile("|".join(map(re.escape, infixes)))
                    if found.search(rest):
                        return True
                    continue
                for infix in infixes:
                    if infix in rest:
                        return True
        for pieces in self.pieces:
            if _pieces_match(pieces, value):
                return True
        if self.combined is not None and self.combined.fullmatch(value):
            return True
        return any(glob_match(_substitute(r, context), value) for r in self.other)


def _pieces_match(pieces: tuple[str, ...], value: str) -> bool:
    """A glob whose only wildcard is *, split at its stars, against a value
    (case-sensitive; * matches any run, / included): the first piece starts
    the value, the last ends it, each middle one is found leftmost after the
    one before (leftmost is never worse for what follows). No regular
    expression to compile: a deploy role's long lists of "...:*/GROUP-*"."""
    first, last = pieces[0], pieces[-1]
    if not value.startswith(first) or len(value) < len(first) + len(last):
        return False
    position, end = len(first), len(value) - len(last)
    for piece in pieces[1:-1]:
        found = value.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return value.endswith(last)


_MATCHERS: dict[int, tuple[list, _ResourceMatcher]] = {}


def _resource_matcher(resources: list) -> _ResourceMatcher:
    """The matcher of a Resource list, built once per list object (kept with
    it, so an id is never reused while cached)."""
    found = _MATCHERS.get(id(resources))
    if found is None or found[0] is not resources:
        if len(_MATCHERS) > 200_000:
            _MATCHERS.clear()
        found = _MATCHERS[id(resources)] = (resources, _ResourceMatcher(resources))
    return found[1]


class _Fallback(Exception):
    """A statement outside what _Compiled models exactly: it is interpreted."""


def _pattern_sets(patterns, lowered: bool) -> tuple[frozenset, tuple, tuple]:
    """(literals, "prefix*" prefixes, other patterns) of a list of glob
    patterns, as glob_match treats them (lowered when case-insensitive)."""
    literals, prefixes, other = set(), [], []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise _Fallback
        if "*" not in pattern and "?" not in pattern:
            literals.add(pattern.lower() if lowered else pattern)
        elif pattern[-1] == "*" and "?" not in pattern and pattern.count("*") == 1:
            prefixes.append(pattern[:-1].lower() if lowered else pattern[:-1])
        else:
            other.append(pattern)
    return frozenset(literals), tuple(prefixes), tuple(other)


class _Condition:
    """One (operator, key, values) of a Condition block, parsed once:
    :func:`condition_holds` without the per-request parsing."""

    __slots__ = ("set_op", "base", "if_exists", "negated", "key", "raw", "values", "equal", "like")

    def __init__(self, operator, key, policy_values):
        if not isinstance(operator, str) or not isinstance(key, str):
            raise _Fallback
        set_op = None
        if ":" in operator:
            set_op, operator = operator.split(":", 1)
        self.set_op = set_op
        self.if_exists = operator.endswith("IfExists")
        self.base = operator[: -len("IfExists")] if self.if_exists else operator
        self.negated = self.base in NEGATED
        self.key = key.lower()
        self.raw = value_strings(policy_values)
        # Without policy variables the values do not depend on the request.
        self.values = None if any("${" in v for v in self.raw) else self.raw
        self.equal = None  # StringEquals: the values as a set
        if self.values is not None and self.base in ("StringEquals", "StringNotEquals"):
            self.equal = frozenset(self.values)
        # A long list of glob values (a group policy's aws:PrincipalArn list
        # names every role of every account it grants): indexed like a long
        # Resource list, the same answer as trying each with glob_match.
        self.like = None
        if self.values is not None and len(self.values) > 8 and self.base in _GLOB_BASES:
            self.like = _ResourceMatcher(self.values)

    def holds(self, lowered: dict, context: dict) -> bool:
        values = self.values if self.values is not None else [_substitute(v, context) for v in self.raw]
        actual = lowered.get(self.key, ())
        base = self.base
        if base == "Null":
            wants_absent = values[0].lower() == "true"
            return (not actual) == wants_absent
        if not actual:
            if self.set_op == "ForAllValues":
                return True
            if self.set_op == "ForAnyValue":
                return False
            return self.if_exists or self.negated
        equal, like = self.equal, self.like
        if self.set_op == "ForAllValues":
            if equal is not None:
                hits = [a in equal for a in actual]
            elif like is not None:
                hits = [like.matches(a, context) for a in actual]
            else:
                hits = [any(_match_value(base, v, a) for v in values) for a in actual]
            return all((not h) if self.negated else h for h in hits)
        if equal is not None:
            matched = any(a in equal for a in actual) if values else False
        elif like is not None:
            matched = any(like.matches(a, context) for a in actual)
        else:
            matched = any(_match_value(base, v, a) for v in values for a in actual)
        return not matched if self.negated else matched


class _Compiled:
    """A statement parsed once for many requests; :meth:`applies` answers
    exactly as :func:`statement_applies` (tests/test_evaluate_compiled.py
    compares the two on generated statements and requests). A statement
    with anything unusual (a non-string value, a malformed element) is not
    compiled: it is interpreted."""

    __slots__ = ("stmt", "not_principal", "principal_any", "accounts", "arns",
                 "actions", "not_action", "conditions", "not_resource", "has_resource", "resources", "variables")

    def __init__(self, stmt: dict):
        self.stmt = stmt
        self.not_principal = "NotPrincipal" in stmt
        principal = stmt["NotPrincipal"] if self.not_principal else stmt.get("Principal")
        self.principal_any, accounts, arns = False, set(), set()
        if principal == "*":
            self.principal_any = True
        elif isinstance(principal, dict):
            for value in _as_list(principal.get("AWS")):
                if not isinstance(value, str):
                    raise _Fallback
                if value == "*":
                    self.principal_any = True
                elif re.fullmatch(r"\d{12}", value) or value.endswith(":root"):
                    if not value.isdigit() and value.count(":") < 4:
                        raise _Fallback  # statement_applies raises on it: keep that
                    accounts.add(value if value.isdigit() else value.split(":")[4])
                else:
                    arns.add(value)
        self.accounts, self.arns = frozenset(accounts), frozenset(arns)
        self.not_action = "NotAction" in stmt
        self.actions = _pattern_sets(_as_list(stmt["NotAction"] if self.not_action else stmt.get("Action")), True)
        self.not_resource = "NotResource" in stmt
        self.has_resource = "Resource" in stmt
        patterns = _as_list(stmt["NotResource"] if self.not_resource else stmt.get("Resource"))
        if not all(isinstance(r, str) for r in patterns):
            raise _Fallback
        # A long list indexed (_ResourceMatcher); a short one as literals,
        # "prefix*" and other patterns, those with policy variables
        # substituted per request: each as glob_match does.
        if len(patterns) > 8:
            self.variables, self.resources = (), _ResourceMatcher(patterns)
        else:
            self.variables = tuple(r for r in patterns if "${" in r)
            self.resources = _pattern_sets([r for r in patterns if "${" not in r], False)
        block = stmt.get("Condition")
        if block is not None and not isinstance(block, dict):
            raise _Fallback
        conditions = []
        for operator, keys in (block or {}).items():
            if not isinstance(keys, dict):
                raise _Fallback
            conditions.extend(_Condition(operator, key, values) for key, values in keys.items())
        self.conditions = tuple(conditions)

    def _principal(self, request: Request) -> bool:
        return self.principal_any or request.principal_arn in self.arns or (
            bool(self.accounts) and request.principal_account in self.accounts)

    def _action(self, action: str) -> bool:
        literals, prefixes, other = self.actions
        lowered = action.lower()
        return lowered in literals or any(lowered.startswith(p) for p in prefixes) or any(
            glob_match(p, action, case_sensitive=False) for p in other)

    def _resource(self, request: Request) -> bool:
        value = request.resource
        if type(self.resources) is _ResourceMatcher:
            return self.resources.matches(value, request.context)
        literals, prefixes, other = self.resources
        return value in literals or any(value.startswith(p) for p in prefixes) or any(
            glob_match(p, value) for p in other) or any(
            glob_match(_substitute(r, request.context), value) for r in self.variables)

    def applies(self, request: Request, lowered: dict, resource_policy: bool) -> bool:
        if resource_policy and self._principal(request) == self.not_principal:
            return False
        if self._action(request.action) == self.not_action:
            return False
        if self.not_resource:
            if self._resource(request):
                return False
        elif resource_policy and not self.has_resource:
            pass  # an ECR repository policy: it applies to the repository it is set on
        elif not self._resource(request):
            return False
        return all(c.holds(lowered, request.context) for c in self.conditions)


class _Interpreted:
    __slots__ = ("stmt",)

    def __init__(self, stmt):
        self.stmt = stmt

    def applies(self, request: Request, lowered: dict, resource_policy: bool) -> bool:
        return statement_applies(self.stmt, request, resource_policy)


def compile_statement(stmt) -> "_Compiled | _Interpreted":
    """A statement parsed once for many requests (``.stmt``, ``.applies``)."""
    if not isinstance(stmt, dict):
        return _Interpreted(stmt)
    try:
        return _Compiled(stmt)
    except _Fallback:
        return _Interpreted(stmt)


_MERGEABLE = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "Condition"})


def resources_merged(statements) -> list:
    """Compiled identity-policy statements, with those that differ only in
    their Resource (and Sid) joined into one statement whose Resource lists
    all of theirs, at the place of the first. A request matches the joined
    statement exactly when it matches one of those it replaces, so
    :func:`identity_allows` answers alike. A statement with anything else
    (NotResource, a principal, a value the compiler left to the interpreter)
    is kept as it is. For identity-policy decisions only: a deploy role's
    policy parts repeat one statement per part, each with its own groups."""
    joined: dict[str, list] = {}
    out: list = []
    for compiled in statements:
        stmt = compiled.stmt
        if type(compiled) is _Compiled and "Resource" in stmt and _MERGEABLE.issuperset(stmt):
            key = json.dumps([stmt.get("Effect"), stmt.get("Action"), stmt.get("NotAction"), "NotAction" in stmt,
                              stmt.get("Condition")], sort_keys=True)
            same = joined.get(key)
            if same is not None:
                same.append(compiled)
                continue
            same = joined[key] = [compiled]
            out.append(same)
        else:
            out.append(compiled)
    return [item if not isinstance(item, list) else item[0] if len(item) == 1 else compile_statement(
        {**{k: v for k, v in item[0].stmt.items() if k != "Sid"},
         "Resource": [r for c in item for r in _as_list(c.stmt["Resource"])]}) for item in out]


def identity_allows(statements, request: Request, lowered: dict) -> bool:
    """Whether identity-policy statements (compiled) allow the request: one
    applies with Allow and none with Deny (an explicit Deny wins)."""
    allowed = False
    for compiled in statements:
        if compiled.applies(request, lowered, False):
            if compiled.stmt.get("Effect") == "Deny":
                return False
            allowed = True
    return allowed


class Policy(dict):
    """A policy document that is not changed after it is built (a reduced
    policy of generator.analysis.policyset.ActionIndex, a rendered document read
    once): its statements are parsed once, on first use, for every request
    :func:`decide` asks of it. A plain dict is interpreted on every request,
    so a caller that edits a document in place is never answered from a stale
    parse."""

    __slots__ = ("_compiled", "_parse", "_split")

    def __init__(self, document=(), parse=None):
        """``parse``: a function returning the compiled statements (for one
        whose statements are parsed already, see policyset.ActionIndex)."""
        super().__init__(document)
        self._parse = parse

    def compiled(self) -> list:
        try:
            return self._compiled
        except AttributeError:
            self._compiled = self._parse() if self._parse else [
                compile_statement(stmt) for stmt in _as_list(self.get("Statement"))]
            return self._compiled


def compiled_statements(policy: dict) -> list:
    """The policy's statements, each with ``.stmt`` and ``.applies(request,
    lowered, resource_policy)``: parsed once for a Policy, interpreted on
    every request for a plain dict."""
    if isinstance(policy, Policy):
        return policy.compiled()
    return [_Interpreted(stmt) for stmt in _as_list(policy.get("Statement"))]


def lowered_context(context: dict) -> dict:
    """The context by lower-cased key, values as _lookup returns them (the first of two spellings wins, as there)."""
    lowered: dict[str, list[str]] = {}
    for name, value in context.items():
        if type(name) is str:
            key = name.lower()
            if key not in lowered:
                lowered[key] = [value] if type(value) is str else value_strings(value)
    return lowered


def _sid(stmt: dict, label: str) -> str:
    return f"{label}:{stmt.get('Sid', '?')}"


def decide(
    request: Request,
    identity_policies: list[dict],
    resource_policy: dict | None,
    resource_account: str,
    labels: tuple[str, str] = ("identity", "resource"),
    sources: tuple[list[str], str | None] | None = None,
) -> Decision:
    """``sources`` optionally names each identity policy and the resource
    policy (file paths); they are reported in ``Decision.matches``."""
    identity_names = list(sources[0]) if sources else [f"{labels[0]} policy {i + 1}" for i in range(len(identity_policies))]
    resource_name = (sources[1] if sources else None) or f"{labels[1]} policy"
    if len(identity_names) != len(identity_policies):
        raise ValueError("sources must name every identity policy")
    request = with_defaults(request)
    lowered = lowered_context(request.context)
    decision = Decision(False, "")
    for label, policies, names, is_resource in (
        (labels[0], identity_policies, identity_names, False),
        (labels[1], [resource_policy] if resource_policy else [], [resource_name], True),
    ):
        half = "resource" if is_resource else "identity"
        for policy, name in zip(policies, names):
            decision.consulted.append((half, name))
            for compiled in compiled_statements(policy):
                if not compiled.applies(request, lowered, is_resource):
                    continue
                stmt = compiled.stmt
                decision.matches.append(Match(half, name, str(stmt.get("Sid", "?")), stmt.get("Effect", "")))
                if stmt.get("Effect") == "Deny":
                    decision.denies.append(_sid(stmt, label))
                elif is_resource:
                    decision.resource_allows.append(_sid(stmt, label))
                else:
                    decision.identity_allows.append(_sid(stmt, label))
    if decision.denies:
        decision.reason = "explicit deny: " + ", ".join(decision.denies)
        return decision
    cross_account = request.principal_account != resource_account
    if cross_account:
        decision.allowed = bool(decision.identity_allows and decision.resource_allows)
        if not decision.identity_allows:
            decision.reason = "no identity-policy statement allows it"
        elif not decision.resource_allows:
            decision.reason = "no resource-policy statement allows it (cross-account needs both)"
    else:
        delegated = resource_policy is not None and decision.resource_allows and not any(
            _principal_names_role(stmt, request) for stmt in _as_list(resource_policy.get("Statement"))
        )
        decision.allowed = bool(decision.identity_allows) or (bool(decision.resource_allows) and not delegated)
        if not decision.allowed:
            decision.reason = "no statement allows it"
    if decision.allowed:
        decision.reason = "allowed by " + ", ".join(decision.identity_allows + decision.resource_allows)
    return decision


def with_defaults(request: Request) -> Request:
    """The request with the keys AWS always sets for a role principal."""
    context = dict(request.context)
    context.setdefault("aws:PrincipalArn", request.principal_arn)
    context.setdefault("aws:PrincipalAccount", request.principal_account)
    return Request(request.principal_arn, request.action, request.resource, context)


def matching_statements(request: Request, policy: dict, resource_policy: bool, label: str,
                        lowered: dict | None = None) -> tuple[list[str], list[str]]:
    """(allowing, denying) statement labels of one policy for a request
    (``lowered``: the request's lowered_context, when the caller asks many
    policies about one request)."""
    allows, denies = [], []
    if lowered is None:
        lowered = lowered_context(request.context)
    for compiled in compiled_statements(policy):
        if compiled.applies(request, lowered, resource_policy):
            stmt = compiled.stmt
            (denies if stmt.get("Effect") == "Deny" else allows).append(_sid(stmt, label))
    return allows, denies


def _deny_first(policy: dict) -> tuple[list, list] | None:
    """(Deny statements, the others) of a Policy none of whose statements can
    raise: each compiled, every condition of an operator the evaluator
    models with at least one value. None otherwise (a plain dict, an
    interpreted statement, an operator that raises ValueError when asked)."""
    if not isinstance(policy, Policy):
        return None
    try:
        return policy._split
    except AttributeError:
        pass
    compiled = policy.compiled()
    split = None
    if all(type(c) is _Compiled and all(cond.base in EVALUATED_BASES and cond.raw for cond in c.conditions)
           for c in compiled):
        split = ([c for c in compiled if c.stmt.get("Effect") == "Deny"],
                 [c for c in compiled if c.stmt.get("Effect") != "Deny"])
    policy._split = split
    return split


def allowing_statements(request: Request, policy: dict, resource_policy: bool, label: str,
                        lowered: dict | None = None) -> list[str]:
    """The labels of the policy's Allow statements that apply to the request,
    or [] when one of its Deny statements applies: what
    ``allows if not denies else []`` of :func:`matching_statements` is. When
    no statement can raise (:func:`_deny_first`), the Deny statements are
    asked first and the Allows only if none applies; otherwise every
    statement is asked in order, so an operator the evaluator does not model
    raises exactly where it does there (tests/test_evaluate_compiled.py
    compares the two)."""
    compiled = compiled_statements(policy)
    return [_sid(compiled[i].stmt, label) for i in allowing_positions(request, policy, resource_policy, lowered, compiled)]


def allowing_positions(request: Request, policy: dict, resource_policy: bool, lowered: dict | None = None,
                       compiled: list | None = None) -> list[int]:
    """:func:`allowing_statements` as the positions of those statements in
    the policy's statement list (what a memo keyed by the statements' shapes
    can store for every policy of that shape, whatever their Sids)."""
    if lowered is None:
        lowered = lowered_context(request.context)
    if compiled is None:
        compiled = compiled_statements(policy)
    split = _deny_first(policy)
    if split is None:
        allows, denied = [], False
        for i, c in enumerate(compiled):
            if c.applies(request, lowered, resource_policy):
                if c.stmt.get("Effect") == "Deny":
                    denied = True
                else:
                    allows.append(i)
        return [] if denied else allows
    denies, _others = split
    for c in denies:
        if c.applies(request, lowered, resource_policy):
            return []
    return [i for i, c in enumerate(compiled)
            if c.stmt.get("Effect") != "Deny" and c.applies(request, lowered, resource_policy)]


def _principal_names_role(stmt: dict, request: Request) -> bool:
    principal = stmt.get("Principal")
    return isinstance(principal, dict) and request.principal_arn in _as_list(principal.get("AWS"))


__all__ = ["evaluates", "Policy", "compiled_statements", "lowered_context", "value_strings", "Request", "Decision", "Match", "decide", "condition_holds", "statement_applies", "glob_match", "matching_statements", "allowing_statements", "allowing_positions", "with_defaults"]
