"""The evaluator follows AWS's documented evaluation logic.

The who-can-do-what tests are only as good as this oracle, so its rules are
pinned here against the AWS IAM User Guide:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.analysis.evaluate import Request, condition_holds, decide, glob_match

ROLE = "arn:aws:iam::222222222222:role/R"


@pytest.mark.parametrize(
    "operator,key,values,context,expected",
    [
        ("StringEquals", "k", ["a"], {"k": "a"}, True),
        ("StringEquals", "k", ["a", "b"], {"k": "b"}, True),  # values are OR-ed
        ("StringEquals", "k", ["a"], {}, False),  # missing key: positive operator false
        ("StringNotEquals", "k", ["a"], {}, True),  # missing key: negated operator true
        ("StringNotEquals", "k", ["a"], {"k": "a"}, False),
        ("StringEqualsIfExists", "k", ["a"], {}, True),
        ("StringEqualsIfExists", "k", ["a"], {"k": "b"}, False),
        ("StringLike", "s3:prefix", ["g/*"], {"s3:prefix": "g/"}, True),
        ("StringLike", "s3:prefix", ["g/*"], {"s3:prefix": "h/"}, False),
        ("StringEquals", "K", ["a"], {"k": "a"}, True),  # keys are case-insensitive
        ("StringEquals", "k", ["a"], {"k": "A"}, False),  # values are not
        ("ArnLike", "aws:PrincipalArn", ["arn:aws:iam::1:role/A_*"], {"aws:PrincipalArn": "arn:aws:iam::1:role/A_x"}, True),
        ("ArnLike", "aws:PrincipalArn", ["arn:aws:iam::1:role/A"], {"aws:PrincipalArn": "arn:aws:iam::1:role/AB"}, False),
        ("Bool", "aws:SecureTransport", ["false"], {"aws:SecureTransport": "true"}, False),
        ("Bool", "aws:SecureTransport", ["false"], {}, False),
        ("Null", "h", ["false"], {"h": "x"}, True),  # Null false: key present
        ("Null", "h", ["false"], {}, False),
        ("Null", "h", ["true"], {}, True),
        ("ForAnyValue:StringEquals", "kms:ResourceAliases", ["alias/a"], {"kms:ResourceAliases": ["alias/b", "alias/a"]}, True),
        ("ForAnyValue:StringEquals", "kms:ResourceAliases", ["alias/a"], {"kms:ResourceAliases": ["alias/b"]}, False),
        ("ForAnyValue:StringEquals", "kms:ResourceAliases", ["alias/a"], {}, False),
        ("ForAllValues:StringEquals", "t", ["a"], {}, True),
        ("ForAllValues:StringEquals", "t", ["a"], {"t": ["a", "b"]}, False),
    ],
)
def test_condition_operators(operator, key, values, context, expected):
    assert condition_holds(operator, key, values, context) is expected


def test_unknown_operator_is_an_error_not_a_pass():
    with pytest.raises(ValueError):
        condition_holds("NumericLessThan", "k", ["1"], {"k": "0"})


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_ID = {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
ALLOW_RES = {**ALLOW_ID, "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]}}
REQ = Request(ROLE, "s3:GetObject", "arn:aws:s3:::b/k")


def test_cross_account_needs_both_halves():
    assert decide(REQ, [_doc(ALLOW_ID)], _doc(ALLOW_RES), "111111111111").allowed
    assert not decide(REQ, [], _doc(ALLOW_RES), "111111111111").allowed
    assert not decide(REQ, [_doc(ALLOW_ID)], None, "111111111111").allowed


def test_explicit_deny_wins_from_either_side():
    deny = {**ALLOW_RES, "Sid": "D", "Effect": "Deny", "Principal": "*"}
    assert not decide(REQ, [_doc(ALLOW_ID)], _doc(ALLOW_RES, deny), "111111111111").allowed
    assert not decide(REQ, [_doc(ALLOW_ID, {**ALLOW_ID, "Sid": "D", "Effect": "Deny"})], _doc(ALLOW_RES), "111111111111").allowed


def test_resource_policy_principal_must_match():
    other = {**ALLOW_RES, "Principal": {"AWS": ["arn:aws:iam::333333333333:root"]}}
    assert not decide(REQ, [_doc(ALLOW_ID)], _doc(other), "111111111111").allowed


def test_actions_match_case_insensitively_and_resources_by_glob():
    req = Request(ROLE, "S3:getobject", "arn:aws:s3:::b/deep/key")
    assert decide(req, [_doc(ALLOW_ID)], _doc(ALLOW_RES), "111111111111").allowed
    req = Request(ROLE, "s3:GetObject", "arn:aws:s3:::bb/key")
    assert not decide(req, [_doc(ALLOW_ID)], _doc(ALLOW_RES), "111111111111").allowed


def test_same_account_root_principal_delegates_to_iam():
    key_policy = _doc({"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]},
                       "Action": ["kms:Decrypt"], "Resource": "*"})
    req = Request(ROLE, "kms:Decrypt", "arn:aws:kms:us-east-1:222222222222:key/k")
    assert not decide(req, [], key_policy, "222222222222").allowed
    iam = _doc({"Sid": "I", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["*"]})
    assert decide(req, [iam], key_policy, "222222222222").allowed


@settings(max_examples=400, deadline=None)
@given(pattern=st.text(alphabet="ab/-*?Ä", max_size=8), value=st.text(alphabet="ab/-Ää", max_size=10),
       case_sensitive=st.booleans())
def test_glob_fast_paths_agree_with_the_regular_expression(pattern, value, case_sensitive):
    """glob_match's shortcuts (no wildcard; one trailing *) give the answer of
    the full translation to a regular expression, in both cases."""
    from generator.analysis.evaluate import _glob

    assert glob_match(pattern, value, case_sensitive) == (
        _glob(pattern, case_sensitive).fullmatch(value) is not None)


@settings(max_examples=300, deadline=None)
@given(resources=st.lists(st.text(alphabet="ab/-*?$", max_size=6).map(lambda r: "arn:" + r), min_size=9, max_size=20),
       value=st.text(alphabet="ab/-", max_size=8).map(lambda v: "arn:" + v))
def test_a_long_resource_list_matches_as_each_pattern_would(resources, value):
    """The index of long Resource lists (literal set, prefix* by length) gives
    the answer of trying every pattern with glob_match."""
    from generator.analysis.evaluate import statement_applies

    stmt = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}
    request = Request("arn:aws:iam::111111111111:role/R", "s3:GetObject", value, {})
    assert statement_applies(stmt, request, False) == any(glob_match(r, value) for r in resources)


@settings(max_examples=600, deadline=None)
@given(resources=st.lists(st.text(alphabet="ab/-**?", max_size=7), min_size=9, max_size=14),
       value=st.text(alphabet="ab/-", max_size=9))
def test_the_index_of_a_long_resource_list_answers_as_the_regular_expressions(resources, value):
    """Each part of the index (literals, "prefix*", star-only patterns by
    their pieces, the rest as one regular expression) gives, for any value,
    the answer of each pattern's own regular expression (star-heavy lists:
    "a*b*", "*a*", "**", "a**b")."""
    from generator.analysis.evaluate import _glob, _ResourceMatcher

    expected = any(_glob(r, True).fullmatch(value) is not None for r in resources)
    assert _ResourceMatcher(resources).matches(value, {}) == expected


@pytest.mark.parametrize("pattern, value, expected", [
    ("a*b*c", "abc", True), ("a*b*c", "ac", False), ("a*b*c", "axxbyyc", True), ("a*bc*c", "abcc", True),
    ("ab*ba", "aba", False), ("ab*ba", "abba", True), ("*a*", "", False), ("**", "", True), ("a*a", "a", False),
    ("a*b*b", "ab", False), ("a*b*b", "abb", True), ("*ab*b", "ab", False), ("*ab*b", "abb", True),
    ("arn:x:*/model-1-*", "arn:x:model/model-1-sample", True), ("arn:x:*/model-1-*", "arn:x:model/model-10-s", False),
])
def test_star_only_pieces_match_like_a_glob(pattern, value, expected):
    from generator.analysis.evaluate import _glob, _pieces_match

    assert _pieces_match(tuple(pattern.split("*")), value) is expected
    assert (_glob(pattern, True).fullmatch(value) is not None) is expected


@settings(max_examples=400, deadline=None)
@given(infixes=st.lists(st.text(alphabet="ab/-.|(", min_size=1, max_size=4), min_size=5, max_size=12),
       rest=st.text(alphabet="ab/-.|(", max_size=10))
def test_many_infixes_after_one_head_match_as_each_pattern_would(infixes, rest):
    """A head with many "head*infix*" patterns (a deploy role's list) is
    scanned once for any infix, as literals (regular-expression characters
    included): the answer of each pattern's own expression."""
    from generator.analysis.evaluate import _glob, _ResourceMatcher

    patterns = [f"arn:x:*{infix}*" for infix in infixes] + ["arn:y:1", "arn:y:2", "arn:y:3", "arn:z*"]
    value = "arn:x:" + rest
    expected = any(_glob(p, True).fullmatch(value) is not None for p in patterns)
    assert _ResourceMatcher(patterns).matches(value, {}) == expected
