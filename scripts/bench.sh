#!/usr/bin/env bash
# `make bench`: builds release binaries and runs every benchmark in scripts/bench/, printing each
# figure next to the physical limit measured in the same run. Output is also kept in
# bench-output/summary.txt; BENCHMARKS.md records the figures with the machine and command.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh test
swift build -c release >/dev/null
mkdir -p bench-output
{
  echo "# make bench, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for script in scripts/bench/*.sh; do
    [ "$(basename "$script")" = common.sh ] && continue
    echo
    echo "## $(basename "$script" .sh)"
    bash "$script"
  done
} 2>&1 | tee bench-output/summary.txt
