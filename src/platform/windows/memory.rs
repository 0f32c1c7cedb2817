//! The working set, for `process_resident_memory_bytes` (GET /metrics).

use windows_sys::Win32::System::ProcessStatus::{K32GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

/// `K32GetProcessMemoryInfo`'s `WorkingSetSize` (the K32 name is in
/// kernel32 itself since Windows 7, so no psapi.dll import): what Task
/// Manager shows as memory, and Windows' counterpart of the resident set.
#[allow(unsafe_code)]
pub fn resident_memory_bytes() -> Option<u64> {
    // SAFETY: all-zero is a valid PROCESS_MEMORY_COUNTERS (plain integers).
    let mut counters: PROCESS_MEMORY_COUNTERS = unsafe { std::mem::zeroed() };
    let size = u32::try_from(size_of::<PROCESS_MEMORY_COUNTERS>()).ok()?;
    counters.cb = size;
    // SAFETY: the pseudo-handle of the current process needs no closing;
    // `counters` is writable and `size` is its size.
    let ok = unsafe { K32GetProcessMemoryInfo(GetCurrentProcess(), &mut counters, size) };
    (ok != 0).then(|| u64::try_from(counters.WorkingSetSize).unwrap_or(u64::MAX))
}
