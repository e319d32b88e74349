# Switchboard — the README's commands. `make run` opens the desktop app (the gateway in-process
# with its panel); `make test` installs what the tests need (Debian packages, npm packages, a
# Python venv) and runs everything.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(CURDIR)/target
CARGO ?= cargo
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN_DIR := $(CARGO_TARGET_DIR)/debug
TOOLS_DIR ?= /var/tmp/switchboard-tools
TAURI_DRIVER ?= $(TOOLS_DIR)/bin/tauri-driver
CONFIG ?= docs/examples/config.yaml
PORT ?= 4000
# The example config reads the master key from the environment; a development default keeps
# `make serve` a one-liner. Set your own for anything but a local try. (Only `serve` sees it:
# the tests must not inherit a master key.)
LITELLM_MASTER_KEY ?= sk-switchboard-dev-$(shell id -u)
# The governance tests run a second time against this PostgreSQL server.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# Debian packages: WebKitGTK to build and run the desktop app, Xvfb and the WebDriver for its
# smoke test, Chromium for the panel's browser tests, PostgreSQL's server binaries for the test
# that stops its own database under load, Prometheus (and promtool) for the metrics test, the
# tray icon's library (the bundler looks for its -dev files), and dbus, rpm and
# desktop-file-utils for the desktop packages' test, Debian's registry for the image tests,
# redis-server for the replicas' shared rate limits (the test starts and stops its own), and
# openssl for the certificates of the HTTPS upstream test.
APT_PACKAGES := libwebkit2gtk-4.1-dev xvfb xauth webkit2gtk-driver x11-utils imagemagick chromium postgresql prometheus \
	libayatana-appindicator3-dev dbus-daemon rpm desktop-file-utils docker-registry redis-server openssl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run app bundle gateway-static serve build ui deps test test-ui test-rust test-postgres test-clients test-deploy e2e desktop-test \
	lint bench api-types refresh-prices clean

## The desktop app: the gateway in-process with its panel (on Xvfb :99 when there is no display).
## `switchboard` beside it is what the Deploy page builds the gateway's image from.
run: deps ui app build
	src-tauri/scripts/run-desktop.sh $(BIN_DIR)/switchboard-app

app:
	$(CARGO) build -p switchboard-app

## The gateway alone, with the panel at http://127.0.0.1:$(PORT)/ui/ and $(CONFIG).
serve: ui build
	@echo "Master key: $(LITELLM_MASTER_KEY)"
	LITELLM_MASTER_KEY=$(LITELLM_MASTER_KEY) $(BIN_DIR)/switchboard serve --config $(CONFIG) --host 127.0.0.1 --port $(PORT)

build:
	$(CARGO) build -p switchboard --bins

## Debian packages the app and the browser tests need (installed only when missing).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

ui/node_modules/.installed: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

## The panel (ui/dist), embedded into the gateway when it is compiled.
ui: ui/node_modules/.installed
	cd ui && npm run build

## Everything: the panel's unit tests, Rust unit and end-to-end tests (SQLite, then the
## governance suites on PostgreSQL), the Python client suite, the panel in Chromium, the
## desktop app under Xvfb.
test: deps $(VENV)/.installed ui test-ui test-rust test-postgres test-clients test-deploy e2e desktop-test

test-ui: ui/node_modules/.installed
	cd ui && npm test

# The deploy crate's tests run CloudFormation against moto_server from the venv.
test-rust: $(VENV)/.installed
	$(CARGO) test --workspace

test-postgres:
	SWITCHBOARD_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(CARGO) test -p switchboard-tests --test governance --test secrets \
		--test panel_api --test agentcore --test security --test spend_rows --test end_users --test admin_compat --test messages \
		--test embeddings --test responses --test latency --test audit --test fuzz
	SWITCHBOARD_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(CARGO) test -p switchboard --lib store::

# Claude Code, which the suite drives too, comes from npm.
tests/clients/node_modules/.installed: tests/clients/package.json tests/clients/package-lock.json
	cd tests/clients && npm ci --no-audit --no-fund
	touch $@

test-clients: $(VENV)/.installed tests/clients/node_modules/.installed
	$(CARGO) build -p switchboard -p switchboard-fakes --bins
	SWITCHBOARD_BIN_DIR=$(BIN_DIR) $(VENV)/bin/pytest -c tests/clients/pytest.ini tests/clients

