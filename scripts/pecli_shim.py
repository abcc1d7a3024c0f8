"""Start-up shim for scripts/bench_vs_pecli.py: runs the Python pec-cli (PyPI mayai-pec-cli 0.2.0)
against the PEC sandbox. Bench-only, never part of the product.

pec-cli has no host, port or CA option: its provider presets point at real providers and it trusts
the system CAs. Before pec-cli's own modules run, this shim

  - replaces every preset in pec_cli.auth.credentials.PROVIDERS by the sandbox's IMAPS and SMTPS
    host and ports (the preset names stay, so `auth login --provider aruba` works; the --provider
    choice is built from the dict's keys when pec_cli.main is imported, after this);
  - makes ssl.create_default_context() (pec-cli's only TLS set-up, for imaplib and smtplib) trust
    the sandbox CA and nothing else, hostname checking kept;
  - refuses, in socket.getaddrinfo and socket.create_connection, any host but the sandbox's, so
    nothing that slipped through could ever reach a real provider;
  - makes getpass.getpass (what click's hidden `Password:` prompt of `auth login` calls, which would
    open /dev/tty) read one line from stdin.

The bench also sets PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring, so `auth login` stores
the password in pec-cli's own headless fallback (a Fernet-encrypted credentials.json under
$HOME/.config/mayai-cli/pec, the bench's private HOME) and no real keyring is touched.

    python pecli_shim.py cli ARGS...    the `pec` command (pec_cli.main:cli)
    python pecli_shim.py mcp            the `pec-mcp` server (pec_cli.mcp_server:main)

Environment: PECLI_SHIM_HOST, PECLI_SHIM_IMAP_PORT, PECLI_SHIM_SMTP_PORT, PECLI_SHIM_CA_FILE.
"""
import getpass
import os
import socket
import ssl
import sys

HOST = os.environ["PECLI_SHIM_HOST"]
IMAP_PORT = int(os.environ["PECLI_SHIM_IMAP_PORT"])
SMTP_PORT = int(os.environ["PECLI_SHIM_SMTP_PORT"])
CA_FILE = os.environ["PECLI_SHIM_CA_FILE"]

_getaddrinfo = socket.getaddrinfo
_create_connection = socket.create_connection
_create_default_context = ssl.create_default_context


def _allowed(host):
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host != HOST:
        raise OSError(f"pecli_shim: refusing to connect to {host!r}: only the sandbox ({HOST}) is allowed")


def guarded_getaddrinfo(host, *args, **kwargs):
    _allowed(host)
    return _getaddrinfo(host, *args, **kwargs)


def guarded_create_connection(address, *args, **kwargs):
    _allowed(address[0])
    return _create_connection(address, *args, **kwargs)


def sandbox_context(purpose=ssl.Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    # Only the sandbox CA: the system store is not loaded (cafile given).
    return _create_default_context(purpose, cafile=CA_FILE)


def stdin_getpass(prompt="Password: ", stream=None):
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


socket.getaddrinfo = guarded_getaddrinfo
socket.create_connection = guarded_create_connection
ssl.create_default_context = sandbox_context
getpass.getpass = stdin_getpass

from pec_cli.auth import credentials  # noqa: E402  (after the patches on purpose)

for _name, _preset in list(credentials.PROVIDERS.items()):
    credentials.PROVIDERS[_name] = credentials.ProviderConfig(
        name=_preset.name, imap_host=HOST, imap_port=IMAP_PORT, smtp_host=HOST, smtp_port=SMTP_PORT)

if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "cli":
        from pec_cli.main import cli
        sys.argv = ["pec"] + sys.argv[2:]
        sys.exit(cli())
    if mode == "mcp":
        sys.argv = ["pec-mcp"] + sys.argv[2:]
        from pec_cli.mcp_server import main
        sys.exit(main())
    sys.exit("usage: pecli_shim.py cli ARGS... | mcp")
