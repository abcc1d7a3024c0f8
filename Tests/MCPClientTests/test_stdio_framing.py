"""pec-mcp's stdio transport against malformed and large JSON-RPC lines, over raw stdio.

The official client never sends such lines, so these tests write bytes themselves and read the
answers line by line (a reader thread, every wait bounded).
"""

import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path

BIN = Path(os.environ.get("PEC_BIN_DIR") or Path(__file__).resolve().parents[2] / ".build" / "debug")


class RawServer:
    def __init__(self, tmp_path, args=()):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
               "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "state")}
        self.process = subprocess.Popen([str(BIN / "pec-mcp"), *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                   "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                              "clientInfo": {"name": "raw", "version": "1"}}})
        assert self.answer(30)["id"] == 0
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def write(self, data: bytes):
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message):
        self.write(json.dumps(message).encode() + b"\n")

    def answer(self, timeout=30):
        return self.lines.get(timeout=timeout)

    def ping(self, id):
        self.send({"jsonrpc": "2.0", "id": id, "method": "ping"})
        answer = self.answer()
        assert answer == {"jsonrpc": "2.0", "id": id, "result": {}}, answer

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def test_a_line_that_is_not_json_gets_parse_error_with_a_null_id_and_the_server_keeps_serving(tmp_path):
    server = RawServer(tmp_path)
    server.write(b'{"jsonrpc": "2.0", "id": 7, "method": \n')
    error = server.answer()
    assert error["id"] is None and error["error"]["code"] == -32700, error
    server.ping(1)
    server.close()


def test_an_invalid_id_gets_invalid_request_with_a_null_id(tmp_path):
    server = RawServer(tmp_path)
    for bad in ({"a": 1}, [1], True, 1.5):
        server.send({"jsonrpc": "2.0", "id": bad, "method": "ping"})
        error = server.answer()
        assert error["id"] is None and error["error"]["code"] == -32600, (bad, error)
    server.send(42)
    assert server.answer()["error"]["code"] == -32600
    server.ping("still-here")
    server.close()


def test_wrongly_typed_tools_call_params_are_invalid_params(tmp_path):
    server = RawServer(tmp_path)
    for params in ({"name": 5}, {"name": "pec_providers", "arguments": "x"}, "text"):
        server.send({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": params})
        answer = server.answer()
        assert answer["id"] == 3 and answer["error"]["code"] == -32602, (params, answer)
    server.ping(4)
    server.close()


def test_a_5_mb_request_is_answered_promptly_and_a_ping_after_it_too(tmp_path):
    # pec_send offered, so the whole line is decoded and the message prepared (a dry run).
    server = RawServer(tmp_path, args=["--allow-send", "--allow-recipient", "*"])
    body = ("Lorem ipsum dolor sit amet. " * 40 + "\n") * 4500  # about 5 MB
    started = time.monotonic()
    server.send({"jsonrpc": "2.0", "id": 10, "method": "tools/call",
                 "params": {"name": "pec_send", "arguments": {"to": ["a@pec.example.it"], "subject": "Grande",
                                                              "body": body, "dry_run": True}}})
    server.send({"jsonrpc": "2.0", "id": 11, "method": "ping"})
    answers = {a["id"]: a for a in (server.answer(30), server.answer(30))}
    assert set(answers) == {10, 11}
    assert answers[11]["result"] == {}
    # Answered by the tool (not logged in here: a tool error), not by the transport.
    assert "result" in answers[10] and answers[10]["result"]["isError"] is True, str(answers[10])[:500]
    assert time.monotonic() - started < 30
    server.close()


def test_a_17_mb_line_is_refused_and_the_server_keeps_serving(tmp_path):
    server = RawServer(tmp_path)
    huge = b'{"jsonrpc": "2.0", "id": 12, "method": "ping", "params": {"pad": "' + b"x" * (17 * 1024 * 1024) + b'"}}\n'
    writer = threading.Thread(target=server.write, args=(huge,))
    writer.start()
    error = server.answer(30)
    assert error["id"] is None and error["error"]["code"] == -32600, error
    assert "16777216" in error["error"]["message"]
    writer.join(30)
    server.ping(13)
    server.close()