## The CloudFormation template under cfn-lint (every switch combination), the Dockerfile, and
## the /deploy routes against moto.
test-deploy: $(VENV)/.installed
	$(CARGO) build -p switchboard -p switchboard-deploy --bins
	SWITCHBOARD_BIN_DIR=$(BIN_DIR) $(VENV)/bin/pytest -c tests/deploy/pytest.ini tests/deploy

## The panel in headless Chromium against a gateway with the fakes behind it.
# The AgentCore page reads Secrets Manager secrets from moto_server (the venv).
e2e: ui/node_modules/.installed $(VENV)/.installed
	$(CARGO) build -p switchboard -p switchboard-fakes --bins
	cd ui && SWITCHBOARD_BIN_DIR=$(BIN_DIR) npm run e2e

$(TAURI_DRIVER):
	$(CARGO) install tauri-driver --version 2.1.0 --locked --root $(TOOLS_DIR)

src-tauri/node_modules/.installed: src-tauri/package.json src-tauri/package-lock.json
	cd src-tauri && npm ci --no-audit --no-fund
	touch $@

# The packages carry the gateway's own command, /usr/bin/switchboard, beside the app: `switchboard
# serve|deploy|...` for the terminal, and the Linux binary the Deploy page puts in the gateway's
# image (the app's own links WebKitGTK). Tauri's externalBin takes it named by the target triple.
HOST_TRIPLE = $(shell rustc -vV | sed -n 's/^host: //p')
WITH_GATEWAY_COMMAND := --config '{"bundle":{"externalBin":["binaries/switchboard"]}}'
STATIC_GATEWAY = $(CARGO_TARGET_DIR)/$(HOST_TRIPLE)/release/switchboard

## The gateway as one static Linux binary (glibc's crt-static; glibc >= 2.34 resolves names with
## files and DNS without loading a library): runs on any Linux, and its image is one file.
gateway-static: ui
	RUSTFLAGS="-C target-feature=+crt-static" $(CARGO) build --release --target $(HOST_TRIPLE) -p switchboard --bin switchboard
	@ldd $(STATIC_GATEWAY) 2>&1 | grep -q "statically linked\|not a dynamic executable" && echo "static: $(STATIC_GATEWAY)"

## The desktop app's packages (.deb and .rpm, release build) in $(CARGO_TARGET_DIR)/release/bundle/,
## with the static gateway beside the app.
bundle: deps gateway-static src-tauri/node_modules/.installed
	rm -rf $(CARGO_TARGET_DIR)/release/bundle
	mkdir -p src-tauri/binaries && cp $(STATIC_GATEWAY) src-tauri/binaries/switchboard-$(HOST_TRIPLE)
	cd src-tauri && npx tauri build --bundles deb,rpm $(WITH_GATEWAY_COMMAND)

## The desktop app's packages (of the debug build), checked and installed, and the app under
## Xvfb through tauri-driver and WebKitWebDriver, started from the installed package.
desktop-test: deps $(VENV)/.installed ui build src-tauri/node_modules/.installed $(TAURI_DRIVER)
	rm -rf $(BIN_DIR)/bundle
	mkdir -p src-tauri/binaries && cp $(BIN_DIR)/switchboard src-tauri/binaries/switchboard-$(HOST_TRIPLE)
	cd src-tauri && npx tauri build --debug --bundles deb,rpm $(WITH_GATEWAY_COMMAND)
	SWITCHBOARD_CLI=$(BIN_DIR)/switchboard TAURI_DRIVER=$(TAURI_DRIVER) \
		timeout -k 10 400 $(VENV)/bin/python tests/desktop/package.py $(BIN_DIR)/bundle

$(VENV)/.installed: tests/clients/requirements.txt tests/deploy/requirements.txt tests/desktop/requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt \
		-r tests/deploy/requirements.txt -r tests/desktop/requirements.txt
	touch $@

## The admin API's OpenAPI document and the panel's TypeScript types, written anew from the
## Rust types (a test fails while the committed copies are stale).
api-types:
	SWITCHBOARD_WRITE_API=1 $(CARGO) test -p switchboard --test openapi

## Load benchmark (not part of `make test`); see bench/README.md.
bench:
	bench/run $(BENCH_ARGS)

## Copy LiteLLM's current price map from the litellm package in the client venv.
refresh-prices: $(VENV)/.installed
	cp "$$($(VENV)/bin/python -c 'import litellm, os; print(os.path.join(os.path.dirname(litellm.__file__), "model_prices_and_context_window_backup.json"))')" proxy/data/model_prices_and_context_window.json

lint: deps
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fmt --all -- --check

clean:
	$(CARGO) clean
	rm -rf $(VENV) ui/node_modules ui/dist src-tauri/node_modules
