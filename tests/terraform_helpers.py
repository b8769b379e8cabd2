"""Parse rendered Terraform with python-hcl2 and lay out render trees on disk.

Rendered roots reference the modules as ../../modules/<name>, so a render
written for a test goes to TMP/terraform/accounts next to a copy of the
real terraform/modules.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import hcl2
from hcl2 import SerializationOptions

from generator import writer

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "terraform" / "modules"  # the project's modules
# The example fixture's terraform/: its golden roots in accounts/ and a
# symlink to the project's modules, the layout of a user's checkout.
TERRAFORM = ROOT / "tests" / "fixtures" / "example" / "terraform"
ACCOUNTS = TERRAFORM / "accounts"  # the example golden

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
FILE_CALL = re.compile(r'file\("\$\{path\.module\}/([^"]+)"\)')


def parse(path: Path) -> dict:
    return hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=_OPTIONS)


def parse_dir(directory: Path) -> dict[str, list]:
    """All top-level blocks of every .tf file in a directory, merged by block type."""
    merged: dict[str, list] = {}
    for path in sorted(directory.glob("*.tf")):
        for kind, blocks in parse(path).items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


def single(blocks: list[dict]) -> tuple[str, dict]:
    """The one labelled block of a list like [{'label': {...}}]."""
    assert len(blocks) == 1, blocks
    ((label, body),) = blocks[0].items()
    return label, body


def unescape(text: str) -> str:
    """HCL template escapes back to the literal text."""
    return text.replace("$${", "${").replace("%%{", "%{")


def file_refs(value: object, where: str = "") -> list[tuple[str, str]]:
    """(argument path, file) for every file("${path.module}/...") call in a value."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += file_refs(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += file_refs(item, f"{where}[{index}]")
    elif isinstance(value, str):
        found += [(where, match) for match in FILE_CALL.findall(value)]
    return found


def write_tree(base: Path, files: dict[str, str]) -> Path:
    """Write a render into BASE/terraform/accounts beside a copy of the modules."""
    terraform = base / "terraform"
    shutil.copytree(MODULES, terraform / "modules")
    writer.write(terraform / "accounts", files)
    return terraform / "accounts"
