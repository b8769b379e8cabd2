"""The rendered Terraform roots, read back with python-hcl2.

Each root must call the right module with the right account's policies,
read every policy with file() (never re-expressed in HCL), land in the
right account (provider and backend), and every policy in the manifest
must reach exactly one resource, or, for group policies in the default
`apply` mode, none: the apply helper is their only writer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from .terraform_helpers import ACCOUNTS, FILE_CALL, MODULES, file_refs, parse, parse_dir, single, unescape, write_tree

from generator import events, terraform, writer
from generator.config import config_from_text, load_config
from generator.render import render

from .conftest import EXAMPLE  # noqa: E402

# A config that uses every option of the terraform section and the role
# entry forms (path, wildcard) the example does not.
VARIANT = """
partition: aws
region: eu-west-1
organization_id: o-a1b2c3d4e5
registry: {account: registry, artifact_bucket: variant-artifacts, kms_key_alias: alias/variant, s3_layout: access_points}
accounts:
  registry: {id: "101010101010", kind: registry}
  science:
    id: "202020202020"
    kind: development
    roles:
      - service-role/SageMakerRole
      - aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*
  uat: {id: "303030303030", kind: workload, stage: uat, roles: [Exec]}
  idle: {id: "404040404040", kind: workload, stage: dev, roles: [Exec]}
model_groups:
  fraud:
    description: 'Fraud "v2" ${not.interpolated} %{ neither }'
    developers: [science]
    consumers: [uat]
    tags: {team: risk, "cost center": "42"}
  churn:
    developers: [science]
terraform:
  state: {bucket: org-tf-state, region: eu-central-1, key_prefix: platform/ml}
  assume_role: platform/TerraformDeployer
  tags: {Owner: ml-platform}
  group_policies: terraform
  access_logs: {bucket: registry-logs, prefix: artifacts/}
  kms_key_deletion_window_days: 7
