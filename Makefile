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

.PHONY: render test clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

## render: accounts.yaml -> terraform/accounts/ (policies, manifest)
render: $(STAMP)
	$(BIN)/python -m generator render --config $(CONFIG) --out $(OUT)

## test: unit, semantic and golden tests
test: $(STAMP)
	$(BIN)/python -m pytest

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
