"""The ``prove`` benchmark: a synthetic organization (benchmarks/synth.py),
rendered, then proven, whole or a seeded sample of its groups.

    python -m benchmarks.prove 100 1000 --work /tmp/prove-bench [--sample 20] [--jobs 2]

Prints the time to read the render, the solver time (and per group) and
the results by status. Not a timed test: docs/benchmarks.md records runs.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("accounts", type=int)
    parser.add_argument("groups", type=int)
    parser.add_argument("--work", type=Path, required=True, help="directory for accounts.yaml and the render")
    parser.add_argument("--sample", type=int, default=0, help="prove this many groups (seeded), 0: all")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()

    from benchmarks import synth
    from generator.analysis.policyset import PolicySet
    from generator.analysis.prove.run import prove
    from generator.config import load_config
    from generator.render import render
    from generator.writer import write

    config_path = args.work / "accounts.yaml"
    out = args.work / "accounts"
    if not (out / "manifest.json").is_file():
        args.work.mkdir(parents=True, exist_ok=True)
        config_path.write_text(synth.build(args.accounts, args.groups))
        write(out, render(load_config(config_path)))
    config = load_config(config_path)
    started = time.perf_counter()
    policies = PolicySet.from_dir(out)
    read = time.perf_counter() - started
    groups = sorted(config.model_groups)
    if args.sample:
        random.Random(34).shuffle(groups)
        groups = sorted(groups[: args.sample])
    report = prove(config, policies, groups, jobs=args.jobs, paths=(str(config_path), str(out)))
    counts: dict[str, int] = {}
    for result in report.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    print(f"{args.accounts} accounts x {args.groups} groups: read {read:.1f} s; proved {len(groups)} groups in "
          f"{report.seconds:.1f} s ({report.seconds / len(groups):.2f} s per group, {args.jobs} job(s)); {counts}")
    for result in report.failed + report.not_proven:
        print(f"  {result.status}: {result.group}: {result.title} {result.reason}")


if __name__ == "__main__":
    main()
