#!/usr/bin/env python3
"""`make bench`, receipt events to applications: the latency from a receipt's arrival in the mailbox
(its file's mtime in the sandbox's Maildir) to the webhook receiver's acknowledgement, median and
p95, with 1 and with 20 accounts in one `pec watch`; and what a watch of 50 accounts costs in
threads, sockets and memory (from /proc). The receiver is a local HTTP server on 127.0.0.1.
  bench_webhooks.py PEC_BINARY"""
import http.server
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PEC = sys.argv[1]
USERS = ["mario.rossi", "anna.bianchi", "luca.verdi", "archivio", "casella", "bench", "aruba", "legalmail"]
SENDS = int(os.environ.get("PEC_BENCH_WEBHOOK_SENDS", "10"))


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.acked = {}  # message_id -> [(event, ack time)]
        self.lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        acked = time.time()
        event = json.loads(body)
        with self.server.lock:
            self.server.acked.setdefault(event.get("message_id"), []).append((event.get("event"), acked))

    def log_message(self, *args):
        pass


def environment(home):
    env = {"PATH": os.environ["PATH"], "HOME": home, "XDG_CONFIG_HOME": home, "LANG": "C.UTF-8",
           "PEC_WEBHOOK_SECRET": "bench-secret"}
    return env


def run(args, env, stdin=b""):
    done = subprocess.run([PEC] + args, env=env, input=stdin, capture_output=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"bench: pec {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def login(env, count):
    """`count` accounts named acct-1 … spread over the sandbox users (Dovecot allows 10 sessions per user)."""
    password = os.environ["PEC_SANDBOX_PASSWORD"].encode() + b"\n"
    names = []
    for index in range(count):
        user = USERS[index % len(USERS)]
        name = f"acct-{index + 1}"
        run(["auth", "login", "--name", name, "--address", f"{user}@pec.sandbox",
             "--imap-host", os.environ["PEC_SANDBOX_HOST"], "--imap-port", os.environ["PEC_SANDBOX_IMAPS_PORT"],
             "--smtp-host", os.environ["PEC_SANDBOX_HOST"], "--smtp-port", os.environ["PEC_SANDBOX_SMTPS_PORT"],
             "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"], "--password-stdin"], env, stdin=password)
        names.append((name, user))
    return names


def arrival(message_id, kind):
    """The mtime of the receipt of `kind` for `message_id` the simulator delivered (its journal names the file)."""
    journal = os.path.join(os.environ["PEC_SANDBOX_DIR"], "journal.ndjson")
    identificativo = None
    with open(journal) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    for line in lines:
        if line.get("event") == "submitted" and line.get("msgid") == message_id:
            identificativo = line.get("identificativo")
    for line in lines:
        if line.get("event") == "delivered" and line.get("kind") == kind and line.get("identificativo") == identificativo:
            path = line["file"]
            for candidate in (path, path.replace("/new/", "/cur/")):
                if os.path.exists(candidate):
                    return os.stat(candidate).st_mtime
            folder = os.path.dirname(os.path.dirname(path))
            base = os.path.basename(path)
            for name in os.listdir(os.path.join(folder, "cur")):
                if name.startswith(base):
                    return os.stat(os.path.join(folder, "cur", name)).st_mtime
    return None


def acceptance_latency(env, receiver, account, subject, wait_seconds=15, fail=sys.exit):
    """Sends from `account`; the seconds from its acceptance receipt's arrival in the mailbox to the webhook's
    acknowledgement of its event (None when the arrival is unknown). `fail` is called after `wait_seconds`
    without it."""
    out = run(["--json", "send", "--account", account, "--to", "anna.bianchi@pec.sandbox", "--subject", subject,
               "--body", "bench", "--yes"], env)
    message_id = json.loads(out.splitlines()[0])["message_id"]
    for _ in range(int(wait_seconds / 0.05)):
        with receiver.lock:
            got = dict(receiver.acked.get(message_id, []))
        if "pec_acceptance" in got:
            break
        time.sleep(0.05)
    else:
        fail(f"bench: the acceptance of {message_id} (from {account}) never reached the webhook")
    arrived = arrival(message_id, "accettazione")
    return None if arrived is None else got["pec_acceptance"] - arrived


def latency(accounts):
    home = tempfile.mkdtemp(prefix="pec-bench-webhooks-")
    env = environment(home)
    names = login(env, accounts)
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    args = ["--json", "watch", "--webhook", url, "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"]]
    args += ["--all-accounts"] if accounts > 1 else ["--account", names[0][0]]
    watch = subprocess.Popen([PEC] + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        time.sleep(3 + accounts * 0.2)  # every session reaches IDLE
        samples = []
        for index in range(SENDS):
            name, _ = names[index % len(names)]
            sample = acceptance_latency(env, receiver, name, f"bench webhook {accounts} {index} {time.time()}")
            if sample is not None:
                samples.append(sample)
        samples.sort()
        p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
        print(f"{'webhook latency, ' + str(accounts) + ' account(s)':<44} median {statistics.median(samples) * 1000:7.1f} ms"
              f"   p95 {p95 * 1000:7.1f} ms   ({len(samples)} receipts)")
        return samples
    finally:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait(timeout=10)
        receiver.shutdown()


def resources(accounts):
    home = tempfile.mkdtemp(prefix="pec-bench-accounts-")
    env = environment(home)
    login(env, accounts)
    watch = subprocess.Popen([PEC, "watch", "--all-accounts", "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"]], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(8)
        status = {}
        with open(f"/proc/{watch.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                status[key] = value.strip()
        fds = os.listdir(f"/proc/{watch.pid}/fd")
        sockets = sum(1 for fd in fds if os.readlink(f"/proc/{watch.pid}/fd/{fd}").startswith("socket:"))
        print(f"{'watch of ' + str(accounts) + ' accounts':<44} threads {status.get('Threads')}   sockets {sockets}"
              f"   RSS {status.get('VmRSS')}   peak {status.get('VmHWM')}")
    finally:
        os.killpg(watch.pid, signal.SIGTERM)
        watch.wait(timeout=10)


def main():
    latency(1)
    latency(20)
    resources(50)
    return 0


if __name__ == "__main__":
    sys.exit(main())
