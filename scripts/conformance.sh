#!/usr/bin/env bash
# Conformance fuzzing: schemathesis against a live daemon, with the document
# the daemon itself serves at /openapi.json. See docs/conformance.md.
#   scripts/conformance.sh            (needs python3 with schemathesis 4.x; .ci/run installs it)
#   MAX_EXAMPLES=1000 SEED=1 scripts/conformance.sh
# Starts a throwaway private PostgreSQL cluster, builds (as `cargo test` does) and starts the debug
# daemon with a temporary config folder, saves the credentials, waits for
# /health 200, runs schemathesis, then stops everything and removes its temp
# files (also on failure or Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'conformance: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib/pg.sh
. scripts/lib/pg.sh

MAX_EXAMPLES=${MAX_EXAMPLES:-100}
SEED=${SEED:-$RANDOM}
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
# Not fuzzed, see docs/conformance.md: a valid random body would repoint the
# daemon at a random host (save) or make it connect to one (test).
EXCLUDED='^/api/v1/settings/(save|test)-connection$'
# POST /api/v1/shutdown does what it says: called by the fuzzer it would stop
# the daemon under test. It is tested by tests/api/stop.rs instead.
STOPS=/api/v1/shutdown

command -v curl >/dev/null || die "curl is needed"
# Run as a module: pip may put the `schemathesis` entry point off PATH. Run
# in the work folder: schemathesis keeps a `.schemathesis/` cache in its cwd.
schemathesis() { (cd "${WORK:-.}" && python3 -m schemathesis.cli "$@"); }
schemathesis --version >/dev/null 2>&1 \
  || die "schemathesis is needed: python3 -m pip install 'schemathesis==4.32.5'"
pg_bin initdb >/dev/null
TARGET_DIR=${CARGO_TARGET_DIR:-target}
WORK=$(mktemp -d /tmp/taskflowd-conformance-XXXXXX)
chmod 755 "$WORK"
DAEMON_PID=
cleanup() {
  set +e
  [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  pg_stop "$WORK"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PG_PORT=$(free_port); API_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
PASSWORD="conf-$RANDOM$RANDOM"
mkdir -p "$WORK/cfg"

say "Private PostgreSQL cluster on 127.0.0.1:$PG_PORT"
pg_start "$WORK" "$PG_PORT" "admin-$RANDOM$RANDOM"
pg_psql "$WORK" "$PG_PORT" \
  -c "CREATE ROLE team_lead LOGIN PASSWORD '$PASSWORD'" \
  -c "CREATE DATABASE taskflow OWNER team_lead" >/dev/null

say "Building and starting the debug daemon on $API"
# `cargo test --no-run`, not `cargo build`: the test build's binary (the same
# one the integration tests run) is reused, so CI compiles the tree once; a
# plain `cargo build` resolves features without the dev-dependencies and
# would compile much of the tree a second time.
cargo test --workspace --no-run --quiet
TASKFLOW_PORT=$API_PORT TASKFLOW_CONFIG_DIR="$WORK/cfg" TASKFLOW_LOG=warn \
  "$TARGET_DIR/debug/taskflowd" 2>"$WORK/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$API/health" && break; sleep 0.1; done

say "Saving the credentials, waiting for /health 200"
CREDS="{\"host\":\"127.0.0.1\",\"port\":$PG_PORT,\"database\":\"taskflow\",\"username\":\"team_lead\",\"password\":\"$PASSWORD\"}"
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "$CREDS" \
  "$API/api/v1/settings/save-connection" || die "save-connection failed"
healthy=
for _ in $(seq 1 150); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/health")" = 200 ]; then healthy=1; break; fi
  sleep 0.2
done
[ -n "$healthy" ] || { cat "$WORK/daemon.log" >&2; die "the daemon did not become healthy"; }

say "schemathesis $(schemathesis --version | awk '{print $NF}'): $MAX_EXAMPLES examples per operation, seed $SEED"
status=0
schemathesis run "$API/openapi.json" \
  --checks "$CHECKS" \
  --exclude-path-regex "$EXCLUDED" \
  --exclude-path "$STOPS" \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 1 \
  --request-timeout 10 \
  --report junit --report-dir "$WORK/report" \
  || status=$?
say "schemathesis, negative mode only, on ${EXCLUDED}: every invalid body is refused"
schemathesis run "$API/openapi.json" \
  --checks "$CHECKS,negative_data_rejection" \
  --include-path-regex "$EXCLUDED" \
  --mode negative \
  --phases coverage,fuzzing \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 1 \
  --request-timeout 10 \
  --report junit --report-dir "$WORK/report" \
  || status=$?
if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
  cat "$WORK/daemon.log" >&2
  die "the daemon died during the run"
fi
[ "$status" = 0 ] || { tail -n 50 "$WORK/daemon.log" >&2; die "schemathesis found failures (seed $SEED)"; }
say "conformance OK"