"""

# Which module argument of a root reads each kind of policy, and which
# resource attribute of the module the argument ends in.
CONSUMERS = {
    "s3_bucket_policy": ("model_registry", "bucket_policy_json"),
    "kms_key_policy": ("model_registry", "kms_key_policy_json"),
    "s3_access_point_policy": ("model_registry", "access_points.{access_point}.policy_json"),
    "model_package_group_policy": ("model_registry", "model_package_group_policies.{model_group}"),
    "iam_role_policy": ("registry_access", "role_policies.{role}.policy_json"),
    "ecr_repository_policy": ("model_registry", "ecr_repositories.{repository}.repository_policy_json"),
    # deploy_role: the deploy role's trust and permissions go to its module;
    # the execution roles' trust documents are outputs for their owners.
    ("iam_role_policy", "deploy-role"): ("deploy_role", "permission_policies.{policy_name}"),
    ("iam_role_trust_policy", "deploy-role"): ("deploy_role", "trust_policy_json"),
    ("iam_role_trust_policy", "sagemaker-execution-role"): ("output", "sagemaker_execution_role_trust_policies.value.{role}"),
    "service_control_policy": ("guardrails", "policies.{policy_name}.policy_json"),
    "resource_control_policy": ("guardrails", "policies.{policy_name}.policy_json"),
    "event_rule": ("registry_events", "rules.{rule}"),
    "event_bus_policy": ("event_bus", "policy_json"),
}
ORGANIZATION = "organization"  # the guardrails' root (guardrails: in accounts.yaml)
MODULE_SINKS = {
    ("model-registry", "var.bucket_policy_json"): ("aws_s3_bucket_policy", "policy"),
    ("model-registry", "var.kms_key_policy_json"): ("aws_kms_key", "policy"),
    ("model-registry", "each.value"): ("aws_sagemaker_model_package_group_policy", "resource_policy"),
    ("model-registry", "each.value.policy_json"): ("aws_s3control_access_point_policy", "policy"),
    ("registry-access", "each.value.policy_json"): ("aws_iam_policy", "policy"),
    ("model-registry", "each.value.repository_policy_json"): ("aws_ecr_repository_policy", "policy"),
    ("deploy-role", "var.trust_policy_json"): ("aws_iam_role", "assume_role_policy"),
    ("deploy-role", "each.value"): ("aws_iam_policy", "policy"),
    ("registry-events", "var.role_policy_json"): ("aws_iam_role_policy", "policy"),
    ("event-bus", "var.policy_json"): ("aws_cloudwatch_event_bus_policy", "policy"),
}


def consumer(entry: dict) -> tuple[str, str]:
    """(module or "output", argument) that must read a manifest entry."""
    if entry["kind"] == "iam_role_trust_policy":
        module, argument = CONSUMERS[(entry["kind"], entry["trust"])]
    elif entry.get("scope") == "deploy-role":
        module, argument = CONSUMERS[("iam_role_policy", "deploy-role")]
    elif entry["kind"] == "iam_role_policy" and entry.get("role") == events.ROLE_NAME:
        module, argument = ("registry_events", "role_policy_json")  # the event rule role
    else:
        module, argument = CONSUMERS[entry["kind"]]
    if entry.get("scope") == "deploy-role":
        entry = {**entry, "policy_name": terraform.deploy_policy_name(entry["role"], entry.get("part"))}
    return module, argument.format(**{"policy_name": "", **entry})


def modules(root: dict) -> dict[str, dict]:
    """Module calls of a root by label."""
    return {label: body for block in root.get("module", []) for label, body in block.items()}


class Tree:
    """A render written to disk, its manifest and its parsed roots."""

    def __init__(self, config, accounts: Path):
        self.config = config
        self.accounts = accounts
        self.manifest = json.loads((accounts / "manifest.json").read_text())["policies"]
        self.roots = {p.name: parse_dir(p) for p in sorted(accounts.iterdir()) if (p / "main.tf").is_file()}


@pytest.fixture(scope="module")
def example_tree() -> Tree:
    """The committed example, as it is on disk (what users apply, what checkov scans)."""
    return Tree(load_config(EXAMPLE), ACCOUNTS)


@pytest.fixture(scope="module")
def variant_tree(tmp_path_factory) -> Tree:
    config = config_from_text(VARIANT)
    return Tree(config, write_tree(tmp_path_factory.mktemp("variant"), render(config)))


@pytest.fixture(scope="module")
def fresh_tree(tmp_path_factory, example_config) -> Tree:
    """The example rendered now by the current templates (the committed copy may lag)."""
    return Tree(example_config, write_tree(tmp_path_factory.mktemp("fresh"), render(example_config)))


@pytest.fixture(params=["example", "fresh", "variant"])
def tree(request) -> Tree:
    return request.getfixturevalue(f"{request.param}_tree")


def test_committed_example_is_current(example_files):
    """The example golden is exactly what `make render` writes: no stale or hand-edited file."""
    plan = writer.diff(ACCOUNTS, example_files)
    assert plan.written == [] and plan.removed == [], "run `make render` and commit the result"


def test_one_root_per_account_with_policies(tree):
    with_policies = {entry["account"] for entry in tree.manifest}
    assert set(tree.roots) == with_policies


def test_idle_account_gets_no_root(variant_tree):
    # 'idle' lists roles but consumes no group: nothing to create there.
    assert "idle" not in variant_tree.roots
    assert not (variant_tree.accounts / "idle").exists()


def _main_module(root: dict) -> list[dict]:
    """The root's module calls other than the approval-event and deploy-role ones (one per root)."""
    return [b for b in root.get("module", []) if not ({"registry_events", "event_bus", "deploy_role"} & set(b))]


def test_each_root_calls_the_module_of_its_account(tree):
    registry = tree.config.registry.account
    for account, root in tree.roots.items():
        calls = modules(root)
        if "registry_events" in calls:
            assert account == registry
            assert calls.pop("registry_events")["source"] == "../../modules/registry-events"
        if "event_bus" in calls:
            assert account != registry
            assert calls.pop("event_bus")["source"] == "../../modules/event-bus"
        if "deploy_role" in calls:
            deploy = calls.pop("deploy_role")
            assert deploy["source"] == "../../modules/deploy-role"
            assert deploy["role_name"] == tree.config.deploy_role.name
            assert tree.config.accounts[account].kind == "workload"
        name, call = single([calls])
        if account == ORGANIZATION:
            assert (name, call["source"]) == ("guardrails", "../../modules/organization-guardrails")
            assert call["targets"] == list(tree.config.guardrails.attach_to)
        elif account == registry:
            assert (name, call["source"]) == ("model_registry", "../../modules/model-registry")
            assert call["artifact_bucket_name"] == tree.config.registry.artifact_bucket
            assert call["kms_key_alias"] == tree.config.registry.kms_key_alias
            assert call["kms_key_deletion_window_in_days"] == tree.config.terraform.kms_key_deletion_window_days
        else:
            assert (name, call["source"]) == ("registry_access", "../../modules/registry-access")
        module_dir = (tree.accounts / account / call["source"]).resolve()
        assert module_dir == (tree.accounts.parent / "modules" / module_dir.name).resolve()
        assert (module_dir / "main.tf").is_file()


