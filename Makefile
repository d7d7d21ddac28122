# bpcopy's entry points. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install compile test lint pytest demo bench soak clean

install: $(STAMP)

# Re-install only when the project's metadata changes, so a second `make install` is a no-op.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check --config-settings editable_mode=compat -e '.[dev]'
	touch $(STAMP)

# Byte-compile bpcopy so start-up does not pay for it, even where
# PYTHONDONTWRITEBYTECODE keeps Python from caching it by itself.
compile: install
	@$(BIN)/python -m compileall -q bpcopy

test: install lint pytest

lint: install
	$(BIN)/ruff check bpcopy tests bench

pytest: install
	$(BIN)/pytest -q

demo: compile
	$(BIN)/python -m bpcopy.demo

bench: compile
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

soak: compile
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
