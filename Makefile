# officectl — make help lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo
AS_OF  := 2026-12-01

.DEFAULT_GOAL := help
.PHONY: help install install-test demo test lint format typecheck bench readme todo clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed  ## Create the virtual environment and install officectl

install-test: $(VENV)/.installed-test

demo: install  ## Build the example register in demo/ and print its overdue report
	rm -rf $(DEMO)
	$(BIN)/python -m officectl.demo $(DEMO)/register --forms $(DEMO)/forms
	$(BIN)/officectl -C $(DEMO)/register overdue --as-of $(AS_OF)
	$(BIN)/officectl -C $(DEMO)/register overdue --as-of $(AS_OF) --format html > $(DEMO)/overdue.html
	@echo "表单样张：$(DEMO)/forms/   逾期报告（可打印）：$(DEMO)/overdue.html"

test: install-test  ## Lint and type-check, then run the test suite
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src
	$(BIN)/pytest

lint: install-test  ## ruff lint and format check, mypy on src/
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src

format: install-test  ## Format the code
	$(BIN)/ruff format src tests

typecheck: install-test
	$(BIN)/mypy src

bench: install  ## Time the main commands on the demo register (see README)
	$(BIN)/python -m officectl.bench

readme: install  ## Regenerate the README's command reference from --help
	$(BIN)/python -m officectl.readme README.md

todo:  ## List known shortcomings marked in the code
	@grep -rn "TODO\|FIXME" src tests || echo "none"

clean:  ## Remove the virtual environment, the demo and caches
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