def test_every_file_reference_exists_and_is_a_policy_of_that_account(tree):
    for account, root in tree.roots.items():
        for where, relative in file_refs(root):
            path = tree.accounts / account / relative
            assert path.is_file(), f"{account}: {where} reads missing {relative}"
            assert relative.startswith("policies/"), f"{account}: {where} reads {relative} outside policies/"


def test_every_manifest_policy_is_consumed_by_exactly_one_argument(tree):
    """Exactly one writer per policy: one file() per document, in the argument its kind belongs to."""
    refs: dict[str, list[str]] = {}
    for account, root in tree.roots.items():
        for name, call in modules(root).items():
            for where, relative in file_refs(call):
                refs.setdefault(f"{account}/{relative}", []).append(f"{name}.{where}")
        for block in root.get("output", []):
            for name, body in block.items():
                for where, relative in file_refs(body):
                    refs.setdefault(f"{account}/{relative}", []).append(f"output.{name}.{where}")
    apply_owns_groups = tree.config.terraform.group_policies == "apply"
    for entry in tree.manifest:
        module, argument = consumer(entry)
        expected = f"{module}.{argument}"
        found = refs.pop(entry["path"], [])
        if entry["kind"] == "model_package_group_policy" and apply_owns_groups:
            assert found == [], f"{entry['path']} is written by the apply helper; Terraform must not read it"
        else:
            assert found == [expected], entry["path"]
    assert refs == {}, "file() reads documents the manifest does not list"


def test_group_policy_switch(tree):
    registry = tree.roots[tree.config.registry.account]
    _, call = single(_main_module(registry))
    if tree.config.terraform.group_policies == "apply":
        assert call["model_package_group_policies"] == {}
    else:
        assert set(call["model_package_group_policies"]) == set(tree.config.model_groups)


def test_module_variables_reach_exactly_one_resource_attribute():
    """The second half of 'consumed once': inside each module, a policy input feeds one resource."""
    for (module, reference), (rtype, attribute) in MODULE_SINKS.items():
        resources = parse(MODULES / module / "main.tf")["resource"]
        sinks = [
            (kind, attr)
            for block in resources
            for kind, named in block.items()
            for _, body in named.items()
            for attr, value in body.items()
            if isinstance(value, str) and value == "${" + reference + "}"
        ]
        assert sinks == [(rtype, attribute)], (module, reference, sinks)


def test_policy_path_named_in_the_roots_is_the_module_default():
    assert _variables("registry-access")["policy_path"]["default"] == terraform.POLICY_PATH


def test_group_policy_resource_only_for_listed_groups():
    resources = parse(MODULES / "model-registry" / "main.tf")["resource"]
    (policy,) = [b["aws_sagemaker_model_package_group_policy"] for b in resources
                 if "aws_sagemaker_model_package_group_policy" in b]
    assert policy["this"]["for_each"] == "${var.model_package_group_policies}"
    assert "default" in _variables("model-registry")["model_package_group_policies"]


def test_group_descriptions_and_tags_come_from_the_config(tree):
    _, call = single(_main_module(tree.roots[tree.config.registry.account]))
    groups = call["model_package_groups"]
    assert set(groups) == set(tree.config.model_groups)
    for name, group in tree.config.model_groups.items():
        assert unescape(groups[name]["description"]) == group.description
        assert groups[name]["tags"] == dict(group.tags)


def test_roles_attach_by_name_and_wildcards_do_not(tree):
    for account, root in tree.roots.items():
        if account in (tree.config.registry.account, ORGANIZATION):
            continue
        call = modules(root)["registry_access"]
        policies = call["role_policies"]
        assert set(policies) == set(tree.config.accounts[account].roles)
        for entry, item in policies.items():
            if "*" in entry or entry.rsplit("/", 1)[-1].startswith("AWSReservedSSO_"):
                assert item["role_name"] is None, entry
            else:
                assert item["role_name"] == entry.rsplit("/", 1)[-1], entry
            assert item["policy_name"] == terraform.policy_name(entry)
            assert len(item["policy_name"]) <= 128


