# pec: build, install, test. `make help` lists the targets.
PREFIX ?= /usr/local
SWIFT ?= swift
# Release builds link the Swift runtime and Foundation statically: the binaries then need only the
# system libraries `make deps` installs, and start in a few milliseconds (README, Performance). They
# are linked at a fixed address (-no-pie): a position-independent one has about 125 000 relocations
# for the loader to apply at every start. Only with the static runtime: against the shared one, the
# loader warns about protected symbols on every start. They export no symbols (scripts/release.exports).
RELEASE = -c release --static-swift-stdlib -Xswiftc -Xclang-linker -Xswiftc -no-pie \
	-Xlinker --version-script=$(CURDIR)/scripts/release.exports
# `make sandbox-up` is for trying pec by hand; `make test` runs its own sandbox on other ports,
# so the two can run side by side.
SANDBOX_DIR ?= /tmp/pec-sandbox
TEST_SANDBOX_DIR ?= /tmp/pec-sandbox-test
TEST_SANDBOX = PEC_SANDBOX_IMAPS_PORT=29993 PEC_SANDBOX_IMAP_PORT=29143 PEC_SANDBOX_SMTPS_PORT=29465 PEC_SANDBOX_SLOW_SECONDS=2
# `make test` also runs a second simulator in REM mode (PEC europea), beside the PEC one, for the REM tests
# (they read $PEC_REM_SANDBOX_DIR/env). `make sandbox-test` uses REM_SANDBOX_DIR when a REM sandbox runs there.
TEST_REM_SANDBOX_DIR ?= /tmp/pec-sandbox-rem-test
TEST_REM_SANDBOX = PEC_SANDBOX_STANDARD=rem PEC_SANDBOX_POOL_SIZE=0 PEC_SANDBOX_IMAPS_PORT=29994 PEC_SANDBOX_IMAP_PORT=29144 \
	PEC_SANDBOX_SMTPS_PORT=29466 PEC_SANDBOX_SLOW_SECONDS=2
REM_SANDBOX_DIR ?= /tmp/pec-sandbox-rem
# `make test` also starts a throw-away PostgreSQL (scripts/postgres.sh) so the ledger suite runs on both stores.
TEST_POSTGRES_DIR ?= /tmp/pec-postgres-test
TEST_POSTGRES = PEC_TEST_POSTGRES_PORT=29432

.PHONY: help deps dev build install install-files uninstall check-install test sandbox-test lint clean sandbox-up sandbox-down bench fuzz

help:
	@echo "make install        build in release mode and install pec and pec-mcp, their shell completions and man pages into $(PREFIX)"
	@echo "make uninstall      remove everything make install put into $(PREFIX)"
	@echo "make dev            debug build (.build/debug/pec, .build/debug/pec-mcp)"
	@echo "make check-install  install into a fresh minimal Debian 12 (debootstrap, root) with only the runtime packages, and run there"
	@echo "make test           start a local PEC sandbox (a REM-mode one, a PostgreSQL), run every test against them, stop them"
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
	$(SWIFT) build $(RELEASE) --product pec
	$(SWIFT) build $(RELEASE) --product pec-mcp
	@$(MAKE) --no-print-directory install-files BIN_DIR="$$($(SWIFT) build $(RELEASE) --show-bin-path)"

# The binaries in BIN_DIR (default: the release build), their bash, zsh and fish completions and their
# man pages, into $(DESTDIR)$(PREFIX); `make test` runs it on the debug build into a temporary PREFIX.
# The man pages come from swift-argument-parser's generate-manual tool, built from the package's checkout.
install-files:
	@out=$$($(SWIFT) build --product generate-manual 2>&1) || { echo "$$out" >&2; exit 1; }
	@scripts/install-files.sh install "$${BIN_DIR:-$$($(SWIFT) build $(RELEASE) --show-bin-path)}" \
		"$(DESTDIR)$(PREFIX)" "$$($(SWIFT) build --show-bin-path)/generate-manual"

# Removes what `make install` put under $(DESTDIR)$(PREFIX) (its list: share/pec/installed-files).
uninstall:
	@scripts/install-files.sh uninstall "$(DESTDIR)$(PREFIX)"

