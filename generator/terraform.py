"""Rendered policies -> one Terraform root per account, in memory.

Each account that holds a rendered policy gets a root in
``<account>/`` next to its ``policies/``: ``versions.tf``, ``backend.tf``,
``providers.tf`` and ``main.tf``. The roots call the hand-written modules
in ``terraform/modules/`` and read every policy document with ``file()``:
Python owns the statements, Terraform owns the resources.

Templates live in ``templates/`` (Jinja2, StrictUndefined, so a missing
value is an error rather than an empty string). Everything the templates
print from the config goes through :func:`hcl`, and every map is aligned
here, so the output is ``terraform fmt``-clean as rendered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol

import jinja2

from generator import resources
from generator import roles
from generator import copyflow, events, kinds
from generator.config import PARTIES, Config
from generator.config.guardrails import ORGANIZATION_DIR
from generator.names import POLICY_NAME_PREFIX, policy_name  # noqa: F401 (part of this module's interface)
from generator.arns import Arns
from generator.policies import iam_role

TEMPLATES = resources.templates_dir()

# The roots pin Terraform and the AWS provider; the modules only state a
# minimum, as HashiCorp's module guidance recommends. 1.10 is the first
# Terraform whose S3 backend locks with a lock file (use_lockfile).
TERRAFORM_VERSION = ">= 1.10"
# The AWS provider: the lowest release that has every resource and argument
# a root uses, below the next major (7.0 may remove what 6.x deprecates).
# Every account root uses resources and arguments present in 5.0 (the split
# aws_s3_bucket_* resources date from 4.0; the group-policy diff fix from
# 4.50, see modules/model-registry/versions.tf).
AWS_PROVIDER_VERSION = ">= 5.0, < 7.0"
# The guardrails' root also creates aws_organizations_policy with type
# RESOURCE_CONTROL_POLICY. RCPs launched on 13 Nov 2024; the provider takes
# the type from the AWS SDK's enum (hashicorp/terraform-provider-aws#40126,
# via the SDK update #40125; documented by #40145, merged 15 Nov 2024,
# after 5.76.0 of 14 Nov). 5.78.0 (26 Nov 2024) is the lowest release we
# could confirm carries it (5.77.0 of 21 Nov may; we could not confirm it
# from the changelog): an older provider refuses the type at plan time.
AWS_PROVIDER_VERSION_GUARDRAILS = ">= 5.78.0, < 7.0"

# Files of each root, relative to its account directory; the writer's OWNED
# patterns must cover them (tests/test_terraform_roots.py checks).
ROOT_FILES = ("versions.tf", "backend.tf", "providers.tf", "main.tf")

POLICY_PATH = "/model-registry/"  # the registry-access module's policy_path default
_SESSION_PREFIX = "model-registry-"


class _Policy(Protocol):
    """What this module reads of generator.render.RenderedPolicy."""

    account: str
    account_id: str
    kind: str
    path: str
    extra: dict


@dataclass(frozen=True)
class RoleItem:
    entry: str  # the role entry exactly as in accounts.yaml
    policy_name: str
    role_name: str | None  # None: wildcard entry, policy not attached
    policy: str  # path relative to the root


def hcl(value: object) -> str:
    """An HCL literal for a string, number, bool or None.

    Strings are JSON-quoted (HCL shares JSON's escapes) with template
    sequences escaped, so ``${`` in a description stays text.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")
    raise TypeError(f"no HCL literal for {type(value).__name__}")


def hcl_map(mapping: dict[str, str], indent: int) -> str:
    """A map of strings as ``terraform fmt`` prints it: one key a line, ``=`` aligned.

    ``indent`` is the indentation of the line the map starts on.
    """
    if not mapping:
        return "{}"
    keys = {key: hcl(key) for key in mapping}
    width = max(len(k) for k in keys.values())
    pad = " " * (indent + 2)
    lines = [f"{pad}{keys[key].ljust(width)} = {hcl(mapping[key])}" for key in sorted(mapping)]
    return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"


def attached_role(entry: str) -> str | None:
    """Role name to attach to: the last path segment; None for wildcards and
    for IAM Identity Center roles, which only AWS may modify ("this role is
    only modifiable by AWS"; attach through the permission set instead)."""
    return None if "*" in entry or roles.is_sso(entry) else entry.rsplit("/", 1)[-1]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["hcl"] = hcl
    env.filters["hcl_map"] = hcl_map
    env.filters["ljust"] = lambda text, width: text.ljust(width)
    return env


def module_source(base: str, module: str) -> str:
    """``base`` + ``/module``, before any ``?query`` (git ``?ref=`` pins)."""
    path, mark, query = base.partition("?")
    return f"{path}/{module}{mark}{query}"


def _relative(policy: _Policy) -> str:
    """Policy path relative to its account's root directory."""
    prefix = f"{policy.account}/"
    if not policy.path.startswith(prefix):
        raise ValueError(f"{policy.path} is not under {prefix}")
    return policy.path[len(prefix):]


def _common(config: Config, account: str, source: str) -> dict:
    settings = config.terraform
    if account == ORGANIZATION_DIR and account not in config.accounts:
        # The guardrails' root: ambient management-account credentials.
        account_id = config.guardrails.management_account if config.guardrails else None
    else:
        account_id = config.accounts[account].id
    assume_role = None
    if settings.assume_role is not None and account != ORGANIZATION_DIR:
        assume_role = {
            "arn": f"arn:{config.partition}:iam::{account_id}:role/{settings.assume_role}",
            # Session names: 2-64 of [\w+=,.@-]; shows up in CloudTrail.
            "session_name": (_SESSION_PREFIX + account)[:64],
        }
    state = settings.state
    return {
        "header": f"# Rendered by `make render` from {source}: edit that file and re-render, not this one.",
        "source": source,
        "account": account,
        "account_id": account_id,
        "region": config.region,
        "assume_role": assume_role,
        "tags": dict(settings.tags),
        "state": {
            "bucket": state.bucket,
            "key": f"{state.key_prefix}/{account}/terraform.tfstate",
            "region": state.region or config.region,
        },
        "module_source": lambda module: module_source(settings.module_source, module),
        "terraform_version": TERRAFORM_VERSION,
        "aws_provider_version": AWS_PROVIDER_VERSION_GUARDRAILS if account == ORGANIZATION_DIR else AWS_PROVIDER_VERSION,
    }


def _bound(policies: list[_Policy]) -> dict[str, list]:
    """{template variable: items, in their kinds' sort order}: how each
    kind declares a root reads its documents (generator/kinds/, ``bind``)."""
    keyed: dict[str, list] = {}
    for policy in policies:
        kind = kinds.get(policy.kind)
        if kind.bind is not None:
            variable, key, item = kind.bind(policy, _relative(policy))
            keyed.setdefault(variable, []).append((key, item))
    return {variable: [item for _, item in sorted(pairs, key=lambda pair: pair[0])]
            for variable, pairs in keyed.items()}


def _one(bound: dict[str, list], variable: str):
    return bound[variable][0] if bound.get(variable) else None


def _registry_main(env: jinja2.Environment, config: Config, context: dict, policies: list[_Policy]) -> str:
    bound = _bound(policies)
    repositories = bound.get("repositories", [])
    rules = bound.get("event_rules", [])
    points = bound.get("access_points", [])
    group_files = dict(bound.get("group_policies", []))
    groups = [
        {
            "name": name,
            "description": config.model_groups[name].description,
            "tags": dict(config.model_groups[name].tags),
            "policy": group_files[name],
        }
        for name in sorted(config.model_groups)
    ]
    return env.get_template("registry.main.tf.j2").render(
        context,
        bucket=config.registry.artifact_bucket,
        alias=config.registry.kms_key_alias,
        bucket_policy=_one(bound, "bucket_policy"),
        key_policy=_one(bound, "key_policy"),
        deletion_window=config.terraform.kms_key_deletion_window_days,
        access_logs=config.terraform.access_logs,
        groups=groups,
        group_width=max((len(hcl(g["name"])) for g in groups), default=0),
        group_policies=config.terraform.group_policies,
        access_points=points,
        point_width=max((len(hcl(p["name"])) for p in points), default=0),
        repositories=repositories,
        repository_width=max((len(hcl(r["name"])) for r in repositories), default=0),
        event_rules=rules,
        rule_width=max((len(hcl(r["name"])) for r in rules), default=0),
        event_role_name=events.ROLE_NAME,
        event_role_policy=_one(bound, "event_role_policy"),
        event_rule_pattern=events.rule_arn(Arns.of(config), events.RULE_PREFIX + "*"),
        copy=_copy_function(config, bound),
    )


def _copy_function(config: Config, bound: dict[str, list]) -> dict | None:
    """What the registry root needs for the registry function (registration: copy), or None."""
    policy = _one(bound, "copy_function_policy")
    if policy is None:
        return None
    return {
        "function_name": copyflow.FUNCTION_NAME, "role_name": copyflow.ROLE_NAME, "bus_name": copyflow.BUS_NAME,
        "rule_name": copyflow.RULE_NAME, "queue_name": copyflow.QUEUE_NAME,
        "zip": f"{copyflow.FUNCTION_DIR}/{copyflow.ZIP_NAME}", "settings": f"{copyflow.FUNCTION_DIR}/{copyflow.SETTINGS_NAME}",
        "bus_policy": _one(bound, "copy_bus_policy"), "role_policy": policy,
        "role_trust": _one(bound, "copy_function_trust"), "rule": _one(bound, "copy_receive_rule"),
        "function_policy": _one(bound, "copy_function_resource_policy"),
        "queue_policy": _one(bound, "copy_queue_policy"),
    }


def _copy_source(bound: dict[str, list]) -> dict | None:
    """What a development account's root needs for its copy-mode groups, or None."""
    groups = bound.get("local_group_policies", [])
    if not groups:
        return None
    return {
        "role_name": copyflow.FORWARD_ROLE_NAME, "groups": groups,
        "group_width": max(len(hcl(name)) for name, _ in groups),
        "role_policy": _one(bound, "copy_forward_policy"), "role_trust": _one(bound, "copy_forward_trust"),
        "rules": bound.get("copy_forward_rules", []),
        "rule_width": max((len(hcl(r["name"])) for r in bound.get("copy_forward_rules", [])), default=0),
    }


def _organization_main(env: jinja2.Environment, config: Config, context: dict, policies: list[_Policy]) -> str:
    items = [
        {**item, "description": f"{item['description']} (rendered from {context['source']})"}
        for item in _bound(policies).get("organization_policies", [])
    ]
    return env.get_template("organization.main.tf.j2").render(
        context, policies=items, targets=list(config.guardrails.attach_to)
    )


def _groups_by_account(config: Config) -> dict[str, list[str]]:
    """Model groups each account takes part in (one pass, not accounts x groups)."""
    found: dict[str, list[str]] = {}
    for group in sorted(config.model_groups):
        for party in PARTIES:
            for account in config.party_accounts(group, party):
                found.setdefault(account, []).append(group)
    return found


def _access_main(env: jinja2.Environment, config: Config, context: dict, policies: list[_Policy],
                 groups: list[str]) -> str:
    account = config.accounts[context["account"]]
    bound = _bound(policies)
    roles = [
        RoleItem(
            entry=item["entry"],
            policy_name=policy_name(item["entry"]),
            role_name=attached_role(item["entry"]),
            policy=item["path"],
        )
        for item in bound.get("roles", [])
    ]
    return env.get_template("access.main.tf.j2").render(
        context,
        party=iam_role.party_of(account.kind),
        policy_path=POLICY_PATH,
        groups=groups,
        kind=account.kind,
        stage=account.stage,
        registry_id=config.registry_account.id,
        roles=roles,
        deploy=_deploy_role(config, context["account"], bound),
        event_bus_name=events.BUS_NAME,
        bus_policy=_one(bound, "bus_policy"),
        copy=_copy_source(bound),
    )


def _deploy_role(config: Config, account: str, bound: dict[str, list]) -> dict | None:
    """What the root needs to create the deploy role (deploy_role), or None."""
    trust = _one(bound, "deploy_trust")
    if trust is None:
        return None
    name = config.deploy_role.name
    items = [{"name": deploy_policy_name(name, item["part"]), "path": item["path"]}
             for item in bound.get("deploy_policies", [])]
    execution = bound.get("execution_trust", [])
    groups = sorted({g for g, party in config.groups_of(account) if party == "consumers"
                     and config.party_accounts(g, "deployers")})
    deployers = sorted({d for g in groups for d in config.party_accounts(g, "deployers")})
    return {
        "role_name": name,
        "trust": trust,
        "policies": items,
        "policy_width": max(len(hcl(i["name"])) for i in items),
        "execution_trust": execution,
        "trust_width": max((len(hcl(i["role"])) for i in execution), default=0),
        "groups": groups,
        "deployers": deployers,
    }


def deploy_policy_name(role: str, part: int | None) -> str:
    """Managed policy name of (a part of) the deploy role's permissions."""
    return f"{POLICY_NAME_PREFIX}Deploy-{role}" + (f"-{part}" if part else "")


def render(config: Config, policies: Iterable[_Policy], source: str = "accounts.yaml") -> dict[str, str]:
    """{relative path: text} of every account root; accounts without policies get none."""
    env = _environment()
    by_account: dict[str, list[_Policy]] = {}
    for policy in policies:
        by_account.setdefault(policy.account, []).append(policy)
    groups = _groups_by_account(config)
    files: dict[str, str] = {}
    for account in sorted(by_account):
        context = _common(config, account, source)
        if account == config.registry.account:
            main = _registry_main(env, config, context, by_account[account])
        elif account == ORGANIZATION_DIR:
            main = _organization_main(env, config, context, by_account[account])
        else:
            main = _access_main(env, config, context, by_account[account], groups.get(account, []))
        for name in ROOT_FILES:
            template = f"organization.{name}.j2" if account == ORGANIZATION_DIR and name == "providers.tf" else f"{name}.j2"
            text = main if name == "main.tf" else env.get_template(template).render(context)
            files[f"{account}/{name}"] = text
    return files
