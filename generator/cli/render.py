"""``render`` (and ``render --check``): accounts.yaml -> policies, manifest and Terraform roots."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from generator.config import load_config

EXAMPLES = """examples:
  %(prog)s
  %(prog)s --config org/accounts.yaml --out org/terraform/accounts
  %(prog)s --check      # in CI: exit 1 and a diff when the output is stale
  %(prog)s --check --max-percent 90   # also exit 1 when anything is above 90%% of its AWS limit or quota

Every render ends with the headroom: the tightest item of each kind (size
against its AWS limit) and of each quota (count against the quota)."""


def add_parser(sub) -> None:
    render = sub.add_parser("render", help="render every policy, the manifest and the Terraform roots",
                            description="Render every policy, the manifest and one Terraform root per account.",
                            epilog=EXAMPLES)
    render.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    render.add_argument("--out", type=Path, default=Path("terraform/accounts"), help="output directory")
    render.add_argument(
        "--check", action="store_true",
        help="write nothing; exit 1 with a diff summary if the output directory is stale",
    )
    render.add_argument(
        "--max-percent", type=_percent, default=None, metavar="N",
        help="exit 1 when any policy or quota is above N%% (1-100) of its AWS limit (after writing, or with --check)",
    )
    render.add_argument("--atlantis", type=Path, default=None, metavar="FILE",
                        help="also write an Atlantis repo config (atlantis.yaml at the repository root): one "
                             "project per root, planned when its files or modules change (docs/terraform.md)")
    render.set_defaults(func=_render)


def _percent(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 100, not {text!r}")
    return value


def _render(args: argparse.Namespace) -> int:
    from generator import render, writer

    if not args.check:
        writer.check_out(args.out, args.config)
    config = load_config(args.config)
    rendered = render.render_all(config)
    files = rendered.files
    if args.check:
        from generator import render_check

        ok, report = render_check.check(args.out, files)
        (sys.stdout if ok else sys.stderr).write(report)
        tight = _headroom(rendered, args.max_percent)
        return 0 if ok and tight else 1
    buckets = _state_buckets(args.out, files)
    result = writer.write(args.out, files, config=args.config)
    print(
        f"rendered {len(files)} files into {args.out}: {len(result.written)} written, "
        f"{len(result.unchanged)} unchanged, {len(result.removed)} removed"
    )
    _warn_removed_roots(args.out, result.removed, buckets)
    if args.atlantis is not None:
        from generator import atlantis

        target = args.atlantis
        text = atlantis.config_text(files, args.out, target)
        written = writer.write(target.parent, {target.name: text}, patterns=(target.name,))
        print(f"wrote {target} ({'changed' if written.written else 'unchanged'})")
    _warn_unresolved_modules(args.out, config.terraform.module_source)
    return 0 if _headroom(rendered, args.max_percent) else 1


def _headroom(rendered, max_percent: int | None) -> bool:
    """Print the tightest item of each kind and quota; False when one is
    above ``max_percent`` of its limit (each such item also on stderr)."""
    from generator import headroom

    lines = headroom.lines(rendered)
    print("headroom (the tightest item of each kind and quota):")
    for line in lines:
        print(f"  {line.text}")
    if max_percent is None:
        return True
    over = [line for line in lines if line.above(max_percent)]
    for line in over:
        print(f"error: above --max-percent {max_percent}: {line.text}", file=sys.stderr)
    return not over


# What `terraform init` / `apply` leave in a root and render never writes
# (so never removes): the signs that a root may own real resources.
_APPLIED_SIGNS = (".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.d")


def _state_buckets(out: Path, files: dict[str, str]) -> dict[str, bool]:
    """For each root about to be removed: whether its backend names a state
    bucket (read before the write deletes it)."""
    gone: dict[str, bool] = {}
    try:
        roots = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return gone
    for root in roots:
        if f"{root.name}/main.tf" in files or not (root / "main.tf").is_file():
            continue
        backend = root / "backend.tf"
        try:
            text = backend.read_text(encoding="utf-8") if backend.is_file() and not backend.is_symlink() else ""
        except (OSError, UnicodeDecodeError):
            text = ""
        gone[root.name] = any(line.strip().startswith("bucket") for line in text.splitlines())
    return gone


def _warn_removed_roots(out: Path, removed: list[str], buckets: dict[str, bool]) -> None:
    """An account root that disappears from the render may still own real
    resources: deleting its files does not delete them, and without the
    files Terraform can no longer destroy them. Say so loudly when the root
    shows a sign of having been applied: what init or a local apply left in
    it (_APPLIED_SIGNS), or a state bucket in its backend (a CI run from
    another checkout may have applied it). A root that was only ever
    rendered (replacing the example organization) goes with a note."""
    roots = sorted({path.split("/", 1)[0] for path in removed if path.endswith("/main.tf") and path.count("/") == 1})
    for account in roots:
        root = out / account
        signs = [name for name in _APPLIED_SIGNS if (root / name).exists()]
        if buckets.get(account):
            signs.append("a state bucket in its backend")
        if not signs:
            print(f"removed the root of '{account}' (it left the config or takes part in no model group): "
                  f"no sign it was ever applied (no {', '.join(_APPLIED_SIGNS)} in it, no state bucket in its "
                  "backend)")
            continue
        print(
            f"WARNING: the account '{account}' no longer has a Terraform root (it left the config or takes part "
            f"in no model group): {root} was removed, "
            f"but the resources it created may still exist ({', '.join(signs)}). Before committing this, restore "
            f"the root (git checkout HEAD -- {root}), run `terraform -chdir={root} destroy` (or `terraform state rm` "
            f"what you keep), then render again. See docs/terraform.md, \"Removing an account\".",
            file=sys.stderr,
        )


def _warn_unresolved_modules(out: Path, source: str) -> None:
    """A local module source that does not resolve from the output is a
    `terraform init` failure later: say so now, with the fix."""
    if not source.startswith(("./", "../")):
        return  # a remote address: terraform init fetches it
    from generator import resources, terraform

    missing = [
        name for name in sorted(p.name for p in resources.modules_dir().iterdir() if p.is_dir())
        if not (out / "_" / terraform.module_source(source, name)).resolve().is_dir()
    ]
    if missing:
        where = os.path.normpath(out / "_" / source)
        print(
            f"warning: the roots call the modules at {source}/<name> but {where} lacks {', '.join(missing)}: "
            f"run `mrpolicy modules --out {where}` (or set terraform.module_source in the config)",
            file=sys.stderr,
        )
