"""The terraform: section of accounts.yaml: defaults and bad input.

Bad input must give one line naming the key (with its line) and exit 2,
with nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main
from generator.config import load_config

ROOT = Path(__file__).resolve().parent.parent
from tests.conftest import EXAMPLE, EXAMPLE_TERRAFORM, with_apply, with_terraform  # noqa: E402

FULL = EXAMPLE.read_text()
BASE = FULL.replace(EXAMPLE_TERRAFORM, "")  # the example without its terraform: section, to append one


def test_defaults_without_a_terraform_section(example_config):
    settings = example_config.terraform
    assert settings.group_policies == "apply"
    assert settings.assume_role == "ModelRegistryTerraform"  # the example names one: its guardrails need it
    assert settings.state.bucket is None and settings.state.region is None
    assert settings.state.key_prefix == "model-registry"
    assert settings.kms_key_deletion_window_days == 30
    assert settings.access_logs is None
    assert dict(settings.tags) == {"ManagedBy": "model-registry-policy-generator"}


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ("terraform: {group_policies: both}", "terraform.group_policies", "'apply' or 'terraform'"),
        ("terraform: {assume_role: 'Org*'}", "terraform.assume_role", "no wildcards"),
        ("terraform: {assume_role: 42}", "terraform.assume_role", "string"),
        ("terraform: {state: {bucket: Bad_Bucket}}", "terraform.state.bucket", "valid S3 bucket name"),
        ("terraform: {state: {bucket: 192.168.1.1}}", "terraform.state.bucket", "IP address"),
        ("terraform: {access_logs: {bucket: a..b}}", "terraform.access_logs.bucket", "valid S3 bucket name"),
        ("terraform: {state: {region: mars-1}}", "terraform.state.region", "does not match"),
        ("terraform: {state: {region: cn-north-1}}", "terraform.state.region", "not in partition aws"),
        ("terraform: {state: {key_prefix: /abs/}}", "terraform.state.key_prefix", "path segments"),
        ("terraform: {state: {lock_table: x}}", "terraform.state.lock_table", "unknown key"),
        ("terraform: {tags: {'aws:owner': x}}", "terraform.tags", "reserved"),
        ("terraform: {tags: {Owner: 5}}", "terraform.tags.Owner", "string"),
        ("terraform: {kms_key_deletion_window_days: 5}", "terraform.kms_key_deletion_window_days", "7"),
        ("terraform: {kms_key_deletion_window_days: '30'}", "terraform.kms_key_deletion_window_days", "integer"),
        ("terraform: {access_logs: {prefix: x/}}", "terraform.access_logs.bucket", "required"),
        ("terraform: {access_logs: {bucket: acme-ml-model-artifacts}}", "terraform.access_logs.bucket", "itself"),
        ("terraform: {roles: [x]}", "terraform.roles", "unknown key"),
        ("terraform: [apply]", "terraform", "mapping"),
    ],
)
def test_bad_terraform_keys_exit_2_naming_the_key(tmp_path, capsys, section, key, message):
    config = tmp_path / "accounts.yaml"
    if section.startswith("terraform: {"):  # merged with the example's assume_role (its guardrails need one)
        config.write_text(with_terraform(FULL, section[len("terraform: {"):-1]))
    else:
        config.write_text(BASE + "\n" + section + "\n")
    out = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {config}:"), err
    assert f": {key}: " in err, err
    assert message in err, err
    assert not out.exists(), "nothing may be written on bad input"


def test_error_names_the_line_of_the_key(tmp_path, capsys):
    config = tmp_path / "accounts.yaml"
    config.write_text(BASE + "\nterraform:\n  group_policies: both\n")
    main(["render", "--config", str(config), "--out", str(tmp_path / "out")])
    line = len(BASE.splitlines()) + 3
    assert f"accounts.yaml:{line}: terraform.group_policies:" in capsys.readouterr().err


def test_policy_name_over_128_characters_names_the_role(tmp_path, capsys):
    long_path = "/".join(["p" * 60] * 2) + "/Role"
    config = tmp_path / "accounts.yaml"
    config.write_text(BASE.replace("roles: [ModelApproverRole]", f"roles: [ModelApproverRole, '{long_path}']"))
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert "accounts.governance.roles[1]: " in capsys.readouterr().err


def test_good_section_loads(tmp_path):
    config = tmp_path / "accounts.yaml"
    config.write_text(BASE + """
terraform:
  state: {bucket: org-tf-state, key_prefix: a/b}
  assume_role: platform/Deployer
  tags: {Owner: ml platform, "cost:center": "4-2"}
  group_policies: terraform
  access_logs: {bucket: registry-logs}
  kms_key_deletion_window_days: 7
