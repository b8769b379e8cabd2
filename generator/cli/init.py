"""``init``: a starting accounts.yaml for a new organization (README, "Start your own").

Asks nothing: the organization id, the registry account's id and the
region are flags, so the file renders at once with the user's real ids
(placeholders would render policies naming accounts that do not exist).
It holds the registry account and nothing of the worked example: the other
accounts and the model groups are comments to fill in. Every value is
written as a double-quoted YAML scalar (``json.dumps``, which YAML reads
as the same string), so no flag can add a key or a line, and the text is
validated by the config model before anything is written: a bad value is
one line naming its flag, exit 2, nothing written. An existing file, or a
link, at ``--out`` is never overwritten (created with O_EXCL).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from generator.cli.common import EXIT_BAD_INPUT
from generator.errors import ConfigError, each_error, one_line

EXAMPLES = """examples:
  %(prog)s --organization-id o-a1b2c3d4e5 --registry-account 123456789012 --region eu-west-1
  %(prog)s ... --out org/accounts.yaml --bucket acme-model-artifacts   # another file, your bucket name"""

# The config key each flag fills: an error on the key is reported on the flag.
_FLAGS = {
    "organization_id": "--organization-id",
    "region": "--region",
    "partition": "--partition",
    "registry.account": "--registry-name",
    "registry.artifact_bucket": "--bucket",
    "registry.kms_key_alias": "--key-alias",
}


def add_parser(sub) -> None:
    init = sub.add_parser("init", help="write a starting accounts.yaml for a new organization (never overwrites)",
                          epilog=EXAMPLES)
    init.add_argument("--organization-id", required=True, metavar="o-...",
                      help="your AWS Organizations id (aws organizations describe-organization)")
    init.add_argument("--registry-account", required=True, metavar="ACCOUNT_ID",
                      help="12-digit id of the account that holds the registry, its bucket and key")
    init.add_argument("--region", required=True, help="the registry's region, e.g. eu-west-1")
    init.add_argument("--partition", default="aws", help="aws (default), aws-us-gov or aws-cn")
    init.add_argument("--registry-name", default="registry", metavar="NAME",
                      help="the registry account's name in accounts.yaml (default: registry)")
    init.add_argument("--bucket", default=None, metavar="NAME",
                      help="artifact bucket name (default: model-registry-artifacts-ACCOUNT_ID-REGION; "
                           "bucket names are global)")
    init.add_argument("--key-alias", default="alias/model-registry-artifacts",
                      help="alias of the artifact KMS key (default: alias/model-registry-artifacts)")
    init.add_argument("--out", type=Path, default=Path("accounts.yaml"),
                      help="file to write (default: accounts.yaml); refused if anything exists there")
    init.set_defaults(func=_init)


def text(args: argparse.Namespace) -> str:
    """The starting accounts.yaml for the flags' values."""
    bucket = args.bucket if args.bucket is not None else f"model-registry-artifacts-{args.registry_account}-{args.region}"
    q = json.dumps  # a double-quoted YAML scalar: the same string, nothing more
    # Flag values appear only as quoted scalars, never in a comment (a line break there would start a key).
    return f"""# A starting accounts.yaml, written by `mrpolicy init`.
# Every key: docs/reference.md. Editors complete and check this file with the
# schema from `mrpolicy schema --out accounts.schema.json` (docs/report.md).
partition: {q(args.partition)}
region: {q(args.region)}
organization_id: {q(args.organization_id)}

registry:
  account: {q(args.registry_name)}
  artifact_bucket: {q(bucket)}
  kms_key_alias: {q(args.key_alias)}

# Every account around the registry: its 12-digit id (quoted), its kind and
# the roles that receive grants (docs/grants.md). Uncomment and fill in:
accounts:
  {q(args.registry_name)}: {{id: {q(args.registry_account)}, kind: registry}}
  # data-science: {{id: "ACCOUNT_ID", kind: development, roles: [SageMakerExecutionRole]}}
  # deployment:   {{id: "ACCOUNT_ID", kind: deployment,  roles: [ModelDeployPipelineRole]}}
  # prod:         {{id: "ACCOUNT_ID", kind: workload, stage: prod, roles: [SageMakerExecutionRole]}}
  # governance:   {{id: "ACCOUNT_ID", kind: governance, roles: [ModelApproverRole]}}

# The model package groups and who develops, consumes, deploys and approves
# each (docs/reference.md). Replace {{}} with your groups:
model_groups: {{}}
#  credit-risk:
#    description: Credit risk scoring model
#    developers: [data-science]
#    consumers: [prod]

# Optional sections, each on its own docs page: deploy_role (docs/deploy.md),
# stages (docs/stages.md), ecr_repositories (docs/ecr.md), guardrails
# (docs/guardrails.md), terraform (docs/terraform.md: without it each root
# uses the ambient credentials of its account, never an administrator role).
"""


def _init(args: argparse.Namespace) -> int:
    from generator.config import config_from_text

    content = text(args)
    try:
        config = config_from_text(content)
    except ConfigError as exc:
        for error in each_error(exc):
            flag = _flag(error.key, args.registry_name)
            print(f"error: {flag}: {one_line(error.message)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if (config.organization_id, config.region, config.registry_account.id) != (
            args.organization_id, args.region, args.registry_account):  # the quoting keeps every value as given
        print("error: init: the written file would not say what the flags say", file=sys.stderr)
        return EXIT_BAD_INPUT
    out: Path = args.out
    if not out.parent.is_dir():
        print(f"error: --out: {out.parent} is not a directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        # O_EXCL: refused if anything, a dangling link included, is at --out.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except FileExistsError:
        print(f"error: --out: {out} exists; init never overwrites a file: choose another --out", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"error: --out: cannot create {out}: {one_line(exc.strerror or str(exc))}", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    print(f"wrote {out}: the registry account {args.registry_account} in {args.region}, organization "
          f"{args.organization_id}. Add your accounts and model groups, then "
          f"`mrpolicy render --config {out} --out terraform/accounts` (docs/reference.md)")
    return 0


def _flag(key: str, registry_name: str) -> str:
    """The flag whose value a config error is about."""
    if key in _FLAGS:
        return _FLAGS[key]
    if key.startswith(f"accounts.{registry_name}"):
        return "--registry-account" if key.endswith(".id") else "--registry-name"
    return key or "init"
