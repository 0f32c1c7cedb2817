//! Config-folder inspection: what a test may find on disk after a request.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

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

/// The config folder's discovery file (`taskflowd.json`), parsed; `None`
/// while it is missing or half-written.
pub fn discovery(dir: &Path) -> Option<Value> {
    let text = std::fs::read(dir.join("taskflowd.json")).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Waits (up to 15 s) for a discovery file naming `pid`.
pub async fn discovery_of(dir: &Path, pid: u32) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(v) = discovery(dir)
            && v["pid"] == pid
        {
            return v;
        }
        assert!(Instant::now() < deadline, "no discovery file for pid {pid}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
