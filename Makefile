# The two commands a newcomer needs: `make demo` and `make test`. Both create .venv, install the
# project, fetch the Kafka broker jars once (Maven Central) and clean up after themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FORM4_CORPUS ?= $(abspath ../shared/filings)

.PHONY: demo test test-quick install jars tools bench clean

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

# Optional tools some tests use (promtool checks the metrics exposition, w3m renders real text dumps).
# Installed when this machine can (Debian, as root); otherwise those tests say why they skip.
tools:
	@command -v promtool >/dev/null && command -v w3m >/dev/null || \
	  ( (apt-get update -qq && apt-get install -y -qq prometheus w3m) >/dev/null 2>&1 || \
	    echo "note: could not install promtool/w3m (needs Debian apt as root); their checks will skip" )

test: jars tools
	$(BIN)/pytest

test-quick: install
	$(BIN)/pytest -m "not integration and not slow"

bench: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .form4 .pytest_cache .hypothesis
