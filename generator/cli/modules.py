"""``modules``: write the Terraform modules the rendered roots call."""

from __future__ import annotations

import argparse
from pathlib import Path

EXAMPLES = """examples:
  %(prog)s --out terraform/modules   # beside terraform/accounts, where ../../modules points"""


def add_parser(sub) -> None:
    modules = sub.add_parser("modules", help="write the Terraform modules the rendered roots call",
                             description="Write the Terraform modules (model-registry, registry-access) the rendered "
                             "roots call. The roots use terraform.module_source (default ../../modules, a modules/ "
                             "directory beside the output directory).",
                             epilog=EXAMPLES)
    modules.add_argument("--out", type=Path, default=Path("terraform/modules"), help="directory to write")
    modules.set_defaults(func=_modules)


def _modules(args: argparse.Namespace) -> int:
    from generator import resources, writer

    source = resources.modules_dir()
    files = {
        path.relative_to(source).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(source.glob("*/*")) if path.is_file() and path.suffix in (".tf", ".md")
    }
    result = writer.write(args.out, files, patterns=MODULE_FILES)
    print(f"wrote the Terraform modules to {args.out}: {len(result.written)} written, "
          f"{len(result.unchanged)} unchanged, {len(result.removed)} removed")
    return 0


MODULE_FILES = ("*/*.tf", "*/*.md")
