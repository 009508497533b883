# The two commands that matter: `make demo` and `make test`. Everything else supports them.
# Lambda runs python3.13 (infra/template.yaml): the tests run on it too where the machine has it
# (on PATH, or installed by pyenv), else on python3 (tests/unit/test_dependency_pins.py says so).
PY313_BIN ?= $(or $(patsubst %/python3.13,%,$(shell command -v python3.13 2>/dev/null | grep -v shims)),$(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.13*/bin))))
PYTHON ?= $(if $(PY313_BIN),$(PY313_BIN)/python3.13,python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test test-unit test-integration test-conformance lint bench clean
.DEFAULT_GOAL := help

help:
	@echo "make demo   run the whole pipeline on the local stack (no AWS account, no internet)"
	@echo "make test   cfn-lint + the whole test suite"
	@echo "make lint | bench | build | deploy | venv | clean"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(BIN)/probewatch demo --out demo-out

test: venv
	$(BIN)/cfn-lint infra/template.yaml
	$(BIN)/python -m pytest -q

test-unit: venv
	$(BIN)/python -m pytest -q tests/unit

test-integration: venv
	$(BIN)/python -m pytest -q tests/integration

test-conformance: venv
	$(BIN)/python -m pytest -q tests/conformance -rA

lint: venv
	$(BIN)/ruff check shared functions tests
	$(BIN)/mypy shared/probewatch functions
	$(BIN)/cfn-lint infra/template.yaml

bench: venv
	$(BIN)/python tests/bench/run.py --out BENCHMARKS.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .aws-sam demo-out

include infra/sam.mk
