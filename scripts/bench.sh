#!/bin/sh
# `make bench`: start a private sandbox, then measure pec (built in release mode, BIN_DIR) with
# scripts/bench.py: list and trace on 100 and on 10 000 messages, start-up, get of a 50 MB
# attachment and send of a 30 MB one (peak RSS under 64 MiB), the evidence dossier of that send (under
# 1 s and 64 MiB, as a directory and as a zip); then pec-mcp with
# scripts/bench_mcp.py: initialize, and pec_list on a new and on a kept IMAP session; receipt tracking
# (scripts/bench_tracking.py), webhooks (scripts/bench_webhooks.py) and a pool of watch workers on PostgreSQL
# (scripts/bench_pool.py); last, the paired bench against the
# Python pec-cli (mayai-pec-cli 0.2.0, pip-installed into its own cached venv) with
# scripts/bench_vs_pecli.py: start-up, list/search/trace, get of a 20 MB attachment, send of a 30 MB one,
# sync of 10 000 receipts and pec-mcp, ours and theirs alternated, one table of goals (PASS/MISS);
# PEC_BENCH_JSON=FILE also writes that table as JSON.
#   scripts/bench.sh BIN_DIR
set -eu
BIN_DIR=${1:?usage: scripts/bench.sh BIN_DIR}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DIR=${PEC_BENCH_SANDBOX_DIR:-/tmp/pec-sandbox-bench}
# SIZE 64 MiB: a 30 MB attachment is about 41 MB once base64-encoded.
export PEC_SANDBOX_SIZE_LIMIT=67108864
export PEC_SANDBOX_IMAPS_PORT=${PEC_BENCH_IMAPS_PORT:-59993} PEC_SANDBOX_IMAP_PORT=${PEC_BENCH_IMAP_PORT:-59143} PEC_SANDBOX_SMTPS_PORT=${PEC_BENCH_SMTPS_PORT:-59465}
"$HERE/sandbox/sandbox.sh" up "$DIR" >/dev/null 2>&1 || { echo "bench: the sandbox did not start (see $DIR)" >&2; exit 1; }
PG_DIR=${PEC_BENCH_POSTGRES_DIR:-/tmp/pec-postgres-bench}
trap '"$HERE/sandbox/sandbox.sh" down "$DIR" >/dev/null 2>&1; "$HERE/scripts/postgres.sh" down "$PG_DIR" >/dev/null 2>&1' EXIT INT TERM
set -a; . "$DIR/env"; set +a
rc=0
"$PEC_SANDBOX_PYTHON" "$HERE/scripts/bench.py" "$BIN_DIR/pec" "$HERE/sandbox/sandbox.sh" || rc=1
"$PEC_SANDBOX_PYTHON" "$HERE/scripts/bench_mcp.py" "$BIN_DIR" || rc=1
# Receipt tracking: sync of 10 000 receipts, watch latency (it reseeds the bench user).
"$PEC_SANDBOX_PYTHON" "$HERE/scripts/bench_tracking.py" "$BIN_DIR/pec" "$HERE/sandbox/sandbox.sh" || rc=1
# Receipt events to applications: webhook latency with 1 and 20 accounts, a 50-account watch's resources.
"$PEC_SANDBOX_PYTHON" "$HERE/scripts/bench_webhooks.py" "$BIN_DIR/pec" || rc=1
# Teams (issue 20): a pool of 3 workers over 100 accounts on PostgreSQL, beside the SQLite default.
PEC_TEST_POSTGRES_PORT=${PEC_BENCH_POSTGRES_PORT:-59432} PEC_POSTGRES_LOG_STATEMENTS=1 \
    "$HERE/scripts/postgres.sh" up "$PG_DIR" >/dev/null 2>&1 || { echo "bench: PostgreSQL did not start" >&2; exit 1; }
"$PEC_SANDBOX_PYTHON" "$HERE/scripts/bench_pool.py" "$BIN_DIR/pec" "$PG_DIR" || rc=1
# Paired against the Python pec-cli (issue 18): last, as it reseeds the bench user and sends 30 MB messages.
"$PEC_SANDBOX_PYTHON" "$HERE/scripts/bench_vs_pecli.py" "$BIN_DIR" || rc=1
exit $rc
