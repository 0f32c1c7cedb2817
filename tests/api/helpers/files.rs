//! Config-folder inspection: what a test may find on disk after a request.

use std::path::{Path, PathBuf};

/// Every entry of a folder (recursively), or empty when it does not exist.
pub fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(entries(&p));
        }
        out.push(p);
    }
    out.sort();
    out
}

/// Whether any file in `dir` contains `needle` (raw bytes).
pub fn any_file_contains(dir: &Path, needle: &str) -> Option<PathBuf> {
    entries(dir).into_iter().find(|p| {
        std::fs::read(p)
            .map(|bytes| {
                bytes
                    .windows(needle.len().max(1))
                    .any(|w| w == needle.as_bytes())
            })
            .unwrap_or(false)
    })
}
