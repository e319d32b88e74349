# Switchboard — the README's commands. `make run` starts the gateway; `make test` installs what
# the tests need (a Python venv for the client suite) and runs everything.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(CURDIR)/target
CARGO ?= cargo
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN_DIR := $(CARGO_TARGET_DIR)/debug
CONFIG ?= docs/examples/config.yaml
PORT ?= 4000
# The example config reads the master key from the environment; a development default keeps
# `make run` a one-liner. Set your own for anything but a local try. (Only `serve` sees it:
# the tests must not inherit a master key.)
LITELLM_MASTER_KEY ?= sk-switchboard-dev-$(shell id -u)
# The governance tests run a second time against this PostgreSQL server.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run serve build test test-rust test-postgres test-clients lint bench refresh-prices clean

## Run the gateway on 127.0.0.1:$(PORT) with $(CONFIG) (until the desktop app lands).
run: serve

serve: build
	@echo "Master key: $(LITELLM_MASTER_KEY)"
	LITELLM_MASTER_KEY=$(LITELLM_MASTER_KEY) $(BIN_DIR)/switchboard serve --config $(CONFIG) --host 127.0.0.1 --port $(PORT)

build:
	$(CARGO) build -p switchboard --bins

## Everything: Rust unit and end-to-end tests (SQLite, then the governance suites on
## PostgreSQL), then the Python client suite.
test: test-rust test-postgres test-clients

test-rust:
	$(CARGO) test --workspace

test-postgres:
	SWITCHBOARD_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(CARGO) test -p switchboard-tests --test governance --test secrets --test panel_api

test-clients: $(VENV)/.installed
	$(CARGO) build -p switchboard -p switchboard-fakes --bins
	SWITCHBOARD_BIN_DIR=$(BIN_DIR) $(VENV)/bin/pytest -c tests/clients/pytest.ini tests/clients

$(VENV)/.installed: tests/clients/requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
	touch $@

## Copy LiteLLM's current price map from the litellm package in the client venv.
refresh-prices: $(VENV)/.installed
	cp "$$($(VENV)/bin/python -c 'import litellm, os; print(os.path.join(os.path.dirname(litellm.__file__), "model_prices_and_context_window_backup.json"))')" proxy/data/model_prices_and_context_window.json

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fmt --all -- --check

clean:
	$(CARGO) clean
	rm -rf $(VENV)
