# Developer entry points for mltrail. Needs only Python >= 3.11 (set PYTHON to pick one).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := test
.PHONY: venv demo test lint format bench bench-lineage bench-server bench-airflow bench-ui clean

# The virtualenv is (re)built whenever pyproject.toml changes; the stamp marks a finished install.
$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' not found; install Python >= 3.11 or run 'make PYTHON=/path/to/python3.11 ...'" >&2; \
	  exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: mltrail needs Python >= 3.11, but '$(PYTHON)' is $$($(PYTHON) -V 2>&1);" \
	       "run 'make PYTHON=/path/to/python3.11 ...'" >&2; \
	  exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "error: '$(PYTHON)' cannot create virtualenvs; on Debian/Ubuntu run 'apt-get install python3-venv'" >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/python examples/airflow_demo.py
	$(BIN)/python examples/kfp_demo.py

# pytest exits 5 when it collected no tests: that is always a mistake here, so say so loudly.
test: $(VENV)/.installed
	@rc=0; $(BIN)/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests (exit code 5)" >&2; fi; \
	exit $$rc

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-lineage: $(VENV)/.installed
	$(BIN)/python -m benchmarks.lineage $(BENCH_ARGS)

bench-server: $(VENV)/.installed
	$(BIN)/python -m benchmarks.server $(BENCH_ARGS)

bench-airflow: $(VENV)/.installed
	$(BIN)/python -m benchmarks.airflow $(BENCH_ARGS)

bench-ui: $(VENV)/.installed
	$(BIN)/python -m benchmarks.ui $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis benchmarks/.work
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +
