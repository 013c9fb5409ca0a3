#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with libFuzzer (swiftc -sanitize=fuzzer,address).
#
#   scripts/fuzz.sh                    every target, 1,000,000 runs each (make fuzz)
#   scripts/fuzz.sh trigger http       only these targets
#   FUZZ_RUNS=20000 scripts/fuzz.sh
#
# Targets: schedule (the cron parser, scripts/fuzz/ScheduleFuzzEntry.swift), and trigger, config
# and http (scripts/fuzz/InputFuzzEntry.swift: the trigger decoder and check, the YAML
# configuration loader, the producer's request handling). Each seed corpus holds valid and
# malformed inputs; a crash leaves its input in the working directory and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${FUZZ_RUNS:-1000000}
work=${FUZZ_DIR:-.build/fuzz}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(schedule trigger config http)
mkdir -p "$work"

c_modules=(-I Sources/CCrypto -I Sources/CYAML -I Sources/CRdKafka -I Sources/CMicroHTTPD -I Sources/CSQLite -I Sources/CLibPQ)
libraries=(-L/usr/local/lib -Xlinker -rpath -Xlinker /usr/local/lib -lcrypto -lyaml -lrdkafka -lmicrohttpd -lsqlite3 -lpq)

build_schedule() {
  local sources=(
    Sources/Shared/Schedule/*.swift
    Sources/Shared/Support/Timestamp.swift
    Sources/Shared/Support/DurationText.swift
    Sources/Shared/Support/StableHash.swift
    scripts/fuzz/ScheduleFuzzEntry.swift
  )
  swiftc -parse-as-library -sanitize=fuzzer,address -O -module-name ScheduleFuzz \
    -I Sources/CCrypto -I Sources/CYAML -lcrypto -lyaml \
    "${sources[@]}" -o "$work/schedule-fuzzer"
}

# The input targets share one binary: all of Shared compiled as module Shared (so the worker's
# and producer's `import Shared` refer to it), plus the files of theirs that the entry calls.
build_input() {
  [ -x "$work/input-fuzzer" ] && [ -z "$(find Sources/Shared Sources/Worker/Dispatch/TriggerCheck.swift Sources/Worker/WorkerApp.swift \
    Sources/Producer/API scripts/fuzz/InputFuzzEntry.swift -newer "$work/input-fuzzer" -name '*.swift' | head -n 1)" ] && return
  local sources=(
    $(find Sources/Shared -name '*.swift' | sort)
    Sources/Worker/Dispatch/TriggerCheck.swift
    Sources/Worker/WorkerApp.swift
    Sources/Producer/API/AccessGate.swift
    Sources/Producer/API/Authenticator.swift
    Sources/Producer/API/CallerIdentity.swift
    scripts/fuzz/InputFuzzEntry.swift
  )
  swiftc -parse-as-library -sanitize=fuzzer,address -O -module-name Shared -suppress-warnings \
    "${c_modules[@]}" "${libraries[@]}" "${sources[@]}" -o "$work/input-fuzzer" 2>&1 \
    | { grep -v "Cannot export local symbol" || true; }
}

seed_schedule() {
  # One option byte followed by an expression.
  local seed=0
  for expression in "0 0 9 * * MON-FRI" "*/15 10-50/5 * L-3 JAN-DEC 5L" "0 0 0 LW * ? 2026-2030" \
    "0 30 2 ? * MON#2" "@weekly" "0 0 0 15W 2 *" "0 0 0 ? * 6L" "1,2,3 */7 22-2 1-31/2 * FRI-MON" \
    "0 61 * * * MON#6" "0 0 0 ? * ?"; do
    { printf "\\$(printf '%03o' $((seed * 37 % 256)))"; printf '%s' "$expression"; } > "$1/seed-$seed"
    seed=$((seed + 1))
  done
}

seed_trigger() {
  local seeds=(
    '{"v":1,"id":"t-1","job_id":"daily","app":"demo","kind":"workflow","scheduled_at":"2026-03-29T01:00:00Z","inputs":{"topic":"a"},"attempt":1}'
    '{"v":1,"id":"t-2","app":"open","kind":"chatflow","policy":{"query":"hi","timeout":"30s"},"source":"external"}'
    '{"v":1,"id":"t-3","type":"cancel","app":"demo","target_trigger_id":"t-1"}'
    '{"v":9,"id":"t-4","app":"demo"}' '[1,2]' '{"id":5}' '{"v":1,"id":"","app":"nope","attempt":0}'
    '{"v":1,"id":"t-5","app":"demo","kind":"completion","inputs":{"a":[[[[[]]]]]}}'
  )
  local index=0
  for seed in "${seeds[@]}"; do printf '%s' "$seed" > "$1/seed-$index"; index=$((index + 1)); done
}

seed_config() {
  cp examples/scheduler.yaml "$1/seed-scheduler"
  cp examples/jobs.yaml "$1/seed-jobs"
  printf 'auth:\n  open_on_loopback: true\n  tokens:\n    - {name: ci, role: developer, sha256: %s}\nproducer: {listen: "[::1]:0"}\n' \
    "$(printf 'x%.0s' {1..64} | tr x a)" > "$1/seed-auth"
  printf 'apps: {a: {base_url: "http://h/v1", api_key_env: K, limits: {burst: 0}}}\njobs:\n  - {id: j, app: a, schedule: {cron: "0 9 * * *", timezone: Asia/Shanghai}}\n' > "$1/seed-job"
  printf 'kafka: &k {partitions: 3}\nworker: *k\nlogging: {level: loud}\n' > "$1/seed-anchor"
}

seed_http() {
  # Method, path, query, Authorization header and body, separated by NUL bytes.
  printf 'POST\0v1/jobs\0\0Bearer fuzz-token-developer\0{"id":"j","app":"demo","schedule":{"every":"1h"}}' > "$1/seed-create"
  printf 'GET\0v1/jobs\0app=demo&label=team%%3Dops\0Bearer fuzz-token-operator\0' > "$1/seed-list"
  printf 'POST\0v1/jobs/j/backfill\0\0Bearer fuzz-token-developer\0{"from":"2026-01-01T00:00:00Z"}' > "$1/seed-backfill"
  printf 'DELETE\0v1/jobs/j/\0\0Basic abc\0' > "$1/seed-basic"
  printf 'HEAD\0healthz\0\0\0' > "$1/seed-health"
  printf 'PUT\0v1/jobs/j\0count=3\0Bearer fuzz-token-operator\0[[[[{"a":1}]]]]' > "$1/seed-put"
}

status=0
for target in "${targets[@]}"; do
  case "$target" in
    schedule) build_schedule; binary="$work/schedule-fuzzer"; max_len=96 ;;
    trigger | config | http) build_input; binary="$work/input-fuzzer"; max_len=4096 ;;
    *) echo "unknown fuzz target \"$target\": use schedule, trigger, config or http" >&2; exit 2 ;;
  esac
  corpus="$work/corpus-$target"
  mkdir -p "$corpus"
  "seed_$target" "$corpus"
  echo "== $target: $runs runs"
  start=$(date +%s)
  if ! FUZZ_TARGET=$target "$binary" -runs="$runs" -max_len=$max_len -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$work/crash-$target-" "$corpus" >"$work/$target.log" 2>&1; then
    status=1
    echo "!! $target failed; artifacts under $work/crash-$target-*" >&2
  fi
  tail -n 12 "$work/$target.log"
  echo "== $target: $(($(date +%s) - start)) s"
done
exit $status
