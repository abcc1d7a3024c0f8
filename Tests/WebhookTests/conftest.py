"""Fixtures of the webhook tests: the sandbox and pec (found as the other Python suites find them), a
private HOME logged in as mario.rossi, the test CA and HTTPS receiver, and `pec watch` processes that
are always stopped, whatever the test's outcome.

Needs a running PEC sandbox (`PEC_SANDBOX_DIR`, whose `env` file has the ports and CA) and the built
binaries (`PEC_BIN_DIR`); without either the pec tests are skipped (the receiver's own tests still run).
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from receiver import Receiver, make_certificates  # noqa: E402

STOP_SECONDS = 10  # SIGTERM, then this long before SIGKILL


def read_env_file(path: Path) -> dict:
    """The `export NAME=value` / `export NAME='value'` lines sandbox.sh writes to DIR/env."""
    out = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.removeprefix("export ").partition("=")
        if line.startswith("export ") and sep:
            out[name] = value[1:-1] if value[:1] == value[-1:] == "'" else value
    return out


@pytest.fixture(scope="session")
def sandbox():
    """The sandbox's settings, read from $PEC_SANDBOX_DIR/env, and the pec binary of $PEC_BIN_DIR."""
    directory, bin_dir = os.environ.get("PEC_SANDBOX_DIR"), os.environ.get("PEC_BIN_DIR")
    if not directory:
        pytest.skip("PEC_SANDBOX_DIR is not set: start a sandbox (`make sandbox-up`) and `. /tmp/pec-sandbox/env`")
    if not bin_dir:
        pytest.skip("PEC_BIN_DIR is not set: point it at the built binaries (`swift build --show-bin-path`)")
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is needed to make the receiver's test CA")
    env_file = Path(directory) / "env"
    if not env_file.is_file():
        pytest.fail(f"PEC_SANDBOX_DIR={directory} holds no sandbox (no env file)")
    env = read_env_file(env_file)
    if env.get("PEC_SANDBOX_STANDARD", "pec") != "pec":
        pytest.skip(f"the sandbox in {directory} is in {env['PEC_SANDBOX_STANDARD']} mode; these checks are for PEC")
    pec = Path(bin_dir) / "pec"
    if not os.access(pec, os.X_OK):
        pytest.fail(f"no pec binary at {pec} (PEC_BIN_DIR)")
    assert env["PEC_SANDBOX_HOST"] == "127.0.0.1", "the sandbox must listen on loopback only"
    help_text = subprocess.run([str(pec), "watch", "--help"], capture_output=True, text=True, timeout=30).stdout
    if "--webhook" not in help_text:
        pytest.fail(f"{pec} has no `watch --webhook` (its `pec watch --help` does not list it)")
    version = subprocess.run([str(pec), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    return {**env, "dir": Path(directory), "pec": pec, "version": version}


class Home:
    """A private HOME/XDG tree, so the login, the ledger and the webhook cursors are this test's own."""

    def __init__(self, root: Path, sandbox: dict):
        self.root = root
        self.sandbox = sandbox
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_STATE_HOME": str(root / "state"),
            "LANG": "C.UTF-8",
        }
        self.history_seq = 0  # the last seq in the ledger before any webhook was used

    def pec(self, *args, stdin="", check=True, env=None, timeout=120):
        run = subprocess.run([str(self.sandbox["pec"]), *args], input=stdin, capture_output=True, text=True,
                             env={**self.env, **(env or {})}, timeout=timeout)
        if check:
            assert run.returncode == 0, f"pec {' '.join(args)} exited {run.returncode}:\n{run.stderr}{run.stdout}"
        return run

    def ndjson(self, *args) -> list:
        """`pec --json …`: every line a JSON object."""
        return [json.loads(line) for line in self.pec("--json", *args).stdout.splitlines() if line.strip()]

    def json(self, *args):
        """`pec --json …` of a command that prints one object (the last line)."""
        return self.ndjson(*args)[-1]

    def login(self, user="mario.rossi", *extra):
        s = self.sandbox
        self.pec("auth", "login", "--address", f"{user}@{s['PEC_SANDBOX_DOMAIN']}",
                 "--imap-host", s["PEC_SANDBOX_HOST"], "--imap-port", s["PEC_SANDBOX_IMAPS_PORT"],
                 "--smtp-host", s["PEC_SANDBOX_HOST"], "--smtp-port", s["PEC_SANDBOX_SMTPS_PORT"],
                 "--ca-file", s["PEC_SANDBOX_CA_FILE"], "--password-stdin", *extra,
                 stdin=s["PEC_SANDBOX_PASSWORD"] + "\n")

    def ledger(self, message_id=None) -> list:
        """Every stored event (`pec --json events`, paged with --after), or those of one message."""
        events, after = [], 0
        for _ in range(1000):  # 1000 pages of 1000: far more than any test ledger holds
            page = self.ndjson("events", "--after", str(after), "--limit", "1000")
            events += page
            if len(page) < 1000:
                break
            after = page[-1]["seq"]
        return [e for e in events if message_id is None or e["message_id"] == message_id]

    def parked(self) -> list:
        return self.ndjson("events", "--parked")


@pytest.fixture
def home(tmp_path, sandbox):
    """Logged in as mario.rossi, and synced once: the mailbox's old receipts (other tests' sends) are in
    the ledger before any watch starts, so "a new target starts from now" has a precise meaning here:
    nothing with seq <= history_seq may ever be posted."""
    h = Home(tmp_path / "home", sandbox)
    h.login()
    h.pec("--json", "sync", "--ca-file", sandbox["PEC_SANDBOX_CA_FILE"])
    h.history_seq = max((e["seq"] for e in h.ledger()), default=0)
    return h


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    """The test CA and the receiver's certificate, made once with the openssl command line."""
    return make_certificates(tmp_path_factory.mktemp("webhook-ca"))


@pytest.fixture
def secret():
    return "whsec_" + secrets.token_hex(24)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remembers each phase's outcome on the test item, so teardowns can tell a failure and say more."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def failed(request) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is None or report.failed


@pytest.fixture
def receivers(tmp_path, certificates, request):
    """Starts receivers (`receivers.start()`), and stops every one at the end, even on failure; on a
    failure prints what each received."""
    started = []

    def start(port=0) -> Receiver:
        r = Receiver(certificates, tmp_path / f"posts-{len(started) + 1}.jsonl", port=port).start()
        started.append(r)
        return r

    start.all = started
    yield start
    for r in started:
        r.stop()
    if failed(request):
        for r in started:
            print(r.describe())


@pytest.fixture
def receiver(receivers):
    return receivers()


class Watch:
    """One `pec watch` process in its own process group, its output in files (no pipe to fill up)."""

    def __init__(self, home: Home, args: list, env: dict, directory: Path, name: str):
        self.args = args
        self.name = name
        self.out_path, self.err_path = directory / f"{name}.stdout", directory / f"{name}.stderr"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.process = subprocess.Popen([str(home.sandbox["pec"]), "watch", *args], stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=err, env={**home.env, **env},
                                            start_new_session=True)
        self.started_at = time.time()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def signal(self, sig) -> None:
        try:
            os.killpg(self.process.pid, sig)  # start_new_session: the group is the process's own pid
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL: no chance to update anything on the way out."""
        self.signal(signal.SIGKILL)

    def wait(self, timeout: float):
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM (a clean stop, exit 143), SIGKILL if it does not stop in time. Returns the exit code."""
        if self.alive:
            self.signal(signal.SIGTERM)
            if self.wait(STOP_SECONDS) is None:
                self.kill()
                self.wait(STOP_SECONDS)
        return self.process.returncode

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def printed_events(self) -> list:
        """The NDJSON lines `--json` printed (a line cut short by SIGKILL is skipped)."""
        events = []
        for line in self.stdout.splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                pass
        return events

    def describe(self) -> str:
        return (f"pec watch {' '.join(self.args)} ({self.name}): exit {self.process.returncode}\n"
                f"--- stderr (last 3000 chars)\n{self.stderr[-3000:]}\n--- stdout (last 1500 chars)\n{self.stdout[-1500:]}")


@pytest.fixture
def watches(tmp_path, request):
    """Starts `pec watch` processes (`watches.start(home, args, env)`) and stops every one at the end,
    even on failure; on a failure prints their output."""
    started = []

    def start(home: Home, args: list, env: dict = None) -> Watch:
        w = Watch(home, args, env or {}, tmp_path, f"watch-{len(started) + 1}")
        started.append(w)
        return w

    start.all = started
    yield start
    for w in started:
        w.stop()
    if failed(request):
        for w in started:
            print(w.describe())
