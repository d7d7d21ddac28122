# bpcopy's entry points. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/pip --quiet --disable-pip-version-check

# `make test-all` runs the suite once per Python listed here, each in its own .venv-X.Y,
# with the newest X.Y.* that pyenv has installed.
PYTHONS ?= 3.10 3.11 3.12 3.13
PYENV_ROOT ?= $(HOME)/.pyenv
# test-all reads bash's PIPESTATUS.
SHELL := bash

.PHONY: install compile test lint pytest test-all coverage dist demo bench soak clean

install: $(STAMP)

# Re-install only when the project's metadata changes, so a second `make install` is a no-op.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[dev]'
	touch $(STAMP)

# Byte-compile bpcopy so start-up does not pay for it, even where
# PYTHONDONTWRITEBYTECODE keeps Python from caching it by itself.
compile: install
	@$(BIN)/python -m compileall -q bpcopy

test: install lint pytest

lint: install
	$(BIN)/ruff check bpcopy tests bench

pytest: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-all:
	@failed=; for version in $(PYTHONS); do \
	    python=$$(ls -d $(PYENV_ROOT)/versions/$$version.*/bin/python3 2>/dev/null | sort -V | tail -n 1); \
	    if [ -z "$$python" ]; then echo "test-all: Python $$version is not installed under $(PYENV_ROOT)/versions" >&2; exit 1; fi; \
	    echo "== Python $$version ($$python)"; mkdir -p .venv-$$version; \
	    $(MAKE) --no-print-directory pytest PYTHON=$$python VENV=.venv-$$version \
	        PYTEST_ARGS="-rs $(PYTEST_ARGS)" 2>&1 | tee .venv-$$version/pytest.log; \
	    [ "$${PIPESTATUS[0]}" = 0 ] || failed="$$failed $$version"; \
	done; \
	echo "== test-all"; for version in $(PYTHONS); do \
	    echo "Python $$version: $$(grep -E '(passed|failed|error)' .venv-$$version/pytest.log | tail -n 1)"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-all: failed on$$failed" >&2; exit 1; fi

# Line and branch coverage of bpcopy/, the CLI's subprocesses included ([tool.coverage]
# in pyproject.toml). The data directory is open to all because some tests run the CLI
# as user nobody.
COVERAGE_DATA := $(CURDIR)/.coverage-data
COVERAGE := COVERAGE_FILE=$(COVERAGE_DATA)/coverage $(BIN)/coverage
coverage: install
	rm -rf $(COVERAGE_DATA) htmlcov
	mkdir -m 1777 $(COVERAGE_DATA)
	$(COVERAGE) run -m pytest -q -p no:cacheprovider $(PYTEST_ARGS); status=$$?; \
	$(COVERAGE) combine -q && $(COVERAGE) html -q -d htmlcov && $(COVERAGE) report && \
	echo "coverage: htmlcov/index.html" && exit $$status

# An sdist and a wheel in dist/, checked by twine, and the wheel tried in a fresh
# virtual environment outside the source tree.
dist: install
	rm -rf dist build
	$(PIP) install build twine
	$(BIN)/python -m build --quiet --outdir dist .
	$(BIN)/twine check --strict dist/*
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && set -e && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/pip" install --quiet --disable-pip-version-check dist/*.whl && \
	cd "$$tmp" && head -c 3000000 /dev/urandom > src.bin && \
	venv/bin/bpcopy --version && \
	venv/bin/bpcopy src.bin copy.bin -q && cmp src.bin copy.bin && \
	venv/bin/python -m bpcopy.demo > demo.txt 2>&1 && ! grep -n Traceback demo.txt && \
	echo "dist: the wheel installs into a fresh venv; bpcopy copies and the demo runs" \
	    "($$(grep -c '^== ' demo.txt) demo sections)"

demo: compile
	$(BIN)/python -m bpcopy.demo

bench: compile
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

soak: compile
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .venv-3.* build dist *.egg-info .pytest_cache .ruff_cache .coverage-data htmlcov
