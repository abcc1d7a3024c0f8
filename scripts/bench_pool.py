#!/usr/bin/env python3
"""`make bench`, teams (issue 20): a pool of 3 `pec watch --all-accounts` workers sharing a PostgreSQL ledger over
100 sandbox accounts (pool001 … pool100), one webhook, beside the SQLite default (one watch of the same 100
accounts on the local file). Measured:
- lease balance: how long until every account is held, and the accounts per worker;
- event latency: from a receipt's arrival in the mailbox (its file's mtime) to the webhook's acknowledgement,
  median and p95;
- database statements per event: the workers' statements in the server's log (log_statement = all, application
  name "pec watch") during the sends, less what the idle pool sends in as long (lease renewals, looks at the pool,
  the outbox polls, each watch's ledger poll), divided by the events;
- takeover: the worker delivering the webhook SIGKILLed, the time until the others hold all its accounts; and a
  SIGTERM's handover.
  bench_pool.py PEC_BINARY POSTGRES_DIR
PEC_BENCH_POOL_SENDS (20), PEC_BENCH_POOL_LEASE (20 s) change the run."""
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from bench_webhooks import Receiver, acceptance_latency

PEC = sys.argv[1]
POSTGRES_DIR = sys.argv[2]
ACCOUNTS = 100
WORKERS = 3
SENDS = int(os.environ.get("PEC_BENCH_POOL_SENDS", "20"))
LEASE = int(os.environ.get("PEC_BENCH_POOL_LEASE", "20"))
IDLE_SAMPLE_SECONDS = 30  # one ledger poll of every watch (30 s): its rounds come in bursts


def read_env(path):
    values = {}
    with open(path) as f:
        for line in f:
            name, _, value = line.strip().partition("=")
            if name:
                values[name] = value
    return values


def run(args, env, stdin=b""):
    done = subprocess.run([PEC] + args, env=env, input=stdin, capture_output=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"bench: pec {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def login_all(env, *extra):
    addresses = os.environ.get("PEC_SANDBOX_POOL_USERS", "").split()[:ACCOUNTS]
    if len(addresses) < ACCOUNTS:
        sys.exit(f"bench: the sandbox has {len(addresses)} pool mailboxes, {ACCOUNTS} needed")
    password = os.environ["PEC_SANDBOX_PASSWORD"].encode() + b"\n"
    for address in addresses:
        run(["auth", "login", "--address", address,
             "--imap-host", os.environ["PEC_SANDBOX_HOST"], "--imap-port", os.environ["PEC_SANDBOX_IMAPS_PORT"],
             "--smtp-host", os.environ["PEC_SANDBOX_HOST"], "--smtp-port", os.environ["PEC_SANDBOX_SMTPS_PORT"],
             "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"], "--password-stdin", *extra], env, stdin=password)
    return addresses


def statements():
    """Statements the server logged so far from the workers (application_name "pec watch"; not the `pec send`
    and `pec workers` of the bench itself)."""
    count = 0
    with open(os.path.join(POSTGRES_DIR, "server.log"), errors="replace") as f:
        for line in f:
            if "] pec watch: " in line and ("LOG:  statement: " in line or "LOG:  execute " in line):
                count += 1
    return count


LOGS = tempfile.mkdtemp(prefix="pec-bench-pool-logs-")


def start(env, args):
    """A watch whose stderr goes to a file in LOGS, shown when the bench fails."""
    err = open(os.path.join(LOGS, f"watch-{len(os.listdir(LOGS)) + 1}.stderr"), "wb")
    return subprocess.Popen([PEC, "watch", "--all-accounts", "--json", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=err, start_new_session=True)


def fail(message):
    for name in sorted(os.listdir(LOGS)):
        with open(os.path.join(LOGS, name), errors="replace") as f:
            tail = f.read()[-1500:]
        if tail:
            print(f"--- {name} (last 1500 characters)\n{tail}", file=sys.stderr)
    sys.exit(message)


def stop(process, sig=signal.SIGTERM):
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def live_workers(env):
    records = [json.loads(line) for line in run(["--json", "workers"], env).splitlines() if line.strip()]
    return [r for r in records if r["live"]]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    fail(f"bench: after {timeout} s, still not: {what}")


def send_and_measure(env, receiver, addresses, label):
    """SENDS sends from accounts spread over the pool; the latency of each acceptance's webhook post."""
    samples = []
    for index in range(SENDS):
        account = addresses[(index * 37) % len(addresses)]
        sample = acceptance_latency(env, receiver, account, f"bench pool {label} {index} {uuid.uuid4().hex[:6]}",
                                    wait_seconds=30, fail=lambda message: fail(f"{message} ({label})"))
        if sample is not None:
            samples.append(sample)
    return samples


def describe_latency(label, samples):
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    print(f"{label:<44} median {statistics.median(samples) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"
          f"   ({len(samples)} receipts)")


def events_posted(receiver):
    with receiver.lock:
        return sum(len(v) for v in receiver.acked.values())


def serve():
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    return receiver, f"http://127.0.0.1:{receiver.server_address[1]}/hook"


def sqlite_default(config, addresses):
    env = {**config, "XDG_STATE_HOME": tempfile.mkdtemp(prefix="pec-bench-pool-sqlite-")}
    receiver, url = serve()
    watch = start(env, ["--webhook", url, "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"]])
    try:
        time.sleep(3 + ACCOUNTS * 0.05)  # every session reaches IDLE
        describe_latency(f"SQLite, 1 watch of {ACCOUNTS} accounts", send_and_measure(env, receiver, addresses, "sqlite"))
    finally:
        stop(watch)
        receiver.shutdown()


def postgres_pool(url):
    """The accounts are shared ones, in the database; each worker has a HOME of its own, without local accounts."""
    key = os.path.join(tempfile.mkdtemp(prefix="pec-bench-pool-key-"), "team.key")
    base = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "PEC_WEBHOOK_SECRET": "bench-secret",
            "PEC_LEDGER_URL": url + f"?schema=bench_{uuid.uuid4().hex[:8]}", "PEC_SECRET_KEY_FILE": key}
    client = {**base, "HOME": tempfile.mkdtemp(prefix="pec-bench-pool-client-")}
    run(["auth", "keygen", key], client)
    addresses = login_all(client, "--shared")
    receiver, hook = serve()
    args = ["--lease", str(LEASE), "--webhook", hook, "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"]]
    workers = []
    try:
        started = time.monotonic()
        for n in range(WORKERS):
            env = {**base, "HOME": tempfile.mkdtemp(prefix=f"pec-bench-pool-worker{n}-")}
            workers.append(start(env, args))

        def balanced():
            records = live_workers(client)
            held = sorted(r.get("accounts_held", 0) for r in records)
            return len(records) == WORKERS and sum(held) == ACCOUNTS and held[-1] - held[0] <= 1 and held
        held = wait_for(balanced, 120, f"{ACCOUNTS} accounts held, balanced over {WORKERS} workers")
        print(f"{'PostgreSQL pool: lease balance':<44} {'/'.join(map(str, held))} accounts per worker, "
              f"settled {time.monotonic() - started:5.1f} s after the first start")
        time.sleep(5)  # every account's first sync done

        before, idle_start = statements(), time.monotonic()
        time.sleep(IDLE_SAMPLE_SECONDS)
        idle_rate = (statements() - before) / (time.monotonic() - idle_start)
        posted_before, before, sends_start = events_posted(receiver), statements(), time.monotonic()
        samples = send_and_measure(client, receiver, addresses, "pool")
        time.sleep(3)  # the deliveries of the last receipts
        elapsed = time.monotonic() - sends_start
        events = events_posted(receiver) - posted_before
        used = statements() - before - idle_rate * elapsed
        describe_latency(f"PostgreSQL pool, {WORKERS} workers x {ACCOUNTS} accounts", samples)
        print(f"{'PostgreSQL pool: statements per event':<44} {used / max(events, 1):7.1f}   ({events} events; idle "
              f"pool {idle_rate:5.1f} statements/s, subtracted)")

        records = live_workers(client)
        victim = next(r for r in records if r.get("deliveries"))
        process = next(w for w in workers if w.pid == victim["pid"])
        stop(process, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: len(live_workers(client)) == WORKERS - 1
                 and sum(r.get("accounts_held", 0) for r in live_workers(client)) == ACCOUNTS
                 and any(r.get("deliveries") for r in live_workers(client)), LEASE + 60, "the takeover")
        print(f"{'PostgreSQL pool: takeover after SIGKILL':<44} {time.monotonic() - killed:5.1f} s "
              f"({victim['accounts_held']} accounts and the webhook; lease {LEASE} s)")

        records = live_workers(client)
        leaving = records[0]
        process = next(w for w in workers if w.pid == leaving["pid"])
        stop(process)
        stopped = time.monotonic()
        wait_for(lambda: len(live_workers(client)) == 1
                 and sum(r.get("accounts_held", 0) for r in live_workers(client)) == ACCOUNTS, 60, "the handover")
        print(f"{'PostgreSQL pool: handover after SIGTERM':<44} {time.monotonic() - stopped:5.1f} s "
              f"({leaving['accounts_held']} accounts)")
    finally:
        for worker in workers:
            stop(worker)
        receiver.shutdown()


def main():
    if os.environ.get("PEC_BENCH_POOL_ONLY") == "1":  # the pool alone, when working on it
        postgres_pool(read_env(os.path.join(POSTGRES_DIR, "env"))["PEC_TEST_POSTGRES_URL"])
        return 0
    url = read_env(os.path.join(POSTGRES_DIR, "env"))["PEC_TEST_POSTGRES_URL"]
    home = tempfile.mkdtemp(prefix="pec-bench-pool-")
    config = {"PATH": os.environ["PATH"], "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "config"),
              "LANG": "C.UTF-8", "PEC_WEBHOOK_SECRET": "bench-secret", "PEC_CREDENTIAL_STORE": "file"}
    addresses = login_all({**config, "XDG_STATE_HOME": os.path.join(home, "state")})
    sqlite_default(config, addresses)
    postgres_pool(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
