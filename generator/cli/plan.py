"""``plan``: what to deploy after a render, in order (docs/terraform.md, "One deploy story").

Compares the rendered directory with the committed render (``git diff``
against HEAD, untracked files included) or with another directory
(``--base``), and lists which Terraform roots need ``terraform apply`` and
which model groups need ``mrpolicy apply``, in the order to run them:

1. the registry's root (it creates the bucket, key and model package
   groups the rest refers to, and outputs the key ARN);
2. ``mrpolicy apply --group ...`` for the groups whose policy changed
   (when ``terraform.group_policies`` is ``apply``: otherwise the registry
   root writes them and step 1 covers them);
3. every other account's root (any order among them);
4. the guardrails' root (``organization/``) last, once the roles it
   exempts exist.

Roots whose files disappeared are listed apart: destroy them first, from
the committed files (docs/terraform.md, "Removing an account"). Reads
files and runs ``git`` only; never calls AWS or Terraform.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from generator.cli.common import EXIT_BAD_INPUT
from generator.config import load_config

EXAMPLES = """examples:
  %(prog)s                              # what changed since the commit: git diff HEAD -- terraform/accounts
  %(prog)s --format json                # the same for CI
  %(prog)s --base /tmp/previous-render  # against another directory instead of git"""


def add_parser(sub) -> None:
    plan = sub.add_parser("plan", help="after render: which roots need terraform apply and which groups "
                                       "mrpolicy apply, in order",
                          description=__doc__.split("\n\n")[1].replace("\n", " "), epilog=EXAMPLES)
    plan.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    plan.add_argument("--policies", type=Path, default=Path("terraform/accounts"),
                      help="the rendered directory (render's --out)")
    plan.add_argument("--base", type=Path, default=None, metavar="DIR",
                      help="compare with this directory instead of the committed render (git HEAD)")
    plan.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    plan.set_defaults(func=_plan)


class _Refused(Exception):
    """Bad input: one line, exit 2."""


def _files(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by relative path; what Terraform
    leaves in a root (dot-directories, state) is not part of the render."""
    found = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts) or "tfstate" in path.name:
            continue
        if path.is_file() and not path.is_symlink():
            found[relative.as_posix()] = path.read_bytes()
    return found


def _changed_against(base: Path, out: Path) -> tuple[list[str], list[str]]:
    """(changed or added paths, removed paths), relative to ``out``."""
    if not base.is_dir():
        raise _Refused(f"--base: {base} is not a directory")
    old, new = _files(base), _files(out)
    changed = sorted(p for p in new if old.get(p) != new[p])
    return changed, sorted(p for p in old if p not in new)


def _git(out: Path, *args: str) -> list[str]:
    try:
        proc = subprocess.run(["git", *args], cwd=out, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise _Refused(f"cannot run git ({exc}); pass --base DIR to compare with another render") from None
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["git failed"])[0]
        raise _Refused(f"{out} is not in a git checkout with a commit ({first}); pass --base DIR to compare "
                       "with another render")
    return [line for line in proc.stdout.split("\0") if line]


def _changed_since_head(out: Path) -> tuple[list[str], list[str]]:
    """Paths (relative to ``out``) that differ from HEAD, untracked ones
    included, and those deleted since HEAD."""
    _git(out, "rev-parse", "--verify", "--quiet", "HEAD")
    diff = _git(out, "diff", "--no-renames", "--name-status", "-z", "--relative", "HEAD", "--", ".")
    untracked = _git(out, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    changed, removed = set(untracked), set()
    for status, path in zip(diff[::2], diff[1::2]):
        (removed if status.startswith("D") else changed).add(path)
    keep = set(_files(out)) | removed
    return sorted(changed & keep), sorted(removed)


def plan_steps(config, config_path: Path, out: Path, changed: list[str], removed: list[str]) -> dict:
    """The ordered steps for these changed paths (relative to ``out``)."""
    from generator import kinds
    from generator.config.guardrails import ORGANIZATION_DIR

    group_kind = kinds.one(applied_by_helper=True).name
    helper_writes = config.terraform.group_policies == "apply"
    manifest = out / "manifest.json"
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).get("policies", [])
        group_files = {e.get("path"): e.get("model_group") for e in entries
                       if isinstance(e, dict) and e.get("kind") == group_kind}
    except (OSError, ValueError, AttributeError, TypeError):
        raise _Refused(f"{manifest}: cannot read the manifest; run `mrpolicy render` first") from None
    roots: dict[str, list[str]] = {}
    groups: set[str] = set()
    for path in changed:
        account, _, rest = path.partition("/")
        if not rest:
            continue  # manifest.json: it lists the files, it deploys nothing
        if helper_writes and path in group_files:
            groups.add(group_files[path])
            continue
        roots.setdefault(account, []).append(rest)
    gone = sorted({p.split("/", 1)[0] for p in removed if p.count("/") == 1 and p.endswith("/main.tf")})
    for account in gone:
        roots.pop(account, None)
    registry = config.registry.account
    order = ([registry] if registry in roots else []) + ["(groups)"] + sorted(
        a for a in roots if a not in (registry, ORGANIZATION_DIR)) + ([ORGANIZATION_DIR] if ORGANIZATION_DIR in roots else [])
    steps = []
    for item in order:
        if item == "(groups)":
            if groups:
                names = sorted(groups)
                command = ["mrpolicy", "apply", "--config", str(config_path)] + [
                    arg for name in names for arg in ("--group", name)]
                steps.append({"action": "mrpolicy apply", "groups": names, "command": command})
            continue
        root = out / item
        steps.append({"action": "terraform apply", "root": root.as_posix(), "files": sorted(roots[item]),
                      "command": ["terraform", f"-chdir={root.as_posix()}", "apply"]})
    return {"steps": steps, "removed_roots": [(out / a).as_posix() for a in gone]}


def _plan(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    out = args.policies
    try:
        if not (out / "manifest.json").is_file():
            raise _Refused(f"{out / 'manifest.json'}: not found; run `mrpolicy render` first")
        if args.base is not None:
            changed, removed = _changed_against(args.base, out)
            against = str(args.base)
        else:
            changed, removed = _changed_since_head(out)
            against = "HEAD"
        result = plan_steps(config, args.config, out, changed, removed)
    except _Refused as exc:
        from generator.errors import one_line

        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = {"against": against, "policies": out.as_posix(), **result}
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return 0
    steps = result["steps"]
    print(f"plan: {out.as_posix()} against {against}: {len(steps)} step(s)"
          + (f", {len(result['removed_roots'])} removed root(s)" if result["removed_roots"] else ""))
    for root in result["removed_roots"]:
        print(f"first: {root} was removed: restore it from git and terraform destroy it (docs/terraform.md, "
              "\"Removing an account\")")
    for number, step in enumerate(steps, start=1):
        if step["action"] == "terraform apply":
            print(f"{number}. terraform -chdir={step['root']} apply    # {', '.join(step['files'])}")
        else:
            print(f"{number}. {' '.join(step['command'])}")
    if not steps and not result["removed_roots"]:
        print("nothing to deploy: the render is what was committed")
    return 0
