#!/bin/sh
# The local PEC sandbox: a real Dovecot (IMAPS) and the PEC provider simulator (SMTPS), on 127.0.0.1.
#
#   sandbox.sh up   [DIR]   install what is missing, make certificates and mailboxes, start both servers
#   sandbox.sh down [DIR]   stop both servers (the directory stays, for its logs)
#   sandbox.sh env  [DIR]   print the sandbox's settings as shell exports
#   sandbox.sh seed DIR USER COUNT [--folder NAME] [--reset] [--layout]
#                           (re)write USER's folder (INBOX by default) with the deterministic corpus of
#                           COUNT messages (pecsim/corpus.py), prints its manifest DIR/corpus/<user>.json;
#                           the servers keep running (sessions open on that folder must reconnect).
#                           --reset empties the whole mailbox first; --layout also writes the three
#                           extra folders (`seed DIR archivio 60 --reset --layout` restores archivio).
#
# Mailboxes (password PEC_SANDBOX_PASSWORD): mario.rossi, anna.bianchi, luca.verdi (empty, for the
# simulator's flows); archivio (seeded at `up`: 60 messages in INBOX and the folders "Fatture 2026",
# "Ricevute già lette", "Archivio/2025"; read-only for tests); pool001 … pool100 (empty, for pools of
# watch workers; PEC_SANDBOX_POOL_SIZE changes how many, listed in PEC_SANDBOX_POOL_USERS); casella (seeded at `up`: 30 + the same
# folders with 2 each; for tests that move and mark); bench (empty; `seed` it). All @pec.sandbox.
#
# Environment: PEC_SANDBOX_IMAPS_PORT (19993), PEC_SANDBOX_IMAP_PORT (19143: IMAP with STARTTLS
# required), PEC_SANDBOX_SMTPS_PORT (19465),
# PEC_SANDBOX_SLOW_SECONDS (3), PEC_SANDBOX_SIZE_LIMIT (SMTP SIZE in bytes, 30 MiB), PEC_SANDBOX_PASSWORD (sandbox), PEC_SANDBOX_VENV (sandbox/.venv).
# PEC_SANDBOX_STANDARD (pec): `rem` makes the simulator a REM service provider (PEC europea, ETSI EN 319 532):
# REM dispatches and SubmissionAcceptance / ContentConsignment / ContentConsignmentFailure / SubmissionRejection
# receipts from rem-service@pec.sandbox, CMS- and XAdES-signed with DIR/rem-service.pem (issued by DIR/ca.pem); no
# X-Ricevuta / X-Trasporto. A REM sandbox beside a PEC one needs its own DIR and ports.
# Nothing in /etc is touched; runs as root (the mail then belongs to Debian's dovecot user) or not.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CMD=${1:-}
DIR=${2:-${PEC_SANDBOX_DIR:-/tmp/pec-sandbox}}
IMAPS_PORT=${PEC_SANDBOX_IMAPS_PORT:-19993}
IMAP_PORT=${PEC_SANDBOX_IMAP_PORT:-19143}
SMTPS_PORT=${PEC_SANDBOX_SMTPS_PORT:-19465}
SLOW_SECONDS=${PEC_SANDBOX_SLOW_SECONDS:-3}
SIZE_LIMIT=${PEC_SANDBOX_SIZE_LIMIT:-31457280}
PASSWORD=${PEC_SANDBOX_PASSWORD:-sandbox}
STANDARD=${PEC_SANDBOX_STANDARD:-pec}
VENV=${PEC_SANDBOX_VENV:-$HERE/.venv}
DOMAIN=pec.sandbox
USERS="mario.rossi anna.bianchi luca.verdi archivio casella bench aruba legalmail"
# Empty mailboxes for pools of watch workers (tests and bench of issue 20): pool001 … poolNNN.
POOL_SIZE=${PEC_SANDBOX_POOL_SIZE:-100}
case $POOL_SIZE in ''|*[!0-9]*) echo "sandbox: error: PEC_SANDBOX_POOL_SIZE must be a number" >&2; exit 1 ;; esac
POOL_USERS=$(i=1; while [ "$i" -le "$POOL_SIZE" ]; do printf 'pool%03d ' "$i"; i=$((i + 1)); done)

say() { echo "sandbox: $*" >&2; }
die() { echo "sandbox: error: $*" >&2; exit 1; }

install_packages() {
    missing=""
    [ -x /usr/sbin/dovecot ] || missing="$missing dovecot-imapd dovecot-core"
    command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing="$missing python3-venv"
    [ -z "$missing" ] && return 0
    # dovecot's postinst tries to start the system service: the helper forbids that, we start our own.
    # shellcheck disable=SC2086
    "$HERE/../scripts/apt-install-quietly.sh" sandbox $missing
    return 0
}

make_venv() {
    stamp="$VENV/.requirements"
    if [ -f "$stamp" ] && cmp -s "$stamp" "$HERE/requirements.txt"; then return 0; fi
    say "creating the Python environment in $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
    cp "$HERE/requirements.txt" "$stamp"
}

