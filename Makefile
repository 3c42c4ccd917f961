# Two commands matter: `make demo` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test test-fast lint imports format typecheck pytest clean

# The import contracts of pyproject.toml that `make test` enforces ("notifications" joins them
# once that app imports no domain app).
IMPORT_CONTRACTS := layers engine lib integrations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/twoway demo

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports $(addprefix --contract ,$(IMPORT_CONTRACTS))
	$(BIN)/mypy twoway tests $(wildcard bench)
	$(BIN)/pytest

# Everything but the slow property/scale tests and the browser: under a minute, for a quick loop.
test-fast: $(DEV_STAMP)
	$(BIN)/pytest -m "not slow and not browser"

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports $(addprefix --contract ,$(IMPORT_CONTRACTS))

imports: $(DEV_STAMP)
	$(BIN)/lint-imports

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy twoway tests $(wildcard bench)

pytest: $(DEV_STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var/*.sqlite3*
