# helpline: `make run` and `make test` set everything up on a fresh machine.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run demo test lint typecheck unit bench soak clean catalog catalog-check catalog-serve screenshots

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## run: the whole system on the embedded defaults (SQLite, a local NATS server if none answers)
run: install
	HELPLINE_KB_PATH=$${HELPLINE_KB_PATH:-examples/kb} $(VENV)/bin/helpline up

## demo: a scripted conversation through the five services, in-process
demo: install
	$(VENV)/bin/helpline demo

lint: install
	$(VENV)/bin/ruff check helpline tests benchmarks

typecheck: install
	$(VENV)/bin/mypy helpline

## test: ruff, mypy --strict, and the whole test-suite (PostgreSQL and NATS must be reachable)
test: lint typecheck
	$(VENV)/bin/coverage run -m pytest
	$(VENV)/bin/coverage report --include='helpline/domain/*,helpline/application/*' --fail-under=90

bench: install
	$(PY) -m benchmarks

## soak: helpline up under a steady load for SOAK_MINUTES (10), sampling memory and files
soak: install
	$(PY) -m benchmarks.soak

## catalog: the EventCatalog project and the AsyncAPI 3 document in build/catalog/, and the
## README's table of messages
catalog: install
	$(VENV)/bin/helpline catalog readme --write README.md
	$(VENV)/bin/helpline catalog export build/catalog/eventcatalog
	$(VENV)/bin/helpline catalog asyncapi --output build/catalog/asyncapi.yaml

## catalog-check: build the exported catalog with the pinned EventCatalog from npm (minutes)
catalog-check: install
	bash tools/catalog-check.sh

## catalog-serve: browse the catalog at http://localhost:3000
catalog-serve: install
	bash tools/catalog-serve.sh

## screenshots: PNGs of the agent console's main states and of the simulator in build/screenshots/
screenshots: install
	bash tools/install-browser.sh
	$(PY) tools/screenshots.py

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache .coverage
