#!/usr/bin/env bash
# Fuzzes the schedule engine's cron parser with libFuzzer (swiftc -sanitize=fuzzer,address).
#
#   scripts/fuzz.sh              1,000,000 runs (make fuzz)
#   FUZZ_RUNS=20000 scripts/fuzz.sh
#
# The Schedule sources and the Support files they use are compiled together with the entry in
# scripts/fuzz/ScheduleFuzzEntry.swift; the seed corpus contains valid and malformed expressions.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${FUZZ_RUNS:-1000000}
work=${FUZZ_DIR:-.build/fuzz}
mkdir -p "$work/corpus"

sources=(
  Sources/Shared/Schedule/*.swift
  Sources/Shared/Support/Timestamp.swift
  Sources/Shared/Support/DurationText.swift
  Sources/Shared/Support/StableHash.swift
  scripts/fuzz/ScheduleFuzzEntry.swift
)
swiftc -parse-as-library -sanitize=fuzzer,address -O -module-name ScheduleFuzz \
  -I Sources/CCrypto -I Sources/CYAML -lcrypto -lyaml \
  "${sources[@]}" -o "$work/schedule-fuzzer"

# Seeds: one option byte followed by an expression.
seed=0
for expression in "0 0 9 * * MON-FRI" "*/15 10-50/5 * L-3 JAN-DEC 5L" "0 0 0 LW * ? 2026-2030" \
  "0 30 2 ? * MON#2" "@weekly" "0 0 0 15W 2 *" "0 0 0 ? * 6L" "1,2,3 */7 22-2 1-31/2 * FRI-MON" \
  "0 61 * * * MON#6" "0 0 0 ? * ?"; do
  { printf "\\$(printf '%03o' $((seed * 37 % 256)))"; printf '%s' "$expression"; } > "$work/corpus/seed-$seed"
  seed=$((seed + 1))
done

"$work/schedule-fuzzer" -runs="$runs" -max_len=96 -timeout=10 -print_final_stats=1 "$work/corpus" 2>&1 | tail -n 25
