"""`make bench`, pec-mcp part: start-up (`initialize`) and `pec_list` round trips, through the
official Python MCP client over stdio, against the bench sandbox (scripts/bench.sh starts it).

    bench_mcp.py BIN_DIR
"""
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

BIN = sys.argv[1]
RUNS = int(os.environ.get("PEC_BENCH_RUNS", "15"))
HOME = tempfile.mkdtemp(prefix="pec-bench-mcp-")
ENV = {"PATH": os.environ["PATH"], "HOME": HOME, "XDG_CONFIG_HOME": HOME, "XDG_STATE_HOME": HOME, "LANG": "C.UTF-8"}


def login():
    env = os.environ
    subprocess.run(
        [os.path.join(BIN, "pec"), "auth", "login", "--address", "bench@pec.sandbox",
         "--imap-host", env["PEC_SANDBOX_HOST"], "--imap-port", env["PEC_SANDBOX_IMAPS_PORT"],
         "--smtp-host", env["PEC_SANDBOX_HOST"], "--smtp-port", env["PEC_SANDBOX_SMTPS_PORT"],
         "--ca-file", env["PEC_SANDBOX_CA_FILE"], "--password-stdin"],
        input=env["PEC_SANDBOX_PASSWORD"] + "\n", text=True, env=ENV, check=True, capture_output=True, timeout=60,
    )


async def session(calls):
    """One server process: (ms to initialize, [ms per pec_list call])."""
    server = StdioServerParameters(command=os.path.join(BIN, "pec-mcp"), args=[], env=ENV)
    with open(os.devnull, "w") as log:
        started = time.perf_counter()
        async with stdio_client(server, errlog=log) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                initialized = (time.perf_counter() - started) * 1000
                times = []
                for _ in range(calls):
                    call_started = time.perf_counter()
                    result = await client.call_tool("pec_list", {"limit": 20})
                    times.append((time.perf_counter() - call_started) * 1000)
                    if result.is_error:
                        sys.exit(f"bench: pec_list failed: {result.content[0].text}")
                return initialized, times


def row(label, samples):
    samples = sorted(samples)
    print(f"{label:<44} median {statistics.median(samples):7.1f} ms   min {samples[0]:7.1f}   max {samples[-1]:7.1f}",
          flush=True)


def main():
    login()
    asyncio.run(session(1))  # warm-up: page cache, server indexes
    results = [asyncio.run(session(RUNS)) for _ in range(RUNS)]
    row("pec-mcp initialize (process start → result)", [r[0] for r in results])
    row("pec_list, first call (connect + login)", [r[1][0] for r in results])
    row("pec_list, later calls (kept IMAP session)", [t for r in results for t in r[1][1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
