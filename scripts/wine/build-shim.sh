#!/bin/sh
# Builds the ProcessPrng shim (processprng.c) and installs it into a private
# Wine prefix, creating the prefix if needed. For running taskflowd.exe
# under Wine 8 in tests; real Windows needs nothing of this.
#
#   scripts/wine/build-shim.sh <prefix>     (e.g. target/wine-prefix)
#
# Then run the exe with
#   WINEPREFIX=<prefix> WINEDLLOVERRIDES=bcryptprimitives=n WINEDEBUG=-all \
#     /usr/lib/wine/wine64 taskflowd.exe
set -eu
prefix=${1:?usage: build-shim.sh <wine prefix>}
here=$(cd "$(dirname "$0")" && pwd)
wine=${WINE64:-/usr/lib/wine/wine64}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
if [ ! -d "$prefix/drive_c/windows/system32" ]; then
    # Quiet, no desktop integration, no Mono/Gecko prompts.
    WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
        "$wine" wineboot --init >/dev/null 2>&1
fi
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$prefix/drive_c/windows/system32/bcryptprimitives.dll" \
    "$here/processprng.c" "$here/bcryptprimitives.def" -ladvapi32
echo "ProcessPrng shim installed in $prefix/drive_c/windows/system32"
