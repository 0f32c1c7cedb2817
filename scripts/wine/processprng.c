/*
 * ProcessPrng for Wine 8, for the tests only.
 *
 * Rust's standard library on Windows 10+ draws its randomness from
 * bcryptprimitives.dll!ProcessPrng; Wine 8 (Debian 12) has no such export, so
 * the exe would not start. This DLL provides it over RtlGenRandom
 * (advapi32!SystemFunction036), which Wine implements from the host's
 * /dev/urandom. It goes into a private Wine prefix's system32 only
 * (scripts/wine/build-shim.sh); real Windows has its own.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    /* Documented to always return TRUE; a failure above is not expected. */
    return TRUE;
}
