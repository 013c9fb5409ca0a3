#!/usr/bin/env bash
# Worker benchmarks against the Dify test double, each next to its physical limit:
#   1. runs per second in streaming mode on a backlog, next to wrk's request rate against the
#      same double in the same run;
#   2. memory per in-flight slow run with 10,000 runs in flight;
#   3. head-of-line blocking: app B's queue delay with app A throttled to 1 run/s on the same
#      partition, next to B alone;
#   4. token-bucket accuracy: runs started in 60 s at 5 requests per second.
#
#   scripts/bench/worker.sh [BACKLOG] [IN_FLIGHT]     (defaults: 20000 runs, 10000 in flight)
#   PARTS=3 scripts/bench/worker.sh                   only the parts listed, such as 3 or 14
source "$(dirname "$0")/common.sh"
backlog=${1:-20000}
in_flight=${2:-10000}
parts=${PARTS:-1234}
part() { [[ "$parts" == *"$1"* ]]; }

start_broker
# The wrk script sends the key app-bench; the double accepts it besides its own.
start_double --threads 2 --ping-interval 10s --api-key app-bench
export BENCH_KEY=$double_key

# Writes a configuration with apps fast, bulk, slow and paced into $1; partitions: one, so every app
# shares a partition.
write_config() {
  cat >"$1" <<YAML
kafka:
  bootstrap_servers: 127.0.0.1:$kafka_port
  topic_prefix: "$2"
  partitions: 1
  settings: {session.timeout.ms: "6000", heartbeat.interval.ms: "500", fetch.wait.max.ms: "10"}
apps:
  fast: {base_url: "http://127.0.0.1:$double_port/v1", api_key_env: BENCH_KEY, mode: workflow}
  bulk: {base_url: "http://127.0.0.1:$double_port/v1", api_key_env: BENCH_KEY, mode: workflow, limits: {max_concurrency: 64}}
  slow: {base_url: "http://127.0.0.1:$double_port/v1", api_key_env: BENCH_KEY, mode: workflow, limits: {requests_per_second: 1, burst: 1}}
  paced: {base_url: "http://127.0.0.1:$double_port/v1", api_key_env: BENCH_KEY, mode: workflow, limits: {requests_per_second: 5, burst: 1}}
worker:
  listen: 127.0.0.1:$3
  shutdown_grace: 5s
  max_held_per_partition: 30000
  max_concurrency_per_dify: 20000
logging: {level: notice}
# The script reads /metrics without a token.
auth: {open_on_loopback: true}
YAML
}

# Starts a worker on configuration $1 and waits for its partition; sets $worker_pid.
start_worker() {
  "$bin/dify-worker" run --config "$1" --id "bench-$2" >"$bench_dir/worker-$2.log" 2>&1 &
  worker_pid=$!
  bench_pids+=($worker_pid)
  for _ in $(seq 1 300); do
    grep -q "partition assigned" "$bench_dir/worker-$2.log" && return 0
    sleep 0.1
  done
  echo "worker $2 got no partition" >&2
  return 1
}

stop_worker() {
  kill -TERM "$worker_pid" 2>/dev/null || true
  wait "$worker_pid" 2>/dev/null || true
}

