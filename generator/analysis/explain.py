"""``python -m generator explain``: one request, allowed or denied, and why.

The request is evaluated by :meth:`generator.analysis.policyset.PolicySet.decide`,
exactly as the access matrix evaluates its cells, and the statements that
applied are listed per policy with the file they came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.analysis import guardrails
from generator.analysis.evaluate import Decision, Request
from generator.analysis.policyset import UNKNOWN_IDENTITY_SOURCE, PolicySet

ANY_RESOURCE = "*"
_ROLE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]+$")
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
_RESOURCE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")
_CONTEXT_KEY = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9_./:-]+$")


class BadRequest(ValueError):
    """Input explain cannot evaluate; the CLI prints it and exits 2."""


@dataclass(frozen=True)
class Explained:
    principal: str
    action: str
    resource: str
    context: dict  # the full context evaluated (normal context plus overrides)
    cross_account: bool
    decision: Decision
    hint: str = ""  # a note on how the resource is reached, when it helps
    guardrails: list[str] | None = None  # with --with-guardrails: denying SCP/RCP statements (path:Sid)

    @property
    def allowed(self) -> bool:
        return self.decision.allowed and not self.guardrails


def check_request(principal: str, action: str, resource: str) -> None:
    if not _ROLE_ARN.fullmatch(principal):
        raise BadRequest(f"--principal: '{principal}' is not an IAM role ARN like arn:aws:iam::123456789012:role/Name")
    if not _ACTION.fullmatch(action):
        raise BadRequest(f"--action: '{action}' is not an action like s3:GetObject")
    # "*": actions that take no resource type (ecr:GetAuthorizationToken,
    # sts:GetCallerIdentity) are authorized against Resource "*" only.
    if resource != ANY_RESOURCE and not _RESOURCE.fullmatch(resource):
        raise BadRequest(f"--resource: '{resource}' is not an ARN like arn:aws:s3:::bucket/key, or *")


def parse_context(pairs: list[str]) -> dict:
    """``key=value`` pairs; a repeated key makes a list, ``key=`` removes a
    key from the normal context."""
    context: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _CONTEXT_KEY.fullmatch(key):
            raise BadRequest(f"--context: '{pair}' is not key=value with a key like aws:SecureTransport")
        if value == "":
            context[key] = None
        elif key in context and context[key] is not None:
            previous = context[key]
            context[key] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            context[key] = value
    return context


def explain(policies: PolicySet, principal: str, action: str, resource: str, context: dict,
            org: str | None, with_guardrails: bool = False) -> Explained:
    check_request(principal, action, resource)
    decision = policies.decide(principal, action, resource, context, org=org)
    full = policies.request_context(principal, resource, context, org)
    # Resource "*" belongs to no account's resource policy: the caller's identity policy alone decides.
    cross = resource != ANY_RESOURCE and principal.split(":")[4] != policies.resource_account(resource)
    denied = None
    if with_guardrails:
        # SCPs and RCPs are evaluated before any other policy; a deny ends the request.
        denied = guardrails.denies(Request(principal, action, resource, full), guardrails.from_policyset(policies), org)
    return Explained(principal, action, resource, full, cross, decision, _layout_hint(policies, resource), denied)


def _layout_hint(policies: PolicySet, resource: str) -> str:
    """With s3_layout: access_points the grants are on each group's access
    point; asking about the bucket path is allowed but rarely the question."""
    if not policies.access_points or not resource.startswith(policies.bucket_arn + "/"):
        return ""
    group = resource[len(policies.bucket_arn) + 1:].split("/")[0]
    # The manifest names each access point's group (its name may carry registry.access_point_prefix).
    point = next((t for t, entry in policies.access_points.items() if entry.get("model_group") == group), None)
    if point is None:
        return ""
    key = resource[len(policies.bucket_arn) + 1:]
    return (f"s3_layout is access_points: the group's grants are on its access point; "
            f"ask about {point}/object/{key} for a request through it")


def _value(value) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def format_explained(result: Explained, policies_dir: str) -> str:
    """Human-readable lines: verdict, reason, each policy and its statements."""
    decision = result.decision
    prefix = policies_dir.rstrip("/") + "/" if policies_dir else ""
    verdict = result.allowed
    why = decision.reason if not result.guardrails else "explicit deny by an organization guardrail"
    lines = [  # the verdict and what decided it first (issue 31: one-line answers)
        f"{'ALLOW' if verdict else 'DENY'}: {result.action} on {result.resource}: {why}",
        f"  principal: {result.principal}",
        f"  why: {why}",
    ]
    if result.guardrails is not None:
        if result.guardrails:
            lines.append("  organization guardrails (SCP/RCP, evaluated first; a deny ends the request):")
            lines += [f"    Deny {label.rpartition(':')[2]} ({prefix}{label.rpartition(':')[0]})" for label in result.guardrails]
        else:
            lines.append("  organization guardrails: no SCP or RCP statement denies it (every organization principal "
                         "assumed under the attached OUs)")
    if result.resource == ANY_RESOURCE:
        lines.append('  a call on Resource "*" (an action that takes no resource type): no resource policy applies, '
                     "the identity policy alone decides")
    elif result.cross_account:
        lines.append("  cross-account call: the identity policy AND the resource policy must allow; a Deny in either wins")
    else:
        lines.append("  same-account call: either policy may allow; a Deny in either wins")
    for half in ("identity", "resource"):
        consulted = [src for h, src in decision.consulted if h == half]
        if not consulted:
            what = ("a role of the registry account: its own IAM, not rendered here, governs it; evaluated with "
                    "no identity policy" if half == "identity"
                    else "no rendered resource policy governs this resource")
            lines.append(f"  {half} policy: none ({what})")
            continue
        if half == "identity" and consulted == [UNKNOWN_IDENTITY_SOURCE]:
            lines.append("  identity policy: unknown (this role's identity policy is not rendered by this tool; "
                         "as IAM Access Analyzer does, it is assumed to allow, so the registry's resource "
                         "policies alone decide)")
            continue
        for source in consulted:
            shown = source if source.startswith(("copy of", "supplied")) else prefix + source
            matches = [m for m in decision.matches if m.policy == half and m.source == source]
            if not matches:
                lines.append(f"  {half} policy {shown}: no statement applies")
                continue
            lines.append(f"  {half} policy {shown}:")
            lines += [f"    {m.effect} {m.sid}" for m in matches]
    if result.hint:
        lines.append(f"  note: {result.hint}")
    context = ", ".join(f"{k}={_value(v)}" for k, v in sorted(result.context.items()))
    lines.append(f"  request context: {context}")
    return "\n".join(lines) + "\n"
