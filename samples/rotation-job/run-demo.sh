#!/usr/bin/env bash
# Builds the rotation job and runs a whole rotation on this machine, no secrets manager needed:
# the demo key service (a stand-in for a provider's key API), a file store, a consumer calling the
# service while the key changes, and the job: init, report, dry run, rotate (run after run until the
# grace window is over and the old key is revoked), report again.
#
#   samples/rotation-job/run-demo.sh            # from anywhere; needs a JDK 17+ and Maven
#   DEMO_PORT=9000 samples/rotation-job/run-demo.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${DEMO_PORT:-8787}"
work="$(mktemp -d "${TMPDIR:-/tmp}/rotation-demo.XXXXXX")"
jar="$here/target/rotation-job.jar"

echo "== building the rotation job"
mvn -B -q -ntp -f "$root/pom.xml" -pl samples/rotation-job -am package -DskipTests -Djacoco.skip=true

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting the demo key service on 127.0.0.1:$port"
java -cp "$jar" io.github.rotate4j.samples.rotationjob.demo.DemoKeyServiceCommand --port "$port" >"$work/service.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "listening" "$work/service.log" && break; sleep 0.1; done
grep -q "listening" "$work/service.log" || { cat "$work/service.log"; exit 1; }

cat >"$work/inventory.yaml" <<YAML
overdueAfter: 1d
secrets:
  - name: demo-api-key
    description: API key of the demo provider
    owner: you
    consumers: [demo-consumer]
    rotationFrequency: 30d
    gracePeriod: 8s        # short for the demo; hours or days in real life
    unusedFor: 3s          # the old key must be unseen this long before it is revoked
    distributionDelay: 2s  # consumers pick the new key up as pending first
    store: {type: file, path: state/demo-api-key.json}
    issuer: {type: demo, url: "http://127.0.0.1:$port", account: demo}
YAML

job() {
  echo
  echo "\$ rotation-job $*"
  set +e
  java -jar "$jar" -i "$work/inventory.yaml" "$@"
  code=$?
  set -e
  echo "(exit code $code)"
}

job init demo-api-key

echo
echo "== starting a consumer that calls the service with the stored key, every 100 ms"
java -cp "$jar" io.github.rotate4j.samples.rotationjob.demo.DemoConsumerCommand \
  --store "$work/state/demo-api-key.json" --service "http://127.0.0.1:$port" --refresh PT0.5S >"$work/consumer.log" 2>&1 &
consumer=$!
pids+=($consumer)
for _ in $(seq 1 100); do grep -q "calling" "$work/consumer.log" && break; sleep 0.1; done

job report
job rotate --due --dry-run
job rotate demo-api-key --dry-run
job rotate demo-api-key          # GENERATE, STAGE: waits for the distribution delay
sleep 2.5
job rotate demo-api-key          # VERIFY, PROMOTE: new key current, old key in its grace window
job report
sleep 8.5
job rotate --due                 # grace over, old key unused: revoked
job report --json

echo
echo "== keys at the demo service (no secrets shown)"
if command -v curl >/dev/null; then curl -s "http://127.0.0.1:$port/v1/keys?name=demo"; echo; fi

kill "$consumer"
wait "$consumer" 2>/dev/null || true
echo
echo "== the consumer's log"
cat "$work/consumer.log"
