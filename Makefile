# Two commands set everything up: `make run` and `make test` (which also builds the wheel and runs it from
# a fresh virtual environment outside the checkout: tests/packaging).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench snapshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/learning-together

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

snapshots: $(STAMP)
	$(BIN)/python -m pytest tests/tui/test_snapshots.py --snapshot-update

clean:
	rm -rf $(VENV) build dist *.egg-info
