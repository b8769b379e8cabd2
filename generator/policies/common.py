"""Statement and document helpers shared by the per-kind policy builders."""

from __future__ import annotations

from functools import lru_cache

from generator.access import Grant, Party, condition_dict
from generator.roles import exclusion as role_exclusion
from generator.roles import patterns as role_patterns

VERSION = "2012-10-17"


def document(statements: list[dict]) -> dict:
    sids = {s["Sid"] for s in statements}
    if len(sids) != len(statements):
        raise ValueError("duplicate statement id")
    return {"Version": VERSION, "Statement": statements}


def merge_conditions(*specs: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    merged: dict[str, dict[str, list[str]]] = {}
    for spec in specs:
        for op, keys in spec.items():
            target = merged.setdefault(op, {})
            for key, values in keys.items():
                if key in target:
                    raise ValueError(f"condition {op} {key} set twice")
                target[key] = list(values)
    return {op: dict(sorted(keys.items())) for op, keys in sorted(merged.items())}


def statement(
    sid: str,
    effect: str,
    actions: list[str] | tuple[str, ...],
    resources: list[str] | tuple[str, ...] | str,
    condition: dict | None = None,
    principal: dict | str | None = None,
) -> dict:
    out: dict = {"Sid": sid, "Effect": effect}
    if principal is not None:
        out["Principal"] = principal
    out["Action"] = sorted(actions)
    out["Resource"] = resources if isinstance(resources, str) else sorted(resources)
    if condition:
        out["Condition"] = condition
    return out


def principal_blocks(party: Party, compact: bool, star: bool = True) -> list[tuple[str, dict | str, dict]]:
    """[(sid suffix, Principal, conditions)] naming exactly the party's roles
    (:func:`_blocks`), as new dicts and lists each call: callers own them.
    The same party is asked for in most statements of a group policy and in
    every group it takes part in, so the blocks are worked out once each."""
    return [
        (suffix, {"AWS": aws if aws == "*" else list(aws)},
         {op: {key: list(values) for key, values in keys} for op, keys in narrowing})
        for suffix, aws, narrowing in _blocks(party, compact, star)
    ]


@lru_cache(maxsize=4096)
def _blocks(party: Party, compact: bool, star: bool) -> tuple:
    """principal_blocks, immutable: ((sid suffix, "*" or (principal ARN, ...),
    ((operator, ((key, (value, ...)), ...)), ...)), ...).

    Explicit (the default): the Principal names the party's accounts and an
    aws:PrincipalArn condition narrows it to the listed roles. S3 and KMS
    reject a policy naming a role that does not exist yet, and a re-created
    role silently drops out of a role-ARN principal (DESIGN.md, "Principals
    that may not exist yet"); this form has neither problem.

    Compact (only when the explicit form does not fit the policy's size
    limit): one block per set of accounts that list the same roles, with
    Principal "*" narrowed by aws:PrincipalAccount to those accounts and by
    aws:PrincipalArn to those role names. Every account in a block has
    exactly those roles, so the block grants exactly what the explicit form
    grants, in about a third of the bytes.

    Compact without ``star`` (for a service whose acceptance of Principal
    "*" we could not establish: SageMaker's group policies): the Principal
    names the block's account roots instead of "*" and aws:PrincipalAccount
    is dropped (the Principal already pins the accounts); the role names
    are written once per block, with "*" for the account in each
    aws:PrincipalArn pattern. A principal of a named account has that
    account in its ARN, so the pattern matches exactly the roles the
    explicit form lists for it.
    """
    if not compact:
        principal = {"AWS": [f"arn:{party.partition}:iam::{account}:root" for account in party.accounts]}
        narrowing = {"ArnLike": {"aws:PrincipalArn": list(party.role_arns)}}
        if party.excluded_arns:
            # In ArnLike * also matches '/': fence each wildcard to role names.
            narrowing["ArnNotLike"] = {"aws:PrincipalArn": list(party.excluded_arns)}
        return (_frozen("", principal, narrowing),)
    blocks = []
    sets = party.role_sets()
    for index, (roles, accounts) in enumerate(sets, 1):
        suffix = f"RoleSet{index}" if len(sets) > 1 else ""
        narrowing: dict = {
            "ArnLike": {"aws:PrincipalArn": sorted(
                {f"arn:{party.partition}:iam::*:role/{p}" for role in roles for p in role_patterns(role)})},
        }
        if star:
            narrowing["StringEquals"] = {"aws:PrincipalAccount": list(accounts)}
        excluded = sorted({f"arn:{party.partition}:iam::*:role/{e}" for role in roles if (e := role_exclusion(role))})
        if excluded:
            narrowing["ArnNotLike"] = {"aws:PrincipalArn": excluded}
        principal = {"AWS": "*"} if star else {"AWS": [f"arn:{party.partition}:iam::{a}:root" for a in accounts]}
        blocks.append(_frozen(suffix, principal, narrowing))
    return tuple(blocks)


def _frozen(suffix: str, principal: dict, narrowing: dict) -> tuple:
    aws = principal["AWS"]
    return (suffix, aws if aws == "*" else tuple(aws),
            tuple((op, tuple((key, tuple(values)) for key, values in keys.items())) for op, keys in narrowing.items()))


def cross_account_statements(
    sid: str,
    grant: Grant,
    party: Party,
    organization_id: str | None,
    resources: list[str] | tuple[str, ...] | str | None = None,
    compact: bool = False,
    star: bool = True,
) -> list[dict]:
    """The registry-side half of a grant; Allows also carry the organization guard."""
    out = []
    for suffix, principal, narrowing in principal_blocks(party, compact, star):
        extra = [narrowing]
        if organization_id and grant.effect == "Allow":
            extra.append({"StringEquals": {"aws:PrincipalOrgID": [organization_id]}})
        out.append(
            statement(
                sid + suffix,
                grant.effect,
                grant.actions,
                grant.resources if resources is None else resources,
                merge_conditions(condition_dict(grant.conditions), *extra),
                principal=principal,
            )
        )
    return out
