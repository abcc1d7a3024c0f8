"""The progress line of long work, at a real terminal (a pseudo-terminal) and into a pipe.

A 20 MB attachment goes from mario.rossi to luca.verdi through the sandbox's PEC simulator (`pec send`), and
the envelope it delivers, 27 MB once encoded, is read with `pec get`: at a terminal both draw one line
redrawn in place (\\r, bytes, rate); into a pipe, with --json or under TERM=dumb nothing extra is written.
Run by `make test` against its sandbox (PEC_SANDBOX_* and PEC_BIN_DIR set by the Makefile).
"""
import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import tempfile
import termios
import time
import uuid

import pytest

SANDBOX = os.environ.get("PEC_SANDBOX") == "1"
pytestmark = pytest.mark.skipif(not SANDBOX, reason="needs the sandbox: run through `make test`")
PEC = os.path.join(os.environ.get("PEC_BIN_DIR", ""), "pec")
# One redraw: a carriage return, the activity, and the erase-to-end-of-line that ends it.
REDRAW = re.compile(r"\r(downloading|saving|sending|syncing|writing the dossier)  [^\r\n]*?\x1b\[K")


def home_for(user):
    directory = tempfile.mkdtemp(prefix="pec-progress-")
    env = {"PATH": os.environ["PATH"], "HOME": directory, "XDG_CONFIG_HOME": directory + "/config",
           "XDG_STATE_HOME": directory + "/state", "LANG": "C.UTF-8", "TERM": "xterm"}
    host = os.environ["PEC_SANDBOX_HOST"]
    login = subprocess.run(
        [PEC, "auth", "login", "--address", f"{user}@pec.sandbox", "--imap-host", host,
         "--imap-port", os.environ["PEC_SANDBOX_IMAPS_PORT"], "--smtp-host", host,
         "--smtp-port", os.environ["PEC_SANDBOX_SMTPS_PORT"], "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"],
         "--password-stdin"],
        input=os.environ["PEC_SANDBOX_PASSWORD"] + "\n", env=env, capture_output=True, text=True, timeout=60)
    assert login.returncode == 0, login.stderr
    return env


def at_terminal(env, args, timeout=120):
    """Runs pec with stdin, stdout and stderr on a pseudo-terminal 100 columns wide; (exit code, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        os.execve(PEC, ["pec"] + args, env)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


@pytest.fixture(scope="module")
def delivered():
    """The envelope of a 20 MB send, in luca.verdi's INBOX: (luca's env, its id, the send's terminal output)."""
    sender = home_for("mario.rossi")
    attachment = os.path.join(sender["HOME"], "scansione.pdf")
    with open(attachment, "wb") as file:
        file.write(os.urandom(20 * 1000 * 1000))
    subject = f"Progresso {uuid.uuid4().hex[:8]}"
    code, sent = at_terminal(sender, ["send", "--to", "luca.verdi@pec.sandbox", "--subject", subject,
                                      "--body", "in allegato", "--attach", attachment, "--yes"])
    assert code == 0, sent
    reader = home_for("luca.verdi")
    for _ in range(120):
        listing = subprocess.run([PEC, "list", "--json", "--limit", "50"], env=reader, capture_output=True,
                                 text=True, timeout=60)
        assert listing.returncode == 0, listing.stderr
        rows = [json.loads(line) for line in listing.stdout.splitlines() if line.strip()]
        found = [r for r in rows if subject in (r.get("subject") or "") and r.get("pec_type") == "posta-certificata"]
        if found:
            return reader, str(found[0]["id"]), sent
        time.sleep(0.5)
    raise AssertionError(f"the envelope of {subject} never reached luca.verdi")


def test_send_draws_progress_at_a_terminal(delivered):
    _, _, sent = delivered
    draws = [m.group(0) for m in REDRAW.finditer(sent)]
    assert draws and all(d.startswith("\rsending  ") for d in draws), sent[-2000:]
    assert any(" MB of " in d for d in draws), draws


def test_get_draws_progress_at_a_terminal_and_wipes_it(delivered, tmp_path):
    reader, message_id, _ = delivered
    saved = tmp_path / "envelope.eml"
    code, output = at_terminal(reader, ["get", message_id, "--save-eml", str(saved)])
    assert code == 0, output[-2000:]
    downloads = [m.group(0) for m in REDRAW.finditer(output) if m.group(1) == "downloading"]
    assert len(downloads) >= 2, f"redrawn at least at the start and at the end: {output[:3000]!r}"
    assert all(re.search(r"(\d+ k?B|\d+\.\d MB) of 2\d\.\d MB  \d+%", d) for d in downloads), downloads
    assert any("100%" in d for d in downloads), downloads
    assert any("/s" in d for d in downloads), downloads
    assert all(len(d) <= 100 + 4 for d in downloads), "cut to the terminal's width"
    assert any(m.group(1) == "saving" for m in REDRAW.finditer(output)), "saving 27 MB shows too"
    # Wiped before the result is printed: the result starts on a clean line.
    assert "\r\x1b[K" in output
    assert saved.stat().st_size > 20 * 1000 * 1000


def test_nothing_extra_into_a_pipe_with_json_or_a_dumb_terminal(delivered):
    reader, message_id, _ = delivered
    piped = subprocess.run([PEC, "get", message_id], env=reader, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == "", f"a pipe gets no progress: {piped.stderr[:500]!r}"
    assert "\r" not in piped.stdout and "\x1b" not in piped.stdout

    code, output = at_terminal(reader, ["get", message_id, "--json"])
    assert code == 0
    assert not REDRAW.search(output) and "downloading" not in output
    json.loads(output.strip().splitlines()[-1])  # the one record, intact

    code, output = at_terminal({**reader, "TERM": "dumb"}, ["get", message_id])
    assert code == 0
    assert "\x1b[K" not in output and "downloading" not in output