def test_variant_role_forms(variant_tree):
    _, call = single(_main_module(variant_tree.roots["science"]))
    policies = call["role_policies"]
    assert policies["service-role/SageMakerRole"]["role_name"] == "SageMakerRole"
    assert policies["aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*"]["role_name"] is None


def test_identity_center_roles_are_never_attached_by_terraform():
    """AWS alone modifies AWSReservedSSO_ roles: even an exact one is referenced
    from its permission set, never attached."""
    exact = "AWSReservedSSO_DataScientist_0123456789abcdef"
    text = VARIANT.replace("- aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_*", f"- {exact}")
    assert text != VARIANT
    main_tf = render(config_from_text(text))["science/main.tf"]
    assert f"# - {exact}: policy" in main_tf and "attached to role AWSReservedSSO" not in main_tf
    assert terraform.attached_role("service-role/SageMakerRole") == "SageMakerRole"


def test_provider_lands_in_the_right_account(tree):
    settings = tree.config.terraform
    for account, root in tree.roots.items():
        _, provider = single(root["provider"])
        assert provider["region"] == tree.config.region
        if account == ORGANIZATION:
            # Management-account credentials: no role to assume; pinned when the config names the account.
            assert "assume_role" not in provider
            management = tree.config.guardrails.management_account
            assert provider.get("allowed_account_ids") == ([management] if management else None)
            continue
        account_id = tree.config.accounts[account].id
        assert provider["allowed_account_ids"] == [account_id]
        if settings.assume_role is None:
            assert "assume_role" not in provider
        else:
            (assume,) = provider["assume_role"]
            assert assume["role_arn"] == f"arn:{tree.config.partition}:iam::{account_id}:role/{settings.assume_role}"
            assert 2 <= len(assume["session_name"]) <= 64
        if settings.tags:
            (default_tags,) = provider["default_tags"]
            assert default_tags["tags"] == dict(settings.tags)
        else:
            assert "default_tags" not in provider


def test_backend_has_one_state_key_per_account(tree):
    state = tree.config.terraform.state
    keys = set()
    for account, root in tree.roots.items():
        backends = [b["backend"] for b in root["terraform"] if "backend" in b]
        assert len(backends) == 1, account
        ((kind, backend),) = backends[0][0].items()
        assert kind == "s3"
        assert backend["key"] == f"{state.key_prefix}/{account}/terraform.tfstate"
        assert backend["region"] == (state.region or tree.config.region)
        assert backend["encrypt"] is True and backend["use_lockfile"] is True
        assert backend.get("bucket") == state.bucket
        keys.add(backend["key"])
    assert len(keys) == len(tree.roots)


def test_roots_pin_terraform_and_the_aws_provider(tree):
    for account, root in tree.roots.items():
        (versions,) = [b for b in root["terraform"] if "required_providers" in b]
        assert versions["required_version"] == terraform.TERRAFORM_VERSION
        (providers,) = versions["required_providers"]
        wanted = terraform.AWS_PROVIDER_VERSION_GUARDRAILS if account == "organization" else terraform.AWS_PROVIDER_VERSION
        assert providers["aws"] == {"source": "hashicorp/aws", "version": wanted}, account


def test_variant_access_logs_and_key_window(variant_tree):
    _, call = single(_main_module(variant_tree.roots["registry"]))
    assert call["access_log_bucket"] == "registry-logs"
    assert call["access_log_prefix"] == "artifacts/"
    assert call["kms_key_deletion_window_in_days"] == 7


def test_no_policy_statement_is_written_in_hcl(tree):
    """Python owns the statements: no root carries a policy document inline."""
    for account in tree.roots:
        for path in (tree.accounts / account).glob("*.tf"):
            text = path.read_text()
            for marker in ('"Statement"', "Statement =", "jsonencode(", "aws_iam_policy_document", "<<"):
                assert marker not in text, f"{path}: {marker}"


def _variables(module: str) -> dict[str, dict]:
    return {name: body for block in parse(MODULES / module / "variables.tf")["variable"] for name, body in block.items()}


@pytest.mark.parametrize("module", ["model-registry", "registry-access", "deploy-role"])
def test_modules_follow_the_standard_structure(module):
    directory = MODULES / module
    assert {p.name for p in directory.glob("*.tf")} == {"main.tf", "variables.tf", "outputs.tf", "versions.tf"}
    for name, body in _variables(module).items():
        assert body.get("description"), f"{module}: variable {name} has no description"
        assert body.get("type"), f"{module}: variable {name} has no type"
    outputs = {n: b for block in parse(directory / "outputs.tf")["output"] for n, b in block.items()}
    assert outputs
    for name, body in outputs.items():
        assert body.get("description"), f"{module}: output {name} has no description"
    for path in directory.glob("*.tf"):
        assert "provider" not in parse(path), f"{path}: modules must not configure providers"
    (versions,) = parse(directory / "versions.tf")["terraform"]
    (providers,) = versions["required_providers"]
    assert providers["aws"]["source"] == "hashicorp/aws"
    assert providers["aws"]["version"].startswith(">= 5.")


def test_registry_module_guardrails():
    """Fixed guardrails of the bucket and key, whatever the config says."""
    resources = {}
    for block in parse(MODULES / "model-registry" / "main.tf")["resource"]:
        for kind, named in block.items():
            resources[kind] = next(iter(named.values()))
    assert resources["aws_kms_key"]["enable_key_rotation"] is True
    assert resources["aws_kms_key"]["deletion_window_in_days"] == "${var.kms_key_deletion_window_in_days}"
    assert resources["aws_kms_alias"]["name"] == "${var.kms_key_alias}"
    assert resources["aws_s3_bucket_ownership_controls"]["rule"] == [{"object_ownership": "BucketOwnerEnforced"}]
    block = resources["aws_s3_bucket_public_access_block"]
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                          "restrict_public_buckets"))
    assert resources["aws_s3_bucket_versioning"]["versioning_configuration"] == [{"status": "Enabled"}]
    (rule,) = resources["aws_s3_bucket_server_side_encryption_configuration"]["rule"]
    assert rule["bucket_key_enabled"] is True
    assert rule["apply_server_side_encryption_by_default"] == [
        {"sse_algorithm": "aws:kms", "kms_master_key_id": "${aws_kms_key.artifacts.arn}"}
    ]
    assert resources["aws_s3_bucket_policy"]["depends_on"] == ["${aws_s3_bucket_public_access_block.artifacts}"]


def test_file_call_pattern_matches_what_the_templates_write():
    # Guards the other tests: if the templates changed how they call file(),
    # FILE_CALL would silently find nothing.
    text = (ACCOUNTS / "shared-services" / "main.tf").read_text()
    events = len(list((ACCOUNTS / "shared-services" / "policies").glob("event-rule-*.json"))) + 1  # + rule role
    assert len(FILE_CALL.findall(text)) == 3 + events  # bucket, key, ECR repository, event rules; group policies are the apply helper's


def test_render_is_deterministic(example_config):
    assert render(example_config) == render(example_config)


def test_writer_owns_every_rendered_file_and_nothing_under_dot_terraform(example_files):
    assert all(writer.owned(path) for path in example_files)
    assert not writer.owned("shared-services/.terraform/modules/x/main.tf")
    assert not writer.owned("shared-services/extra/main.tf")
    assert not writer.owned("shared-services/terraform.tfstate")
    assert not writer.owned("shared-services/.terraform.lock.hcl")


def test_rerender_prunes_roots_of_accounts_that_lost_their_policies(tmp_path):
    config = config_from_text(VARIANT)
    out = write_tree(tmp_path, render(config))
    (out / "uat" / ".terraform.lock.hcl").write_text("# user's lock file\n")
    smaller = config_from_text(VARIANT.replace("consumers: [uat]", "consumers: []"))
    result = writer.write(out, render(smaller))
    assert "uat/main.tf" in result.removed and "uat/providers.tf" in result.removed
    assert (out / "uat" / ".terraform.lock.hcl").is_file(), "files the writer does not own are never removed"


def test_root_header_says_what_the_account_does(variant_tree):
    text = (variant_tree.accounts / "science" / "main.tf").read_text()
    assert "Its roles are developers\n# of the model groups churn, fraud." in text
    assert "NOT attached: the entry is a wildcard" in text
    registry = (variant_tree.accounts / "registry" / "main.tf").read_text()
    assert "written by this root (terraform.group_policies = terraform)" in registry
