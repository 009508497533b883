# Build and deploy the SAM stack (included by the top-level Makefile as infra/sam.mk).
#   make build    sam build  (needs python3.13: taken from pyenv when it is not on PATH)
#   make deploy   sam deploy --guided  (asks for the parameters; saves them to samconfig.toml)
# The SAM CLI is large, so it is not a dev extra: an installed `sam` is used, otherwise one is
# installed once into .venv-sam.

SAM_VENV ?= .venv-sam
export SAM_CLI_TELEMETRY ?= 0
SAM ?= $(or $(shell command -v sam 2>/dev/null),$(SAM_VENV)/bin/sam)
# Lambda runs python3.13; sam build needs that interpreter on PATH (PY313_BIN: see ../Makefile).
SAM_PATH := $(if $(PY313_BIN),$(PY313_BIN):)$(PATH)

$(SAM_VENV)/bin/sam:
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli

.PHONY: build deploy
build: $(if $(findstring $(SAM_VENV),$(SAM)),$(SAM_VENV)/bin/sam)
	@test -n "$(PY313_BIN)" || { echo "python3.13 not found (install it, e.g. pyenv install 3.13)"; exit 1; }
	PATH="$(SAM_PATH)" $(SAM) build --template-file infra/template.yaml

deploy: build
	PATH="$(SAM_PATH)" $(SAM) deploy --guided