results_of() { # config, output file; waits until $3 results are in the topic
  local deadline=$(( $(date +%s) + ${4:-300} ))
  while :; do
    timeout 20 "$bin/dify-producer" tail results --config "$1" --from-beginning --json >"$2" 2>/dev/null || true
    [ "$(wc -l <"$2")" -ge "$3" ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && { echo "only $(wc -l <"$2") of $3 results" >&2; return 0; }
    sleep 2
  done
}

# CPU time of process $1 in seconds (user + system), from /proc/<pid>/stat.
cpu_seconds() {
  awk -v tick="$(getconf CLK_TCK)" '{print ($14 + $15) / tick}' "/proc/$1/stat"
}

# Waits until the worker's metrics count $2 finished runs (at most $3 seconds), so no reader
# of the results topic competes with the worker for the CPU while it works.
runs_finished() {
  local deadline=$(( $(date +%s) + $3 ))
  while :; do
    local done_count
    done_count=$(curl -s "http://127.0.0.1:$1/metrics" | awk '/^dify_worker_runs_total/{sum+=$2} END{print sum+0}')
    [ "$done_count" -ge "$2" ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && { echo "only $done_count of $2 runs finished" >&2; return 0; }
    sleep 0.5
  done
}

if part 1; then
echo "### 1. runs per second, streaming, backlog of $backlog runs"
wrk_out=$(wrk -t2 -c64 -d10s -s "$root/scripts/bench/dify-double-run.lua" "http://127.0.0.1:$double_port/v1/workflows/run" 2>&1 || true)
echo "wrk against the same double: $(echo "$wrk_out" | awk '/Requests\/sec/{print $2}') runs/s (-t2 -c64, streaming)"
metrics_port=$(free_port)
write_config "$bench_dir/throughput.yaml" "throughput." "$metrics_port"
"$bin/dify-producer" topics create --config "$bench_dir/throughput.yaml" >/dev/null
# 64 runs in flight, as wrk's 64 connections.
"$bin/dify-producer" bench-triggers --config "$bench_dir/throughput.yaml" --app bulk --count "$backlog" >/dev/null
broker_pid=${bench_pids[0]}
double_pid=${bench_pids[1]}
broker_before=$(cpu_seconds "$broker_pid")
double_before=$(cpu_seconds "$double_pid")
start_worker "$bench_dir/throughput.yaml" throughput
runs_finished "$metrics_port" "$backlog" 600
worker_cpu=$(cpu_seconds "$worker_pid")
broker_cpu=$(python3 -c "import sys; print(float(sys.argv[1]) - float(sys.argv[2]))" "$(cpu_seconds "$broker_pid")" "$broker_before")
double_cpu=$(python3 -c "import sys; print(float(sys.argv[1]) - float(sys.argv[2]))" "$(cpu_seconds "$double_pid")" "$double_before")
results_of "$bench_dir/throughput.yaml" "$bench_dir/throughput.jsonl" "$backlog"
stop_worker
python3 -c "
import sys
runs, worker, double, broker = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f'CPU while the worker ran (worker from its start): worker {worker:.1f} s, test double {double:.1f} s, Tansu {broker:.1f} s')
print(f'per run: worker {worker / runs * 1000:.2f} ms, test double {double / runs * 1000:.2f} ms, Tansu {broker / runs * 1000:.2f} ms of CPU')
" "$backlog" "$worker_cpu" "$double_cpu" "$broker_cpu"
python3 - "$bench_dir/throughput.jsonl" <<'PY'
import json, sys, datetime
def t(text): return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
ok = sum(1 for r in rows if r["status"] == "succeeded")
span = max(t(r["finished_at"]) for r in rows) - min(t(r["started_at"]) for r in rows)
print(f"worker: {len(rows)} results ({ok} succeeded) in {span:.2f} s: {len(rows) / span:.0f} runs/s")
PY
fi

if part 2; then
echo
echo "### 2. memory per in-flight slow run, $in_flight in flight"
metrics_port=$(free_port)
write_config "$bench_dir/memory.yaml" "memory." "$metrics_port"
"$bin/dify-producer" topics create --config "$bench_dir/memory.yaml" >/dev/null
start_worker "$bench_dir/memory.yaml" memory
sleep 2
idle_kb=$(awk '/VmRSS/{print $2}' "/proc/$worker_pid/status")
"$bin/dify-producer" bench-triggers --config "$bench_dir/memory.yaml" --app fast --count "$in_flight" \
  --inputs '{"topic": "slow", "mode": "plain", "sleep": 90}' >/dev/null
peak_flight=0
for _ in $(seq 1 120); do
  flight=$(curl -s "http://127.0.0.1:$metrics_port/metrics" | awk '/^dify_worker_runs_in_flight/{sum+=$2} END{print sum+0}')
  [ "$flight" -gt "$peak_flight" ] && peak_flight=$flight
  [ "$flight" -ge "$in_flight" ] && break
  sleep 0.5
done
sleep 3
busy_kb=$(awk '/VmRSS/{print $2}' "/proc/$worker_pid/status")
python3 -c "import sys; idle, busy, n = map(int, sys.argv[1:]); print(f'worker RSS idle {idle/1024:.1f} MiB, with {n} runs in flight {busy/1024:.1f} MiB: {(busy-idle)*1024/max(n,1)/1024:.1f} KiB per run')" \
  "$idle_kb" "$busy_kb" "$peak_flight"
double_kb=$(awk '/VmRSS/{print $2}' "/proc/$(pgrep -f "dify-double --listen 127.0.0.1:$double_port" | head -n 1)/status")
echo "test double RSS with the same streams open: $((double_kb / 1024)) MiB"
kill -KILL "$worker_pid" 2>/dev/null || true
curl -s -X POST "http://127.0.0.1:$double_port/_double/reset" >/dev/null || true
fi

if part 3; then
echo
echo "### 3. head-of-line blocking: fast app's queue delay, alone and next to a throttled app"
for scenario in alone mixed; do
  metrics_port=$(free_port)
  write_config "$bench_dir/hol-$scenario.yaml" "hol$scenario." "$metrics_port"
  "$bin/dify-producer" topics create --config "$bench_dir/hol-$scenario.yaml" >/dev/null
  start_worker "$bench_dir/hol-$scenario.yaml" "hol-$scenario"
  if [ "$scenario" = mixed ]; then
    "$bin/dify-producer" bench-triggers --config "$bench_dir/hol-$scenario.yaml" --app slow --count 300 >/dev/null
  fi
  "$bin/dify-producer" bench-triggers --config "$bench_dir/hol-$scenario.yaml" --app fast --count 400 --rate 40 >/dev/null
  expected=400
  [ "$scenario" = mixed ] && expected=$(( 400 + 10 ))
  results_of "$bench_dir/hol-$scenario.yaml" "$bench_dir/hol-$scenario.jsonl" "$expected" 60
  stop_worker
done
python3 - "$bench_dir" <<'PY'
import json, sys, datetime
def t(text): return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
def delays(name):
    rows = [json.loads(line) for line in open(f"{sys.argv[1]}/hol-{name}.jsonl") if line.strip()]
    values = sorted((t(r["started_at"]) - t(r["scheduled_at"])) * 1000 for r in rows if r["app"] == "fast" and r.get("started_at"))
    slow = sum(1 for r in rows if r["app"] == "slow")
    pct = lambda p: values[min(len(values) - 1, int(len(values) * p + 0.999999) - 1)]
    return values, pct, slow
alone, alone_pct, _ = delays("alone")
mixed, mixed_pct, slow = delays("mixed")
print(f"fast app alone: {len(alone)} runs, queue delay p50 {alone_pct(0.5):.1f} ms, p99 {alone_pct(0.99):.1f} ms")
print(f"fast app next to 300 queued runs of an app at 1 run/s ({slow} of them ran meanwhile): p50 {mixed_pct(0.5):.1f} ms, p99 {mixed_pct(0.99):.1f} ms")
PY
fi

if part 4; then
echo
echo "### 4. token-bucket accuracy over 60 s at 5 requests per second (burst 1)"
metrics_port=$(free_port)
write_config "$bench_dir/bucket.yaml" "bucket." "$metrics_port"
"$bin/dify-producer" topics create --config "$bench_dir/bucket.yaml" >/dev/null
"$bin/dify-producer" bench-triggers --config "$bench_dir/bucket.yaml" --app paced --count 400 >/dev/null
start_worker "$bench_dir/bucket.yaml" bucket
sleep 66
results_of "$bench_dir/bucket.yaml" "$bench_dir/bucket.jsonl" 300 30
stop_worker
python3 - "$bench_dir/bucket.jsonl" <<'PY'
import json, sys, datetime
def t(text): return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
starts = sorted(t(json.loads(line)["started_at"]) for line in open(sys.argv[1]) if line.strip())
first = starts[0]
in_window = sum(1 for s in starts if s - first < 60)
expected = 5 * 60 + 1
print(f"runs started in the first 60 s: {in_window}; a perfect bucket allows {expected} (burst 1 + 5/s): {in_window / expected * 100:.2f} %")
PY
fi
machine_line
