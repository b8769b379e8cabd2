#!/usr/bin/env bash
# Does `pip install .` give a working `mrpolicy`? Builds the wheel, installs
# it into a fresh virtualenv under $TMP (dependencies from PyPI, or from
# PIP_FIND_LINKS/--no-index when offline) and checks that none of the test
# extra came with it, then, from a directory that is not the checkout:
# --version, render, modules, render --check, lint, report --check,
# explain. Not part of `make test` (network, a minute or two).
# Usage: tools/install_check.sh [TMPDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(pwd)
work=${1:-$(mktemp -d)}
python=${PYTHON:-python3}
echo "install-check: building and installing into $work/venv"
rm -rf "$work/venv" "$work/wheel" "$work/org"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$project"
# Only what the command needs at run time: nothing of pyproject's test extra.
"$work/venv/bin/python" - "$project/pyproject.toml" <<'EOF'
import importlib.metadata, re, sys, tomllib
extra = tomllib.load(open(sys.argv[1], "rb"))["project"]["optional-dependencies"]["test"]
present = []
for requirement in extra:
    name = re.split(r"[\[=]", requirement)[0]
    try:
        importlib.metadata.distribution(name)
        present.append(name)
    except importlib.metadata.PackageNotFoundError:
        pass
if present:
    sys.exit(f"install-check: `pip install .` also installed the test extra's {', '.join(present)}")
EOF
mrpolicy="$work/venv/bin/mrpolicy"
mkdir -p "$work/org"
cp "$project/accounts.yaml" "$work/org/accounts.yaml"
cd "$work/org"
"$mrpolicy" --version
"$mrpolicy" render --out infra/accounts
"$mrpolicy" modules --out infra/modules
"$mrpolicy" render --check --out infra/accounts
"$mrpolicy" lint --policies infra/accounts
"$mrpolicy" report --policies infra/accounts --out report
"$mrpolicy" report --check --policies infra/accounts --out report
"$mrpolicy" explain --policies infra/accounts --principal arn:aws:iam::555555555555:role/SageMakerExecutionRole \
  --action s3:GetObject --resource arn:aws:s3:::acme-ml-model-artifacts/credit-risk/model.tar.gz >"$work/explain.out"
head -1 "$work/explain.out"  # not `| head -1`: explain exits 141 on a closed pipe, which pipefail reports
test -d infra/modules/registry-access && grep -q '"../../modules/registry-access"' infra/accounts/prod/main.tf
# The sandbox's server (moto) is the [sandbox] extra, not part of a plain
# install: the command says so in one line, naming how to add it, exit 1.
if "$mrpolicy" sandbox --policies infra/accounts >"$work/sandbox.out" 2>&1; then
  echo "install-check: sandbox ran without the [sandbox] extra"; exit 1
fi
grep -q "pip install '.\[sandbox\]'" "$work/sandbox.out" || { cat "$work/sandbox.out"; exit 1; }
echo "install-check: OK (mrpolicy at $mrpolicy)"
