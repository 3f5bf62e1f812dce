# Paper Lab: `make lab` for students, `make test` for everyone; see README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Root (a container, CI) may run Jupyter only with --allow-root.
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_WORKERS ?= 2
JOBS ?= 2

.PHONY: setup lab update test test-full run run-smoke claims release check grade-demo bench lint clean

## setup: create .venv and install the course (skipped while pyproject.toml and constraints.txt are unchanged)
setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt jupyter/overrides.json
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Paper Lab needs Python 3.10 or newer, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing Paper Lab into $(VENV) (torch pinned by constraints.txt) ..."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@mkdir -p $(VENV)/share/jupyter/lab/settings && cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/
	@touch $(STAMP)

## lab: fill or update your workspace work/ from lessons/, then open JupyterLab on it
lab: setup
	$(BIN)/paperlab update
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR)/work $(ALLOW_ROOT) 00_welcome/welcome.ipynb

## update: bring a new release into work/ (notebooks you edited are kept; the new version lands beside)
update: setup
	$(BIN)/paperlab update

## test: the whole test suite on two workers (smoke runs of every notebook, mutants, grading, browser)
test: setup
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n $(PYTEST_WORKERS)

## test-full: the test suite plus every solution notebook at full parameters with its claims asserted
test-full: setup
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --full

## run: execute every solution notebook headlessly with full parameters (claims asserted), JOBS at a time
run: setup
	$(BIN)/paperlab run --jobs $(JOBS)

run-smoke: setup
	$(BIN)/paperlab run --smoke

## claims: full runs for SEED 0-4 with 1 and 2 torch threads; each claim's figures and smallest margin
claims: setup
	$(BIN)/paperlab claims --seeds 0-4 --threads 1,2 --jobs $(JOBS)

## release: regenerate lessons/ from solutions/ with nbgrader
release: setup
	$(BIN)/paperlab release

## check: sync, outputs, nbgrader metadata, leaks, anatomy
check: setup
	$(BIN)/paperlab check

## grade-demo: release, autograde simulated students, export grades, compare with expected
MODULE ?= 00_welcome
grade-demo: setup
	$(BIN)/paperlab grade-demo --module $(MODULE)

## bench: speed ratios measured side by side
bench: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/paperlab bench

lint: setup
	$(BIN)/ruff check utils tests solutions

clean:
	rm -rf build .pytest_cache .ruff_cache
