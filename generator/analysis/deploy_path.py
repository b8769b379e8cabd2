"""Capability answers that name their path: ways of requests, and the deploy
role a pipeline reaches through ``sts:AssumeRole`` (docs/deploy.md).

A capability (generator/report/capabilities.py) is a list of ways, each a
list of requests; it is granted when every request of some way is allowed.
:func:`evaluate_ways` asks the rendered policies each request as one
principal. :func:`follow_assume_role` answers "can the deployment pipeline
deploy group G": the pipeline creates nothing itself, it assumes the deploy
role of each workload account W that consumes G (``deploy_role`` in the
config) and deploys as that role. Two hops, each refused or allowed on its
own:

1. ``sts:AssumeRole`` on W's deploy role, as the pipeline: the pipeline's
   identity policy (``AssumeDeployRoles``) and the role's trust policy must
   both allow it (a trust policy is needed in the same account too:
   https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_compare-resource-policies.html);
2. the deployment's requests, as the deploy role: ``DescribeModelPackage``
   in the registry (the deploy role's policy AND the group policy), then
   ``CreateModel``, ``CreateEndpointConfig``, ``CreateEndpoint`` and their
   ``AddTags`` in W (the deploy role's policy alone: those resources have no
   resource policy), tagged ``model-registry-group=<group>`` as the docs
   require the pipeline to tag them.

A role session's requests carry the role's ARN as ``aws:PrincipalArn``
(IAM User Guide, "AWS global condition context keys", aws:PrincipalArn),
so hop 2 is asked exactly as the deploy role's own requests are.

This module takes the requests as given (the caller builds them from the
capability), so it depends on nothing above the analysis package.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.analysis.evaluate import Decision
from generator.analysis.policyset import PolicySet


@dataclass(frozen=True)
class Asked:
    """One request of a way and its decision."""

    probe: object  # a capabilities.Probe: action, resource, context, describe()
    decision: Decision


@dataclass(frozen=True)
class Way:
    number: int  # 1-based, in the capability's order
    asked: tuple[Asked, ...]

    @property
    def allowed(self) -> bool:
        return all(a.decision.allowed for a in self.asked)

    def statements(self) -> list[str]:
        """The statements that allowed the way's requests (half:Sid), each once, in order."""
        seen: dict[str, None] = {}
        for a in self.asked:
            for sid in a.decision.identity_allows + a.decision.resource_allows:
                seen.setdefault(sid, None)
        return list(seen)

    def first_refused(self) -> Asked | None:
        return next((a for a in self.asked if not a.decision.allowed), None)


def evaluate_ways(policies: PolicySet, principal: str, ways: list[list], context: dict, org: str | None) -> list[Way]:
    """Every request of every way, as ``principal``, with ``context`` laid over each request's own."""
    return [Way(n, tuple(Asked(probe, policies.decide(principal, probe.action, probe.resource,
                                                       {**dict(probe.context), **context}, org=org))
                         for probe in way))
            for n, way in enumerate(ways, 1)]


def allowing(ways: list[Way]) -> Way | None:
    return next((w for w in ways if w.allowed), None)


def closest(ways: list[Way]) -> Way | None:
    """The refused way with the most requests allowed (the first of equals): the one to show for a NO."""
    return max(ways, key=lambda w: (sum(a.decision.allowed for a in w.asked), -w.number), default=None)


def refusing_half(decision: Decision, action: str, resource: str) -> str:
    """Which policy refuses a request, in words. On a role (sts:AssumeRole)
    the resource policy is the role's trust policy."""
    what = f"{action} on {resource}"
    if decision.denies:
        return f"{what}: explicit deny ({', '.join(decision.denies)})"
    reason = decision.reason
    on_role = ":iam::" in resource and ":role/" in resource
    if "trust policy" in reason or (on_role and reason.startswith("no resource-policy")):
        return f"{what}: the role's trust policy does not allow the caller"
    if reason.startswith("no identity-policy"):
        return f"{what}: the caller's identity policy (its own account's half) does not allow it"
    if reason.startswith("no resource-policy"):
        return f"{what}: the resource policy (the registry's half) does not allow it"
    if reason == "no statement allows it":  # same account, no resource policy: the role's own policy
        return f"{what}: the caller's identity policy does not allow it"
    return f"{what}: {reason}"


@dataclass(frozen=True)
class Route:
    """The pipeline into one workload account: AssumeRole, then the deployment as the deploy role."""

    account: str  # the account's name in accounts.yaml
    role_arn: str  # the deploy role
    assume: Decision  # hop 1
    ways: tuple[Way, ...]  # hop 2, as the deploy role

    @property
    def allowed(self) -> bool:
        return self.assume.allowed and allowing(list(self.ways)) is not None

    def path(self) -> str:
        """How the route allows the deployment: the statements of each hop."""
        way = allowing(list(self.ways))
        hop1 = ", ".join(self.assume.identity_allows + self.assume.resource_allows)
        return (f"sts:AssumeRole on {self.role_arn} ({hop1}), then the deployment as that role "
                f"(way {way.number}, {len(way.asked)} requests allowed)") if way else ""

    def refusal(self) -> str:
        """The hop that refuses, and which half of it."""
        if not self.assume.allowed:
            return "hop 1 refuses: " + refusing_half(self.assume, "sts:AssumeRole", self.role_arn)
        way = closest(list(self.ways))
        refused = way.first_refused() if way else None
        if refused is None:
            return "hop 2 refuses: no request to ask"
        return "hop 2 refuses, as the deploy role: " + refusing_half(
            refused.decision, refused.probe.action, refused.probe.resource)


def follow_assume_role(policies: PolicySet, principal: str, targets: list[tuple[str, str, list[list]]],
                       context: dict, org: str | None) -> list[Route]:
    """One :class:`Route` per (account name, deploy role ARN, ways as that role) of ``targets``.
    ``context`` is laid over every request of both hops (explain --context)."""
    routes = []
    for account, role_arn, ways in targets:
        assume = policies.decide(principal, "sts:AssumeRole", role_arn, dict(context), org=org)
        routes.append(Route(account, role_arn, assume, tuple(evaluate_ways(policies, role_arn, ways, context, org))))
    return routes
