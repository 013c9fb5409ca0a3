#!/usr/bin/env bash
# Benchmarks the schedule engine: ns per next-fire call for simple and complex schedules, and
# the time to compute the next fire of 1,000,000 jobs. Builds the producer in release mode.
#
#   scripts/bench/schedule.sh            1,000,000 jobs
#   scripts/bench/schedule.sh 100000     fewer jobs
set -euo pipefail
cd "$(dirname "$0")/../.."

jobs=${1:-1000000}
swift build -c release --product dify-producer >/dev/null
binary="$(swift build -c release --show-bin-path)/dify-producer"
echo "machine: $(nproc) cores, $(awk '/model name/{sub(/.*: /,""); print; exit}' /proc/cpuinfo)"
"$binary" bench-schedule --jobs "$jobs"
