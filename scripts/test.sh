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
# Unit suites run in parallel. Integration suites start brokers, databases and processes of
# their own and measure timing, so they run one at a time on a 2-core machine.
swift test --skip-build --filter 'SharedTests|WorkerTests|ProducerTests'
swift test --skip-build --no-parallel --filter IntegrationTests
