PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Two worker processes, one test file each at a time (module fixtures such as one LibreOffice
# run per file stay shared); every worker has its own databases. PYTEST_ARGS=-n0 runs serially.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: venv run test test-pg lint fmt clean bench

venv: $(STAMP)

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev,fast]'
	touch $(STAMP)

run: export ZERODRAFT_MODE = demo
run: venv
	$(BIN)/zerodraft db upgrade
	$(BIN)/zerodraft demo
	$(BIN)/zerodraft serve

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: venv
	ZERODRAFT_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(PYTEST_ARGS)

# Performance figures (README, "Performance"): a fresh working set of 500 indicators, HTTP
# throughput next to a bare FastAPI endpoint, and scaling at 125-1,000 indicators. On
# PostgreSQL: make bench BENCH_DATABASE_URL=postgresql+psycopg://... (an empty database).
BENCH_DB := $(or $(TMPDIR),/tmp)/zerodraft-bench.sqlite3
BENCH_DATABASE_URL ?= sqlite:///$(BENCH_DB)

bench: venv
	rm -f $(BENCH_DB)
	$(BIN)/python bench/generate.py --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python bench/run.py --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python bench/scaling.py

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis \
		test-artifacts ci-logs
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +
