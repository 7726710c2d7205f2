# The two set-up commands of the README. Both create (or refresh) .venv themselves.
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed
DEMO_ARGS ?= --duration 80 --speed 2 --port 8000 --open

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e ".[dev,cluster]"
	touch $(STAMP)

SUPPLY_CHAIN := $(VENV)/.supply-chain
PINNED := build/requirements-pinned.txt

$(SUPPLY_CHAIN): pyproject.toml $(STAMP)
	$(VENV)/bin/pip install --quiet -e ".[supply-chain]"
	touch $(SUPPLY_CHAIN)

# the pinned dependencies of pyproject.toml (runtime, dev and cluster: what `make test` installs), one `name==version` a line
$(PINNED): pyproject.toml
	mkdir -p build
	$(VENV)/bin/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	o = p["optional-dependencies"]; print("\n".join(p["dependencies"] + o["dev"] + o["cluster"]))' > $@

.PHONY: demo test lint sbom audit
demo: $(STAMP)
	$(VENV)/bin/mineguard demo $(DEMO_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

test: lint
	$(VENV)/bin/pytest

# supply chain (needs PyPI): a CycloneDX SBOM of the pinned dependencies, and their known vulnerabilities
sbom: $(SUPPLY_CHAIN) $(PINNED)
	$(VENV)/bin/cyclonedx-py requirements --output-format JSON --output-file build/sbom.cdx.json $(PINNED)
	@echo "wrote build/sbom.cdx.json"

audit: $(SUPPLY_CHAIN) $(PINNED)
	$(VENV)/bin/pip-audit --requirement $(PINNED) --no-deps --disable-pip --progress-spinner off
