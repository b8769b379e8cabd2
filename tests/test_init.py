"""`init` writes a starting accounts.yaml for a new organization (issue 31):
never overwrites, hostile flags are one line naming the flag with nothing
written, and the file renders, lints and reports clean with nothing of the
worked example in it. Negative cases first."""

from __future__ import annotations

import os

import pytest

from generator.cli import main
from generator.config import load_config

from .conftest import EXAMPLE

GOOD = ["--organization-id", "o-zz99yy88xx", "--registry-account", "123456789012", "--region", "eu-west-1"]


def init(capsys, *args):
    code = main(["init", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_existing_file_is_never_overwritten(tmp_path, capsys):
    target = tmp_path / "accounts.yaml"
    target.write_text("mine\n")
    code, _, err = init(capsys, *GOOD, "--out", str(target))
    assert code == 2 and err == f"error: --out: {target} exists; init never overwrites a file: choose another --out\n"
    assert target.read_text() == "mine\n"


def test_a_link_at_out_is_not_followed_even_dangling(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere.yaml"
    link = tmp_path / "accounts.yaml"
    link.symlink_to(elsewhere)
    code, _, err = init(capsys, *GOOD, "--out", str(link))
    assert code == 2 and "exists; init never overwrites" in err
    assert not elsewhere.exists() and os.path.islink(link)


@pytest.mark.parametrize("flag,value,message", [
    ("--organization-id", 'o-x"\nterraform: {assume_role: OrganizationAccountAccessRole}',
     "error: --organization-id: "),
    ("--registry-account", "012345", "error: --registry-account: must be exactly 12 digits"),
    ("--region", "eu west 1", "error: --region: "),
    ("--bucket", "Upper_Case", "error: --bucket: must be a valid S3 bucket name"),
    ("--key-alias", "no-alias-prefix", "error: --key-alias: "),
    ("--registry-name", "bad name", "error: --registry-name: "),
])
def test_a_bad_flag_is_one_line_naming_it_and_nothing_is_written(tmp_path, capsys, flag, value, message):
    args = dict(zip(GOOD[::2], GOOD[1::2]))
    args[flag] = value
    target = tmp_path / "accounts.yaml"
    code, out, err = init(capsys, *[x for pair in args.items() for x in pair], "--out", str(target))
    assert code == 2 and out == ""
    assert err.startswith(message) and "Traceback" not in err
    assert all(line.startswith("error: --") for line in err.splitlines())
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_the_required_flags_are_required(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["init", "--organization-id", "o-zz99yy88xx", "--out", str(tmp_path / "a.yaml")])
    assert exc.value.code == 2
    assert "--registry-account" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_out_in_a_missing_directory_is_refused(tmp_path, capsys):
    code, _, err = init(capsys, *GOOD, "--out", str(tmp_path / "no" / "accounts.yaml"))
    assert code == 2 and "is not a directory" in err


def test_the_file_renders_lints_and_reports_clean_with_nothing_of_the_example(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = init(capsys, *GOOD)
    assert code == 0 and out.startswith("wrote accounts.yaml: the registry account 123456789012 in eu-west-1")
    text = (tmp_path / "accounts.yaml").read_text()
    config = load_config(tmp_path / "accounts.yaml")
    assert (config.organization_id, config.region, config.partition) == ("o-zz99yy88xx", "eu-west-1", "aws")
    assert list(config.accounts) == ["registry"] and config.registry_account.id == "123456789012"
    assert config.registry.artifact_bucket == "model-registry-artifacts-123456789012-eu-west-1"
    assert config.terraform.assume_role is None and config.guardrails is None  # no administrator role
    # nothing of the worked example: no account id, name, bucket or organization of it
    example = EXAMPLE.read_text()
    for word in ("111111111111", "222222222222", "555555555555", "o-a1b2c3d4e5", "acme-ml-model-artifacts",
                 "shared-services"):
        assert word in example and word not in text
    assert main(["modules", "--out", "infra/modules"]) == 0
    capsys.readouterr()
    assert main(["render", "--config", "accounts.yaml", "--out", "infra/accounts"]) == 0
    _, err = capsys.readouterr()
    assert "warning" not in err, err
    assert main(["lint", "--config", "accounts.yaml", "--policies", "infra/accounts"]) == 0
    out, _ = capsys.readouterr()
    assert "0 errors, 0 warnings" in out
    assert main(["report", "--config", "accounts.yaml", "--policies", "infra/accounts", "--out", "infra/report"]) == 0


def test_the_file_is_the_start_users_fill_in(tmp_path, capsys):
    """Uncommenting the documented lines with real ids gives a config that renders: the comments are
    the config's own syntax."""
    code, _, _ = init(capsys, *GOOD, "--out", str(tmp_path / "accounts.yaml"))
    assert code == 0
    text = (tmp_path / "accounts.yaml").read_text()
    ids = iter(["222222222222", "333333333333", "555555555555", "666666666666"])
    lines = []
    for line in text.splitlines():
        if line.startswith("  # ") and "ACCOUNT_ID" in line:
            line = "  " + line[4:].replace("ACCOUNT_ID", next(ids))
        elif line.startswith("#  "):
            line = line[1:]
        elif line == "model_groups: {}":
            line = "model_groups:"
        lines.append(line)
    (tmp_path / "accounts.yaml").write_text("\n".join(lines) + "\n")
    config = load_config(tmp_path / "accounts.yaml")
    assert set(config.accounts) == {"registry", "data-science", "deployment", "prod", "governance"}
    assert config.model_groups["credit-risk"].consumers == ["prod"]
    assert main(["render", "--config", str(tmp_path / "accounts.yaml"), "--out", str(tmp_path / "out")]) == 0
