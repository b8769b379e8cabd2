"""``modules``: write the Terraform modules the rendered roots call."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import stat
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
    written = _record(args.out)
    # Replace only what this command wrote and nobody changed since (its
    # record), or a file already identical to ours; refuse the config, a
    # directory, a link and anything else, before writing anything.
    writer.check_named_out(
        args.out, [*files, RECORD], "modules",
        lambda name, head: (head == files.get(name) or written.get(name) == _digest(head)
                            or (name == RECORD and head.startswith(RECORD_HEAD))),
        read=MAX_MODULE_BYTES,
    )
    record = {"written by": "mrpolicy modules", "files": {name: _digest(text) for name, text in sorted(files.items())}}
    files[RECORD] = json.dumps(record, indent=2) + "\n"
    result = writer.write(args.out, files, patterns=MODULE_FILES)
    print(f"wrote the Terraform modules to {args.out}: {len(result.written)} written, "
          f"{len(result.unchanged)} unchanged, {len(result.removed)} removed")
    return 0


# What modules wrote last: {file: sha256 of its text}. A file whose text
# still has that digest is ours to replace; an edited one is the user's.
RECORD = ".modules.json"
RECORD_HEAD = '{\n  "written by": "mrpolicy modules",'
MAX_MODULE_BYTES = 1 << 20  # the modules are a few KB each; a larger file is not ours
MODULE_FILES = ("*/*.tf", "*/*.md", RECORD)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _record(out: Path) -> dict[str, str]:
    """The previous run's record, or {} when absent, a link or not ours."""
    try:
        fd = os.open(out / RECORD, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return {}
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return {}  # a FIFO or a device: check_named_out refuses it
        text = os.read(fd, MAX_MODULE_BYTES).decode("utf-8", "replace")
    except OSError:
        return {}
    finally:
        os.close(fd)
    try:
        files = json.loads(text).get("files") if text.startswith(RECORD_HEAD) else None
    except ValueError:
        return {}
    if not isinstance(files, dict):
        return {}
    return {name: digest for name, digest in files.items() if isinstance(name, str) and isinstance(digest, str)}
