"""Who can do what, asked of the rendered files with generator/analysis/evaluate.py.

Each half of a cross-account grant is judged alone: the registry's
resource policy as if the caller's identity policy allowed everything, and
the caller's identity policy as if the resource policy allowed everything.
A promise such as "consumers never write artifacts" holds only if BOTH
halves refuse: the caller's account administers its own IAM, and the
registry's policies must not rely on it (nor the other way round).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


from generator.access import party_members
from generator.arns import Arns
from generator.analysis.evaluate import Policy, Request, allowing_statements, lowered_context, with_defaults
from generator import kinds
from generator.lint.model import IDENTITY_POLICY_KINDS, TRUST_POLICY_KINDS, LintContext, PolicyFile
from generator.analysis.policyset import ActionIndex, PolicyIndex, access_point_condition
from generator.analysis.principals import named_accounts

ALLOW_ALL_IDENTITY = Policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
ALLOW_ALL_RESOURCE = Policy({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
STATUSES = (None, "PendingManualApproval", "Approved", "Rejected")


# The resource policies PolicyIndex resolves a request to: the registry's,
# and the roles' trust policies (an event bus policy decides no registry request).
INDEXED_KINDS = kinds.names(lambda kind: kind.registry_side or kind.role == kinds.TRUST)


def _delegates(policy: PolicyFile) -> bool:
    """A bucket policy that may hand its decisions to the account's access points."""
    return policy.facts is not None and policy.facts.delegates


@dataclass(frozen=True)
class Grantor:
    path: str
    sid: str


def governing(policy: PolicyFile) -> dict:
    """A resource policy as evaluated on its target: a role trust policy has
    no Resource element, it applies to its role (see PolicySet.governing_document)."""
    if policy.kind not in TRUST_POLICY_KINDS:
        return policy.document
    return {**policy.document,
            "Statement": [{**s, "Resource": policy.target} for s in policy.statements()]}


def _named_accounts(reduced: dict, direct_bucket: bool = False) -> frozenset[str] | None:
    """Accounts the Allow statements of a (reduced) resource policy can name,
    or None when any account may match (generator/analysis/principals.py,
    the report's answer too). A role of another account cannot be allowed
    by it: no need to evaluate. ``direct_bucket``: the bucket policy governs
    only requests on the bucket itself here (a request through an access
    point is governed by that access point's policy), so an Allow
    conditioned on s3:DataAccessPoint* never applies."""
    return named_accounts(reduced["Statement"], access_point_condition if direct_bucket else None)


def action_index(policy: PolicyFile) -> ActionIndex:
    """The policy's statements by action, built once per policy file."""
    index = policy.__dict__.get("_action_index")
    if index is None:
        index = policy.__dict__["_action_index"] = ActionIndex(governing(policy))
    return index


class Prober:
    def __init__(self, ctx: LintContext):
        self.ctx = ctx
        self.arns = Arns.of(ctx.config)
        self.resource_policies = list(
            ctx.well_formed(*INDEXED_KINDS)
        )
        self.identity_policies = list(ctx.well_formed(*IDENTITY_POLICY_KINDS))
        self._named_cache: dict[int, frozenset[str] | None] = {}  # keyed by id() of cached reduced policies
        # Identity policies by the account of their target (role ARN or pattern).
        self._identity_by_account: dict[str, list[PolicyFile]] = {}
        self._identity_any_account: list[PolicyFile] = []
        for policy in self.identity_policies:
            parts = policy.target.split(":")
            account = parts[4] if len(parts) > 4 else "*"
            if any(c in account for c in "*?[") or not account:
                self._identity_any_account.append(policy)
            else:
                self._identity_by_account.setdefault(account, []).append(policy)
        entries = [p.entry for p in self.resource_policies]
        present = {e["kind"] for e in entries}
        # Without a bucket and a key policy (a broken render) nothing is resolved;
        # the manifest and structure rules report what is missing.
        needed = {kinds.governing("bucket").name, kinds.governing("key").name}
        self.index = PolicyIndex(entries) if needed <= present else None

    # --- who --------------------------------------------------------------
    def roles(self, group: str, party: str) -> list[str]:
        """Role ARNs of a party; a * in a role entry becomes a sample name."""
        members = party_members(self.ctx.config, self.arns, self.ctx.config.party_accounts(group, party))
        return [arn.replace("*", "probe").replace("?", "x") for arn in members.role_arns]

    # --- what -------------------------------------------------------------
    def context(self, group: str, status: str | None) -> dict:
        """A request that passes every guard a legitimate caller passes."""
        cache = self.__dict__.setdefault("_context_cache", {})
        if (group, status) not in cache:
            cache[(group, status)] = self._context(group, status)
        return cache[(group, status)]

    def _context(self, group: str, status: str | None) -> dict:
        context = {
            "aws:SecureTransport": "true",
            "aws:ResourceAccount": self.arns.registry_id,
            "s3:prefix": self.arns.group_prefix(group),
            "s3:x-amz-server-side-encryption": "aws:kms",
            "kms:ViaService": self.arns.via_service("s3"),
            "kms:ResourceAliases": [self.arns.alias],
        }
        if self.ctx.config.organization_id:
            context["aws:PrincipalOrgID"] = self.ctx.config.organization_id
        if status:
            context["sagemaker:ModelApprovalStatus"] = status
        return context

    def _resource_policy(self, resource: str) -> PolicyFile | None:
        """The registry policy governing ``resource``, resolved the way the
        tests, the report and explain resolve it (generator/analysis/policyset.py)."""
        if self.index is None:
            return None
        cache = self.__dict__.setdefault("_resource_cache", {})
        if resource not in cache:
            entry = self.index.resource_entry(resource)
            cache[resource] = self.ctx.policy(entry["path"]) if entry else None
        return cache[resource]

    def _identity_of(self, role_arn: str) -> list[PolicyFile]:
        """The identity policies attached to the role (by target pattern), once per role."""
        cache = self.__dict__.setdefault("_identity_cache", {})
        found = cache.get(role_arn)
        if found is None:
            account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
            candidates = self._identity_by_account.get(account, []) + self._identity_any_account
            if self._identity_any_account:
                candidates = sorted(candidates, key=self.identity_policies.index)
            found = cache[role_arn] = [p for p in candidates if fnmatch.fnmatchcase(role_arn, p.target)]
        return found

    def candidates(self, roles: list[str], resource: str, actions: list[str]) -> list[str]:
        """The roles (in the given order) that :meth:`grantors` could find a
        statement for, for one of ``actions`` on ``resource``: those an Allow
        of the resource policy can name, and those whose identity policies
        have an Allow for one of the actions. For every other role grantors
        is empty, so a rule asking many roles about many resources asks only
        these."""
        named: set[str] | frozenset[str] | None = frozenset()
        policy = self._resource_policy(resource)
        if policy is not None:
            named = self._named_for(policy, tuple(actions))
        cache = self.__dict__.setdefault("_identity_may_allow", {}).setdefault(tuple(actions), {})
        out = []
        for role in roles:
            if named is None or role.split(":")[4] in named:
                out.append(role)
                continue
            found = cache.get(role)
            if found is None:
                found = cache[role] = any(action_index(p).for_action(a) is not None
                                          for p in self._identity_of(role) for a in actions)
            if found:
                out.append(role)
        return out

    def _named_for(self, policy: PolicyFile, actions: tuple[str, ...]) -> frozenset[str] | None:
        """The accounts an Allow of ``policy`` for one of ``actions`` can name
        (None: any account), once per (policy, actions): every group's
        objects share the bucket policy, and each party of a group asks the
        same policy about the same actions."""
        cache = self.__dict__.setdefault("_named_for_cache", {})
        key = (policy.path, actions)
        if key in cache:
            return cache[key]
        # The union over the actions of what each reduced policy names is
        # what the statements of all of them name together: _named_accounts
        # is a union over Allow statements (None if any names every account).
        if not actions:
            cache[key] = frozenset()
            return cache[key]
        statements = action_index(policy).statements_for(actions)
        cache[key] = result = _named_accounts({"Statement": statements}, _delegates(policy))
        return result

    def grantors(self, role_arn: str, action: str, resource: str, context: dict) -> list[Grantor]:
        """Statements that let the role do it, in either half judged alone.

        Raises ValueError when a policy uses a condition operator the
        evaluator does not model.
        """
        found: list[Grantor] = []
        halves: list[tuple[PolicyFile, dict, str]] = []
        policy = self._resource_policy(resource)
        if policy is not None:
            reduced = action_index(policy).for_action(action)
            if reduced is not None:
                named = self._named_cache.get(id(reduced), False)
                if named is False:
                    named = self._named_cache[id(reduced)] = _named_accounts(
                        reduced, _delegates(policy))
                if named is None or role_arn.split(":")[4] in named:
                    halves.append((policy, reduced, "resource"))
        for policy in self._identity_of(role_arn):
            reduced = action_index(policy).for_action(action)
            if reduced is not None:
                halves.append((policy, reduced, "identity"))
        if not halves:
            return found
        # Each half is judged with the other half allowing everything
        # (ALLOW_ALL_IDENTITY, ALLOW_ALL_RESOURCE: no Deny, every principal,
        # action and resource). Then, by evaluate.decide's logic in the same
        # account and across accounts alike, the request is allowed exactly
        # when no Deny of the judged policy applies, and the statements that
        # let the role do it are that policy's applying Allows. Asked here
        # directly, once per request (tests/test_lint_probe.py compares it
        # with decide).
        request = with_defaults(Request(role_arn, action, resource, dict(context)))
        lowered = lowered_context(request.context)
        for policy, judged, half in halves:
            # A half's Allows, or none when one of its Denies applies (asked first).
            allows = allowing_statements(request, judged, half == "resource", half, lowered)
            found.extend(Grantor(policy.path, label.split(":", 1)[1]) for label in allows)
        return found
