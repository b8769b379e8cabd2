"""manifest: manifest.json and the policy files agree."""

from __future__ import annotations

from collections import Counter


from generator import writer
from generator.lint.model import KINDS, Hit, rule


@rule(
    "manifest", "error",
    "Every policy file is listed in manifest.json once, with a known kind",
    category="validity",
    fix="Re-render with `make render` (it rewrites the manifest and removes stale files).",
    scope="set",
)
def manifest(ctx):
    """Lint, Terraform and the apply helper all find policies through the
    manifest: a file it does not list is neither checked nor deployed (and
    is usually left over from an old render), and an unknown kind has no
    size limit or attachment point."""
    listed = [p.path for p in ctx.policies]
    times = Counter(listed)
    for policy in ctx.policies:
        if policy.kind not in KINDS:
            yield Hit(f"unknown kind {policy.kind!r} (expected one of {', '.join(KINDS)})", path=policy.path)
        if times[policy.path] > 1:
            yield Hit("listed more than once in manifest.json", path=policy.path)
    on_disk = writer.existing_files(ctx.out, (writer.POLICY_FILES,))
    for path in sorted(on_disk - set(listed)):
        yield Hit("policy file is not listed in manifest.json: nothing checks or deploys it", path=path)
