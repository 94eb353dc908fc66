#!/usr/bin/env bash
# Runs the quickstart sample: a rotating credential on the file provider, no server needed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v mvn >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq maven; else sudo apt-get update -qq && sudo apt-get install -y -qq maven; fi
fi
mvn -B -ntp -q -pl samples -am process-classes -Pquickstart
