# bpcopy's entry points. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint pytest demo bench soak clean

install: $(STAMP)

# Re-install only when the project's metadata changes, so a second `make install` is a no-op.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

test: install lint pytest

lint: install
	$(BIN)/ruff check bpcopy tests bench

pytest: install
	$(BIN)/pytest -q

demo: install
	$(BIN)/python -m bpcopy.demo

bench: install
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

soak: install
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
