"""An Atlantis repo config (``atlantis.yaml``) for the rendered roots.

Rendered on request (``render --atlantis FILE``), so that a pull request is
planned only in the roots it touches: one project per root, ``dir``
relative to the file's directory (Atlantis reads ``atlantis.yaml`` at the
repository root only), autoplan on when the root's own files
(``*.tf``, ``policies/*.json``) or a local module it calls change. The
format is Atlantis's repo-level config, version 3
(https://www.runatlantis.io/docs/repo-level-atlantis-yaml): ``projects``
with ``name``, ``dir`` and ``autoplan: {when_modified, enabled}``, where
``when_modified`` paths are relative to the project's ``dir``. No custom
workflow (the default plan and apply; custom ``run`` steps are a
server-side opt-in), no home-made runner.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

_SOURCE = re.compile(r'^\s*source\s*=\s*"([^"]+)"\s*$', re.MULTILINE)


def local_modules(main_tf: str) -> list[str]:
    """The local module sources (``./`` or ``../``) a root's main.tf calls."""
    return sorted({s for s in _SOURCE.findall(main_tf) if s.startswith(("./", "../"))})


def config_text(files: dict[str, str], out: Path, at: Path) -> str:
    """atlantis.yaml for the roots in ``files`` (a render into ``out``),
    to be written at ``at``. YAML is written as JSON (a subset of YAML 1.2),
    so every string is quoted and the output is byte-stable."""
    base = Path(os.path.abspath(at)).parent
    projects = []
    for path in sorted(p for p in files if p.count("/") == 1 and p.endswith("/main.tf")):
        account = path.split("/", 1)[0]
        root = Path(os.path.abspath(out / account))
        watched = ["*.tf", "policies/*.json"] + [f"{source}/*.tf" for source in local_modules(files[path])]
        projects.append({
            "name": account,
            "dir": Path(os.path.relpath(root, base)).as_posix(),
            "autoplan": {"when_modified": watched, "enabled": True},
        })
    header = ("# Atlantis repo config, rendered by `mrpolicy render --atlantis`: one project per root;\n"
              "# a pull request plans the roots whose files or local modules it changes.\n")
    return header + json.dumps({"version": 3, "projects": projects}, indent=2) + "\n"
