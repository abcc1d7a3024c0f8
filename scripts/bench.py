"""Benchmarks for `make bench` (run by scripts/bench.sh inside its own sandbox).

Each measurement runs the real `pec` binary as a child process and reads its wall time and peak
resident memory (ru_maxrss from wait4). Prints a table; exits 1 if listing 10 000 messages costs
clearly more than listing 100 (the cost must not depend on the mailbox size).
"""
import base64
import datetime
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PEC, SANDBOX_SH = sys.argv[1], sys.argv[2]
RUNS = int(os.environ.get("PEC_BENCH_RUNS", "15"))
DIR = os.environ["PEC_SANDBOX_DIR"]
HOME = tempfile.mkdtemp(prefix="pec-bench-")
ENV = {"PATH": os.environ["PATH"], "HOME": HOME, "XDG_CONFIG_HOME": HOME, "LANG": "C.UTF-8"}


def run(args, stdin=b""):
    """One run of pec that must succeed: (seconds, stdout)."""
    start = time.perf_counter()
    child = subprocess.Popen([PEC] + args, env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    out, err = child.communicate(stdin, timeout=120)
    elapsed = time.perf_counter() - start
    if child.returncode != 0:
        sys.exit(f"bench: pec {' '.join(args)} failed ({child.returncode}): {err.decode(errors='replace')}")
    return elapsed, out


def run_rss(args):
    """Wall time and peak RSS (MiB) of one run, through wait4."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0); os.dup2(devnull, 1); os.dup2(devnull, 2)
        os.execve(PEC, [PEC] + args, ENV)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: pec {' '.join(args)} failed")
    return elapsed, usage.ru_maxrss / 1024


def measure(label, args, warmups=1):
    for _ in range(warmups):
        run(args)
    samples = [run_rss(args) for _ in range(RUNS)]
    times = sorted(s[0] * 1000 for s in samples)
    rss = max(s[1] for s in samples)
    row = {"what": label, "median_ms": statistics.median(times), "min_ms": times[0], "max_ms": times[-1],
           "peak_rss_mib": rss}
    print(f"{label:<44} median {row['median_ms']:7.1f} ms   min {row['min_ms']:7.1f}   max {row['max_ms']:7.1f}"
          f"   peak RSS {rss:6.1f} MiB", flush=True)
    return row


def seed(count):
    start = time.perf_counter()
    subprocess.run([SANDBOX_SH, "seed", DIR, "bench", str(count), "--reset"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def write_big_envelope(megabytes):
    """A busta di trasporto whose postacert.eml carries a `megabytes` MB PDF, signed by the sandbox
    gestore, dropped into the bench user's INBOX. Returns the attachment's SHA-256."""
    sys.path.insert(0, os.path.join(os.path.dirname(SANDBOX_SH)))
    from pecsim import messages as m
    from pecsim.corpus import chown, load_user
    from pathlib import Path
    sandbox = Path(DIR)
    address, maildir, owner = load_user(sandbox, "bench")
    signer = m.Signer(sandbox / "gestore.pem", sandbox / "gestore.key", [sandbox / "ca1.pem"])
    pdf = b"%PDF-1.4\n" + os.urandom(megabytes * 1024 * 1024) + b"\n%%EOF\n"
    inner = (f"From: Mario Rossi <mario.rossi@pec.sandbox>\r\nTo: {address}\r\nSubject: Allegato grande\r\n"
             "Date: Sat, 21 Nov 2026 10:00:00 +0100\r\nMessage-ID: <bench-big@pec.sandbox>\r\nMIME-Version: 1.0\r\n"
             'Content-Type: multipart/mixed; boundary="big"\r\n\r\n--big\r\n'
             "Content-Type: text/plain; charset=utf-8\r\n\r\nIn allegato.\r\n--big\r\n"
             'Content-Type: application/pdf; name="grande.pdf"\r\nContent-Disposition: attachment; filename="grande.pdf"\r\n'
             "Content-Transfer-Encoding: base64\r\n\r\n").encode()
    inner += base64.encodebytes(pdf).replace(b"\n", b"\r\n") + b"--big--\r\n"
    when = datetime.datetime.now(datetime.timezone.utc)
    sub = m.Submission(raw=inner, sender="mario.rossi@pec.sandbox", recipients=[(address, "certificato")],
                       subject_raw="Allegato grande", subject="Allegato grande", reply_to="mario.rossi@pec.sandbox",
                       message_id="<bench-big@pec.sandbox>", receipt_type="completa",
                       identificativo=m.new_identificativo(when), time=when, to_header=address)
    raw = m.transport_envelope(signer, sub)
    name = maildir / "new" / f"{int(time.time())}.bench-big.{os.getpid()}"
    name.write_bytes(raw)
    chown(name, owner)
    return hashlib.sha256(pdf).hexdigest(), len(raw)


def send_and_trace(label):
    """Sends one PEC (bench → anna, plus an unknown address), waits for its 3 receipts, then measures
    `pec trace` on it: the cost must not depend on how many messages the mailbox holds. The receipts
    are in the evidence store by then, so this measures a trace that downloads nothing."""
    _, out = run(["--json", "send", "--to", "anna.bianchi@pec.sandbox", "--to", "nessuno@pec.sandbox",
                  "--subject", f"bench trace {label} {time.time()}", "--body", "bench", "--yes"])
    message_id = __import__("json").loads(out.splitlines()[0])["message_id"]
    for _ in range(100):
        _, out = run(["--json", "trace", message_id])
        if len(__import__("json").loads(out.splitlines()[0]).get("events", [])) >= 3:
            break
        time.sleep(0.1)
    else:
        sys.exit(f"bench: the receipts of {message_id} never arrived")
    return measure(f"pec --json trace ({label})", ["--json", "trace", message_id])


def sends_message_id():
    """The Message-ID of the latest 30 MB send, from the ledger's status list."""
    _, out = run(["--json", "status", "--limit", "5"])
    for line in out.splitlines():
        record = json.loads(line)
        if record.get("subject") == "bench 30 MB":
            return record["message_id"]
    sys.exit("bench: the 30 MB send is not in the ledger")


def bench_dossier(message_id):
    """`pec evidence` of the 30 MB send (the message as sent, its acceptance and its completa delivery
    receipt, which holds the message again): a new directory and a new zip per run, from the ledger
    (--no-sync), each receipt read and verified again. Must take under 1 s and 64 MiB."""
    for _ in range(200):
        _, out = run(["--json", "trace", message_id])
        if any(e.get("event") == "pec_delivery" for e in json.loads(out.splitlines()[0]).get("events", [])):
            break
        time.sleep(0.1)
    else:
        sys.exit(f"bench: the delivery receipt of {message_id} never arrived")
    failed = False
    for kind in ("directory", "zip"):
        work = tempfile.mkdtemp(prefix="pec-bench-dossier-")
        samples = []
        for index in range(RUNS + 1):
            out = os.path.join(work, f"d{index}" + (".zip" if kind == "zip" else ""))
            sample = run_rss(["evidence", message_id, "--no-sync", "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"],
                              "--out", out])
            if index > 0:  # the first is the warm-up
                samples.append(sample)
            size = sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(work) for name in names)
            # One dossier on disk at a time: each holds the message twice (as sent, and in the completa receipt).
            shutil.rmtree(out) if kind == "directory" else os.unlink(out)
        shutil.rmtree(work)
        median = statistics.median(s[0] for s in samples)
        rss = max(s[1] for s in samples)
        print(f"{'evidence of the 30 MB send (' + kind + ')':<44} median {median * 1000:7.1f} ms"
              f"   dossier {size / 1048576:.1f} MiB   peak RSS {rss:6.1f} MiB")
        if median >= 1.0 or rss >= 64:
            print(f"bench: FAIL: the dossier ({kind}) of a 30 MB send needs 1 s or 64 MiB or more")
            failed = True
    return failed


