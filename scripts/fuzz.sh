#!/bin/sh
# `make fuzz`: fuzz the IMAP response parser with libFuzzer.
#
# Compiles Fuzz/IMAPResponseFuzzer.swift with the grammar sources alone (they are pure Swift) using
# -sanitize=fuzzer,address, seeds the corpus with the captured Dovecot transcripts, and runs for
# FUZZ_SECONDS (default 60). Exits 1 when the fuzzer finds a crash, a hang (> 5 s on one input) or a
# leak; the reproducer is in .build/fuzz/artifacts/ (replay: .build/fuzz/imap-response-fuzzer FILE).
# Environment: FUZZ_SECONDS (60), FUZZ_CORPUS (.build/fuzz/corpus, kept and grown between runs).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-60}
work=.build/fuzz
corpus=${FUZZ_CORPUS:-$work/corpus}
binary=$work/imap-response-fuzzer
mkdir -p "$corpus" "$work/artifacts"

echo "fuzz: compiling the IMAP grammar with -sanitize=fuzzer,address" >&2
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name PECCore -swift-version 6 \
    Sources/PECCore/IMAP/Grammar/*.swift Sources/PECCore/IMAP/Parser/*.swift \
    Sources/PECCore/IMAP/Encoding/*.swift Fuzz/IMAPResponseFuzzer.swift -o "$binary" 2>&1 |
    grep -v "Cannot export local symbol" >&2 || true
[ -x "$binary" ] || { echo "fuzz: the fuzzer did not build" >&2; exit 1; }

# Seeds: each transcript behind a control byte that decides the chunking (one chunk, or three).
for file in Tests/PECCoreTests/IMAP/Transcripts/*.txt; do
    name=$(basename "$file" .txt)
    for control in 000 210 074; do
        out="$corpus/seed-$name-$control"
        [ -f "$out" ] || { printf "\\$control" > "$out"; cat "$file" >> "$out"; }
    done
done

echo "fuzz: running for $seconds s on $corpus" >&2
set +e
"$binary" "$corpus" -max_len=4096 -timeout=5 -rss_limit_mb=2048 -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$root/$work/artifacts/"
status=$?
set -e
if [ "$status" -ne 0 ]; then
    echo "fuzz: FAILED (exit $status); reproducers in $work/artifacts/" >&2
    exit 1
fi
echo "fuzz: no crash found in $seconds s" >&2