# Root and Debian's mirror needed (debootstrap): not part of `make test`.
check-install:
	@scripts/check-fresh-debian.sh

# One sandbox for the whole run (and a REM-mode one beside it, on its own ports, and a PostgreSQL for the ledger),
# stopped whatever happens (all at once: each takes seconds to stop); every suite runs even when one fails.
# The Swift tests run inside a private D-Bus session with an unlocked gnome-keyring, so the
# Secret Service path is tested for real; tests that need no keyring run pec without that bus.
test: deps
	@scripts/install-test-deps.sh
	$(SWIFT) build --build-tests
	@trap 'sandbox/sandbox.sh down "$(TEST_SANDBOX_DIR)" & sandbox/sandbox.sh down "$(TEST_REM_SANDBOX_DIR)" & \
		scripts/postgres.sh down "$(TEST_POSTGRES_DIR)"; wait' EXIT INT TERM; \
	$(TEST_SANDBOX) sandbox/sandbox.sh up "$(TEST_SANDBOX_DIR)" || exit 1; \
	$(TEST_REM_SANDBOX) sandbox/sandbox.sh up "$(TEST_REM_SANDBOX_DIR)" || exit 1; \
	$(TEST_POSTGRES) scripts/postgres.sh up "$(TEST_POSTGRES_DIR)" || exit 1; \
	set -a; . "$(TEST_SANDBOX_DIR)/env"; . "$(TEST_POSTGRES_DIR)/env"; set +a; \
	export PEC_REM_SANDBOX_DIR="$(TEST_REM_SANDBOX_DIR)"; \
	export PEC_BIN_DIR="$$($(SWIFT) build --show-bin-path)"; \
	rc=0; \
	echo "== sandbox self-test and pec-mcp client tests (pytest)"; \
	"$$PEC_SANDBOX_PYTHON" -m pytest -q -p no:cacheprovider sandbox/tests Tests/MCPClientTests Tests/TerminalTests Tests/EvidenceTests Tests/WebhookTests || rc=1; \
	echo "== swift test (in a private D-Bus session with gnome-keyring)"; \
	PEC_KEYRING_TEST=1 scripts/with-keyring.sh $(SWIFT) test --skip-build --disable-xctest || rc=1; \
	if [ $$rc -ne 0 ]; then \
		echo "== what the sandbox's servers logged besides routine lines (for the failure above)"; \
		grep -hvE " INFO |Session.login_data|auth_require_tls|: Info: " \
			"$(TEST_SANDBOX_DIR)/simulator.log" "$(TEST_SANDBOX_DIR)/dovecot.log" \
			"$(TEST_REM_SANDBOX_DIR)/simulator.log" "$(TEST_REM_SANDBOX_DIR)/dovecot.log" 2>/dev/null | tail -40; \
	fi; \
	exit $$rc

# The self-test alone, against a sandbox started with `make sandbox-up`; its REM part only when a REM-mode
# sandbox runs in $(REM_SANDBOX_DIR) (PEC_SANDBOX_STANDARD=rem sandbox/sandbox.sh up DIR, on other ports).
sandbox-test:
	@set -a; . "$(SANDBOX_DIR)/env"; set +a; \
	if [ -f "$(REM_SANDBOX_DIR)/env" ]; then export PEC_REM_SANDBOX_DIR="$(REM_SANDBOX_DIR)"; skip=""; \
	else echo "(no REM sandbox in $(REM_SANDBOX_DIR): REM tests left out)"; skip="--ignore=sandbox/tests/test_rem_mode.py"; fi; \
	"$$PEC_SANDBOX_PYTHON" -m pytest -q -p no:cacheprovider $$skip sandbox/tests

sandbox-up:
	@sandbox/sandbox.sh up "$(SANDBOX_DIR)"

sandbox-down:
	@sandbox/sandbox.sh down "$(SANDBOX_DIR)"

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

bench: deps
	$(SWIFT) build $(RELEASE) --product pec
	$(SWIFT) build $(RELEASE) --product pec-mcp
	@scripts/bench.sh "$$($(SWIFT) build $(RELEASE) --show-bin-path)"

fuzz:
	@scripts/fuzz.sh

clean:
	rm -rf .build sandbox/.venv
