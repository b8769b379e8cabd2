"""Replacing the example organization (issue 31): render warns that a
removed root's resources "still exist" only when the root shows a sign of
having been applied; a root that was only ever rendered goes quietly (one
note on stdout). Signs: a `.terraform/` directory, a `.terraform.lock.hcl`
(docs/terraform.md says to commit it after the first init), a local state
file (`terraform.tfstate`, `terraform.tfstate.d/`) in the root, or a state
bucket named in the removed root's backend (CI may have applied it from
another checkout)."""

from __future__ import annotations

import pytest

from generator.cli import main

from .conftest import EXAMPLE, with_terraform

SMALLER = EXAMPLE.read_text().replace("consumers: [test, prod]", "consumers: [test]")
WITH_BUCKET = with_terraform(EXAMPLE.read_text(), "state: {bucket: example-terraform-state}")


def _render_then_drop_prod(tmp_path, capsys, sign=None, config_text=None):
    out = tmp_path / "accounts"
    first = tmp_path / "first.yaml"
    first.write_text(config_text or EXAMPLE.read_text())
    assert main(["render", "--config", str(first), "--out", str(out)]) == 0
    if sign is not None:
        sign(out / "prod")
    smaller = tmp_path / "accounts.yaml"
    smaller.write_text((config_text or EXAMPLE.read_text()).replace("consumers: [test, prod]", "consumers: [test]"))
    capsys.readouterr()
    assert main(["render", "--config", str(smaller), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    return out, captured.out, captured.err


def test_a_root_that_was_only_rendered_goes_without_a_warning(tmp_path, capsys):
    out, said, err = _render_then_drop_prod(tmp_path, capsys)
    assert "WARNING" not in err and "destroy" not in err
    assert "removed the root of 'prod'" in said and "no sign it was ever applied" in said
    assert not (out / "prod").exists()


@pytest.mark.parametrize("sign", [
    lambda root: (root / ".terraform").mkdir(),
    lambda root: (root / ".terraform.lock.hcl").write_text("# lock\n"),
    lambda root: (root / "terraform.tfstate").write_text("{}"),
    lambda root: (root / "terraform.tfstate.d" / "blue").mkdir(parents=True),
], ids=[".terraform", "lock-file", "tfstate", "workspaces"])
def test_a_root_with_a_sign_of_an_apply_is_warned_about_loudly(tmp_path, capsys, sign):
    out, said, err = _render_then_drop_prod(tmp_path, capsys, sign)
    assert "WARNING: the account 'prod' no longer has a Terraform root" in err
    assert f"terraform -chdir={out / 'prod'} destroy" in err
    assert (out / "prod").is_dir()  # what Terraform left there is never deleted


def test_a_root_whose_backend_named_a_state_bucket_is_warned_about(tmp_path, capsys):
    out, said, err = _render_then_drop_prod(tmp_path, capsys, config_text=WITH_BUCKET)
    assert "WARNING: the account 'prod' no longer has a Terraform root" in err
    assert "state bucket" in err
