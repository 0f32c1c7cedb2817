#!/usr/bin/env bash
# See taskflowd's main job in one command, on a fresh machine:
#   scripts/try-it.sh
# It starts a throwaway private PostgreSQL cluster (as the test harness does),
# builds and starts the daemon with a temporary config folder, shows /health
# answering 503 "not configured", saves the credentials through the API, shows
# /health turning 200 and settings/status saying "ready", creates and lists a
# member, creates a task assigned to them with a sub-task and a daily update
# and shows the task page and the dashboard list, then stops everything it started and removes its temp files (also
# on Ctrl-C). Every HTTP exchange is printed; the password never is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'try-it: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/lib/pg.sh
. scripts/lib/pg.sh

command -v curl >/dev/null || die "curl is needed"
pg_bin initdb >/dev/null
WORK=$(mktemp -d /tmp/taskflowd-try-XXXXXX)
chmod 755 "$WORK"
DAEMON_PID=
cleanup() {
  set +e
  [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  pg_stop "$WORK"
  rm -rf "$WORK"
  echo "try-it: stopped everything and removed $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PG_PORT=$(free_port); API_PORT=$(free_port)
ADMIN_PW="admin-$RANDOM$RANDOM"
PASSWORD="try it p@ss:$RANDOM$RANDOM"   # spaces and URL-reserved characters on purpose
mkdir -p "$WORK/cfg"

say "Starting a private PostgreSQL cluster on 127.0.0.1:$PG_PORT (scram-sha-256)"
pg_start "$WORK" "$PG_PORT" "$ADMIN_PW"
pg_psql "$WORK" "$PG_PORT" \
  -c "CREATE ROLE team_lead LOGIN PASSWORD '${PASSWORD//\'/\'\'}'" \
  -c "CREATE DATABASE taskflow OWNER team_lead" >/dev/null
echo "database taskflow, role team_lead (password kept out of this output)"

say "Building taskflowd (release)"
cargo build --release --bin taskflowd

say "Starting taskflowd on 127.0.0.1:$API_PORT with config folder $WORK/cfg"
TASKFLOW_PORT=$API_PORT TASKFLOW_CONFIG_DIR="$WORK/cfg" TASKFLOW_LOG=warn \
  ./target/release/taskflowd &
DAEMON_PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$API_PORT/health" && break; sleep 0.1; done

# Prints the request (with the password masked) and the response.
call() {
  local method=$1 path=$2 body=${3:-}
  local shown=${body//"$PASSWORD"/********}
  printf '\n> %s %s %s\n' "$method" "$path" "$shown"
  if [ -n "$body" ]; then
    curl -s -w '\n< HTTP %{http_code}\n' -X "$method" -H 'Content-Type: application/json' \
      --data-binary "$body" "http://127.0.0.1:$API_PORT$path"
  else
    curl -s -w '\n< HTTP %{http_code}\n' -X "$method" "http://127.0.0.1:$API_PORT$path"
  fi
}
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

say "Before any settings: /health says the connection is not configured"
call GET /health

say "Testing, then saving the connection through the Settings API"
CREDS="{\"host\":\"127.0.0.1\",\"port\":$PG_PORT,\"database\":\"taskflow\",\"username\":\"team_lead\",\"password\":$(json_str "$PASSWORD")}"
call POST /api/v1/settings/test-connection "$CREDS"
call POST /api/v1/settings/save-connection "$CREDS"

say "The daemon connects, migrates and turns healthy by itself"
for _ in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/health")" = 200 ] && break
  sleep 0.1
done
call GET /health
call GET /api/v1/settings/status
call GET /api/v1/settings/connection

say "Creating and listing a member"
MEMBER=$(call POST /api/v1/members '{"name":"Ada Lovelace","email":"ada@example.com"}' | tee /dev/stderr)
call GET /api/v1/members
ADA=$(printf '%s' "$MEMBER" | sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' | head -n 1)

say "A task for Ada, with a sub-task and a daily update"
TASK=$(call POST /api/v1/tasks "{\"title\":\"Service the pump\",\"status\":\"In Progress\",\"priority\":\"High\",\"assignee_id\":\"$ADA\",\"gear_id\":\"0042\"}" | tee /dev/stderr)
TASK_ID=$(printf '%s' "$TASK" | sed -n 's/^{"id":"\([0-9a-f-]*\)".*/\1/p' | head -n 1)
call POST "/api/v1/tasks/$TASK_ID/subtasks" '{"title":"Order the seals"}'
call POST "/api/v1/tasks/$TASK_ID/updates" "{\"author_id\":\"$ADA\",\"content\":\"Seals ordered, arriving Friday\"}"

say "The task page (sub-tasks and daily updates) and the dashboard list"
call GET "/api/v1/tasks/$TASK_ID"
call GET "/api/v1/tasks?sort=priority"

say "The files it wrote (owner-only, encrypted)"
ls -la "$WORK/cfg"
