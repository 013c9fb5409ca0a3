# Shared helpers for the benchmark scripts: free ports, a Tansu broker and cleanup.
# Source it; it sets $bin (release binaries) and $bench_dir (logs and data of this run).

set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
(cd "$root" && swift build -c release >/dev/null)
bin=$(cd "$root" && swift build -c release --show-bin-path)
bench_dir="$root/bench-output/$(basename "$0" .sh)"
rm -rf "$bench_dir"
mkdir -p "$bench_dir"

bench_pids=()
bench_cleanup() {
  for (( index=${#bench_pids[@]}-1; index>=0; index-- )); do
    kill -TERM "${bench_pids[index]}" 2>/dev/null || true
    wait "${bench_pids[index]}" 2>/dev/null || true
  done
}
trap bench_cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() {
  for _ in $(seq 1 200); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "port $1 did not open" >&2
  return 1
}

# Starts a Tansu broker with memory storage; sets $kafka_port.
start_broker() {
  kafka_port=$(free_port)
  "$root/.tools/bin/tansu" broker --listener-url "tcp://127.0.0.1:$kafka_port" \
    --advertised-listener-url "tcp://127.0.0.1:$kafka_port" --storage-engine memory://tansu/ \
    >"$bench_dir/tansu.log" 2>&1 &
  bench_pids+=($!)
  wait_for_port "$kafka_port"
}

# Starts the Dify test double; sets $double_port and $double_key.
start_double() {
  double_port=$(free_port)
  double_key="app-bench-$RANDOM$RANDOM"
  "$bin/dify-double" --listen "127.0.0.1:$double_port" --api-key "$double_key" "$@" >"$bench_dir/double.log" 2>&1 &
  bench_pids+=($!)
  wait_for_port "$double_port"
}

machine_line() {
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(swift --version 2>&1 | head -n 1)"
}