""")
    settings = load_config(config).terraform
    assert settings.group_policies == "terraform"
    assert settings.access_logs.prefix == "s3-access-logs/"


@pytest.mark.parametrize("writer", ["apply", "terraform"])
def test_each_bullet_of_the_registry_roots_header_speaks_of_its_own_resources(tmp_path, writer):
    """The note on who writes the group policies belongs to the model package
    groups' bullet, not to the ECR repositories' bullet that used to precede it."""
    from generator.config import config_from_text
    from generator.render import render

    files = render(config_from_text(with_terraform(FULL, f"group_policies: {writer}")))
    [main_tf] = [text for path, text in files.items() if path.endswith("/main.tf") and "module \"model_registry\"" in text]
    header = [line[2:] for line in main_tf.splitlines() if line.startswith("# ")]
    bullets, current = {}, None
    for line in header:
        if line.startswith("- "):
            current = line[2:].split(":", 1)[0]
            bullets[current] = ""
        elif current is not None and line.startswith("  "):
            bullets[current] += line
        else:
            current = None
    assert "ECR repositories for inference images" in bullets, bullets.keys()
    assert "model-package-group" not in bullets["ECR repositories for inference images"]
    assert "policies/model-package-group-*.json" in bullets["Model package groups"]


def _admits(constraint: str, version: str) -> bool:
    """Terraform's >=, <, = constraints (the ones the roots use), comma = and."""
    def key(v):
        return tuple(int(x) for x in v.split("."))
    ok = True
    for part in constraint.split(","):
        op, _, bound = part.strip().partition(" ")
        wanted = key(bound) + (0,) * (3 - len(key(bound)))
        have = key(version)
        ok &= {">=": have >= wanted, "<": have < wanted, "=": have == wanted}[op]
    return ok


def test_provider_constraints_admit_no_version_without_what_the_root_uses(example_files):
    """RESOURCE_CONTROL_POLICY is a valid aws_organizations_policy type only
    from AWS provider 5.78.0 on (see generator/terraform.py): the guardrails'
    root must not admit 5.77; the other roots use nothing newer than 5.0."""
    import re

    constraints = {path.split("/")[0]: re.search(r'\n\s*version\s*=\s*"([^"]+)"', text).group(1)
                   for path, text in example_files.items() if path.endswith("/versions.tf")}
    assert "organization" in constraints
    assert not _admits(constraints["organization"], "5.77.0")
    assert _admits(constraints["organization"], "5.78.0") and _admits(constraints["organization"], "6.20.0")
    for account, constraint in constraints.items():
        assert not _admits(constraint, "4.67.0") and not _admits(constraint, "7.0.0"), account
        assert _admits(constraint, "5.78.0"), account
    module = (ROOT / "terraform" / "modules" / "organization-guardrails" / "versions.tf").read_text()
    assert not _admits(re.search(r'\n\s*version\s*=\s*"([^"]+)"', module).group(1), "5.77.0")


def test_no_root_assumes_a_role_unless_the_config_names_one():
    """A reviewer sends back a root that assumes the organization's
    administrator role by default: without terraform.assume_role every
    provider uses the ambient credentials (allowed_account_ids still pins
    the account). Guardrails need the role's name, so they require it."""
    from generator.config import config_from_text
    from generator.errors import ConfigError
    from generator.render import render

    no_guardrails = BASE.split("guardrails:")[0] + "\n" + BASE.split("attach_to: [ou-ab12-cd34ef56]\n", 1)[1]
    files = render(config_from_text(no_guardrails))
    providers = {path: text for path, text in files.items() if path.endswith("/providers.tf")}
    assert providers
    for path, text in providers.items():
        assert "assume_role" not in text and "OrganizationAccountAccessRole" not in text, path
        assert "allowed_account_ids" in text, path
    with pytest.raises(ConfigError) as error:
        config_from_text(BASE)  # guardrails, no terraform.assume_role
    assert error.value.key == "terraform.assume_role"


def _lint_warnings(tmp_path, text):
    from generator import writer
    from generator.config import config_from_text
    from generator.lint.runner import lint
    from generator.render import render

    out = tmp_path / "out"
    writer.write(out, render(config_from_text(text)))
    return [f for f in lint(config_from_text(text), out, parallel=False).findings if f.rule_id == "terraform-admin-role"]


def test_lint_warns_when_the_roots_assume_the_organizations_administrator_role(tmp_path):
    admin = _lint_warnings(tmp_path, with_terraform(FULL, "assume_role: OrganizationAccountAccessRole"))
    assert [f.severity for f in admin] == ["warning"]
    assert "OrganizationAccountAccessRole" in admin[0].message
    assert _lint_warnings(tmp_path, with_terraform(FULL, "assume_role: platform/TerraformDeployer")) == []
    assert _lint_warnings(tmp_path, FULL) == []


@pytest.mark.parametrize("section", ["apply: {role_name: OrganizationAccountAccessRole}",
                                     "apply: {role_arn: 'arn:aws:iam::111111111111:role/OrganizationAccountAccessRole'}"])
def test_lint_warns_when_apply_assumes_the_organizations_administrator_role(tmp_path, section):
    admin = _lint_warnings(tmp_path, with_apply(FULL, section))
    assert [f.severity for f in admin] == ["warning"]
    assert admin[0].message.startswith("apply.role_") and "administrator role" in admin[0].message
    assert _lint_warnings(tmp_path, with_apply(FULL, "apply: {role_name: OrganizationAccountAccessRole, "
                                                     "assume_role: false}")) == []
    assert _lint_warnings(tmp_path, with_apply(FULL, "apply: {role_name: ops/ModelRegistryPolicyApplier}")) == []
