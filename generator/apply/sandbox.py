"""``mrpolicy sandbox``: the local AWS (generator/apply/localaws.py) serving the
user's own organization, so ``status``, ``promote`` and ``apply`` can be tried
without AWS (docs/sandbox.md).

It reads ``accounts.yaml`` and the render in ``--policies``, starts the
local server on 127.0.0.1, and then, over HTTP like any client: creates
every model package group of the config (with its description and tags),
puts each group's rendered policy, and registers ``--versions`` versions per
group (with ``stages:``, in the first stage ``PendingApproval``). It prints
the endpoint and the environment lines that point the AWS SDKs and the
commands at it, and serves until Ctrl-C (or SIGTERM): exit 0, nothing kept,
nothing written.

The credentials it prints are an access key of a local IAM user in the
registry account, so commands find themselves in the registry account with
or without assuming ``apply:``'s role. moto has no cross-account SageMaker:
every call is answered as the registry account would answer its own
callers; the stage gates between accounts are the rendered policies' job
and ``explain`` answers them offline.
"""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
READY = "sandbox ready"  # the line a script waits for
MAX_VERSIONS = 20
REGISTRAR_ROLE = "sandbox-registration"  # who registers the seeded versions (a role in the registry account)


class BadInput(Exception):
    """One line, exit 2, nothing started."""


class Failed(Exception):
    """One line, exit 1: the server could not start or answer."""


@dataclass(frozen=True)
class Options:
    config: Path
    policies: Path
    port: int = 0
    versions: int = 2


def group_policies(config, config_path: Path, policies: Path) -> dict[str, str]:
    """{group: rendered policy text} from the render in ``policies``: exactly
    the config's groups, each policy sendable (JSON, within the limit)."""
    from generator import hints
    from generator.analysis.policyfile import MANIFEST, PolicyInputError, Tree, read_manifest
    from generator.apply.plan import KIND, PolicyRefused, check_sendable

    where = policies / MANIFEST
    rerender = f"run {hints.run('render')} for {config_path} first"
    registry = config.registry_account.id
    found: dict[str, str] = {}
    try:
        entries = read_manifest(policies)
        with Tree(policies) as tree:
            for entry in entries:
                if entry["kind"] != KIND.name:
                    continue
                group = entry.get("model_group") or entry["target"].rsplit("/", 1)[-1]
                if entry["account_id"] != registry:
                    raise BadInput(f"--policies: {where}: {entry['path']} is a group policy of account "
                                   f"{entry['account_id']}, but {config_path}'s registry is {registry}; {rerender}")
                text = tree.read(entry["path"])
                try:
                    check_sendable(text)
                except PolicyRefused as exc:
                    raise BadInput(f"--policies: {policies / entry['path']}: {exc}") from None
                found[group] = text
    except PolicyInputError as exc:
        raise BadInput(f"--policies: {exc}") from None
    missing = sorted(set(config.model_groups) - set(found))
    if missing:
        raise BadInput(f"--policies: {where} has no group policy for model group '{missing[0]}' of "
                       f"{config_path}; {rerender}")
    extra = sorted(set(found) - set(config.model_groups))
    if extra:
        raise BadInput(f"--policies: {where} has a group policy for '{extra[0]}', which is not a model group of "
                       f"{config_path}; {rerender}")
    return found


def check_options(options: Options) -> None:
    if not 0 <= options.port <= 65535:
        raise BadInput(f"--port: {options.port} is not a TCP port (0-65535; 0 picks a free one)")
    if not 0 <= options.versions <= MAX_VERSIONS:
        raise BadInput(f"--versions: {options.versions} is not between 0 and {MAX_VERSIONS}")


def local_user(aws, config) -> tuple[str, str]:
    """An access key of an IAM user in the registry account, made in the local
    server's IAM: moto answers a key it knows as that key's account."""
    from moto.iam.models import iam_backends

    iam = iam_backends[config.registry_account.id][config.partition]
    iam.create_user(config.region, "sandbox")
    key = iam.create_access_key("sandbox")
    return key.access_key_id, key.secret_access_key


