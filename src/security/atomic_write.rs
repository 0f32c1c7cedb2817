//! Atomic, durable replacement of one file in a folder.
//!
//! Owns the "write a new file beside the old one, fsync it, rename it over
//! the old one, fsync the folder" sequence that DESIGN.md requires for every
//! write in the config folder, so that a crash or `kill -9` at any moment
//! leaves either the old or the new bytes under the final name, never a
//! truncated mix. The temporary file comes from `tempfile`, which creates it
//! with mode 0600 in the target folder (same file system, so the rename is
//! atomic) — the mode is set at creation, never by a later `chmod`.
//!
//! Callers pass only ciphertext or key material: no plaintext credentials
//! ever reach this module, so a temporary file left behind by a crash holds
//! nothing readable without the key.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Name prefix of every temporary file this module creates, so that stale
/// ones left by a crash can be recognised (and removed under the folder lock).
pub const TEMP_PREFIX: &str = ".taskflowd-tmp-";

/// Writes `bytes` to `dir/name`, replacing any existing file atomically.
///
/// When this returns `Ok`, the new content is on disk and the rename is
/// durable (the folder was fsynced).
pub fn replace(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = write_temp(dir, name, bytes)?;
    tmp.persist(dir.join(name)).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Writes `bytes` to `dir/name` only if no file of that name exists
/// (no-clobber, atomic: `renameat2(RENAME_NOREPLACE)` or link/unlink).
///
/// Returns `Ok(true)` when this call created the file (durably), and
/// `Ok(false)` when another writer had already created it: the caller must
/// then use theirs.
pub fn create_new(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<bool> {
    let tmp = write_temp(dir, name, bytes)?;
    match tmp.persist_noclobber(dir.join(name)) {
        Ok(_) => {
            sync_dir(dir)?;
            Ok(true)
        }
        // The temp file is removed when `e.file` drops.
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e.error),
    }
}

/// Flushes the folder's entries, making a preceding rename durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes temporary files a crashed writer left in `dir`.
///
/// Only call this while holding the folder's exclusive write lock: a live
/// writer's temp file would otherwise be pulled from under it. Errors are
/// ignored (a leftover temp file holds only ciphertext and is harmless).
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Creates a 0600 temp file in `dir`, writes `bytes` and fsyncs it.
fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{name}."))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::security::test_support::names;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replace_writes_0600_and_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        replace(dir.path(), "f", b"one").unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"one");
        assert_eq!(mode(&dir.path().join("f")), 0o600);
        replace(dir.path(), "f", b"two").unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["f"], "no temp file left behind");
    }

    #[test]
    fn create_new_does_not_clobber() {
        let dir = tempfile::tempdir().unwrap();
        assert!(create_new(dir.path(), "k", b"first").unwrap());
        assert_eq!(mode(&dir.path().join("k")), 0o600);
        assert!(!create_new(dir.path(), "k", b"second").unwrap());
        assert_eq!(std::fs::read(dir.path().join("k")).unwrap(), b"first");
        assert_eq!(names(dir.path()), ["k"], "losing temp file is removed");
    }

    #[test]
    fn missing_folder_is_an_error_not_a_creation() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert!(replace(&missing, "f", b"x").is_err());
        assert!(!missing.exists());
    }

    #[test]
    fn stale_temps_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{TEMP_PREFIX}f.abc")), b"x").unwrap();
        std::fs::write(dir.path().join("keep"), b"x").unwrap();
        remove_stale_temps(dir.path());
        assert_eq!(names(dir.path()), ["keep"]);
    }
}
