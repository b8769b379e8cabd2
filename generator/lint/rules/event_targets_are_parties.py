"""event-targets-are-parties: an event rule forwards a group's events only to that group's receivers."""

from __future__ import annotations

from generator import copyflow, events
from generator.policies import copy
from generator.arns import Arns
from generator.lint.model import Hit, rule


@rule(
    "event-targets-are-parties", "error",
    "An event rule names only configured groups and targets only the buses of accounts that receive every group "
    "it matches (deployers, approvers, stage approvers), through the rule role",
    category="security",
    fix="Re-render: generator/events.py plans rules from each group's deployers and approvers.",
    scope="set",
)
def event_targets_are_parties(ctx):
    """A model package event names the version and its approval state:
    sending another group's events to an account leaks what another team
    ships, and can start a pipeline that has no business with it. Each
    rule's pattern must name configured groups only (listed, or excluded
    with anything-but, or no filter: every configured group), and each
    target must be the model-registry-events bus of an account that
    receives every group it matches, reached through the rule role (5
    targets at most, the quota)."""
    config = ctx.config
    arns = Arns.of(config)
    by_id = {a.id: name for name, a in config.accounts.items()}
    role = events.role_arn(arns)
    for policy in ctx.policies:
        if policy.facts is None or policy.facts.target_type != "rule" or not isinstance(policy.document, dict):
            continue
        if _copy_rule(config, arns, policy):
            yield from _check_copy_rule(config, arns, policy)
            continue
        pattern = policy.document.get("EventPattern") or {}
        if pattern.get("source") != [events.SOURCE] or pattern.get("detail-type") != [events.DETAIL_TYPE]:
            yield Hit(f"pattern must match source {events.SOURCE} and detail-type {events.DETAIL_TYPE} only", path=policy.path)
        matched = events.matched_groups(pattern, config.model_groups) if isinstance(pattern, dict) else None
        filters = ((pattern.get("detail") or {}).get("ModelPackageGroupName") or []) if isinstance(pattern, dict) else []
        named = [v for v in filters if isinstance(v, str)] + [
            n for v in filters if isinstance(v, dict) for n in
            ([v.get("anything-but")] if isinstance(v.get("anything-but"), str) else v.get("anything-but") or [])
            if isinstance(n, str)]
        unknown = [g for g in named if g not in config.model_groups]
        if matched is None:
            yield Hit("pattern must filter ModelPackageGroupName by names, by one anything-but list, or not at all",
                      path=policy.path)
            matched = set()
        if unknown or (not matched and not named):
            yield Hit(f"pattern must name configured model groups only, got {unknown or 'none'}", path=policy.path)
        elif not matched:
            yield Hit("pattern matches no configured model group", path=policy.path)
        groups = sorted(matched)
        targets = policy.document.get("Targets") or []
        if len(targets) > events.MAX_TARGETS:
            yield Hit(f"{len(targets)} targets: EventBridge allows {events.MAX_TARGETS} per rule", path=policy.path)
        for target in targets:
            arn = str(target.get("Arn", ""))
            account = by_id.get(arn.split(":")[4] if arn.count(":") >= 5 else "")
            if account is None or arn != events.bus_arn(arns, config.accounts[account].id):
                yield Hit(f"target {arn} is not the model-registry-events bus of a configured account", path=policy.path)
                continue
            if target.get("RoleArn") != role:
                yield Hit(f"target {arn} must use the rule role {role}", path=policy.path)
            outside = [g for g in groups if g in config.model_groups and account not in events.receivers_of(config, g)]
            if outside:
                yield Hit(f"target account {account} does not receive the events of {', '.join(outside)}", path=policy.path)


def _copy_rule(config, arns, policy) -> bool:
    """A promote-by-copy rule (docs/copy.md): it targets the registry's
    receiving bus or the registry function."""
    targets = policy.document.get("Targets") or []
    return bool(config.copy_groups()) and any(
        t.get("Arn") in (copyflow.bus_arn(arns), copyflow.function_arn(arns)) for t in targets if isinstance(t, dict))


def _check_copy_rule(config, arns, policy):
    """Exactly the rules the render plans: the receiving rule invokes the
    function only; a forwarding rule sends only its account's local
    approvals of its copy-mode groups, to the receiving bus only, through
    its account's rule role."""
    account = next((n for n, a in config.accounts.items() if a.id == policy.account_id), None)
    if account == config.registry.account:
        wanted = [copy.receive_rule(config, arns)]
    else:
        wanted = [copy.forward_rule(config, arns, account, groups)
                  for _, groups in copyflow.forward_rules(config, account)] if account else []
    if policy.document not in wanted:
        yield Hit("a copy rule must be exactly as rendered: the receiving rule invokes the registry function only; "
                  "a forwarding rule sends its account's local approvals of its copy-mode groups to the registry's "
                  "receiving bus through its own rule role", path=policy.path)
