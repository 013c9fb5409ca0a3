#!/usr/bin/env bash
# The worker's CPU cost per run without a broker, next to wrk's request rate against the same
# test double in the same run: `dify-worker bench-runs` runs streaming workflow runs through the
# worker's Dify client and encodes the six messages each run publishes, without sending them.
# The Kafka side (librdkafka produce and the broker) is measured by worker.sh part 1.
#
#   scripts/bench/worker-cpu.sh [RUNS] [IN_FLIGHT]     (defaults: 20000 runs, 64 in flight)
source "$(dirname "$0")/common.sh"
runs=${1:-20000}
in_flight=${2:-64}

# CPU time of process $1 in seconds (user + system), from /proc/<pid>/stat.
cpu_seconds() {
  awk -v tick="$(getconf CLK_TCK)" '{print ($14 + $15) / tick}' "/proc/$1/stat"
}

start_double --threads 2 --ping-interval 10s --api-key app-bench
double_pid=${bench_pids[0]}
echo "### worker CPU per run without a broker, streaming, $runs runs, $in_flight in flight"
wrk_out=$(wrk -t2 -c"$in_flight" -d10s -s "$root/scripts/bench/dify-double-run.lua" "http://127.0.0.1:$double_port/v1/workflows/run" 2>&1 || true)
echo "wrk against the same double: $(echo "$wrk_out" | awk '/Requests\/sec/{print $2}') runs/s (-t2 -c$in_flight, streaming)"
double_before=$(cpu_seconds "$double_pid")
"$bin/dify-worker" bench-runs --url "http://127.0.0.1:$double_port/v1" --api-key "$double_key" \
  --count "$runs" --concurrency "$in_flight"
double_after=$(cpu_seconds "$double_pid")
python3 -c "import sys; b, a, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]); print(f'test double CPU per run meanwhile: {(a - b) / n * 1000:.3f} ms')" \
  "$double_before" "$double_after" "$runs"
machine_line
