# The two commands a newcomer needs: `make demo` and `make test`. Both create .venv, install the
# project, fetch the Kafka broker jars once (Maven Central) and clean up after themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FORM4_CORPUS ?= $(abspath ../shared/filings)

.PHONY: demo test test-quick install jars bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

jars: install
	$(BIN)/form4 broker jars

demo: jars
	$(BIN)/form4 demo

test: jars
	$(BIN)/pytest

test-quick: install
	$(BIN)/pytest -m "not integration and not slow"

bench: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .form4 .pytest_cache .hypothesis
