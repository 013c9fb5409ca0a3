#!/usr/bin/env bash
# Measures zero-latency workflow runs per second against a release build of dify-double,
# streaming and blocking, with wrk on the same machine. Prints wrk's summary for each mode.
# Usage: bash scripts/bench/dify-double.sh [duration, default 15s] [connections, default 64]
set -euo pipefail
cd "$(dirname "$0")/../.."

duration="${1:-15s}"
connections="${2:-64}"

swift build -c release --product dify-double >/dev/null
output="$(mktemp)"
.build/release/dify-double --listen 127.0.0.1:0 >"$output" 2>/dev/null &
double_pid=$!
trap 'kill "$double_pid" 2>/dev/null || true; rm -f "$output"' EXIT

for _ in $(seq 50); do
    [ -s "$output" ] && break
    sleep 0.1
done
base="$(head -1 "$output" | awk '{print $3}')"

for mode in streaming blocking; do
    echo "== $mode runs, $connections connections, $duration"
    WRK_RESPONSE_MODE="$mode" wrk -t2 -c"$connections" -d"$duration" \
        -s scripts/bench/dify-double-run.lua "$base/workflows/run"
    echo "resident memory: $(grep VmRSS /proc/"$double_pid"/status | awk '{print $2, $3}')"
done
