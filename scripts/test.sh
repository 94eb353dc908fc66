#!/usr/bin/env bash
# Runs every test: unit tests, WireMock fault tests and integration tests against real
# OpenBao, PostgreSQL and moto servers that the tests start on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-servers.sh
mvn -B -ntp clean verify "$@"
