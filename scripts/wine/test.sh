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

# One retry, of at most three failed tests, said loudly: under Wine a
# daemon start now and then ends at once with exit 1 and not one line
# logged (seen once in five full runs, by a test that passes otherwise).
# A test that fails again fails the run; one that passes on the retry is
# named as flaky, so that a pattern shows in CI's log.
failed=$(sed -n 's/^test \(.*\) \.\.\. FAILED$/\1/p' "$log")
if [ "$rc" != 0 ] && [ -n "$failed" ] && [ "$(printf '%s\n' "$failed" | wc -l)" -le 3 ]; then
    echo "Windows run: retrying once under Wine:" $failed
    # shellcheck disable=SC2086 # one argument per test name
    TASKFLOWD_TEST_WINE="$exe" TASKFLOWD_TEST_WINEPREFIX="$prefix" \
        cargo test --test api -- --exact $failed >"$log.retry" 2>&1 || true
    cat "$log.retry"
    if grep -q '^test result: ok\. [1-9]' "$log.retry"; then
        echo "Windows run: FLAKY under Wine (failed, then passed on the retry):" $failed
        rc=0
    fi
fi

# A self-skipped test passes as far as libtest is concerned: count apart.
passed=$(sed -n 's/^test result: .* \([0-9]*\) passed.*/\1/p' "$log" | tail -1)
skipped=$(grep -c '^skipped on the Windows run' "$log" || true)
echo "Windows run (taskflowd.exe under Wine): $((${passed:-0} - skipped)) passed against the exe," \
    "$skipped skipped themselves (Unix rules), exit $rc; log: $log"
exit "$rc"
