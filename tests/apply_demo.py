"""``make apply-demo``: apply --dry-run, apply, apply --check against a local AWS.

Offline and self-contained: starts moto's server with the policy-call
extension (generator/apply/localaws.py) on 127.0.0.1 at a random port, seeds it like a
registry that drifted (credit-risk exists with an out-of-band policy,
churn-predictor does not exist yet), runs the real CLI as subprocesses with
throw-away credentials (dry run, apply, check, then the emergency rollback
to the hand-written policy: --restore refused because it fails lint, then
allowed with --restore-unlinted, then --check reporting the drift), prints
what each printed and which write calls the server saw, then stops the
server. Exits non-zero if any step's exit code is not the expected one.

``--config`` (default accounts.yaml) and ``--work`` (default
build/apply-demo) let the test suite (tests/test_demos.py) run it on the
example fixture in a temporary directory; the demo seeds group credit-risk
in registry account 111111111111, as the example has them.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
from generator.apply.localaws import LocalAws  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "apply-demo"
CONFIG = ROOT / "accounts.yaml"
REGISTRY = "111111111111"
REGION = "us-east-1"


def offline_env() -> dict[str, str]:
    """Throw-away credentials; no profile, shared file or instance metadata."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="demo-access-key",
        AWS_SECRET_ACCESS_KEY="demo-secret-key",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def drifted_policy() -> str:
    """credit-risk's rendered policy as someone changed it by hand: one grant
    gone, a broad one added, statements and lists shuffled (no diff for that)."""
    from generator.config import load_config
    from generator.render import build_policies

    config = load_config(CONFIG)
    rendered = next(p for p in build_policies(config) if p.extra.get("model_group") == "credit-risk")
    doc = copy.deepcopy(rendered.document)
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "ApproversApproveVersions"]
    doc["Statement"].reverse()
    for statement in doc["Statement"]:
        statement["Action"] = list(reversed(statement["Action"]))
    doc["Statement"].append({
        "Sid": "LegacyFullAccess",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
        "Action": "sagemaker:*",
        "Resource": f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/credit-risk/*",
    })
    return json.dumps(doc)


def seed(endpoint_url: str) -> None:
    env = offline_env()
    base = boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=REGION)
    creds = base.client("sts", endpoint_url=endpoint_url).assume_role(
        RoleArn=f"arn:aws:iam::{REGISTRY}:role/OrganizationAccountAccessRole", RoleSessionName="demo-seed"
    )["Credentials"]
    sagemaker = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=REGION,
    ).client("sagemaker", endpoint_url=endpoint_url)
    sagemaker.create_model_package_group(ModelPackageGroupName="credit-risk",
                                         ModelPackageGroupDescription="Credit risk scoring model")
    sagemaker.put_model_package_group_policy(ModelPackageGroupName="credit-risk", ResourcePolicy=drifted_policy())


def step(aws: LocalAws, title: str, extra: list[str], expected: int) -> bool:
    before = len(aws.api.writes())
    argv = ["python", "-m", "generator", "apply", "--config", _shown(CONFIG),
            "--endpoint-url", aws.endpoint_url, "--backup-dir", _shown(WORK / "backups"), *extra]
    print(f"\n=== {title}\n$ {' '.join(argv)}", flush=True)
    proc = subprocess.run([sys.executable, *argv[1:]], cwd=ROOT, env=offline_env(), capture_output=True,
                          text=True, timeout=300)
    sys.stdout.write(proc.stdout)
    sys.stdout.write(proc.stderr)
    writes = [f"{c.operation}({c.group})" for c in aws.api.writes()[before:]]
    print(f"[exit code {proc.returncode}; write calls the server saw: {', '.join(writes) or 'none'}]", flush=True)
    if proc.returncode != expected:
        print(f"!! expected exit code {expected}", flush=True)
        return False
    return True


def _shown(path: Path) -> str:
    """A path as a reader would type it: relative to the checkout when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _backup_of(group: str) -> str:
    [path] = (WORK / "backups").glob(f"*-{group}.json")
    return _shown(path)


def main(argv: list[str] | None = None) -> int:
    global CONFIG, WORK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=CONFIG, help="accounts.yaml to demonstrate")
    parser.add_argument("--work", type=Path, default=WORK, help="directory for the backups (emptied first)")
    args = parser.parse_args(argv)
    CONFIG, WORK = args.config.resolve(), args.work.resolve()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    with LocalAws() as aws:
        print(f"local AWS (moto + policy calls) at {aws.endpoint_url}; registry account {REGISTRY}")
        seed(aws.endpoint_url)
        print("seeded: credit-risk exists with a hand-edited policy; churn-predictor does not exist")
        ok = (
            step(aws, "1. dry run: what would change (nothing is written)", ["--dry-run"], 0)
            and step(aws, "2. apply", [], 0)
            and step(aws, "3. check: exit 0 when everything matches (a second apply writes nothing)", ["--check"], 0)
            and step(aws, "4. roll credit-risk back to its hand-written policy: refused, it fails lint (exit 2)",
                     ["--restore", _backup_of("credit-risk"), "--dry-run"], 2)
            and step(aws, "5. the same rollback, lint overridden by name (dry run)",
                     ["--restore", _backup_of("credit-risk"), "--restore-unlinted", "--dry-run"], 0)
            and step(aws, "6. the emergency rollback (the override is recorded in the backup it writes first)",
                     ["--restore", _backup_of("credit-risk"), "--restore-unlinted"], 0)
            and step(aws, "7. check: exit 1, credit-risk drifts from the render again", ["--check"], 1)
        )
    print("\nlocal AWS stopped; backups are in", _shown(WORK / "backups"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
