# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The dashboard's gettext catalogs, compiled with Babel (no GNU gettext needed).
CATALOGS := $(patsubst %.po,%.mo,$(wildcard src/patron/locale/*/LC_MESSAGES/django.po))

.PHONY: demo test install migrate layers benchmark-import clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $(STAMP)

$(CATALOGS): %.mo: %.po $(STAMP)
	$(BIN)/python -m patron.core.catalogs compile

install: $(STAMP) $(CATALOGS)

migrate: install
	$(BIN)/patron migrate --no-input

demo: migrate
	$(BIN)/patron demo $(DEMO_ARGS)

# The layers of docs/architecture.md (import-linter's contracts in pyproject.toml), then the suite.
layers: $(STAMP)
	$(BIN)/lint-imports

test: install layers
	$(BIN)/pytest $(PYTEST_ARGS)

benchmark-import: $(STAMP)
	$(BIN)/python benchmarks/import_scale.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .patron .pytest_cache
