"""Who a resource-policy statement can name: its principal part, read once.

The principal part of a statement is its ``Principal`` (or ``NotPrincipal``)
and the part of its ``Condition`` on ``aws:PrincipalAccount`` /
``aws:PrincipalArn``. :func:`named` reads it as the evaluator
(generator/analysis/evaluate.py) does for a caller that is a role: ``"*"``
names every principal; an ``AWS`` value of 12 digits or an account's root
ARN every principal of that account; any other ``AWS`` value that principal
ARN, exactly; ``Service``, ``Federated`` and other keys no role. A
``Principal: "*"`` whose condition pins the caller to literal accounts
names only the principals of those accounts.

Lint (generator/lint/probe.py) asks which accounts' roles an Allow can let
in, to evaluate only those; the report (generator/report/engine.py) asks
which of its rows a statement names. Both take the answer from here, a
superset of who the statement lets in (the condition itself is still
checked: :meth:`Named.admits`, or the evaluator). The report's discovery of
principals that accounts.yaml does not list (generator/report/principals.py)
reads the same parts (:func:`principal_values`, :func:`pinning_values`).
"""

from __future__ import annotations

from generator.analysis.evaluate import condition_holds, glob_match

PRINCIPAL_KEYS = frozenset({"aws:principalarn", "aws:principalaccount"})

# Positive operators: a caller meets one only with a value it lists (or a
# pattern it matches), so their values pin the caller. Negated, ...IfExists
# and ForAllValues operators pass callers they do not list: they pin nobody.
PINNING_OPERATORS = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})

def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def account_field(arn: str) -> str:
    """The account field of an ARN (or ARN pattern); "" when it has none."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def principal_values(stmt: dict) -> list[str]:
    """The ``AWS`` principals of a statement's Principal (``["*"]`` for
    ``Principal: "*"``); the other keys (Service, Federated, ...) name no role."""
    principal = stmt.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        return [str(v) for v in _as_list(principal.get("AWS"))]
    return []


def principal_condition(stmt: dict) -> dict:
    """The part of a statement's Condition on aws:PrincipalArn /
    aws:PrincipalAccount: {operator: {key: values}}, in the statement's order."""
    out = {}
    condition = stmt.get("Condition")
    for operator, keys in (condition.items() if isinstance(condition, dict) else ()):
        if isinstance(keys, dict):
            kept = {k: v for k, v in keys.items() if k.lower() in PRINCIPAL_KEYS}
            if kept:
                out[operator] = kept
    return out


def pinning_values(stmt: dict, key: str) -> list[str]:
    """Every value a pinning operator of the statement compares ``key``
    (aws:PrincipalAccount or aws:PrincipalArn, any case) with, in order."""
    found = []
    condition = stmt.get("Condition")
    for operator, block in (condition.items() if isinstance(condition, dict) else ()):
        if operator in PINNING_OPERATORS and isinstance(block, dict):
            for name, values in block.items():
                if name.lower() == key.lower():
                    found += [str(v) for v in _as_list(values)]
    return found


def pinned_accounts(condition: dict) -> set[str] | None:
    """The accounts a caller must be in to meet ``condition`` (a
    :func:`principal_condition`), when a pinning operator pins a key to
    literal 12-digit accounts (aws:PrincipalAccount values, the account
    field of aws:PrincipalArn values); None when nothing does. Every
    operator must hold, so each one that pins accounts narrows further."""
    found: set[str] | None = None
    for operator, keys in condition.items():
        if operator not in PINNING_OPERATORS or not isinstance(keys, dict):
            continue
        for key, values in keys.items():
            accounts: set[str] | None = set()
            for value in _as_list(values):
                value = str(value)
                account = value if key.lower() == "aws:principalaccount" else (
                    value.split(":")[4] if value.count(":") >= 5 else "")
                if not (len(account) == 12 and account.isdigit()):
                    accounts = None
                    break
                accounts.add(account)
            if accounts is not None:
                found = accounts if found is None else found & accounts
    return found


