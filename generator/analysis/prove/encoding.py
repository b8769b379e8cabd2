"""Rendered policy statements as SMT formulas over one symbolic request.

The formulas decide what :mod:`generator.analysis.evaluate` decides (the
evaluator ``explain`` and ``report`` use), for every request at once:

- principal: a role, ``arn:PARTITION:iam::ACCOUNT:role/NAME``, ACCOUNT one
  of the config's accounts or one of two stand-ins (an account of the
  organization the config does not list, and one outside it), NAME any IAM
  role path and name (``[A-Za-z0-9+=,.@_-]`` segments joined by ``/``);
- action: any string, matched case-insensitively (IAM User Guide, "IAM JSON
  policy elements: Action": action names are case-insensitive);
- resource: any string of the domain a property asks about;
- context: every condition key the policies name, absent or present. A key
  that a policy only compares with single-value operators holds one value;
  a key used with ``ForAnyValue:``/``ForAllValues:`` holds up to K values,
  K the number of distinct conditions on it. That bound loses nothing:
  every condition on a set is "some value satisfies P" or its negation, so
  whichever of the K conditions a set satisfies, a set of at most K values
  (one witness each) satisfies the same ones.

Operators, as the IAM User Guide defines them ("IAM JSON policy elements:
Condition operators",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
``String(Not)Equals``, ``String(Not)EqualsIgnoreCase``, ``String(Not)Like``
(``*`` any run, ``?`` one character), ``Arn(Not)Like``/``Arn(Not)Equals``
(globs, ``*`` spanning ``/``), ``Bool``, ``Null``, each with ``IfExists``
and the ``ForAnyValue:``/``ForAllValues:`` prefixes ("Single-valued vs.
multivalued context keys"). A missing key makes a positive operator false,
a negated one true, ``...IfExists`` true, ``ForAllValues`` true and
``ForAnyValue`` false, as in the evaluator. Condition key names are
case-insensitive ("IAM JSON policy elements: Condition").

Anything else (another operator, a policy variable such as
``${aws:username}``, a Principal other than AWS accounts and ARNs) raises
:class:`Unsupported`: the property that needed it is "not proven".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import z3

ANY = z3.Full(z3.ReSort(z3.StringSort()))
ONE = z3.AllChar(z3.ReSort(z3.StringSort()))

NEGATED = frozenset({"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike", "StringNotEqualsIgnoreCase"})
GLOB_BASES = frozenset({"StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"})
MODELLED_BASES = frozenset({"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
                            "Bool", "Null"}) | GLOB_BASES
SET_OPERATORS = ("ForAnyValue", "ForAllValues")
# Keys the request itself sets (evaluate.with_defaults), and the organization key.
FIXED_KEYS = ("aws:principalarn", "aws:principalaccount")
ORG_KEY = "aws:principalorgid"

# IAM role names and path segments: letters, digits and +=,.@_- (IAM API
# Reference, CreateRole: RoleName and Path patterns).
_ROLE_CHARS = z3.Union(z3.Range("a", "z"), z3.Range("A", "Z"), z3.Range("0", "9"),
                       *[z3.Re(c) for c in "+=,.@_-"])
ROLE_NAME = z3.Concat(z3.Star(z3.Concat(z3.Plus(_ROLE_CHARS), z3.Re("/"))), z3.Plus(_ROLE_CHARS))


class Unsupported(Exception):
    """The encoding does not model this (the property is not proven)."""


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if not isinstance(value, (str, int, float)):
        raise Unsupported(f"value {value!r} is not a string")
    return str(value)


@lru_cache(maxsize=1 << 14)
def _literal(text: str, ignore_case: bool):
    if not ignore_case:
        return z3.Re(z3.StringVal(text))
    parts = [z3.Union(z3.Re(c.lower()), z3.Re(c.upper())) if c.lower() != c.upper() else z3.Re(z3.StringVal(c))
             for c in text]
    if not parts:
        return z3.Re(z3.StringVal(""))
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)


@lru_cache(maxsize=1 << 14)
def glob_re(pattern: str, ignore_case: bool = False):
    """The regular expression of an IAM glob: ``*`` any run (``/`` included), ``?`` one character."""
    if "${" in pattern:
        raise Unsupported(f"policy variable in {pattern!r}")
    parts, run = [], ""
    for c in pattern:
        if c in "*?":
            if run:
                parts.append(_literal(run, ignore_case))
                run = ""
            parts.append(ANY if c == "*" else ONE)
        else:
            run += c
    if run or not parts:
        parts.append(_literal(run, ignore_case))
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)


def glob(value, pattern: str, ignore_case: bool = False):
    """``value`` (a z3 string, or a Python string: decided here) matches the glob."""
    if isinstance(value, str):
        if "${" in pattern:
            raise Unsupported(f"policy variable in {pattern!r}")
        from generator.analysis.evaluate import glob_match

        return z3.BoolVal(glob_match(pattern, value, case_sensitive=not ignore_case))
    if "*" not in pattern and "?" not in pattern and not ignore_case:
        if "${" in pattern:
            raise Unsupported(f"policy variable in {pattern!r}")
        return value == z3.StringVal(pattern)
    return z3.InRe(value, glob_re(pattern, ignore_case))


@dataclass
class Key:
    """One context key: ``count`` values (0: absent), the first ``count`` of ``values`` are the key's."""

    name: str
    count: z3.ArithRef
    values: list
    fixed: bool = False  # set by the request itself (aws:PrincipalArn, aws:PrincipalAccount)


