# Every target creates .venv and installs the project when missing, so a fresh clone needs
# nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run demo test lint typecheck imports protos protos-check unit integration e2e bench clean tools

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# helm is only needed for the add-on journeys `ocm up` suggests: a failed fetch must not stop the lab.
run: $(STAMP)
	$(BIN)/python scripts/fetch_helm.py >/dev/null || echo "note: helm could not be fetched; install helm for the add-on journeys"
	$(BIN)/ocm up

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP) tools lint typecheck imports protos-check
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

protos: $(STAMP)
	$(BIN)/python scripts/gen_protos.py

protos-check: $(STAMP)
	$(BIN)/python scripts/gen_protos.py --check

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

# helm v4 for the e2e tests, cached at .cache/bin/helm (scripts/fetch_helm.py says how).
tools: $(STAMP)
	$(BIN)/python scripts/fetch_helm.py

bench: $(STAMP)
	$(BIN)/python bench/tunnel.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
