"""generator/analysis/principals.py: who a statement's principal part names,
the one answer lint (probe) and the report (engine) take.

What it names must hold every role the evaluator lets in (lint evaluates
only the roles of the accounts it names, the report only the rows), and
Named.admits must give the evaluator's answer on the principal condition.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.analysis.evaluate import Request, condition_holds, statement_applies
from generator.analysis.principals import named, named_accounts

ROLES = ["arn:aws:iam::111111111111:role/Dev", "arn:aws:iam::222222222222:role/Dev",
         "arn:aws:iam::111111111111:role/a/b/Dev1", "arn:aws:iam::333333333333:role/Ops"]
_VALUES = st.sampled_from([
    "*", "111111111111", "222222222222", "arn:aws:iam::111111111111:root", "arn:aws:iam::333333333333:root",
    "arn:aws:iam::111111111111:role/Dev", "arn:aws:iam::222222222222:role/Dev", "arn:aws:iam::*:role/Dev",
    "arn:aws:sts::111111111111:assumed-role/Dev/s", "AROAEXAMPLE", "arn:aws:iam::111111111111:role/*",
])
_CONDITION_VALUES = st.sampled_from([
    "111111111111", "222222222222", "*", "11111111111?", "arn:aws:iam::111111111111:role/Dev",
    "arn:aws:iam::111111111111:role/*", "arn:aws:iam::222222222222:role/*", "arn:aws:iam::*:role/Dev",
    "arn:aws:*::111111111111:role/Dev", "ARN:AWS:IAM::111111111111:ROLE/DEV", "arn:aws:iam::333333333333:role/Ops",
])
_PRINCIPALS = st.one_of(
    st.just("*"),
    st.builds(lambda v: {"AWS": v}, st.one_of(_VALUES, st.lists(_VALUES, max_size=3))),
    st.just({"Service": "sagemaker.amazonaws.com"}),
    st.builds(lambda v: {"AWS": v, "Service": "events.amazonaws.com"}, _VALUES),
)
_CONDITIONS = st.dictionaries(
    st.sampled_from(["StringEquals", "StringLike", "ArnLike", "ArnEquals", "StringEqualsIgnoreCase", "StringNotLike",
                     "ArnNotLike", "StringLikeIfExists", "ForAnyValue:StringLike"]),
    st.dictionaries(st.sampled_from(["aws:PrincipalArn", "aws:PrincipalAccount", "AWS:PRINCIPALACCOUNT",
                                     "aws:SecureTransport"]),
                    st.one_of(_CONDITION_VALUES, st.lists(_CONDITION_VALUES, min_size=1, max_size=3)),
                    min_size=1, max_size=2),
    max_size=3,
)


@st.composite
def statements(draw):
    stmt = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    if draw(st.booleans()) and draw(st.booleans()):
        stmt["NotPrincipal"] = draw(_PRINCIPALS)
    elif draw(st.integers(0, 9)):
        stmt["Principal"] = draw(_PRINCIPALS)
    condition = draw(_CONDITIONS)
    if condition:
        stmt["Condition"] = condition
    return stmt


def _lets_in(stmt: dict, role: str) -> bool:
    context = {"aws:PrincipalArn": role, "aws:PrincipalAccount": role.split(":")[4], "aws:SecureTransport": "true"}
    return statement_applies(stmt, Request(role, "s3:GetObject", "arn:aws:s3:::bucket/key", context), True)


@settings(max_examples=1500, deadline=None)
@given(stmt=statements(), role=st.sampled_from(ROLES))
def test_what_a_statement_names_holds_every_role_it_lets_in(stmt, role):
    part = named(stmt)
    accounts = part.account_ids()
    if _lets_in(stmt, role):
        assert accounts is None or role.split(":")[4] in accounts
        # The report's rows: the account's rows, or the role's own row.
        assert part.not_principal or part.any_account or role in part.arns or role.split(":")[4] in part.accounts
        assert part.not_principal or part.admits(role)
    assert named_accounts([stmt]) == accounts


@settings(max_examples=500, deadline=None)
@given(stmt=statements(), role=st.sampled_from(ROLES))
def test_admits_is_the_evaluators_answer_on_the_principal_condition(stmt, role):
    context = {"aws:PrincipalArn": role, "aws:PrincipalAccount": role.split(":")[4]}
    expected = all(condition_holds(operator, key, values, context)
                   for operator, keys in (stmt.get("Condition") or {}).items()
                   for key, values in keys.items() if key.lower() in ("aws:principalarn", "aws:principalaccount"))
    assert named(stmt).admits(role) == expected


def test_named_accounts_reads_allows_only_and_skips_what_the_caller_says():
    allow = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}}
    deny = {"Effect": "Deny", "Principal": "*"}
    anyone = {"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "1"}}}
    assert named_accounts([allow, deny, "not a statement"]) == {"111111111111"}
    assert named_accounts([allow, anyone]) is None
    assert named_accounts([allow, anyone], skip=lambda s: "Condition" in s) == {"111111111111"}


def test_a_pinned_wildcard_names_the_pinned_accounts_only():
    stmt = {"Effect": "Allow", "Principal": "*", "Condition": {
        "StringEquals": {"aws:PrincipalAccount": ["111111111111", "222222222222"]},
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/*"}}}
    assert named(stmt).account_ids() == {"222222222222"}
    stmt["Condition"]["ArnLike"]["aws:PrincipalArn"] = "arn:aws:iam::*:role/*"  # pins nothing
    assert named(stmt).account_ids() == {"111111111111", "222222222222"}
    assert named({"Principal": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "1"}}}).any_account