class Named:
    """What a statement's principal part names (see the module docstring)."""

    __slots__ = ("statement", "not_principal", "any_account", "accounts", "arns", "_condition", "_checks")

    def __init__(self, statement: dict, not_principal: bool, any_account: bool, accounts: frozenset[str],
                 arns: frozenset[str]):
        self.statement = statement
        self.not_principal = not_principal  # NotPrincipal: every principal it does not list
        self.any_account = any_account  # a principal of any account
        self.accounts = accounts  # every principal of these accounts
        self.arns = arns  # these principal ARNs, exactly
        self._condition = None
        self._checks = None

    @property
    def condition(self) -> dict:
        """The statement's principal_condition: still to hold (:meth:`admits`)."""
        if self._condition is None:
            self._condition = principal_condition(self.statement)
        return self._condition

    def account_ids(self) -> frozenset[str] | None:
        """The accounts whose principals it can name; None: any account."""
        if self.not_principal or self.any_account:
            return None
        if not self.arns:
            return self.accounts
        return self.accounts | {account_field(arn) for arn in self.arns}

    def admits(self, role_arn: str) -> bool:
        """Does a role of that ARN meet the principal condition (every operator, every key)?"""
        if self._checks is None:
            self._checks = [principal_check(operator, key, values)
                            for operator, keys in self.condition.items() for key, values in keys.items()]
        return all(check(role_arn) for check in self._checks)


_NOTHING: frozenset[str] = frozenset()


def named(stmt: dict) -> Named:
    """What the principal part of a resource-policy statement names."""
    if "NotPrincipal" in stmt:
        return Named(stmt, True, True, _NOTHING, _NOTHING)
    any_account = False
    accounts: set[str] = set()
    arns: set[str] = set()
    for value in principal_values(stmt):
        if value == "*":
            pinned = pinned_accounts(principal_condition(stmt))
            if pinned is None:
                any_account = True
            else:
                accounts |= pinned
        elif (len(value) == 12 and value.isdecimal()) or value.endswith(":root"):  # isdecimal: what \d{12} matches
            accounts.add(value if value.isdigit() else account_field(value))
        else:
            arns.add(value)
    return Named(stmt, False, any_account, frozenset(accounts) if accounts else _NOTHING,
                 frozenset(arns) if arns else _NOTHING)


def named_accounts(statements, skip=None) -> frozenset[str] | None:
    """The accounts whose principals the Allow statements can name (None:
    any account): a role of another account is let in by none of them.
    ``skip(stmt)``: an Allow that never applies where the caller asks."""
    accounts: set[str] = set()
    for stmt in statements:
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Allow":
            continue
        if skip is not None and skip(stmt):
            continue
        found = named(stmt).account_ids()
        if found is None:
            return None
        accounts |= found
    return frozenset(accounts)


# The operators principal_check indexes (case-sensitive comparisons); any
# other is asked of condition_holds.
_INDEXED = ("ArnLike", "ArnEquals", "StringEquals", "StringLike")


def principal_check(operator: str, key: str, values):
    """A function of a role ARN: does ``operator`` on ``key`` (aws:PrincipalArn
    or aws:PrincipalAccount, as a resource policy's condition names the
    caller) hold for a role of that ARN? condition_holds's answer, with
    the positive operators' ARN patterns indexed by their literal account:
    a pattern with no wildcard before its account field matches only ARNs
    of that account (tests/test_report_scale.py compares the two)."""
    listed = values if isinstance(values, list) else [values]
    if operator not in _INDEXED or not all(isinstance(v, str) and "${" not in v for v in listed):
        def general(arn: str) -> bool:
            return condition_holds(operator, key, values, {"aws:PrincipalArn": arn, "aws:PrincipalAccount": _account_of(arn)})
        return general
    by_account: dict[str, list[str]] = {}
    anywhere: list[str] = []
    arn_key = key.lower() == "aws:principalarn"
    for value in listed:
        parts = value.split(":", 5)
        if arn_key and len(parts) == 6 and not any(c in ":".join(parts[:5]) for c in "*?"):
            by_account.setdefault(parts[4], []).append(value)
        else:
            anywhere.append(value)
    equals = operator == "StringEquals"

    def indexed(arn: str) -> bool:
        actual = arn if arn_key else _account_of(arn)
        for value in (*by_account.get(_account_of(arn), ()), *anywhere):
            if (value == actual) if equals else glob_match(value, actual):
                return True
        return False
    return indexed


def _account_of(role_arn: str) -> str:
    return role_arn.split(":")[4]


__all__ = ["Named", "named", "named_accounts", "principal_values", "principal_condition", "pinning_values",
           "pinned_accounts", "principal_check", "account_field", "PRINCIPAL_KEYS", "PINNING_OPERATORS"]
