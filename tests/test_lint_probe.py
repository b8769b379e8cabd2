"""Prober.grantors (generator/lint/probe.py) asks each half of a grant
alone without building a full evaluate.decide Decision per request. It must
find exactly the statements decide finds when the judged half is paired with
a policy that allows everything: compared here on the example's render and
on hand edits that add a Deny, a NotAction Allow, and a role of the
registry's own account (decide's same-account branch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.analysis.evaluate import Request, decide
from generator.lint.model import LintContext
from generator.lint.probe import ALLOW_ALL_IDENTITY, ALLOW_ALL_RESOURCE, STATUSES, Grantor, Prober, action_index
from generator.lint.runner import load_policies
from generator.lint.rules.readers_never_write import write_probes
from tests.conftest import EXAMPLE_ORG
from tests.lintkit import BUCKET, DS, GROUP, PROD, broken, write

REGISTRY_ROLE = "arn:aws:iam::111111111111:role/RegistryAdmin"


def _by_decide(prober: Prober, role: str, action: str, resource: str, context: dict) -> list[Grantor]:
    """The former grantors: one decide per half, the other half allowing everything."""
    found = []
    policy = prober._resource_policy(resource)
    halves = []
    if policy is not None:
        reduced = action_index(policy).for_action(action)
        if reduced is not None:
            halves.append((policy, [ALLOW_ALL_IDENTITY], reduced, "resource"))
    for identity in prober._identity_of(role):
        reduced = action_index(identity).for_action(action)
        if reduced is not None:
            halves.append((identity, [reduced], ALLOW_ALL_RESOURCE, "identity"))
    for judged, identities, resource_policy, half in halves:
        account = prober.index.resource_account(resource)
        decision = decide(Request(role, action, resource, dict(context)), identities, resource_policy, account)
        if decision.allowed:
            allows = decision.resource_allows if half == "resource" else decision.identity_allows
            found.extend(Grantor(judged.path, label.split(":", 1)[1]) for label in allows)
    return found


def _prober(config, files: dict[str, str], tmp_path: Path) -> Prober:
    out = write(tmp_path / "out", files)
    ctx = LintContext(config, load_policies(out), out)
    for policy in ctx.policies:
        policy.well_formed = isinstance(policy.document, dict)
    return Prober(ctx)


def _deny_everything_approved(doc):
    doc["Statement"].append({"Sid": "HandDeny", "Effect": "Deny", "Action": "sagemaker:*", "Resource": "*",
                             "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}}})


def _not_action_allow(doc):
    doc["Statement"].append({"Sid": "HandNotAction", "Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"})


def _registry_role_in_bucket_policy(doc):
    doc["Statement"].append({"Sid": "HandRegistryRole", "Effect": "Allow", "Principal": {"AWS": REGISTRY_ROLE},
                             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme-ml-model-artifacts/*"})


@pytest.mark.parametrize("edit", [None, (DS, _deny_everything_approved), (PROD, _not_action_allow),
                                  (GROUP, _deny_everything_approved), (BUCKET, _registry_role_in_bucket_policy)],
                         ids=["as rendered", "developer deny", "consumer NotAction", "group deny", "registry role"])
def test_grantors_find_what_decide_finds(example_config, example_files, tmp_path, edit):
    files = example_files if edit is None else broken(example_files, *edit)
    prober = _prober(example_config, files, tmp_path)
    roles = sorted({role for group in example_config.model_groups
                    for party in ("developers", "consumers", "deployers", "approvers")
                    for role in prober.roles(group, party)} | {REGISTRY_ROLE})
    asked = found = 0
    for group in sorted(example_config.model_groups):
        probes = write_probes(prober, group)
        probes += [("s3:GetObject", resource, None) for _, resource, _ in probes if ":s3:" in resource]
        probes += [("sagemaker:DescribeModelPackage", prober.arns.package_arns(group).replace("/*", "/1"), s)
                   for s in STATUSES]
        for role in roles:
            for action, resource, status in probes:
                context = prober.context(group, status)
                expected = _by_decide(prober, role, action, resource, context)
                assert prober.grantors(role, action, resource, context) == expected, (role, action, resource, status)
                asked += 1
                found += bool(expected)
    # Not vacuous: both answers occur.
    assert found and asked > found
    assert EXAMPLE_ORG in str(prober.context(sorted(example_config.model_groups)[0], None).values())


def _consumers_may_update(doc):
    """The group policy lets its consumers update model packages: a grant in
    the registry half alone (their identity policies grant no write)."""
    consumers = next(s for s in doc["Statement"] if s["Sid"].startswith("Consumers"))
    doc["Statement"].append({**consumers, "Sid": "HandConsumersUpdate", "Action": "sagemaker:UpdateModelPackage"})


@pytest.mark.parametrize("edit", [None, (DS, _deny_everything_approved), (PROD, _not_action_allow),
                                  (BUCKET, _registry_role_in_bucket_policy), (GROUP, _consumers_may_update)],
                         ids=["as rendered", "developer deny", "consumer NotAction", "registry role",
                              "consumers update"])
def test_roles_candidates_leaves_out_have_no_grantors(example_config, example_files, tmp_path, edit):
    """Prober.candidates may leave a role out only when grantors finds no
    statement for it, for any of the actions; asked of every party of every
    group with one prober, so the answers it keeps per (policy, actions) are
    reused across groups and parties."""
    files = example_files if edit is None else broken(example_files, *edit)
    prober = _prober(example_config, files, tmp_path)
    roles = sorted({role for group in example_config.model_groups
                    for party in ("developers", "consumers", "deployers", "approvers")
                    for role in prober.roles(group, party)} | {REGISTRY_ROLE})
    left_out = kept = granted = 0
    for group in sorted(example_config.model_groups):
        by_resource: dict[str, list[str]] = {}
        for action, resource, _ in write_probes(prober, group):
            by_resource.setdefault(resource, []).append(action)
        for _party in ("developers", "consumers"):
            for resource, actions in by_resource.items():
                chosen = prober.candidates(roles, resource, actions)
                assert chosen == [r for r in roles if r in chosen]  # in the given order
                for role in roles:
                    if role in chosen:
                        kept += 1
                        granted += any(prober.grantors(role, a, resource, prober.context(group, s))
                                       for a in actions for s in STATUSES)
                        continue
                    left_out += 1
                    for action in actions:
                        for status in STATUSES:
                            assert prober.grantors(role, action, resource, prober.context(group, status)) == [], \
                                (role, action, resource)
    assert kept and left_out and granted  # not vacuous
    if edit is not None and edit[1] is _consumers_may_update:
        consumers = {r for g in example_config.model_groups for r in prober.roles(g, "consumers")}
        update = prober.arns.package_arns("credit-risk").replace("/*", "/1")
        assert any(prober.grantors(r, "sagemaker:UpdateModelPackage", update, prober.context("credit-risk", None))
                   for r in consumers)  # the edit grants what the registry half alone can grant


def _named_by_each_action(policy, actions):
    """The former Prober._named_for: one reduced policy per action, their named accounts joined."""
    from generator.lint.probe import _named_accounts

    named: set[str] = set()
    for action in actions:
        reduced = action_index(policy).for_action(action)
        if reduced is None:
            continue
        found = _named_accounts(reduced, policy.kind == "s3_bucket_policy")
        if found is None:
            return None
        named |= found
    return frozenset(named)


def _every_account_may_write(doc):
    doc["Statement"].append({"Sid": "HandAnyone", "Effect": "Allow", "Principal": "*", "Action": "s3:Put*",
                             "Resource": "arn:aws:s3:::acme-ml-model-artifacts/*"})


@pytest.mark.parametrize("edit", [None, (BUCKET, _registry_role_in_bucket_policy), (GROUP, _consumers_may_update),
                                  (BUCKET, _every_account_may_write), (GROUP, _deny_everything_approved)],
                         ids=["as rendered", "registry role", "consumers update", "anyone writes", "group deny"])
def test_named_accounts_of_many_actions_are_those_of_each_action_joined(example_config, example_files, tmp_path, edit):
    from generator.lint.iam_data import actions_of_service

    files = example_files if edit is None else broken(example_files, *edit)
    prober = _prober(example_config, files, tmp_path)
    lists = [[], ["s3:PutObject"], ["S3:putobject", "s3:GetObject"], ["sagemaker:UpdateModelPackage"],
             actions_of_service("s3"), actions_of_service("sagemaker"), ["kms:Decrypt", "kms:GenerateDataKey"]]
    answers = set()
    for policy in prober.resource_policies:
        for actions in lists:
            expected = _named_by_each_action(policy, actions)
            assert prober._named_for(policy, tuple(actions)) == expected, (policy.path, actions)
            answers.add(expected is None)
    assert answers == {True, False} if edit is not None and edit[1] is _every_account_may_write else True
