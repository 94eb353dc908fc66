#!/usr/bin/env bash
# Runs every test: unit tests, WireMock fault tests and integration tests against real
# OpenBao, PostgreSQL and moto servers that the tests start on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
# pip puts bao and moto_server in the interpreter's scripts folder: make sure it is on PATH
if command -v python3 >/dev/null 2>&1; then
  PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
  export PATH
fi
scripts/install-test-servers.sh
# the sample's Prometheus alert rules: valid, and every alert pinned by a promtool unit test
promtool check rules samples/spring-boot-app/prometheus/alerts.yml
(cd samples/spring-boot-app/prometheus && promtool test rules alerts-test.yml)
mvn -B -ntp clean verify "$@"
