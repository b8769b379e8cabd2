"""Shared fixtures: the worked example, rendered, and a who-can-do-what oracle.

The project's tests never read the user's accounts.yaml or its output
(terraform/accounts/, docs/report/): a user who maps their own organization
edits those, and `make test` must keep passing. The example lives here as a
fixture, tests/fixtures/example/accounts.yaml (a copy of the shipped
accounts.yaml), with its reviewed goldens beside it (terraform/accounts/,
report/), which `make render` refreshes (tools/golden.py).
tests/test_fixture_isolation.py keeps it that way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import config_from_text, load_config
from generator.analysis.evaluate import Decision
from generator.analysis.policyset import PolicySet
from generator.render import render

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLE_DIR = FIXTURES / "example"
EXAMPLE = EXAMPLE_DIR / "accounts.yaml"  # the example config, never the user's file
EXAMPLE_OUT = EXAMPLE_DIR / "terraform" / "accounts"  # its committed render (golden)
EXAMPLE_REPORT = EXAMPLE_DIR / "report"  # its committed access matrix (golden)
MODULES = ROOT / "terraform" / "modules"  # the project's Terraform modules
EXAMPLE_ORG = "o-a1b2c3d4e5"


class World(PolicySet):
    """PolicySet with a test-friendly call: context keys as keyword
    arguments, ``__`` standing for ``:`` (``kms__ViaService=...``), and the
    example's organization by default."""

    def decide(self, role_arn: str, action: str, resource: str, *, identity: list[dict] | None = None,
               org: str | None = EXAMPLE_ORG, **context) -> Decision:
        ctx = {k.replace("__", ":"): v for k, v in context.items()}
        return super().decide(role_arn, action, resource, ctx, identity=identity, org=org)

    def can(self, role_arn: str, action: str, resource: str, **kwargs) -> bool:
        return self.decide(role_arn, action, resource, **kwargs).allowed


@pytest.fixture(scope="session")
def example_config():
    return load_config(EXAMPLE)


@pytest.fixture(scope="session")
def example_files(example_config) -> dict[str, str]:
    return render(example_config)


@pytest.fixture(scope="session")
def world(example_files) -> World:
    return World(example_files)


def world_from_text(text: str) -> World:
    return World(render(config_from_text(text)))


def popen_with_ctrl_c(argv: list[str], **kwargs):
    """subprocess.Popen whose child takes Ctrl-C as a terminal's foreground
    job does, however the tests were started. A shell starts a background
    job (``make test &``, CI runners) with SIGINT ignored, and an ignored
    signal stays ignored across exec: a `status` child would then never see
    the tests' SIGINT (it installs no handler of its own; apply and promote
    do). A handler set here is reset to the default in the child by exec."""
    import signal
    import subprocess

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(argv, **kwargs)
    finally:
        signal.signal(signal.SIGINT, previous)


EXAMPLE_TERRAFORM = "terraform:\n  assume_role: ModelRegistryTerraform\n"


EXAMPLE_APPLY = "apply:\n  role_name: ModelRegistryPolicyApplier\n"


def with_apply(text: str, section: str) -> str:
    """The example's text with its ``apply:`` section replaced by ``section``
    (a whole ``apply: ...`` section, or "" for none: the ambient credentials)."""
    assert EXAMPLE_APPLY in text, "the example's apply: section changed"
    return text.replace(EXAMPLE_APPLY, section if section.endswith("\n") or not section else section + "\n")


def with_terraform(text: str, settings: str) -> str:
    """The example's text with ``settings`` (the body of a flow mapping,
    e.g. ``group_policies: terraform``) merged into its ``terraform:``
    section, keeping its assume_role unless ``settings`` names one."""
    assert EXAMPLE_TERRAFORM in text, "the example's terraform: section changed"
    keep = "" if "assume_role" in settings else "assume_role: ModelRegistryTerraform, "
    return text.replace(EXAMPLE_TERRAFORM, f"terraform: {{{keep}{settings}}}\n")
