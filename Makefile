# pec: build, install, test. `make help` lists the targets.
PREFIX ?= /usr/local
SWIFT ?= swift
# `make sandbox-up` is for trying pec by hand; `make test` runs its own sandbox on other ports,
# so the two can run side by side.
SANDBOX_DIR ?= /tmp/pec-sandbox
TEST_SANDBOX_DIR ?= /tmp/pec-sandbox-test
TEST_SANDBOX = PEC_SANDBOX_IMAPS_PORT=29993 PEC_SANDBOX_SMTPS_PORT=29465 PEC_SANDBOX_SLOW_SECONDS=2

.PHONY: help deps dev build install test sandbox-test lint clean sandbox-up sandbox-down bench

help:
	@echo "make install        build in release mode and install pec and pec-mcp into $(PREFIX)/bin"
	@echo "make dev            debug build (.build/debug/pec, .build/debug/pec-mcp)"
	@echo "make test           start a local PEC sandbox, run every test against it, stop it"
	@echo "make sandbox-up     start the local PEC sandbox (Dovecot + provider simulator) in $(SANDBOX_DIR)"
	@echo "make sandbox-down   stop it"
	@echo "make lint           swift format lint"
	@echo "make bench          benchmarks"
	@echo "make clean          remove build products"

deps:
	@scripts/install-deps.sh

dev build: deps
	$(SWIFT) build

install: deps
	$(SWIFT) build -c release --product pec
	$(SWIFT) build -c release --product pec-mcp
	install -d "$(DESTDIR)$(PREFIX)/bin"
	@bin="$$($(SWIFT) build -c release --show-bin-path)"; \
	install -m 755 "$$bin/pec" "$$bin/pec-mcp" "$(DESTDIR)$(PREFIX)/bin/"
	@echo "installed pec and pec-mcp into $(DESTDIR)$(PREFIX)/bin"

# One sandbox for the whole run, stopped whatever happens; every suite runs even when one fails.
test: deps
	$(SWIFT) build --build-tests
	@$(TEST_SANDBOX) sandbox/sandbox.sh up "$(TEST_SANDBOX_DIR)"
	@trap 'sandbox/sandbox.sh down "$(TEST_SANDBOX_DIR)"' EXIT INT TERM; \
	set -a; . "$(TEST_SANDBOX_DIR)/env"; set +a; \
	export PEC_BIN_DIR="$$($(SWIFT) build --show-bin-path)"; \
	rc=0; \
	echo "== sandbox self-test and pec-mcp client tests (pytest)"; \
	"$$PEC_SANDBOX_PYTHON" -m pytest -q -p no:cacheprovider sandbox/tests Tests/MCPClientTests || rc=1; \
	echo "== swift test"; \
	$(SWIFT) test --skip-build --disable-xctest || rc=1; \
	exit $$rc

# The self-test alone, against a sandbox started with `make sandbox-up`.
sandbox-test:
	@set -a; . "$(SANDBOX_DIR)/env"; set +a; "$$PEC_SANDBOX_PYTHON" -m pytest -q -p no:cacheprovider sandbox/tests

sandbox-up:
	@sandbox/sandbox.sh up "$(SANDBOX_DIR)"

sandbox-down:
	@sandbox/sandbox.sh down "$(SANDBOX_DIR)"

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

bench:
	@echo "bench: no benchmarks yet: nothing performance-sensitive (IMAP, MIME) exists before issue 3"

clean:
	rm -rf .build sandbox/.venv
