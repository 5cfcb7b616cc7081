# Gridwatch: `make run` runs the demo, `make test` installs what the tests need and runs them.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The workplace's own layer lister (outside the repo): run by `make lint` where it exists.
IMPORT_LAYERS ?= ../shared/tools/import_layers.py

.PHONY: install run test test-thorough lint typecheck format bench browser-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/gridwatch demo

# Debian's Chromium drives the browser tests; Noto CJK renders Chinese in screenshots.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "installing chromium and fonts-noto-cjk (apt-get)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	fi

# Style, types (mypy: strict on the modules pyproject.toml lists) and imports that run one way
# and never in a circle (import-linter contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	@if [ -f "$(IMPORT_LAYERS)" ]; then $(BIN)/python "$(IMPORT_LAYERS)" .; fi

# Types (mypy, settings in pyproject.toml): strict on the modules listed there.
typecheck: install
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Property tests run the derandomized "ci" hypothesis profile here (tests/support/hypothesis_profiles.py).
# One worker per core (at most 4, pytest-xdist): each has its own Redis, city copy and browser.
test: install browser-deps lint
	HYPOTHESIS_PROFILE=ci $(BIN)/pytest -n auto --maxprocesses=4 --dist worksteal

# Four times the property-test examples, random: a deliberate deep run, not CI.
test-thorough: install browser-deps
	HYPOTHESIS_PROFILE=thorough $(BIN)/pytest tests/unit

bench: install
	$(BIN)/gridwatch bench ingest

clean:
	rm -rf var tests/artifacts .pytest_cache .ruff_cache .import_linter_cache
