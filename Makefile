# supersetctl: the two commands a newcomer needs are `make up` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
# pip warns once per package about this machine's optional local indexes; keep the output readable
QUIET_PIP := grep -v 'neither a file nor a directory' || true
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help python-check install up rehearse down status logs reset test test-unit lint fmt schemas docs lock bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv with supersetctl and its pinned dependencies

$(STAMP): pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | { $(QUIET_PIP); }
	$(BIN)/python -m pip install -q --require-hashes -r requirements/dev.lock 2>&1 | { $(QUIET_PIP); }
	$(BIN)/python -m pip install -q --no-deps -e . 2>&1 | { $(QUIET_PIP); }
	$(BIN)/supersetctl --version
	@touch $@

up: python-check install ## run the whole stack locally (PostgreSQL, Superset, seed data, dashboards)
	$(BIN)/supersetctl up

rehearse: python-check install ## rehearse production here: spec's processes, prod mode, TLS (.local/staging/)
	$(BIN)/supersetctl up --env staging

# first, before anything is built (also under -j): the pinned runtime needs Python 3.11 or 3.12
.NOTPARALLEL: up rehearse
python-check: ## check that this Python can run the pinned Superset runtime
	@$(PYTHON) scripts/check_python.py
	@if [ -x $(BIN)/python ]; then $(BIN)/python scripts/check_python.py; fi

down: install ## stop the local stack
	$(BIN)/supersetctl down

status: install ## show what runs locally
	$(BIN)/supersetctl status

logs: install ## the end of Superset's log (supersetctl logs COMPONENT for others)
	$(BIN)/supersetctl logs superset

reset: install ## stop the local stack and delete .local/ (asks first)
	$(BIN)/supersetctl reset

test: install ## run the whole test suite (unit and integration, real servers)
	$(BIN)/pytest

test-unit: install ## unit tests only (seconds)
	$(BIN)/pytest tests/unit

lint: install ## ruff, ruff format --check, mypy --strict, the import contracts
	$(BIN)/ruff check src tests bench scripts $(wildcard image)
	$(BIN)/ruff format --check src tests bench scripts $(wildcard image)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

fmt: install ## format the code
	$(BIN)/ruff check --fix src tests bench scripts $(wildcard image)
	$(BIN)/ruff format src tests bench scripts $(wildcard image)

schemas: install ## regenerate the committed JSON Schemas from the models
	$(BIN)/supersetctl schema --write

docs: install ## regenerate docs/cli-reference.md from every command's --help
	$(BIN)/python scripts/cli_reference.py

lock: install ## re-resolve requirements/dev.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --custom-compile-command "make lock" -q -o requirements/dev.lock

bench: install ## run the benchmarks and rewrite docs/benchmarks.md
	$(BIN)/python bench/run.py

clean: ## remove the venv and caches (not .local/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
