#!/bin/sh
# Installs the system packages pec builds against, when they are missing (Debian/Ubuntu):
# OpenSSL's libcrypto (S/MIME), libxmlsec1 (the XAdES signatures of REM evidence), libsecret (the
# keyring), SQLite (the send ledger, through GRDB) and pkg-config, which finds them.
set -eu
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libcrypto xmlsec1-openssl libsecret-1 sqlite3; then
    exit 0
fi
packages="libssl-dev libxmlsec1-dev libsecret-1-dev libsqlite3-dev pkg-config"
if [ "$(id -u)" != 0 ]; then
    echo "error: missing system packages; install them with: sudo apt-get install -y $packages" >&2
    exit 1
fi
echo "installing $packages" >&2
DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
