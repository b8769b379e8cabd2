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

.PHONY: render test clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

## render: accounts.yaml -> terraform/accounts/ (policies, manifest), docs/report/ (access matrix), schema/
render: $(STAMP)
	$(BIN)/python -m generator render --config $(CONFIG) --out $(OUT)
	$(BIN)/python -m generator report --config $(CONFIG) --policies $(OUT) --out $(REPORT)
	$(BIN)/python -m generator schema --out schema/accounts.schema.json

## test: unit, semantic and golden tests
test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