def main():
    print(f"pec bench: {PEC}, {RUNS} runs each after a warm-up, sandbox {DIR}")
    measure("pec --help", ["--help"], warmups=2)
    seconds = seed(100)
    print(f"(seeded 100 messages in {seconds:.1f} s)")
    password = os.environ["PEC_SANDBOX_PASSWORD"].encode() + b"\n"
    run(["auth", "login", "--address", "bench@pec.sandbox", "--imap-host", os.environ["PEC_SANDBOX_HOST"],
         "--imap-port", os.environ["PEC_SANDBOX_IMAPS_PORT"], "--smtp-host", os.environ["PEC_SANDBOX_HOST"],
         "--smtp-port", os.environ["PEC_SANDBOX_SMTPS_PORT"], "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"],
         "--password-stdin"], stdin=password)
    small = measure("pec --json list (20 of 100 messages)", ["--json", "list"])
    trace_small = send_and_trace("100 messages")
    seconds = seed(10_000)
    print(f"(seeded 10 000 messages in {seconds:.1f} s)")
    first, _ = run(["--json", "list"])
    print(f"{'first list after seeding (server indexes)':<44} {first * 1000:7.1f} ms")
    large = measure("pec --json list (20 of 10 000 messages)", ["--json", "list"])
    trace_large = send_and_trace("10 000 messages")
    measure("pec --json list --unread (20 of 10 000)", ["--json", "list", "--unread"])
    measure("pec --json search (subject, 10 000)", ["--json", "search", "fattura", "--field", "subject"])
    elapsed, out = run(["--json", "list", "--limit", "0"])
    print(f"{'pec --json list --limit 0 (all 10 000)':<44} {elapsed * 1000:7.1f} ms, {len(out.splitlines())} rows")
    failed = False
    trace_ratio = trace_large["median_ms"] / trace_small["median_ms"]
    print(f"trace on 10 000 / trace on 100: {trace_ratio:.2f}x time")
    if trace_ratio > 1.5:
        print("bench: FAIL: trace cost grows with the mailbox size")
        failed = True
    attachment = os.path.join(HOME, "allegato-30MB.bin")
    with open(attachment, "wb") as f:
        f.write(os.urandom(30 * 1000 * 1000))
    sends = [run_rss(["--json", "send", "--to", "anna.bianchi@pec.sandbox", "--subject", "bench 30 MB",
                      "--body", "allegato", "--attach", attachment, "--yes", "--resend"]) for _ in range(3)]
    send_rss = max(s[1] for s in sends)
    print(f"{'send with a 30 MB attachment':<44} median {statistics.median(s[0] for s in sends) * 1000:7.1f} ms"
          f"   peak RSS {send_rss:6.1f} MiB")
    if send_rss >= 64:
        print("bench: FAIL: sending a 30 MB attachment needs 64 MiB or more")
        failed = True
    failed = bench_dossier(sends_message_id()) or failed
    digest, size = write_big_envelope(50)
    _, out = run(["--json", "search", "Allegato grande", "--field", "subject"])
    uid = str(__import__("json").loads(out.splitlines()[0])["id"])
    saved = tempfile.mkdtemp(prefix="pec-bench-save-")
    args = ["--json", "get", uid, "--verify", "--ca-file", os.environ["PEC_SANDBOX_CA_FILE"], "--save-attachments", saved]
    samples = []
    for _ in range(3):
        samples.append(run_rss(args))
        files = os.listdir(saved)
        with open(os.path.join(saved, "grande.pdf"), "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != digest:
                sys.exit("bench: the saved attachment differs from the one sent")
        for name in files:
            os.unlink(os.path.join(saved, name))
    shutil.rmtree(saved)
    big_rss = max(s[1] for s in samples)
    print(f"{'get --verify --save-attachments, 50 MB PDF':<44} median {statistics.median(s[0] for s in samples) * 1000:7.1f} ms"
          f"   envelope {size / 1048576:.1f} MiB   peak RSS {big_rss:6.1f} MiB")
    if big_rss >= 64:
        print("bench: FAIL: saving a 50 MB attachment needs 64 MiB or more")
        failed = True
    ratio = large["median_ms"] / small["median_ms"]
    print(f"list on 10 000 / list on 100: {ratio:.2f}x time, "
          f"{large['peak_rss_mib'] / small['peak_rss_mib']:.2f}x peak RSS")
    if ratio > 1.5:
        print("bench: FAIL: listing cost grows with the mailbox size")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
