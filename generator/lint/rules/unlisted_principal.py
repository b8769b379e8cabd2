"""unlisted-principal: a registry-side policy grants only to what accounts.yaml names."""

from __future__ import annotations

from generator import copyflow, events
from generator.arns import Arns
from generator.config import config_query
from generator.lint.model import Hit, PolicyFile, account_of_principal, as_list, principal_values, rule
from generator.policies import deploy_role
from generator.roles import patterns

POSITIVE = ("ArnLike", "ArnEquals", "StringLike", "StringEquals")


def _condition_values(stmt: dict, key: str) -> list[str]:
    out: list[str] = []
    for operator, block in (stmt.get("Condition") or {}).items():
        base = operator.split(":")[-1].removesuffix("IfExists")
        if base in POSITIVE and isinstance(block, dict):
            for name, values in block.items():
                if name.lower() == key.lower():
                    out.extend(str(v) for v in as_list(values))
    return out


@config_query
def _known(config) -> tuple[set[str], dict[str, set[str]], set[str]]:
    """(account ids, role patterns by account id, every role pattern) that
    accounts.yaml names: computed once per config, not once per policy."""
    ids = {account.id for account in config.accounts.values()}
    role_patterns: dict[str, set[str]] = {}
    for account in config.accounts.values():
        for entry in account.roles:
            role_patterns.setdefault(account.id, set()).update(patterns(entry))
    # deploy_role names one more role in each workload account that gets one.
    for target in deploy_role.targets(config):
        role_patterns.setdefault(target.account_id, set()).add(config.deploy_role.name)
    any_account = set().union(*role_patterns.values()) if role_patterns else set()
    return ids, role_patterns, any_account


@rule(
    "unlisted-principal", "error",
    "Every principal and aws:PrincipalArn / aws:PrincipalAccount value of a registry-side Allow is named by accounts.yaml",
    category="security",
    fix="Remove the principal, or add its account (and role) to accounts.yaml and render again.",
)
def unlisted_principal(policy: PolicyFile, ctx):
    """The registry half alone decides what an outside principal can do:
    its own identity policy is not ours to see, so any account or role a
    registry policy allows may well have an identity policy that uses the
    grant. The rendered policies name only accounts.yaml's accounts and the
    role patterns of their listed roles; anything else (a hand edit, a
    tampered file, a stale grant for an account since removed) is access
    nobody reviewed, even when an aws:PrincipalArn condition and the
    organization guard make it look narrow."""
    if not policy.is_resource_policy:
        return
    config = ctx.config
    ids, role_patterns, any_account = _known(config)
    arns = Arns.of(config)
    if policy.facts is not None and "local-model-package-group" in policy.facts.governs:
        # registration: copy: the registry function's role, which the render creates itself.
        role_patterns = {**role_patterns, config.registry_account.id:
                         role_patterns.get(config.registry_account.id, set()) | {copyflow.ROLE_NAME}}
    if policy.facts is not None and policy.target == copyflow.bus_arn(arns):
        # The development accounts' forwarding rule roles (bus-policy-names-rule-role checks them).
        role_patterns = {**role_patterns, **{config.accounts[a].id: role_patterns.get(config.accounts[a].id, set())
                                             | {copyflow.FORWARD_ROLE_NAME} for a in copyflow.copy_developers(config)}}
        any_account = any_account | {copyflow.FORWARD_ROLE_NAME}  # the compact form names it in any account
    elif policy.facts is not None and policy.facts.target_type == "event-bus":
        # The registry's event rule role, which the render creates itself
        # (bus-policy-names-rule-role checks it is the only one named).
        role_patterns = {**role_patterns, config.registry_account.id:
                         role_patterns.get(config.registry_account.id, set()) | {events.ROLE_NAME}}
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        sid = stmt.get("Sid")
        principal = stmt.get("Principal")
        services = set(as_list(principal.get("Service"))) if isinstance(principal, dict) else set()
        for value in principal_values(stmt):
            if value == "*" or value in services:
                continue  # a service principal is no account (the execution role's trust document)
            account = account_of_principal(value)
            if account not in ids:
                yield Hit(f"statement {sid}: principal {value} is not an account in accounts.yaml", sid)
            elif not (value.isdigit() or value.endswith(":root")):
                role = value.partition(":role/")[2]
                if not role or role not in role_patterns.get(account, set()):
                    yield Hit(f"statement {sid}: principal {value} is not a role listed in accounts.yaml", sid)
        for value in _condition_values(stmt, "aws:PrincipalAccount"):
            if value not in ids:
                yield Hit(f"statement {sid}: aws:PrincipalAccount {value} is not an account in accounts.yaml", sid)
        for value in _condition_values(stmt, "aws:PrincipalArn"):
            parts = value.split(":", 5)
            account = parts[4] if len(parts) == 6 else None
            head, marker, role = value.partition(":role/")
            if account == "*":
                known = marker and role in any_account
            else:
                known = account in ids and (not marker or role in role_patterns.get(account, set()))
                if not marker and not value.endswith(":root"):
                    known = False
            if not known:
                yield Hit(f"statement {sid}: aws:PrincipalArn {value} names no account or role listed in accounts.yaml", sid)
