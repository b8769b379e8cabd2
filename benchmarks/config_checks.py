"""Benchmark: the config checks on hostile inputs at the advertised limits.

Issue 30 found checks that took time quadratic in the input: 200,000 OU
ids in ``guardrails.attach_to`` or 200,000 unknown top-level keys over
120 s, 50,000 roles in one account 58.6 s. Each case here is built just
inside the loader's limits (8 MiB, 1,000,000 nodes) and timed at two sizes:
a linear check takes about 2x for 2x the input (a quadratic one 4x).

Usage: python -m benchmarks.config_checks [--scale 1.0]
This is a benchmark, not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import time

from generator.config import config_from_text
from generator.config.loader import MAX_BYTES
from generator.errors import ConfigError

BASE = """\
partition: aws
region: us-east-1
organization_id: o-a1b2c3d4e5
registry:
  account: shared-services
  artifact_bucket: acme-ml-model-artifacts
  kms_key_alias: alias/ml-model-artifacts
accounts:
  shared-services: {id: "111111111111", kind: registry}
  data-science:    {id: "222222222222", kind: development, roles: [SageMakerExecutionRole]}
  test:            {id: "444444444444", kind: workload, stage: test, roles: [SageMakerExecutionRole]}
  governance:      {id: "666666666666", kind: governance, roles: [ROLES]}
model_groups:
  credit-risk:
    description: Credit risk scoring model
    developers: [data-science]
    consumers: [test]
"""

CASES = {
    "guardrails.attach_to OU ids": (200_000, lambda n: BASE.replace("[ROLES]", "[ModelApproverRole]")
                                    + "guardrails:\n  attach_to: [" + ", ".join(f"ou-ab12-{i:08d}" for i in range(n)) + "]\n"),
    "unknown top-level keys": (200_000, lambda n: BASE.replace("[ROLES]", "[ModelApproverRole]")
                               + "".join(f"junk{i}: 1\n" for i in range(n))),
    "roles in one account": (50_000, lambda n: BASE.replace("[ROLES]", "[" + ", ".join(f"Role{i}" for i in range(n)) + "]")),
    "wildcard roles with paths": (50_000, lambda n: BASE.replace(
        "[ROLES]", "[" + ", ".join(f"team{i % 97}/sub/Role{i}*" for i in range(n)) + "]")),
}


def timed(text: str) -> float:
    assert len(text.encode()) <= MAX_BYTES, "the case must stay inside the loader's limits"
    start = time.perf_counter()
    try:
        config_from_text(text)
    except ConfigError:
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the sizes above")
    args = parser.parse_args()
    print("| case | n | seconds | n/2 seconds | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, (size, build) in CASES.items():
        n = max(2, int(size * args.scale))
        full, half = timed(build(n)), timed(build(n // 2))
        print(f"| {name} | {n:,} | {full:.2f} | {half:.2f} | {full / half:.1f} |", flush=True)


if __name__ == "__main__":
    main()
