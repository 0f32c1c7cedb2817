#!/usr/bin/env bash
# What taskflowd's pooler-safe statements cost on a direct connection
# (issue #14; README "Pooler-safe by default"), measured with pgbench on a
# throwaway private PostgreSQL over loopback TCP, one client, members-sized
# queries:
#
#   cached     a named prepared statement reused (sqlx's statement cache on)
#   uncached   Parse/Bind/Execute every time (statement cache off)
#   unit       what src/db/unit.rs sends: BEGIN; DEALLOCATE ALL; the
#              statement (uncached); COMMIT
#   counter    the members list cache's check: the change-counter read by
#              the simple protocol (what a cached list costs in queries)
#
# Usage: scripts/statement-cost.sh [SECONDS per case, default 10]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
die() { echo "statement-cost: $*" >&2; exit 1; }
# shellcheck source=scripts/lib/pg.sh
. scripts/lib/pg.sh

secs=${1:-10}
work=$(mktemp -d /tmp/taskflowd-stmt-XXXXXX)
chmod 755 "$work"
port=$(free_port)
pw=$(python3 -c 'import uuid; print(uuid.uuid4().hex)')
trap 'pg_stop "$work"; rm -rf "$work"' EXIT
pg_start "$work" "$port" "$pw"
pg_psql "$work" "$port" -c "
  CREATE TABLE members (id uuid PRIMARY KEY, name varchar(100) NOT NULL,
    email varchar(320) NOT NULL UNIQUE, active boolean NOT NULL DEFAULT true);
  INSERT INTO members SELECT gen_random_uuid(), 'Member ' || i, 'm' || i || '@example.org', true
    FROM generate_series(1, 50) i;
  CREATE TABLE taskflow_changes (table_name text PRIMARY KEY, version bigint NOT NULL DEFAULT 0);
  INSERT INTO taskflow_changes VALUES ('members', 1);
  CREATE FUNCTION taskflow_count_change() RETURNS trigger LANGUAGE plpgsql AS
    \$\$ BEGIN UPDATE taskflow_changes SET version = version + 1 WHERE table_name = TG_TABLE_NAME; RETURN NULL; END \$\$;
  CREATE TRIGGER taskflow_members_count AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON members
    FOR EACH STATEMENT EXECUTE FUNCTION taskflow_count_change();
  ANALYZE;"
id=$(pg_psql "$work" "$port" -c "SELECT id FROM members ORDER BY name LIMIT 1")

get='SELECT id, name, email, active FROM members WHERE id = :id;'
list='SELECT id, name, email, active FROM members ORDER BY name, id;'
counter="SELECT (SELECT version::text || '.' || xmin::text FROM taskflow_changes WHERE table_name = 'members'), EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'taskflow_members_count' AND tgrelid = to_regclass('members') AND tgenabled IN ('O', 'A'));"
printf '%s\n' "$get" > "$work/get.sql"
printf 'BEGIN;\nDEALLOCATE ALL;\n%s\nCOMMIT;\n' "$get" > "$work/get-unit.sql"
printf '%s\n' "$list" > "$work/list.sql"
printf 'BEGIN;\nDEALLOCATE ALL;\n%s\nCOMMIT;\n' "$list" > "$work/list-unit.sql"
printf '%s\n' "$counter" > "$work/counter.sql"
chmod 644 "$work"/*.sql

run() { # name mode script
  local tps
  tps=$(PGPASSWORD=$pw as_pg env PGPASSWORD="$pw" "$(pg_bin pgbench)" -h 127.0.0.1 -p "$port" -U postgres \
      -n -c 1 -T "$secs" -M "$2" -D id="$id" -f "$work/$3" postgres 2>/dev/null \
    | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  printf '| %-22s | %-8s | %10.0f |\n' "$1" "$2" "$tps"
}

echo "| case                   | protocol | statements/s (1 client) |"
echo "|---|---|---|"
run "get by id, cached"      prepared get.sql
run "get by id, uncached"    extended get.sql
run "get by id, unit"        extended get-unit.sql
run "list (50), cached"      prepared list.sql
run "list (50), uncached"    extended list.sql
run "list (50), unit"        extended list-unit.sql
run "counter read"           simple   counter.sql
