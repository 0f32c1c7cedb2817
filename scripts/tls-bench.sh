#!/usr/bin/env bash
# What the TLS relay costs (docs/tls.md, BENCHMARKS.md): a throwaway private
# PostgreSQL with TLS on, then examples/tls_relay_bench.rs measures connect
# time and query round trips over plaintext, sqlx's own TLS and the relay.
#   scripts/tls-bench.sh            release build, Linux
#   scripts/tls-bench.sh --wine     debug builds, Linux and then the Windows
#                                   exe under Wine, against the same server
#                                   (compare each platform's relay with its
#                                   own plaintext: the Wine figures are Wine's)
# Stops the cluster and removes its files afterwards (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf 'tls-bench: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib/pg.sh
. scripts/lib/pg.sh

pg_bin initdb >/dev/null
WINE=
[ "${1:-}" = --wine ] && WINE=1
if [ -n "$WINE" ]; then
  # Debug on both sides: the Windows run's dependencies are already built
  # in debug (scripts/wine/test.sh), a release build of them would take long.
  cargo build --example tls_relay_bench
  cargo build --example tls_relay_bench --target x86_64-pc-windows-gnu
  BENCH=target/debug/examples/tls_relay_bench
else
  cargo build --release --example tls_relay_bench
  BENCH=target/release/examples/tls_relay_bench
fi
WORK=$(mktemp -d /tmp/taskflowd-tls-bench-XXXXXX)
chmod 755 "$WORK"
cleanup() { set +e; pg_stop "$WORK"; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)
ADMIN_PW="bench-$RANDOM$RANDOM"
pg_start "$WORK" "$PORT" "$ADMIN_PW"
"$BENCH" certs "$WORK"
cp "$WORK/server.crt" "$WORK/server.key" "$WORK/data/"
chmod 600 "$WORK/data/server.key"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$WORK/data/server.crt" "$WORK/data/server.key"
cat >> "$WORK/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
CONF
pg_psql "$WORK" "$PORT" -c "SELECT pg_reload_conf()" >/dev/null
# Reloading is asynchronous: wait until the server offers TLS.
for _ in $(seq 50); do
  pg_psql "$WORK" "$PORT" -c "SHOW ssl" | grep -q on && break
  sleep 0.1
done
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m)), PostgreSQL $(pg_psql "$WORK" "$PORT" -c 'SHOW server_version')"
"$BENCH" bench "$PORT" "$ADMIN_PW" "$WORK/ca.pem"
if [ -n "$WINE" ]; then
  prefix=${TASKFLOWD_TEST_WINEPREFIX:-$PWD/target/wine-prefix}
  sh scripts/wine/build-shim.sh "$prefix" >/dev/null
  echo
  echo "The same under Wine ($(/usr/lib/wine/wine64 --version)), taskflowd's Windows relay (loopback TCP + one-time secret):"
  WINEPREFIX="$prefix" WINEDEBUG=-all /usr/lib/wine/wine64 \
    target/x86_64-pc-windows-gnu/debug/examples/tls_relay_bench.exe bench "$PORT" "$ADMIN_PW" "Z:${WORK//\//\\}\\ca.pem"
fi
