PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: venv run test test-pg lint fmt clean

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
	$(BIN)/pytest

test-pg: venv
	ZERODRAFT_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis \
		test-artifacts ci-logs
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +
