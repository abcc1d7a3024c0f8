"""Receipt-tracking benchmarks for `make bench` (run by scripts/bench.sh inside its own sandbox, or
by hand against any sandbox whose env is loaded: `. DIR/env; python scripts/bench_tracking.py PEC SANDBOX_SH`).

1. `pec sync` of 10 000 signed receipts (5 000 sends: acceptance + delivery each) written into the
   `bench` user's INBOX: wall time and peak RSS (wait4), then a second sync with nothing new.
2. `pec watch --json`: latency from a receipt landing in the Maildir (rename into new/, as a
   delivery agent does) to its NDJSON line on watch's stdout, over LATENCY_SAMPLES receipts.
"""
import datetime
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEC, SANDBOX_SH = sys.argv[1], sys.argv[2]
DIR = Path(os.environ["PEC_SANDBOX_DIR"])
RECEIPTS = int(os.environ.get("PEC_BENCH_RECEIPTS", "10000"))
LATENCY_SAMPLES = int(os.environ.get("PEC_BENCH_LATENCY_SAMPLES", "20"))
HOME = tempfile.mkdtemp(prefix="pec-bench-tracking-")
ENV = {"PATH": os.environ["PATH"], "HOME": HOME, "XDG_CONFIG_HOME": HOME, "LANG": "C.UTF-8"}
CA = os.environ["PEC_SANDBOX_CA_FILE"]

sys.path.insert(0, os.path.dirname(SANDBOX_SH))
from pecsim import messages as m  # noqa: E402
from pecsim.corpus import load_user, write_message  # noqa: E402


def pec(args, stdin=b""):
    child = subprocess.run([PEC] + args, env=ENV, input=stdin, capture_output=True, timeout=600)
    if child.returncode != 0:
        sys.exit(f"bench: pec {' '.join(args)} failed ({child.returncode}): {child.stderr.decode(errors='replace')}")
    return child.stdout


def pec_rss(args):
    """(seconds, peak RSS MiB, stdout) of one run, through wait4."""
    out = tempfile.TemporaryFile()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0); os.dup2(out.fileno(), 1); os.dup2(devnull, 2)
        os.execve(PEC, [PEC] + args, ENV)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: pec {' '.join(args)} failed")
    out.seek(0)
    return elapsed, usage.ru_maxrss / 1024, out.read()


def submission(address, n, when):
    return m.Submission(raw=b"Subject: bench\r\n\r\nbench\r\n", sender=address,
                        recipients=[(f"dest{n}@pec.sandbox", "certificato")], subject_raw=f"bench {n}",
                        subject=f"bench {n}", reply_to=address, message_id=f"<bench.track.{n}.{when.timestamp()}@pec.sandbox>",
                        receipt_type="sintetica", identificativo=m.new_identificativo(when), time=when)


def write(path, raw, owner):
    write_message(path, raw, owner, mode=0o600, exclusive=True)


def main():
    subprocess.run([SANDBOX_SH, "seed", str(DIR), "bench", "4", "--reset"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address, maildir, owner = load_user(DIR, "bench")
    signer = m.Signer(DIR / "gestore.pem", DIR / "gestore.key", [DIR / "ca1.pem"])
    start = time.perf_counter()
    when = m.italian_now()
    for n in range(RECEIPTS // 2):
        sub = submission(address, n, when)
        epoch = int(time.time())
        write(maildir / "cur" / f"{epoch}.M{2 * n:06d}Pbench.track:2,S", m.to_crlf(m.acceptance(signer, sub)), owner)
        write(maildir / "cur" / f"{epoch}.M{2 * n + 1:06d}Pbench.track:2,S",
              m.to_crlf(m.delivery(signer, sub, sub.recipients[0][0])), owner)
    print(f"(wrote {RECEIPTS} signed receipts in {time.perf_counter() - start:.1f} s)", flush=True)

    pec(["auth", "login", "--address", address, "--imap-host", os.environ["PEC_SANDBOX_HOST"],
         "--imap-port", os.environ["PEC_SANDBOX_IMAPS_PORT"], "--smtp-host", os.environ["PEC_SANDBOX_HOST"],
         "--smtp-port", os.environ["PEC_SANDBOX_SMTPS_PORT"], "--ca-file", CA, "--password-stdin"],
        stdin=os.environ["PEC_SANDBOX_PASSWORD"].encode() + b"\n")
    seconds, rss, out = pec_rss(["--json", "sync", "--ca-file", CA])
    result = json.loads(out.splitlines()[0])
    print(f"{'pec sync, ' + str(RECEIPTS) + ' receipts':<44} {seconds * 1000:9.1f} ms   peak RSS {rss:6.1f} MiB   "
          f"scanned {result['scanned']}, receipts {result['receipts']}, recorded {result['recorded']}, "
          f"{result['receipts'] / seconds:.0f} receipts/s", flush=True)
    failed = result["recorded"] < RECEIPTS
    if failed:
        print(f"bench: FAIL: sync recorded {result['recorded']} events for {RECEIPTS} receipts")
    seconds, rss, _ = pec_rss(["--json", "sync", "--ca-file", CA])
    print(f"{'pec sync again (nothing new)':<44} {seconds * 1000:9.1f} ms   peak RSS {rss:6.1f} MiB", flush=True)

    watch = subprocess.Popen([PEC, "--json", "watch", "--ca-file", CA], env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        time.sleep(2)  # connected, synced, in IDLE
        latencies = []
        for n in range(LATENCY_SAMPLES):
            sub = submission(address, 1_000_000 + n, m.italian_now())
            raw = m.to_crlf(m.acceptance(signer, sub))
            name = f"{int(time.time())}.M{n:06d}Platency.track"
            write(maildir / "tmp" / name, raw, owner)
            landed = time.perf_counter()
            os.rename(maildir / "tmp" / name, maildir / "new" / name)
            ready, _, _ = select.select([watch.stdout], [], [], 30)
            if not ready:
                sys.exit("bench: watch printed nothing within 30 s of a receipt landing")
            line = watch.stdout.readline()
            latencies.append((time.perf_counter() - landed) * 1000)
            if json.loads(line)["message_id"] != sub.message_id:
                sys.exit(f"bench: watch printed another event: {line[:200]}")
            time.sleep(0.2)
        latencies.sort()
        print(f"{'watch: receipt in Maildir to NDJSON line':<44} median {statistics.median(latencies):7.1f} ms   "
              f"min {latencies[0]:7.1f}   max {latencies[-1]:7.1f}   ({len(latencies)} receipts)", flush=True)
    finally:
        watch.send_signal(signal.SIGTERM)
        code = watch.wait(timeout=10)
        if code != 143:
            print(f"bench: FAIL: watch ended with {code} on SIGTERM, not 143")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
