# pec: build, install, test. `make help` lists the targets.
PREFIX ?= /usr/local
SWIFT ?= swift
# `make sandbox-up` is for trying pec by hand; `make test` runs its own sandbox on other ports,
# so the two can run side by side.
SANDBOX_DIR ?= /tmp/pec-sandbox
TEST_SANDBOX_DIR ?= /tmp/pec-sandbox-test
TEST_SANDBOX = PEC_SANDBOX_IMAPS_PORT=29993 PEC_SANDBOX_IMAP_PORT=29143 PEC_SANDBOX_SMTPS_PORT=29465 PEC_SANDBOX_SLOW_SECONDS=2

.PHONY: help deps dev build install test sandbox-test lint clean sandbox-up sandbox-down bench fuzz

help:
	@echo "make install        build in release mode and install pec and pec-mcp into $(PREFIX)/bin"
	@echo "make dev            debug build (.build/debug/pec, .build/debug/pec-mcp)"
	@echo "make test           start a local PEC sandbox, run every test against it, stop it"
	@echo "make sandbox-up     start the local PEC sandbox (Dovecot + provider simulator) in $(SANDBOX_DIR)"
	@echo "make sandbox-down   stop it"
	@echo "make lint           swift format lint"
	@echo "make bench          benchmarks (release build, own sandbox): list on 100 vs 10 000 messages, start-up, pec-mcp round trips"
	@echo "make fuzz           fuzz the IMAP, MIME and XML (evidence, daticert) parsers with libFuzzer (FUZZ_SECONDS each, default 60)"
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
# The Swift tests run inside a private D-Bus session with an unlocked gnome-keyring, so the
# Secret Service path is tested for real; tests that need no keyring run pec without that bus.
test: deps
	@scripts/install-test-deps.sh
	$(SWIFT) build --build-tests
	@$(TEST_SANDBOX) sandbox/sandbox.sh up "$(TEST_SANDBOX_DIR)"
	@trap 'sandbox/sandbox.sh down "$(TEST_SANDBOX_DIR)"' EXIT INT TERM; \
	set -a; . "$(TEST_SANDBOX_DIR)/env"; set +a; \
	export PEC_BIN_DIR="$$($(SWIFT) build --show-bin-path)"; \
	rc=0; \
	echo "== sandbox self-test and pec-mcp client tests (pytest)"; \
	"$$PEC_SANDBOX_PYTHON" -m pytest -q -p no:cacheprovider sandbox/tests Tests/MCPClientTests Tests/TerminalTests || rc=1; \
	echo "== swift test (in a private D-Bus session with gnome-keyring)"; \
	PEC_KEYRING_TEST=1 scripts/with-keyring.sh $(SWIFT) test --skip-build --disable-xctest || rc=1; \
	if [ $$rc -ne 0 ]; then \
		echo "== what the sandbox's servers logged besides routine lines (for the failure above)"; \
		grep -hvE " INFO |Session.login_data|auth_require_tls|: Info: " \
			"$(TEST_SANDBOX_DIR)/simulator.log" "$(TEST_SANDBOX_DIR)/dovecot.log" 2>/dev/null | tail -40; \
	fi; \
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

bench: deps
	$(SWIFT) build -c release --product pec
	$(SWIFT) build -c release --product pec-mcp
	@scripts/bench.sh "$$($(SWIFT) build -c release --show-bin-path)"

fuzz:
	@scripts/fuzz.sh

clean:
	rm -rf .build sandbox/.venv
