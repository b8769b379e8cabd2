"""The compiled statements of generator.analysis.evaluate.Policy answer exactly as
the interpreter (statement_applies) they replace in decide: the same
True/False, or the same exception type, for generated statements and
requests, odd ones (non-string values, malformed blocks, unsupported
operators) included. Pinned on their own first: a statement edited in a
plain dict is never answered from an old parse."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.analysis.evaluate import Policy, Request, decide, lowered_context, statement_applies, compile_statement

ROLE = "arn:aws:iam::111111111111:role/Dev"
OTHER = "arn:aws:iam::222222222222:role/Dev"


def _outcome(fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return type(exc)


def test_a_plain_dict_edited_in_place_is_evaluated_as_edited():
    doc = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                          "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111"}}}]}
    request = Request(ROLE, "s3:GetObject", "arn:aws:s3:::b/k", {})
    assert decide(request, [doc], None, "111111111111").allowed
    doc["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalAccount"] = "999999999999"
    assert not decide(request, [doc], None, "111111111111").allowed


def test_a_policy_and_a_plain_dict_decide_alike_including_denies_and_sids():
    statements = [
        {"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
        {"Sid": "NoTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]
    for secure in ("true", "false"):
        request = Request(ROLE, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": secure})
        plain = decide(request, [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}],
                       {"Statement": statements}, "333333333333")
        compiled = decide(request, [Policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})],
                          Policy({"Statement": statements}), "333333333333")
        assert (plain.allowed, plain.denies, plain.resource_allows, plain.matches) == \
            (compiled.allowed, compiled.denies, compiled.resource_allows, compiled.matches)
    assert not compiled.allowed and compiled.denies == ["resource:NoTls"]


# --- generated statements --------------------------------------------------
_text = st.sampled_from(["s3:GetObject", "s3:get*", "S3:*Object", "s3:?etObject", "sagemaker:*", "*", "", "kms:Decrypt"])
_arn = st.sampled_from([ROLE, OTHER, "111111111111", "arn:aws:iam::111111111111:root", "*", "x:root",
                        "arn:aws:iam::222222222222:role/*", "222222222222"])
_values = st.one_of(
    st.sampled_from(["true", "false", "111111111111", "o-abc", "arn:aws:iam::*:role/Dev", "${aws:PrincipalAccount}",
                     "Approved", "approved"]),
    st.booleans(), st.integers(0, 3),
)
_operator = st.sampled_from([
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
    "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "Bool", "Null", "StringEqualsIfExists",
    "StringNotEqualsIfExists", "ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAllValues:StringLike",
    "ForAnyValue:StringNotEquals", "NumericLessThan", "Odd:StringEquals",
])
_key = st.sampled_from(["aws:PrincipalAccount", "aws:principalaccount", "aws:SecureTransport", "aws:PrincipalOrgID",
                        "sagemaker:ModelApprovalStatus", "aws:PrincipalArn", "kms:ResourceAliases"])
_condition = st.dictionaries(_operator, st.dictionaries(_key, st.one_of(_values, st.lists(_values, max_size=3)),
                                                        max_size=2), max_size=3)
_odd = st.sampled_from([None, 7, ["x"], {"AWS": 7}, "arn"])


@st.composite
def statements(draw):
    stmt: dict = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    principal = draw(st.one_of(st.just("*"), st.builds(lambda v: {"AWS": v}, st.one_of(_arn, st.lists(_arn, max_size=3))),
                               _odd, st.just({"Service": "s3.amazonaws.com"})))
    stmt["NotPrincipal" if draw(st.booleans()) and draw(st.booleans()) else "Principal"] = principal
    if draw(st.booleans()):
        stmt["NotAction" if draw(st.integers(0, 4)) == 0 else "Action"] = draw(st.one_of(_text, st.lists(_text, max_size=3), _odd))
    resources = st.sampled_from(["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/k", "arn:aws:s3:::b/${aws:PrincipalAccount}/*",
                                 "arn:aws:s3:::?/k"])
    if draw(st.booleans()):
        stmt["NotResource" if draw(st.integers(0, 4)) == 0 else "Resource"] = draw(
            st.one_of(resources, st.lists(resources, max_size=10)))
    if draw(st.booleans()):
        stmt["Condition"] = draw(st.one_of(_condition, _odd))
    return stmt


@settings(max_examples=3000, deadline=None)
@given(stmt=statements(),
       principal=st.sampled_from([ROLE, OTHER]),
       action=st.sampled_from(["s3:GetObject", "S3:getobject", "sagemaker:CreateModelPackage", "kms:Decrypt"]),
       resource=st.sampled_from(["arn:aws:s3:::b/k", "arn:aws:s3:::b/111111111111/m", "arn:aws:kms:us-east-1:1:key/k"]),
       context=st.dictionaries(_key, st.one_of(_values, st.lists(_values, max_size=3), st.none()), max_size=4),
       resource_policy=st.booleans())
def test_compiled_statements_answer_as_the_interpreter(stmt, principal, action, resource, context, resource_policy):
    request = Request(principal, action, resource, dict(context, **{"aws:PrincipalAccount": principal.split(":")[4]}))
    expected = _outcome(lambda: statement_applies(stmt, request, resource_policy))
    compiled = _outcome(lambda: compile_statement(stmt).applies(request, lowered_context(request.context), resource_policy))
    assert compiled == expected


_GLOBS = st.sampled_from(["arn:aws:iam::111111111111:role/Dev", "arn:aws:iam::111111111111:role/*",
                          "arn:aws:iam::*:role/Dev", "arn:aws:iam::11111111111?:role/Dev", "arn:*:role/*/Dev*",
                          "arn:aws:iam::222222222222:role/a*b*", "arn:aws:iam::222222222222:role/*Dev",
                          "*", ""])


@settings(max_examples=400, deadline=None)
@given(operator=st.sampled_from(["ArnLike", "ArnNotLike", "StringLike", "StringNotLike", "ArnEquals",
                                 "ForAllValues:ArnLike", "ForAnyValue:StringLike", "ArnLikeIfExists"]),
       values=st.lists(_GLOBS, min_size=9, max_size=14),
       actual=st.sampled_from([ROLE, OTHER, "arn:aws:iam::222222222222:role/axb", "arn:aws:iam::111111111112:role/Dev",
                               "arn:x:role/p/Dev1", ["arn:aws:iam::111111111111:role/Dev", "nope"], [], ""]))
def test_a_long_glob_condition_holds_as_the_interpreter_says(operator, values, actual):
    """A condition with a long list of glob values is compiled into an index
    (_ResourceMatcher); it holds exactly when condition_holds says so."""
    from generator.analysis.evaluate import _Condition, condition_holds

    context = {"aws:PrincipalArn": actual} if actual != "" else {}
    compiled = _Condition(operator, "aws:PrincipalArn", values)
    assert compiled.holds(lowered_context(context), context) == condition_holds(operator, "aws:PrincipalArn", values,
                                                                                context)


# --- identity statements merged by resource (the report's own-account decisions)
_IDENTITY_RESOURCES = st.sampled_from(["arn:aws:sagemaker:us-east-1:111111111111:model/g1-*",
                                       "arn:aws:sagemaker:us-east-1:111111111111:model/g2-*",
                                       "arn:aws:sagemaker:us-east-1:111111111111:endpoint/*", "*",
                                       "arn:aws:sagemaker:us-east-1:111111111111:model/${aws:PrincipalAccount}-*"])
_IDENTITY_CONDITIONS = st.sampled_from([None, {"StringEquals": {"aws:RequestTag/team": "a"}},
                                        {"Bool": {"aws:SecureTransport": "true"}}])


@st.composite
def identity_statements(draw):
    """Statements that often differ only in their Resource (so they merge),
    with now and then a NotResource or a principal (which must not). Odd
    values are left out: the report never sees them (read_policies refuses
    the file) and the order in which an error would surface is not what is
    compared; the last test below pins that such a statement is kept."""
    stmt: dict = {"Sid": draw(st.sampled_from(["A", "B"])), "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
                  "Action": draw(st.sampled_from(["sagemaker:CreateModel", ["sagemaker:CreateModel", "sagemaker:Create*"],
                                                  "sagemaker:CreateEndpoint"]))}
    kind = draw(st.integers(0, 9))
    if kind == 0:
        stmt["NotResource"] = draw(_IDENTITY_RESOURCES)
    else:
        stmt["Resource"] = draw(st.one_of(_IDENTITY_RESOURCES, st.lists(_IDENTITY_RESOURCES, min_size=1, max_size=3)))
    if kind == 2:
        stmt["Principal"] = {"AWS": OTHER}
    condition = draw(_IDENTITY_CONDITIONS)
    if condition is not None:
        stmt["Condition"] = condition
    return stmt


def _identity_outcome(statements, request):
    from generator.analysis.evaluate import identity_allows

    return _outcome(lambda: identity_allows(statements, request, lowered_context(request.context)))


@settings(max_examples=1500, deadline=None)
@given(statements=st.lists(identity_statements(), min_size=1, max_size=6),
       action=st.sampled_from(["sagemaker:CreateModel", "sagemaker:CreateEndpoint", "sagemaker:CreateEndpointConfig"]),
       resource=st.sampled_from(["arn:aws:sagemaker:us-east-1:111111111111:model/g1-x",
                                 "arn:aws:sagemaker:us-east-1:111111111111:model/g2-x",
                                 "arn:aws:sagemaker:us-east-1:111111111111:model/111111111111-x",
                                 "arn:aws:sagemaker:us-east-1:111111111111:endpoint/g1-x"]),
       tag=st.sampled_from([None, "a", "b"]), secure=st.sampled_from(["true", "false"]))
def test_statements_merged_by_resource_decide_as_the_statements_themselves(statements, action, resource, tag, secure):
    """resources_merged may join statements that differ only in Resource
    (and Sid); what an identity policy allows is unchanged, and so is what
    decide says of the whole policy."""
    from generator.analysis.evaluate import resources_merged

    context = {"aws:PrincipalAccount": "111111111111", "aws:SecureTransport": secure}
    if tag is not None:
        context["aws:RequestTag/team"] = tag
    request = Request(ROLE, action, resource, context)
    compiled = [compile_statement(s) for s in statements]
    merged = resources_merged(compiled)
    expected = _outcome(lambda: decide(request, [{"Statement": statements}], None, "111111111111").allowed)
    assert _identity_outcome(compiled, request) == expected
    assert _identity_outcome(merged, request) == expected


def test_statements_merged_by_resource_are_fewer_only_where_they_differ_in_resource_alone():
    from generator.analysis.evaluate import resources_merged

    base = {"Effect": "Allow", "Action": "sagemaker:CreateModel"}
    statements = [
        {**base, "Sid": "One", "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model/g1-*"},
        {**base, "Sid": "Two", "Resource": ["arn:aws:sagemaker:us-east-1:111111111111:model/g2-*"]},
        {**base, "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model/g3-*",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {**base, "Effect": "Deny", "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model/g1-bad"},
        {**base, "NotResource": "arn:aws:sagemaker:us-east-1:111111111111:model/g4-*"},
        {**base, "Resource": ["arn:aws:sagemaker:us-east-1:111111111111:model/g5-*", 7]},  # left to the interpreter
        {**base, "Principal": "*", "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model/g6-*"},
    ]
    merged = resources_merged([compile_statement(s) for s in statements])
    assert len(merged) == 6
    assert merged[4].stmt is statements[5] and merged[5].stmt is statements[6]
    assert merged[0].stmt["Resource"] == ["arn:aws:sagemaker:us-east-1:111111111111:model/g1-*",
                                          "arn:aws:sagemaker:us-east-1:111111111111:model/g2-*"]
    assert [m.stmt.get("Effect") for m in merged] == ["Allow", "Allow", "Deny", "Allow", "Allow", "Allow"]
    request = Request(ROLE, "sagemaker:CreateModel", "arn:aws:sagemaker:us-east-1:111111111111:model/g1-bad", {})
    assert _identity_outcome(merged, request) is False  # the Deny still wins
    request = Request(ROLE, "sagemaker:CreateModel", "arn:aws:sagemaker:us-east-1:111111111111:model/g2-ok", {})
    assert _identity_outcome(merged[:4], request) is True
    assert _identity_outcome(merged, request) is TypeError  # the odd statement is still interpreted, and raises


def _allowing_by_matching(statements, request, resource_policy):
    from generator.analysis.evaluate import matching_statements

    allows, denies = matching_statements(request, {"Statement": statements}, resource_policy, "p")
    return [] if denies else allows


@settings(max_examples=2000, deadline=None)
@given(statements=st.lists(statements(), min_size=1, max_size=5),
       principal=st.sampled_from([ROLE, OTHER]),
       action=st.sampled_from(["s3:GetObject", "sagemaker:CreateModelPackage", "kms:Decrypt"]),
       resource=st.sampled_from(["arn:aws:s3:::b/k", "arn:aws:s3:::b/111111111111/m"]),
       context=st.dictionaries(_key, st.one_of(_values, st.lists(_values, max_size=3), st.none()), max_size=4),
       resource_policy=st.booleans())
def test_deny_first_finds_what_every_statement_in_order_finds(statements, principal, action, resource, context,
                                                              resource_policy):
    """allowing_statements asks a policy's Deny statements first when none of
    its statements can raise: the same Allow labels (in order), [] when a
    Deny applies, and the same exception where one is raised."""
    from generator.analysis.evaluate import allowing_statements

    request = Request(principal, action, resource, dict(context, **{"aws:PrincipalAccount": principal.split(":")[4]}))
    expected = _outcome(lambda: _allowing_by_matching(statements, request, resource_policy))
    assert _outcome(lambda: allowing_statements(request, Policy({"Statement": statements}), resource_policy, "p")) \
        == expected
    assert _outcome(lambda: allowing_statements(request, {"Statement": statements}, resource_policy, "p")) == expected


def test_deny_first_still_raises_on_an_operator_it_does_not_model():
    """A Deny that applies does not hide an Allow the evaluator cannot decide:
    lint reports "cannot evaluate" for it, as before deny-first."""
    from generator.analysis.evaluate import _deny_first, allowing_statements

    statements = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "5"}}},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
    ]
    request = Request(ROLE, "s3:GetObject", "arn:aws:s3:::b/k", {"s3:max-keys": "3"})
    with pytest.raises(ValueError):
        allowing_statements(request, Policy({"Statement": statements}), False, "p")
    safe = Policy({"Statement": [{**statements[0], "Condition": {"StringEquals": {"s3:max-keys": "3"}}}, statements[1]]})
    assert allowing_statements(request, safe, False, "p") == []
    assert _deny_first(safe) is not None  # the path under test is the deny-first one
