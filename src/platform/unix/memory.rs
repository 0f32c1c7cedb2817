//! The resident set size, for `process_resident_memory_bytes` (GET /metrics).

/// Linux: the second field of `/proc/self/statm` (resident pages) times the
/// page size, as the Prometheus client libraries read it. `None` elsewhere
/// (macOS has no `/proc`) or if the file cannot be read.
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE).ok()??;
    pages.checked_mul(u64::try_from(page).ok()?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn a_running_process_has_some_resident_memory() {
        let rss = super::resident_memory_bytes().unwrap();
        // More than a page, less than a terabyte: a real figure, not a unit slip.
        assert!(rss > 4096 && rss < (1 << 40), "{rss}");
    }
}