def seed(endpoint: str, config, policies: dict[str, str], versions: int, key: tuple[str, str]) -> int:
    """Groups, their rendered policies and ``versions`` versions each, over
    HTTP; the number of versions registered."""
    import boto3

    session = boto3.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name=config.region)
    sagemaker = session.client("sagemaker", endpoint_url=endpoint)
    for name in sorted(config.model_groups):
        group = config.model_groups[name]
        params: dict = {"ModelPackageGroupName": name}
        if group.description:
            params["ModelPackageGroupDescription"] = group.description
        if group.tags:
            params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(group.tags.items())]
        sagemaker.create_model_package_group(**params)
        sagemaker.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy=policies[name])
    if not versions:
        return 0
    # Versions are registered by a role in the registry account, not by the
    # developers' roles: moto has no cross-account SageMaker.
    role = f"arn:{config.partition}:iam::{config.registry_account.id}:role/{REGISTRAR_ROLE}"
    creds = session.client("sts", endpoint_url=endpoint).assume_role(
        RoleArn=role, RoleSessionName="sandbox")["Credentials"]
    registrar = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                              aws_session_token=creds["SessionToken"], region_name=config.region
                              ).client("sagemaker", endpoint_url=endpoint)
    from generator.config.stages import stage_names

    stages = stage_names(config)
    count = 0
    for name in sorted(config.model_groups):
        for number in range(1, versions + 1):
            params = {"ModelPackageGroupName": name, "ModelApprovalStatus": "PendingManualApproval",
                      "ModelPackageDescription": f"sandbox version {number} of {name}"}
            if stages:
                params["ModelLifeCycle"] = {"Stage": stages[0], "StageStatus": "PendingApproval",
                                            "StageDescription": f"registered by the sandbox into {stages[0]}"}
            registrar.create_model_package(**params)
            count += 1
    return count


def environment(endpoint: str, config, key: tuple[str, str]) -> list[str]:
    """The shell lines that point the AWS SDKs (boto3 >= 1.28 reads
    AWS_ENDPOINT_URL) and so every command at the sandbox."""
    return [
        "unset AWS_PROFILE AWS_SESSION_TOKEN",
        f"export AWS_ENDPOINT_URL={endpoint}",
        f"export AWS_ACCESS_KEY_ID={key[0]}",
        f"export AWS_SECRET_ACCESS_KEY={key[1]}",
        f"export AWS_DEFAULT_REGION={config.region}",
    ]


def run(options: Options, out=sys.stdout) -> int:
    """Serve until SIGINT or SIGTERM; the exit code."""
    from generator.config import load_config

    check_options(options)
    config = load_config(options.config)  # ConfigError: the CLI's one line, exit 2
    policies = group_policies(config, options.config, options.policies)

    from botocore.exceptions import BotoCoreError, ClientError

    from generator.apply.localaws import LocalAws

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            aws = LocalAws(port=options.port)
        except OSError as exc:
            raise Failed(f"--port: cannot listen on 127.0.0.1:{options.port}: {exc.strerror}") from None
        with aws:
            try:
                key = local_user(aws, config)
                count = seed(aws.endpoint_url, config, policies, options.versions, key)
            except (BotoCoreError, ClientError) as exc:
                raise Failed(f"the local server refused the seed: {str(exc).splitlines()[0]}") from None
            registry = config.registry_account.id
            print(f"sandbox: registry {registry} ({config.region}) at {aws.endpoint_url}: {len(policies)} group(s) "
                  f"with their rendered policies from {options.policies}, {count} version(s)", file=out)
            print("point the AWS SDKs and these commands at it (in the shell you run them from):", file=out)
            for line in environment(aws.endpoint_url, config, key):
                print(f"  {line}", file=out)
            print(f"then try: mrpolicy status --config {options.config}", file=out)
            print(f"{READY} at {aws.endpoint_url}; Ctrl-C stops it (nothing is kept)", file=out, flush=True)
            while not stop.wait(0.5):
                pass
        print("sandbox stopped", file=out, flush=True)
        return EXIT_OK
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
