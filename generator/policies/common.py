"""Statement and document helpers shared by the per-kind policy builders."""

from __future__ import annotations

from generator.access import Grant, Party, condition_dict
from generator.names import camel  # noqa: F401  (re-exported for builders)

VERSION = "2012-10-17"


def document(statements: list[dict]) -> dict:
    sids = [s["Sid"] for s in statements]
    duplicates = sorted({sid for sid in sids if sids.count(sid) > 1})
    if duplicates:
        raise ValueError(f"duplicate statement id {duplicates[0]}")
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


def cross_account_statement(
    sid: str,
    grant: Grant,
    party: Party,
    partition: str,
    organization_id: str | None,
    resources: list[str] | tuple[str, ...] | str | None = None,
) -> dict:
    """The registry-side half of a grant.

    The Principal names the party's accounts and an aws:PrincipalArn
    condition narrows it to the listed roles: S3 and KMS reject a policy
    naming a role that does not exist yet, and a re-created role would
    silently drop out of a role-ARN principal (DESIGN.md, "Principals that
    may not exist yet"). Allows also carry the organization guard.
    """
    extra = [{"ArnLike": {"aws:PrincipalArn": list(party.role_arns)}}]
    if organization_id and grant.effect == "Allow":
        extra.append({"StringEquals": {"aws:PrincipalOrgID": [organization_id]}})
    return statement(
        sid,
        grant.effect,
        grant.actions,
        grant.resources if resources is None else resources,
        merge_conditions(condition_dict(grant.conditions), *extra),
        principal={"AWS": [f"arn:{partition}:iam::{account}:root" for account in party.accounts]},
    )
