"""`pec send` at a real terminal (a pseudo-terminal): it shows the message and asks, default no.

Run by `make test` against its sandbox (PEC_SANDBOX_* and PEC_BIN_DIR set by the Makefile).
"""
import json
import os
import pty
import select
import subprocess
import tempfile
import time
import uuid

import pytest

SANDBOX = os.environ.get("PEC_SANDBOX") == "1"
pytestmark = pytest.mark.skipif(not SANDBOX, reason="needs the sandbox: run through `make test`")


@pytest.fixture()
def home():
    directory = tempfile.mkdtemp(prefix="pec-pty-")
    env = {"PATH": os.environ["PATH"], "HOME": directory, "XDG_CONFIG_HOME": directory, "LANG": "C.UTF-8"}
    host = os.environ["PEC_SANDBOX_HOST"]
    login = subprocess.run(
        [os.path.join(os.environ["PEC_BIN_DIR"], "pec"), "auth", "login", "--address", "luca.verdi@pec.sandbox",
         "--imap-host", host, "--imap-port", os.environ["PEC_SANDBOX_IMAPS_PORT"], "--smtp-host", host,
         "--smtp-port", os.environ["PEC_SANDBOX_SMTPS_PORT"], "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"],
         "--password-stdin"],
        input=os.environ["PEC_SANDBOX_PASSWORD"] + "\n", env=env, capture_output=True, text=True, timeout=60)
    assert login.returncode == 0, login.stderr
    return env


def run_at_terminal(env, args, answer, timeout=30):
    """Runs pec with stdin/stdout/stderr on a pseudo-terminal, answers the prompt, returns (exit code, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(os.path.join(os.environ["PEC_BIN_DIR"], "pec"), ["pec"] + args, env)
    output = b""
    answered = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"[y/N]" in output:
            os.write(fd, answer.encode() + b"\r")
            answered = True
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def submissions(message_id):
    with open(os.path.join(os.environ["PEC_SANDBOX_DIR"], "journal.ndjson")) as journal:
        events = [json.loads(line) for line in journal if line.strip()]
    return sum(1 for e in events if e.get("event") == "submitted" and e.get("msgid") == message_id)


def message_id_in(output):
    for line in output.splitlines():
        if "Message-ID:" in line:
            return line.split("Message-ID:", 1)[1].strip()
    raise AssertionError(f"no Message-ID in the prompt: {output!r}")


def test_the_prompt_shows_the_message_and_no_sends_nothing(home):
    subject = f"Conferma {uuid.uuid4().hex[:8]}"
    code, output = run_at_terminal(home, ["send", "--to", "anna.bianchi@pec.sandbox", "--subject", subject,
                                          "--body", "testo"], answer="n")
    assert "anna.bianchi@pec.sandbox" in output and subject in output and "[y/N]" in output
    assert code == 3, output
    assert "not confirmed" in output
    assert submissions(message_id_in(output)) == 0


def test_an_empty_answer_is_no(home):
    code, output = run_at_terminal(home, ["send", "--to", "anna.bianchi@pec.sandbox", "--subject",
                                          f"Vuota {uuid.uuid4().hex[:8]}", "--body", "testo"], answer="")
    assert code == 3, output
    assert submissions(message_id_in(output)) == 0


def test_yes_at_the_prompt_sends_once(home):
    code, output = run_at_terminal(home, ["send", "--to", "anna.bianchi@pec.sandbox", "--subject",
                                          f"Sì {uuid.uuid4().hex[:8]}", "--body", "testo"], answer="s")
    assert code == 0, output
    assert "status: sent" in output
    assert submissions(message_id_in(output)) == 1
