#!/usr/bin/env bash
# The producer's benchmark figures, called by `make bench`:
#   - RSS per scheduled job at JOBS_MEMORY jobs (default 1,000,000);
#   - rebuild time from the topics for each count in REBUILD_JOBS (default 100000 1000000);
#   - trigger emission rate for EMIT_JOBS jobs due at one instant, next to librdkafka's raw
#     produce rate to the same broker.
# A Tansu broker with memory storage is started on a free 127.0.0.1 port and stopped at the end.
# Set SKIP_BUILD=1 to reuse .build/release, BINARY to measure another build.
set -euo pipefail
cd "$(dirname "$0")/../.."

JOBS_MEMORY=${JOBS_MEMORY:-1000000}
REBUILD_JOBS=${REBUILD_JOBS:-"100000 1000000"}
EMIT_JOBS=${EMIT_JOBS:-100000}
PARTITIONS=${PARTITIONS:-12}
TANSU=${TANSU:-.tools/bin/tansu}
[ -x "$TANSU" ] || TANSU=/work/main/.tools/bin/tansu

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product dify-producer >&2
fi
binary=${BINARY:-.build/release/dify-producer}

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$TANSU" broker --storage-engine memory://tansu/ --listener-url "tcp://127.0.0.1:$port" \
  --advertised-listener-url "tcp://127.0.0.1:$port" >"$work/tansu.log" 2>&1 &
tansu_pid=$!
trap 'kill "$tansu_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

cat >"$work/bench.yaml" <<YAML
kafka:
  bootstrap_servers: 127.0.0.1:$port
  partitions: $PARTITIONS
logging:
  level: warning
YAML

echo "# producer benchmark on $(nproc) cores, $(uname -sr), Tansu $("$TANSU" --version 2>/dev/null | head -1)"
echo "# command: scripts/bench/producer.sh (JOBS_MEMORY=$JOBS_MEMORY REBUILD_JOBS='$REBUILD_JOBS' EMIT_JOBS=$EMIT_JOBS PARTITIONS=$PARTITIONS)"
"$binary" bench-producer --config "$work/bench.yaml" --measure memory --jobs "$JOBS_MEMORY"
for jobs in $REBUILD_JOBS; do
  "$binary" bench-producer --config "$work/bench.yaml" --measure rebuild --jobs "$jobs"
done
"$binary" bench-producer --config "$work/bench.yaml" --measure emit --jobs "$EMIT_JOBS"
