"""Shared by the service and resource control policy builders.

Organization policies say "deny ... unless the principal is one of these
roles". With few roles that is one statement with ``ArnNotLike
aws:PrincipalArn`` on the exact role ARNs. With many accounts the exact
list does not fit the 5,120-character policy limit (AWS Organizations
quotas, "Maximum size of a policy document"), so the exemption is written
as a role family instead: two Deny statements, one refusing any role whose
name is not one of the listed names (in any account) and one refusing any
account that is not one of the listed accounts. A request escapes both only
if its role has a listed name AND sits in a listed account; that is coarser
than the exact list (a listed name in another listed account is exempt),
which is why the exact form is used whenever it fits. The model package
group policies still carry the exact, per-group rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from generator import roles as role_patterns
from generator.arns import Arns
from generator.config import Config

# Above this many characters of exact role ARNs a statement switches to the
# role-family form (which grows with the number of distinct role names and
# accounts, not with their product).
FAMILY_FROM_CHARS = 1200


@dataclass(frozen=True)
class Exempt:
    """Principals a guardrail statement lets through."""

    arns: tuple[str, ...]  # exact role ARN patterns
    names: tuple[str, ...]  # role patterns after role/ (path/name, maybe with *)
    accounts: tuple[str, ...]  # account ids
    # Role ARN patterns a wildcard entry's * would reach across a '/' (a
    # role path anyone with iam:CreateRole can create): never exempt.
    fences: tuple[str, ...] = ()
    name_fences: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.arns


def exempt(config: Config, arns: Arns, members: dict[str, list[str]]) -> Exempt:
    """``members``: account name -> role entries."""
    pairs = sorted(
        (config.accounts[name].id, role) for name, roles in members.items() for role in roles
    )
    # The same patterns the group policies render for a role entry
    # (generator/roles.py: both IAM Identity Center forms, fenced wildcards).
    patterns = {(account, p) for account, role in pairs for p in role_patterns.patterns(role)}
    fences = {(account, f) for account, role in pairs if (f := role_patterns.exclusion(role))}
    return Exempt(
        tuple(sorted({arns.role_arn(account, p) for account, p in patterns})),
        tuple(sorted({p for _, p in patterns})),
        tuple(sorted({account for account, _ in pairs})),
        tuple(sorted({arns.role_arn(account, f) for account, f in fences})),
        tuple(sorted({f for _, f in fences})),
    )


def account_roles(config: Config, names) -> dict[str, list[str]]:
    return {name: list(config.accounts[name].roles) for name in names}


def denies_unless(
    sid: str,
    actions: list[str],
    resources: list[str] | str,
    condition: dict,
    who: Exempt,
    partition: str,
    principal: bool,
) -> list[dict]:
    """Deny statements that refuse ``actions`` under ``condition`` to every
    principal but ``who``. ``principal``: add ``Principal: "*"`` (RCPs)."""

    def one(suffix: str, extra: dict) -> dict:
        merged = {op: dict(keys) for op, keys in condition.items()}
        for op, keys in extra.items():
            merged.setdefault(op, {}).update(keys)
        out: dict = {"Sid": sid + suffix, "Effect": "Deny"}
        if principal:
            out["Principal"] = "*"
        out["Action"] = sorted(actions)
        out["Resource"] = resources if isinstance(resources, str) else sorted(resources)
        if merged:
            out["Condition"] = {op: dict(sorted(keys.items())) for op, keys in sorted(merged.items())}
        return out

    if who.empty:
        return [one("", {})]
    exact = json.dumps(list(who.arns), separators=(",", ":"))
    if len(exact) <= FAMILY_FROM_CHARS:
        out = [one("", {"ArnNotLike": {"aws:PrincipalArn": list(who.arns)}})]
        fences = list(who.fences)
    else:
        names = [f"arn:{partition}:iam::*:role/{role}" for role in who.names]
        out = [
            one("RoleName", {"ArnNotLike": {"aws:PrincipalArn": names}}),
            one("Account", {"StringNotEquals": {"aws:PrincipalAccount": list(who.accounts)}}),
        ]
        fences = [f"arn:{partition}:iam::*:role/{fence}" for fence in who.name_fences]
    if fences:
        # A wildcard entry's * also matches '/': refuse what it would reach
        # across a path, so an impostor role path is never exempt.
        out.append(one("Fence", {"ArnLike": {"aws:PrincipalArn": fences}}))
    return out


def pack(statements: list[dict], limit: int, most: int, name: str) -> list[list[dict]]:
    """Statements packed, in order, into at most ``most`` documents whose
    minified JSON fits ``limit`` characters. Raises ValueError when they
    cannot fit."""
    overhead = len('{"Version":"2012-10-17","Statement":[]}')
    documents: list[list[dict]] = []
    size = overhead
    for stmt in statements:
        length = len(json.dumps(stmt, separators=(",", ":"), ensure_ascii=False))
        if overhead + length > limit:
            raise ValueError(f"statement {stmt['Sid']} of the {name} alone is {length:,} characters, over {limit:,}")
        if not documents or size + length + 1 > limit:
            documents.append([])
            size = overhead
        documents[-1].append(stmt)
        size += length + (1 if len(documents[-1]) > 1 else 0)
    if len(documents) > most:
        raise ValueError(f"the {name} needs {len(documents)} policies of {limit:,} characters; at most {most} fit one target")
    return documents
