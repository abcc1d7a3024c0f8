#!/bin/sh
# A throw-away PostgreSQL for the ledger tests: Debian's server, its own cluster in DIR, on 127.0.0.1 only.
#
#   postgres.sh up   DIR   install the server when missing, initdb into DIR, start it, create the test role and
#                          database, and write DIR/env (PEC_TEST_POSTGRES_URL, PEC_TEST_POSTGRES_CA)
#   postgres.sh down DIR   stop it and remove DIR
#
# Environment: PEC_TEST_POSTGRES_PORT (29432); PEC_POSTGRES_LOG_STATEMENTS=1 logs every statement to DIR/server.log
# (the bench counts them). TLS is on, with a private CA (DIR/ca.pem) and a server certificate
# for 127.0.0.1 and localhost, so `sslmode=verify-full` can be tested; password authentication (scram-sha-256)
# over TCP only. The cluster belongs to Debian's postgres user (initdb refuses root); nothing in /etc is touched.
set -eu

CMD=${1:-}
DIR=${2:-}
PORT=${PEC_TEST_POSTGRES_PORT:-29432}
ROLE=pec_test
DATABASE=pec_test
# At most this many seconds for the server to start or stop.
WAIT_SECONDS=30

say() { echo "postgres: $*" >&2; }
die() { echo "postgres: error: $*" >&2; exit 1; }

[ -n "$DIR" ] || die "usage: $0 up|down DIR"
case "$DIR" in /*) ;; *) DIR="$(pwd)/$DIR" ;; esac

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

install_packages() {
    missing=""
    [ -n "$(bin_dir)" ] || missing="$missing postgresql"
    command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
    [ -z "$missing" ] && return 0
    # shellcheck disable=SC2086
    "$(dirname "$0")/apt-install-quietly.sh" postgres $missing
    return 0
}

# Runs a command as the cluster's owner: postgres when root (initdb and the server refuse root), else oneself.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

make_certificates() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=pec test PostgreSQL CA" \
        -keyout "$DIR/ca.key" -out "$DIR/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
    printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\n' > "$DIR/server.ext"
    openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial -days 30 \
        -extfile "$DIR/server.ext" -out "$DIR/server.pem" 2>/dev/null
    rm -f "$DIR/server.csr" "$DIR/server.ext" "$DIR/ca.srl" "$DIR/ca.key"
    chmod 600 "$DIR/server.key"
}

up() {
    install_packages
    BIN=$(bin_dir)
    # A cluster left by a run that was killed: stop and remove it first.
    if [ -e "$DIR/data" ]; then say "removing the cluster left in $DIR"; down; fi
    mkdir -p "$DIR"
    make_certificates
    password=$(openssl rand -hex 16)
    printf '%s\n' "$password" > "$DIR/password"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$DIR"
    chmod 700 "$DIR"
    as_owner "$BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --no-locale --no-sync >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    cat >> "$DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
ssl = on
ssl_cert_file = '$DIR/server.pem'
ssl_key_file = '$DIR/server.key'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    # The bench counts the statements pec sends (scripts/bench_pool.py): each one a line of server.log.
    if [ "${PEC_POSTGRES_LOG_STATEMENTS:-0}" = 1 ]; then
        printf "log_statement = 'all'\nlog_line_prefix = '%%m [%%p] %%a: '\n" >> "$DIR/data/postgresql.conf"
    fi
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t "$WAIT_SECONDS" start >/dev/null \
        || { tail -20 "$DIR/server.log" >&2; die "the server did not start within $WAIT_SECONDS s"; }
    as_owner "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -d postgres -q -v ON_ERROR_STOP=1 <<EOF >/dev/null
CREATE ROLE $ROLE LOGIN PASSWORD '$password';
CREATE DATABASE $DATABASE OWNER $ROLE;
EOF
    cat > "$DIR/env" <<EOF
PEC_TEST_POSTGRES_URL=postgresql://$ROLE:$password@127.0.0.1:$PORT/$DATABASE
PEC_TEST_POSTGRES_CA=$DIR/ca.pem
EOF
    chmod 644 "$DIR/env" "$DIR/ca.pem"
    say "running on 127.0.0.1:$PORT (settings in $DIR/env)"
}

down() {
    [ -d "$DIR" ] || return 0
    BIN=$(bin_dir)
    if [ -n "$BIN" ] && [ -f "$DIR/data/postmaster.pid" ]; then
        as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t "$WAIT_SECONDS" stop >/dev/null 2>&1 \
            || { say "the server did not stop within $WAIT_SECONDS s: killing it"
                kill -9 "$(head -1 "$DIR/data/postmaster.pid")" 2>/dev/null || true; }
    fi
    rm -rf "$DIR"
}

case "$CMD" in
    up) up ;;
    down) down ;;
    *) die "usage: $0 up|down DIR" ;;
esac
