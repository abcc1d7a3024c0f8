"""python -m pecsim --dir SANDBOX_DIR --port 19465 [--slow-seconds 3] [--standard pec|rem]"""

import argparse
import logging
import signal
import sys
import threading
import warnings
from pathlib import Path

from .messages import Signer
from .server import SMTPS, Authenticator, Gestore, Handler, load_users, make_ssl_context


def main() -> int:
    parser = argparse.ArgumentParser(prog="pecsim", description="PEC provider simulator (SMTPS)")
    parser.add_argument("--dir", required=True, type=Path, help="the sandbox directory (certificates, users)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=19465)
    parser.add_argument("--slow-seconds", type=float, default=3.0, help="delay for slow+ recipients")
    parser.add_argument("--size-limit", type=int, default=30 * 1024 * 1024, help="SIZE in bytes (PEC: 30 MB)")
    parser.add_argument("--standard", choices=("pec", "rem"), default="pec",
                        help="pec: a PEC gestore (default); rem: a REM service provider (ETSI EN 319 532, PEC europea)")
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the simulator listens on loopback only")

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    d = args.dir
    users = load_users(d / "users")
    signer = Signer(d / "gestore.pem", d / "gestore.key", [d / "ca1.pem"])
    rem_signer = None
    if args.standard == "rem":
        from .rem import RemSigner
        rem_signer = RemSigner(d / "rem-service.pem", d / "rem-service.key")
    gestore = Gestore(users, signer, args.slow_seconds, d / "journal.ndjson", args.standard, rem_signer)
    controller = SMTPS(Handler(gestore), Authenticator(users), make_ssl_context(d / "server.pem", d / "server.key"),
                       args.host, args.port, args.size_limit)
    controller.start()
    print(f"READY {args.port}", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
