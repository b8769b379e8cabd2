"""``terraform init -backend=false && terraform validate`` for every module and root.

Needs a terraform binary (``$TERRAFORM`` or ``terraform`` on PATH) and the
AWS provider (downloaded by init, or from a provider mirror configured in
the Terraform CLI configuration). Where either is missing this says so
plainly and exits 0: it is a check that can only run where Terraform can
get the provider, which these build machines cannot.

Each directory is checked in a temporary copy of ``terraform/``, so no
``.terraform/`` or lock file lands in the working tree. Providers are
shared between the copies through one plugin cache (unless
``TF_PLUGIN_CACHE_DIR`` is set already).

Usage: python -m tools.tf_validate [TERRAFORM_DIR]   (default: terraform)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# What `terraform init` prints when it cannot get a provider (no network,
# no mirror); anything else that fails init is a real error.
PROVIDER_UNAVAILABLE = (
    "Failed to query available provider packages",
    "Failed to install provider",
    "Failed to resolve provider packages",
    "could not connect to registry.terraform.io",
    "Could not retrieve the list of available versions",
)


def directories(root: Path) -> list[Path]:
    """Module directories, then account roots, relative to ``root``."""
    found = []
    for group in ("modules", "accounts"):
        base = root / group
        if base.is_dir():
            found += sorted(p.relative_to(root) for p in base.iterdir() if (p / "main.tf").is_file())
    return found


def _run(terraform: str, args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([terraform, *args], cwd=cwd, env=env, capture_output=True, text=True)


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "terraform").resolve()
    terraform = os.environ.get("TERRAFORM") or shutil.which("terraform")
    if not terraform:
        print("validate: SKIPPED: no terraform binary (none on PATH, TERRAFORM not set); "
              "fmt-check, the structural tests and checkov still ran in `make test`.")
        return 0
    targets = directories(root)
    if not targets:
        print(f"validate: nothing to validate under {root}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="tf-validate-") as tmp:
        copy = Path(tmp) / "terraform"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"))
        env = dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0")
        env.setdefault("TF_PLUGIN_CACHE_DIR", str(Path(tmp) / "plugin-cache"))
        Path(env["TF_PLUGIN_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
        failed = 0
        for target in targets:
            where = copy / target
            init = _run(terraform, ["init", "-backend=false", "-input=false", "-no-color"], where, env)
            if init.returncode != 0:
                output = init.stdout + init.stderr
                if any(marker in output for marker in PROVIDER_UNAVAILABLE):
                    reason = next(line.strip("│ ").strip() for line in output.splitlines()
                                  if any(marker in line for marker in PROVIDER_UNAVAILABLE))
                    print(f"validate: SKIPPED: {terraform} cannot get the AWS provider ({reason}). "
                          "Run `make validate` where the registry or a provider mirror is reachable.")
                    return 0
                print(f"validate: {target}: terraform init failed:\n{output}", file=sys.stderr)
                failed += 1
                continue
            result = _run(terraform, ["validate", "-no-color"], where, env)
            if result.returncode != 0:
                print(f"validate: {target}: INVALID\n{result.stdout}{result.stderr}", file=sys.stderr)
                failed += 1
            else:
                print(f"validate: {target}: valid")
    if failed:
        print(f"validate: {failed} of {len(targets)} directories failed", file=sys.stderr)
        return 1
    print(f"validate: all {len(targets)} directories valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
