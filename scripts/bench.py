"""Benchmarks for `make bench` (run by scripts/bench.sh inside its own sandbox).

Each measurement runs the real `pec` binary as a child process and reads its wall time and peak
resident memory (ru_maxrss from wait4). Prints a table; exits 1 if listing 10 000 messages costs
clearly more than listing 100 (the cost must not depend on the mailbox size).
"""
import os
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
    seconds = seed(10_000)
    print(f"(seeded 10 000 messages in {seconds:.1f} s)")
    first, _ = run(["--json", "list"])
    print(f"{'first list after seeding (server indexes)':<44} {first * 1000:7.1f} ms")
    large = measure("pec --json list (20 of 10 000 messages)", ["--json", "list"])
    measure("pec --json list --unread (20 of 10 000)", ["--json", "list", "--unread"])
    measure("pec --json search (subject, 10 000)", ["--json", "search", "fattura", "--field", "subject"])
    elapsed, out = run(["--json", "list", "--limit", "0"])
    print(f"{'pec --json list --limit 0 (all 10 000)':<44} {elapsed * 1000:7.1f} ms, {len(out.splitlines())} rows")
    ratio = large["median_ms"] / small["median_ms"]
    print(f"list on 10 000 / list on 100: {ratio:.2f}x time, "
          f"{large['peak_rss_mib'] / small['peak_rss_mib']:.2f}x peak RSS")
    if ratio > 1.5:
        print("bench: FAIL: listing cost grows with the mailbox size")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
