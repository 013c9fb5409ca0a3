#!/usr/bin/env bash
# `make run`: the main job on this machine. Starts a local Tansu broker (memory storage), creates
# the topics, starts the Dify test double unless DIFY_BASE_URL and DIFY_API_KEY point at a real
# Dify, then runs dify-worker and dify-producer with the example files and prints every result
# as it arrives. Ctrl-C stops everything, producer first.
set -euo pipefail
cd "$(dirname "$0")/.."

run_dir="$PWD/run"
mkdir -p "$run_dir"
config_files=(examples/scheduler.yaml examples/jobs.yaml)

echo "building (release)…"
swift build -c release --product dify-producer >/dev/null
swift build -c release --product dify-worker >/dev/null
swift build -c release --product dify-double >/dev/null
bin=$(swift build -c release --show-bin-path)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Every child runs in a session of its own (setsid), so the terminal's Ctrl-C reaches only
# this script, which then stops the children in order.
pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping…"
  # Reverse start order: producer, worker, test double, broker.
  for (( index=${#pids[@]}-1; index>=0; index-- )); do
    kill -TERM "${pids[index]}" 2>/dev/null || true
    wait "${pids[index]}" 2>/dev/null || true
  done
  echo "stopped; logs are in $run_dir"
}
# Ctrl-C or SIGTERM is the way to stop: after an orderly stop the script succeeds, so make does
# not report "Error 130". Any other exit stops the children and keeps the script's status.
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

kafka_port=$(free_port)
setsid .tools/bin/tansu broker \
  --listener-url "tcp://127.0.0.1:$kafka_port" \
  --advertised-listener-url "tcp://127.0.0.1:$kafka_port" \
  --storage-engine memory://tansu/ >"$run_dir/tansu.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  (echo >"/dev/tcp/127.0.0.1/$kafka_port") 2>/dev/null && break
  sleep 0.1
done
export DIFY_SCHEDULER__KAFKA__BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port"
export DIFY_SCHEDULER__PRODUCER__LISTEN="127.0.0.1:$(free_port)"
export DIFY_SCHEDULER__WORKER__LISTEN="127.0.0.1:$(free_port)"
export DIFY_SCHEDULER__PRODUCER__STORE="sqlite:$run_dir/records.db"

if [ -n "${DIFY_BASE_URL:-}" ] && [ -n "${DIFY_API_KEY:-}" ]; then
  echo "using the Dify at $DIFY_BASE_URL"
  export DIFY_SCHEDULER__APPS__DEMO__BASE_URL="$DIFY_BASE_URL"
else
  double_port=$(free_port)
  DIFY_API_KEY="app-demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export DIFY_API_KEY
  setsid "$bin/dify-double" --listen "127.0.0.1:$double_port" --api-key "$DIFY_API_KEY" >"$run_dir/dify-double.log" 2>&1 &
  pids+=($!)
  export DIFY_SCHEDULER__APPS__DEMO__BASE_URL="http://127.0.0.1:$double_port/v1"
  echo "no DIFY_BASE_URL and DIFY_API_KEY given: using the Dify test double at http://127.0.0.1:$double_port/v1"
fi

config_arguments=()
for file in "${config_files[@]}"; do config_arguments+=(--config "$file"); done

"$bin/dify-producer" topics create "${config_arguments[@]}"

setsid "$bin/dify-worker" run "${config_arguments[@]}" >"$run_dir/worker.log" 2>&1 &
pids+=($!)
setsid "$bin/dify-producer" run "${config_arguments[@]}" >"$run_dir/producer.log" 2>&1 &
pids+=($!)

cat <<EOF

dify-scheduler is running.
  broker:       127.0.0.1:$kafka_port (topics dify.*)
  producer:     http://$DIFY_SCHEDULER__PRODUCER__LISTEN (API, /metrics)   log: run/producer.log
  worker:       http://$DIFY_SCHEDULER__WORKER__LISTEN/metrics              log: run/worker.log
  results:      topic dify.results, printed below as they arrive
                (elsewhere: $bin/dify-producer tail results ${config_arguments[*]})
Press Ctrl-C to stop.

EOF
setsid "$bin/dify-producer" tail results "${config_arguments[@]}" 2>"$run_dir/tail.log" &
pids+=($!)
wait "${pids[-1]}"
