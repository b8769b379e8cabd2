"""bus-policy-names-rule-role: an event bus policy lets only the registry's rule role put events."""

from __future__ import annotations

from generator import copyflow, events
from generator.arns import Arns
from generator.lint.model import Hit, as_list, principal_values, rule


@rule(
    "bus-policy-names-rule-role", "error",
    "Every Allow of an event bus policy names only the registry account, narrowed by aws:PrincipalArn to exactly "
    "the rule role, and only for SageMaker model package events",
    category="security",
    fix="Re-render: generator/policies/event_bus.py names the registry root and the rule role only.",
)
def bus_policy_names_rule_role(policy, ctx):
    """A receiving account's bus triggers its deployment pipeline or its
    approval workflow: whoever can put events on it can start a deployment.
    Only the registry's rule role may, and only with SageMaker model
    package state changes (events:source and events:detail-type tested
    for every entry, and required to be present)."""
    if policy.facts is None or policy.facts.target_type != "event-bus":
        return
    arns = Arns.of(ctx.config)
    role, root = events.role_arn(arns), arns.account_root(arns.registry_id)
    if policy.target == copyflow.bus_arn(arns):
        yield from _copy_bus(policy, ctx.config, arns)
        return
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        sid = stmt.get("Sid")
        if principal_values(stmt) != [root]:
            yield Hit(f"statement {sid}: principal must be exactly the registry account root {root}", sid)
        condition = stmt.get("Condition") or {}
        named = as_list((condition.get("ArnEquals") or {}).get("aws:PrincipalArn"))
        if named != [role]:
            yield Hit(f"statement {sid}: ArnEquals aws:PrincipalArn must name exactly the rule role {role}", sid)
        every = condition.get("ForAllValues:StringEquals") or {}
        present = condition.get("Null") or {}
        for key, value in (("events:source", events.SOURCE), ("events:detail-type", events.DETAIL_TYPE)):
            if as_list(every.get(key)) != [value] or as_list(present.get(key)) != ["false"]:
                yield Hit(f"statement {sid}: {key} must be {value} for every entry (ForAllValues) and present (Null false)", sid)


def _copy_bus(policy, config, arns):
    """registration: copy: the registry's receiving bus starts the registry
    function. Only the development accounts' forwarding rule roles may put
    on it, from their forwarding rules, and only model package events."""
    ids = sorted(config.accounts[a].id for a in copyflow.copy_developers(config))
    roots = [arns.account_root(i) for i in ids]
    roles = [copyflow.forward_role_arn(arns, i) for i in ids]
    for stmt in policy.statements():
        if stmt.get("Effect") != "Allow":
            continue
        sid = stmt.get("Sid")
        condition = stmt.get("Condition") or {}
        named = sorted(as_list((condition.get("ArnLike") or {}).get("aws:PrincipalArn")))
        if principal_values(stmt) == ["*"]:  # the compact form: pinned by aws:PrincipalAccount
            pinned = sorted(as_list((condition.get("StringEquals") or {}).get("aws:PrincipalAccount")))
            if pinned != ids or named != [copyflow.forward_role_arn(arns, "*")]:
                yield Hit(f"statement {sid}: Principal * must be pinned to exactly the copy-mode development "
                          "accounts (aws:PrincipalAccount) and their forwarding rule role name", sid)
        else:
            if sorted(principal_values(stmt)) != roots:
                yield Hit(f"statement {sid}: principals must be exactly the copy-mode development accounts", sid)
            if named != roles:
                yield Hit(f"statement {sid}: ArnLike aws:PrincipalArn must name exactly their forwarding rule roles", sid)
        every = condition.get("ForAllValues:StringEquals") or {}
        present = condition.get("Null") or {}
        for key, value in (("events:source", events.SOURCE), ("events:detail-type", events.DETAIL_TYPE)):
            if as_list(every.get(key)) != [value] or as_list(present.get(key)) != ["false"]:
                yield Hit(f"statement {sid}: {key} must be {value} for every entry (ForAllValues) and present (Null false)", sid)
