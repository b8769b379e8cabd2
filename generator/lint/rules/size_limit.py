"""size-limit: the file fits AWS's size limit for its kind."""

from __future__ import annotations

from generator import limits
from generator.lint.model import Hit, PolicyFile, rule


@rule(
    "size-limit", "error",
    "The policy fits its AWS size limit (S3 20,480 B; KMS 32,768 B; group 20,480 chars; ECR repository 10,240 chars; "
    "IAM managed 6,144 chars without whitespace)",
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
    attach no inline policies."""
    over = limits.check(policy.kind, policy.text)
    if over:
        size, limit = over
        yield Hit(f"{limit.name} is {size:,} {limit.unit}, over the AWS limit of {limit.size:,}")