@dataclass
class Request:
    """A symbolic request. ``keys`` holds every condition key by lower-cased name."""

    account: z3.SeqRef
    name: z3.SeqRef
    principal: z3.SeqRef
    action: object  # a z3 string, or a Python string: one action, decided while encoding
    resource: z3.SeqRef
    keys: dict[str, Key] = field(default_factory=dict)
    constraints: list = field(default_factory=list)

    def key(self, name: str) -> Key:
        found = self.keys.get(name.lower())
        if found is None:
            raise Unsupported(f"condition key {name} was not declared (internal: collect_keys missed it)")
        return found


def operator_parts(operator: str) -> tuple[str | None, str, bool]:
    """(set operator or None, base operator, IfExists) of a condition operator; Unsupported if not modelled."""
    if not isinstance(operator, str):
        raise Unsupported(f"condition operator {operator!r}")
    set_op, _, rest = operator.rpartition(":")
    if set_op not in ("",) + SET_OPERATORS:
        raise Unsupported(f"condition operator {operator}")
    if_exists = rest.endswith("IfExists")
    base = rest[: -len("IfExists")] if if_exists else rest
    if base not in MODELLED_BASES:
        raise Unsupported(f"condition operator {operator}")
    return set_op or None, base, if_exists


def condition_entries(stmt) -> list[tuple[str, str, list[str]]]:
    """[(operator, key, values)] of a statement's Condition block (Unsupported when malformed)."""
    block = stmt.get("Condition") if isinstance(stmt, dict) else None
    if block is None:
        return []
    if not isinstance(block, dict):
        raise Unsupported("Condition is not a mapping")
    out = []
    for operator, keys in block.items():
        if not isinstance(keys, dict):
            raise Unsupported(f"condition {operator} is not a mapping")
        for key, values in keys.items():
            out.append((operator, str(key), [_text(v) for v in _as_list(values)]))
    return out


def collect_keys(entries, fixed: set[str]) -> dict[str, int]:
    """Lower-cased key -> how many values it may hold (1, or K for a set-operator key)."""
    atoms: dict[str, set] = {}
    multi: set[str] = set()
    for operator, key, values in entries:
        set_op, base, _ = operator_parts(operator)
        lowered = key.lower()
        atoms.setdefault(lowered, set()).add((base, tuple(values)))
        if set_op:
            multi.add(lowered)
    return {key: (max(1, len(found)) if key in multi else 1) for key, found in atoms.items() if key not in fixed}


def _match(base: str, policy_value: str, actual):
    if base in ("StringEquals", "StringNotEquals"):
        if "${" in policy_value:
            raise Unsupported(f"policy variable in {policy_value!r}")
        return actual == z3.StringVal(policy_value)
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "Bool"):
        if "${" in policy_value:
            raise Unsupported(f"policy variable in {policy_value!r}")
        return z3.InRe(actual, _literal(policy_value, True))
    return glob(actual, policy_value)


def condition(request: Request, operator: str, key: str, values: list[str]):
    """The formula of one condition, as evaluate.condition_holds decides it."""
    set_op, base, if_exists = operator_parts(operator)
    k = request.key(key)
    present = k.count > 0
    if base == "Null":
        if not values:
            raise Unsupported(f"Null on {key} without a value")
        return z3.Not(present) if values[0].lower() == "true" else present
    negated = base in NEGATED

    def hit(i):
        return z3.Or([_match(base, v, k.values[i]) for v in values]) if values else z3.BoolVal(False)

    if set_op == "ForAllValues":
        each = [z3.Implies(i < k.count, z3.Not(hit(i)) if negated else hit(i)) for i in range(len(k.values))]
        return z3.Or(z3.Not(present), z3.And(each))
    matched = z3.Or([z3.And(i < k.count, hit(i)) for i in range(len(k.values))])
    if set_op == "ForAnyValue":
        return z3.And(present, z3.Not(matched) if negated else matched)
    absent = z3.BoolVal(if_exists or negated)
    return z3.If(present, z3.Not(matched) if negated else matched, absent)


