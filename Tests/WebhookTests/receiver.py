"""A programmable HTTPS webhook receiver on loopback, for the tests of `pec watch --webhook`.

It stands in for an application's endpoint: a threaded `http.server` behind `ssl`, on 127.0.0.1 and a
free port, with a certificate issued by a throw-away CA made with the `openssl` command line (so pec
has to be told about that CA with `--webhook-ca-file`, as it would be for a private endpoint).

Every request is recorded (method, path, headers, raw body, when it came, what was answered, and whether
the answer could be written) in memory and, one JSON line each, in a log file kept beside the test's
other files for a post-mortem. What it answers follows a plan the test sets and changes at will:

    receiver.plan(Rule(503, times=2, match=b"REF-1"),          # the first two posts about REF-1: 503
                  Rule(200, times=1, match=b"REF-1", down_after=10))  # the next: 200, then refuse for 10 s
    receiver.plan(Rule(200, delay=3))                           # every post: 200, three seconds late
    receiver.plan(Rule(429, headers={"Retry-After": "4"}))      # once: 429 with Retry-After

A post no rule claims is answered 200. "Down" means down as a dead host behind a live one looks to a
client: the listening socket is closed (new connections are refused by the kernel), the connections
already open are shut, a request that slips in meanwhile is read and dropped unanswered, and later the
server listens again on the same port.

Everything is bounded: sockets have timeouts, delays wake up when the receiver stops, waits have
deadlines, and `stop()` ends every thread it started.

Run alone (`python receiver.py`) it prints a self-signed endpoint's URL and CA path and answers until
interrupted, for trying a client by hand (curl --cacert CA -d '{}' URL).
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Optional

MAX_BODY = 8 * 1024 * 1024  # a webhook body is a few kilobytes; more is a bug, not something to buffer
SOCKET_TIMEOUT = 30.0  # a connection idle this long (no request on a keep-alive connection) is closed
HANDSHAKE_TIMEOUT = 10.0


# MARK: - The test CA


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA certificate (PEM): what pec gets as --webhook-ca-file
    cert: Path  # the server's certificate, issued by that CA, for IP:127.0.0.1 and DNS:localhost
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    run = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed ({run.returncode}):\n{run.stderr}")


def make_certificates(directory: Path) -> Certificates:
    """A CA (key + self-signed certificate) and a server certificate it issues, made with the openssl
    command line in `directory`. The server certificate is a plain TLS server one (serverAuth, not a CA)
    whose subjectAltName lists IP:127.0.0.1 and DNS:localhost, so a client verifying the name of
    https://127.0.0.1:PORT/ (an IP SAN) or https://localhost:PORT/ accepts it, and nothing else does."""
    directory.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
             "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/O=pec webhook tests/CN=Webhook Test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256",
             "-keyout", "server.key", "-out", "server.csr", "-subj", "/O=pec webhook tests/CN=127.0.0.1",
             cwd=directory)
    (directory / "server.ext").write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-set_serial", str(int(time.time() * 1000)), "-sha256", "-days", "2",
             "-extfile", "server.ext", "-out", "server.pem", cwd=directory)
    return Certificates(ca=directory / "ca.pem", cert=directory / "server.pem", key=directory / "server.key")


# MARK: - The plan


@dataclass
class Rule:
    """How to answer the posts it claims: the first `times` posts (None: every one) whose raw body
    contains `match` (None: any body) and whose path is `path` (None: any path)."""

    status: int = 200
    times: Optional[int] = 1
    match: Optional[bytes] = None
    path: Optional[str] = None
    delay: float = 0.0  # seconds between reading the request and answering it
    headers: dict = field(default_factory=dict)  # extra response headers, e.g. {"Retry-After": "3"}
    down_after: Optional[float] = None  # once answered, go down for this many seconds
    down_mode: str = "refuse"  # how: "refuse" (nothing listens) or "reset" (accept, then reset at once)
    on_request: Optional[Callable[["Post"], None]] = None  # called once the request is read, before the delay
    on_answered: Optional[Callable[["Post"], None]] = None  # called once the answer is written
    used: int = 0

    def claims(self, path: str, body: bytes) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        if self.path is not None and self.path != path:
            return False
        if self.match is not None and (self.match if isinstance(self.match, bytes) else self.match.encode()) not in body:
            return False
        return True


