# A throwaway private PostgreSQL cluster (scram-sha-256, loopback only, its
# socket in the work folder), as the test harness starts one. Sourced by
# scripts/try-it.sh and scripts/conformance.sh; they define `die` first.
#
#   pg_start WORK PORT ADMIN_PASSWORD   initdb WORK/data and start it (log: WORK/pg.log)
#   pg_psql WORK PORT -c "SQL" ...      psql as the superuser over the socket
#   pg_stop WORK                        immediate stop (safe if never started)
#
# As root, the cluster runs as the `postgres` user, so WORK must be
# traversable by it (chmod 755).

pg_bin() {
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return; fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] || die "$1 not found: install PostgreSQL (Debian: apt-get install postgresql)"
  echo "$found"
}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pg_start() {
  local work=$1 port=$2 admin_pw=$3 initdb pg_ctl
  initdb=$(pg_bin initdb); pg_ctl=$(pg_bin pg_ctl)
  printf '%s' "$admin_pw" > "$work/pw"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$work" "$work/pw"
  as_pg "$initdb" -D "$work/data" -U postgres --auth-host=scram-sha-256 --auth-local=trust \
    --pwfile="$work/pw" -E UTF8 --locale=C >/dev/null
  cat >> "$work/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
CONF
  as_pg "$pg_ctl" -D "$work/data" -l "$work/pg.log" -w start >/dev/null
}

pg_psql() {
  local work=$1 port=$2; shift 2
  as_pg "$(pg_bin psql)" -h "$work" -p "$port" -U postgres -d postgres -qAt "$@"
}

pg_stop() {
  [ -d "$1/data" ] || return 0
  as_pg "$(pg_bin pg_ctl)" -D "$1/data" -m immediate stop >/dev/null 2>&1
}
