# The two commands of the README: `make run` and `make test`. Both create .venv when missing and
# install the package with its pinned dependencies (requirements/constraints.txt).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint unit bench docs install lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml requirements/constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade "pip>=25.1"
	$(BIN)/python -m pip install -q -c requirements/constraints.txt -e ".[cluster]" --group test --group lint --group docs
	@touch $(STAMP)

install: $(STAMP)

## Simulate the default scenario (breast); results and figures go to runs/breast/.
run: $(STAMP)
	$(BIN)/metacascade run breast

## Lint, type-check and run the whole test suite.
test: $(STAMP) lint unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q

## Performance benchmarks (figures recorded in benchmarks/README.md).
bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## Build the documentation site into docs/_build/html (warnings are errors; no network needed;
## runs every example of examples/gallery, about 40 s in all).
docs: $(STAMP)
	$(BIN)/python -m sphinx -b html -W --keep-going -q docs docs/_build/html
	@echo "open docs/_build/html/index.html"

## Re-resolve and pin every dependency (after editing pyproject.toml).
lock: | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade "pip>=25.1"
	$(BIN)/python -m pip install -q -e ".[cluster]" --group test --group lint --group docs
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^metacascade' > requirements/constraints.txt

clean:
	rm -rf $(VENV) runs docs/_build docs/gallery .pytest_cache .mypy_cache .ruff_cache
