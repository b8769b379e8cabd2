"""bucket-tls: the bucket denies requests without TLS, on itself and its objects."""

from __future__ import annotations

import fnmatch

from generator.lint.model import Hit, PolicyFile, as_list, principal_values, rule


def _denies_plain_http(stmt: dict) -> bool:
    """A Deny of every S3 action for everyone whose only condition is aws:SecureTransport = false."""
    if stmt.get("Effect") != "Deny" or "*" not in principal_values(stmt):
        return False
    if not any(a in ("*", "s3:*") for a in as_list(stmt.get("Action"))):
        return False
    condition = stmt.get("Condition") or {}
    if set(condition) != {"Bool"} or [k.lower() for k in condition["Bool"]] != ["aws:securetransport"]:
        return False
    values = as_list(next(iter(condition["Bool"].values())))
    return [str(v).lower() for v in values] == ["false"]


@rule(
    "bucket-tls", "error",
    "The bucket policy denies every S3 action without TLS (aws:SecureTransport = false) on the bucket and on its objects",
    category="security",
    fix="Re-render: the generator's DenyInsecureTransport statement covers both ARNs.",
)
def bucket_tls(policy: PolicyFile, ctx):
    """Model artifacts are code that endpoints run: they must never travel
    in clear text. The deny must cover the bucket ARN (ListBucket and
    bucket-level calls) and bucket/* (objects); the condition must be the
    only one, because extra conditions in the same statement would narrow
    the deny to fewer requests."""
    if policy.facts is None or not policy.facts.denies_insecure_transport:
        return
    guards = [s for s in policy.statements() if _denies_plain_http(s)]
    for arn in (policy.target, f"{policy.target}/*"):
        if not any(fnmatch.fnmatchcase(arn, r) for s in guards for r in as_list(s.get("Resource"))):
            yield Hit(f"no statement denies requests without TLS on {arn}")
