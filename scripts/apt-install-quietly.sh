#!/bin/sh
# Installs Debian packages for the test servers (sandbox/sandbox.sh, scripts/postgres.sh) without starting the system
# services their postinst scripts would start: the tests start their own instances, on their own ports.
#   apt-install-quietly.sh WHO PACKAGE...   (WHO prefixes the messages)
set -eu
who=$1; shift
if [ "$(id -u)" != 0 ]; then
    echo "$who: error: missing packages: $* (install them as root: apt-get install $*)" >&2
    exit 1
fi
echo "$who: installing $*" >&2
policy=/usr/sbin/policy-rc.d; made_policy=""
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; made_policy=1; fi
trap 'if [ -n "$made_policy" ]; then rm -f "$policy"; fi' EXIT
DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
