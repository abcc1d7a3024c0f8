#!/bin/sh
# Installs the system packages pec builds against and runs with, when they are missing (Debian/Ubuntu):
# OpenSSL's libcrypto (S/MIME), libxmlsec1 (the XAdES signatures of REM evidence; its headers for
# the build, the library loaded when evidence is checked), SQLite (the send ledger, through GRDB),
# pkg-config, which finds them, libcurl's link library (Foundation's URLSession, which pec-mcp's MCP
# library links, needs it when Foundation is linked statically, as release builds do) and libsecret
# (the keyring; loaded when a password is read, so only the library, not its headers).
set -eu
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libcrypto xmlsec1-openssl sqlite3 libcurl \
    && /sbin/ldconfig -p 2>/dev/null | grep -q "libsecret-1.so.0 "; then
    exit 0
fi
packages="libssl-dev libxmlsec1-dev libsqlite3-dev pkg-config libcurl4-openssl-dev libsecret-1-0"
if [ "$(id -u)" != 0 ]; then
    echo "error: missing system packages; install them with: sudo apt-get install -y $packages" >&2
    exit 1
fi
echo "installing $packages" >&2
DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
