"""Who can do what, asked of the rendered files with generator/evaluate.py.

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
from generator.evaluate import Request, decide
from generator.lint.model import LintContext, PolicyFile
from generator.policyset import PolicyIndex

ALLOW_ALL_IDENTITY = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ALLOW_ALL_RESOURCE = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
STATUSES = (None, "PendingManualApproval", "Approved", "Rejected")


@dataclass(frozen=True)
class Grantor:
    path: str
    sid: str


def governing(policy: PolicyFile) -> dict:
    """A resource policy as evaluated on its target: a role trust policy has
    no Resource element, it applies to its role (see PolicySet.governing_document)."""
    if policy.kind != "iam_role_trust_policy":
        return policy.document
    return {**policy.document,
            "Statement": [{**s, "Resource": policy.target} for s in policy.statements()]}


class Prober:
    def __init__(self, ctx: LintContext):
        self.ctx = ctx
        self.arns = Arns.of(ctx.config)
        self.resource_policies = list(
            ctx.well_formed("s3_bucket_policy", "s3_access_point_policy", "kms_key_policy", "model_package_group_policy",
                            "ecr_repository_policy", "iam_role_trust_policy")
        )
        self.identity_policies = list(ctx.well_formed("iam_role_policy"))
        entries = [p.entry for p in self.resource_policies]
        kinds = {e["kind"] for e in entries}
        # Without a bucket and a key policy (a broken render) nothing is resolved;
        # the manifest and structure rules report what is missing.
        self.index = PolicyIndex(entries) if {"s3_bucket_policy", "kms_key_policy"} <= kinds else None

    # --- who --------------------------------------------------------------
    def roles(self, group: str, party: str) -> list[str]:
        """Role ARNs of a party; a * in a role entry becomes a sample name."""
        members = party_members(self.ctx.config, self.arns, self.ctx.config.party_accounts(group, party))
        return [arn.replace("*", "probe").replace("?", "x") for arn in members.role_arns]

    # --- what -------------------------------------------------------------
    def context(self, group: str, status: str | None) -> dict:
        """A request that passes every guard a legitimate caller passes."""
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
        tests, the report and explain resolve it (generator/policyset.py)."""
        if self.index is None:
            return None
        entry = self.index.resource_entry(resource)
        return self.ctx.policy(entry["path"]) if entry else None

    def grantors(self, role_arn: str, action: str, resource: str, context: dict) -> list[Grantor]:
        """Statements that let the role do it, in either half judged alone.

        Raises ValueError when a policy uses a condition operator the
        evaluator does not model.
        """
        request = Request(role_arn, action, resource, dict(context))
        found: list[Grantor] = []
        halves: list[tuple[PolicyFile, list, dict | None, str]] = []
        policy = self._resource_policy(resource)
        if policy is not None:
            halves.append((policy, [ALLOW_ALL_IDENTITY], governing(policy), "resource"))
        for policy in self.identity_policies:
            if fnmatch.fnmatchcase(role_arn, policy.target):
                halves.append((policy, [policy.document], ALLOW_ALL_RESOURCE, "identity"))
        for policy, identity, resource_policy, half in halves:
            account = self.index.resource_account(resource) if self.index else self.arns.registry_id
            decision = decide(request, identity, resource_policy, account)
            if decision.allowed:
                allows = decision.resource_allows if half == "resource" else decision.identity_allows
                found.extend(Grantor(policy.path, label.split(":", 1)[1]) for label in allows)
        return found
