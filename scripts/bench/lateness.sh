#!/usr/bin/env bash
# End-to-end lateness: scheduled instant to the Dify request arriving at the test double, over
# JOBS jobs firing every second for SECONDS seconds, next to the broker's raw produce-consume
# round trip measured in the same run.
#
#   scripts/bench/lateness.sh [JOBS] [SECONDS]     (defaults: 50 jobs, 30 s: 1,500 fires)
source "$(dirname "$0")/common.sh"
jobs=${1:-50}
seconds=${2:-30}

start_broker
start_double
config="$bench_dir/config.yaml"
# The raw broker figures come first, so the scheduled fires start once the processes are up.
cat >"$bench_dir/raw.yaml" <<YAML
kafka: {bootstrap_servers: "127.0.0.1:$kafka_port", partitions: 4}
YAML
"$bin/dify-producer" bench-kafka --config "$bench_dir/raw.yaml" --messages 100000 --round-trips 2000 >"$bench_dir/raw.txt"

start_epoch=$(( $(date +%s) + 12 ))
start=$(date -u -d "@$start_epoch" +%Y-%m-%dT%H:%M:%SZ)
end=$(date -u -d "@$(( start_epoch + seconds - 1 ))" +%Y-%m-%dT%H:%M:%SZ)
{
  cat <<YAML
kafka:
  bootstrap_servers: 127.0.0.1:$kafka_port
  partitions: 4
  settings: {session.timeout.ms: "6000", heartbeat.interval.ms: "500", fetch.wait.max.ms: "10", linger.ms: "0"}
apps:
  bench:
    base_url: http://127.0.0.1:$double_port/v1
    api_key_env: BENCH_KEY
    mode: workflow
producer: {listen: 127.0.0.1:0}
worker: {listen: 127.0.0.1:0, shutdown_grace: 10s}
logging: {level: notice}
jobs:
YAML
  for index in $(seq 1 "$jobs"); do
    printf '  - {id: bench-%d, app: bench, schedule: {every: 1s, start: "%s", end: "%s"}, inputs: {topic: t%d, mode: plain}}\n' \
      "$index" "$start" "$end" "$index"
  done
} >"$config"
export BENCH_KEY=$double_key

"$bin/dify-producer" topics create --config "$config" >/dev/null
"$bin/dify-worker" run --config "$config" --id bench-worker >"$bench_dir/worker.log" 2>&1 &
bench_pids+=($!)
"$bin/dify-producer" run --config "$config" >"$bench_dir/producer.log" 2>&1 &
bench_pids+=($!)
for _ in $(seq 1 200); do
  grep -q "partition assigned" "$bench_dir/worker.log" && break
  sleep 0.1
done

sleep $(( start_epoch - $(date +%s) + seconds + 5 ))
curl -s "http://127.0.0.1:$double_port/_double/requests" >"$bench_dir/requests.json"
timeout 15 "$bin/dify-producer" tail results --config "$config" --from-beginning --json >"$bench_dir/results.jsonl" 2>/dev/null || true

python3 - "$bench_dir" "$jobs" "$seconds" <<'PY'
import json, sys, datetime
directory, jobs, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
results = [json.loads(line) for line in open(f"{directory}/results.jsonl") if line.strip()]
scheduled = {r["trigger_id"]: instant(r["scheduled_at"]) for r in results if r.get("scheduled_at")}
statuses = {}
for r in results:
    statuses[r["status"]] = statuses.get(r["status"], 0) + 1
try:
    requests = json.load(open(f"{directory}/requests.json"))
    requests = requests.get("requests", requests) if isinstance(requests, dict) else requests
except Exception:
    requests = []
late = []
for request in requests:
    trace = request.get("trace_id") or request.get("traceId")
    received = request.get("received_at") or request.get("time")
    if trace in scheduled and received:
        received = received / 1000 if isinstance(received, (int, float)) and received > 1e11 else (instant(received) if isinstance(received, str) else received)
        late.append((received - scheduled[trace]) * 1000)
source = "request received by the test double"
if not late:
    source = "started_at in results (worker about to call Dify)"
    late = [(instant(r["started_at"]) - instant(r["scheduled_at"])) * 1000 for r in results if r.get("started_at") and r.get("scheduled_at")]
def summary(values):
    values = sorted(values)
    def pct(p):
        return values[min(len(values) - 1, max(0, int(len(values) * p + 0.999999) - 1))]
    return f"p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {values[-1]:.1f} ms"
print(f"fires expected: {jobs * seconds}, results: {len(results)} {statuses}")
print(f"lateness ({source}) over {len(late)} fires: {summary(late)}")
emitted = [(instant(r["emitted_at"]) - instant(r["scheduled_at"])) * 1000 for r in results if r.get("emitted_at") and r.get("scheduled_at")]
started = [(instant(r["started_at"]) - instant(r["emitted_at"])) * 1000 for r in results if r.get("emitted_at") and r.get("started_at")]
print(f"  of which scheduled -> trigger emitted: {summary(emitted)}")
print(f"  of which trigger emitted -> worker starts the run: {summary(started)}")
PY
cat "$bench_dir/raw.txt"
machine_line
