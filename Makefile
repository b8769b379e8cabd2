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

.PHONY: render test clean lint lint-sarif render-check

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

## render: accounts.yaml -> terraform/accounts/ (policies, manifest)
render: $(STAMP)
	$(BIN)/python -m generator render --config $(CONFIG) --out $(OUT)

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

clean:
	rm -rf $(VENV) .pytest_cache
