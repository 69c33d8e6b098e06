# Developer entry points. Each target creates the virtualenv on first use, so a fresh clone needs
# nothing but Python 3.11+ and make: `make plan STACK=phase2`, `make test`. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= phase1

.DEFAULT_GOAL := help

# The marker is written only after every package installed, so an interrupted or failed setup leaves
# no marker: the next run removes the half-built virtualenv and starts again instead of using it.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: needs Python 3.11+; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)." \
	       "Run with PYTHON=python3.11 (or newer)." >&2; exit 1; }
	@if [ -d $(VENV) ]; then echo "Removing the incomplete or outdated $(VENV) ..."; rm -rf $(VENV); fi
	@echo "Creating $(VENV) with $$($(PYTHON) --version) (first run only) ..."
	@$(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned packages into $(VENV): about 2 minutes the first time (log: $(VENV)/pip.log) ..."
	@$(BIN)/pip install --quiet --upgrade pip >$(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log >&2; exit 1; }
	@$(BIN)/pip install --progress-bar off -r requirements-dev.txt >>$(VENV)/pip.log 2>&1 \
	  || { tail -n 30 $(VENV)/pip.log >&2; echo "error: pip failed (full log: $(VENV)/pip.log)" >&2; exit 1; }
	@echo "Installed $$($(BIN)/pip list --format=freeze 2>/dev/null | wc -l) packages."
	@touch $@

.PHONY: help setup plan test lint bench clean
help: ## this list
	@echo "make TARGET [STACK=phaseN]   (the first target run creates .venv: about 2 minutes)"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## (.*)/  \1\t\2/' | expand -t 10

setup: $(BIN)/.installed ## create .venv with the pinned packages (needs Python 3.11+)

plan: setup ## what STACK deploys, offline (default STACK=phase1)
	$(BIN)/python -m infra.cli plan $(STACK)

test: setup ## the test suite, as CI runs it
	$(BIN)/python -m pytest -n 2 -q

lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup ## time the offline plan of every phase (fresh processes)
	$(BIN)/python benchmarks/plan_bench.py

clean: ## remove .venv, caches and generated output (the next target rebuilds .venv)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis out
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
