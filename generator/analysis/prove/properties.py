"""The properties ``prove`` checks on one group's domain, each named.

Each property is a formula whose models are violations: unsatisfiable is
"proven", a model is a counterexample (generator.analysis.prove.counterexample),
``unknown`` from the solver or a policy the encoding does not model is
"not proven".

- ``same-as-intent``: the rendered decision equals the intent's, both ways
  (``allows-more``: the render allows a request the config does not grant;
  ``allows-less``: the config grants it and the render refuses).
- ``registry-half``: the group policy alone allows and denies exactly what
  the intent's registry half does (a widening the identity half still
  blocks is found here).
- ``identity-half``: each rendered identity policy allows and denies on the
  group exactly what the config's grants for its role do.
- ``outside-organization``: no principal outside the organization is
  allowed anything on the group.
- ``developers-never-approve``: no principal of a developer account sets
  ModelApprovalStatus Approved or a StageStatus Approved.
- ``stages-in-order``: only a stage's approvers set its stage, with the
  version at that stage or approved at the previous one; developers only
  (re)register at the first stage, pending.
- ``consumers-read-approved``: a consumer describes a version only at its
  stage and approved there, or past it.
- ``released-never-overwritten``: not applicable to a direct group; for a
  copy-mode group (docs/copy.md) ``released/`` is governed by the S3 bucket
  policy, which is not encoded yet: "not proven (not encoded)".
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from generator.access import APPROVAL_STATUS_KEY, CURRENT_STAGE_KEY, CURRENT_STATUS_KEY, STAGE_KEY, STAGE_STATUS_KEY, Lifecycle
from generator.analysis.prove import encoding
from generator.config.stages import account_stage, stage_approvers

PROVEN, FAILED, NOT_PROVEN, NOT_APPLICABLE = "proven", "FAILED", "not proven", "not applicable"
# A property whose requests are decided by a kind the encoding does not
# model yet: never "proven"; listed like the kinds not encoded (exit 0),
# since lint and report check those documents.
NOT_ENCODED = "not proven (not encoded)"

# The keys the named invariants ask about (declared even when no policy names them).
KEYS = (APPROVAL_STATUS_KEY, STAGE_KEY, STAGE_STATUS_KEY, CURRENT_STAGE_KEY, CURRENT_STATUS_KEY)

NAMES = ("same-as-intent", "registry-half", "identity-half", "outside-organization", "developers-never-approve",
         "stages-in-order", "consumers-read-approved", "released-never-overwritten")


@dataclass
class Check:
    """One query: ``violation`` satisfiable means the property fails."""

    name: str
    detail: str  # which direction or half
    violation: object
    not_applicable: str = ""
    not_encoded: str = ""


def _ci(req, key: str, value: str):
    k = req.key(key)
    return z3.And(k.count > 0, z3.InRe(k.values[0], encoding._literal(value, True)))


def _present(req, key: str):
    return req.key(key).count > 0


def _setting(req):
    return z3.Or([encoding.glob(req.action, a, ignore_case=True)
                  for a in ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage")])


def _in(req, ids):
    return z3.Or([req.account == z3.StringVal(i) for i in ids] or [z3.BoolVal(False)])


def checks(config, domain, req, rendered, intent) -> list[Check]:
    r, i = rendered.halves, intent.halves
    from generator.analysis.prove.domain import combine

    allowed_r, allowed_i = combine(req, domain, r), combine(req, domain, i)
    out = [
        Check("same-as-intent", "allows-more", z3.And(allowed_r, z3.Not(allowed_i))),
        Check("same-as-intent", "allows-less", z3.And(allowed_i, z3.Not(allowed_r))),
    ]
    eff_r, eff_i = z3.And(r.res_allow, z3.Not(r.res_deny)), z3.And(i.res_allow, z3.Not(i.res_deny))
    out += [
        Check("registry-half", "allows-more", z3.And(eff_r, z3.Not(eff_i))),
        Check("registry-half", "allows-less", z3.And(eff_i, z3.Not(eff_r))),
        Check("registry-half", "denies-less", z3.And(i.res_deny, z3.Not(r.res_deny))),
        Check("registry-half", "denies-more", z3.And(r.res_deny, z3.Not(i.res_deny))),
    ]
    registry = req.account == z3.StringVal(domain.registry_id)
    # Unknown identity (no policy) allows everything on both sides.
    id_r = z3.And(z3.Or(z3.Not(r.known), r.id_allow), z3.Not(r.id_deny))
    id_i = z3.And(z3.Or(z3.Not(i.known), i.id_allow), z3.Not(i.id_deny))
    scope = z3.Not(registry)
    out += [
        Check("identity-half", "allows-more", z3.And(scope, id_r, z3.Not(id_i))),
        Check("identity-half", "allows-less", z3.And(scope, id_i, z3.Not(id_r))),
        Check("identity-half", "denies-less", z3.And(scope, i.id_deny, z3.Not(r.id_deny))),
    ]
    if domain.organization_id:
        org = req.key(encoding.ORG_KEY)
        outside = z3.Not(z3.And(org.count == 1, org.values[0] == z3.StringVal(domain.organization_id)))
        out.append(Check("outside-organization", "", z3.And(allowed_r, outside)))
    else:
        out.append(Check("outside-organization", "", z3.BoolVal(False),
                         "no organization_id in the config: nothing to prove it against"))
    group = domain.group
    ids = {name: config.accounts[name].id for name in config.accounts}
    developers = [ids[n] for n in config.party_accounts(group, "developers")]
    lifecycle = Lifecycle.of(config)
    # Without stages a ModelLifeCycle is not part of the config's approval
    # (nothing reads it, and the render leaves it unconstrained): there,
    # approving is setting ModelApprovalStatus.
    approves = z3.Or(_ci(req, APPROVAL_STATUS_KEY, "Approved"),
                     _ci(req, STAGE_STATUS_KEY, "Approved") if lifecycle else z3.BoolVal(False))
    out.append(Check("developers-never-approve", "",
                     z3.And(allowed_r, _in(req, developers), _setting(req), approves)))
    if lifecycle:
        legal = []
        for k, stage in enumerate(lifecycle.stages):
            where = [_ci(req, CURRENT_STAGE_KEY, stage)]
            if k:
                where.append(z3.And(_ci(req, CURRENT_STAGE_KEY, lifecycle.stages[k - 1]),
                                    _ci(req, CURRENT_STATUS_KEY, "Approved")))
            legal.append(z3.And(
                _in(req, [ids[n] for n in stage_approvers(config, stage)]), _ci(req, STAGE_KEY, stage),
                z3.Or(_ci(req, STAGE_STATUS_KEY, "Approved"), _ci(req, STAGE_STATUS_KEY, "Rejected")), z3.Or(where)))
        # Developers register at the first stage, pending; in a copy-mode
        # group the registry function does it for them (docs/copy.md).
        registrars = _in(req, developers)
        if config.is_copy(group):
            from generator import copyflow
            from generator.arns import Arns

            registrars = z3.Or(registrars, encoding.glob(req.principal, copyflow.function_role_arn(Arns.of(config))))
        legal.append(z3.And(
            registrars,
            z3.Or(z3.Not(_present(req, STAGE_KEY)), _ci(req, STAGE_KEY, lifecycle.first)),
            z3.Or(z3.Not(_present(req, STAGE_STATUS_KEY)), _ci(req, STAGE_STATUS_KEY, "PendingApproval"))))
        sets = z3.Or(_present(req, STAGE_KEY), _present(req, STAGE_STATUS_KEY))
        out.append(Check("stages-in-order", "", z3.And(allowed_r, _setting(req), sets, z3.Not(z3.Or(legal)))))
        reads = []
        for name in config.party_accounts(group, "consumers"):
            own = account_stage(config, name)
            fine = [z3.And(_ci(req, CURRENT_STAGE_KEY, own), _ci(req, CURRENT_STATUS_KEY, "Approved"))]
            fine += [_ci(req, CURRENT_STAGE_KEY, later) for later in lifecycle.later(own)]
            reads.append(z3.And(req.account == z3.StringVal(ids[name]), z3.Not(z3.Or(fine))))
        describe = encoding.glob(req.action, "sagemaker:DescribeModelPackage", ignore_case=True)
        out.append(Check("consumers-read-approved", "",
                         z3.And(allowed_r, describe, z3.Or(reads or [z3.BoolVal(False)]))))
    else:
        why = "no stages in the config (and no condition key carries a version's approval status)"
        out.append(Check("stages-in-order", "", z3.BoolVal(False), why))
        out.append(Check("consumers-read-approved", "", z3.BoolVal(False), why))
    if config.is_copy(group):
        out.append(Check("released-never-overwritten", "", z3.BoolVal(False), not_encoded=(
            "released/ objects are decided by the S3 bucket policy, which is not encoded yet "
            "(lint, report and tests/test_copy_function.py check its Released* denies)")))
    else:
        out.append(Check("released-never-overwritten", "", z3.BoolVal(False),
                         "the group registers directly: nothing is released by copy"))
    return out
