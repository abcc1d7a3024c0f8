#!/bin/sh
# Installs what `make test` needs beyond the build: a Secret Service for the keyring tests
# (gnome-keyring in a private D-Bus session) and secret-tool, which reads the keyring the way
# Python's keyring does; the shells and man for the install test. The sandbox installs Dovecot
# and its Python environment itself.
set -eu
missing=""
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing="$missing gnome-keyring"
command -v dbus-run-session >/dev/null 2>&1 || missing="$missing dbus"
command -v dbus-send >/dev/null 2>&1 || missing="$missing dbus-x11"
command -v secret-tool >/dev/null 2>&1 || missing="$missing libsecret-tools"
# The install test checks each shell's completion script with that shell, and renders the man pages.
command -v zsh >/dev/null 2>&1 || missing="$missing zsh"
command -v fish >/dev/null 2>&1 || missing="$missing fish"
command -v man >/dev/null 2>&1 || missing="$missing man-db"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "error: missing test packages; install them with: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing$missing" >&2
DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
