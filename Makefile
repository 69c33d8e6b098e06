# Developer entry points. Each target creates the virtualenv on first use, so a fresh clone needs
# nothing but Python 3.11+: `make plan STACK=phase2`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= phase1

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

.PHONY: setup plan test lint bench
setup: $(BIN)/.installed

plan: setup
	$(BIN)/python -m infra.cli plan $(STACK)

test: setup
	$(BIN)/python -m pytest -n 2 -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/plan_bench.py
