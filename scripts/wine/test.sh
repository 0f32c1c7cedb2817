#!/bin/sh
# The Windows run of the integration tests: the Linux test binary (tests/api)
# with every daemon started as taskflowd.exe under Wine, against the same
# Linux PostgreSQL (tests/api/helpers/wine.rs). Needs Debian's wine64 and
# gcc-mingw-w64-x86-64 and the Rust target x86_64-pc-windows-gnu.
#
#   scripts/wine/test.sh [libtest args]     (e.g. scripts/wine/test.sh tasks::)
#
# Builds the debug exe (and the test binary), makes the private prefix
# target/wine-prefix with the ProcessPrng shim (build-shim.sh), keeps one
# wineserver up for the run (warm starts: ~75 ms instead of ~0.6 s), and
# ends every process of the prefix afterwards (wineserver -k), whatever
# happened: the daemons get no TASKFLOW_PARENT_PID under Wine.
set -eu
cd "$(dirname "$0")/../.."
prefix=${TASKFLOWD_TEST_WINEPREFIX:-$PWD/target/wine-prefix}
wineserver=${WINESERVER:-/usr/lib/wine/wineserver}

# The same build as .ci/run's Windows lint (every target: with --bin alone
# the dev-dependencies' features differ and every dependency is rebuilt).
cargo build --workspace --target x86_64-pc-windows-gnu --all-targets
exe=$PWD/target/x86_64-pc-windows-gnu/debug/taskflowd.exe
sh scripts/wine/build-shim.sh "$prefix"

export WINEPREFIX="$prefix" WINEDEBUG=-all
cleanup() { "$wineserver" -k 2>/dev/null || true; }
trap cleanup EXIT INT TERM
# Persistent until the -k above (an already running one is fine too).
"$wineserver" -p 2>/dev/null || true

# The modules that never start the daemon are left to the Linux run: they
# test the fixtures (harness), the README (layout) and the Linux library
# in-process (store: the credential store actor and folder; the exe's side
# of the Python files is windows::). Tests of Unix rules skip themselves
# ("skipped on the Windows run: …", tests/api/helpers/wine.rs).
log=$PWD/target/wine-test.log
{
    rc=0
    TASKFLOWD_TEST_WINE="$exe" TASKFLOWD_TEST_WINEPREFIX="$prefix" \
        cargo test --test api -- --skip harness:: --skip layout:: --skip store:: "$@" 2>&1 \
        || rc=$?
    echo "$rc" >"$log.rc"
} | tee "$log"
rc=$(cat "$log.rc")

# A self-skipped test passes as far as libtest is concerned: count apart.
passed=$(sed -n 's/^test result: .* \([0-9]*\) passed.*/\1/p' "$log" | tail -1)
skipped=$(grep -c '^skipped on the Windows run' "$log" || true)
echo "Windows run (taskflowd.exe under Wine): $((${passed:-0} - skipped)) passed against the exe," \
    "$skipped skipped themselves (Unix rules), exit $rc; log: $log"
exit "$rc"