def _principal(request: Request, principal):
    """evaluate._principal_matches: "*", or AWS values (account ids, :root ARNs, exact ARNs)."""
    if principal == "*":
        return z3.BoolVal(True)
    if not isinstance(principal, dict):
        raise Unsupported(f"Principal {principal!r}")
    if set(principal) - {"AWS"}:
        raise Unsupported(f"Principal {sorted(principal)} (only AWS principals are modelled)")
    out = []
    for value in _as_list(principal.get("AWS")):
        value = _text(value)
        if value == "*":
            return z3.BoolVal(True)
        if value.isdigit() and len(value) == 12:
            out.append(request.account == z3.StringVal(value))
        elif value.endswith(":root"):
            parts = value.split(":")
            if len(parts) < 5:
                raise Unsupported(f"Principal {value}")
            out.append(request.account == z3.StringVal(parts[4]))
        else:
            out.append(request.principal == z3.StringVal(value))
    return z3.Or(out) if out else z3.BoolVal(False)


def names_principal(request: Request, stmt: dict):
    """evaluate._principal_names_role: the statement's Principal lists the role's own ARN."""
    principal = stmt.get("Principal")
    if not isinstance(principal, dict):
        return z3.BoolVal(False)
    return z3.Or([request.principal == z3.StringVal(_text(v)) for v in _as_list(principal.get("AWS"))] or
                 [z3.BoolVal(False)])


def statement(request: Request, stmt, resource_policy: bool, resource_filter=None):
    """Does ``stmt`` apply to the request (evaluate.statement_applies)?

    ``resource_filter(pattern) -> bool`` may drop Resource patterns that can
    match no resource of the domain (a cheap, exact pre-check)."""
    if not isinstance(stmt, dict):
        raise Unsupported("a statement is not a mapping")
    if "Resource" in stmt and "NotResource" not in stmt and resource_filter is not None and not any(
            resource_filter(_text(r)) for r in _as_list(stmt.get("Resource"))):
        return z3.BoolVal(False)  # no Resource pattern reaches the domain
    parts = []
    negate_action = "NotAction" in stmt
    actions = [_text(a) for a in _as_list(stmt["NotAction"] if negate_action else stmt.get("Action"))]
    if isinstance(request.action, str):
        # One concrete action: decided here, and a statement that does not
        # apply to it needs no formula at all.
        from generator.analysis.evaluate import glob_match

        for a in actions:
            if "${" in a:
                raise Unsupported(f"policy variable in {a!r}")
        if any(glob_match(a, request.action, case_sensitive=False) for a in actions) == negate_action:
            return z3.BoolVal(False)
    else:
        action = z3.Or([glob(request.action, a, ignore_case=True) for a in actions]) if actions else z3.BoolVal(False)
        parts.append(z3.Not(action) if negate_action else action)
    if resource_policy:
        if "NotPrincipal" in stmt:
            parts.append(z3.Not(_principal(request, stmt["NotPrincipal"])))
        else:
            parts.append(_principal(request, stmt.get("Principal")))
    if "NotResource" in stmt:
        patterns = [_text(r) for r in _as_list(stmt["NotResource"])]
        parts.append(z3.Not(z3.Or([glob(request.resource, r) for r in patterns] or [z3.BoolVal(False)])))
    elif resource_policy and "Resource" not in stmt:
        pass  # a policy on its own resource (ECR): it applies to the resource asked about
    else:
        patterns = [_text(r) for r in _as_list(stmt.get("Resource"))]
        if resource_filter is not None:
            patterns = [r for r in patterns if resource_filter(r)]
        parts.append(z3.Or([glob(request.resource, r) for r in patterns]) if patterns else z3.BoolVal(False))
    for operator, key, values in condition_entries(stmt):
        parts.append(condition(request, operator, key, values))
    return z3.And(parts)


@dataclass
class Half:
    """One half of a decision: does an Allow apply, does a Deny, and which statements (for blame)."""

    allow: object
    deny: object
    statements: list = field(default_factory=list)  # (label, sid, effect, formula)


def policy(request: Request, doc, resource_policy: bool, label: str, resource_filter=None) -> Half:
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    allows, denies, out = [], [], []
    for stmt in _as_list(statements):
        formula = statement(request, stmt, resource_policy, resource_filter)
        effect = stmt.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise Unsupported(f"Effect {effect!r}")
        (denies if effect == "Deny" else allows).append(formula)
        out.append((label, str(stmt.get("Sid", "?")), effect, formula))
    return Half(z3.Or(allows) if allows else z3.BoolVal(False), z3.Or(denies) if denies else z3.BoolVal(False), out)


def statement_keys(doc) -> list[tuple[str, str, list[str]]]:
    return [entry for stmt in _as_list(doc.get("Statement") if isinstance(doc, dict) else None)
            for entry in condition_entries(stmt)]
