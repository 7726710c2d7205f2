# The two set-up commands of the README. Both create (or refresh) .venv themselves.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
DEMO_ARGS ?= --duration 80 --speed 2 --port 8000 --open

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $(STAMP)

.PHONY: demo test lint
demo: $(STAMP)
	$(VENV)/bin/mineguard demo $(DEMO_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

test: lint
	$(VENV)/bin/pytest