@dataclass
class Post:
    """One request as received, and what became of it."""

    n: int  # 1, 2, …: order of arrival
    method: str
    path: str
    headers: list  # [(name, value)] as sent, in order
    body: bytes
    received_at: float  # time.time()
    connection: int  # which TCP connection carried it (to tell keep-alive reuse from reconnects)
    rule: Optional[int] = None  # index of the rule that answered it in the plan of the time, None: default
    status: Optional[int] = None  # what was (or was to be) answered; None: dropped unanswered (receiver down)
    answered: bool = False  # the whole answer was written to the socket
    answered_at: Optional[float] = None
    note: str = ""

    def header(self, name: str) -> Optional[str]:
        """The value of a header sent once (None if absent); sent twice is an error worth seeing."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        if len(values) > 1:
            raise AssertionError(f"post #{self.n}: header {name} sent {len(values)} times: {values}")
        return values[0] if values else None

    def json(self):
        return json.loads(self.body)

    @property
    def acknowledged(self) -> bool:
        """Answered with a 2xx, and the answer went out whole."""
        return self.answered and self.status is not None and 200 <= self.status < 300

    def summary(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.received_at)) + f".{int(self.received_at * 1000) % 1000:03d}"
        return (f"#{self.n} {when} conn{self.connection} {self.method} {self.path} -> {self.status}"
                f"{'' if self.answered else ' (not answered)'} key={self.header('Idempotency-Key')} "
                f"body={self.body[:160]!r}{' ' + self.note if self.note else ''}")


# MARK: - The server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint behind a proxy would offer
    server_version = "pec-webhook-test-receiver/1"
    sys_version = ""
    timeout = SOCKET_TIMEOUT

    def log_message(self, format, *args):  # the JSONL log says it all; keep pytest's output clean
        pass

    def do_POST(self):
        self.server.receiver._handle(self)

    do_PUT = do_PATCH = do_GET = do_DELETE = do_POST  # recorded too: anything but a POST is pec's mistake


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # come back on the same port at once, TIME_WAIT or not
    request_queue_size = 64

    def __init__(self, address, receiver: "Receiver"):
        self.receiver = receiver
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the connection's own thread, not in accept(): a client that
        # stalls or fails its handshake holds up nobody else.
        receiver = self.receiver
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = receiver.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            receiver._tls_failed(error)
            return
        receiver._opened(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (OSError, ssl.SSLError):
            pass  # the client went away, or the receiver shut the connection when going down
        finally:
            receiver._closed(tls)
            try:
                tls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            tls.close()

    def handle_error(self, request, client_address):  # a client's broken connection is no test failure
        pass


class Receiver:
    """The HTTPS endpoint: `start()`, point pec at `url(path)`, set a `plan(...)`, read `posts`, `stop()`."""

    def __init__(self, certificates: Certificates, log_file: Path, port: int = 0):
        self.certificates = certificates
        self.log_file = log_file
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(str(certificates.cert), str(certificates.key))
        self.port = port
        self._lock = threading.Condition()
        self._posts: list[Post] = []
        self._rules: list[Rule] = []
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._connections: dict[int, tuple[int, ssl.SSLSocket]] = {}  # id(socket) -> (number, socket)
        self._connection_count = 0
        self._down = False
        self._stopped = threading.Event()
        self._timers: list[threading.Timer] = []
        self.tls_errors: list[str] = []  # handshakes that failed (e.g. a client that does not trust the CA)
        self.down_periods: list[list] = []  # [down_at, up_at or None], time.time()
        self.resets: list[float] = []  # when each connection was accepted and reset (down in "reset" mode)
        self._resetter: Optional[threading.Thread] = None
        self._resetter_stop = threading.Event()

    # Life cycle

    def start(self) -> "Receiver":
        self._listen()
        return self

    def stop(self) -> None:
        """Stops listening, shuts every open connection, and joins the server thread. Idempotent."""
        self._stopped.set()
        with self._lock:
            for timer in self._timers:
                timer.cancel()
            self._lock.notify_all()
        self._close_listener()
        self._shut_connections()
        self._stop_resetter()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path: str = "/hook") -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def _listen(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                server = _Server(("127.0.0.1", self.port), self)
                break
            except OSError:
                # Coming back on the same port: allow_reuse_address covers TIME_WAIT; anything else (another
                # process took the port meanwhile) is given a few seconds, then reported.
                if self.port == 0 or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                  name=f"webhook-receiver:{self.port}", daemon=True)
        with self._lock:
            self._server, self._thread = server, thread
        thread.start()

    def _close_listener(self) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()  # ends serve_forever (within its poll interval)
            server.server_close()  # closes the listening socket: from now on, connection refused
        if thread is not None:
            thread.join(timeout=5)

    def _shut_connections(self) -> None:
        with self._lock:
            connections = [c for _, c in self._connections.values()]
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)  # wakes the handler thread blocked reading it
            except OSError:
                pass

    # Down and up

    def go_down(self, seconds: Optional[float] = None, grace: float = 0.0, mode: str = "refuse") -> None:
        """Refuse connections: at once for requests (they are read and dropped unanswered), and, after
        `grace` seconds, for new connections (the listening socket is closed, the open ones are shut).
        With `seconds`, come back on the same port that long after going down. In mode "reset", a plain TCP
        listener takes the port meanwhile and resets every connection as soon as it is accepted (before any
        TLS): a "connection reset" a client sees at once, and that the receiver can count (`resets`)."""
        assert mode in ("refuse", "reset"), mode
        with self._lock:
            if self._down or self._stopped.is_set():
                return
            self._down = True
            self.down_periods.append([time.time(), None])
            if seconds is not None:
                timer = threading.Timer(seconds, self.come_up)
                timer.daemon = True
                self._timers.append(timer)
                timer.start()
        if grace:
            threading.Thread(target=self._close_everything, args=(grace, mode), daemon=True).start()
        else:
            self._close_everything(0.0, mode)

    def _close_everything(self, after: float, mode: str) -> None:
        if after:
            time.sleep(after)
        self._close_listener()
        self._shut_connections()
        if mode == "reset":
            self._start_resetter()

    def _start_resetter(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._resetter_stop.clear()

        def run():
            with listener:
                while not self._resetter_stop.is_set():
                    try:
                        connection, _ = listener.accept()
                    except socket.timeout:
                        continue
                    except OSError:
                        return
                    with self._lock:
                        self.resets.append(time.time())
                    # SO_LINGER 0: close() sends RST, not FIN: "connection reset by peer".
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    connection.close()

        thread = threading.Thread(target=run, name=f"webhook-resetter:{self.port}", daemon=True)
        with self._lock:
            self._resetter = thread
        thread.start()

    def _stop_resetter(self) -> None:
        with self._lock:
            thread, self._resetter = self._resetter, None
        if thread is not None:
            self._resetter_stop.set()
            thread.join(timeout=5)

    def come_up(self) -> None:
        with self._lock:
            if not self._down or self._stopped.is_set():
                return
        self._stop_resetter()
        self._listen()
        with self._lock:
            self._down = False
            self.down_periods[-1][1] = time.time()
            self._lock.notify_all()
        if self._stopped.is_set():  # stop() ran while this was coming back
            self._close_listener()

    @property
    def is_down(self) -> bool:
        with self._lock:
            return self._down

    # The plan and the record

    def plan(self, *rules: Rule) -> None:
        """Replaces the plan (and forgets how often the old rules were used)."""
        with self._lock:
            self._rules = list(rules)

    @property
    def posts(self) -> list[Post]:
        with self._lock:
            return list(self._posts)

    def wait_for(self, predicate: Callable[[list[Post]], object], timeout: float, what: str):
        """Waits until `predicate(posts)` returns something truthy and returns it; after `timeout`
        seconds raises AssertionError naming `what` and listing what was received."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                result = predicate(list(self._posts))
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"after {timeout:.0f} s, still not: {what}\n{self.describe_locked()}")
                self._lock.wait(min(remaining, 0.25))

    def describe(self) -> str:
        with self._lock:
            return self.describe_locked()

    def describe_locked(self) -> str:
        lines = [f"receiver on port {self.port}: {len(self._posts)} requests, "
                 f"down periods {self.down_periods}, TLS failures {self.tls_errors[-3:]}"]
        lines += ["  " + p.summary() for p in self._posts[-40:]]
        return "\n".join(lines)

    # Connection bookkeeping (called by the server threads)

    def _opened(self, connection: ssl.SSLSocket) -> None:
        with self._lock:
            self._connection_count += 1
            self._connections[id(connection)] = (self._connection_count, connection)

    def _closed(self, connection: ssl.SSLSocket) -> None:
        with self._lock:
            self._connections.pop(id(connection), None)

    def _tls_failed(self, error: Exception) -> None:
        with self._lock:
            self.tls_errors.append(f"{time.time():.3f} {error}")
            self._lock.notify_all()

    # One request

    def _read_body(self, handler: _Handler) -> bytes:
        if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size_line = handler.rfile.readline(1024)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while handler.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline(1024)
        length = int(handler.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return handler.rfile.read(length) if length else b""

    def _handle(self, handler: _Handler) -> None:
        try:
            body = self._read_body(handler)
        except (ValueError, OSError):
            handler.close_connection = True
            return
        with self._lock:
            post = Post(n=len(self._posts) + 1, method=handler.command, path=handler.path,
                        headers=list(handler.headers.items()), body=body, received_at=time.time(),
                        connection=self._connections.get(id(handler.connection), (0, None))[0])
            self._posts.append(post)
            down = self._down
            rule = None
            if not down:
                for index, candidate in enumerate(self._rules):
                    if candidate.claims(post.path, body):
                        candidate.used += 1
                        rule, post.rule = candidate, index
                        break
            post.status = None if down else (rule.status if rule else 200)
            self._lock.notify_all()
        if down:
            # Read, then dropped: what a client sees from an endpoint that dies mid-request.
            post.note = "dropped: receiver down"
            self._log(post)
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if rule and rule.on_request:
            rule.on_request(post)
        if rule and rule.delay:
            self._stopped.wait(rule.delay)  # wakes early when the receiver stops
        answer = json.dumps({"received": post.n}).encode() if 200 <= post.status < 300 else \
            json.dumps({"error": f"planned {post.status}"}).encode()
        try:
            handler.send_response(post.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(answer)))
            for name, value in (rule.headers if rule else {}).items():
                handler.send_header(name, str(value))
            handler.end_headers()
            handler.wfile.write(answer)
            handler.wfile.flush()
            post.answered, post.answered_at = True, time.time()
        except (OSError, ssl.SSLError) as error:
            post.note = f"answer not written: {error.__class__.__name__}"
            handler.close_connection = True
        with self._lock:
            self._lock.notify_all()
        self._log(post)
        if rule and rule.on_answered:
            rule.on_answered(post)
        if rule and rule.down_after is not None:
            # Requests from now on are dropped at once; the sockets are closed a moment later from another
            # thread, so that the answer just written reaches the client before its connection is shut.
            self.go_down(rule.down_after, grace=0.05, mode=rule.down_mode)

    def _log(self, post: Post) -> None:
        try:
            text, encoding = post.body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(post.body).decode(), "base64"
        line = json.dumps({"n": post.n, "method": post.method, "path": post.path, "headers": post.headers,
                           "body": text, "body_encoding": encoding, "received_at": post.received_at,
                           "connection": post.connection, "rule": post.rule, "status": post.status,
                           "answered": post.answered, "answered_at": post.answered_at, "note": post.note})
        with self._lock:
            with open(self.log_file, "a") as log:
                log.write(line + "\n")


if __name__ == "__main__":  # a receiver to try by hand
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="webhook-receiver-"))
    receiver = Receiver(make_certificates(directory), directory / "posts.jsonl").start()
    print(f"listening on {receiver.url()}\nCA: {receiver.certificates.ca}\nlog: {receiver.log_file}", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        receiver.stop()
