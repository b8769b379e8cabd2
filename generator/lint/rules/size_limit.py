"""size-limit: the file fits AWS's size limit for its kind."""

from __future__ import annotations

from generator import kinds, limits
from generator.lint.model import Hit, PolicyFile, rule


@rule(
    "size-limit", "error",
    "The policy fits its AWS size limit (S3 20,480 B; KMS 32,768 B; group 20,480 chars minified, as sent; "
    "ECR repository 10,240 chars; IAM managed 6,144 chars without whitespace; a role trust policy 2,048 chars "
    "or the quotas.role_trust_policy_length the config declares)",
    category="validity",
    fix="Split the grants: fewer groups or roles per policy, or shorter role lists; re-render.",
)
def size_limit(policy: PolicyFile, ctx):
    """An oversize policy is accepted by every local tool and rejected by
    AWS at apply time, halfway through a rollout. Render refuses to write
    one (generator/limits.py); lint measures the file as it is on disk, so
    a hand-edited or stale file is caught too. Identity policies are
    customer managed policies: 6,144 characters, whitespace not counted.
    The 10,240-character inline total per role does not apply, because we
    attach no inline policies. Group policies are measured minified: both
    `apply` and Terraform's provider send them so. A role trust policy is
    measured against the raised quota the config declares
    (`quotas.role_trust_policy_length`), else IAM's default."""
    kind = kinds.get(policy.kind)
    if kind is None:
        return
    size = limits.measure(policy.kind, policy.text)
    limit = kind.limit_for(ctx.config)  # a raised quota the config declares (quotas.role_trust_policy_length)
    if size > limit.size:
        if kind.quota_key:
            yield Hit(f"{limit.name} is {size:,} {limit.unit}, {kind.over_quota(size, ctx.config)}")
        else:
            yield Hit(f"{limit.name} is {size:,} {limit.unit}, over the AWS limit of {limit.size:,}")
