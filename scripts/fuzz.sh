#!/bin/sh
# `make fuzz`: fuzz the pure parsers with libFuzzer.
#
#   scripts/fuzz.sh [imap|mime|xml|all]      (default all: one run each)
#
# Each fuzzer is compiled with the PECWire target's sources (every file under Sources/PECWire: pure
# Swift + Foundation, which the package enforces) and -sanitize=fuzzer,address: imap =
# Fuzz/IMAPResponseFuzzer.swift, mime = Fuzz/MIMEFuzzer.swift, xml = Fuzz/XMLFuzzer.swift (REM evidence
# and daticert parsers). Seeds: the captured Dovecot transcripts (imap), the PEC test messages (mime),
# the daticert fixtures and the shared REM standalone evidence (xml, read from ../shared in place). Runs FUZZ_SECONDS (default 60)
# per target and exits 1 when the fuzzer finds a crash, a hang (> 5 s on one input) or a leak; the
# reproducer is in .build/fuzz/<target>/artifacts/ (replay: .build/fuzz/<target>/fuzzer FILE).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-60}
which=${1:-all}
wire=$(find Sources/PECWire -name '*.swift' | sort)  # paths without spaces

fuzz() {  # NAME FUZZER-SOURCE [MAX-LEN] (seeds are set up by the caller in $work/corpus)
    name=$1; fuzzer=$2; max_len=${3:-4096}
    work=.build/fuzz/$name
    mkdir -p "$work/corpus" "$work/artifacts"
    echo "fuzz[$name]: compiling with -sanitize=fuzzer,address" >&2
    rm -f "$work/fuzzer"  # a failed compile must not leave an old binary to run
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name PECWire -package-name pec -swift-version 6 \
        $wire "$fuzzer" -o "$work/fuzzer" 2>&1 | grep -v "Cannot export local symbol" >&2 || true
    [ -x "$work/fuzzer" ] || { echo "fuzz[$name]: the fuzzer did not build" >&2; exit 1; }
    echo "fuzz[$name]: running for $seconds s" >&2
    set +e
    LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    "$work/fuzzer" "$work/corpus" -max_len="$max_len" -timeout=5 -rss_limit_mb=2048 -max_total_time="$seconds" \
        -print_final_stats=1 -artifact_prefix="$root/$work/artifacts/"
    status=$?
    set -e
    if [ "$status" -ne 0 ]; then
        echo "fuzz[$name]: FAILED (exit $status); reproducers in $work/artifacts/" >&2
        exit 1
    fi
    echo "fuzz[$name]: no crash found in $seconds s" >&2
}

seed() {  # NAME FILE... : each file behind control bytes that vary the chunking (SEED_BYTES, default 4095)
    name=$1; shift
    keep=${SEED_BYTES:-4095}
    mkdir -p ".build/fuzz/$name/corpus"
    for file in "$@"; do
        [ -f "$file" ] || continue
        base=$(basename "$file")
        for control in 000 210 074; do
            out=".build/fuzz/$name/corpus/seed-$base-$control"
            [ -f "$out" ] || { printf "\\$control" > "$out"; head -c "$keep" "$file" >> "$out"; }
        done
    done
}

if [ "$which" = imap ] || [ "$which" = all ]; then
    seed imap Tests/PECWireTests/IMAP/Transcripts/*.txt
    fuzz imap Fuzz/IMAPResponseFuzzer.swift
fi
if [ "$which" = mime ] || [ "$which" = all ]; then
    seed mime Tests/PECCoreTests/PEC/Fixtures/*.eml
    fuzz mime Fuzz/MIMEFuzzer.swift
fi
if [ "$which" = xml ] || [ "$which" = all ]; then
    # Evidence is 10-15 KB: the whole document, signature included, fits the larger max_len.
    SEED_BYTES=16383 seed xml Tests/PECWireTests/Daticert/Fixtures/*.xml ../shared/fixtures/rem/standalone-evidence/*.xml
    fuzz xml Fuzz/XMLFuzzer.swift 16384
fi
