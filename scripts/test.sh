#!/usr/bin/env bash
# Installs what the tests need, builds every product and runs all test suites.
# Integration tests start their own Tansu broker, PostgreSQL cluster, test double and
# processes on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh test
swift build --build-tests
export DIFY_SCHEDULER_BIN_DIR
DIFY_SCHEDULER_BIN_DIR=$(swift build --show-bin-path)
export DIFY_SCHEDULER_TOOLS_DIR="$PWD/.tools"
export DIFY_SCHEDULER_TEST_OUTPUT="$PWD/test-output"
mkdir -p "$DIFY_SCHEDULER_TEST_OUTPUT"
# Suites run one at a time: integration suites start brokers, databases and processes of their
# own, and several suites check deadlines, which a 2-core machine shared by parallel suites
# misses. The unit suites run first, so a broken unit fails fast.
status=0
swift test --skip-build --no-parallel --filter 'SharedTests|WorkerTests|ProducerTests' || status=$?
swift test --skip-build --no-parallel --filter IntegrationTests || status=$?
exit "$status"
