"""Synthetic but realistic accounts.yaml files for the scale benchmark.

Shape of a large organization (deterministic for a given size):
- one registry account;
- ~1% deployment accounts (at least 1) and ~2% governance accounts (at least 1),
  used as the defaults for every group (deployers/approvers omitted);
- ~30% development accounts; each group has 1-3 developers;
- the rest workload accounts in test/prod pairs; each group has 1-3 pairs as consumers;
- SageMakerExecutionRole everywhere, plus an SSO data-scientist role in
  development accounts; 1 in 10 groups carries tags;
- one ECR repository per group, serving that group's images;
- a deploy role (deploy_role) in every workload account: the busiest one
  deploys about 140 groups, the most the deploy-role limits discuss
  (docs/limits.md, docs/deploy.md).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path


def account_id(n: int) -> str:
    return f"{100000000000 + n * 7919:012d}"


# Organizations shaped unlike the default one (issue 29), for ``build(**SHAPES[name])``
# and ``python -m benchmarks.run --shape NAME``:
SHAPES: dict[str, dict] = {
    "default": {},
    # many receivers: 20 deployment and 15 governance accounts, deployers and approvers omitted
    "receivers": {"deployers": 20, "governance": 15},
    # 3 stages, the last approved by every governance account (10), the others by one
    "stages3": {"deployers": 20, "governance": 10, "stage_count": 3},
    # 5 stages, the last approved by every governance account (20)
    "stages5": {"deployers": 20, "governance": 20, "stage_count": 5},
    # one workload pair consuming 300 groups (its deploy role's permissions)
    "busy-workload": {"consumed": 300},
    # one workload pair consuming 150 groups
    "busy-workload-150": {"consumed": 150},
}
STAGE_NAMES = {2: ["test", "prod"], 3: ["test", "uat", "prod"], 5: ["dev", "test", "uat", "preprod", "prod"]}


def build(accounts: int, groups: int, seed: int = 7, stages: bool = False, deployers: int | None = None,
          governance: int | None = None, stage_count: int | None = None, consumed: int = 0) -> str:
    """The default shape unless told otherwise: ``deployers`` / ``governance``
    accounts (default ~1% / ~2%), ``stage_count`` ModelLifeCycle stages (2, 3
    or 5: the last approved by every governance account, the others by the
    first one; ``stages=True`` is 2 stages both approved by all), and the
    first workload pair consuming the first ``consumed`` groups too."""
    rng = random.Random(seed * 1_000_003 + accounts * 31 + groups)
    n_deploy = deployers if deployers is not None else max(1, accounts // 100)
    n_gov = governance if governance is not None else max(1, accounts // 50)
    n_dev = max(1, (accounts - 1 - n_deploy - n_gov) * 3 // 10)
    n_work = max(2, accounts - 1 - n_deploy - n_gov - n_dev)
    n_work -= n_work % 2
    lines = [
        "partition: aws",
        "region: us-east-1",
        "organization_id: o-a1b2c3d4e5",
        "registry:",
        "  account: registry",
        "  artifact_bucket: acme-ml-model-artifacts",
        "  kms_key_alias: alias/ml-model-artifacts",
        "  s3_layout: access_points",
        "  access_point_prefix: mr-",
        "accounts:",
        f'  registry: {{id: "{account_id(0)}", kind: registry}}',
    ]
    n = 1
    deploy = []
    for i in range(n_deploy):
        name = f"deploy-{i:03d}"
        deploy.append(name)
        lines.append(f'  {name}: {{id: "{account_id(n)}", kind: deployment, roles: [ModelDeployPipelineRole]}}')
        n += 1
    for i in range(n_gov):
        lines.append(f'  gov-{i:03d}: {{id: "{account_id(n)}", kind: governance, roles: [ModelApproverRole]}}')
        n += 1
    devs = []
    for i in range(n_dev):
        name = f"ds-{i:03d}"
        devs.append(name)
        lines.append(
            f'  {name}: {{id: "{account_id(n)}", kind: development, roles: [SageMakerExecutionRole, '
            f'"aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*"]}}'
        )
        n += 1
    pairs = []
    for i in range(n_work // 2):
        pair = []
        for stage in ("test", "prod"):
            name = f"wl-{i:03d}-{stage}"
            pair.append(name)
            lines.append(f'  {name}: {{id: "{account_id(n)}", kind: workload, stage: {stage}, roles: [SageMakerExecutionRole]}}')
            n += 1
        pairs.append(pair)
    lines.append("model_groups:")
    for g in range(groups):
        lines.append(f"  model-{g:05d}:")
        lines.append(f"    description: Synthetic model {g}")
        developers = sorted(rng.sample(devs, min(len(devs), rng.randint(1, 3))))
        consumers = sorted(a for pair in rng.sample(pairs, min(len(pairs), rng.randint(1, 3))) for a in pair)
        if g < consumed:
            consumers = sorted(set(consumers) | set(pairs[0]))
        lines.append(f"    developers: [{', '.join(developers)}]")
        lines.append(f"    consumers: [{', '.join(consumers)}]")
        if g % 10 == 0:
            lines.append(f"    tags: {{team: team-{g % 37}, cost-center: cc-{g % 11}}}")
    # One ECR repository of inference images per group (docs/ecr.md).
    lines.append("ecr_repositories:")
    lines += [f"  model-{g:05d}-serving: {{model_groups: [model-{g:05d}]}}" for g in range(groups)]
    # The deployment pipeline's role in every workload account (docs/deploy.md).
    lines += ["deploy_role:", "  name: ModelDeployRole"]
    if stage_count is not None:
        # The stages, the workloads' test and prod among them; the last approved by every governance account.
        names = STAGE_NAMES[stage_count]
        lines.append("stages:")
        for name in names[:-1]:
            lines += [f"  - name: {name}", "    approvers: [gov-000]"]
        lines.append(f"  - name: {names[-1]}")
    elif stages:
        # The workload stages as ModelLifeCycle stages, approved by every governance account.
        lines += ["stages:", "  - name: test", "  - name: prod"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("accounts", type=int)
    parser.add_argument("groups", type=int)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="default")
    args = parser.parse_args()
    args.out.write_text(build(args.accounts, args.groups, **SHAPES[args.shape]))


if __name__ == "__main__":
    main()
