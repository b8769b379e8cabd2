"""``make bench-status``: ``status`` over a large registry on the local AWS server.

Seeds moto's SageMaker backend in this process with GROUPS groups × VERSIONS
versions (directly: moto's own create call scans every package, which is
quadratic at 100,000 versions), a quarter of them at each lifecycle stage,
serves it over HTTP with generator/apply/localaws.py on 127.0.0.1, and runs the real
``python -m generator status --format json --out FILE`` as a child process.
Measures the child's wall time and peak resident memory (ru_maxrss), counts
the calls the server answered by operation, and checks that the output holds
every version. The server shares this machine's cores with the client: the
time is an upper bound for a remote registry with the same call count.

    python -m benchmarks.status --groups 10000 --versions 10 [--workers 8] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from generator.apply.localaws import LocalAws  # noqa: E402

CONFIG = ROOT / "tests" / "fixtures" / "workflow.yaml"
REGISTRY = "111111111111"
REGION = "us-east-1"
LIFECYCLES = [None, {"Stage": "Development", "StageStatus": "PendingApproval"},
              {"Stage": "QA", "StageStatus": "Approved"}, {"Stage": "Prod", "StageStatus": "Approved"}]


def seed(groups: int, versions: int) -> None:
    from moto.sagemaker.models import ModelPackage, ModelPackageGroup, sagemaker_backends

    backend = sagemaker_backends[REGISTRY][REGION]
    for g in range(groups):
        name = f"model-{g:05d}"
        backend.model_package_groups[name] = ModelPackageGroup(
            model_package_group_name=name, model_package_group_description="benchmark", account_id=REGISTRY,
            region_name=REGION, tags=None)
        for v in range(1, versions + 1):
            package = ModelPackage(
                model_package_name=name, model_package_group_name=name, model_package_version=v,
                model_package_description=None, inference_specification=None, source_algorithm_specification=None,
                validation_specification=None, certify_for_marketplace=False,
                model_approval_status="PendingManualApproval", metadata_properties=None, model_metrics=None,
                approval_description=None, customer_metadata_properties=None, drift_check_baselines=None,
                domain=None, task=None, sample_payload_url=None, additional_inference_specifications=None,
                client_token=None, region_name=REGION, account_id=REGISTRY, model_package_type="Versioned")
            life = LIFECYCLES[(g + v) % len(LIFECYCLES)]
            if life:
                package.model_life_cycle = dict(life)
            backend.model_packages[package.arn] = package
            backend.model_package_name_mapping[package.arn] = package.arn


def run(groups: int, versions: int, workers: int) -> dict:
    with LocalAws() as aws:
        started = time.perf_counter()
        seed(groups, versions)
        seeded = time.perf_counter() - started
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="bench-access-key", AWS_SECRET_ACCESS_KEY="bench-secret-key",
                   AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   AWS_EC2_METADATA_DISABLED="true")
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "status.json"
            argv = [sys.executable, "-m", "generator", "status", "--config", str(CONFIG), "--endpoint-url",
                    aws.endpoint_url, "--format", "json", "--out", str(out), "--workers", str(workers)]
            aws.api.calls.clear()
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            started = time.perf_counter()
            proc = subprocess.run(argv, cwd=ROOT, env=env, text=True, capture_output=True)
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            if proc.returncode != 0:
                raise SystemExit(f"status failed (exit {proc.returncode}): {proc.stderr.strip()}")
            doc = json.loads(out.read_text())
            size = out.stat().st_size
        found = sum(len(g["versions"]) for g in doc["groups"])
        if len(doc["groups"]) != groups or found != groups * versions:
            raise SystemExit(f"status read {len(doc['groups'])} groups and {found} versions, "
                             f"expected {groups} and {groups * versions}")
        calls = aws.api.operations()
        throttled = sum(1 for c in aws.api.calls if c.status == 400)
    return {"groups": groups, "versions": versions, "workers": workers, "seconds": seconds,
            "peak_mib": max(peak, before) / 1024, "calls": sum(calls.values()), "by_operation": dict(calls),
            "calls_per_second": sum(calls.values()) / seconds, "json_bytes": size, "seed_seconds": seeded,
            "errors_answered": throttled}


def markdown(results: list[dict]) -> str:
    lines = ["| groups × versions | workers | time | calls | calls/s | peak memory (client) | JSON written |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        ops = ", ".join(f"{k} {v:,}" for k, v in sorted(r["by_operation"].items()))
        lines.append(f"| {r['groups']:,} × {r['versions']} | {r['workers']} | {r['seconds']:.1f} s | "
                     f"{r['calls']:,} ({ops}) | {r['calls_per_second']:.0f} | {r['peak_mib']:.0f} MiB | "
                     f"{r['json_bytes'] / 1e6:.1f} MB |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, action="append", help="groups (repeatable; default 10000)")
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--markdown", action="store_true", help="print the table of docs/benchmarks.md")
    args = parser.parse_args()
    results = []
    for groups in args.groups or [10000]:
        result = run(groups, args.versions, args.workers)
        print(json.dumps(result, sort_keys=True), file=sys.stderr, flush=True)
        results.append(result)
    if args.markdown:
        print(markdown(results), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
