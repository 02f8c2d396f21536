# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install migrate lint benchmark-import clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/patron migrate --no-input

demo: migrate
	$(BIN)/patron demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

benchmark-import: $(STAMP)
	$(BIN)/python benchmarks/import_scale.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .patron .pytest_cache