wait_for_greeting() {  # PORT EXPECTED-PREFIX WHAT
    i=0
    until "$VENV/bin/python" - "$1" "$2" "$DIR/ca.pem" <<'PY' 2>/dev/null
import socket, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[3])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as raw:
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        sys.exit(0 if tls.recv(512).decode(errors="replace").startswith(sys.argv[2]) else 1)
PY
    do
        i=$((i + 1))
        [ $i -gt 100 ] && return 1
        sleep 0.1
    done
}

write_dovecot_conf() {
    if [ "$(id -u)" = 0 ]; then
        # imap-login refuses to run as root and passwd-file refuses uid 0: use Debian's dovecot users.
        login_user=dovenull; internal_user=dovecot; internal_group=dovecot
        mail_uid=$(id -u dovecot); mail_gid=$(id -g dovecot)
    else
        login_user=$(id -un); internal_user=$(id -un); internal_group=$(id -gn)
        mail_uid=$(id -u); mail_gid=$(id -g)
    fi
    : > "$DIR/users"
    for u in $USERS $POOL_USERS; do
        home="$DIR/mail/$DOMAIN/$u"
        mkdir -p "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
        printf '%s@%s:{PLAIN}%s:%s:%s::%s::\n' "$u" "$DOMAIN" "$PASSWORD" "$mail_uid" "$mail_gid" "$home" >> "$DIR/users"
    done
    chown -R "$mail_uid:$mail_gid" "$DIR/mail"
    chmod 644 "$DIR/users"
    # REM mode: Dovecot records every IMAP session (DIR/rawlog/<user>/*.in, what the client sent), so
    # tests can check on the server side that no REM dispatch's content was fetched (a handover).
    rawlog=
    if [ "$STANDARD" = rem ]; then
        for u in $USERS; do mkdir -p "$DIR/rawlog/$u@$DOMAIN"; done
        chown -R "$mail_uid:$mail_gid" "$DIR/rawlog"
        rawlog="rawlog_dir = $DIR/rawlog/%u"
    fi
    cat > "$DIR/dovecot.conf" <<CONF
# Generated by sandbox.sh: a private Dovecot for the PEC sandbox.
instance_name = pec-sandbox-$IMAPS_PORT
# A pool of watch workers holds an IDLE session per pool mailbox (100 and more at once): Dovecot's default
# limit of 100 processes per service would drop the next connections. Past the system's inotify instances
# (128 per user), IDLE falls back to looking at the mailbox every mailbox_idle_check_interval (30 s by default).
default_process_limit = 1000
default_client_limit = 4000
mailbox_idle_check_interval = 1 secs
base_dir = $DIR/run
state_dir = $DIR/state
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = $internal_user
default_internal_group = $internal_group
default_login_user = $login_user
first_valid_uid = 0
mail_privileged_group =
ssl = required
ssl_cert = <$DIR/server.pem
ssl_key = <$DIR/server.key
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DIR/users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
}
service imap-login {
  chroot =
  # Plain IMAP where TLS must be started with STARTTLS (ssl = required refuses a login before it).
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service anvil {
  chroot =
}
service auth {
  user = \$default_internal_user
}
service auth-worker {
  user = \$default_internal_user
}
protocol imap {
  mail_max_userip_connections = 50
  imap_idle_notify_interval = 5 secs
  $rawlog
}
CONF
}

corpus() {  # USER COUNT [pecsim.corpus options]: the corpus and its manifest in DIR/corpus/USER.json
    user=$1; count=$2; shift 2
    (cd "$HERE" && exec "$VENV/bin/python" -m pecsim.corpus --dir "$DIR" --user "$user" --count "$count" "$@")
}

