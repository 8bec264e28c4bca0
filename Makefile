# cohortpress — common tasks. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STUDY ?=
ENGINE ?= auto
ENGINE_DATA ?= auto
SCHEDULER ?=
SIZES ?=
LOOP ?=
REPEATS ?=
TEST_WORKERS ?= auto

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $(STAMP)

venv: $(STAMP) ## create the virtual environment and install everything

report: $(STAMP) ## render every study under reports/ (or STUDY=name) to _output/ (ENGINE_DATA=dask, SCHEDULER=tcp://host:port)
	@if [ -n "$(STUDY)" ]; then studies="reports/$(STUDY)"; else studies=$$(ls -d reports/*/); fi; \
	for s in $$studies; do $(BIN)/cohortpress report $$s --engine $(ENGINE) \
	  --engine-data $(ENGINE_DATA) $(if $(SCHEDULER),--scheduler $(SCHEDULER),) || exit $$?; done

validate: $(STAMP) ## validate every study's workbook (or STUDY=name)
	@if [ -n "$(STUDY)" ]; then studies="reports/$(STUDY)"; else studies=$$(ls -d reports/*/); fi; \
	for s in $$studies; do $(BIN)/cohortpress validate $$s || exit $$?; done

data: $(STAMP) ## regenerate the example workbooks in data/ (seeded, reproducible)
	$(BIN)/python data/make_examples.py

test: $(STAMP) ## lint and type-check, then run the test suite (TEST_WORKERS=auto: one per core)
	$(BIN)/ruff check src tests schemas data
	$(BIN)/pyright src
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test-update: $(STAMP) ## run the tests and rewrite the snapshots
	$(BIN)/python -m pytest --snapshot-update

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check src tests schemas data
	$(BIN)/ruff format --check src tests schemas data

fix: $(STAMP) ## let ruff fix what it can
	$(BIN)/ruff check --fix src tests schemas data
	$(BIN)/ruff format src tests schemas data

typecheck: $(STAMP) ## pyright on src/
	$(BIN)/pyright src

bench: $(STAMP) ## time every stage (SIZES="26 1000", ENGINE_DATA=dask); LOOP=1: the author's loop
	$(BIN)/python -m cohortpress.bench $(if $(SIZES),--sizes "$(SIZES)",) $(if $(LOOP),--loop,) \
		$(if $(REPEATS),--repeats $(REPEATS),) --engine-data $(ENGINE_DATA) \
		$(if $(SCHEDULER),--scheduler $(SCHEDULER),)

docs: $(STAMP) ## regenerate docs/study-yml.md and schemas/study.schema.json from config.py
	$(BIN)/python -m cohortpress.config_reference

clean-test: ## remove test result images
	rm -rf tests/result_images

clean: clean-test ## remove outputs and build folders
	rm -rf _output _build

.PHONY: help venv report validate data test test-update lint fix typecheck bench docs clean-test clean