stop_pid() {  # PIDFILE NAME
    [ -f "$1" ] || return 0
    pid=$(cat "$1")
    if kill "$pid" 2>/dev/null; then
        i=0
        while kill -0 "$pid" 2>/dev/null; do
            i=$((i + 1))
            if [ $i -gt 100 ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
            sleep 0.05
        done
        say "$2 stopped (pid $pid)"
    fi
    rm -f "$1"
}

print_env() {
    cat <<ENV
export PEC_SANDBOX=1
export PEC_SANDBOX_DIR='$DIR'
export PEC_SANDBOX_HOST=127.0.0.1
export PEC_SANDBOX_IMAPS_PORT=$IMAPS_PORT
export PEC_SANDBOX_IMAP_PORT=$IMAP_PORT
export PEC_SANDBOX_SMTPS_PORT=$SMTPS_PORT
export PEC_SANDBOX_CA_FILE='$DIR/ca.pem'
export PEC_SANDBOX_DOMAIN=$DOMAIN
export PEC_SANDBOX_USERS='$(for u in $USERS; do printf '%s@%s ' "$u" "$DOMAIN"; done | sed 's/ $//')'
export PEC_SANDBOX_POOL_USERS='$(for u in $POOL_USERS; do printf '%s@%s ' "$u" "$DOMAIN"; done | sed 's/ $//')'
export PEC_SANDBOX_PASSWORD='$PASSWORD'
export PEC_SANDBOX_SLOW_SECONDS=$SLOW_SECONDS
export PEC_SANDBOX_PYTHON='$VENV/bin/python'
export PEC_SANDBOX_CORPUS_DIR='$DIR/corpus'
export PEC_SANDBOX_CORPUS_USERS='archivio@$DOMAIN casella@$DOMAIN bench@$DOMAIN'
export PEC_SANDBOX_STANDARD=$STANDARD
ENV
    if [ "$STANDARD" = rem ]; then
        cat <<ENV
export PEC_SANDBOX_REM_SERVICE_ADDRESS=rem-service@$DOMAIN
export PEC_SANDBOX_REM_CERT_FILE='$DIR/rem-service.pem'
ENV
    fi
}

case "$CMD" in
up)
    case "$STANDARD" in
    pec|rem) ;;
    *) die "PEC_SANDBOX_STANDARD must be 'pec' (the default) or 'rem', not '$STANDARD'" ;;
    esac
    install_packages
    make_venv
    "$0" down "$DIR" 2>/dev/null || true
    rm -rf "$DIR"
    mkdir -p "$DIR/run" "$DIR/state"
    DIR=$(cd "$DIR" && pwd)
    chmod 755 "$DIR" "$DIR/run"
    if [ "$(id -u)" = 0 ] && ! setpriv --reuid=dovenull --regid=dovenull --clear-groups test -x "$DIR/run"; then
        die "$DIR is not reachable by the dovenull user: choose a directory whose parents are world-searchable"
    fi
    "$VENV/bin/python" "$HERE/pecsim/pki.py" "$DIR"
    write_dovecot_conf
    corpus archivio 60 --layout --reset >/dev/null
    corpus casella 30 --layout --reset >/dev/null
    # Started with its own stdio, so a caller reading our output through a pipe is not held open.
    /usr/sbin/dovecot -c "$DIR/dovecot.conf" </dev/null >"$DIR/dovecot-start.log" 2>&1 ||
        { cat "$DIR/dovecot-start.log" >&2; die "dovecot did not start: see $DIR/dovecot.log"; }
    wait_for_greeting "$IMAPS_PORT" "* OK" || { tail -20 "$DIR/dovecot.log" >&2; die "dovecot does not answer on $IMAPS_PORT"; }
    cp "$DIR/run/master.pid" "$DIR/dovecot.pid"
    (cd "$HERE" && exec "$VENV/bin/python" -m pecsim --dir "$DIR" --port "$SMTPS_PORT" \
        --slow-seconds "$SLOW_SECONDS" --size-limit "$SIZE_LIMIT" --standard "$STANDARD" </dev/null >"$DIR/simulator.log" 2>&1) &
    echo $! > "$DIR/simulator.pid"
    wait_for_greeting "$SMTPS_PORT" "220" || { tail -20 "$DIR/simulator.log" >&2; die "the simulator does not answer on $SMTPS_PORT"; }
    print_env > "$DIR/env"
    cat >&2 <<MSG
sandbox: up in $DIR ($STANDARD)
  IMAPS 127.0.0.1:$IMAPS_PORT   IMAP+STARTTLS 127.0.0.1:$IMAP_PORT   SMTPS 127.0.0.1:$SMTPS_PORT   CA file $DIR/ca.pem
  mailboxes: $(for u in $USERS; do printf '%s@%s ' "$u" "$DOMAIN"; done)(password: $PASSWORD)
  corpus manifests (archivio, casella; bench after seed): $DIR/corpus/<user>.json
  settings for scripts: . $DIR/env
  stop it with: make sandbox-down
MSG
    ;;
down)
    stop_pid "$DIR/simulator.pid" simulator
    stop_pid "$DIR/dovecot.pid" dovecot
    ;;
env)
    [ -f "$DIR/env" ] || die "no sandbox in $DIR (run: make sandbox-up)"
    cat "$DIR/env"
    ;;
seed)
    [ $# -ge 4 ] || die "usage: $0 seed DIR USER COUNT [--folder NAME] [--reset] [--layout]"
    [ -f "$DIR/users" ] || die "no sandbox in $DIR (run: make sandbox-up)"
    DIR=$(cd "$DIR" && pwd)
    user=$3; count=$4; shift 4
    case "$count" in ''|*[!0-9]*) die "COUNT must be a number, not '$count'" ;; esac
    opts=""; folder=INBOX
    while [ $# -gt 0 ]; do
        case "$1" in
        --reset) opts="$opts --reset"; shift ;;
        --layout) opts="$opts --layout"; shift ;;
        --folder) [ $# -ge 2 ] || die "--folder needs a NAME"; folder=$2; shift 2 ;;
        --folder=*) folder=${1#--folder=}; shift ;;
        *) die "unknown option: $1" ;;
        esac
    done
    # $opts holds only fixed words; the folder name (spaces, UTF-8) goes through as one argument.
    manifest=$(corpus "$user" "$count" --folder "$folder" $opts) || die "seeding $user failed"
    echo "$manifest"
    ;;
*)
    echo "usage: $0 up|down|env [DIR] | seed DIR USER COUNT [--folder NAME] [--reset] [--layout]" >&2
    exit 1
    ;;
esac
